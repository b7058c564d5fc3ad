package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/realtime"
)

func TestHostAndLibraryRoutes(t *testing.T) {
	t.Setenv("RATE_LIMIT_DISABLED", "true")
	core, err := civicpress.Open(context.Background(), civicpress.Config{ProjectDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	u, err := core.Users().Create(context.Background(), civicpress.System, civicpress.NewUser{Username: "clerk", Role: "clerk"})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := core.Auth().IssueSession(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg := realtime.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	hub, err := realtime.New(core, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Shutdown(context.Background())
	h := newHandler(core, hub, slog.New(slog.NewTextHandler(io.Discard, nil)))
	get := func(path, token string) (int, string) {
		r := httptest.NewRequest("GET", path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	// The host's own pages.
	if code, body := get("/", ""); code != 200 || !strings.Contains(body, "Town of Springfield") {
		t.Fatalf("home %d %s", code, body)
	}
	if code, _ := get("/town/notices", ""); code != 200 {
		t.Fatalf("notices %d", code)
	}
	// A host route reading the hub the host runs.
	if code, body := get("/town/editing", ""); code != 200 || !strings.Contains(body, `"connections":0`) || !strings.Contains(body, `"realtime":"healthy"`) {
		t.Fatalf("editing %d %s", code, body)
	}
	w := httptest.NewRecorder()
	newHandler(core, nil, cfg.Logger).ServeHTTP(w, httptest.NewRequest("GET", "/town/editing", nil))
	if !strings.Contains(w.Body.String(), `"realtime":"disabled"`) {
		t.Fatalf("editing without a hub: %s", w.Body.String())
	}
	// A host route using CivicPress tokens.
	code, body := get("/town/whoami", sess.Token)
	var who map[string]any
	json.Unmarshal([]byte(body), &who)
	if code != 200 || who["username"] != "clerk" || who["canPublish"] != true {
		t.Fatalf("whoami %d %s", code, body)
	}
	if code, _ := get("/town/whoami", "bogus"); code != 401 {
		t.Fatalf("whoami with a bad token: %d", code)
	}
	// The library's API under the host's prefix, with the same token.
	code, body = get("/civic/api/v1/auth/me", sess.Token)
	if code != 200 || !strings.Contains(body, `"username":"clerk"`) {
		t.Fatalf("me %d %s", code, body)
	}
	if code, body := get("/civic/api/v1/health", ""); code != 200 || !strings.Contains(body, `"status":"healthy"`) {
		t.Fatalf("health %d %s", code, body)
	}
	// API 404s are the API's JSON; the host's 404s stay the host's.
	if code, body := get("/civic/api/v1/nope", ""); code != 404 || !strings.Contains(body, `"code":"NOT_FOUND"`) {
		t.Fatalf("api 404 %d %s", code, body)
	}
	if code, body := get("/nope", ""); code != 404 || strings.Contains(body, "NOT_FOUND") {
		t.Fatalf("host 404 %d %s", code, body)
	}
	// Not mounted at the root.
	if code, _ := get("/api/v1/health", ""); code != 404 {
		t.Fatalf("API reachable outside its prefix: %d", code)
	}
}
