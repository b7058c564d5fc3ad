package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/civicpress/civicpress-go/civicpress"
)

const adminPassword = "Admin!2345-test"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMain(m *testing.M) {
	for _, k := range []string{civicpress.EnvProjectDir, civicpress.EnvDataDir, civicpress.EnvDatabaseURL,
		civicpress.EnvSecret, civicpress.EnvSecretFile, civicpress.EnvAdminUsername, civicpress.EnvAdminPassword,
		"CORS_ORIGIN", "RATE_LIMIT_MAX", "RATE_LIMIT_AUTH_MAX", "RATE_LIMIT_DISABLED", "TRUST_PROXY"} {
		os.Unsetenv(k)
	}
	code := m.Run()
	shared.close()
	os.Exit(code)
}

// env is an API over an open project, with a session token per role.
type env struct {
	t     testing.TB
	core  *civicpress.Core
	h     http.Handler
	users map[string]*civicpress.User // admin, clerk, public
	tok   map[string]string
}

// sharedEnv is one project for the tests that only need distinct names:
// opening a project hashes the admin password at bcrypt cost 12.
type sharedEnv struct {
	once sync.Once
	e    *env
	dir  string
	err  error
}

var shared sharedEnv

func (s *sharedEnv) close() {
	if s.e != nil {
		s.e.core.Close()
		os.RemoveAll(s.dir)
	}
}

// getEnv returns the shared project behind a fresh API (so limiter state
// is per test) built with opts.
func getEnv(t testing.TB, opts Options) *env {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "httpapi-test-")
		if shared.err != nil {
			return
		}
		var core *civicpress.Core
		core, shared.err = openCore(shared.dir, civicpress.Config{})
		if shared.err != nil {
			return
		}
		shared.e = &env{core: core}
		shared.err = shared.e.mkRoles()
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	e := *shared.e
	e.t = t
	e.h = newHandler(e.core, opts)
	return &e
}

// ownEnv opens a project of its own (for tests that break or lock it).
func ownEnv(t testing.TB, cfg civicpress.Config, opts Options) *env {
	t.Helper()
	core, err := openCore(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	e := &env{t: t, core: core}
	if err := e.mkRoles(); err != nil {
		t.Fatal(err)
	}
	e.h = newHandler(core, opts)
	return e
}

func openCore(dir string, cfg civicpress.Config) (*civicpress.Core, error) {
	cfg.ProjectDir = dir
	cfg.Logger = quiet
	cfg.SampleRecords = true
	cfg.Admin = &civicpress.AdminBootstrap{Username: "admin", Password: adminPassword, Email: "admin@example.org", Name: "Admin User"}
	return civicpress.Open(context.Background(), cfg)
}

func newHandler(core *civicpress.Core, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	if opts.AuthRateLimit == 0 {
		opts.AuthRateLimit = -1
	}
	return New(core, opts)
}

// mkRoles creates a clerk and a public user (without passwords: sessions
// are issued directly, which keeps bcrypt out of most tests) and a session
// per role.
func (e *env) mkRoles() error {
	ctx := context.Background()
	e.users, e.tok = map[string]*civicpress.User{}, map[string]string{}
	admin, err := e.core.Users().Lookup(ctx, civicpress.System, "admin")
	if err != nil {
		return err
	}
	e.users["admin"] = admin
	for _, role := range []string{"clerk", "public"} {
		u, err := e.core.Users().Create(ctx, civicpress.System, civicpress.NewUser{Username: role + "1", Role: role, Email: role + "1@example.org"})
		if err != nil {
			return err
		}
		e.users[role] = u
	}
	for role, u := range e.users {
		s, err := e.core.Auth().IssueSession(ctx, u.ID)
		if err != nil {
			return err
		}
		e.tok[role] = s.Token
	}
	return nil
}

// session issues a fresh session for a user.
func (e *env) session(u *civicpress.User) string {
	e.t.Helper()
	s, err := e.core.Auth().IssueSession(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.Token
}

// mkUser creates a user with a role and no password.
func (e *env) mkUser(name, role string) *civicpress.User {
	e.t.Helper()
	u, err := e.core.Users().Create(context.Background(), civicpress.System, civicpress.NewUser{Username: name, Role: role, Email: name + "@example.org"})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

type resp struct {
	Code int
	H    http.Header
	Raw  []byte
	Body map[string]any
}

// req is a request under construction.
type req struct {
	method, path string
	body         io.Reader
	hdr          http.Header
}

func (e *env) req(method, path string) *req {
	return &req{method: method, path: path, hdr: http.Header{}}
}

func (r *req) json(v any) *req {
	b, _ := json.Marshal(v)
	r.body = bytes.NewReader(b)
	r.hdr.Set("Content-Type", "application/json")
	return r
}

func (r *req) raw(contentType, s string) *req {
	r.body = strings.NewReader(s)
	if contentType != "" {
		r.hdr.Set("Content-Type", contentType)
	}
	return r
}

func (r *req) as(token string) *req {
	if token != "" {
		r.hdr.Set("Authorization", "Bearer "+token)
	}
	return r
}

func (r *req) header(k, v string) *req { r.hdr.Set(k, v); return r }

func (e *env) send(r *req) *resp {
	e.t.Helper()
	hr := httptest.NewRequest(r.method, r.path, r.body)
	hr.Header = r.hdr
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	out := &resp{Code: w.Code, H: w.Header(), Raw: w.Body.Bytes()}
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(out.Raw, &out.Body); err != nil {
			e.t.Fatalf("%s %s: body is not a JSON object: %v\n%s", r.method, r.path, err, out.Raw)
		}
	}
	return out
}

// do sends method path as role ("" = anonymous) with an optional JSON body.
func (e *env) do(role, method, path string, body any) *resp {
	e.t.Helper()
	r := e.req(method, path).as(e.tok[role])
	if body != nil {
		r.json(body)
	}
	return e.send(r)
}

// data returns the success envelope's data, failing unless status matches.
func (r *resp) want(t testing.TB, status int) *resp {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status %d, want %d: %s", r.Code, status, r.Raw)
	}
	if r.Body != nil {
		if status < 300 && r.Body["success"] != true {
			t.Fatalf("success envelope missing: %s", r.Raw)
		}
		if status >= 400 && r.Body["success"] != false {
			t.Fatalf("error envelope missing success:false: %s", r.Raw)
		}
	}
	return r
}

// wantErr checks an error response's status and code.
func (r *resp) wantErr(t testing.TB, status int, code string) map[string]any {
	t.Helper()
	r.want(t, status)
	e, ok := r.Body["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object: %s", r.Raw)
	}
	if e["code"] != code {
		t.Fatalf("code %v, want %s: %s", e["code"], code, r.Raw)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Fatalf("error without message: %s", r.Raw)
	}
	return e
}

func (r *resp) data() map[string]any {
	d, _ := r.Body["data"].(map[string]any)
	return d
}

// at walks a decoded JSON value: at(v, "data", "users", 0, "id").
func at(v any, path ...any) any {
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

// fieldPaths lists the "path" of each validation detail.
func fieldPaths(e map[string]any) []string {
	var out []string
	ds, _ := e["details"].([]any)
	for _, d := range ds {
		if p, ok := at(d, "path").(string); ok {
			out = append(out, p)
		}
	}
	return out
}

func newRequest(r *req) *http.Request {
	hr := httptest.NewRequest(r.method, r.path, r.body)
	hr.Header = r.hdr
	return hr
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
