package civicpress

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

// testRoles adds a "contributor" role (may create and view, not edit) to the
// roles a project gets by default.
const testRoles = `roles:
  admin:
    name: Administrator
    permissions: ['*']
  clerk:
    name: Clerk
    permissions: [records:create, records:edit, records:view, records:list]
  contributor:
    name: Contributor
    permissions: [records:create, records:view, records:list]
  public:
    name: Public
    permissions: [records:view, records:list]
role_hierarchy:
  admin: [clerk, public]
  clerk: [public]
  contributor: [public]
default_role: public
`

type fixture struct {
	c                                 *Core
	cfg                               Config
	admin, clerk, clerk2, contributor *User
}

// newFixture opens a fresh project (with the sample records when samples is
// set) and creates one user per role.
func newFixture(t testing.TB, b storetest.Backend, samples bool) *fixture {
	t.Helper()
	cfg := testCfg(t, b)
	cfg.SampleRecords = samples
	civic := filepath.Join(cfg.ProjectDir, "data", ".civic")
	if err := os.MkdirAll(civic, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(civic, "roles.yml"), []byte(testRoles), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &fixture{cfg: cfg, c: openCfg(t, cfg)}
	mk := func(username, role, name string) *User {
		u, err := f.c.Users().Create(context.Background(), System, NewUser{Username: username, Password: testPassword,
			Role: role, Email: username + "@example.org", Name: name})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.admin = mk("admin", "admin", "Admin User")
	f.clerk = mk("clerk", "clerk", "City Clerk")
	f.clerk2 = mk("clerk2", "clerk", "Deputy Clerk")
	f.contributor = mk("contrib", "contributor", "Resident Contributor")
	return f
}

// reopen closes the fixture's core and opens the project again.
func (f *fixture) reopen(t testing.TB) {
	t.Helper()
	f.c.Close()
	f.c = openCfg(t, f.cfg)
}

func (f *fixture) draft(t testing.TB, actor *User, title, typ, body string) *Draft {
	t.Helper()
	d, err := f.c.Records().CreateDraft(context.Background(), actor, Changes{Title: &title, Type: &typ, Body: &body})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) publish(t testing.TB, actor *User, title, typ, body, status string) *Record {
	t.Helper()
	d := f.draft(t, actor, title, typ, body)
	r, err := f.c.Records().Publish(context.Background(), actor, d.ID, PublishOptions{Status: status})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

func readData(t testing.TB, c *Core, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(c.abs(rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertConsistent checks that files, index and Git agree: every record
// file is committed as it is on disk and indexed at its path with its
// title and status, every index row has its file, no write is pending.
func assertConsistent(t testing.TB, c *Core) {
	t.Helper()
	ctx := context.Background()
	ins, err := c.db.Q().PendingIntents(ctx, "")
	if err != nil || len(ins) > 0 {
		t.Fatalf("pending writes after open: %d %v", len(ins), err)
	}
	files, err := c.walkRecordFiles()
	if err != nil {
		t.Fatal(err)
	}
	onDisk := map[string]bool{}
	for _, rel := range files {
		onDisk[rel] = true
		disk := readData(t, c, rel)
		committed, err := c.repo.FileAt(ctx, "", rel)
		if err != nil || string(committed) != string(disk) {
			t.Errorf("%s: committed version differs from disk (%v)", rel, err)
		}
		rf, err := recordfile.Parse(disk)
		if err != nil {
			continue
		}
		row, err := c.db.Q().RecordByID(ctx, rf.ID)
		if err != nil {
			t.Errorf("%s: not indexed: %v", rel, err)
			continue
		}
		wantStatus := rf.Status
		if isArchivePath(rel) {
			wantStatus = StatusArchived
		}
		if row.Path != rel || row.Title != rf.Title || row.Status != wantStatus || row.Content != rf.Body {
			t.Errorf("%s: index row (%s %q %s) differs from file (%q %s)", rel, row.Path, row.Title, row.Status, rf.Title, wantStatus)
		}
	}
	refs, err := c.db.Q().RecordRefs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if !onDisk[ref.Path] {
			t.Errorf("index row %s points at %s, which is not a record file", ref.ID, ref.Path)
		}
	}
	dirty, err := c.repo.Dirty(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirty {
		if !isTempFile(d) {
			t.Errorf("uncommitted change in data/: %s", d)
		}
	}
}

func TestSampleRecordsIndexedAtInit(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, true)
		rep := f.c.Records().LastReindex()
		if rep == nil || !rep.Full || rep.Indexed != len(SampleRecordFiles()) || len(rep.Invalid) != 0 {
			t.Fatalf("reindex at init: %+v", rep)
		}
		l, err := f.c.Records().List(context.Background(), nil, ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if l.Total != len(SampleRecordFiles()) {
			t.Fatalf("listed %d of %d samples", l.Total, len(SampleRecordFiles()))
		}
		rec, err := f.c.Records().Get(context.Background(), nil, "record-1736935200000")
		if err != nil || rec.Title != "Noise Control Bylaw" || rec.Metadata.String("document_number") != "BYL-2025-001" || rec.FromIndex {
			t.Fatalf("sample get: %+v %v", rec, err)
		}
		assertConsistent(t, f.c)
	})
}

func TestDraftPublishLifecycle(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		r := f.c.Records()
		col, unsub := collect(f.c)
		defer unsub()
		d, err := r.CreateDraft(ctx, f.clerk, Changes{Title: ptr("Dog Park Bylaw"), Type: ptr("bylaw"),
			Body: ptr("# Dogs\n\nDogs must be leashed.\n"), Metadata: NewMap("tags", []any{"parks", "dogs"})})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(d.ID, "record-") || d.Status != "draft" || d.WorkflowState != "draft" || d.Author != "clerk" || d.CreatedBy != actorKey(f.clerk) {
			t.Fatalf("draft: %+v", d)
		}
		// A draft is not a record yet: no file, no commit, not found.
		if _, err := r.Get(ctx, f.admin, d.ID); !errors.Is(err, ErrNotFound) || Code(err) != CodeRecordNotFound {
			t.Fatalf("get draft-only id: %v", err)
		}
		if files, _ := f.c.walkRecordFiles(); len(files) != 0 {
			t.Fatalf("a draft wrote files: %v", files)
		}
		d2, err := r.SaveDraft(ctx, f.clerk, d.ID, Changes{Title: ptr("Dog Park Bylaw (rev 2)"), Body: ptr("# Dogs\n\nDogs must be leashed in all parks.\n")})
		if err != nil || d2.Title != "Dog Park Bylaw (rev 2)" || d2.Type != "bylaw" || d2.Metadata.Strings("tags")[1] != "dogs" {
			t.Fatalf("save draft: %+v %v", d2, err)
		}
		rec, err := r.Publish(ctx, f.clerk, d.ID, PublishOptions{Status: "published"})
		if err != nil {
			t.Fatal(err)
		}
		year := time.Now().UTC().Year()
		wantPath := fmt.Sprintf("records/bylaw/%d/%s.md", year, d.ID)
		if rec.Path != wantPath || rec.Status != "published" || rec.WorkflowState != "" {
			t.Fatalf("published: %s %s %q", rec.Path, rec.Status, rec.WorkflowState)
		}
		rf, err := recordfile.Parse(readData(t, f.c, wantPath))
		if err != nil {
			t.Fatal(err)
		}
		if rf.Title != "Dog Park Bylaw (rev 2)" || rf.Status != "published" || rf.Author != "clerk" ||
			rf.Body != "# Dogs\n\nDogs must be leashed in all parks." || rf.Metadata.String("authorName") != "City Clerk" ||
			rf.Metadata.String("document_number") != fmt.Sprintf("BYL-%d-001", year) {
			t.Fatalf("file: %+v", rf)
		}
		if err := recordfile.Validate(rf, recordfile.DefaultVocabulary()); err != nil {
			t.Fatalf("published file breaks upstream's schema: %v", err)
		}
		if _, err := r.GetDraft(ctx, f.clerk, d.ID); !errors.Is(err, ErrNotFound) || Code(err) != CodeDraftNotFound {
			t.Fatalf("draft survived publish: %v", err)
		}
		got, err := r.Get(ctx, nil, d.ID)
		if err != nil || got.Content != rf.Body || got.Title != rf.Title || got.HasDraft {
			t.Fatalf("get: %+v %v", got, err)
		}
		if raw, err := r.File(ctx, nil, d.ID, false); err != nil || string(raw) != string(readData(t, f.c, wantPath)) {
			t.Fatalf("raw file: %v", err)
		}
		if _, err := r.SaveDraftBody(ctx, f.clerk, d.ID, "Draft text.", nil); err != nil {
			t.Fatal(err)
		}
		if raw, err := r.File(ctx, f.clerk, d.ID, true); err != nil || !strings.HasSuffix(string(raw), "\n---\n\nDraft text.") || !strings.Contains(string(raw), "document_number: BYL-") {
			t.Fatalf("draft file: %s %v", raw, err)
		}
		if err := r.DeleteDraft(ctx, f.clerk, d.ID); err != nil {
			t.Fatal(err)
		}
		draftOnly := f.draft(t, f.clerk, "Unpublished", "policy", "x")
		d3 := f.publish(t, f.clerk, "Draft Status", "policy", "x", "draft")
		for _, id := range []string{draftOnly.ID, d3.ID} {
			if _, err := r.File(ctx, nil, id, false); !errors.Is(err, ErrNotFound) {
				t.Fatalf("anonymous raw of %s: %v", id, err)
			}
		}
		h, n, err := r.History(ctx, f.clerk, d.ID, HistoryOptions{})
		if err != nil || n != 1 || h[0].Message != "Create record: Dog Park Bylaw (rev 2)" || h[0].AuthorName != "City Clerk" || h[0].AuthorEmail != "clerk@example.org" {
			t.Fatalf("history: %+v %d %v", h, n, err)
		}
		for _, typ := range []EventType{EventDraftSaved, EventRecordCreated, EventRecordPublished} {
			ev := col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Type == typ && e.RecordID == d.ID })
			if ev.RecordType != "bylaw" || ev.Seq == 0 || ev.Username != "clerk" {
				t.Fatalf("%s event: %+v", typ, ev)
			}
		}
		pub := col.waitFor(t, time.Second, func(e Event) bool { return e.Type == EventRecordPublished })
		if pub.Data["commit"] != h[0].Hash || pub.Data["path"] != wantPath || pub.Data["status"] != "published" {
			t.Fatalf("published event data: %+v", pub.Data)
		}
		assertConsistent(t, f.c)
	})
}

func TestDraftInputErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], false)
	r := f.c.Records()
	_, err := r.CreateDraft(ctx, f.clerk, Changes{})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) || e.Code != CodeValidation || len(e.Fields) != 2 || e.Fields[0].Field != "title" || e.Fields[1].Field != "type" {
		t.Fatalf("missing title and type: %v", err)
	}
	_, err = r.CreateDraft(ctx, f.clerk, Changes{Title: ptr("x"), Type: ptr("no-such-type")})
	if !errors.As(err, &e) || e.Code != CodeValidation || e.Fields[0].Field != "type" {
		t.Fatalf("unknown type: %v", err)
	}
	_, err = r.CreateDraft(ctx, f.clerk, Changes{Title: ptr("x"), Type: ptr("bylaw"), Status: ptr("bogus")})
	if !errors.As(err, &e) || e.Fields[0].Field != "status" {
		t.Fatalf("unknown status: %v", err)
	}
	// A controlled status must be reachable from the initial status by the role.
	_, err = r.CreateDraft(ctx, f.clerk, Changes{Title: ptr("x"), Type: ptr("bylaw"), Status: ptr("approved")})
	wantKind(t, err, ErrInvalid, CodeInvalidTransition)
	if _, err := r.CreateDraft(ctx, f.clerk, Changes{Title: ptr("x"), Type: ptr("bylaw"), Status: ptr("proposed")}); err != nil {
		t.Fatalf("draft -> proposed is the clerk's: %v", err)
	}
	pub := mkUser(t, f.c, "resident", "public")
	_, err = r.CreateDraft(ctx, pub, Changes{Title: ptr("x"), Type: ptr("bylaw")})
	wantKind(t, err, ErrForbidden, CodeInsufficientPerms)
	_, err = r.CreateDraft(ctx, nil, Changes{Title: ptr("x"), Type: ptr("bylaw")})
	wantKind(t, err, ErrUnauthenticated, CodeUnauthenticated)
	// Upsert of an unknown id without title and type.
	_, err = r.SaveDraft(ctx, f.clerk, "does-not-exist", Changes{Title: ptr("nope")})
	if !errors.As(err, &e) || e.Code != CodeValidation || e.Fields[0].Field != "type" {
		t.Fatalf("new draft without type: %v", err)
	}
	_, err = r.Publish(ctx, f.clerk, "does-not-exist", PublishOptions{})
	wantKind(t, err, ErrNotFound, CodeDraftNotFound)
	_, err = r.Update(ctx, f.clerk, "does-not-exist", Changes{Title: ptr("x")})
	wantKind(t, err, ErrNotFound, CodeRecordNotFound)
	_, err = r.Get(ctx, nil, "../../etc/passwd")
	wantKind(t, err, ErrNotFound, CodeRecordNotFound)
	if err := r.DeleteDraft(ctx, f.clerk, "nothing-here"); !errors.Is(err, ErrNotFound) || Code(err) != CodeDraftNotFound {
		t.Fatalf("delete unknown draft: %v", err)
	}
}

func TestDraftIDsUniqueAcrossConcurrentCreators(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		// A second core on the same project stands for another process.
		other := openCfg(t, f.cfg)
		const per = 25
		var mu sync.Mutex
		ids := map[string]bool{}
		var wg sync.WaitGroup
		errs := make(chan error, 4*per)
		for _, c := range []*Core{f.c, other} {
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						d, err := c.Records().CreateDraft(ctx, f.clerk, Changes{Title: ptr("t"), Type: ptr("policy")})
						if err != nil {
							errs <- err
							return
						}
						mu.Lock()
						if ids[d.ID] {
							errs <- fmt.Errorf("id %s issued twice", d.ID)
						}
						ids[d.ID] = true
						mu.Unlock()
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		_, total, err := f.c.Records().ListDrafts(ctx, f.admin, DraftFilter{Limit: 1000})
		if err != nil || total != 4*per || len(ids) != 4*per {
			t.Fatalf("drafts %d, ids %d, %v", total, len(ids), err)
		}
	})
}

func TestDraftFromPublishedAndCoAuthors(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		r := f.c.Records()
		rec := f.publish(t, f.clerk, "Tree Protection", "bylaw", "Trees are protected.", "published")
		before, _ := r.Get(ctx, nil, rec.ID)
		// Realtime writeback: the hub writes as System, naming the editors.
		d, err := r.SaveDraftBody(ctx, System, rec.ID, "Trees are protected.\n\nFines apply.", []*User{f.clerk2, f.admin})
		if err != nil {
			t.Fatal(err)
		}
		if d.Title != "Tree Protection" || d.Type != "bylaw" || d.Status != "published" || d.Body != "Trees are protected.\n\nFines apply." ||
			d.Metadata.String("document_number") != before.Metadata.String("document_number") || d.CreatedBy != actorKey(f.clerk2) {
			t.Fatalf("draft from published: %+v", d)
		}
		if len(d.Contributors) != 2 || d.Contributors[0].Username != "clerk2" || d.Contributors[1].Username != "admin" {
			t.Fatalf("contributors: %+v", d.Contributors)
		}
		// The published record is untouched until publish, but flags the draft for editors.
		got, _ := r.Get(ctx, f.clerk, rec.ID)
		if got.Content != "Trees are protected." || !got.HasDraft {
			t.Fatalf("published changed or draft not flagged: %q %v", got.Content, got.HasDraft)
		}
		if anon, _ := r.Get(ctx, nil, rec.ID); anon.HasDraft {
			t.Fatal("anonymous readers see hasUnpublishedChanges")
		}
		if _, err := r.SaveDraftBody(ctx, System, rec.ID, "Trees are protected.\n\nFines of $500 apply.", []*User{f.clerk}); err != nil {
			t.Fatal(err)
		}
		out, err := r.Publish(ctx, f.admin, rec.ID, PublishOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if out.Status != "published" || out.Metadata.String("document_number") != before.Metadata.String("document_number") {
			t.Fatalf("republished: %+v", out)
		}
		h, _, _ := r.History(ctx, f.admin, rec.ID, HistoryOptions{})
		msg := h[0].Message
		if !strings.HasPrefix(msg, "Update record: Tree Protection\n\n") ||
			!strings.Contains(msg, "Co-authored-by: Deputy Clerk <clerk2@example.org>") ||
			!strings.Contains(msg, "Co-authored-by: City Clerk <clerk@example.org>") ||
			strings.Contains(msg, "Admin User") || h[0].AuthorName != "Admin User" {
			t.Fatalf("commit message:\n%s\nby %s", msg, h[0].AuthorName)
		}
		// Contributors are cleared by publish: the next draft starts afresh.
		d, _ = r.SaveDraftBody(ctx, System, rec.ID, "x", []*User{f.clerk2})
		if len(d.Contributors) != 1 {
			t.Fatalf("contributors after publish: %+v", d.Contributors)
		}
	})
}

func TestDraftVisibilityAndDeletion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], false)
	r := f.c.Records()
	mine := f.draft(t, f.contributor, "Mine", "policy", "a")
	theirs := f.draft(t, f.clerk, "Theirs", "policy", "b")
	ds, n, err := r.ListDrafts(ctx, f.contributor, DraftFilter{})
	if err != nil || n != 1 || ds[0].ID != mine.ID {
		t.Fatalf("contributor sees %d drafts: %v", n, err)
	}
	if _, n, _ := r.ListDrafts(ctx, f.clerk2, DraftFilter{}); n != 2 {
		t.Fatalf("an editor sees %d drafts, want 2", n)
	}
	if _, n, _ := r.ListDrafts(ctx, f.clerk2, DraftFilter{Types: []string{"bylaw"}}); n != 0 {
		t.Fatalf("type filter ignored: %d", n)
	}
	if _, err := r.GetDraft(ctx, f.contributor, theirs.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("contributor read someone else's draft: %v", err)
	}
	if _, err := r.GetDraft(ctx, f.contributor, mine.ID); err != nil {
		t.Fatal(err)
	}
	// Deleting someone else's draft takes records:delete.
	wantKind(t, r.DeleteDraft(ctx, f.clerk2, theirs.ID), ErrForbidden, CodeInsufficientPerms)
	if err := r.DeleteDraft(ctx, f.clerk, theirs.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteDraft(ctx, f.admin, mine.ID); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := r.ListDrafts(ctx, f.admin, DraftFilter{}); n != 0 {
		t.Fatalf("%d drafts left", n)
	}
}

func TestUpdatePublishedRecord(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		r := f.c.Records()
		rec := f.publish(t, f.clerk, "Parking", "policy", "Park here.", "published")
		col, unsub := collect(f.c, EventRecordUpdated)
		defer unsub()
		out, err := r.Update(ctx, f.clerk2, rec.ID, Changes{Body: ptr("Park there."), Metadata: NewMap("department", "Transport", "tags", []any{"parking"}),
			WorkflowState: ptr("under_review")})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := r.Get(ctx, nil, rec.ID)
		// Metadata merged: the authorship written at publish stays.
		if got.Content != "Park there." || got.Metadata.String("department") != "Transport" || got.Metadata.String("author") != "clerk" ||
			got.WorkflowState != "under_review" || out.WorkflowState != "under_review" || !got.Updated.After(rec.Created.Add(-time.Second)) {
			t.Fatalf("after update: %+v", got)
		}
		h, _, _ := r.History(ctx, f.clerk, rec.ID, HistoryOptions{})
		if len(h) != 2 || h[0].Message != "Update record: Parking" || h[0].AuthorName != "Deputy Clerk" {
			t.Fatalf("history: %+v", h)
		}
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.RecordID == rec.ID && e.RecordType == "policy" })
		_, err = r.Update(ctx, f.clerk, rec.ID, Changes{Type: ptr("bylaw")})
		wantKind(t, err, ErrInvalid, CodeValidation)
		_, err = r.Update(ctx, f.contributor, rec.ID, Changes{Title: ptr("x")})
		wantKind(t, err, ErrForbidden, CodeInsufficientPerms)
		// An invalid value in the assembled record names the field.
		_, err = r.Update(ctx, f.clerk, rec.ID, Changes{Metadata: NewMap("priority", "urgent")})
		var e *Error
		if !errors.As(err, &e) || e.Code != CodeRecordValidation || e.Fields[0].Field != "priority" {
			t.Fatalf("schema failure: %v", err)
		}
		assertConsistent(t, f.c)
	})
}

func TestStatusTransitionsFollowWorkflow(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		r := f.c.Records()
		rec := f.publish(t, f.clerk, "Budget", "resolution", "Be it resolved.", "draft")
		tr, err := r.Transitions(ctx, f.clerk, rec.ID)
		if err != nil || !slices.Equal(tr, []string{"proposed"}) {
			t.Fatalf("clerk transitions: %v %v", tr, err)
		}
		if tr, _ := r.Transitions(ctx, f.admin, rec.ID); !slices.Equal(tr, []string{"proposed", "archived"}) {
			t.Fatalf("admin transitions: %v", tr)
		}
		col, unsub := collect(f.c, EventStatusChanged)
		defer unsub()
		// One vocabulary: proposed is a workflow status and a valid record status.
		ch, err := r.ChangeStatus(ctx, f.clerk, rec.ID, "proposed", "ready for council")
		if err != nil {
			t.Fatal(err)
		}
		if ch.PreviousStatus != "draft" || ch.NewStatus != "proposed" || ch.Record.Status != "proposed" {
			t.Fatalf("change: %+v", ch)
		}
		rf, err := recordfile.Parse(readData(t, f.c, rec.Path))
		if err != nil || rf.Status != "proposed" || rf.Metadata.String("statusChangedBy") != "clerk" ||
			rf.Metadata.String("statusChangeComment") != "ready for council" || rf.Metadata.String("previousStatus") != "draft" {
			t.Fatalf("file after change: %+v %v", rf, err)
		}
		ev := col.waitFor(t, 5*time.Second, func(e Event) bool { return e.RecordID == rec.ID })
		if ev.Data["previousStatus"] != "draft" || ev.Data["status"] != "proposed" || ev.RecordType != "resolution" {
			t.Fatalf("status event: %+v", ev)
		}
		// The clerk may not review; the workflow has no proposed -> approved.
		_, err = r.ChangeStatus(ctx, f.clerk, rec.ID, "reviewed", "")
		wantKind(t, err, ErrForbidden, CodeInvalidTransition)
		_, err = r.ChangeStatus(ctx, f.admin, rec.ID, "approved", "")
		wantKind(t, err, ErrInvalid, CodeInvalidTransition)
		_, err = r.ChangeStatus(ctx, f.admin, rec.ID, "", "")
		wantKind(t, err, ErrInvalid, CodeValidation)
		if _, err := r.ChangeStatus(ctx, f.admin, rec.ID, "reviewed", ""); err != nil {
			t.Fatal(err)
		}
		// A published record is final in the default workflow.
		pub := f.publish(t, f.clerk, "Final", "policy", "x", "published")
		if tr, _ := r.Transitions(ctx, f.admin, pub.ID); len(tr) != 0 {
			t.Fatalf("published transitions: %v", tr)
		}
		_, err = r.ChangeStatus(ctx, f.admin, pub.ID, "draft", "")
		wantKind(t, err, ErrInvalid, CodeInvalidTransition)
		// Moving to archived archives.
		ch, err = r.ChangeStatus(ctx, f.admin, rec.ID, "archived", "superseded")
		if err != nil || !isArchivePath(ch.Record.Path) || ch.Record.Status != StatusArchived {
			t.Fatalf("archive by status: %+v %v", ch, err)
		}
		assertConsistent(t, f.c)
	})
}

func TestArchiveMovesFileAndLeavesSearch(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		r := f.c.Records()
		rec := f.publish(t, f.clerk, "Snow Removal Policy", "policy", "Sidewalks are cleared within 24 hours.", "published")
		if res, _ := f.c.Search().Query(ctx, nil, SearchQuery{Query: "sidewalks"}); res.Total != 1 {
			t.Fatalf("before archive, search finds %d", res.Total)
		}
		_, err := r.Archive(ctx, f.clerk, rec.ID)
		wantKind(t, err, ErrForbidden, CodeInsufficientPerms)
		col, unsub := collect(f.c, EventRecordArchived)
		defer unsub()
		out, err := r.Archive(ctx, f.admin, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		year := strings.Split(rec.Path, "/")[2]
		want := "archive/policy/" + year + "/" + rec.ID + ".md"
		if out.Path != want || out.Status != StatusArchived {
			t.Fatalf("archived at %s (%s)", out.Path, out.Status)
		}
		if _, err := os.Stat(f.c.abs(rec.Path)); !os.IsNotExist(err) {
			t.Fatalf("old file still there: %v", err)
		}
		rf, err := recordfile.Parse(readData(t, f.c, want))
		if err != nil || rf.Status != StatusArchived || rf.Metadata.String("archived_by") != "admin" || rf.Metadata.String("archived_at") == "" {
			t.Fatalf("archived file: %+v %v", rf, err)
		}
		got, err := r.Get(ctx, nil, rec.ID)
		if err != nil || got.Path != want || got.Status != StatusArchived {
			t.Fatalf("get archived: %+v %v", got, err)
		}
		if res, _ := f.c.Search().Query(ctx, nil, SearchQuery{Query: "sidewalks"}); res.Total != 0 {
			t.Fatalf("archived record still searchable: %d", res.Total)
		}
		h, _, _ := r.History(ctx, f.admin, rec.ID, HistoryOptions{})
		if len(h) != 2 || h[0].Message != "Archive record: Snow Removal Policy" || !slices.Contains(h[0].Files, want) || !slices.Contains(h[0].Files, rec.Path) {
			t.Fatalf("history: %+v", h)
		}
		ev := col.waitFor(t, 5*time.Second, func(e Event) bool { return e.RecordID == rec.ID })
		if ev.Data["path"] != want || ev.Data["previousPath"] != rec.Path {
			t.Fatalf("archive event: %+v", ev)
		}
		// Archived records are read-only; archiving again changes nothing.
		_, err = r.Update(ctx, f.admin, rec.ID, Changes{Title: ptr("x")})
		wantKind(t, err, ErrConflict, CodeRecordArchived)
		_, err = r.SaveDraft(ctx, f.admin, rec.ID, Changes{Body: ptr("x")})
		wantKind(t, err, ErrConflict, CodeRecordArchived)
		if _, err := r.Archive(ctx, f.admin, rec.ID); err != nil {
			t.Fatal(err)
		}
		if h, _, _ := r.History(ctx, f.admin, rec.ID, HistoryOptions{}); len(h) != 2 {
			t.Fatalf("second archive committed: %d commits", len(h))
		}
		assertConsistent(t, f.c)
	})
}

func TestEditingLocks(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		r := f.c.Records()
		rec := f.publish(t, f.clerk, "Noise", "bylaw", "Quiet.", "draft")
		draftOnly := f.draft(t, f.clerk, "Other", "bylaw", "x")
		col, unsub := collect(f.c, EventRecordLocked, EventRecordUnlocked)
		defer unsub()
		l, err := r.Lock(ctx, f.clerk, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.LockedBy != actorKey(f.clerk) || l.Holder != "clerk" || l.Expires.Sub(time.Now()) < LockDuration-time.Minute {
			t.Fatalf("lock: %+v", l)
		}
		if _, err := r.SaveDraft(ctx, f.clerk, rec.ID, Changes{Body: ptr("holder edits")}); err != nil {
			t.Fatalf("holder blocked: %v", err)
		}
		writes := map[string]func() error{
			"lock":    func() error { _, err := r.Lock(ctx, f.clerk2, rec.ID); return err },
			"draft":   func() error { _, err := r.SaveDraft(ctx, f.clerk2, rec.ID, Changes{Body: ptr("x")}); return err },
			"body":    func() error { _, err := r.SaveDraftBody(ctx, f.clerk2, rec.ID, "x", nil); return err },
			"delete":  func() error { return r.DeleteDraft(ctx, f.admin, rec.ID) },
			"publish": func() error { _, err := r.Publish(ctx, f.clerk2, rec.ID, PublishOptions{}); return err },
			"update":  func() error { _, err := r.Update(ctx, f.clerk2, rec.ID, Changes{Title: ptr("x")}); return err },
			"status":  func() error { _, err := r.ChangeStatus(ctx, f.admin, rec.ID, "proposed", ""); return err },
			"archive": func() error { _, err := r.Archive(ctx, f.admin, rec.ID); return err },
		}
		for name, w := range writes {
			err := w()
			wantKind(t, err, ErrConflict, CodeRecordLocked)
			var held *LockHeldError
			if !errors.As(err, &held) || held.Lock.Holder != "clerk" || held.Lock.Expires.Before(time.Now().Add(LockDuration-time.Minute)) {
				t.Fatalf("%s: lock details: %+v", name, held)
			}
		}
		// Renewal by the holder extends the lock and is not announced again.
		time.Sleep(5 * time.Millisecond)
		l2, err := r.Lock(ctx, f.clerk, rec.ID)
		if err != nil || !l2.Expires.After(l.Expires) {
			t.Fatalf("renewal: %+v %v", l2, err)
		}
		if ok, err := r.Unlock(ctx, f.clerk2, rec.ID); err != nil || ok {
			t.Fatalf("someone else's unlock released it: %v %v", ok, err)
		}
		if st, _ := r.LockStatus(ctx, f.clerk2, rec.ID); st == nil || st.Holder != "clerk" {
			t.Fatalf("status: %+v", st)
		}
		if ok, err := r.Unlock(ctx, f.clerk, rec.ID); err != nil || !ok {
			t.Fatalf("unlock: %v %v", ok, err)
		}
		if st, _ := r.LockStatus(ctx, f.clerk2, rec.ID); st != nil {
			t.Fatalf("still locked: %+v", st)
		}
		if _, err := r.Update(ctx, f.clerk2, rec.ID, Changes{Title: ptr("Noise (amended)")}); err != nil {
			t.Fatal(err)
		}
		// A draft-only record can be locked; an unknown one cannot.
		if _, err := r.Lock(ctx, f.clerk2, draftOnly.ID); err != nil {
			t.Fatal(err)
		}
		_, err = r.Lock(ctx, f.clerk2, "no-such-record")
		wantKind(t, err, ErrNotFound, CodeRecordNotFound)
		// An expired lock holds nobody back.
		if _, err := f.c.db.Bun().ExecContext(ctx, "UPDATE record_locks SET expires_at = ? WHERE record_id = ?", store.ISO(time.Now().Add(-time.Second)), draftOnly.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.SaveDraft(ctx, f.clerk, draftOnly.ID, Changes{Body: ptr("y")}); err != nil {
			t.Fatalf("expired lock still enforced: %v", err)
		}
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Type == EventRecordUnlocked && e.RecordID == rec.ID })
		col.mu.Lock()
		locked := 0
		for _, e := range col.evs {
			if e.Type == EventRecordLocked && e.RecordID == rec.ID {
				locked++
			}
		}
		col.mu.Unlock()
		if locked != 1 {
			t.Fatalf("%d lock events for one lock and its renewal", locked)
		}
	})
}

func TestDocumentNumbersIncrementUnderConcurrency(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		other := openCfg(t, f.cfg)
		year := time.Now().UTC().Year()
		// A number already in a file (imported) raises the sequence past it.
		imported := fmt.Sprintf("---\nid: imported-1\ntitle: Imported Bylaw\ntype: bylaw\nstatus: published\n\nauthor: clerk\n\ncreated: %d-01-02T00:00:00.000Z\nupdated: %d-01-02T00:00:00.000Z\n\nmetadata:\n  document_number: BYL-%d-007\n\n---\n\nImported.\n", year, year, year)
		rel := fmt.Sprintf("records/bylaw/%d/imported-1.md", year)
		if err := writeDurable(f.c.abs(rel), []byte(imported)); err != nil {
			t.Fatal(err)
		}
		if rep, err := f.c.Records().Reindex(ctx, f.admin); err != nil || rep.Indexed != 1 {
			t.Fatalf("reindex: %+v %v", rep, err)
		}
		const n = 12
		var wg sync.WaitGroup
		nums := make(chan string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := f.c
				if i%2 == 1 {
					c = other
				}
				d, err := c.Records().CreateDraft(ctx, f.clerk, Changes{Title: ptr(fmt.Sprintf("Bylaw %d", i)), Type: ptr("bylaw"), Body: ptr("x")})
				if err != nil {
					t.Error(err)
					return
				}
				rec, err := c.Records().Publish(ctx, f.clerk, d.ID, PublishOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				nums <- rec.Metadata.String("document_number")
			}()
		}
		wg.Wait()
		close(nums)
		var got []string
		for s := range nums {
			got = append(got, s)
		}
		slices.Sort(got)
		var want []string
		for i := 8; i < 8+n; i++ {
			want = append(want, fmt.Sprintf("BYL-%d-%03d", year, i))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("numbers %v, want %v", got, want)
		}
		// Other types have their own sequence; non-legal types get none.
		p := f.publish(t, f.clerk, "P", "policy", "x", "")
		if p.Metadata.String("document_number") != fmt.Sprintf("POL-%d-001", year) {
			t.Fatalf("policy number %q", p.Metadata.String("document_number"))
		}
		if s := f.publish(t, f.clerk, "S", "session", "x", ""); s.Metadata.Has("document_number") {
			t.Fatal("a session got a document number")
		}
	})
}

func TestHistoryAndDiff(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], false)
	r := f.c.Records()
	rec := f.publish(t, f.clerk, "Water", "policy", "Line one.\nLine two.", "published")
	if _, err := r.Update(ctx, f.clerk, rec.ID, Changes{Body: ptr("Line one.\nLine 2.\nLine three.")}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Update(ctx, f.clerk2, rec.ID, Changes{Title: ptr("Water Policy")}); err != nil {
		t.Fatal(err)
	}
	h, n, err := r.History(ctx, f.admin, rec.ID, HistoryOptions{})
	if err != nil || n != 3 || h[2].Message != "Create record: Water" || h[0].AuthorName != "Deputy Clerk" {
		t.Fatalf("history: %+v %v", h, err)
	}
	if h, n, _ := r.History(ctx, f.admin, rec.ID, HistoryOptions{Author: "DEPUTY"}); n != 1 || len(h) != 1 {
		t.Fatalf("author filter: %d", n)
	}
	if h, n, _ := r.History(ctx, f.admin, rec.ID, HistoryOptions{Limit: 1, Offset: 1}); n != 3 || len(h) != 1 || !strings.HasPrefix(h[0].Message, "Update") {
		t.Fatalf("page: %d %+v", n, h)
	}
	if _, n, _ := r.History(ctx, f.admin, "", HistoryOptions{}); n < 4 {
		t.Fatalf("repository history has %d commits", n)
	}
	// Latest against the one before: the title changed, not the body.
	d, err := r.Diff(ctx, f.admin, rec.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]FieldChange{}
	for _, fc := range d.Fields {
		fields[fc.Field] = fc
	}
	if fields["title"].Old != "Water" || fields["title"].New != "Water Policy" || fields["title"].Kind != "modified" || d.Body != "" || d.To != h[0].Hash || d.From != h[1].Hash {
		t.Fatalf("diff: %+v", d)
	}
	// First version against the second (abbreviated hashes): the body lines.
	d, err = r.Diff(ctx, f.admin, rec.ID, h[2].Hash[:8], h[1].Hash[:10])
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"-Line two.", "+Line 2.", "+Line three.", " Line one."} {
		if !strings.Contains(d.Body, l+"\n") {
			t.Fatalf("body diff lacks %q:\n%s", l, d.Body)
		}
	}
	if _, ok := fields["updated"]; !ok {
		t.Fatal("updated timestamp change not reported")
	}
	_, err = r.Diff(ctx, f.admin, rec.ID, "deadbeef", "")
	wantKind(t, err, ErrNotFound, CodeCommitNotFound)
	_, _, err = r.History(ctx, nil, rec.ID, HistoryOptions{})
	wantKind(t, err, ErrUnauthenticated, "")
}

func TestListSortsFiltersAndSummary(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		r := f.c.Records()
		var ids []string
		for i, s := range []struct{ title, typ, status string }{
			{"Charlie", "bylaw", "published"}, {"alpha", "policy", "draft"}, {"Bravo", "bylaw", "draft"}, {"Delta", "policy", "published"},
		} {
			rec := f.publish(t, f.clerk, s.title, s.typ, fmt.Sprintf("body %d", i), s.status)
			ids = append(ids, rec.ID)
		}
		l, err := r.List(ctx, nil, ListOptions{Sort: SortTitleAsc})
		if err != nil || l.Total != 4 {
			t.Fatal(l, err)
		}
		var titles []string
		for _, rec := range l.Records {
			titles = append(titles, rec.Title)
		}
		if !slices.Equal(titles, []string{"alpha", "Bravo", "Charlie", "Delta"}) {
			t.Fatalf("title_asc: %v", titles)
		}
		l, _ = r.List(ctx, nil, ListOptions{Types: []string{"bylaw"}, Statuses: []string{"draft"}})
		if l.Total != 1 || l.Records[0].Title != "Bravo" {
			t.Fatalf("type and status filters: %+v", l)
		}
		l, _ = r.List(ctx, nil, ListOptions{Limit: 2, Offset: 2})
		if l.Total != 4 || len(l.Records) != 2 || l.Records[0].ID != ids[1] || l.Records[1].ID != ids[0] {
			t.Fatalf("created_desc page 2: %d %v", l.Total, l.Records)
		}
		if _, err := r.SaveDraftBody(ctx, f.clerk, ids[3], "changed", nil); err != nil {
			t.Fatal(err)
		}
		l, _ = r.List(ctx, f.contributor, ListOptions{Limit: 1})
		if l.Records[0].ID != ids[3] || !l.Records[0].HasDraft {
			t.Fatalf("hasUnpublishedChanges: %+v", l.Records[0])
		}
		if _, err := r.List(ctx, nil, ListOptions{Sort: "relevance"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("relevance sort on list: %v", err)
		}
		s, err := r.Summary(ctx, nil, nil)
		if err != nil || s.Total != 4 || s.Types["bylaw"] != 2 || s.Statuses["published"] != 2 || s.Statuses["draft"] != 2 {
			t.Fatalf("summary: %+v %v", s, err)
		}
		if s, _ := r.Summary(ctx, nil, []string{"policy"}); s.Total != 2 {
			t.Fatalf("summary by type: %+v", s)
		}
		// internal_only records are left out of lists.
		if _, err := r.Update(ctx, f.clerk, ids[0], Changes{WorkflowState: ptr("internal_only")}); err != nil {
			t.Fatal(err)
		}
		if l, _ := r.List(ctx, nil, ListOptions{}); l.Total != 3 {
			t.Fatalf("internal_only listed: %d", l.Total)
		}
	})
}

func TestGetFallsBackToIndexRow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], false)
	rec := f.publish(t, f.clerk, "Fallback", "policy", "From the file.", "published")
	if err := os.Remove(f.c.abs(rec.Path)); err != nil {
		t.Fatal(err)
	}
	got, err := f.c.Records().Get(ctx, nil, rec.ID)
	if err != nil || !got.FromIndex || got.Content != "From the file." || got.Title != "Fallback" || len(got.Authors) != 1 {
		t.Fatalf("fallback: %+v %v", got, err)
	}
	// A file the index has never seen is found where upstream puts files.
	year := time.Now().UTC().Year()
	rel := fmt.Sprintf("records/policy/%d/dropped-in.md", year)
	data := fmt.Sprintf("---\nid: dropped-in\ntitle: Dropped In\ntype: policy\nstatus: published\n\nauthor: clerk\n\ncreated: %d-01-01T00:00:00.000Z\nupdated: %d-01-01T00:00:00.000Z\n\n---\n\nHello.\n", year, year)
	if err := os.WriteFile(f.c.abs(rel), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = f.c.Records().Get(ctx, nil, "dropped-in")
	if err != nil || got.Title != "Dropped In" || got.Path != rel {
		t.Fatalf("unindexed file: %+v %v", got, err)
	}
	if l, _ := f.c.Records().List(ctx, nil, ListOptions{}); l.Total != 2 {
		t.Fatalf("not indexed on read: %d", l.Total)
	}
}
