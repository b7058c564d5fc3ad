package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

func rec(id, title, typ, status string, created time.Time, meta string) *store.RecordRow {
	return &store.RecordRow{ID: id, Title: title, Type: typ, Status: status, Content: "body of " + id, Metadata: meta,
		Path: "records/" + typ + "/2025/" + id + ".md", Author: "clerk", CreatedAt: created, UpdatedAt: created}
}

func TestRecordRowsListAndCount(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q()
		base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		rows := []*store.RecordRow{
			rec("a", "beta", "bylaw", "published", base, `{"tags":["x"]}`),
			rec("b", "Alpha", "policy", "draft", base.Add(time.Hour), `{}`),
			rec("c", "gamma", "bylaw", "draft", base.Add(2*time.Hour), `{"kind":"chapter"}`),
			rec("d", "Delta", "bylaw", "published", base.Add(3*time.Hour), `{"kind":"root"}`),
			rec("e", "epsilon", "policy", "published", base.Add(4*time.Hour), `not json`),
		}
		internal := "internal_only"
		rows[4].WorkflowState = &internal
		for _, r := range rows {
			if err := q.UpsertRecord(ctx, r, false); err != nil {
				t.Fatal(err)
			}
		}
		got, err := q.RecordByID(ctx, "a")
		if err != nil || got.Title != "beta" || got.WorkflowState != nil || !got.CreatedAt.Equal(base) || got.Metadata != `{"tags":["x"]}` {
			t.Fatalf("row a: %+v %v", got, err)
		}
		if _, err := q.RecordByID(ctx, "zz"); !errors.Is(err, store.ErrNoRows) {
			t.Fatal(err)
		}
		// keepWorkflow leaves the database-only field alone.
		wf := "under_review"
		rows[0].WorkflowState = &wf
		q.UpsertRecord(ctx, rows[0], false)
		rows[0].WorkflowState = nil
		rows[0].Title = "beta 2"
		q.UpsertRecord(ctx, rows[0], true)
		if got, _ := q.RecordByID(ctx, "a"); got.WorkflowState == nil || *got.WorkflowState != wf || got.Title != "beta 2" {
			t.Fatalf("keepWorkflow: %+v", got)
		}
		ids := func(rs []store.RecordRow) []string {
			var out []string
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		// Kind priority first (regular, chapter, root), then the sort; internal_only left out.
		list, total, err := q.ListRecords(ctx, store.RecordFilter{Limit: 10})
		if err != nil || total != 4 || !slices.Equal(ids(list), []string{"b", "a", "c", "d"}) {
			t.Fatalf("created_desc: %v %d %v", ids(list), total, err)
		}
		list, _, _ = q.ListRecords(ctx, store.RecordFilter{Sort: "title_asc", Limit: 10})
		if !slices.Equal(ids(list), []string{"b", "a", "c", "d"}) {
			t.Fatalf("title_asc: %v", ids(list))
		}
		list, total, _ = q.ListRecords(ctx, store.RecordFilter{Types: []string{"bylaw"}, Statuses: []string{"published"}, Limit: 10})
		if total != 2 || !slices.Equal(ids(list), []string{"a", "d"}) {
			t.Fatalf("filters: %v %d", ids(list), total)
		}
		list, total, _ = q.ListRecords(ctx, store.RecordFilter{Limit: 1, Offset: 1})
		if total != 4 || !slices.Equal(ids(list), []string{"a"}) {
			t.Fatalf("page: %v %d", ids(list), total)
		}
		counts, err := q.RecordCounts(ctx, store.RecordFilter{})
		if err != nil || len(counts) != 3 || counts[0] != (store.TypeStatusCount{Type: "bylaw", Status: "draft", Count: 1}) {
			t.Fatalf("counts: %+v %v", counts, err)
		}
		byPath, _ := q.RecordIDsByPath(ctx, []string{"records/bylaw/2025/c.md", "nope"})
		if len(byPath) != 1 || byPath["records/bylaw/2025/c.md"] != "c" {
			t.Fatalf("by path: %v", byPath)
		}
		if err := q.DeleteRecord(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if n, _ := q.CountRecords(ctx); n != 4 {
			t.Fatalf("count after delete: %d", n)
		}
	})
}

func TestDraftRowsAndContributors(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q()
		now := time.Now().UTC().Truncate(time.Second)
		body := "# Hi"
		wf := "draft"
		d := &store.DraftRow{ID: "record-1", Title: "T", Type: "bylaw", Status: "draft", WorkflowState: &wf, Body: &body,
			Metadata: `{"tags":["a"]}`, Author: "clerk", CreatedBy: "3", LastSavedAt: now, CreatedAt: now, UpdatedAt: now}
		if err := q.InsertDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := q.InsertDraft(ctx, d); !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate draft: %v", err)
		}
		d.Title = "T2"
		if err := q.UpdateDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		got, err := q.DraftByID(ctx, "record-1")
		if err != nil || got.Title != "T2" || *got.Body != body || got.CreatedBy != "3" || !got.CreatedAt.Equal(now) {
			t.Fatalf("draft: %+v %v", got, err)
		}
		if err := q.UpdateDraft(ctx, &store.DraftRow{ID: "nope", Title: "x", Type: "y"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		other := *d
		other.ID, other.CreatedBy, other.Type = "record-2", "clerk2", "policy"
		q.InsertDraft(ctx, &other)
		ds, total, _ := q.ListDrafts(ctx, store.DraftFilter{Owners: []string{"3", "clerk"}, Limit: 10})
		if total != 1 || ds[0].ID != "record-1" {
			t.Fatalf("owners: %d", total)
		}
		if _, total, _ := q.ListDrafts(ctx, store.DraftFilter{Types: []string{"policy"}, Limit: 10}); total != 1 {
			t.Fatalf("types: %d", total)
		}
		has, _ := q.DraftIDs(ctx, []string{"record-1", "record-9"})
		if !has["record-1"] || has["record-9"] {
			t.Fatalf("ids: %v", has)
		}
		if taken, _ := q.IDTaken(ctx, "record-2"); !taken {
			t.Fatal("draft id not taken")
		}
		q.AddContributors(ctx, "record-1", []store.Contributor{{UserID: 5, Username: "e"}, {UserID: 2, Username: "b"}})
		q.AddContributors(ctx, "record-1", []store.Contributor{{UserID: 5, Username: "e", Name: "Eve"}, {UserID: 9, Username: "i"}})
		cs, _ := q.Contributors(ctx, "record-1")
		if len(cs) != 3 || cs[0].Username != "e" || cs[0].Name != "Eve" || cs[1].Username != "b" || cs[2].Username != "i" {
			t.Fatalf("contributors: %+v", cs)
		}
		if ok, _ := q.DeleteDraft(ctx, "record-1"); !ok {
			t.Fatal("delete")
		}
		if cs, _ := q.Contributors(ctx, "record-1"); len(cs) != 0 {
			t.Fatalf("contributors outlived the draft: %v", cs)
		}
	})
}

func TestRecordLockRows(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q()
		now := time.Now().UTC()
		ok, l, err := q.AcquireLock(ctx, "r", "1", now, now.Add(30*time.Minute))
		if err != nil || !ok || l.LockedBy != "1" {
			t.Fatalf("acquire: %v %+v %v", ok, l, err)
		}
		if ok, l, _ := q.AcquireLock(ctx, "r", "2", now, now.Add(30*time.Minute)); ok || l.LockedBy != "1" {
			t.Fatalf("taken from holder: %v %+v", ok, l)
		}
		if ok, l, _ := q.AcquireLock(ctx, "r", "1", now, now.Add(time.Hour)); !ok || l.ExpiresAt.Sub(now) < 59*time.Minute {
			t.Fatalf("renewal: %v %+v", ok, l)
		}
		if a, _ := q.ActiveLock(ctx, "r", now.Add(2*time.Hour)); a != nil {
			t.Fatal("expired lock active")
		}
		if ok, _, _ := q.AcquireLock(ctx, "r", "2", now.Add(2*time.Hour), now.Add(3*time.Hour)); !ok {
			t.Fatal("expired lock not taken over")
		}
		if ok, _ := q.ReleaseLock(ctx, "r", "1"); ok {
			t.Fatal("released by non-holder")
		}
		if ok, _ := q.ReleaseLock(ctx, "r", "x", "2"); !ok {
			t.Fatal("holder could not release")
		}
	})
}

func TestDocSequencesUniqueAcrossConnections(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			o := store.Options{URL: b.URL(t)}
			if o.URL == "" {
				o.SQLitePath = storetest.SQLitePath(t)
			}
			var dbs []*store.DB
			for range 2 {
				db, err := store.Open(context.Background(), o)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				dbs = append(dbs, db)
			}
			ctx := context.Background()
			if err := dbs[0].InTx(ctx, func(q store.Q) error { return q.RaiseDocSequence(ctx, "bylaw", 2025, 4) }); err != nil {
				t.Fatal(err)
			}
			dbs[0].InTx(ctx, func(q store.Q) error { return q.RaiseDocSequence(ctx, "bylaw", 2025, 2) })
			var mu sync.Mutex
			var got []int
			var wg sync.WaitGroup
			var failed atomic.Bool
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 10 {
						var n int
						err := dbs[i%2].InTx(ctx, func(q store.Q) error {
							var err error
							n, err = q.NextDocSequence(ctx, "bylaw", 2025)
							return err
						})
						if err != nil {
							failed.Store(true)
							return
						}
						mu.Lock()
						got = append(got, n)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if failed.Load() {
				t.Fatal("allocation failed")
			}
			slices.Sort(got)
			for i, n := range got {
				if n != 5+i {
					t.Fatalf("sequence %v", got)
				}
			}
			var n int
			dbs[1].InTx(ctx, func(q store.Q) error { n, _ = q.NextDocSequence(ctx, "bylaw", 2026); return nil })
			if n != 1 {
				t.Fatalf("new year starts at %d", n)
			}
		})
	}
}

func TestIntentsAndIndexState(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q()
		in := &store.Intent{RecordID: "r1", WritePath: "records/a.md", Content: []byte("---\nbinary \x00 ok\n"), Message: "m", AuthorName: "A", AuthorEmail: "a@x"}
		if err := db.InTx(ctx, func(q store.Q) error { return q.InsertIntent(ctx, in) }); err != nil || in.ID == 0 {
			t.Fatal(in.ID, err)
		}
		db.InTx(ctx, func(q store.Q) error {
			return q.InsertIntent(ctx, &store.Intent{RecordID: "r2", RemovePath: "x", Message: "m", AuthorName: "A", AuthorEmail: "a@x"})
		})
		all, _ := q.PendingIntents(ctx, "")
		one, _ := q.PendingIntents(ctx, "r1")
		if len(all) != 2 || len(one) != 1 || string(one[0].Content) != string(in.Content) || one[0].Events != "[]" || all[1].Content != nil {
			t.Fatalf("intents: %+v %+v", all, one)
		}
		if ok, _ := q.DeleteIntent(ctx, in.ID); !ok {
			t.Fatal("delete")
		}
		if ok, _ := q.DeleteIntent(ctx, in.ID); ok {
			t.Fatal("deleted twice")
		}
		if _, ok, _ := q.IndexState(ctx, "head"); ok {
			t.Fatal("state set")
		}
		q.SetIndexState(ctx, "head", "abc")
		q.SetIndexState(ctx, "head", "def")
		if v, ok, _ := q.IndexState(ctx, "head"); !ok || v != "def" {
			t.Fatalf("state: %q", v)
		}
	})
}

func TestSearchDocsQueryBothDatabases(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q()
		base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		docs := []struct{ id, title, body string }{
			{"n1", "noise control", "quiet hours at night"},
			{"n2", "construction", "noise noise noise from machines"},
			{"p1", "parking", "winter parking"},
		}
		for i, d := range docs {
			q.UpsertRecord(ctx, rec(d.id, d.title, "bylaw", "published", base.Add(time.Duration(i)*time.Hour), "{}"), false)
			sd := &store.SearchDoc{RecordID: d.id, RecordType: "policy", Title: d.title, Content: d.body, UpdatedAt: base,
				TSV: fmt.Sprintf("'%s':1A", d.title[:5])}
			if err := q.UpsertSearchDoc(ctx, sd); err != nil {
				t.Fatal(err)
			}
			// Re-indexed under its real type: the stale entry goes.
			sd.RecordType = "bylaw"
			sd.TSV = ""
			for j, w := range append(splitWords(d.title), splitWords(d.body)...) {
				weight := "C"
				if j < len(splitWords(d.title)) {
					weight = "A"
				}
				sd.TSV += fmt.Sprintf("'%s':%d%s ", w, j+1, weight)
			}
			if err := q.UpsertSearchDoc(ctx, sd); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		db.Bun().QueryRowContext(ctx, "SELECT count(*) FROM search_index").Scan(&n)
		if n != 3 {
			t.Fatalf("%d search rows", n)
		}
		spec := store.SearchSpec{Match: `("noise"*)`, TitleMatch: `{title} : (("noise"*))`, Filter: store.RecordFilter{Limit: 10}}
		if db.Dialect() == store.Postgres {
			spec.Match, spec.TitleMatch = `('noise':*)`, `('noise':*)`
		}
		hits, err := q.SearchRecords(ctx, spec)
		if err != nil || len(hits) != 2 || hits[0].Record.ID != "n1" || !hits[0].TitleHit || hits[1].TitleHit {
			t.Fatalf("hits: %+v %v", hits, err)
		}
		counts, _ := q.SearchCounts(ctx, spec)
		if len(counts) != 1 || counts[0].Count != 2 {
			t.Fatalf("counts: %+v", counts)
		}
		q.DeleteSearchDocs(ctx, "n1")
		if hits, _ := q.SearchRecords(ctx, spec); len(hits) != 1 {
			t.Fatalf("after delete: %d", len(hits))
		}
	})
}

func splitWords(s string) []string {
	var out []string
	w := ""
	for _, r := range s + " " {
		if r == ' ' {
			if w != "" {
				out = append(out, w)
			}
			w = ""
			continue
		}
		w += string(r)
	}
	return out
}

func TestAdvisoryLocksExcludeAcrossPools(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, _ := db.AdvisoryLocks(2)
	b, _ := db.AdvisoryLocks(2)
	defer a.Close()
	defer b.Close()
	unlock, err := a.Lock(ctx, 1, []int32{3, 1, 3})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(short, 1, []int32{1}); err == nil {
		t.Fatal("second pool took a held lock")
	}
	got := make(chan error, 1)
	go func() {
		u, err := b.Lock(ctx, 1, []int32{1, 2})
		if err == nil {
			u()
		}
		got <- err
	}()
	// Release only once the second pool is really waiting for the lock.
	deadline := time.Now().Add(5 * time.Second)
	for waiting := 0; waiting == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the second pool never waited for the lock")
		}
		if err := db.Bun().QueryRowContext(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
	}
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("lock not released")
	}
}
