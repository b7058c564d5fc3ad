package realtime

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

// TestWithCoreRecords runs the hub on core's real records service: a room
// seeds from the published body, then from the draft; writeback saves the
// draft through core; publishing credits every contributor; archiving turns
// the room read-only.
func TestWithCoreRecords(t *testing.T) {
	ctx := context.Background()
	core := openCore(t, t.TempDir())
	title, typ, body := "Parking Bylaw", "bylaw", "# Parking\n\nNo parking on Main Street."
	d, err := core.Records().CreateDraft(ctx, civicpress.System, civicpress.Changes{Title: &title, Type: &typ, Body: &body})
	if err != nil {
		t.Fatal(err)
	}
	id := d.ID
	if _, err := core.Records().Publish(ctx, civicpress.System, id, civicpress.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.WritebackDelay, cfg.WritebackMaxDelay = time.Hour, time.Hour
	hub, err := New(core, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	defer hub.Shutdown(ctx)
	e := &env{t: t, core: core, hub: hub, srv: srv, base: "ws" + strings.TrimPrefix(srv.URL, "http") + "/realtime"}

	u1, tok1 := e.user("clerk")
	u2, tok2 := e.user("clerk")
	a := e.mustDial(tok1, id, dialOpts{})
	b := e.mustDial(tok2, id, dialOpts{control: true})
	waitFor(t, wait, "sync", func() bool { return a.isSynced() && b.isSynced() })
	if got := a.markdown(); got != body {
		t.Fatalf("seeded %q, want the published body", got)
	}
	a.appendParagraph("Edit by one.")
	b.appendParagraph("Edit by two.")
	waitFor(t, wait, "converge", func() bool {
		md, _ := e.roomDoc(id)
		return strings.Contains(md, "by one.") && strings.Contains(md, "by two.")
	})

	// The REST snapshot endpoint reaches the hub through core.
	res, err := core.RequestSnapshot(ctx, u1, id)
	if err != nil || !res.Created || res.Version == nil {
		t.Fatalf("RequestSnapshot: %+v %v", res, err)
	}
	dr, err := core.Records().GetDraft(ctx, civicpress.System, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := a.markdown(); dr.Body != want || dr.Title != title || dr.Type != typ {
		t.Fatalf("draft %q (%s, %s), want body %q", dr.Body, dr.Title, dr.Type, want)
	}
	var ids []int64
	for _, c := range dr.Contributors {
		ids = append(ids, c.UserID)
	}
	if len(ids) != 2 || !(ids[0] == u1.ID || ids[1] == u1.ID) || !(ids[0] == u2.ID || ids[1] == u2.ID) {
		t.Fatalf("contributors %+v", dr.Contributors)
	}

	// Publishing credits the other contributor with a Co-authored-by trailer.
	if _, err := core.Records().Publish(ctx, u1, id, civicpress.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	hist, _, err := core.Records().History(ctx, civicpress.System, id, civicpress.HistoryOptions{Limit: 1})
	if err != nil || len(hist) == 0 {
		t.Fatalf("history: %v", err)
	}
	if !strings.Contains(hist[0].Message, "Co-authored-by: ") || !strings.Contains(hist[0].Message, u2.Username) {
		t.Fatalf("publish commit %q has no trailer for %s", hist[0].Message, u2.Username)
	}
	// The room hears of the publish: a control frame for the client that
	// opted in, nothing for the stock one, and editing goes on.
	waitFor(t, wait, "record.published", func() bool { return hasEvent(b.controlEvents(), "record.published") })
	if n := a.textFrames(); n != 0 {
		t.Fatalf("a stock client got %d text frames", n)
	}
	a.appendParagraph("After publishing.")
	waitFor(t, wait, "edit after publish", func() bool { return strings.Contains(b.markdown(), "After publishing.") })

	// A draft-only record seeds from its draft.
	t2, body2 := "Draft Only", "Only in the draft."
	d2, err := core.Records().CreateDraft(ctx, civicpress.System, civicpress.Changes{Title: &t2, Type: &typ, Body: &body2})
	if err != nil {
		t.Fatal(err)
	}
	c := e.mustDial(tok1, d2.ID, dialOpts{})
	waitFor(t, wait, "draft seed", func() bool { return c.markdown() == body2 })

	// Archiving turns the open room read-only.
	if _, err := core.Records().Archive(ctx, civicpress.System, id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "permissions.changed", func() bool { return hasEvent(b.controlEvents(), "permissions.changed") })
	b.appendParagraph("After archive.")
	waitFor(t, wait, "READ_ONLY", func() bool { return hasEvent(b.controlEvents(), "error:READ_ONLY") })
	if md, _ := e.roomDoc(id); strings.Contains(md, "After archive.") {
		t.Fatal("edit applied to an archived record")
	}
	// Unknown records are refused with the reason.
	x := e.mustDial(tok1, "no-such-record", dialOpts{})
	if code, reason := x.waitClose(wait); code != CloseForbidden || !strings.Contains(reason, "RECORD_NOT_FOUND") {
		t.Fatalf("unknown record: %d %q", code, reason)
	}
}
