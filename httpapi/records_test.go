package httpapi

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

// createDraft posts a draft as role and returns its id.
func (e *env) createDraft(role string, body map[string]any) string {
	e.t.Helper()
	r := e.do(role, "POST", "/api/v1/records", body).want(e.t, 201)
	id, _ := at(r.Body, "data", "id").(string)
	if id == "" {
		e.t.Fatalf("no id: %s", r.Raw)
	}
	return id
}

func TestCreateDraft(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("clerk", "POST", "/api/v1/records", map[string]any{"title": "Dog Park Bylaw", "type": "bylaw",
		"content": "# Dog Park\n\nSection 1. Leashes.\n", "metadata": map[string]any{"tags": []string{"parks", "dogs"}}}).want(t, 201)
	d := r.data()
	if !regexp.MustCompile(`^record-\d+$`).MatchString(d["id"].(string)) || d["status"] != "draft" || d["workflowState"] != "draft" ||
		d["markdownBody"] != "# Dog Park\n\nSection 1. Leashes.\n" || d["author"] != "clerk1" || d["created_by"] != fmt.Sprint(e.users["clerk"].ID) {
		t.Fatalf("%s", r.Raw)
	}
	if tags, _ := at(d, "metadata", "tags").([]any); len(tags) != 2 {
		t.Fatalf("metadata: %s", r.Raw)
	}
	for _, k := range []string{"attachedFiles", "linkedRecords", "linkedGeographyFiles"} {
		if l, ok := d[k].([]any); !ok || len(l) != 0 {
			t.Fatalf("%s should be []: %s", k, r.Raw)
		}
	}
	if _, ok := d["isDraft"]; ok {
		t.Fatalf("create has no isDraft upstream: %s", r.Raw)
	}

	body := map[string]any{"title": "X", "type": "bylaw"}
	// Without a Bearer token the CSRF check answers first, as upstream.
	e.do("", "POST", "/api/v1/records", body).wantErr(t, 403, "CSRF_TOKEN_MISSING")
	e.send(e.req("POST", "/api/v1/records").header("X-CSRF-Token", e.core.CSRFToken()).json(body)).wantErr(t, 401, "MISSING_AUTH")
	e.send(e.req("POST", "/api/v1/records").as("not-a-real-token").json(body)).wantErr(t, 401, civicpress.CodeInvalidToken)
	er := e.do("public", "POST", "/api/v1/records", body).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	if at(er, "details", "user", "username") != "public1" || at(er, "details", "required") == nil {
		t.Fatalf("%v", er)
	}
	er = e.do("clerk", "POST", "/api/v1/records", map[string]any{"type": "bylaw"}).wantErr(t, 400, civicpress.CodeValidation)
	if !slices.Contains(fieldPaths(er), "title") {
		t.Fatalf("%v", er)
	}
	er = e.do("clerk", "POST", "/api/v1/records", map[string]any{"title": "X", "type": "bylaw", "metadata": "tags",
		"attachedFiles": []any{"a"}, "linkedRecords": map[string]any{}}).wantErr(t, 400, civicpress.CodeValidation)
	if got := fieldPaths(er); !slices.Equal(got, []string{"metadata", "attachedFiles", "linkedRecords"}) || er["message"] != "Invalid record data" {
		t.Fatalf("%v", er)
	}
	er = e.do("clerk", "POST", "/api/v1/records", map[string]any{"title": 5, "type": "bylaw"}).wantErr(t, 400, civicpress.CodeValidation)
	if got := fieldPaths(er); !slices.Equal(got, []string{"title"}) {
		t.Fatalf("%v", er)
	}
	e.send(e.req("POST", "/api/v1/records").as(e.tok["clerk"]).raw("application/json", `{"title": "oops"`)).wantErr(t, 400, "MALFORMED_JSON")
}

func TestRecordLifecycle(t *testing.T) {
	e := ownEnv(t, civicpress.Config{}, Options{})
	id := e.createDraft("clerk", map[string]any{"title": "Zanzibar Kiosk Bylaw", "type": "bylaw", "content": "# Kiosks\n\nSection 1. Permits.\n"})
	rec := "/api/v1/records/" + id

	// A draft is not a published record ...
	e.do("clerk", "GET", rec, nil).wantErr(t, 404, civicpress.CodeRecordNotFound)
	e.do("", "GET", rec+"?edit=true", nil).wantErr(t, 404, civicpress.CodeRecordNotFound)
	// ... but its editor sees it in edit mode and in the drafts list.
	r := e.do("clerk", "GET", rec+"?edit=true", nil).want(t, 200)
	if at(r.Body, "data", "isDraft") != true || at(r.Body, "data", "markdownBody") != "# Kiosks\n\nSection 1. Permits.\n" {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("clerk", "GET", "/api/v1/records/drafts?type=bylaw", nil).want(t, 200)
	var found map[string]any
	for _, d := range at(r.Body, "data", "drafts").([]any) {
		if at(d, "id") == id {
			found = d.(map[string]any)
		}
	}
	if found == nil || found["isDraft"] != true || found["content"] != found["markdownBody"] || at(r.Body, "data", "total") == nil {
		t.Fatalf("drafts: %s", r.Raw)
	}
	r = e.do("public", "GET", "/api/v1/records/drafts", nil).want(t, 200)
	if strings.Contains(string(r.Raw), id) {
		t.Fatalf("someone else's draft listed for the public role: %s", r.Raw)
	}
	e.do("", "GET", "/api/v1/records/drafts", nil).wantErr(t, 401, "MISSING_AUTH")
	e.do("clerk", "GET", "/api/v1/records/drafts?limit=0", nil).wantErr(t, 400, civicpress.CodeValidation)
	r = e.do("clerk", "GET", rec+"/transitions", nil).want(t, 200)
	if tr, ok := at(r.Body, "data", "transitions").([]any); !ok || len(tr) != 0 {
		t.Fatalf("draft-only transitions: %s", r.Raw)
	}
	e.do("", "GET", rec+"/transitions", nil).wantErr(t, 401, "MISSING_AUTH")

	// Draft update keeps the workflow state.
	r = e.do("clerk", "PUT", rec+"/draft", map[string]any{"title": "Zanzibar Kiosk Bylaw (rev 2)",
		"markdownBody": "# Kiosks\n\nSection 1. Permits.\n\nSection 2. Fees.\n"}).want(t, 200)
	if at(r.Body, "data", "title") != "Zanzibar Kiosk Bylaw (rev 2)" || at(r.Body, "data", "workflowState") != "draft" {
		t.Fatalf("%s", r.Raw)
	}
	er := e.do("clerk", "PUT", "/api/v1/records/does-not-exist-xyz/draft", map[string]any{"title": "nope"}).wantErr(t, 400, civicpress.CodeValidation)
	if !slices.Contains(fieldPaths(er), "type") {
		t.Fatalf("%v", er)
	}
	e.do("public", "PUT", rec+"/draft", map[string]any{"title": "hijack"}).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("", "PUT", rec+"/draft", map[string]any{"title": "anon"}).wantErr(t, 403, "CSRF_TOKEN_MISSING")

	// Locks.
	r = e.do("clerk", "POST", rec+"/lock", nil).want(t, 200)
	if at(r.Body, "data", "locked") != true || at(r.Body, "data", "recordId") != id {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("clerk", "GET", rec+"/lock", nil).want(t, 200)
	if at(r.Body, "data", "locked") != true || at(r.Body, "data", "lockedBy") != fmt.Sprint(e.users["clerk"].ID) {
		t.Fatalf("%s", r.Raw)
	}
	exp, err := time.Parse(time.RFC3339, at(r.Body, "data", "expiresAt").(string))
	if err != nil || time.Until(exp) < 29*time.Minute {
		t.Fatalf("expiry %v %v", exp, err)
	}
	er = e.do("admin", "POST", rec+"/lock", nil).wantErr(t, 409, civicpress.CodeRecordLocked)
	if at(er, "details", "lockedBy") != fmt.Sprint(e.users["clerk"].ID) || at(er, "details", "expiresAt") == nil || at(er, "details", "holder") != "clerk1" {
		t.Fatalf("%v", er)
	}
	e.do("admin", "PUT", rec+"/draft", map[string]any{"title": "blocked"}).wantErr(t, 409, civicpress.CodeRecordLocked)
	e.do("clerk", "POST", rec+"/lock", nil).want(t, 200) // the holder renews
	r = e.do("admin", "DELETE", rec+"/lock", nil).want(t, 200)
	if at(r.Body, "data", "locked") != true {
		t.Fatalf("someone else's lock released: %s", r.Raw)
	}
	e.do("", "GET", rec+"/lock", nil).wantErr(t, 401, "MISSING_AUTH")
	e.do("", "POST", rec+"/lock", nil).wantErr(t, 403, "CSRF_TOKEN_MISSING")
	e.do("public", "POST", rec+"/lock", nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	r = e.do("clerk", "DELETE", rec+"/lock", nil).want(t, 200)
	if at(r.Body, "data", "locked") != false {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("clerk", "GET", rec+"/lock", nil).want(t, 200)
	if !strings.Contains(string(r.Raw), `"locked":false`) || !strings.Contains(string(r.Raw), `"lockedBy":null`) || !strings.Contains(string(r.Raw), `"expiresAt":null`) {
		t.Fatalf("%s", r.Raw)
	}

	// Publish.
	e.do("public", "POST", rec+"/publish", map[string]any{"status": "published"}).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	r = e.do("clerk", "POST", rec+"/publish", map[string]any{"status": "published"}).want(t, 201)
	year := time.Now().UTC().Format("2006")
	if at(r.Body, "data", "status") != "published" || at(r.Body, "data", "path") != "records/bylaw/"+year+"/"+id+".md" ||
		!strings.Contains(string(r.Raw), `"workflowState":null`) {
		t.Fatalf("%s", r.Raw)
	}
	e.do("clerk", "POST", rec+"/publish", nil).wantErr(t, 404, civicpress.CodeDraftNotFound)
	e.do("clerk", "POST", "/api/v1/records/does-not-exist-xyz/publish", nil).wantErr(t, 404, civicpress.CodeDraftNotFound)

	// Reads of the published record.
	r = e.do("", "GET", rec, nil).want(t, 200)
	if at(r.Body, "data", "isDraft") != false || at(r.Body, "data", "content") == nil || strings.Contains(string(r.Raw), "hasUnpublishedChanges") {
		t.Fatalf("anonymous: %s", r.Raw)
	}
	r = e.do("clerk", "GET", rec, nil).want(t, 200)
	if at(r.Body, "data", "hasUnpublishedChanges") != false {
		t.Fatalf("editor: %s", r.Raw)
	}
	r = e.do("", "GET", rec+"/raw", nil).want(t, 200)
	content, _ := at(r.Body, "data", "content").(string)
	if !strings.HasPrefix(content, "---\nid: "+id+"\n") || !strings.Contains(content, "Section 2. Fees.") || at(r.Body, "data", "path") == nil {
		t.Fatalf("raw: %s", r.Raw)
	}
	r = e.do("", "GET", rec+"/frontmatter", nil)
	if r.Code != 200 || !strings.HasPrefix(r.H.Get("Content-Type"), "text/yaml") || !strings.HasPrefix(string(r.Raw), "id: "+id+"\n") ||
		strings.Contains(string(r.Raw), "---") || strings.Contains(string(r.Raw), "Section 2") {
		t.Fatalf("frontmatter %d %q %s", r.Code, r.H.Get("Content-Type"), r.Raw)
	}
	e.do("", "GET", "/api/v1/records/does-not-exist-xyz/raw", nil).wantErr(t, 404, civicpress.CodeRecordNotFound)
	e.do("", "GET", "/api/v1/records/does-not-exist-xyz/frontmatter", nil).wantErr(t, 404, civicpress.CodeRecordNotFound)

	// Search finds it; the draft flag shows for signed-in callers only.
	r = e.do("", "GET", "/api/v1/search?q=zanzibar", nil).want(t, 200)
	if at(r.Body, "data", "totalCount") != float64(1) || at(r.Body, "data", "results", 0, "id") != id ||
		at(r.Body, "data", "query") != "zanzibar" || at(r.Body, "meta", "sort") != "relevance" ||
		at(r.Body, "data", "results", 0, "hasUnpublishedChanges") != nil {
		t.Fatalf("search: %s", r.Raw)
	}

	// A new draft of the published record shows as unpublished changes.
	e.do("clerk", "PUT", rec+"/draft", map[string]any{"markdownBody": "# Kiosks\n\nSection 1. Permits, renewed yearly.\n"}).want(t, 200)
	r = e.do("clerk", "GET", rec, nil).want(t, 200)
	if at(r.Body, "data", "hasUnpublishedChanges") != true {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("clerk", "GET", "/api/v1/search?q=zanzibar", nil).want(t, 200)
	if at(r.Body, "data", "results", 0, "hasUnpublishedChanges") != true {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("clerk", "GET", "/api/v1/records?type=bylaw&limit=300", nil).want(t, 200)
	var item any
	for _, it := range at(r.Body, "data", "records").([]any) {
		if at(it, "id") == id {
			item = it
		}
	}
	if at(item, "hasUnpublishedChanges") != true {
		t.Fatalf("list item %v", item)
	}
	r = e.do("clerk", "GET", rec+"/raw", nil).want(t, 200)
	if !strings.Contains(at(r.Body, "data", "content").(string), "renewed yearly") {
		t.Fatalf("an editor's raw is the draft: %s", r.Raw)
	}
	r = e.do("", "GET", rec+"/raw", nil).want(t, 200)
	if strings.Contains(at(r.Body, "data", "content").(string), "renewed yearly") {
		t.Fatalf("the public sees the draft: %s", r.Raw)
	}
	r = e.do("clerk", "DELETE", rec+"/draft", nil).want(t, 200)
	if at(r.Body, "data", "id") != id {
		t.Fatalf("%s", r.Raw)
	}
	e.do("clerk", "DELETE", rec+"/draft", nil).wantErr(t, 404, civicpress.CodeDraftNotFound)

	// Direct update.
	r = e.do("clerk", "PUT", rec, map[string]any{"title": "Zanzibar Kiosk Bylaw (amended)", "content": "# Kiosks\n\nAmended.\n"}).want(t, 200)
	if at(r.Body, "data", "title") != "Zanzibar Kiosk Bylaw (amended)" {
		t.Fatalf("%s", r.Raw)
	}
	e.do("clerk", "PUT", "/api/v1/records/does-not-exist-xyz", map[string]any{"title": "x"}).wantErr(t, 404, civicpress.CodeRecordNotFound)
	e.do("public", "PUT", rec, map[string]any{"title": "x"}).wantErr(t, 403, civicpress.CodeInsufficientPerms)

	// History and diff.
	r = e.do("clerk", "GET", "/api/v1/history/"+id, nil).want(t, 200)
	hist, _ := at(r.Body, "data", "history").([]any)
	if len(hist) != 2 || at(hist[0], "message") != "Update record: Zanzibar Kiosk Bylaw (amended)" ||
		at(hist[1], "message") != "Create record: Zanzibar Kiosk Bylaw (rev 2)" || at(hist[0], "record") != id ||
		len(at(hist[0], "shortHash").(string)) != 8 || at(r.Body, "data", "summary", "totalCommits") != float64(2) ||
		at(r.Body, "meta", "record") != id {
		t.Fatalf("history: %s", r.Raw)
	}
	r = e.do("admin", "GET", "/api/v1/history?limit=1&record="+id, nil).want(t, 200)
	if len(at(r.Body, "data", "history").([]any)) != 1 || at(r.Body, "data", "summary", "totalCommits") != float64(2) {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("admin", "GET", "/api/v1/history?limit=3", nil).want(t, 200)
	if at(r.Body, "data", "summary", "record") != "all" || len(at(r.Body, "data", "history").([]any)) != 3 {
		t.Fatalf("%s", r.Raw)
	}
	for _, q := range []string{"limit=0", "limit=101", "since=yesterday"} {
		e.do("admin", "GET", "/api/v1/history?"+q, nil).wantErr(t, 400, civicpress.CodeValidation)
	}
	e.do("", "GET", "/api/v1/history/"+id, nil).wantErr(t, 401, "MISSING_AUTH")
	r = e.do("clerk", "GET", rec+"/diff", nil).want(t, 200)
	if at(r.Body, "data", "summary", "hasChanges") != true || !strings.Contains(at(r.Body, "data", "changes", "content", "unified").(string), "+Amended.") {
		t.Fatalf("diff: %s", r.Raw)
	}
	var titleChanged bool
	for _, f := range at(r.Body, "data", "changes", "metadata").([]any) {
		titleChanged = titleChanged || (at(f, "field") == "title" && at(f, "newValue") == "Zanzibar Kiosk Bylaw (amended)")
	}
	if !titleChanged {
		t.Fatalf("title change not reported: %s", r.Raw)
	}
	from, to := at(hist[1], "hash").(string), at(hist[0], "hash").(string)
	r2 := e.do("clerk", "GET", "/api/v1/diff/"+id+"?commit1="+from+"&commit2="+to, nil).want(t, 200)
	if at(r2.Body, "data", "changes", "content", "unified") != at(r.Body, "data", "changes", "content", "unified") {
		t.Fatalf("the two diff routes differ:\n%s\n%s", r.Raw, r2.Raw)
	}
	e.do("clerk", "GET", rec+"/diff?from=0000000&to="+to, nil).want4xx(t)
	e.do("clerk", "GET", "/api/v1/records/does-not-exist-xyz/diff", nil).wantErr(t, 404, civicpress.CodeRecordNotFound)
	e.do("", "GET", rec+"/diff", nil).wantErr(t, 401, "MISSING_AUTH")

	// Status: published is final in the default workflow.
	er = e.do("clerk", "POST", rec+"/status", map[string]any{"status": "draft"}).want4xx(t)
	if er["code"] != civicpress.CodeInvalidTransition {
		t.Fatalf("%v", er)
	}
	er = e.do("clerk", "POST", rec+"/status", map[string]any{}).wantErr(t, 400, civicpress.CodeValidation)
	if got := fieldPaths(er); !slices.Equal(got, []string{"status"}) {
		t.Fatalf("%v", er)
	}
	e.do("clerk", "POST", "/api/v1/records/does-not-exist-xyz/status", map[string]any{"status": "archived"}).wantErr(t, 404, civicpress.CodeRecordNotFound)

	// Snapshot without a realtime hub: upstream's no-op answer.
	r = e.do("clerk", "POST", rec+"/snapshot", nil).want(t, 200)
	ts, _ := at(r.Body, "data", "timestamp").(float64)
	if at(r.Body, "data", "snapshotCreated") != false || !strings.Contains(string(r.Raw), `"version":null`) || time.Since(time.UnixMilli(int64(ts))) > time.Minute ||
		at(r.Body, "data", "reason") != civicpress.SnapshotNoHub {
		t.Fatalf("%s", r.Raw)
	}
	e.do("public", "POST", rec+"/snapshot", nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("", "POST", rec+"/snapshot", nil).wantErr(t, 403, "CSRF_TOKEN_MISSING")

	// Archive.
	e.do("clerk", "DELETE", rec, nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("", "DELETE", rec, nil).wantErr(t, 403, "CSRF_TOKEN_MISSING")
	r = e.do("admin", "DELETE", rec, nil).want(t, 200)
	if at(r.Body, "data", "message") != "Record "+id+" archived successfully" || at(r.Body, "data", "archiveLocation") != "archive/bylaw/"+year+"/"+id+".md" {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("", "GET", rec, nil).want(t, 200)
	if at(r.Body, "data", "status") != "archived" {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("", "GET", "/api/v1/search?q=zanzibar", nil).want(t, 200)
	if at(r.Body, "data", "totalCount") != float64(0) {
		t.Fatalf("archived record still searchable: %s", r.Raw)
	}
	e.do("admin", "DELETE", "/api/v1/records/does-not-exist-xyz", nil).wantErr(t, 404, civicpress.CodeRecordNotFound)
}

// want4xx checks a client error with a code and returns the error object.
func (r *resp) want4xx(t testing.TB) map[string]any {
	t.Helper()
	if r.Code < 400 || r.Code >= 500 {
		t.Fatalf("status %d, want 4xx: %s", r.Code, r.Raw)
	}
	e, _ := r.Body["error"].(map[string]any)
	if e == nil || e["code"] == "" || r.Body["success"] != false {
		t.Fatalf("bad error envelope: %s", r.Raw)
	}
	return e
}

func TestWorkflowStatus(t *testing.T) {
	e := getEnv(t, Options{})
	id := e.createDraft("admin", map[string]any{"title": "Workflow Target", "type": "resolution", "content": "Be it resolved."})
	rec := "/api/v1/records/" + id
	r := e.do("admin", "POST", rec+"/publish", map[string]any{"status": "draft"}).want(t, 201)
	if at(r.Body, "data", "status") != "draft" {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("admin", "GET", rec+"/transitions", nil).want(t, 200)
	tr := at(r.Body, "data", "transitions").([]any)
	if !slices.Contains(tr, any("proposed")) {
		t.Fatalf("transitions %v", tr)
	}
	// Upstream refuses "proposed" (its schema does not know workflow
	// statuses); here a workflow status is a record status.
	r = e.do("admin", "POST", rec+"/status", map[string]any{"status": "proposed", "comment": "ready"}).want(t, 200)
	d := r.data()
	if d["previousStatus"] != "draft" || d["newStatus"] != "proposed" || d["changedBy"] != "admin" || d["comment"] != "ready" ||
		at(d, "record", "status") != "proposed" || at(d, "record", "metadata", "statusChangeComment") != "ready" {
		t.Fatalf("%s", r.Raw)
	}
	// A clerk may not approve.
	r = e.do("clerk", "GET", rec+"/transitions", nil).want(t, 200)
	if slices.Contains(at(r.Body, "data", "transitions").([]any), any("approved")) {
		t.Fatalf("%s", r.Raw)
	}
}

func TestListRecords(t *testing.T) {
	e := ownEnv(t, civicpress.Config{}, Options{})
	r := e.do("", "GET", "/api/v1/records", nil).want(t, 200)
	d := r.data()
	total := int(d["totalCount"].(float64))
	if total < 5 || d["currentPage"] != float64(1) || d["pageSize"] != float64(50) || d["sort"] != "created_desc" ||
		at(r.Body, "meta", "sort") != "created_desc" || len(d["records"].([]any)) != total {
		t.Fatalf("%s", r.Raw)
	}
	item := at(d, "records", 0).(map[string]any)
	for _, k := range []string{"id", "title", "type", "status", "content", "metadata", "path", "created_at", "updated_at", "author"} {
		if _, ok := item[k]; !ok {
			t.Fatalf("list item without %s: %v", k, item)
		}
	}
	if _, ok := item["hasUnpublishedChanges"]; ok {
		t.Fatalf("anonymous list shows the draft flag: %v", item)
	}
	r = e.do("", "GET", "/api/v1/records?limit=2&page=2", nil).want(t, 200)
	d = r.data()
	if len(d["records"].([]any)) != 2 || d["currentPage"] != float64(2) || d["totalPages"] != float64((total+1)/2) || d["pageSize"] != float64(2) {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("", "GET", "/api/v1/records?limit=2&page=999", nil).want(t, 200)
	if len(r.data()["records"].([]any)) != 0 {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("", "GET", "/api/v1/records?type=bylaw,policy", nil).want(t, 200)
	for _, it := range r.data()["records"].([]any) {
		if ty := at(it, "type"); ty != "bylaw" && ty != "policy" {
			t.Fatalf("type filter: %v", it)
		}
	}
	r = e.do("", "GET", "/api/v1/records?type=no-such-type", nil).want(t, 200)
	if r.data()["totalCount"] != float64(0) || r.data()["totalPages"] != float64(0) {
		t.Fatalf("%s", r.Raw)
	}
	// Status is applied (upstream ignores it).
	r = e.do("", "GET", "/api/v1/records?status=published", nil).want(t, 200)
	for _, it := range r.data()["records"].([]any) {
		if at(it, "status") != "published" {
			t.Fatalf("status filter: %v", it)
		}
	}
	r = e.do("", "GET", "/api/v1/records?sort=title_asc", nil).want(t, 200)
	var titles []string
	for _, it := range r.data()["records"].([]any) {
		titles = append(titles, at(it, "title").(string))
	}
	if !slices.IsSortedFunc(titles, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
		t.Fatalf("title_asc: %v", titles)
	}
	for _, q := range []string{"limit=0", "limit=301", "page=0", "limit=abc", "sort=bogus"} {
		er := e.do("", "GET", "/api/v1/records?"+q, nil).wantErr(t, 400, civicpress.CodeValidation)
		if er["message"] != "Invalid record data" || len(fieldPaths(er)) != 1 {
			t.Fatalf("%s: %v", q, er)
		}
	}
	er := e.do("", "GET", "/api/v1/records?limit=0", nil).wantErr(t, 400, civicpress.CodeValidation)
	if at(er, "details", 0, "msg") != "Limit must be between 1 and 300" || at(er, "details", 0, "value") != "0" || at(er, "details", 0, "location") != "query" {
		t.Fatalf("%v", er)
	}
	e.do("", "GET", "/api/v1/records?sort=relevance", nil).wantErr(t, 400, "INVALID_SORT_CONTEXT")

	r = e.do("", "GET", "/api/v1/records/summary", nil).want(t, 200)
	if at(r.Body, "data", "total") != float64(total) || at(r.Body, "data", "types", "bylaw") == nil || at(r.Body, "data", "statuses", "published") == nil {
		t.Fatalf("summary: %s", r.Raw)
	}
	r = e.do("", "GET", "/api/v1/records/summary?type=policy", nil).want(t, 200)
	if at(r.Body, "data", "types", "bylaw") != nil {
		t.Fatalf("summary type filter: %s", r.Raw)
	}
	r = e.do("clerk", "GET", "/api/v1/records?limit=1", nil).want(t, 200)
	if at(r.Body, "data", "records", 0, "hasUnpublishedChanges") != false {
		t.Fatalf("signed-in list without the draft flag: %s", r.Raw)
	}
}

func TestSearch(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/search?q=noise&limit=1", nil).want(t, 200)
	d := r.data()
	if d["totalCount"].(float64) < 1 || d["pageSize"] != float64(1) || d["currentPage"] != float64(1) || d["query"] != "noise" ||
		d["sort"] != "relevance" || len(d["results"].([]any)) != 1 {
		t.Fatalf("%s", r.Raw)
	}
	if s, _ := at(d, "results", 0, "snippet").(string); !strings.Contains(strings.ToLower(s), "<mark>") {
		t.Fatalf("no highlighted snippet: %s", r.Raw)
	}
	r = e.do("", "GET", "/api/v1/search?q=zzqqxxnomatch", nil).want(t, 200)
	if r.data()["totalCount"] != float64(0) || r.data()["totalPages"] != float64(0) || len(r.data()["results"].([]any)) != 0 {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("", "GET", "/api/v1/search?q=noise&type=policy", nil).want(t, 200)
	for _, it := range r.data()["results"].([]any) {
		if at(it, "type") != "policy" {
			t.Fatalf("type filter %v", it)
		}
	}
	r = e.do("", "GET", "/api/v1/search?q=bylaw&sort=title_desc", nil).want(t, 200)
	if r.data()["sort"] != "title_desc" {
		t.Fatalf("%s", r.Raw)
	}
	er := e.do("", "GET", "/api/v1/search", nil).wantErr(t, 400, civicpress.CodeValidation)
	if got := fieldPaths(er); !slices.Equal(got, []string{"q"}) || er["message"] != "Invalid request data" {
		t.Fatalf("%v", er)
	}
	e.do("", "GET", "/api/v1/search?q="+strings.Repeat("a", 513), nil).wantErr(t, 400, civicpress.CodeValidation)
	e.do("", "GET", "/api/v1/search?q="+strings.Repeat("a", 512), nil).want(t, 200)
	e.do("", "GET", "/api/v1/search?q=x&sort=bogus", nil).wantErr(t, 400, civicpress.CodeValidation)
	e.do("", "GET", "/api/v1/search?q=x&limit=301", nil).wantErr(t, 400, civicpress.CodeValidation)

	r = e.do("", "GET", "/api/v1/search/suggestions?q=noi", nil).want(t, 200)
	d = r.data()
	if d["query"] != "noi" || d["suggestions"] == nil || d["words"] == nil || d["titles"] == nil {
		t.Fatalf("%s", r.Raw)
	}
	if !strings.Contains(strings.ToLower(string(r.Raw)), "noise") {
		t.Fatalf("no completion of noi: %s", r.Raw)
	}
	e.do("", "GET", "/api/v1/search/suggestions", nil).wantErr(t, 400, civicpress.CodeValidation)
	e.do("", "GET", "/api/v1/search/suggestions?q=noi&limit=21", nil).wantErr(t, 400, civicpress.CodeValidation)
	e.do("", "GET", "/api/v1/search/suggestions?q="+strings.Repeat("b", 513), nil).wantErr(t, 400, civicpress.CodeValidation)
}

func TestGetRecord(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/records/record-1736935200000", nil).want(t, 200)
	d := r.data()
	if d["title"] != "Noise Control Bylaw" || d["type"] != "bylaw" || d["isDraft"] != false || d["path"] != "records/bylaw/2025/record-1736935200000.md" {
		t.Fatalf("%s", r.Raw)
	}
	for _, k := range []string{"attachedFiles", "linkedRecords", "linkedGeographyFiles"} {
		if _, ok := d[k].([]any); !ok {
			t.Fatalf("%s not a list: %s", k, r.Raw)
		}
	}
	er := e.do("", "GET", "/api/v1/records/does-not-exist-xyz", nil).wantErr(t, 404, civicpress.CodeRecordNotFound)
	if er["message"] != "Record not found" {
		t.Fatalf("%v", er)
	}
	// edit=true without a draft is the published record.
	r = e.do("clerk", "GET", "/api/v1/records/record-1736935200000?edit=true", nil).want(t, 200)
	if r.data()["isDraft"] != false {
		t.Fatalf("%s", r.Raw)
	}
}

// fakeHub stands in for the realtime hub behind POST /records/{id}/snapshot.
type fakeHub struct{ asked []string }

func (h *fakeHub) SnapshotRecord(_ context.Context, id string) (civicpress.SnapshotResult, error) {
	h.asked = append(h.asked, id)
	if id == "no-room" {
		return civicpress.SnapshotResult{Timestamp: time.UnixMilli(1700000000000)}, nil
	}
	v := int64(7)
	return civicpress.SnapshotResult{Created: true, Version: &v, Timestamp: time.UnixMilli(1700000000123)}, nil
}

func TestSnapshotWithHub(t *testing.T) {
	e := ownEnv(t, civicpress.Config{}, Options{})
	hub := &fakeHub{}
	e.core.AttachRealtime(hub)
	r := e.do("clerk", "POST", "/api/v1/records/record-1736935200000/snapshot", nil).want(t, 200)
	if !strings.Contains(string(r.Raw), `"snapshotCreated":true`) || !strings.Contains(string(r.Raw), `"version":7`) ||
		!strings.Contains(string(r.Raw), `"timestamp":1700000000123`) {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("clerk", "POST", "/api/v1/records/no-room/snapshot", nil).want(t, 200)
	if !strings.Contains(string(r.Raw), `"snapshotCreated":false`) || !strings.Contains(string(r.Raw), `"version":null`) {
		t.Fatalf("%s", r.Raw)
	}
	if !slices.Equal(hub.asked, []string{"record-1736935200000", "no-room"}) {
		t.Fatalf("hub asked %v", hub.asked)
	}
	e.do("public", "POST", "/api/v1/records/record-1736935200000/snapshot", nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	if len(hub.asked) != 2 {
		t.Fatal("the hub was asked on behalf of a user without records:edit")
	}
}

func TestFrontmatterOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"---\nid: a\ntitle: T\n---\n\n# Body\n", "id: a\ntitle: T"},
		{"\ufeff---\r\nid: a\r\n---\r\nbody", "id: a"},
		{"---\nid: a\n", "id: a"},
		{"no frontmatter\n", ""},
		{"---\n---\nbody", ""},
		{"", ""},
	} {
		if got := string(frontmatterOf([]byte(tc.in))); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
