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
}

// onRecordEvent follows the record's state: an archived record's room turns
// read-only for everyone (and editable again if it leaves that status).
func (h *Hub) onRecordEvent(ev civicpress.Event) {
	h.mu.Lock()
	r := h.rooms[roomTypeRecords+":"+ev.RecordID]
	h.mu.Unlock()
	if r == nil {
		return
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
