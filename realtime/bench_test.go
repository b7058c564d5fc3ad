package realtime

import (
	"context"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
)

// benchRoom returns a hydrated room with an editor and two other seated
// clients (no sockets: frames they are sent are dropped), and typing
// updates made against the room's document.
func benchRoom(b *testing.B, n int) (*Hub, *client, [][]byte, [][]byte) {
	h := &Hub{cfg: testConfig(), log: quiet, rooms: map[string]*room{}, clients: map[*client]struct{}{},
		byUser: map[int64]map[*client]struct{}{}, byIP: map[string]int{}}
	h.cfg.WritebackDelay, h.cfg.WritebackMaxDelay = time.Hour, time.Hour
	h.recs = &fakeRecords{recs: map[string]*recordInfo{}}
	doc, lineage, err := seedDoc("records:b", "# Bench\n\nA paragraph of seeded text.")
	if err != nil {
		b.Fatal(err)
	}
	r := newRoom(h, "records:b", &recordInfo{ID: "b", Type: "bylaw"})
	r.doc, r.lineage, r.aw = doc, lineage, newPresence()
	close(r.ready)
	ed := &client{h: h, id: "ed", room: r, sync: syncDone}
	ed.canEdit.Store(true)
	r.clients = []*client{ed, {h: h, id: "o1", room: r, sync: syncDone}, {h: h, id: "o2", room: r, sync: syncDone}}
	b.Cleanup(r.stopTimers)

	// A typist's document: a copy of the room's, plus a paragraph.
	st, _ := doc.EncodeStateAsUpdate(nil)
	typist, text, u0 := newTypist(st)
	updates := [][]byte{yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: u0})}
	var aware [][]byte
	for i := range n {
		u, _ := typist.Transact(nil, func(tx *yjs.Txn) error { return text.Insert(tx, i, "x", nil) })
		updates = append(updates, yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: u}))
		aware = append(aware, yproto.AwarenessFrame(yproto.EncodeAwarenessUpdate([]yproto.AwarenessEntry{
			{Client: 77, Clock: uint64(i + 1), State: map[string]any{"user": map[string]any{"name": "clerk"}, "cursor": map[string]any{"anchor": i, "head": i}}}})))
	}
	return h, ed, updates, aware
}

// BenchmarkTypingUpdate is one keystroke through the hub: decode, apply to
// the room's document, relay to the room.
func BenchmarkTypingUpdate(b *testing.B) {
	h, ed, updates, _ := benchRoom(b, b.N)
	h.handleFrame(ed, updates[0])
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		h.handleFrame(ed, updates[i+1])
	}
}

// BenchmarkCursorAwareness is one cursor move through the hub. The moves
// come from a pool of 1,024 (clocks 1 to 1,024): the room's presence is
// reset after each pass so that every move is newer than the last.
func BenchmarkCursorAwareness(b *testing.B) {
	h, ed, _, aware := benchRoom(b, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%len(aware) == 0 {
			ed.room.aw = newPresence()
		}
		h.handleFrame(ed, aware[i%len(aware)])
	}
}

// BenchmarkLoggedTypingUpdate is a keystroke through a hub with the update
// log on (SQLite, a real core): queued, group-committed, applied, relayed.
// Updates are sent in bursts of 16 (many typists at once) and the time
// includes waiting for them to be relayed.
func BenchmarkLoggedTypingUpdate(b *testing.B) {
	core := openCore(b, b.TempDir())
	h, err := newHub(core, testConfig(), &fakeRecords{recs: map[string]*recordInfo{}}, coreSnapshots{core})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Shutdown(context.Background()) })
	_, ed, updates, _ := benchRoom(b, b.N)
	// Move the bench room onto the logging hub.
	r := ed.room
	r.h, ed.h = h, h
	for _, c := range r.clients {
		c.h = h
	}
	h.rooms[r.key] = r
	ed.u.Store(&civicpress.User{ID: 1, Username: "ed"})
	h.handleFrame(ed, updates[0])
	for h.cl.appended.Load() < 1 {
		time.Sleep(10 * time.Microsecond)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 16 {
		n := min(i+16, b.N)
		for j := i; j < n; j++ {
			h.handleFrame(ed, updates[j+1])
		}
		for h.cl.appended.Load() < int64(n+1) {
			time.Sleep(10 * time.Microsecond)
		}
	}
}

// BenchmarkWriteback is one room's writeback on a real core (SQLite, no
// update log): Markdown, snapshot and draft for a room with one new
// keystroke each time. The context is the writeback worker's.
func BenchmarkWriteback(b *testing.B) {
	core := openCore(b, b.TempDir())
	cfg := testConfig()
	cfg.Cluster = ClusterOff
	cfg.WritebackDelay, cfg.WritebackMaxDelay = time.Hour, time.Hour
	h, err := newHub(core, cfg, coreRecords{core}, coreSnapshots{core})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Shutdown(context.Background()) })
	ctx := context.Background()
	title, typ, body := "Bench", "bylaw", "# Bench\n\nA paragraph of seeded text."
	d, err := core.Records().CreateDraft(ctx, civicpress.System, civicpress.Changes{Title: &title, Type: &typ, Body: &body})
	if err != nil {
		b.Fatal(err)
	}
	rec, err := h.recs.Load(ctx, d.ID)
	if err != nil {
		b.Fatal(err)
	}
	r := newRoom(h, roomKey(d.ID), rec)
	r.hydrate(rec)
	if r.readyErr != nil {
		b.Fatal(r.readyErr)
	}
	b.Cleanup(r.stopTimers)
	u := &civicpress.User{ID: 1, Username: "ed"}
	st, _ := r.doc.EncodeStateAsUpdate(nil)
	typist, text, u0 := newTypist(st)
	r.doc.ApplyUpdate(u0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		up, _ := typist.Transact(nil, func(tx *yjs.Txn) error { return text.Insert(tx, i, "x", nil) })
		r.mu.Lock()
		r.doc.ApplyUpdate(up)
		r.markDirtyLocked(u.ID, u)
		r.mu.Unlock()
		if _, err := h.writebackOne(r); err != nil {
			b.Fatal(err)
		}
	}
}

// newTypist is a client's copy of a room's document (its state st) with a
// paragraph of its own to type into; u0 is the update adding the paragraph.
func newTypist(st []byte) (typist *yjs.Doc, text yjs.XmlText, u0 []byte) {
	typist = yjs.NewDoc(yjs.Options{ClientID: 77})
	typist.ApplyUpdate(st)
	frag := typist.XmlFragment("default")
	u0, _ = typist.Transact(nil, func(tx *yjs.Txn) error {
		p := yjs.NewXmlElement("paragraph")
		text = yjs.NewXmlText()
		if err := frag.Insert(tx, frag.Len(), p); err != nil {
			return err
		}
		return p.Insert(tx, 0, text)
	})
	return typist, text, u0
}
