package realtime

import (
	"slices"

	"github.com/civicpress/civicpress-go/civicpress"
)

// subscribe makes live connections follow auth and permission changes made
// in this process or, through core's event outbox, in another one.
func (h *Hub) subscribe() {
	if h.core == nil {
		return
	}
	h.unsub = append(h.unsub, h.core.Events().Subscribe(h.onAuthEvent,
		civicpress.EventSessionsRevoked, civicpress.EventUserRoleChanged,
		civicpress.EventUserDeleted, civicpress.EventAPIKeyRevoked, civicpress.EventUserUpdated))
	h.unsub = append(h.unsub, h.core.Events().Subscribe(h.onRecordEvent,
		civicpress.EventRecordArchived, civicpress.EventStatusChanged, civicpress.EventRecordPublished, civicpress.EventRecordUpdated))
	h.unsub = append(h.unsub, h.core.Events().Subscribe(h.onSnapshotRequest, civicpress.EventRealtimeSnapshotRequested))
}

// onRecordEvent follows the record's state: an archived record's room turns
// read-only for everyone (and editable again if it leaves that status).
// A publish (here or in another process) is announced to the room.
func (h *Hub) onRecordEvent(ev civicpress.Event) {
	r := h.roomOf(ev.RecordID)
	if r == nil {
		return
	}
	if ev.Type == civicpress.EventRecordPublished {
		h.onPublished(r, ev)
	}
	status, _ := ev.Data["status"].(string)
	switch {
	case ev.Type == civicpress.EventRecordArchived:
		status = civicpress.StatusArchived
	case status == "":
		return
	}
	editable := status != civicpress.StatusArchived
	r.mu.Lock()
	changed := r.editable != editable
	r.editable = editable
	clients := append([]*client(nil), r.clients...)
	r.mu.Unlock()
	if !changed {
		return
	}
	for _, c := range clients {
		c.readOnlyNotified.Store(false)
		c.sendControl(map[string]any{"type": "control", "event": "permissions.changed", "canEdit": editable && c.canEdit.Load(), "recordStatus": status})
	}
}

func (h *Hub) userClients(uid int64) []*client {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*client, 0, len(h.byUser[uid]))
	for c := range h.byUser[uid] {
		out = append(out, c)
	}
	return out
}

func (h *Hub) onAuthEvent(ev civicpress.Event) {
	switch ev.Type {
	case civicpress.EventSessionsRevoked:
		reason := ev.Reason
		if reason == "" {
			reason = "sessions-revoked"
		}
		for _, c := range h.userClients(ev.UserID) {
			// A single logout names its token; other revocations end every
			// session of the user (API keys are not sessions: only a
			// user-wide revocation without token list ends those).
			if len(ev.TokenHashes) > 0 && !slices.Contains(ev.TokenHashes, c.tokenHash) {
				continue
			}
			c.revoke(reason)
		}
	case civicpress.EventUserDeleted:
		for _, c := range h.userClients(ev.UserID) {
			c.revoke(civicpress.ReasonUserDeleted)
		}
	case civicpress.EventAPIKeyRevoked:
		for _, c := range h.userClients(ev.UserID) {
			if c.apiKeyID != 0 && c.apiKeyID == ev.APIKeyID {
				c.revoke("api-key-revoked")
			}
		}
	case civicpress.EventUserRoleChanged, civicpress.EventUserUpdated:
		if ev.Type == civicpress.EventUserUpdated && ev.Role == "" {
			return
		}
		for _, c := range h.userClients(ev.UserID) {
			h.recheck(c, ev.Role)
		}
	}
}

// recheck re-evaluates a connection's rights after a role change: without
// records:view it is closed (4001), without records:edit it goes read-only,
// and it regains editing when the new role allows it.
func (h *Hub) recheck(c *client, role string) {
	old := c.user()
	if old == nil {
		return
	}
	u := *old
	if role != "" {
		u.Role = role
	}
	c.u.Store(&u)
	rt := c.room.recordType
	if !h.core.Can(&u, "records:view", civicpress.PermContext{RecordType: rt, Action: "view"}) {
		c.revoke("permission-revoked")
		return
	}
	was := c.canEdit.Load()
	now := h.core.Can(&u, "records:edit", civicpress.PermContext{RecordType: rt, Action: "edit"})
	c.canEdit.Store(now)
	if was != now {
		c.readOnlyNotified.Store(false)
		c.sendControl(map[string]any{"type": "control", "event": "permissions.changed", "canEdit": now})
	}
}

// onPublished tells the room its record was published. Publishing turned
// the draft into the record and deleted it: the room keeps its document
// (it is what was published, plus any edit made since), edits made after
// the publish go to a new draft created from the published record at the
// next writeback (core's SaveDraftBody), and the contributors credited
// there are only those who edited after the publish (core cleared the
// list; the room's list only ever holds edits not yet written back). The
// next writeback compares with the published text first, so an edit
// undone before it does not leave a draft identical to the record.
// Clients that opted in to control frames get record.published; stock
// y-websocket clients just keep working.
func (h *Hub) onPublished(r *room, ev civicpress.Event) {
	r.mu.Lock()
	r.checkBase = true
	clients := append([]*client(nil), r.clients...)
	r.mu.Unlock()
	msg := map[string]any{"type": "control", "event": "record.published", "recordId": ev.RecordID,
		"timestamp": ev.Time.UnixMilli()}
	for _, k := range []string{"status", "title", "commit"} {
		if v, ok := ev.Data[k]; ok {
			msg[k] = v
		}
	}
	if ev.Username != "" {
		msg["publishedBy"] = ev.Username
	}
	for _, c := range clients {
		c.sendControl(msg)
	}
}

// onSnapshotRequest answers a snapshot request from a process without a
// hub holding the room (civicpress.Core.RequestSnapshot): the room's
// writer writes it back and answers; a node without the room answers that
// it has none; a node holding the room as a non-writer stays silent.
func (h *Hub) onSnapshotRequest(ev civicpress.Event) {
	req, ok := civicpress.SnapshotRequestOf(ev)
	if !ok || h.shuttingDown.Load() {
		return
	}
	go func() {
		ctx, cancel := waitCtx(civicpress.SnapshotRequestTimeout)
		defer cancel()
		res, err := h.SnapshotRecord(ctx, req.RecordID)
		held := err != nil || res.Reason == ""
		if !held {
			r := h.roomOf(req.RecordID)
			if r != nil && r.isReady() {
				return // open here, written back by another node
			}
		}
		if aerr := h.core.AnswerSnapshotRequest(ctx, req, h.node, held, res, err); aerr != nil {
			h.log.Warn("realtime: answering a snapshot request", "err", aerr)
		}
	}()
}
