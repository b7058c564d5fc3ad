package realtime

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/store"
	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
	"github.com/gorilla/websocket"
)

func hasEvent(evs []string, want string) bool { return slices.Contains(evs, want) }

func TestViewOnlyClientCannotChangeTheDocument(t *testing.T) {
	e := newEnv(t, nil)
	_, editorTok := e.user("clerk")
	_, viewerTok := e.user("public")
	ed := e.mustDial(editorTok, "bylaw-1", dialOpts{})
	v := e.mustDial(viewerTok, "bylaw-1", dialOpts{control: true})
	waitFor(t, wait, "sync", func() bool { return ed.isSynced() && v.isSynced() })
	v.appendParagraph("Vandalism.")
	v.appendParagraph("More vandalism.")
	v.setAwareness(4242, 1, map[string]any{"user": map[string]any{"name": "viewer"}})
	// The viewer's awareness reaches the editor; its edits reach nobody.
	waitFor(t, wait, "viewer awareness relayed", func() bool { _, ok := ed.awarenessStates()[4242]; return ok })
	ed.appendParagraph("Editor text.")
	waitFor(t, wait, "editor edit reaches viewer", func() bool { return strings.Contains(v.markdown(), "Editor text.") })
	md, _ := e.roomDoc("bylaw-1")
	if strings.Contains(md, "andalism") || strings.Contains(ed.markdown(), "andalism") {
		t.Fatalf("a view-only edit got through: %q", md)
	}
	errs := 0
	for _, ev := range v.controlEvents() {
		if ev == "error:READ_ONLY" {
			errs++
		}
	}
	if errs != 1 {
		t.Fatalf("READ_ONLY error frames: %d (%v)", errs, v.controlEvents())
	}
	if ack := v.controlEvents()[0]; ack != "connection.ack" {
		t.Fatalf("first control %q", ack)
	}
}

func TestArchivedRecordIsReadOnly(t *testing.T) {
	e := newEnv(t, nil)
	e.recs.put(&recordInfo{ID: "old-1", Type: "bylaw", Status: "archived", Archived: true, HasPublished: true, PublishedBody: "Old text."})
	_, tok := e.user("clerk")
	c := e.mustDial(tok, "old-1", dialOpts{control: true})
	waitFor(t, wait, "sync", c.isSynced)
	c.appendParagraph("Change.")
	waitFor(t, wait, "READ_ONLY", func() bool { return hasEvent(c.controlEvents(), "error:READ_ONLY") })
	if md, _ := e.roomDoc("old-1"); strings.Contains(md, "Change.") {
		t.Fatal("an archived record's document changed")
	}
	// Archiving a record with an open room turns it read-only too.
	d := e.mustDial(tok, "bylaw-1", dialOpts{control: true})
	waitFor(t, wait, "sync", d.isSynced)
	e.core.Events().Publish(civicpress.Event{Type: civicpress.EventRecordArchived, RecordID: "bylaw-1", RecordType: "bylaw"})
	waitFor(t, wait, "permissions.changed", func() bool { return hasEvent(d.controlEvents(), "permissions.changed") })
	d.appendParagraph("After archive.")
	waitFor(t, wait, "READ_ONLY", func() bool { return hasEvent(d.controlEvents(), "error:READ_ONLY") })
	if md, _ := e.roomDoc("bylaw-1"); strings.Contains(md, "After archive.") {
		t.Fatal("edit applied after archive")
	}
}

func TestAwarenessEchoedRelayedAndRemovedOnLeave(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	b := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", func() bool { return a.isSynced() && b.isSynced() })
	a.setAwareness(1001, 1, map[string]any{"cursor": 3})
	waitFor(t, wait, "echo to sender and relay", func() bool {
		_, sa := a.awarenessStates()[1001]
		_, sb := b.awarenessStates()[1001]
		return sa && sb
	})
	// A late joiner gets the known states on join.
	c := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "states on join", func() bool { _, ok := c.awarenessStates()[1001]; return ok })
	// An abrupt drop removes A's state for the others at once.
	a.conn.Close()
	waitFor(t, wait, "removal broadcast", func() bool {
		_, sb := b.awarenessStates()[1001]
		_, sc := c.awarenessStates()[1001]
		return !sb && !sc
	})
}

func TestFramesSentDuringSetupAreKept(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	// Step 1, an awareness update and an edit sent immediately on open.
	doc := yjs.NewDoc(yjs.Options{})
	c := e.mustDial(tok, "bylaw-1", dialOpts{raw: true, doc: doc})
	c.write(yproto.SyncFrame(yproto.Step1(doc)))
	c.setAwareness(77, 1, map[string]any{"name": "early"})
	b := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "answers to early frames", func() bool {
		_, ok := c.awarenessStates()[77]
		return c.isSynced() && ok
	})
	waitFor(t, wait, "awareness relayed", func() bool { _, ok := b.awarenessStates()[77]; return ok })
}

func TestWritebackDebouncedWithContributorsAndNeverWithoutEdits(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SnapshotMaxUpdates = 0 })
	u1, tok1 := e.user("clerk")
	u2, tok2 := e.user("clerk")
	_, tok3 := e.user("clerk")
	a := e.mustDial(tok1, "bylaw-1", dialOpts{})
	b := e.mustDial(tok2, "bylaw-1", dialOpts{})
	c := e.mustDial(tok3, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", func() bool { return a.isSynced() && b.isSynced() && c.isSynced() })
	a.appendParagraph("Alpha.")
	b.appendParagraph("Beta.")
	waitFor(t, wait, "writeback", func() bool { return len(e.recs.drafts("bylaw-1")) > 0 })
	ds := e.recs.drafts("bylaw-1")
	last := ds[len(ds)-1]
	if want := a.markdown(); last.Markdown != want {
		t.Fatalf("draft %q, want the document %q", last.Markdown, want)
	}
	var users []int64
	for _, d := range ds {
		users = append(users, d.Users...)
	}
	if !slices.Contains(users, u1.ID) || !slices.Contains(users, u2.ID) || len(slices.Compact(slices.Sorted(slices.Values(users)))) != 2 {
		t.Fatalf("contributors %v, want %d and %d only", users, u1.ID, u2.ID)
	}
	sn, err := e.core.Snapshots().Latest(context.Background(), "records:bylaw-1")
	if err != nil || sn == nil {
		t.Fatalf("no snapshot after writeback: %v", err)
	}
	// Awareness and reconnects are not edits: nothing more is written.
	n := len(e.recs.drafts("bylaw-1"))
	c.setAwareness(5, 1, map[string]any{"x": 1})
	d := e.mustDial(tok3, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", d.isSynced)
	res, err := e.hub.SnapshotRecord(context.Background(), "bylaw-1")
	if err != nil || res.Created || res.Version == nil || *res.Version != int64(sn.Version) {
		t.Fatalf("snapshot request without edits: %+v %v", res, err)
	}
	if got := len(e.recs.drafts("bylaw-1")); got != n {
		t.Fatalf("%d writebacks without edits", got-n)
	}
	// The snapshot request writes pending edits at once.
	e.hub.mu.Lock()
	e.hub.cfg.WritebackDelay, e.hub.cfg.WritebackMaxDelay = time.Hour, time.Hour
	e.hub.mu.Unlock()
	a.appendParagraph("Gamma.")
	waitFor(t, wait, "server has the edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "Gamma.") })
	res, err = e.hub.SnapshotRecord(context.Background(), "bylaw-1")
	if err != nil || !res.Created || res.Version == nil || *res.Version != int64(sn.Version)+1 {
		t.Fatalf("snapshot request: %+v %v", res, err)
	}
	if ds := e.recs.drafts("bylaw-1"); !strings.Contains(ds[len(ds)-1].Markdown, "Gamma.") {
		t.Fatal("requested writeback missed the edit")
	}
	// Through core: the hub is attached.
	res, err = e.core.RequestSnapshot(context.Background(), civicpress.System, "no-room")
	if err != nil || res.Created {
		t.Fatalf("no room: %+v %v", res, err)
	}
}

func TestWritebackAtLeastEveryMaxDelayWhileEditing(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.WritebackDelay = 300 * time.Millisecond
		c.WritebackMaxDelay = 600 * time.Millisecond
		c.SnapshotMaxUpdates = 0
	})
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	start := time.Now()
	// Edits every 100 ms never leave 300 ms of quiet; the cap still writes.
	for time.Since(start) < 1500*time.Millisecond && len(e.recs.drafts("bylaw-1")) == 0 {
		a.appendParagraph("tick")
		time.Sleep(100 * time.Millisecond)
	}
	if len(e.recs.drafts("bylaw-1")) == 0 {
		t.Fatal("no writeback while edits kept coming")
	}
}

func TestGraceEvictionWritesBackAndReconnectDoesNotDouble(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.GracePeriod = 50 * time.Millisecond
		c.WritebackDelay = time.Hour
		c.WritebackMaxDelay = time.Hour
	})
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	a.appendParagraph("Before eviction.")
	waitFor(t, wait, "server has the edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "Before eviction.") })
	a.conn.Close()
	waitFor(t, wait, "eviction", func() bool { _, ok := e.roomDoc("bylaw-1"); return !ok })
	if ds := e.recs.drafts("bylaw-1"); len(ds) != 1 || !strings.Contains(ds[0].Markdown, "Before eviction.") {
		t.Fatalf("grace writeback: %+v", ds)
	}
	// A client still holding the old copy reconnects: the room comes back
	// from the snapshot, so nothing doubles.
	a.mu.Lock()
	st, _ := a.doc.EncodeStateAsUpdate(nil)
	a.mu.Unlock()
	old := yjs.NewDoc(yjs.Options{})
	old.ApplyUpdate(st)
	b := e.mustDial(tok, "bylaw-1", dialOpts{doc: old})
	waitFor(t, wait, "sync", b.isSynced)
	b.appendParagraph("After.")
	waitFor(t, wait, "edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "After.") })
	md, _ := e.roomDoc("bylaw-1")
	if strings.Count(md, "Quiet hours") != 1 || strings.Count(md, "Before eviction.") != 1 {
		t.Fatalf("content doubled: %q", md)
	}
}

// A room re-created from Markdown (its snapshots lost) has a new lineage; a
// client holding a copy from the old one is refused instead of doubling text.
func TestOldLineageCopyIsRefused(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.GracePeriod = 20 * time.Millisecond
		c.WritebackDelay = time.Hour
		c.WritebackMaxDelay = time.Hour
	})
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	a.appendParagraph("Edited once.")
	waitFor(t, wait, "server has the edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "Edited once.") })
	a.conn.Close()
	waitFor(t, wait, "eviction", func() bool { _, ok := e.roomDoc("bylaw-1"); return !ok })
	// Lose every snapshot and the update log: the room will be seeded from
	// the draft.
	db := openStore(t, e.core)
	for _, q := range []string{"DELETE FROM realtime_snapshots", "DELETE FROM civicgo_realtime_updates"} {
		if _, err := db.Bun().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	a.mu.Lock()
	st, _ := a.doc.EncodeStateAsUpdate(nil)
	a.mu.Unlock()
	old := yjs.NewDoc(yjs.Options{})
	old.ApplyUpdate(st)
	b := e.mustDial(tok, "bylaw-1", dialOpts{doc: old, control: true})
	code, reason := b.waitClose(wait)
	if code != CloseDocumentReplaced || !strings.Contains(reason, "DOCUMENT_REPLACED") {
		t.Fatalf("close %d %q", code, reason)
	}
	md, _ := e.roomDoc("bylaw-1")
	if strings.Count(md, "Quiet hours") != 1 || strings.Count(md, "Edited once.") != 1 {
		t.Fatalf("room content %q", md)
	}
	// A fresh client and one that only ever saw the same seed are fine.
	c := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "fresh client", c.isSynced)
	// Re-seeding identical Markdown recreates identical items: no new lineage.
	d1, l1, _ := seedDoc("records:x", "# A\n\nb")
	d2, l2, _ := seedDoc("records:x", "# A\n\nb")
	u1, _ := d1.EncodeStateAsUpdate(nil)
	u2, _ := d2.EncodeStateAsUpdate(nil)
	if l1 != l2 || string(u1) != string(u2) {
		t.Fatal("seeding is not deterministic")
	}
}

func openStore(t *testing.T, core *civicpress.Core) *store.DB {
	p := core.Paths()
	db, err := store.Open(context.Background(), store.Options{URL: p.DatabaseURL, SQLitePath: p.SQLitePath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A corrupt newest snapshot falls back to the previous verified one. With
// the update log, the log is compacted one snapshot behind, so the fallback
// loses nothing; in memory mode (as upstream, which did not even fall back)
// the edits after the previous snapshot are lost.
func TestCorruptNewestSnapshotFallsBackToPreviousVerified(t *testing.T) {
	for _, logged := range []bool{true, false} {
		t.Run(map[bool]string{true: "log", false: "memory"}[logged], func(t *testing.T) {
			testCorruptNewestSnapshot(t, logged)
		})
	}
}

func testCorruptNewestSnapshot(t *testing.T, logged bool) {
	e := newEnv(t, func(c *Config) {
		c.GracePeriod = 20 * time.Millisecond
		c.WritebackDelay = time.Hour
		c.WritebackMaxDelay = time.Hour
		c.Cluster = ClusterOff
		if logged {
			c.Cluster = ClusterOn
		}
	})
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	a.appendParagraph("First.")
	waitFor(t, wait, "edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "First.") })
	if _, err := e.hub.SnapshotRecord(context.Background(), "bylaw-1"); err != nil {
		t.Fatal(err)
	}
	a.appendParagraph("Second.")
	waitFor(t, wait, "edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "Second.") })
	a.conn.Close()
	waitFor(t, wait, "eviction", func() bool { _, ok := e.roomDoc("bylaw-1"); return !ok })
	db := openStore(t, e.core)
	if _, err := db.Bun().ExecContext(context.Background(),
		"UPDATE realtime_snapshots SET snapshot_data = ? WHERE room_id = ? AND version = 2", []byte{1, 2, 3}, "records:bylaw-1"); err != nil {
		t.Fatal(err)
	}
	var failed []civicpress.Event
	unsub := e.core.Events().Subscribe(func(ev civicpress.Event) { failed = append(failed, ev) }, civicpress.EventRealtimeSnapshotFailed)
	defer unsub()
	b := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", b.isSynced)
	md := b.markdown()
	if !strings.Contains(md, "First.") || strings.Contains(md, "Second.") != logged {
		t.Fatalf("hydrated %q, want version 1 (with First.) and Second. only from the log", md)
	}
	sn, _, _ := e.core.Snapshots().LoadVerified(context.Background(), "records:bylaw-1")
	if sn == nil || sn.Version != 1 {
		t.Fatalf("verified snapshot %+v", sn)
	}
}

func TestSnapshotsKeepNewestThree(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.WritebackDelay = time.Hour; c.WritebackMaxDelay = time.Hour })
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	for i := range 5 {
		a.appendParagraph("p")
		waitFor(t, wait, "edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Count(md, "\n\np") == i+1 })
		if _, err := e.hub.SnapshotRecord(context.Background(), "bylaw-1"); err != nil {
			t.Fatal(err)
		}
	}
	db := openStore(t, e.core)
	var versions []int
	if err := db.Bun().NewRaw("SELECT version FROM realtime_snapshots WHERE room_id = ? ORDER BY version", "records:bylaw-1").Scan(context.Background(), &versions); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int{3, 4, 5}) {
		t.Fatalf("kept versions %v", versions)
	}
}

func TestLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.ConnectionsPerUser = 2
		c.ConnectionsPerIP = 3
		c.MaxRooms = 1
		c.MaxMessageSize = 4096
	})
	_, tok := e.user("clerk")
	_, tok2 := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	b := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", func() bool { return a.isSynced() && b.isSynced() })
	c := e.mustDial(tok, "bylaw-1", dialOpts{})
	if code, reason := c.waitClose(wait); code != CloseLimit || !strings.Contains(reason, "per-user") {
		t.Fatalf("per-user: %d %q", code, reason)
	}
	d := e.mustDial(tok2, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", d.isSynced)
	f := e.mustDial(tok2, "bylaw-1", dialOpts{})
	if code, reason := f.waitClose(wait); code != CloseLimit || !strings.Contains(reason, "per-ip") {
		t.Fatalf("per-ip: %d %q", code, reason)
	}
	// Rejections are not counted; leaving frees the seat.
	a.conn.Close()
	waitFor(t, wait, "seat freed", func() bool { return e.hub.Health().Connections.Total == 2 })
	g := e.mustDial(tok, "empty-1", dialOpts{})
	if code, reason := g.waitClose(wait); code != CloseLimit || !strings.Contains(reason, "ROOM_LIMIT") {
		t.Fatalf("max_rooms: %d %q", code, reason)
	}
	// A frame over the size limit closes with 1009.
	b.writeType(websocket.BinaryMessage, make([]byte, 5000))
	if code, _ := b.waitClose(wait); code != websocket.CloseMessageTooBig {
		t.Fatalf("oversize: %d", code)
	}
}

func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ConnectionsPerIP = 1; c.ConnectionsPerUser = 100 })
	_, tok := e.user("clerk")
	xff := func(ip string) dialOpts { return dialOpts{header: map[string][]string{"X-Forwarded-For": {ip}}} }
	a := e.mustDial(tok, "bylaw-1", xff("203.0.113.1"))
	waitFor(t, wait, "sync", a.isSynced)
	// Untrusted: the header is ignored, both share 127.0.0.1.
	b := e.mustDial(tok, "bylaw-1", xff("203.0.113.2"))
	if code, _ := b.waitClose(wait); code != CloseLimit {
		t.Fatalf("untrusted proxy header was believed: %d", code)
	}
	a.conn.Close()
	waitFor(t, wait, "freed", func() bool { return e.hub.Health().Connections.Total == 0 })
	p, _ := parsePrefix("127.0.0.1")
	e.hub.cfg.TrustedProxies = append(e.hub.cfg.TrustedProxies, p)
	c := e.mustDial(tok, "bylaw-1", xff("203.0.113.1"))
	d := e.mustDial(tok, "bylaw-1", xff("198.51.100.7, 203.0.113.2"))
	waitFor(t, wait, "two addresses", func() bool { return c.isSynced() && d.isSynced() && e.hub.Health().Connections.PerIP == 2 })
}

func TestRateLimitClosesFloodsNotTypists(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	typist := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", typist.isSynced)
	// 20 characters per second with a cursor update each, for 3 s.
	typist.appendParagraph("")
	for i := range 60 {
		typist.edit(func(tx *yjs.Txn, frag yjs.XmlFragment) error {
			p, _ := frag.Get(frag.Len() - 1)
			x, _ := p.(yjs.XmlElement).Get(0)
			return x.(yjs.XmlText).Insert(tx, i, "a", nil)
		})
		typist.setAwareness(900, uint64(i+1), map[string]any{"cursor": i})
		time.Sleep(50 * time.Millisecond)
	}
	if _, _, closed := typist.closed(); closed {
		t.Fatal("a typist was disconnected")
	}
	flood := e.mustDial(tok, "bylaw-1", dialOpts{control: true})
	waitFor(t, wait, "sync", flood.isSynced)
	// Flood until the server closes the socket: a fixed count could be written
	// slower than the bucket refills on a loaded machine (or under -race).
	deadline := time.Now().Add(wait)
	for i := 0; time.Now().Before(deadline); i++ {
		if flood.writeType(websocket.BinaryMessage, yproto.AwarenessFrame(yproto.EncodeAwarenessUpdate(
			[]yproto.AwarenessEntry{{Client: 901, Clock: uint64(i + 1), State: map[string]any{}}}))) != nil {
			break
		}
		if _, _, closed := flood.closed(); closed {
			break
		}
	}
	code, _ := flood.waitClose(wait)
	if code != websocket.ClosePolicyViolation || !hasEvent(flood.controlEvents(), "error:RATE_LIMITED") {
		t.Fatalf("flood: close %d, controls %v", code, flood.controlEvents())
	}
}

func TestSlowConsumerIsClosedNotSilentlyBehind(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MessagesPerSecond = 100000 })
	_, tok := e.user("clerk")
	fast := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", fast.isSynced)
	// A raw client that never reads.
	d := websocket.Dialer{ReadBufferSize: 1024}
	slow, _, err := d.Dial(e.base+"/records/bylaw-1", map[string][]string{"Authorization": {"Bearer " + tok}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.WriteMessage(websocket.BinaryMessage, yproto.SyncFrame(yproto.Step1(yjs.NewDoc(yjs.Options{}))))
	waitFor(t, wait, "two connections", func() bool { return e.hub.Health().Connections.Total == 2 })
	big := strings.Repeat("x", 16<<10)
	deadline := time.Now().Add(20 * time.Second)
	for clock := uint64(1); e.hub.Health().Connections.Total == 2 && time.Now().Before(deadline); clock++ {
		fast.setAwareness(5, clock, map[string]any{"pad": big})
	}
	if n := e.hub.Health().Connections.Total; n != 1 {
		for _, c := range e.hub.allClients() {
			c.qmu.Lock()
			t.Logf("client %s q=%d bytes=%d writing=%v", c.id, len(c.q), c.qBytes, c.writing)
			c.qmu.Unlock()
		}
		t.Fatalf("slow consumer still connected (%d connections)", n)
	}
	if _, _, closed := fast.closed(); closed {
		t.Fatal("the fast client was closed")
	}
}

func TestRevocation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	u, tok := e.user("clerk")
	s2, _ := e.core.Auth().IssueSession(ctx, u.ID)
	a := e.mustDial(tok, "bylaw-1", dialOpts{control: true})
	b := e.mustDial(s2.Token, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", func() bool { return a.isSynced() && b.isSynced() })

	// Logout ends that session's socket only, within 1 s.
	start := time.Now()
	if err := e.core.Auth().Logout(ctx, tok); err != nil {
		t.Fatal(err)
	}
	code, reason := a.waitClose(time.Second)
	if code != CloseAuth || !strings.Contains(reason, "SESSION_REVOKED") || !hasEvent(a.controlEvents(), "session.revoked") {
		t.Fatalf("logout: %d %q %v", code, reason, a.controlEvents())
	}
	t.Logf("logout closed the socket in %v", time.Since(start))
	if _, _, closed := b.closed(); closed {
		t.Fatal("logout closed another session's socket")
	}
	// Logout-all ends the rest.
	if _, err := e.core.Auth().LogoutAll(ctx, civicpress.System, u.ID); err != nil {
		t.Fatal(err)
	}
	if code, _ := b.waitClose(time.Second); code != CloseAuth {
		t.Fatalf("logout-all: %d", code)
	}

	// Role change: clerk → public turns the socket read-only; losing view closes it.
	v, vtok := e.user("clerk")
	c := e.mustDial(vtok, "bylaw-1", dialOpts{control: true})
	waitFor(t, wait, "sync", c.isSynced)
	role := "public"
	if _, err := e.core.Users().Update(ctx, civicpress.System, v.ID, civicpress.UserUpdate{Role: &role}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Second, "downgrade", func() bool { return hasEvent(c.controlEvents(), "permissions.changed") })
	c.appendParagraph("Should not land.")
	waitFor(t, wait, "READ_ONLY", func() bool { return hasEvent(c.controlEvents(), "error:READ_ONLY") })
	if md, _ := e.roomDoc("bylaw-1"); strings.Contains(md, "Should not land.") {
		t.Fatal("edit after downgrade applied")
	}
	// User deletion closes.
	if err := e.core.Users().Delete(ctx, civicpress.System, v.ID); err != nil {
		t.Fatal(err)
	}
	if code, _ := c.waitClose(time.Second); code != CloseAuth {
		t.Fatalf("user deleted: %d", code)
	}

	// Password change from another process sharing the database.
	w, wtok := e.user("clerk")
	d := e.mustDial(wtok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", d.isSynced)
	other := openCore(t, e.core.Paths().ProjectDir)
	if err := other.Auth().SetPassword(ctx, civicpress.System, w.ID, "Another#Pass99"); err != nil {
		t.Fatal(err)
	}
	if code, reason := d.waitClose(1500 * time.Millisecond); code != CloseAuth || !strings.Contains(reason, "password") {
		t.Fatalf("remote password change: %d %q", code, reason)
	}
}

func TestSessionExpiryCloses(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	var c *client
	e.hub.mu.Lock()
	for x := range e.hub.clients {
		c = x
	}
	e.hub.mu.Unlock()
	c.expires.Store(time.Now().Add(50 * time.Millisecond).UnixNano())
	if code, reason := a.waitClose(time.Second); code != CloseAuth || !strings.Contains(reason, "expired") {
		t.Fatalf("expiry: %d %q", code, reason)
	}
}

func TestStaleConnectionSweep(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.CheckInterval = time.Second; c.StaleThreshold = time.Second })
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	// The client is alive but sends nothing (pongs would count; gorilla's
	// client only pongs when it reads, and pings come every 25 s).
	if code, reason := a.waitClose(4 * time.Second); code != 1001 || !strings.Contains(reason, "STALE") {
		t.Fatalf("sweep: %d %q", code, reason)
	}
}

func TestEventsOnTheCoreBus(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.GracePeriod = 10 * time.Millisecond })
	seen := make(chan civicpress.EventType, 100)
	unsub := e.core.Events().Subscribe(func(ev civicpress.Event) { seen <- ev.Type })
	defer unsub()
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	a.appendParagraph("x")
	waitFor(t, wait, "edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "\n\nx") })
	a.conn.Close()
	want := map[civicpress.EventType]bool{
		civicpress.EventRealtimeClientConnected: false, civicpress.EventRealtimeClientDisconnected: false,
		civicpress.EventRealtimeRoomCreated: false, civicpress.EventRealtimeRoomDestroyed: false,
		civicpress.EventRealtimeSnapshotWritten: false, civicpress.EventRealtimeWritebackDone: false,
	}
	missing := func() bool {
		for _, ok := range want {
			if !ok {
				return true
			}
		}
		return false
	}
	deadline := time.After(wait)
	for missing() {
		select {
		case ty := <-seen:
			if _, ok := want[ty]; ok {
				want[ty] = true
			}
		case <-deadline:
			t.Fatalf("events not seen: %v", want)
		}
	}
	// A failing draft write is reported and retried.
	e.recs.mu.Lock()
	e.recs.failErr = errors.New("disk full")
	e.recs.mu.Unlock()
	b := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", b.isSynced)
	b.appendParagraph("y")
	deadline = time.After(wait)
	for got := false; !got; {
		select {
		case ty := <-seen:
			got = ty == civicpress.EventRealtimeWritebackFailed
		case <-deadline:
			t.Fatal("no writeback-failed event")
		}
	}
}

func TestSnapshotTTLSparesActiveRooms(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	ctx := context.Background()
	for _, room := range []string{"records:bylaw-1", "records:gone"} {
		if _, _, err := e.core.Snapshots().Save(ctx, room, []byte{0, 0}); err != nil {
			t.Fatal(err)
		}
	}
	db := openStore(t, e.core)
	old := time.Now().Add(-civicpress.SnapshotTTL - time.Hour).UnixMilli()
	if _, err := db.Bun().ExecContext(ctx, "UPDATE realtime_snapshots SET created_at = ?", old); err != nil {
		t.Fatal(err)
	}
	e.hub.expireSnapshots(ctx, time.Now())
	if sn, _ := e.core.Snapshots().Latest(ctx, "records:gone"); sn != nil {
		t.Fatal("an expired snapshot of an inactive room was kept")
	}
	if sn, _ := e.core.Snapshots().Latest(ctx, "records:bylaw-1"); sn == nil {
		t.Fatal("the snapshot of an open room was deleted")
	}
}
