package realtime

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
	"github.com/civicpress/civicpress-go/internal/yjs"
)

// openCoreAt opens the project dir on the database url ("" for SQLite).
func openCoreAt(t testing.TB, dir, url string) *civicpress.Core {
	t.Helper()
	core, err := civicpress.Open(context.Background(), civicpress.Config{ProjectDir: dir, DatabaseURL: url, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	return core
}

// startNodeAt runs a hub on its own core over the shared project, as a
// separate process would (own core, own event tailer, own node id).
func startNodeAt(t testing.TB, dir, url string, mutate func(*Config)) *env {
	t.Helper()
	core := openCoreAt(t, dir, url)
	cfg := testConfig()
	cfg.WritebackDelay, cfg.WritebackMaxDelay, cfg.GracePeriod = time.Hour, time.Hour, time.Hour
	if mutate != nil {
		mutate(&cfg)
	}
	hub, err := New(core, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hub)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hub.Shutdown(ctx)
	})
	return &env{t: t, core: core, hub: hub, srv: srv, base: "ws" + strings.TrimPrefix(srv.URL, "http") + "/realtime"}
}

func publishedRecord(t testing.TB, core *civicpress.Core, title, body string) string {
	t.Helper()
	ctx := context.Background()
	typ := "bylaw"
	d, err := core.Records().CreateDraft(ctx, civicpress.System, civicpress.Changes{Title: &title, Type: &typ, Body: &body})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.Records().Publish(ctx, civicpress.System, d.ID, civicpress.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// busEvents counts events of type t on a core's bus.
type busEvents struct {
	mu  sync.Mutex
	evs []civicpress.Event
}

func watch(t testing.TB, core *civicpress.Core, types ...civicpress.EventType) *busEvents {
	b := &busEvents{}
	t.Cleanup(core.Events().Subscribe(func(ev civicpress.Event) {
		b.mu.Lock()
		b.evs = append(b.evs, ev)
		b.mu.Unlock()
	}, types...))
	return b
}

func (b *busEvents) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.evs)
}

// Two hubs (nodes) on one project and database serve the same record:
// clients on different nodes converge and see each other's presence
// (PostgreSQL), exactly one node writes the room back, the snapshot
// endpoint of a process without a hub reaches it through the outbox, and a
// publish made in that process reaches both rooms; the room keeps working
// and its next writeback starts a new draft from the published record.
func TestNodesShareRooms(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testNodesShareRooms(t, b) })
	}
}

func testNodesShareRooms(t *testing.T, b storetest.Backend) {
	ctx := context.Background()
	dir, url := t.TempDir(), b.URL(t)
	api := openCoreAt(t, dir, url) // an API process: no hub
	id := publishedRecord(t, api, "Parking", "# Parking\n\nNo parking on Main Street.")
	other := publishedRecord(t, api, "Trees", "Trees are protected.")
	A := startNodeAt(t, dir, url, nil)
	B := startNodeAt(t, dir, url, nil)
	wroteA := watch(t, A.core, civicpress.EventRealtimeWritebackDone)
	wroteB := watch(t, B.core, civicpress.EventRealtimeWritebackDone)

	u1, tok1 := A.user("clerk")
	u2, tok2 := A.user("clerk")
	a := A.mustDial(tok1, id, dialOpts{control: true})
	bc := B.mustDial(tok2, id, dialOpts{control: true})
	waitFor(t, wait, "sync", func() bool { return a.isSynced() && bc.isSynced() })
	if a.markdown() != bc.markdown() {
		t.Fatalf("nodes seeded differently:\n%q\n%q", a.markdown(), bc.markdown())
	}
	a.appendParagraph("From A.")
	bc.appendParagraph("From B.")
	both := func(c *tclient) bool {
		md := c.markdown()
		return strings.Contains(md, "From A.") && strings.Contains(md, "From B.")
	}
	waitFor(t, 10*time.Second, "clients on two nodes converge", func() bool { return both(a) && both(bc) })
	if a.markdown() != bc.markdown() {
		t.Fatalf("diverged:\n%q\n%q", a.markdown(), bc.markdown())
	}

	if b.Name == "postgres" {
		a.mu.Lock()
		aid := a.doc.ClientID()
		a.mu.Unlock()
		// Peers learn of each other by heartbeat; re-announce until heard.
		clock := uint64(0)
		last := time.Time{}
		waitFor(t, 10*time.Second, "presence across nodes", func() bool {
			if time.Since(last) > 200*time.Millisecond {
				clock++
				last = time.Now()
				a.setAwareness(aid, clock, map[string]any{"user": map[string]any{"name": "one"}})
			}
			_, ok := bc.awarenessStates()[aid]
			return ok
		})
	}

	// The snapshot endpoint of the API process reaches the room's writer.
	res, err := api.RequestSnapshot(ctx, u1, id)
	if err != nil || !res.Created || res.Version == nil || res.Reason != "" {
		t.Fatalf("snapshot through the outbox: %+v %v", res, err)
	}
	d, err := api.Records().GetDraft(ctx, civicpress.System, id)
	if err != nil || d.Body != a.markdown() {
		t.Fatalf("draft %+v %v, want %q", d, err, a.markdown())
	}
	if wa, wb := wroteA.count(), wroteB.count(); wa+wb != 1 {
		t.Fatalf("writebacks: node A %d, node B %d; want exactly one", wa, wb)
	}
	if len(d.Contributors) != 2 {
		t.Fatalf("contributors %+v, want both editors", d.Contributors)
	}
	if res, err := api.RequestSnapshot(ctx, u1, other); err != nil || res.Created || res.Reason != civicpress.SnapshotRoomNotOpen {
		t.Fatalf("room open nowhere: %+v %v", res, err)
	}

	// Publishing in the API process tells both rooms.
	if _, err := api.Records().Publish(ctx, u1, id, civicpress.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*tclient{a, bc} {
		waitFor(t, wait, "record.published", func() bool { return hasEvent(c.controlEvents(), "record.published") })
	}
	// Nothing edited since: nothing to write, no draft.
	if res, err := api.RequestSnapshot(ctx, u1, id); err != nil || res.Created {
		t.Fatalf("after publish without edits: %+v %v", res, err)
	}
	if _, err := api.Records().GetDraft(ctx, civicpress.System, id); !errors.Is(err, civicpress.ErrNotFound) {
		t.Fatalf("a draft appeared without edits: %v", err)
	}
	// The room keeps working; the next writeback is a new draft from the
	// published record, crediting only who edited since.
	bc.appendParagraph("After publish.")
	waitFor(t, 10*time.Second, "edit after publish", func() bool { return strings.Contains(a.markdown(), "After publish.") })
	if res, err := api.RequestSnapshot(ctx, u1, id); err != nil || !res.Created {
		t.Fatalf("snapshot after publish: %+v %v", res, err)
	}
	d, err = api.Records().GetDraft(ctx, civicpress.System, id)
	if err != nil || d.Body != a.markdown() || d.Title != "Parking" {
		t.Fatalf("new draft %+v %v", d, err)
	}
	if len(d.Contributors) != 1 || d.Contributors[0].UserID != u2.ID {
		t.Fatalf("contributors since the publish %+v, want only user %d", d.Contributors, u2.ID)
	}
	if hasEvent(a.controlEvents(), "error:READ_ONLY") || hasEvent(bc.controlEvents(), "error:READ_ONLY") {
		t.Fatal("the room stopped accepting edits")
	}
}

// A publish with edits the room had not written back yet: they stay in
// the room and go to a new draft (they were not published).
func TestPublishKeepsUnwrittenEdits(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	api := openCoreAt(t, dir, "")
	id := publishedRecord(t, api, "Noise", "Quiet after ten.")
	A := startNodeAt(t, dir, "", nil)
	u, tok := A.user("clerk")
	a := A.mustDial(tok, id, dialOpts{control: true})
	waitFor(t, wait, "sync", a.isSynced)
	a.appendParagraph("Written back.")
	waitFor(t, wait, "edit", func() bool { md, _ := A.roomDoc(id); return strings.Contains(md, "Written back.") })
	if res, err := api.RequestSnapshot(ctx, u, id); err != nil || !res.Created {
		t.Fatalf("snapshot: %+v %v", res, err)
	}
	a.appendParagraph("Not yet written.")
	waitFor(t, wait, "edit", func() bool { md, _ := A.roomDoc(id); return strings.Contains(md, "Not yet written.") })
	rec, err := api.Records().Publish(ctx, u, id, civicpress.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rec.Content, "Written back.") || strings.Contains(rec.Content, "Not yet written.") {
		t.Fatalf("published %q", rec.Content)
	}
	waitFor(t, wait, "record.published", func() bool { return hasEvent(a.controlEvents(), "record.published") })
	if res, err := api.RequestSnapshot(ctx, u, id); err != nil || !res.Created {
		t.Fatalf("snapshot after publish: %+v %v", res, err)
	}
	d, err := api.Records().GetDraft(ctx, civicpress.System, id)
	if err != nil || !strings.Contains(d.Body, "Not yet written.") || d.Title != "Noise" {
		t.Fatalf("draft after publish %+v %v", d, err)
	}

	// Publish again; then an edit undone before the writeback leaves no
	// draft identical to the record.
	if _, err := api.Records().Publish(ctx, u, id, civicpress.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "second record.published", func() bool {
		n := 0
		for _, ev := range a.controlEvents() {
			if ev == "record.published" {
				n++
			}
		}
		return n == 2
	})
	a.appendParagraph("Undone.")
	waitFor(t, wait, "edit", func() bool { md, _ := A.roomDoc(id); return strings.Contains(md, "Undone.") })
	a.edit(func(tx *yjs.Txn, frag yjs.XmlFragment) error { return frag.Delete(tx, frag.Len()-1, 1) })
	waitFor(t, wait, "undo", func() bool { md, _ := A.roomDoc(id); return !strings.Contains(md, "Undone.") })
	if res, err := api.RequestSnapshot(ctx, u, id); err != nil || res.Reason != "" {
		t.Fatalf("snapshot: %+v %v", res, err)
	}
	if _, err := api.Records().GetDraft(ctx, civicpress.System, id); !errors.Is(err, civicpress.ErrNotFound) {
		t.Fatalf("a draft identical to the published record was created: %v", err)
	}
}

// The snapshot endpoint without any hub, and with a registered node that
// never answers.
func TestSnapshotRequestReasons(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	api := openCoreAt(t, dir, "")
	id := publishedRecord(t, api, "Noise", "Quiet after ten.")
	admin := civicpress.System
	res, err := api.RequestSnapshot(ctx, admin, id)
	if err != nil || res.Created || res.Version != nil || res.Reason != civicpress.SnapshotNoHub {
		t.Fatalf("no hub: %+v %v", res, err)
	}
	if testing.Short() {
		t.Skip("the time-out case waits 5 s")
	}
	// A node that registered and stopped answering (hung).
	if err := api.RealtimeLog().Heartbeat(ctx, "hung-node", "test"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err = api.RequestSnapshot(ctx, admin, id)
	if err != nil || res.Created || res.Reason != civicpress.SnapshotTimedOut {
		t.Fatalf("hung node: %+v %v", res, err)
	}
	if d := time.Since(start); d < civicpress.SnapshotRequestTimeout || d > civicpress.SnapshotRequestTimeout+3*time.Second {
		t.Fatalf("waited %v", d)
	}
}

// The split deployment on SQLite with the defaults (cluster off: the one
// hub keeps rooms in memory): the API process's snapshot endpoint and
// publishes reach the hub in the other process through the outbox.
func TestSplitDeploymentOnSQLite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	api := openCoreAt(t, dir, "")
	id := publishedRecord(t, api, "Noise", "Quiet after ten.")
	rt := startNodeAt(t, dir, "", func(c *Config) { c.Cluster = ClusterAuto })
	if n := rt.hub.Health().Cluster; n == nil || n.Log {
		t.Fatalf("SQLite default: %+v, want a registered node without the log", n)
	}
	u, tok := rt.user("clerk")
	a := rt.mustDial(tok, id, dialOpts{control: true})
	waitFor(t, wait, "sync", a.isSynced)
	a.appendParagraph("Edited.")
	waitFor(t, wait, "edit", func() bool { md, _ := rt.roomDoc(id); return strings.Contains(md, "Edited.") })
	res, err := api.RequestSnapshot(ctx, u, id)
	if err != nil || !res.Created || res.Version == nil || res.Reason != "" {
		t.Fatalf("snapshot across processes: %+v %v", res, err)
	}
	if d, err := api.Records().GetDraft(ctx, civicpress.System, id); err != nil || !strings.Contains(d.Body, "Edited.") {
		t.Fatalf("draft %+v %v", d, err)
	}
	if _, err := api.Records().Publish(ctx, u, id, civicpress.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "record.published", func() bool { return hasEvent(a.controlEvents(), "record.published") })
}

// Two nodes on one database without the log serve diverging copies: each
// says so in its health.
func TestNodesWithoutTheLogAreFlagged(t *testing.T) {
	dir := t.TempDir()
	off := func(c *Config) { c.Cluster = ClusterOff }
	A := startNodeAt(t, dir, "", off)
	B := startNodeAt(t, dir, "", off)
	A.hub.heartbeat(context.Background())
	B.hub.heartbeat(context.Background())
	for _, e := range []*env{A, B} {
		if h := e.hub.Health(); h.Status != "degraded" || h.Cluster == nil || h.Cluster.Peers != 1 || h.Cluster.Log {
			t.Fatalf("health %+v %+v", h, h.Cluster)
		}
	}
}
