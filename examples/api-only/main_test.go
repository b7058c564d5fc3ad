package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds the example, runs it on a temporary project and walks
// a clerk's day over real HTTP: login, create a draft, publish it, find it,
// archive it; then stops it with SIGTERM and expects a clean exit.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "api-only")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const password = "Admin!2345-e2e"
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"CIVIC_PROJECT_DIR="+filepath.Join(dir, "project"),
		"CIVIC_ADMIN_USERNAME=admin", "CIVIC_ADMIN_PASSWORD="+password,
		"CIVIC_API_ADDR=127.0.0.1:0", "CIVIC_LOG_LEVEL=warn",
		"CIVIC_DATA_DIR=", "CIVIC_DATABASE_URL=", "CIVICPRESS_SECRET=", "CIVICPRESS_SECRET_FILE=", "RATE_LIMIT_DISABLED=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})

	// The banner names the address it listens on (port 0: chosen by the OS).
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`REST API:\s+(http://\S+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { exited <- cmd.Wait() }()
	var base string
	select {
	case base = <-addr:
	case err := <-exited:
		t.Fatalf("exited early: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("no listening line\n%s", stderr.String())
	}

	c := &client{t: t, base: base}
	c.expect("GET", "/health", "", nil, 200)

	// login
	r := c.expect("POST", "/auth/password", "", map[string]any{"username": "admin", "password": password}, 200)
	token, _ := dig(r, "data", "session", "token").(string)
	if token == "" {
		t.Fatalf("no token: %v", r)
	}
	c.expect("POST", "/auth/password", "", map[string]any{"username": "admin", "password": "wrong"}, 401)

	// create a draft
	r = c.expect("POST", "/records", token, map[string]any{"title": "Harbour Mooring Bylaw", "type": "bylaw",
		"content": "# Harbour Mooring\n\nSection 1. Moorings need a permit.\n"}, 201)
	id, _ := dig(r, "data", "id").(string)
	if id == "" || dig(r, "data", "status") != "draft" {
		t.Fatalf("draft: %v", r)
	}
	c.expect("GET", "/records/"+id, "", nil, 404)                                        // not published yet
	c.expect("POST", "/records", "", map[string]any{"title": "x", "type": "bylaw"}, 403) // CSRF

	// publish
	r = c.expect("POST", "/records/"+id+"/publish", token, map[string]any{"status": "published"}, 201)
	if dig(r, "data", "status") != "published" || !strings.HasPrefix(dig(r, "data", "path").(string), "records/bylaw/") {
		t.Fatalf("publish: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "project", "data", dig(r, "data", "path").(string))); err != nil {
		t.Fatalf("published file: %v", err)
	}
	c.expect("GET", "/records/"+id, "", nil, 200)

	// search
	r = c.expect("GET", "/search?q=mooring", "", nil, 200)
	if dig(r, "data", "totalCount") != float64(1) || dig(r, "data", "results", 0, "id") != id {
		t.Fatalf("search: %v", r)
	}

	// archive
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

	// graceful shutdown
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
}

type client struct {
	t    *testing.T
	base string
}

func (c *client) expect(method, path, token string, body any, status int) map[string]any {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		c.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, raw)
	}
	if resp.Header.Get("X-Request-ID") == "" {
		c.t.Fatalf("%s %s: no X-Request-ID", method, path)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
	}
	return out
}

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}
