package httpapi

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/gorilla/mux"
)

func TestRequestID(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/health", nil)
	id := r.H.Get("X-Request-ID")
	if !strings.HasPrefix(id, "req_") || len(id) < 15 {
		t.Fatalf("generated id %q", id)
	}
	if r2 := e.do("", "GET", "/api/v1/health", nil); r2.H.Get("X-Request-ID") == id {
		t.Fatal("ids repeat")
	}
	r = e.send(e.req("GET", "/api/v1/health").header("X-Request-ID", "trace-abc.123"))
	if r.H.Get("X-Request-ID") != "trace-abc.123" {
		t.Fatalf("not echoed: %q", r.H.Get("X-Request-ID"))
	}
	for _, bad := range []string{"has space", "new\nline", strings.Repeat("a", 129), "<script>"} {
		r = e.send(e.req("GET", "/api/v1/health").header("X-Request-ID", bad))
		if got := r.H.Get("X-Request-ID"); got == bad || !strings.HasPrefix(got, "req_") {
			t.Fatalf("insane id %q echoed as %q", bad, got)
		}
	}
	// Errors carry it too (on the header; 500s in the body as well).
	r = e.do("", "GET", "/api/v1/nope", nil)
	if r.H.Get("X-Request-ID") == "" {
		t.Fatal("no id on a 404")
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := getEnv(t, Options{})
	for _, p := range []string{"/api/v1/health", "/api/v1/nope", "/elsewhere"} {
		r := e.do("", "GET", p, nil)
		for k, v := range map[string]string{
			"X-Content-Type-Options":       "nosniff",
			"X-Frame-Options":              "SAMEORIGIN",
			"Cross-Origin-Resource-Policy": "cross-origin",
			"Strict-Transport-Security":    "max-age=31536000; includeSubDomains",
		} {
			if got := r.H.Get(k); got != v {
				t.Fatalf("%s: %s = %q, want %q", p, k, got, v)
			}
		}
		if !strings.Contains(r.H.Get("Content-Security-Policy"), "default-src 'self'") || r.H.Get("X-Powered-By") != "" {
			t.Fatalf("%s: headers %v", p, r.H)
		}
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	e := getEnv(t, Options{})
	er := e.do("", "GET", "/api/v1/no-such-endpoint", nil).wantErr(t, 404, "NOT_FOUND")
	if er["message"] != "Route GET /api/v1/no-such-endpoint not found" {
		t.Fatalf("%v", er)
	}
	e.do("", "GET", "/not-the-api", nil).wantErr(t, 404, "NOT_FOUND")
	r := e.do("", "DELETE", "/api/v1/health", nil)
	r.wantErr(t, 405, "METHOD_NOT_ALLOWED")
	if r.H.Get("Allow") != "GET, HEAD" {
		t.Fatalf("Allow %q", r.H.Get("Allow"))
	}
	r = e.do("admin", "PATCH", "/api/v1/users/admin", nil)
	r.wantErr(t, 405, "METHOD_NOT_ALLOWED")
	if r.H.Get("Allow") != "GET, HEAD, PUT, DELETE" {
		t.Fatalf("Allow %q", r.H.Get("Allow"))
	}
}

func TestCORS(t *testing.T) {
	e := getEnv(t, Options{CORSOrigins: []string{"https://town.example"}})
	r := e.send(e.req("GET", "/api/v1/health").header("Origin", "https://town.example")).want(t, 200)
	if r.H.Get("Access-Control-Allow-Origin") != "https://town.example" || r.H.Get("Access-Control-Allow-Credentials") != "true" {
		t.Fatalf("allowed origin: %v", r.H)
	}
	r = e.send(e.req("GET", "/api/v1/health").header("Origin", "https://evil.example")).want(t, 200)
	if r.H.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("refused origin got %q", r.H.Get("Access-Control-Allow-Origin"))
	}
	// Preflight, also on a path served only with other methods.
	r = e.send(e.req("OPTIONS", "/api/v1/auth/password").header("Origin", "https://town.example").
		header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "content-type,authorization"))
	if r.Code != 204 || r.H.Get("Access-Control-Allow-Origin") != "https://town.example" ||
		!strings.Contains(r.H.Get("Access-Control-Allow-Methods"), "POST") || r.H.Get("Access-Control-Allow-Headers") != "content-type,authorization" {
		t.Fatalf("preflight %d %v", r.Code, r.H)
	}
	r = e.send(e.req("OPTIONS", "/api/v1/auth/password").header("Origin", "https://evil.example").header("Access-Control-Request-Method", "POST"))
	if r.Code != 204 || r.H.Get("Access-Control-Allow-Origin") != "" || r.H.Get("Access-Control-Allow-Methods") != "" {
		t.Fatalf("refused preflight %d %v", r.Code, r.H)
	}
	// From the environment when the option is nil.
	t.Setenv("CORS_ORIGIN", "https://a.example, https://b.example")
	e = getEnv(t, Options{})
	r = e.send(e.req("GET", "/api/v1/health").header("Origin", "https://b.example"))
	if r.H.Get("Access-Control-Allow-Origin") != "https://b.example" {
		t.Fatalf("CORS_ORIGIN not read: %v", r.H)
	}
}

func TestGlobalRateLimit(t *testing.T) {
	e := getEnv(t, Options{RateLimit: 2})
	e.do("", "GET", "/api/v1/health", nil).want(t, 200)
	e.do("", "GET", "/api/v1/nope", nil).wantErr(t, 404, "NOT_FOUND") // counted too
	r := e.do("", "GET", "/api/v1/health", nil)
	er := r.wantErr(t, 429, "RATE_LIMITED")
	if er["message"] != "Too many requests — try again later" || r.H.Get("Retry-After") == "" || r.H.Get("RateLimit") != "limit=2, remaining=0, reset=900" {
		t.Fatalf("%v %v", er, r.H)
	}
	// The environment sets it when the option does not.
	t.Setenv("RATE_LIMIT_MAX", "1")
	e = getEnv(t, Options{})
	e.h = New(e.core, Options{Logger: quiet})
	e.do("", "GET", "/api/v1/health", nil).want(t, 200)
	e.do("", "GET", "/api/v1/health", nil).wantErr(t, 429, "RATE_LIMITED")
	t.Setenv("RATE_LIMIT_DISABLED", "true")
	e.h = New(e.core, Options{Logger: quiet})
	for range 3 {
		e.do("", "GET", "/api/v1/health", nil).want(t, 200)
	}
}

func TestTrustProxy(t *testing.T) {
	e := getEnv(t, Options{RateLimit: 1, TrustProxy: true})
	hr := newRequest(e.req("GET", "/api/v1/health").header("X-Forwarded-For", "203.0.113.1, 198.51.100.7"))
	if w := serve(e.h, hr); w.Code != 200 {
		t.Fatal(w.Code)
	}
	// Same socket, another client behind the proxy: its own budget.
	hr = newRequest(e.req("GET", "/api/v1/health").header("X-Forwarded-For", "198.51.100.8"))
	if w := serve(e.h, hr); w.Code != 200 {
		t.Fatal(w.Code)
	}
	hr = newRequest(e.req("GET", "/api/v1/health").header("X-Forwarded-For", "198.51.100.8"))
	if w := serve(e.h, hr); w.Code != 429 {
		t.Fatal(w.Code)
	}
}

func TestBodyLimit(t *testing.T) {
	e := getEnv(t, Options{MaxBodyBytes: 1 << 10})
	big := `{"username":"` + strings.Repeat("a", 2<<10) + `","password":"x"}`
	e.send(e.req("POST", "/api/v1/auth/password").raw("application/json", big)).wantErr(t, 413, "PAYLOAD_TOO_LARGE")
	// Without a Content-Length (chunked), the limit holds while reading.
	hr := httptest.NewRequest("POST", "/api/v1/auth/password", io.MultiReader(strings.NewReader(big)))
	hr.ContentLength = -1
	hr.Header.Set("Content-Type", "application/json")
	if w := serve(e.h, hr); w.Code != 413 {
		t.Fatalf("chunked: %d %s", w.Code, w.Body)
	}
	// The default is upstream's 10 MB.
	e = getEnv(t, Options{})
	hr = httptest.NewRequest("POST", "/api/v1/auth/password", bytes.NewReader(make([]byte, 10<<20+1)))
	hr.Header.Set("Content-Type", "application/json")
	if w := serve(e.h, hr); w.Code != 413 {
		t.Fatalf("10 MB + 1: %d", w.Code)
	}
}

// capture is a slog handler that keeps records.
type capture struct {
	mu  sync.Mutex
	out []slog.Record
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	c.out = append(c.out, r.Clone())
	c.mu.Unlock()
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

func (c *capture) find(msg string) []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, r := range c.out {
		if r.Message != msg {
			continue
		}
		m := map[string]any{"level": r.Level}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Any(); return true })
		out = append(out, m)
	}
	return out
}

func TestAccessLog(t *testing.T) {
	logs := &capture{}
	e := getEnv(t, Options{Logger: slog.New(logs)})
	r := e.send(e.req("GET", "/api/v1/auth/me").as(e.tok["clerk"]).header("X-Request-ID", "log-me"))
	lines := logs.find("http")
	if len(lines) != 1 {
		t.Fatalf("%d access lines", len(lines))
	}
	l := lines[0]
	if l["method"] != "GET" || l["path"] != "/api/v1/auth/me" || l["status"] != int64(200) || l["requestId"] != "log-me" ||
		l["user"] != e.users["clerk"].ID || l["route"] != "me" || l["bytes"] != int64(len(r.Raw)) {
		t.Fatalf("%v", l)
	}
}

func TestPanicRecovery(t *testing.T) {
	logs := &capture{}
	e := getEnv(t, Options{Logger: slog.New(logs)})
	a := newAPI(e.core, Options{Logger: slog.New(logs), RateLimit: -1, AuthRateLimit: -1})
	h := a.wrap(&route{name: "boom", access: public, h: func(*call) error { panic("boom") }})
	w := serve(h, httptest.NewRequest("GET", "/api/v1/boom", nil))
	e.t = t
	r := &resp{Code: w.Code, H: w.Header(), Raw: w.Body.Bytes()}
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"requestId":"`+w.Header().Get("X-Request-ID")+`"`) ||
		!strings.Contains(w.Body.String(), `"code":"INTERNAL_ERROR"`) {
		t.Fatalf("%d %s", r.Code, r.Raw)
	}
	p := logs.find("httpapi: panic")
	if len(p) != 1 || p[0]["requestId"] != w.Header().Get("X-Request-ID") || !strings.Contains(p[0]["stack"].(string), "pipeline_test") {
		t.Fatalf("panic log %v", p)
	}
	if acc := logs.find("http"); len(acc) != 1 || acc[0]["status"] != int64(500) {
		t.Fatalf("access log %v", acc)
	}
	// An internal error from a handler is a 500 with the id, logged; the
	// cause stays in the log.
	h = a.wrap(&route{name: "fail", access: public, h: func(*call) error { return io.ErrUnexpectedEOF }})
	w = serve(h, httptest.NewRequest("GET", "/api/v1/fail", nil))
	if w.Code != 500 || strings.Contains(w.Body.String(), "unexpected EOF") || !strings.Contains(w.Body.String(), w.Header().Get("X-Request-ID")) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestCSRF(t *testing.T) {
	e := getEnv(t, Options{})
	a := newAPI(e.core, Options{Logger: quiet, RateLimit: -1, AuthRateLimit: -1})
	r := mux.NewRouter()
	var got *civicpress.User
	r.Handle("/w", a.wrap(&route{name: "w", access: required, csrf: true, h: func(c *call) error {
		got = c.user()
		var in struct{ Title string }
		if err := c.decode(&in); err != nil {
			return err
		}
		return c.ok(map[string]any{"title": in.Title})
	}}))
	e.h = r
	tok := e.core.CSRFToken()

	// No Bearer, no CSRF token: 403 before authentication, as upstream.
	e.send(e.req("POST", "/w").json(map[string]any{"title": "x"})).wantErr(t, 403, "CSRF_TOKEN_MISSING")
	e.send(e.req("POST", "/w").header("X-CSRF-Token", "bogus").json(map[string]any{})).wantErr(t, 403, "CSRF_TOKEN_INVALID")
	// A valid token passes CSRF; authentication then still applies.
	e.send(e.req("POST", "/w").header("X-CSRF-Token", tok).json(map[string]any{})).wantErr(t, 401, "MISSING_AUTH")
	e.send(e.req("POST", "/w").json(map[string]any{"csrfToken": tok})).wantErr(t, 401, "MISSING_AUTH")
	e.send(e.req("POST", "/w").raw(formType, "csrfToken="+tok)).wantErr(t, 401, "MISSING_AUTH")
	e.send(e.req("POST", "/w").raw("application/json", `{"csrfToken":`)).wantErr(t, 400, "MALFORMED_JSON")
	// Bearer requests skip the check (even a bad token: authentication refuses it).
	e.send(e.req("POST", "/w").as("bogus").json(map[string]any{})).wantErr(t, 401, civicpress.CodeInvalidToken)
	res := e.send(e.req("POST", "/w").as(e.tok["clerk"]).json(map[string]any{"title": "kept"})).want(t, 200)
	if at(res.Body, "data", "title") != "kept" || got == nil || got.Username != "clerk1" {
		t.Fatalf("%s", res.Raw)
	}
	// GET is never checked.
	r.Handle("/g", a.wrap(&route{name: "g", access: public, csrf: true, h: func(c *call) error { return c.ok(nil) }}))
	e.send(e.req("GET", "/g")).want(t, 200)
	// The body read for the token is still there for the handler.
	r.Handle("/p", a.wrap(&route{name: "p", access: public, csrf: true, h: func(c *call) error {
		var in struct{ Title string }
		if err := c.decode(&in); err != nil {
			return err
		}
		return c.ok(in.Title)
	}}))
	res = e.send(e.req("POST", "/p").json(map[string]any{"csrfToken": tok, "title": "body kept"})).want(t, 200)
	if res.Body["data"] != "body kept" {
		t.Fatalf("%s", res.Raw)
	}
}

func TestErrorMapping(t *testing.T) {
	e := getEnv(t, Options{})
	c := &call{a: newAPI(e.core, Options{Logger: quiet}), r: httptest.NewRequest("GET", "/", nil)}
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{&civicpress.Error{Kind: civicpress.ErrInvalid, Code: "VALIDATION_ERROR"}, 400, "VALIDATION_ERROR"},
		{&civicpress.Error{Kind: civicpress.ErrUnauthenticated, Code: "AUTH_ERROR"}, 401, "AUTH_ERROR"},
		{&civicpress.Error{Kind: civicpress.ErrForbidden, Code: "INSUFFICIENT_PERMISSIONS", Required: "x"}, 403, "INSUFFICIENT_PERMISSIONS"},
		{&civicpress.Error{Kind: civicpress.ErrNotFound, Code: "RECORD_NOT_FOUND"}, 404, "RECORD_NOT_FOUND"},
		{&civicpress.Error{Kind: civicpress.ErrConflict, Code: "USERNAME_EXISTS"}, 409, "USERNAME_EXISTS"},
		{&civicpress.Error{Kind: civicpress.ErrLocked, Code: "RECORD_LOCKED"}, 409, "RECORD_LOCKED"},
		{&civicpress.Error{Kind: civicpress.ErrLocked, Code: "ACCOUNT_LOCKED"}, 429, "ACCOUNT_LOCKED"},
		{&civicpress.Error{Kind: civicpress.ErrNotFound}, 404, "NOT_FOUND"},
		{io.EOF, 500, "INTERNAL_ERROR"},
	} {
		status, body, _ := c.a.errorBody(c, tc.err)
		if status != tc.status || body.Code != tc.code || body.Message == "" {
			t.Errorf("%v: %d %+v", tc.err, status, body)
		}
	}
	_ = http.StatusOK
}
