package httpapi

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/civicpress/civicpress-go/civicpress"
)

func TestRecordTypes(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/system/record-types", nil).want(t, 200)
	types, _ := at(r.Body, "data", "record_types").([]any)
	if len(types) == 0 || at(r.Body, "data", "total") != float64(len(types)) {
		t.Fatalf("%s", r.Raw)
	}
	keys := map[any]bool{}
	for _, ty := range types {
		keys[at(ty, "key")] = true
		for _, f := range []string{"label", "description", "source", "priority", "fields", "validation"} {
			if at(ty, f) == nil {
				t.Fatalf("type without %s: %v", f, ty)
			}
		}
	}
	for _, k := range []string{"bylaw", "ordinance", "policy", "proclamation", "resolution", "geography", "session"} {
		if !keys[k] {
			t.Fatalf("missing type %s in %v", k, keys)
		}
	}
}

func TestRecordStatuses(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/system/record-statuses", nil).want(t, 200)
	sts, _ := at(r.Body, "data", "record_statuses").([]any)
	byKey := map[string]any{}
	for _, s := range sts {
		byKey[at(s, "key").(string)] = s
	}
	for _, k := range []string{"draft", "pending_review", "under_review", "approved", "published", "rejected", "archived", "expired"} {
		if byKey[k] == nil {
			t.Fatalf("missing status %s", k)
		}
	}
	if at(byKey["published"], "editable") != false || at(byKey["draft"], "editable") != true || at(byKey["draft"], "color") != "gray" {
		t.Fatalf("%s", r.Raw)
	}
	// Workflow statuses are statuses (one vocabulary), with their transitions.
	wf := e.core.Settings().Workflows
	for from, to := range wf.Transitions {
		s := byKey[from]
		if s == nil {
			t.Fatalf("workflow status %s not listed", from)
		}
		got, _ := at(s, "transitions").([]any)
		if len(got) != len(to) {
			t.Fatalf("%s transitions %v, want %v", from, got, to)
		}
	}
}

func TestHealth(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/health", nil).want(t, 200)
	d := r.data()
	if d["status"] != "healthy" || at(d, "checks", "database") != "ok" || at(d, "checks", "dataDir") != "ok" {
		t.Fatalf("%s", r.Raw)
	}
	if rss, _ := at(d, "memory", "rss").(float64); rss <= 0 {
		t.Fatalf("memory: %s", r.Raw)
	}
	r = e.do("", "GET", "/api/v1/health/detailed", nil).want(t, 200)
	if at(r.Body, "data", "pid") != float64(os.Getpid()) || at(r.Body, "data", "version") == nil {
		t.Fatalf("%s", r.Raw)
	}
}

func TestHealthFailsWithoutDataDir(t *testing.T) {
	e := ownEnv(t, civicpress.Config{}, Options{})
	dd := e.core.Paths().DataDir
	if err := os.Rename(dd, dd+".gone"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Rename(dd+".gone", dd) })
	er := e.do("", "GET", "/api/v1/health", nil).wantErr(t, 503, "SERVICE_UNAVAILABLE")
	if at(er, "details", "checks", "dataDir") != "unavailable" || at(er, "details", "checks", "database") != "ok" {
		t.Fatalf("%v", er)
	}
	os.Rename(dd+".gone", dd)
	e.core.Close() // the database is gone now
	er = e.do("", "GET", "/api/v1/health", nil).wantErr(t, 503, "SERVICE_UNAVAILABLE")
	if at(er, "details", "checks", "database") != "unavailable" {
		t.Fatalf("%v", er)
	}
}

func TestInfo(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/info", nil).want(t, 200)
	d := r.data()
	if _, ok := d["organization"].(map[string]any); !ok || d["user"] != nil || d["system"] != nil {
		t.Fatalf("anonymous: %s", r.Raw)
	}
	if v, ok := d["analytics"]; !ok || v != nil {
		t.Fatalf("analytics should be null: %s", r.Raw)
	}
	if at(d, "organization", "name") == nil {
		t.Fatalf("organization without name: %s", r.Raw)
	}
	// A bad token is anonymous here.
	r = e.send(e.req("GET", "/api/v1/info").as("bogus")).want(t, 200)
	if r.data()["user"] != nil {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("clerk", "GET", "/api/v1/info", nil).want(t, 200)
	if at(r.Body, "data", "user", "username") != "clerk1" || at(r.Body, "data", "note") == nil || at(r.Body, "data", "system") != nil {
		t.Fatalf("clerk: %s", r.Raw)
	}
	r = e.do("admin", "GET", "/api/v1/info", nil).want(t, 200)
	if at(r.Body, "data", "system", "dataDir") != e.core.Paths().DataDir || at(r.Body, "data", "system", "database", "type") == nil {
		t.Fatalf("admin: %s", r.Raw)
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/openapi.json", nil)
	if r.Code != 200 {
		t.Fatalf("%d", r.Code)
	}
	var doc map[string]any
	if err := json.Unmarshal(r.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
}
