package realtime

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
)

// Timing of the node registry and the writer leases: heartbeats (which
// renew the leases) every fifth of Config.WriterLease; a writer writes
// back only with two fifths of its lease left, so that a writer paused
// for longer than that does not write after losing the lease.
func (h *Hub) heartbeatEvery() time.Duration { return h.cfg.WriterLease / 5 }
func (h *Hub) leaseMargin() time.Duration    { return 2 * h.cfg.WriterLease / 5 }

const (
	// sqlitePoll is how often a node on SQLite reads the log while other
	// nodes are alive (SQLite has no NOTIFY).
	sqlitePoll = 15 * time.Millisecond
	// idlePoll is the safety-net read of the log (missed notifications).
	idlePoll = time.Second
	// maxBatch bounds one group commit.
	maxBatch = 1000
	// maxLogQueue bounds updates waiting for the database; beyond it the
	// sender is closed (it resends its state when it reconnects).
	maxLogQueue = 64 << 20
	// notifyMax keeps an awareness NOTIFY payload under PostgreSQL's 8000 bytes.
	notifyMax = 7000
)

// cluster shares a hub's rooms with other nodes through the database's
// update log: every document update is appended (group commit) before it
// is applied to the room's document and relayed, and updates other nodes
// appended are read back (after a cursor) and applied and relayed here.
type cluster struct {
	h       *Hub
	log     *civicpress.RealtimeLog
	node    string
	channel string
	pg      bool

	qmu     sync.Mutex
	queue   []logItem
	qBytes  int
	closing bool
	qWake   chan struct{}
	qDone   chan struct{}

	cmu        sync.Mutex
	cursor     int64        // every logged update with seq ≤ cursor is in the open rooms' documents
	ownApplied atomic.Int64 // highest seq this node appended and applied
	tailBlock  atomic.Bool  // the tailer waits for ownApplied to catch up
	tailWake   chan struct{}
	dbOK       atomic.Bool

	appended, commits, remote atomic.Int64 // for Health

	// queued counts updates ever enqueued, processed those the committer
	// has logged and applied (see barrier).
	queued    int64 // under qmu
	processed atomic.Int64

	ctx context.Context // ends when the node stops

	awmu   sync.Mutex
	awq    []awItem
	awSize int
	awWake chan struct{}
	awIn   chan string

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// logItem is a client's update waiting to be logged.
type logItem struct {
	r      *room
	from   *client
	frame  []byte // the frame as received, when it is an update frame
	update []byte
	user   *civicpress.User
	// applied: the update is in the room's document and relayed to this
	// node's clients already (Config.RelayAfterCommit off).
	applied bool
}

type awItem struct {
	room  string
	frame []byte
}

func newNodeID(cfg Config) string {
	if cfg.NodeID != "" {
		return cfg.NodeID
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "node"
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// startNode registers the hub in the node registry (so the snapshot
// endpoint of other processes knows a hub runs) and, with the update log
// on, starts sharing rooms. It returns once the hub listens for other
// nodes' notifications.
func (h *Hub) startNode() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rl := h.core.RealtimeLog()
	if err := rl.Heartbeat(ctx, h.node, h.nodeInfo()); err != nil {
		return fmt.Errorf("realtime: node registry: %w", err)
	}
	h.countPeers(ctx)
	on := h.cfg.Cluster == ClusterOn || (h.cfg.Cluster == ClusterAuto && rl.Postgres())
	if !on {
		return nil
	}
	if !h.cfg.SnapshotsEnabled {
		h.log.Warn("realtime: cluster needs snapshots (the update log compacts into them): rooms stay in memory, one node only")
		return nil
	}
	cl := &cluster{h: h, log: rl, node: h.node, pg: rl.Postgres(), qWake: make(chan struct{}, 1), qDone: make(chan struct{}),
		tailWake: make(chan struct{}, 1), awWake: make(chan struct{}, 1), awIn: make(chan string, 4096)}
	cl.dbOK.Store(true)
	var err error
	if cl.channel, err = rl.Channel(ctx); err != nil {
		return fmt.Errorf("realtime: %w", err)
	}
	if cl.cursor, err = rl.Last(ctx); err != nil {
		return fmt.Errorf("realtime: %w", err)
	}
	cl.ownApplied.Store(cl.cursor)
	lctx, lcancel := context.WithCancel(context.Background())
	cl.ctx, cl.cancel = lctx, lcancel
	if cl.pg {
		listening := make(chan struct{})
		cl.wg.Add(2)
		go func() { defer cl.wg.Done(); rl.Listen(lctx, cl.channel, func() { close(listening) }, cl.onNotice) }()
		go func() { defer cl.wg.Done(); cl.awarenessLoop(lctx) }()
		select {
		case <-listening:
		case <-ctx.Done():
			lcancel()
			return fmt.Errorf("realtime: listening for other nodes: %w", ctx.Err())
		}
	}
	cl.wg.Add(1)
	go func() { defer cl.wg.Done(); cl.tailLoop(lctx) }()
	go cl.commitLoop()
	h.cl = cl
	return nil
}

func (h *Hub) nodeInfo() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("host=%s pid=%d addr=%s", host, os.Getpid(), h.cfg.ListenAddr())
}

// nodeLoop keeps the registration alive, counts peers and renews (or
// takes over) writer leases.
func (h *Hub) nodeLoop(ctx context.Context) {
	t := time.NewTicker(h.heartbeatEvery())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.heartbeat(ctx)
		}
	}
}

func (h *Hub) heartbeat(ctx context.Context) {
	rl := h.core.RealtimeLog()
	hctx, cancel := context.WithTimeout(ctx, h.heartbeatEvery())
	defer cancel()
	if err := rl.Heartbeat(hctx, h.node, h.nodeInfo()); err != nil {
		h.log.Warn("realtime: node heartbeat", "err", err)
		return
	}
	h.countPeers(hctx)
	if h.cl == nil {
		if p := h.peers.Load(); p > 0 && !h.warnedAlone {
			h.warnedAlone = true
			h.log.Error("realtime: other realtime nodes use this database but this one does not share rooms (cluster off): "+
				"clients of one record on different nodes will not see each other's edits; set cluster.enabled: true on every node",
				"peers", p)
		}
		return
	}
	held, err := rl.Renew(hctx, h.node, h.cfg.WriterLease)
	if err != nil {
		h.log.Warn("realtime: renewing writer leases", "err", err)
		return
	}
	until := time.Now().Add(h.cfg.WriterLease)
	holds := map[string]bool{}
	for _, k := range held {
		holds[k] = true
	}
	for _, r := range h.allRooms() {
		r.mu.Lock()
		if holds[r.key] {
			r.leaseUntil = until
		} else {
			r.leaseUntil = time.Time{}
		}
		r.mu.Unlock()
	}
	// Rooms whose writer stopped renewing (killed, cut off): a node that has
	// the room open takes over and writes it back.
	expired, err := rl.Expired(hctx)
	if err != nil {
		return
	}
	for _, l := range expired {
		h.mu.Lock()
		r := h.rooms[l.RoomID]
		h.mu.Unlock()
		if r == nil || !r.isReady() {
			continue
		}
		if ok, _, err := r.ensureWriter(hctx); err == nil && ok {
			h.log.Info("realtime: took over writing a room from a node that stopped", "room", r.key, "from", l.Writer)
			h.queueWriteback(r)
		}
	}
}

func (h *Hub) countPeers(ctx context.Context) {
	nodes, err := h.core.RealtimeLog().Nodes(ctx)
	if err != nil {
		return
	}
	peers := 0
	for _, n := range nodes {
		if n.ID != h.node {
			peers++
		}
	}
	h.peers.Store(int32(peers))
}

// drain finishes the node's work: queued updates are committed first
// (so the rooms' final writeback includes them); leases and the
// registration are released after the rooms are written back (see
// Hub.shutdown).
func (cl *cluster) drain(ctx context.Context) {
	cl.qmu.Lock()
	cl.closing = true
	cl.qmu.Unlock()
	select {
	case cl.qWake <- struct{}{}:
	default:
	}
	select {
	case <-cl.qDone:
	case <-ctx.Done():
	}
}

func (cl *cluster) stop() {
	cl.cancel()
	cl.wg.Wait()
}

// barrier waits until every update queued before the call is logged and
// applied (a writeback then includes them), or ctx ends.
func (cl *cluster) barrier(ctx context.Context) {
	cl.qmu.Lock()
	target := cl.queued
	cl.qmu.Unlock()
	for cl.processed.Load() < target {
		select {
		case <-ctx.Done():
			return
		case <-cl.ctx.Done():
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// enqueue hands a client's update to the group committer; the update is
// applied and relayed once it is in the log.
func (cl *cluster) enqueue(it logItem) bool {
	cl.qmu.Lock()
	if cl.closing || cl.qBytes+len(it.update) > maxLogQueue {
		cl.qmu.Unlock()
		return false
	}
	cl.queue = append(cl.queue, it)
	cl.qBytes += len(it.update)
	cl.queued++
	cl.qmu.Unlock()
	select {
	case cl.qWake <- struct{}{}:
	default:
	}
	return true
}

// take waits for queued updates and returns up to maxBatch of them; nil
// when the node is closing and nothing is left.
func (cl *cluster) take() []logItem {
	for {
		cl.qmu.Lock()
		if len(cl.queue) > 0 {
			batch := cl.takeLocked(nil)
			cl.qmu.Unlock()
			return batch
		}
		closing := cl.closing
		cl.qmu.Unlock()
		if closing {
			return nil
		}
		<-cl.qWake
	}
}

// takeLocked moves queued updates onto batch, up to maxBatch in all.
func (cl *cluster) takeLocked(batch []logItem) []logItem {
	n := min(len(cl.queue), maxBatch-len(batch))
	for _, it := range cl.queue[:n] {
		cl.qBytes -= len(it.update)
	}
	batch = append(batch, cl.queue[:n]...)
	clear(cl.queue[:n])
	cl.queue = cl.queue[n:]
	if len(cl.queue) == 0 {
		cl.queue = nil
	}
	return batch
}

// linger is how long the committer waits for more updates before a small
// commit when nobody waits for it: no other node is alive and this node's
// clients got the updates already (relay_after_commit off), so only
// durability waits, and a few more keystrokes per transaction save the
// database work. With other nodes alive their clients wait for the
// commit: no linger (measured: +1.5 ms cross-node p50 for a 1 ms linger).
func (cl *cluster) linger() time.Duration {
	if cl.h.cfg.RelayAfterCommit || cl.h.peers.Load() > 0 {
		return 0
	}
	return 5 * time.Millisecond
}

// commitLoop is the group committer: whatever queued while one commit ran
// goes into the next, so the log costs one transaction per batch, not per
// keystroke.
func (cl *cluster) commitLoop() {
	defer close(cl.qDone)
	for {
		batch := cl.take()
		if batch == nil {
			return
		}
		if d := cl.linger(); d > 0 && len(batch) < maxBatch/4 {
			select {
			case <-time.After(d):
			case <-cl.ctx.Done():
			}
			cl.qmu.Lock()
			batch = cl.takeLocked(batch)
			cl.qmu.Unlock()
		}
		ups := make([]civicpress.LoggedUpdate, len(batch))
		for i, it := range batch {
			ups[i] = civicpress.LoggedUpdate{RoomID: it.r.key, Data: it.update}
			if it.user != nil {
				ups[i].UserID = it.user.ID
			}
		}
		backoff := 50 * time.Millisecond
		var seqs []int64
		for {
			ctx, cancel := context.WithTimeout(cl.ctx, 30*time.Second)
			var err error
			seqs, err = cl.log.Append(ctx, cl.node, ups, cl.channel, "u|"+cl.node)
			cancel()
			if err == nil && len(seqs) == len(batch) {
				break
			}
			if err == nil {
				err = fmt.Errorf("realtime: %d updates logged, %d returned", len(batch), len(seqs))
			}
			// Nothing is relayed that is not in the log: wait for the database.
			if cl.dbOK.Swap(false) {
				cl.h.log.Error("realtime: appending to the update log; holding updates until the database answers", "err", err)
			}
			select {
			case <-cl.ctx.Done():
				// The hub stopped without the database: these updates are
				// in no log (their authors resend them when they reconnect).
				cl.h.log.Error("realtime: stopped with updates not logged", "updates", len(batch))
				cl.processed.Add(int64(len(batch)))
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
		}
		if !cl.dbOK.Swap(true) {
			cl.h.log.Info("realtime: update log writable again")
		}
		cl.appended.Add(int64(len(batch)))
		cl.commits.Add(1)
		last := seqs[len(seqs)-1]
		for _, it := range batch {
			it.r.applyLogged(it, last)
		}
		cl.processed.Add(int64(len(batch)))
		cl.ownApplied.Store(last)
		cl.cmu.Lock()
		contiguous := seqs[0] == cl.cursor+1 && last-seqs[0] == int64(len(seqs)-1)
		if contiguous {
			cl.cursor = last
		}
		cl.cmu.Unlock()
		if !contiguous || cl.tailBlock.Load() {
			cl.wakeTail()
		}
	}
}

func (cl *cluster) wakeTail() {
	select {
	case cl.tailWake <- struct{}{}:
	default:
	}
}

func (cl *cluster) watermark() int64 {
	cl.cmu.Lock()
	defer cl.cmu.Unlock()
	return cl.cursor
}

// tailLoop reads updates other nodes appended: on PostgreSQL when their
// NOTIFY arrives, on SQLite by polling while other nodes are alive; a
// slow safety-net read runs either way.
func (cl *cluster) tailLoop(ctx context.Context) {
	timer := time.NewTimer(idlePoll)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cl.tailWake:
		case <-timer.C:
		}
		cl.pass(ctx)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		d := idlePoll
		if !cl.pg && cl.h.peers.Load() > 0 {
			d = sqlitePoll
		}
		if cl.tailBlock.Load() {
			d = min(d, 5*time.Millisecond)
		}
		timer.Reset(d)
	}
}

// pass applies every update after the cursor to the open rooms.
func (cl *cluster) pass(ctx context.Context) {
	const limit = 1000
	for ctx.Err() == nil {
		after := cl.watermark()
		rows, err := cl.log.After(ctx, after, cl.node, limit)
		if err != nil {
			if ctx.Err() == nil {
				cl.h.log.Warn("realtime: reading the update log", "err", err)
			}
			return
		}
		// Room lookups under one hold of the hub's lock; a room opened
		// after this reads these rows itself when it hydrates.
		rooms := map[string]*room{}
		cl.h.mu.Lock()
		for _, u := range rows {
			if u.NodeID != cl.node {
				if r := cl.h.rooms[u.RoomID]; r != nil {
					rooms[u.RoomID] = r
				}
			}
		}
		cl.h.mu.Unlock()
		last, blocked := after, false
		for _, u := range rows {
			if u.NodeID == cl.node {
				// Our own update: applied by the committer once committed.
				// Not yet? Then stop here so the cursor never passes it.
				if u.Seq > cl.ownApplied.Load() {
					blocked = true
					break
				}
			} else if r := rooms[u.RoomID]; r != nil {
				r.applyRemote(u)
				cl.remote.Add(1)
			}
			last = u.Seq
		}
		cl.cmu.Lock()
		if last > cl.cursor {
			cl.cursor = last
		}
		cl.cmu.Unlock()
		cl.tailBlock.Store(blocked)
		if blocked || len(rows) < limit {
			return
		}
	}
}

// onNotice handles a NOTIFY payload: "u|<node>" (node appended updates),
// "a|<node>|<base64>" (awareness frames), "" (the listener reconnected).
func (cl *cluster) onNotice(p string) {
	switch {
	case p == "":
		cl.wakeTail()
	case strings.HasPrefix(p, "u|"):
		if p[2:] != cl.node {
			cl.wakeTail()
		}
	case strings.HasPrefix(p, "a|"):
		rest := p[2:]
		i := strings.IndexByte(rest, '|')
		if i < 0 || rest[:i] == cl.node {
			return
		}
		select {
		case cl.awIn <- rest[i+1:]:
		default: // presence is best effort: a burst beyond the buffer is dropped
		}
	}
}

// forwardAwareness sends a local client's awareness frame to the other
// nodes (PostgreSQL, while peers are alive). Presence is not logged: it
// is ephemeral, and a node that misses a frame gets the next one.
func (cl *cluster) forwardAwareness(room string, frame []byte) {
	if !cl.pg || cl.h.peers.Load() == 0 {
		return
	}
	cl.awmu.Lock()
	if cl.awSize > 4<<20 {
		cl.awmu.Unlock()
		return
	}
	cl.awq = append(cl.awq, awItem{room, frame})
	cl.awSize += len(room) + len(frame)
	cl.awmu.Unlock()
	select {
	case cl.awWake <- struct{}{}:
	default:
	}
}

func (cl *cluster) awarenessLoop(ctx context.Context) {
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case p := <-cl.awIn:
				cl.applyRemoteAwareness(p)
			}
		}
	}()
	prefix := "a|" + cl.node + "|"
	var enc lib0.Encoder
	for {
		select {
		case <-ctx.Done():
			return
		case <-cl.awWake:
		}
		cl.awmu.Lock()
		q := cl.awq
		cl.awq, cl.awSize = nil, 0
		cl.awmu.Unlock()
		enc.Reset()
		flush := func() {
			if len(enc.Buf) == 0 {
				return
			}
			payload := prefix + base64.StdEncoding.EncodeToString(enc.Buf)
			nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := cl.log.Notify(nctx, cl.channel, payload); err != nil && ctx.Err() == nil {
				cl.h.log.Debug("realtime: forwarding awareness", "err", err)
			}
			cancel()
			enc.Reset()
		}
		for _, it := range q {
			if base64.StdEncoding.EncodedLen(len(enc.Buf)+len(it.room)+len(it.frame)+10)+len(prefix) > notifyMax {
				flush()
			}
			if base64.StdEncoding.EncodedLen(len(it.room)+len(it.frame)+10)+len(prefix) > notifyMax {
				continue // a state too large for a notification is not shared
			}
			enc.WriteVarString(it.room)
			enc.WriteVarBytes(it.frame)
		}
		flush()
	}
}

func (cl *cluster) applyRemoteAwareness(p string) {
	b, err := base64.StdEncoding.DecodeString(p)
	if err != nil {
		return
	}
	d := lib0.NewDecoder(b)
	for d.HasContent() && d.Err() == nil {
		key := d.ReadVarString()
		frame := d.ReadVarBytes()
		if d.Err() != nil {
			return
		}
		cl.h.mu.Lock()
		r := cl.h.rooms[key]
		cl.h.mu.Unlock()
		if r != nil {
			r.onRemoteAwareness(frame)
		}
	}
}

// validUpdate reports whether update decodes (the log only takes updates
// every node can apply).
func validUpdate(update []byte) bool {
	_, err := yjs.EncodeStateVectorFromUpdate(update)
	return err == nil
}

// applyLogged applies and relays a client's update once it is in the log.
func (r *room) applyLogged(it logItem, seq int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.doc == nil {
		return
	}
	if seq > r.ownSeq {
		r.ownSeq = seq
	}
	if it.applied {
		return
	}
	changed, err := r.doc.ApplyUpdateOrigin(it.update, nil)
	if err != nil {
		r.h.log.Debug("realtime: logged update does not apply", "room", r.key, "err", err)
		if it.from != nil {
			it.from.sendControl(controlError("INVALID_YJS_UPDATE", "The update could not be applied"))
		}
		return
	}
	if !changed && !r.doc.HasPending() {
		return
	}
	out := it.frame
	if out == nil {
		out = yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: it.update})
	}
	for _, o := range r.clients {
		if o != it.from && o.sync == syncDone {
			o.send(out)
		}
	}
	if changed {
		var uid int64
		if it.user != nil {
			uid = it.user.ID
		}
		r.markDirtyLocked(uid, it.user)
	}
}

// applyRemote applies and relays an update another node logged (kept for
// later while the room is still loading).
func (r *room) applyRemote(u civicpress.LoggedUpdate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.destroyed {
		return
	}
	if r.doc == nil {
		r.early = append(r.early, u)
		return
	}
	r.applyRemoteLocked(u)
}

func (r *room) applyRemoteLocked(u civicpress.LoggedUpdate) {
	changed, err := r.doc.ApplyUpdateOrigin(u.Data, nil)
	if err != nil {
		r.h.log.Warn("realtime: an update from another node does not apply", "room", r.key, "seq", u.Seq, "node", u.NodeID, "err", err)
		return
	}
	if !changed && !r.doc.HasPending() {
		// Logged twice (a resend after a failover): nothing to show, but the
		// writer still records that its writeback covers it, or the node
		// that logged it would wait for that.
		if !r.dirty {
			r.checkBase = true
			r.markDirtyLocked(0, nil)
		}
		return
	}
	out := yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: u.Data})
	for _, o := range r.clients {
		if o.sync == syncDone {
			o.send(out)
		}
	}
	if changed {
		r.markDirtyLocked(u.UserID, nil)
	}
}

// onRemoteAwareness applies and relays another node's awareness frame.
func (r *room) onRemoteAwareness(frame []byte) {
	f, err := yproto.DecodeFrame(frame)
	if err != nil || f.Type != yproto.FrameAwareness {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.aw == nil || r.destroyed {
		return
	}
	ch, ok := r.aw.apply(f.Awareness, time.Now())
	if !ok || ch.empty() {
		return
	}
	for _, o := range r.clients {
		o.send(frame)
	}
}

// ensureWriter makes this node the room's writer when it can: it holds a
// lease with time left, or the lease is free or expired (then it claims
// it). Otherwise it returns the other writer's lease.
func (r *room) ensureWriter(ctx context.Context) (bool, civicpress.RoomLease, error) {
	r.mu.Lock()
	until := r.leaseUntil
	r.mu.Unlock()
	if time.Until(until) > r.h.leaseMargin() {
		return true, civicpress.RoomLease{}, nil
	}
	start := time.Now()
	ok, prev, err := r.h.core.RealtimeLog().Claim(ctx, r.key, r.h.node, r.h.cfg.WriterLease)
	if err != nil {
		return false, prev, err
	}
	if !ok {
		return false, prev, nil
	}
	r.mu.Lock()
	r.leaseUntil = start.Add(r.h.cfg.WriterLease)
	if prev.Writer != "" && prev.Writer != r.h.node {
		// Taken over from a node that stopped: what it last wrote is not
		// known here, so write back once (unless the record already has
		// this text).
		r.checkBase = true
		if !r.dirty {
			r.dirty = true
			r.firstDirty = time.Now()
			r.lastEdit = r.firstDirty
			r.maxDelay = spreadDelay(r.h.cfg.WritebackMaxDelay)
		}
	}
	r.mu.Unlock()
	return true, prev, nil
}

// releaseLease gives the room's lease up (the room is closing here).
func (r *room) releaseLease(ctx context.Context) {
	if r.h.cl == nil {
		return
	}
	r.mu.Lock()
	held := !r.leaseUntil.IsZero()
	r.leaseUntil = time.Time{}
	r.mu.Unlock()
	if held {
		if err := r.h.core.RealtimeLog().Release(ctx, r.key, r.h.node); err != nil {
			r.h.log.Warn("realtime: releasing a writer lease", "room", r.key, "err", err)
		}
	}
}

// NodeID names this hub in the node registry shared through the database
// ("" for a hub without a core).
func (h *Hub) NodeID() string { return h.node }
