package realtime

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/pmdoc"
	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
)

// The lineage marker: a root map the editor never reads, holding the client
// id that seeded the document from Markdown. Seeding is deterministic (the
// seed client id is a hash of the room and the Markdown), so re-seeding the
// same text recreates the same items; a document re-created from different
// Markdown has another lineage, and a client still holding the old one is
// told so (4409) instead of merging both copies into doubled text.
const (
	lineageRoot = "civicpress"
	lineageKey  = "lineage"
)

// suspectWait is how long a client whose state vector lacks the room's
// lineage has to send its state (step 2) before it is answered anyway.
const suspectWait = 3 * time.Second

// step2Fallback is how long the server waits for a joining client's step 1
// before sending it the whole document unasked.
const step2Fallback = 500 * time.Millisecond

// room is one record's shared document and the connections editing it.
// Every field below mu is guarded by it; joining by the hub's mutex.
type room struct {
	h        *Hub
	key      string // "records:<id>"
	recordID string

	ready    chan struct{}
	readyErr error
	joining  int // reserved connections not yet joined (hub.mu)

	mu           sync.Mutex
	doc          *yjs.Doc
	aw           *presence
	clients      []*client
	recordType   string
	editable     bool   // the record's state allows edits (not archived)
	lineage      uint64 // seed client id, 0 when unknown
	dirty        bool
	firstDirty   time.Time
	maxDelay     time.Duration // this round's cap on unsaved edits (see markDirtyLocked)
	lastEdit     time.Time
	updates      int
	contributors map[int64]*civicpress.User // nil value: known by id only (an edit made on another node)
	wbTimer      *time.Timer
	wbArmed      bool
	graceTimer   *time.Timer
	destroyed    bool

	// With the update log (cluster): updates other nodes logged while the
	// room was loading; the highest seq this node logged for the room; the
	// writer lease's end (zero: another node writes the room back); the log
	// position the previous snapshot covered (compacted at the next one);
	// and whether the next writeback should compare with the record first
	// (after a takeover or a publish).
	early      []civicpress.LoggedUpdate
	ownSeq     int64
	leaseUntil time.Time
	compacted  int64
	checkBase  bool

	flushMu  sync.Mutex // one writeback at a time
	wbQueued bool       // listed for the writeback worker (hub.wbMu)
}

func newRoom(h *Hub, key string, rec *recordInfo) *room {
	return &room{h: h, key: key, recordID: rec.ID, recordType: rec.Type, ready: make(chan struct{}),
		editable: rec.editable(), contributors: map[int64]*civicpress.User{}}
}

func (r *room) isReady() bool {
	select {
	case <-r.ready:
		return r.readyErr == nil
	default:
		return false
	}
}

func (r *room) waitReady(ctx context.Context) error {
	select {
	case <-r.ready:
		return r.readyErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hydrate builds the document: the newest snapshot that verifies, else the
// draft's Markdown, else the published body.
func (r *room) hydrate(rec *recordInfo) {
	doc, lineage, err := r.load(rec)
	if err == nil {
		r.mu.Lock()
		r.doc, r.lineage = doc, lineage
		r.aw = newPresence()
		for _, u := range r.early {
			r.applyRemoteLocked(u)
		}
		r.early = nil
		r.dirty, r.updates = false, 0
		r.mu.Unlock()
	}
	if err != nil {
		r.readyErr = err
		r.h.mu.Lock()
		if r.h.rooms[r.key] == r {
			delete(r.h.rooms, r.key)
		}
		r.h.mu.Unlock()
	} else {
		r.h.publish(civicpress.EventRealtimeRoomCreated, map[string]any{"roomId": r.key, "roomType": roomTypeRecords,
			"recordId": r.recordID, "lineage": lineage, "timestamp": time.Now().UnixMilli()}, nil)
	}
	close(r.ready)
}

func (r *room) load(rec *recordInfo) (*yjs.Doc, uint64, error) {
	ctx, cancel := waitCtx(30 * time.Second)
	defer cancel()
	if r.h.cl != nil {
		return r.loadLogged(ctx, rec)
	}
	if r.h.cfg.SnapshotsEnabled && r.h.snap != nil {
		sn, err := r.loadSnapshot(ctx)
		if err != nil {
			return nil, 0, err
		}
		if sn != nil {
			doc := yjs.NewDoc(yjs.Options{})
			if err := doc.ApplyUpdate(sn.Data); err == nil {
				return doc, readLineage(doc), nil
			} else {
				r.h.log.Warn("realtime: snapshot does not decode; seeding from Markdown", "room", r.key, "version", sn.Version, "err", err)
			}
		}
	}
	md := rec.PublishedBody
	if rec.HasDraft {
		md = rec.DraftBody
	}
	doc, lineage, err := seedDoc(r.key, md)
	return doc, lineage, err
}

// loadSnapshot returns the newest snapshot of the room that passes its
// integrity check (nil when none), reporting every newer one that failed.
func (r *room) loadSnapshot(ctx context.Context) (*civicpress.Snapshot, error) {
	sn, rejected, err := r.h.snap.LoadVerified(ctx, r.key)
	for _, bad := range rejected {
		r.h.log.Warn("realtime: snapshot failed its integrity check; using an older one", "room", r.key, "version", bad.Version)
		r.h.publish(civicpress.EventRealtimeSnapshotFailed, map[string]any{"roomId": r.key, "recordId": r.recordID,
			"stage": "integrity", "version": bad.Version, "expectedHash": bad.IntegrityHash}, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("realtime: loading snapshot of %s: %w", r.key, err)
	}
	return sn, nil
}

// loadLogged builds the document from the newest verified snapshot and the
// room's logged updates. A room with neither is seeded from Markdown and
// the seed is logged first, atomically: nodes opening a new room at once
// agree on one seed (one lineage) instead of each seeding its own.
func (r *room) loadLogged(ctx context.Context, rec *recordInfo) (*yjs.Doc, uint64, error) {
	rl := r.h.core.RealtimeLog()
	for attempt := 0; attempt < 5; attempt++ {
		doc := yjs.NewDoc(yjs.Options{})
		snapshot := false
		sn, err := r.loadSnapshot(ctx)
		if err != nil {
			return nil, 0, err
		}
		if sn != nil {
			if err := doc.ApplyUpdate(sn.Data); err != nil {
				r.h.log.Warn("realtime: snapshot does not decode", "room", r.key, "version", sn.Version, "err", err)
				doc = yjs.NewDoc(yjs.Options{})
			} else {
				snapshot = true
			}
		}
		ups, err := rl.Room(ctx, r.key)
		if err != nil {
			return nil, 0, fmt.Errorf("realtime: loading the update log of %s: %w", r.key, err)
		}
		for _, u := range ups {
			if err := doc.ApplyUpdate(u.Data); err != nil {
				r.h.log.Warn("realtime: a logged update does not apply", "room", r.key, "seq", u.Seq, "err", err)
			}
		}
		if sn == nil && len(ups) == 0 {
			md := rec.PublishedBody
			if rec.HasDraft {
				md = rec.DraftBody
			}
			seeded, lineage, err := seedDoc(r.key, md)
			if err != nil {
				return nil, 0, err
			}
			blob, err := seeded.EncodeStateAsUpdate(nil)
			if err != nil {
				return nil, 0, fmt.Errorf("realtime: seeding %s: %w", r.key, err)
			}
			ok, err := rl.Seed(ctx, r.key, r.h.node, blob)
			if err != nil {
				return nil, 0, fmt.Errorf("realtime: seeding %s: %w", r.key, err)
			}
			if ok {
				return seeded, lineage, nil
			}
			continue // another node seeded it first: load that
		}
		if !snapshot && doc.HasPending() {
			// Updates whose base (a snapshot they were compacted into) is
			// gone: they cannot be integrated. Start again from Markdown.
			r.h.log.Warn("realtime: the update log of a room has lost its snapshot; re-seeding from Markdown", "room", r.key)
			if err := rl.Reset(ctx, r.key); err != nil {
				return nil, 0, fmt.Errorf("realtime: %w", err)
			}
			continue
		}
		return doc, readLineage(doc), nil
	}
	return nil, 0, fmt.Errorf("realtime: opening %s: the update log keeps changing", r.key)
}

// seedDoc builds a document from Markdown with a deterministic seed client.
func seedDoc(key, md string) (*yjs.Doc, uint64, error) {
	sum := sha256.Sum256([]byte(key + "\x00" + md))
	seed := uint64(binary.BigEndian.Uint32(sum[:4]))
	if seed == 0 {
		seed = 1
	}
	doc := yjs.NewDoc(yjs.Options{ClientID: seed})
	if _, err := pmdoc.SeedMarkdown(doc, md); err != nil {
		return nil, 0, fmt.Errorf("realtime: seeding %s: %w", key, err)
	}
	// Seeding may move the document to another client id (pmdoc applies
	// the seed as an update); the marker continues the seed client's clocks.
	doc.SetClientID(seed)
	m := doc.Map(lineageRoot)
	if _, err := doc.Transact(nil, func(tx *yjs.Txn) error {
		return m.Set(tx, lineageKey, strconv.FormatUint(seed, 10))
	}); err != nil {
		return nil, 0, fmt.Errorf("realtime: seeding %s: %w", key, err)
	}
	// The server makes no further edits; a fresh id keeps the seed id unique
	// to the seed in case it ever does.
	doc.SetClientID(seed ^ 0x5a5a5a5a)
	return doc, seed, nil
}

func readLineage(doc *yjs.Doc) uint64 {
	if k, ok := doc.RootKind(lineageRoot); !ok || (k != yjs.KindMap && k != yjs.KindAbstract) {
		return 0
	}
	v, ok := doc.Map(lineageRoot).Get(lineageKey)
	if !ok {
		return 0
	}
	s, _ := v.(string)
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

func (r *room) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.clients)
}

// join seats a client (hub.mu held): the server's step 1 now; the document
// (step 2) as the answer to the client's step 1, or unasked shortly after.
func (r *room) join(c *client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clients = append(r.clients, c)
	if c.control {
		c.sendControl(map[string]any{"type": "control", "event": "connection.ack", "roomId": r.key, "clientId": c.id,
			"canEdit": c.canEdit.Load() && r.editable})
	}
	c.send(yproto.SyncFrame(yproto.Step1(r.doc)))
	if ids := r.aw.clients(); len(ids) > 0 {
		c.send(yproto.AwarenessFrame(r.aw.encode(ids)))
	}
	c.syncTimer = time.AfterFunc(step2Fallback, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if c.sync == syncJoined && !c.closed.Load() {
			r.answerLocked(c, nil)
		}
	})
}

// leaveLocked unseats a client (hub.mu held), telling the others its
// awareness states are gone. It reports whether the client was seated.
func (r *room) leaveLocked(c *client) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := -1
	for j, x := range r.clients {
		if x == c {
			i = j
			break
		}
	}
	if i < 0 {
		return false
	}
	last := len(r.clients) - 1
	r.clients[i] = r.clients[last]
	r.clients[last] = nil
	r.clients = r.clients[:last]
	if c.syncTimer != nil {
		c.syncTimer.Stop()
	}
	if len(c.awIDs) > 0 && r.aw != nil {
		ids := make([]uint64, 0, len(c.awIDs))
		for id := range c.awIDs {
			ids = append(ids, id)
		}
		if removed := r.aw.remove(ids); len(removed) > 0 {
			frame := yproto.AwarenessFrame(r.aw.encode(removed))
			for _, o := range r.clients {
				o.send(frame)
			}
			if cl := r.h.cl; cl != nil {
				cl.forwardAwareness(r.key, frame)
			}
		}
	}
	return true
}

// answerLocked sends the diff for the client's state vector and starts
// relaying updates to it.
func (r *room) answerLocked(c *client, sv []byte) {
	msg, err := yproto.Step2(r.doc, sv)
	if err != nil {
		msg, _ = yproto.Step2(r.doc, nil)
	}
	c.send(yproto.SyncFrame(msg))
	c.sync = syncDone
	c.pendingSV = nil
	if c.syncTimer != nil {
		// Dropped, not only stopped: a stopped timer and its closure would
		// otherwise stay with every connection for its whole life.
		c.syncTimer.Stop()
		c.syncTimer = nil
	}
}

// onStep1 answers a client's step 1, unless its state vector shows a copy
// of the document from another lineage (see lineageRoot): then the answer
// waits for the client's state, which decides.
func (r *room) onStep1(c *client, sv []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.closed.Load() {
		return
	}
	if r.lineage != 0 && c.sync != syncDone && len(sv) > 1 {
		vec, err := yjs.DecodeStateVector(sv)
		if err != nil {
			return
		}
		if len(vec) > 0 && vec[r.lineage] == 0 {
			c.sync = syncSuspect
			c.pendingSV = append([]byte(nil), sv...)
			if c.syncTimer != nil {
				c.syncTimer.Stop()
			}
			c.syncTimer = time.AfterFunc(suspectWait, func() {
				r.mu.Lock()
				defer r.mu.Unlock()
				if c.sync == syncSuspect && !c.closed.Load() {
					r.answerLocked(c, c.pendingSV)
				}
			})
			return
		}
	}
	r.answerLocked(c, sv)
}

// foreignLineage reports whether update carries another lineage's marker.
func (r *room) foreignLineage(update []byte) bool {
	scratch := yjs.NewDoc(yjs.Options{})
	if err := scratch.ApplyUpdate(update); err != nil {
		return false
	}
	l := readLineage(scratch)
	return l != 0 && l != r.lineage
}

// onUpdate handles step 2 and update frames.
func (r *room) onUpdate(c *client, subtype uint64, frame, update []byte) {
	r.mu.Lock()
	if c.closed.Load() {
		r.mu.Unlock()
		return
	}
	suspect := c.sync == syncSuspect
	if suspect && r.foreignLineage(update) {
		r.mu.Unlock()
		c.h.log.Info("realtime: client holds a copy from before the document was re-created", "client", c.id, "room", r.key)
		c.sendControl(controlError("DOCUMENT_REPLACED", "The document was re-created on the server; reload it"))
		c.closeWith(CloseDocumentReplaced, "DOCUMENT_REPLACED", "")
		return
	}
	editable := c.canEdit.Load() && r.editable
	if editable {
		if cl := r.h.cl; cl != nil {
			r.logLocked(cl, c, subtype, frame, update)
		} else {
			r.applyLocked(c, subtype, frame, update)
		}
	}
	if suspect {
		r.answerLocked(c, c.pendingSV)
	}
	r.mu.Unlock()
	if !editable && !isEmptyUpdate(update) && c.readOnlyNotified.CompareAndSwap(false, true) {
		c.sendControl(controlError("READ_ONLY", "This connection cannot change the document"))
	}
}

// applyLocked applies a client's update and relays it to the room; it
// reports whether the update was valid and new.
func (r *room) applyLocked(c *client, subtype uint64, frame, update []byte) bool {
	changed, err := r.doc.ApplyUpdateOrigin(update, nil)
	if err != nil {
		c.h.log.Debug("realtime: invalid update", "client", c.id, "room", r.key, "err", err)
		c.sendControl(controlError("INVALID_YJS_UPDATE", "The update could not be applied"))
		return false
	}
	if !changed && !r.doc.HasPending() {
		return false // nothing new: a duplicate
	}
	// Relaying the bytes as received is exact: peers integrate them the way
	// this document did, holding back what it holds back.
	out := frame
	if subtype != yproto.SyncUpdate {
		out = yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: update})
	}
	for _, o := range r.clients {
		if o != c && o.sync == syncDone {
			o.send(out)
		}
	}
	if changed {
		var uid int64
		u := c.user()
		if u != nil {
			uid = u.ID
		}
		r.markDirtyLocked(uid, u)
	}
	return true
}

// logLocked queues a client's update for the log. With RelayAfterCommit
// it is applied to the room's document and relayed only once committed;
// otherwise it is applied and relayed to this node's clients at once and
// committed by the next group commit (other nodes only ever get committed
// updates). See the package doc, "Several nodes".
func (r *room) logLocked(cl *cluster, c *client, subtype uint64, frame, update []byte) {
	if isEmptyUpdate(update) {
		return
	}
	it := logItem{r: r, from: c, update: update, user: c.user()}
	if !r.h.cfg.RelayAfterCommit {
		if !r.applyLocked(c, subtype, frame, update) {
			return
		}
		it.applied = true
	} else if !validUpdate(update) {
		c.h.log.Debug("realtime: invalid update", "client", c.id, "room", r.key)
		c.sendControl(controlError("INVALID_YJS_UPDATE", "The update could not be applied"))
		return
	}
	if subtype == yproto.SyncUpdate {
		it.frame = frame
	}
	if !cl.enqueue(it) {
		// The database is not keeping up: the client is closed rather than
		// told nothing; it resends its state when it reconnects.
		go c.closeWith(1013, "TRY_AGAIN_LATER", "the update log is not keeping up")
	}
}

func isEmptyUpdate(u []byte) bool { return len(u) == 2 && u[0] == 0 && u[1] == 0 }

// onAwareness applies an awareness update to the room's state and relays it
// to everyone, the sender included (so a lone y-websocket client hears
// something before its 30 s silence timeout, as with y-websocket's server).
func (r *room) onAwareness(c *client, frame, update []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.closed.Load() {
		return
	}
	ch, ok := r.aw.apply(update, time.Now())
	if !ok || ch.empty() {
		return
	}
	if c.awIDs == nil {
		c.awIDs = map[uint64]struct{}{}
	}
	for _, l := range [][]uint64{ch.added, ch.updated} {
		for _, id := range l {
			c.awIDs[id] = struct{}{}
		}
	}
	for _, id := range ch.removed {
		delete(c.awIDs, id)
	}
	for _, o := range r.clients {
		o.send(frame)
	}
	if cl := r.h.cl; cl != nil {
		cl.forwardAwareness(r.key, frame)
	}
}

// onQueryAwareness answers y-protocols' message 3 with every known state.
func (r *room) onQueryAwareness(c *client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.send(yproto.AwarenessFrame(r.aw.encode(r.aw.clients())))
}

// markDirtyLocked records an edit by user uid (u when known) and arms the
// writeback timer.
func (r *room) markDirtyLocked(uid int64, u *civicpress.User) {
	now := time.Now()
	if !r.dirty {
		r.dirty = true
		r.firstDirty = now
		r.maxDelay = spreadDelay(r.h.cfg.WritebackMaxDelay)
	}
	r.lastEdit = now
	r.updates++
	if uid != 0 && (u != nil || r.contributors[uid] == nil) {
		r.contributors[uid] = u
	}
	max := r.h.cfg.SnapshotMaxUpdates
	switch {
	case !r.wbArmed && !r.destroyed:
		r.wbArmed = true
		d := r.h.cfg.WritebackDelay
		if max > 0 && r.updates >= max {
			d = 0
		}
		if r.wbTimer == nil {
			r.wbTimer = time.AfterFunc(d, r.wbFire)
		} else {
			r.wbTimer.Reset(d)
		}
	case max > 0 && r.updates == max && r.wbTimer != nil:
		r.wbTimer.Reset(0)
	}
}

// spreadDelay returns a cap between three quarters of max and max, drawn
// afresh each round: rooms whose edits started together (everyone opening
// the agenda as a meeting starts) would otherwise fall due together every
// max, round after round, and queue hundreds of writebacks at once.
func spreadDelay(max time.Duration) time.Duration {
	if max < 4 {
		return max
	}
	return max - rand.N(max/4)
}

// wbFire runs when the writeback timer fires: it writes back when the room
// has been quiet for WritebackDelay, edits have waited WritebackMaxDelay, or
// max_updates accumulated; otherwise it re-arms for that moment.
func (r *room) wbFire() {
	r.mu.Lock()
	if !r.dirty || r.destroyed {
		r.wbArmed = false
		r.mu.Unlock()
		return
	}
	now := time.Now()
	due := r.lastEdit.Add(r.h.cfg.WritebackDelay)
	if cap := r.firstDirty.Add(r.maxDelay); cap.Before(due) {
		due = cap
	}
	if max := r.h.cfg.SnapshotMaxUpdates; max > 0 && r.updates >= max {
		due = now
	}
	if now.Before(due) {
		r.wbTimer.Reset(due.Sub(now))
		r.mu.Unlock()
		return
	}
	r.wbArmed = false
	r.mu.Unlock()
	r.h.queueWriteback(r)
}

// flushResult says what a writeback did.
type flushResult struct {
	Snapshot *civicpress.Snapshot // the snapshot written, if any
	Draft    bool                 // the draft was saved
}

// flush writes the room back when it has unsaved edits: a snapshot of the
// Yjs state and the Markdown as the record's draft. A failed step leaves
// the room dirty so a later pass retries. With the update log, only the
// room's writer (lease) writes back; another node holding the room waits
// until the writer's writeback covers its own updates (or takes over when
// the writer stops), and the snapshot compacts the log.
func (r *room) flush(ctx context.Context, why string) (flushResult, error) {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	var res flushResult
	r.mu.Lock()
	if !r.dirty || r.doc == nil {
		r.mu.Unlock()
		return res, nil
	}
	r.mu.Unlock()
	cl := r.h.cl
	if cl != nil {
		// Updates accepted before now are part of this writeback.
		cl.barrier(ctx)
		writer, lease, err := r.ensureWriter(ctx)
		if err != nil {
			r.retryLater()
			return res, fmt.Errorf("realtime: writer lease of %s: %w", r.key, err)
		}
		if !writer {
			r.mu.Lock()
			if lease.WrittenThrough >= r.ownSeq {
				// The writer's last writeback includes everything this node
				// logged: nothing is ours to write.
				r.dirty, r.updates = false, 0
				clear(r.contributors)
			} else {
				r.armLocked(r.h.cfg.WritebackMaxDelay)
			}
			r.mu.Unlock()
			return res, nil
		}
	}
	r.mu.Lock()
	blob, err := r.doc.EncodeStateAsUpdate(nil)
	md, mdErr := docMarkdown(r.doc)
	var covered int64
	if cl != nil {
		// Every logged update through the watermark is in the document
		// (updates are applied under r.mu, the watermark moves after).
		covered = cl.watermark()
	}
	checkBase := r.checkBase
	r.checkBase = false
	ids := make([]int64, 0, len(r.contributors))
	known := map[int64]*civicpress.User{}
	for id, u := range r.contributors {
		ids = append(ids, id)
		known[id] = u
	}
	clear(r.contributors)
	r.dirty, r.updates = false, 0
	r.mu.Unlock()
	contributors := r.resolveUsers(ctx, ids, known)

	failed := false
	data := func(extra ...any) map[string]any {
		m := map[string]any{"roomId": r.key, "recordId": r.recordID, "reason": why, "timestamp": time.Now().UnixMilli()}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	if checkBase && mdErr == nil {
		// After a takeover or a publish: no new draft when the record
		// already holds this text.
		if rec, lerr := r.h.recs.Load(ctx, r.recordID); lerr == nil &&
			((rec.HasDraft && rec.DraftBody == md) || (!rec.HasDraft && rec.HasPublished && rec.PublishedBody == md)) {
			if cl != nil {
				r.h.core.RealtimeLog().MarkWritten(ctx, r.key, r.h.node, covered)
			}
			return res, nil
		}
	}
	if err == nil && r.h.cfg.SnapshotsEnabled && r.h.snap != nil {
		var sn civicpress.Snapshot
		var pruned []civicpress.Snapshot
		var serr error
		if cl != nil {
			sn, pruned, _, serr = r.h.core.Snapshots().SaveAndCompact(ctx, r.key, blob, r.compacted)
		} else {
			sn, pruned, serr = r.h.snap.Save(ctx, r.key, blob)
		}
		if serr != nil {
			failed = true
			err = serr
			r.h.log.Error("realtime: saving snapshot", "room", r.key, "err", serr)
			r.h.publish(civicpress.EventRealtimeSnapshotFailed, data("stage", "persist", "error", serr.Error()), nil)
		} else {
			res.Snapshot = &sn
			if cl != nil {
				r.compacted = covered
			}
			r.h.publish(civicpress.EventRealtimeSnapshotWritten, data("version", sn.Version, "byteSize", sn.ByteSize), nil)
			for _, p := range pruned {
				r.h.publish(civicpress.EventRealtimeSnapshotPruned, data("version", p.Version, "keep", civicpress.SnapshotsKept), nil)
			}
		}
	}
	switch {
	case mdErr != nil:
		failed = true
		err = mdErr
		r.h.publish(civicpress.EventRealtimeWritebackFailed, data("stage", "serialize", "error", mdErr.Error()), nil)
	default:
		if derr := r.h.recs.SaveDraft(ctx, r.recordID, md, contributors); derr != nil {
			failed = true
			err = derr
			r.h.log.Error("realtime: writing the draft", "room", r.key, "err", derr)
			r.h.publish(civicpress.EventRealtimeWritebackFailed, data("stage", "draft", "error", derr.Error()), nil)
		} else {
			res.Draft = true
			ids := make([]int64, len(contributors))
			for i, u := range contributors {
				ids[i] = u.ID
			}
			r.h.publish(civicpress.EventRealtimeWritebackDone, data("bytes", len(md), "contributors", ids), nil)
		}
	}
	if failed {
		r.mu.Lock()
		if !r.dirty {
			r.dirty = true
			r.firstDirty = time.Now()
			r.lastEdit = r.firstDirty
			r.maxDelay = spreadDelay(r.h.cfg.WritebackMaxDelay)
		}
		r.checkBase = r.checkBase || checkBase
		for _, u := range contributors {
			r.contributors[u.ID] = u
		}
		r.armLocked(r.h.cfg.WritebackMaxDelay)
		r.mu.Unlock()
		return res, err
	}
	if cl != nil {
		if _, merr := r.h.core.RealtimeLog().MarkWritten(ctx, r.key, r.h.node, covered); merr != nil {
			r.h.log.Warn("realtime: recording a writeback", "room", r.key, "err", merr)
		}
	}
	return res, nil
}

// retryLater keeps the room dirty and tries the writeback again later.
func (r *room) retryLater() {
	r.mu.Lock()
	r.armLocked(r.h.cfg.WritebackMaxDelay)
	r.mu.Unlock()
}

// armLocked arms the writeback timer for d unless it is armed already.
func (r *room) armLocked(d time.Duration) {
	if r.wbArmed || r.destroyed {
		return
	}
	r.wbArmed = true
	if r.wbTimer == nil {
		r.wbTimer = time.AfterFunc(d, r.wbFire)
	} else {
		r.wbTimer.Reset(d)
	}
}

// resolveUsers returns the contributors, looking up those known by id
// only (edits made through another node).
func (r *room) resolveUsers(ctx context.Context, ids []int64, known map[int64]*civicpress.User) []*civicpress.User {
	out := make([]*civicpress.User, 0, len(ids))
	for _, id := range ids {
		u := known[id]
		if u == nil && r.h.core != nil {
			if got, err := r.h.core.Users().Get(ctx, civicpress.System, id); err == nil {
				u = got
			}
		}
		if u != nil {
			out = append(out, u)
		}
	}
	return out
}

// docMarkdown serializes the editor fragment; a document whose "default"
// root is not an XmlFragment cannot be serialized (it is reported, not a
// panic).
func docMarkdown(doc *yjs.Doc) (md string, err error) {
	if k, ok := doc.RootKind(pmdoc.Fragment); ok && k != yjs.KindXmlFragment && k != yjs.KindAbstract {
		return "", fmt.Errorf("realtime: root %q is not an XmlFragment", pmdoc.Fragment)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("realtime: serializing the document: %v", p)
		}
	}()
	return pmdoc.DocumentToMarkdown(doc), nil
}

// startGrace starts the eviction countdown of an empty room.
func (r *room) startGrace() {
	if r.h.shuttingDown.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.destroyed {
		return
	}
	if r.graceTimer != nil {
		r.graceTimer.Stop()
	}
	d := r.h.cfg.GracePeriod
	if d < 0 {
		d = 0
	}
	r.graceTimer = time.AfterFunc(d, r.finalize)
}

// cancelGrace stops the countdown (a client is joining).
func (r *room) cancelGrace() {
	r.mu.Lock()
	if r.graceTimer != nil {
		r.graceTimer.Stop()
	}
	r.mu.Unlock()
}

func (r *room) stopTimers() {
	r.mu.Lock()
	if r.graceTimer != nil {
		r.graceTimer.Stop()
	}
	if r.wbTimer != nil {
		r.wbTimer.Stop()
	}
	r.wbArmed = false
	r.mu.Unlock()
}

// finalize writes an empty room back and evicts it, unless someone joined
// meanwhile or the writeback failed (then it tries again later).
func (r *room) finalize() {
	<-r.ready
	if r.readyErr != nil {
		return
	}
	ctx, cancel := waitCtx(time.Minute)
	defer cancel()
	_, err := r.flush(ctx, "grace")
	r.h.mu.Lock()
	r.mu.Lock()
	evict := r.joining == 0 && len(r.clients) == 0 && !r.dirty && !r.destroyed
	if evict {
		r.destroyed = true
		if r.wbTimer != nil {
			r.wbTimer.Stop()
		}
		if r.h.rooms[r.key] == r {
			delete(r.h.rooms, r.key)
		}
	}
	retry := !evict && err != nil && len(r.clients) == 0 && r.joining == 0
	r.mu.Unlock()
	r.h.mu.Unlock()
	if evict {
		r.releaseLease(ctx)
		r.h.publish(civicpress.EventRealtimeRoomDestroyed, map[string]any{"roomId": r.key, "recordId": r.recordID,
			"timestamp": time.Now().UnixMilli()}, nil)
	} else if retry {
		r.startGrace()
	}
}
