package civicpress

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

func TestReindexReportsInvalidFilesAndDropsMissing(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, true)
		r := f.c.Records()
		gone := f.publish(t, f.clerk, "Short-lived", "policy", "x", "published")
		broken := map[string]string{
			"records/bylaw/2025/bad-yaml.md":   "---\nid: bad-yaml\ntitle: [unclosed\n---\n\nx",
			"records/bylaw/2025/bad-status.md": "---\nid: bad-status\ntitle: T\ntype: bylaw\nstatus: nonsense\n\nauthor: a\n\ncreated: 2025-01-01T00:00:00.000Z\nupdated: 2025-01-01T00:00:00.000Z\n\n---\n\nx",
			"records/bylaw/2025/no-front.md":   "just text",
		}
		for rel, data := range broken {
			if err := os.WriteFile(f.c.abs(rel), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Remove(f.c.abs(gone.Path)); err != nil {
			t.Fatal(err)
		}
		// Hidden files and other files are not records.
		os.WriteFile(f.c.abs("records/bylaw/2025/.hidden.md"), []byte("x"), 0o644)
		os.WriteFile(f.c.abs("records/index.yml"), []byte("records: []\n"), 0o644)
		_, err := r.Reindex(ctx, f.clerk)
		wantKind(t, err, ErrForbidden, CodeInsufficientPerms)
		rep, err := r.Reindex(ctx, f.admin)
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Full || rep.Indexed != len(SampleRecordFiles()) || rep.Removed != 1 || len(rep.Invalid) != 3 {
			t.Fatalf("report: %+v", rep)
		}
		reasons := map[string]string{}
		for _, inv := range rep.Invalid {
			reasons[inv.Path] = inv.Reason
		}
		if !strings.Contains(reasons["records/bylaw/2025/bad-status.md"], "status") || reasons["records/bylaw/2025/bad-yaml.md"] == "" || reasons["records/bylaw/2025/no-front.md"] == "" {
			t.Fatalf("reasons: %v", reasons)
		}
		if _, err := r.Get(ctx, nil, gone.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("record without a file still indexed: %v", err)
		}
	})
}

func TestOpenUpdatesStaleIndex(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, true)
		rec := f.publish(t, f.clerk, "Outside Edit", "policy", "Before.", "published")
		f.c.Close()
		// Another program changes and commits files while we are closed
		// (git pull, upstream CivicPress): the index must follow at Open.
		repo, err := gitrepo.Open(f.c.paths.DataDir, gitrepo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		data := strings.Replace(string(readData(t, f.c, rec.Path)), "Before.", "Zebracrossings.", 1)
		os.WriteFile(f.c.abs(rec.Path), []byte(data), 0o644)
		sample := "records/bylaw/2025/record-1736935200000.md"
		os.Remove(f.c.abs(sample))
		if _, err := repo.Commit(ctx, "edit from elsewhere", gitrepo.Author{Name: "Ops", Email: "ops@example.org"}, rec.Path, sample); err != nil {
			t.Fatal(err)
		}
		repo.Close()
		f.c = openCfg(t, f.cfg)
		rep := f.c.Records().LastReindex()
		if rep == nil || rep.Full || rep.Indexed != 1 || rep.Removed != 1 {
			t.Fatalf("incremental reindex at open: %+v", rep)
		}
		got, err := f.c.Records().Get(ctx, nil, rec.ID)
		if err != nil || got.Content != "Zebracrossings." {
			t.Fatalf("after outside edit: %+v %v", got, err)
		}
		if res, _ := f.c.Search().Query(ctx, nil, SearchQuery{Query: "zebracross"}); res.Total != 1 {
			t.Fatalf("search after outside edit: %d", res.Total)
		}
		if _, err := f.c.Records().Get(ctx, nil, "record-1736935200000"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted sample: %v", err)
		}
		// An emptied index is rebuilt whole.
		if _, err := f.c.db.Bun().ExecContext(ctx, "DELETE FROM records"); err != nil {
			t.Fatal(err)
		}
		f.reopen(t)
		if rep := f.c.Records().LastReindex(); rep == nil || !rep.Full || rep.Indexed != len(SampleRecordFiles()) {
			t.Fatalf("rebuild: %+v", rep)
		}
		// A clean reopen does nothing.
		f.reopen(t)
		if rep := f.c.Records().LastReindex(); rep != nil {
			t.Fatalf("reindex on a current index: %+v", rep)
		}
		assertConsistent(t, f.c)
	})
}

func TestRecoverCommitsOutsideChanges(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], false)
	rec := f.publish(t, f.clerk, "Hand Edited", "policy", "Original.", "published")
	data := strings.Replace(string(readData(t, f.c, rec.Path)), "Original.", "Edited by hand.", 1)
	os.WriteFile(f.c.abs(rec.Path), []byte(data), 0o644)
	stale := f.c.abs("records/policy/.x.md" + tempMarker + "abc")
	os.WriteFile(stale, []byte("partial"), 0o644)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(stale, old, old)
	os.WriteFile(f.c.abs(".civic/notes.txt"), []byte("ops notes"), 0o644)
	rep, err := f.c.Records().Recover(ctx, f.admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Committed) != 2 || len(rep.Removed) != 1 {
		t.Fatalf("recover: %+v", rep)
	}
	h, _, _ := f.c.Records().History(ctx, f.admin, rec.ID, HistoryOptions{})
	if h[0].Message != RecoveryMessage {
		t.Fatalf("history: %+v", h[0])
	}
	if got, _ := f.c.Records().Get(ctx, nil, rec.ID); got.Content != "Edited by hand." {
		t.Fatalf("index: %q", got.Content)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("temporary file kept")
	}
	assertConsistent(t, f.c)
}

func TestInterruptedArchiveDuplicateResolved(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], false)
	rec := f.publish(t, f.clerk, "Twice", "policy", "x", "published")
	// Upstream's archive copies left beside the live file (or a move cut
	// short): the archived copy is the record.
	arch := "archive/policy/" + strings.Split(rec.Path, "/")[2] + "/" + rec.ID + ".md"
	if err := os.MkdirAll(filepath.Dir(f.c.abs(arch)), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f.c.abs(arch), readData(t, f.c, rec.Path), 0o644)
	rep, err := f.c.Records().Reindex(ctx, f.admin)
	if err != nil || len(rep.Invalid) != 1 || rep.Invalid[0].Path != rec.Path || !strings.Contains(rep.Invalid[0].Reason, "duplicate") {
		t.Fatalf("reindex: %+v %v", rep, err)
	}
	got, _ := f.c.Records().Get(ctx, nil, rec.ID)
	if got.Path != arch || !got.Archived() {
		t.Fatalf("indexed copy: %s %s", got.Path, got.Status)
	}
}

func TestEventsReachOtherProcesses(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		other := openCfg(t, f.cfg)
		col, unsub := collect(other)
		defer unsub()
		rec := f.publish(t, f.clerk, "Cross", "bylaw", "x", "published")
		if _, err := f.c.Records().Update(ctx, f.clerk, rec.ID, Changes{Body: ptr("y")}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.Records().Lock(ctx, f.clerk, rec.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.Records().Unlock(ctx, f.clerk, rec.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.Records().Archive(ctx, f.admin, rec.ID); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []EventType{EventDraftSaved, EventRecordCreated, EventRecordPublished, EventRecordUpdated,
			EventRecordLocked, EventRecordUnlocked, EventRecordArchived, EventStatusChanged} {
			ev := col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Type == typ && e.RecordID == rec.ID })
			if !ev.Remote || ev.RecordType != "bylaw" {
				t.Fatalf("%s: %+v", typ, ev)
			}
		}
		// The other process reads the new state when the event arrives.
		ev := col.waitFor(t, time.Second, func(e Event) bool { return e.Type == EventRecordArchived })
		got, err := other.Records().Get(ctx, nil, ev.RecordID)
		if err != nil || !got.Archived() || got.Path != ev.Data["path"] {
			t.Fatalf("other process reads %+v %v", got, err)
		}
	})
}

type fakeHub struct{ ids []string }

func (h *fakeHub) SnapshotRecord(ctx context.Context, id string) (SnapshotResult, error) {
	h.ids = append(h.ids, id)
	v := int64(7)
	return SnapshotResult{Created: true, Version: &v, Timestamp: time.Unix(1, 0)}, nil
}

func TestRequestSnapshot(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], false)
	before := time.Now()
	res, err := f.c.RequestSnapshot(ctx, f.clerk, "record-1")
	if err != nil || res.Created || res.Version != nil || res.Timestamp.Before(before) {
		t.Fatalf("no hub: %+v %v", res, err)
	}
	_, err = f.c.RequestSnapshot(ctx, nil, "record-1")
	wantKind(t, err, ErrUnauthenticated, "")
	h := &fakeHub{}
	f.c.AttachRealtime(h)
	res, err = f.c.RequestSnapshot(ctx, f.clerk, "record-1")
	if err != nil || !res.Created || *res.Version != 7 || len(h.ids) != 1 || h.ids[0] != "record-1" {
		t.Fatalf("hub: %+v %v %v", res, err, h.ids)
	}
	f.c.AttachRealtime(nil)
	if res, _ := f.c.RequestSnapshot(ctx, f.clerk, "record-1"); res.Created {
		t.Fatal("detached hub still answers")
	}
}
