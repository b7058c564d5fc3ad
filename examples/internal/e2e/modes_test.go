package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/examples/internal/app"
)

// startupWait bounds a process's start (a race-enabled build on a busy
// machine opens a project in seconds).
const startupWait = 60 * time.Second

// banner returns what the process announced for label ("REST API",
// "realtime", ...), failing the test when it announced nothing.
func banner(t testing.TB, p *proc, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(label) + `:\s+(\S+)`).FindStringSubmatch(p.output())
	if m == nil {
		t.Fatalf("%s announced no %q:\n%s", p.name, label, p.output())
	}
	return m[1]
}

func get(t testing.TB, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAllInOne: the default mode serves the API and the hub from one
// process and says where; the API's snapshot endpoint reaches the hub
// in-process; SIGTERM writes open rooms back before the process exits.
// With CIVIC_REALTIME_ENABLED=false the same binary serves the API alone.
func TestAllInOne(t *testing.T) {
	needBinaries(t)
	dir := filepath.Join(t.TempDir(), "project")
	writeRealtimeConfig(t, dir, splitRealtimeYML)
	p := start(t, binAllInOne, childEnv(dir, "CIVIC_API_ADDR=127.0.0.1:0", "CIVIC_REALTIME_ADDR=127.0.0.1:0"))
	p.waitOutput(app.ReadyLine, startupWait)
	out := p.output()
	for _, want := range []string{"CivicPress project: " + dir, "database:         SQLite", "created now, with", "administrator:    admin"} {
		if !strings.Contains(out, want) {
			t.Fatalf("banner lacks %q:\n%s", want, out)
		}
	}
	api := &apiClient{t: t, base: banner(t, p, "REST API")}
	rooms := strings.TrimSuffix(banner(t, p, "realtime"), "/records/<id>")
	if code, _ := get(t, banner(t, p, "realtime health"), ""); code != 200 {
		t.Fatalf("realtime health: %d", code)
	}
	token := api.login("admin", adminPassword)
	id := api.createDraft(token, "Parking Policy", "# Parking\n\nNo parking on Sundays.\n")
	c := mustDial(t, rooms+"/records/"+id, token)
	if err := c.appendParagraph("Except for residents."); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "snapshot through the in-process hub", func() bool {
		r := api.expect("POST", "/records/"+id+"/snapshot", token, nil, 200)
		return dig(r, "data", "snapshotCreated") == true
	})
	if _, body := api.editView(token, id); !strings.Contains(body, "Except for residents.") {
		t.Fatalf("draft after snapshot: %q", body)
	}

	// An edit still in the room (write-back delay 60 s) when SIGTERM comes
	// is written back before the process exits.
	if err := c.appendParagraph("Shutdown keeps this."); err != nil {
		t.Fatal(err)
	}
	c2 := mustDial(t, rooms+"/records/"+id, token)
	eventually(t, 10*time.Second, "edit in the room", func() bool { return strings.Contains(c2.markdown(), "Shutdown keeps this.") })
	p.stop()
	if code, _ := c.waitClosed(t, 5*time.Second); code != 1001 {
		t.Fatalf("close on shutdown: %d, want 1001 (going away)", code)
	}

	// The same binary, realtime off: the API alone, and the banner says so.
	// Started inside the project's data directory without CIVIC_PROJECT_DIR,
	// it finds the project by its .civicrc.
	p = startIn(t, filepath.Join(dir, "data", "records"), binAllInOne, childEnv("", "CIVIC_API_ADDR=127.0.0.1:0", "CIVIC_REALTIME_ADDR=127.0.0.1:0", "CIVIC_REALTIME_ENABLED=false"))
	p.waitOutput(app.ReadyLine, startupWait)
	real, err := filepath.EvalSymlinks(dir) // the child's working directory is resolved
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.output(), "CivicPress project: "+real+"\n") {
		t.Fatalf("project not found from a subdirectory:\n%s", p.output())
	}
	if got := banner(t, p, "realtime"); got != "disabled" {
		t.Fatalf("realtime line %q, want disabled", got)
	}
	if strings.Contains(p.output(), "realtime health") {
		t.Fatalf("banner announces a hub that is off:\n%s", p.output())
	}
	api = &apiClient{t: t, base: banner(t, p, "REST API")}
	if _, body := api.editView(token, id); !strings.Contains(body, "Shutdown keeps this.") {
		t.Fatalf("the edit pending at shutdown was not written back: %q", body)
	}
	r := api.expect("POST", "/records/"+id+"/snapshot", token, nil, 200)
	if dig(r, "data", "reason") != "NO_REALTIME_HUB" {
		t.Fatalf("snapshot with realtime off: %v", r)
	}
	p.stop()
}

// TestEmbedded: a host service with its own routes, the API under /civic
// and the hub on a listener of its own; the host's routes use the same
// Core (tokens) and hub (who is editing).
func TestEmbedded(t *testing.T) {
	needBinaries(t)
	dir := filepath.Join(t.TempDir(), "project")
	p := start(t, binEmbedded, childEnv(dir, "ADDR=127.0.0.1:0", "CIVIC_REALTIME_ADDR=127.0.0.1:0"))
	p.waitOutput(app.ReadyLine, startupWait)
	site := banner(t, p, "town site")
	api := &apiClient{t: t, base: banner(t, p, "REST API")}
	if !strings.HasSuffix(api.base, "/civic/api/v1") || !strings.HasPrefix(api.base, strings.TrimSuffix(site, "/")) {
		t.Fatalf("API at %s, site at %s", api.base, site)
	}
	rooms := strings.TrimSuffix(banner(t, p, "realtime"), "/records/<id>")
	if strings.HasPrefix(rooms, strings.Replace(strings.TrimSuffix(site, "/"), "http", "ws", 1)) {
		t.Fatalf("hub %s shares the host's listener %s", rooms, site)
	}
	if code, body := get(t, site, ""); code != 200 || !strings.Contains(body, "Town of Springfield") {
		t.Fatalf("home: %d %s", code, body)
	}
	token := api.login("admin", adminPassword)
	if code, body := get(t, site+"town/whoami", token); code != 200 || !strings.Contains(body, `"username":"admin"`) {
		t.Fatalf("whoami: %d %s", code, body)
	}
	id := api.createDraft(token, "Tree Bylaw", "# Trees\n\nProtect old oaks.\n")
	c := mustDial(t, rooms+"/records/"+id, token)
	if md := c.markdown(); !strings.Contains(md, "Protect old oaks.") {
		t.Fatalf("room: %q", md)
	}
	if code, body := get(t, site+"town/editing", ""); code != 200 || !strings.Contains(body, `"connections":1`) {
		t.Fatalf("editing: %d %s", code, body)
	}
	p.stop()
}

// TestStandaloneRealtimeDisabled: realtime only, switched off, has nothing
// to serve and says so instead of failing.
func TestStandaloneRealtimeDisabled(t *testing.T) {
	needBinaries(t)
	dir := filepath.Join(t.TempDir(), "project")
	p := start(t, binRealtime, childEnv(dir, "CIVIC_REALTIME_ENABLED=false", "CIVIC_REALTIME_ADDR=127.0.0.1:0"))
	select {
	case <-p.done:
	case <-time.After(startupWait):
		t.Fatal("still running with realtime disabled")
	}
	if p.waitErr != nil || banner(t, p, "realtime") != "disabled" || !strings.Contains(p.output(), "nothing to serve") {
		t.Fatalf("exit %v, output:\n%s", p.waitErr, p.output())
	}
}

// TestAPIOnlyClerksDay walks a clerk's day against api-only over real HTTP:
// login, create a draft, publish it, find it, archive it; SIGTERM stops it
// cleanly.
func TestAPIOnlyClerksDay(t *testing.T) {
	needBinaries(t)
	dir := filepath.Join(t.TempDir(), "project")
	data := filepath.Join(t.TempDir(), "town-records") // outside the project: CIVIC_DATA_DIR
	p := start(t, binAPIOnly, childEnv(dir, "CIVIC_API_ADDR=127.0.0.1:0", "CIVIC_DATA_DIR="+data))
	p.waitOutput(app.ReadyLine, startupWait)
	if got := banner(t, p, "data (Git)"); got != data {
		t.Fatalf("data directory %q, want %q", got, data)
	}
	c := &apiClient{t: t, base: banner(t, p, "REST API")}
	c.expect("GET", "/health", "", nil, 200)

	token := c.login("admin", adminPassword)
	c.expect("POST", "/auth/password", "", map[string]any{"username": "admin", "password": "wrong"}, 401)

	id := c.createDraft(token, "Harbour Mooring Bylaw", "# Harbour Mooring\n\nSection 1. Moorings need a permit.\n")
	c.expect("GET", "/records/"+id, "", nil, 404)                                        // not published yet
	c.expect("POST", "/records", "", map[string]any{"title": "x", "type": "bylaw"}, 403) // CSRF

	r := c.expect("POST", "/records/"+id+"/publish", token, map[string]any{"status": "published"}, 201)
	path, _ := dig(r, "data", "path").(string)
	if dig(r, "data", "status") != "published" || !strings.HasPrefix(path, "records/bylaw/") {
		t.Fatalf("publish: %v", r)
	}
	if _, err := os.Stat(filepath.Join(data, path)); err != nil {
		t.Fatalf("published file: %v", err)
	}
	c.expect("GET", "/records/"+id, "", nil, 200)

	r = c.expect("GET", "/search?q=mooring", "", nil, 200)
	if dig(r, "data", "totalCount") != float64(1) || dig(r, "data", "results", 0, "id") != id {
		t.Fatalf("search: %v", r)
	}

	r = c.expect("DELETE", "/records/"+id, token, nil, 200)
	if loc, _ := dig(r, "data", "archiveLocation").(string); !strings.HasPrefix(loc, "archive/bylaw/") {
		t.Fatalf("archive: %v", r)
	}
	r = c.expect("GET", "/records/"+id, "", nil, 200)
	if dig(r, "data", "status") != "archived" {
		t.Fatalf("after archive: %v", r)
	}
	r = c.expect("GET", "/search?q=mooring", "", nil, 200)
	if dig(r, "data", "totalCount") != float64(0) {
		t.Fatalf("archived record still found: %v", r)
	}
	r = c.expect("GET", "/history/"+id, token, nil, 200)
	if n, _ := dig(r, "data", "summary", "totalCommits").(float64); n != 2 {
		t.Fatalf("history: %v", r)
	}
	p.stop()
}
