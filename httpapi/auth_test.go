package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

func TestLogin(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": "admin", "password": adminPassword}).want(t, 200)
	tok, _ := at(r.Body, "data", "session", "token").(string)
	if len(tok) != 129 {
		t.Fatalf("token %q", tok)
	}
	if at(r.Body, "data", "session", "user", "username") != "admin" || at(r.Body, "data", "session", "user", "role") != "admin" {
		t.Fatalf("user: %s", r.Raw)
	}
	perms, _ := at(r.Body, "data", "session", "user", "permissions").([]any)
	if !slices.Contains(perms, any("*")) {
		t.Fatalf("admin permissions %v", perms)
	}
	if _, err := time.Parse(time.RFC3339, at(r.Body, "data", "session", "expiresAt").(string)); err != nil {
		t.Fatal(err)
	}
	if at(r.Body, "data", "session", "user", "avatar_url") != nil {
		t.Fatalf("empty avatar should be null: %s", r.Raw)
	}
	// The token works.
	me := e.send(e.req("GET", "/api/v1/auth/me").as(tok)).want(t, 200)
	if at(me.Body, "data", "user", "username") != "admin" || at(me.Body, "data", "user", "email_verified") != false {
		t.Fatalf("me: %s", me.Raw)
	}

	// Upstream answers 500 to all of these; they are the client's mistakes.
	e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": "admin", "password": "wrong-password"}).
		wantErr(t, 401, civicpress.CodeAuthError)
	e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": "nobody", "password": "whatever123"}).
		wantErr(t, 401, civicpress.CodeAuthError)
	er := e.do("", "POST", "/api/v1/auth/password", map[string]any{}).wantErr(t, 400, civicpress.CodeMissingFields)
	if got := fieldPaths(er); !slices.Equal(got, []string{"username", "password"}) {
		t.Fatalf("fields %v", got)
	}
	er = e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": "admin"}).wantErr(t, 400, civicpress.CodeMissingFields)
	if got := fieldPaths(er); !slices.Equal(got, []string{"password"}) {
		t.Fatalf("fields %v", got)
	}
	e.send(e.req("POST", "/api/v1/auth/password").raw("application/json", `{"username": "oops"`)).wantErr(t, 400, "MALFORMED_JSON")
	er = e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": 5, "password": "x"}).wantErr(t, 400, civicpress.CodeValidation)
	if got := fieldPaths(er); !slices.Equal(got, []string{"username"}) {
		t.Fatalf("fields %v", got)
	}
	// A browser form works too.
	e.send(e.req("POST", "/api/v1/auth/password").raw("application/x-www-form-urlencoded", "username=admin&password="+urlEscape(adminPassword))).want(t, 200)
}

func urlEscape(s string) string {
	out := ""
	for _, c := range []byte(s) {
		out += "%" + strconv.FormatInt(int64(c)>>4, 16) + strconv.FormatInt(int64(c)&15, 16)
	}
	return out
}

func TestLoginLockout(t *testing.T) {
	cfg := civicpress.DefaultAuthConfig()
	cfg.MaxLoginAttempts = 2
	e := ownEnv(t, civicpress.Config{Auth: &cfg}, Options{})
	for range 2 {
		e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": "admin", "password": "nope"}).wantErr(t, 401, civicpress.CodeAuthError)
	}
	// Locked now, even with the right password.
	r := e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": "admin", "password": adminPassword})
	r.wantErr(t, 429, civicpress.CodeAccountLocked)
	secs, err := strconv.Atoi(r.H.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 15*60 {
		t.Fatalf("Retry-After %q", r.H.Get("Retry-After"))
	}
}

func TestAuthMe(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("clerk", "GET", "/api/v1/auth/me", nil).want(t, 200)
	if at(r.Body, "data", "user", "role") != "clerk" {
		t.Fatalf("%s", r.Raw)
	}
	perms, _ := at(r.Body, "data", "user", "permissions").([]any)
	if !slices.Contains(perms, any("records:create")) || slices.Contains(perms, any("users:manage")) {
		t.Fatalf("clerk permissions %v", perms)
	}
	er := e.do("", "GET", "/api/v1/auth/me", nil).wantErr(t, 401, "MISSING_AUTH")
	if er["message"] != "Authorization header required" {
		t.Fatalf("%v", er)
	}
	e.send(e.req("GET", "/api/v1/auth/me").as("not-a-real-token")).wantErr(t, 401, civicpress.CodeInvalidToken)
	e.send(e.req("GET", "/api/v1/auth/me").header("Authorization", "Basic YWRtaW46eA==")).wantErr(t, 401, civicpress.CodeInvalidToken)
	e.send(e.req("GET", "/api/v1/auth/me").header("Authorization", "Bearer")).wantErr(t, 401, civicpress.CodeInvalidToken)
	// The scheme is case-insensitive, as upstream's authMiddleware.
	e.send(e.req("GET", "/api/v1/auth/me").header("Authorization", "bearer "+e.tok["clerk"])).want(t, 200)
}

func TestLogout(t *testing.T) {
	e := getEnv(t, Options{})
	u := e.mkUser("logout-user", "public")
	tok, other := e.session(u), e.session(u)
	e.send(e.req("POST", "/api/v1/auth/logout")).wantErr(t, 401, "MISSING_AUTH")
	r := e.send(e.req("POST", "/api/v1/auth/logout").as(tok)).want(t, 200)
	if at(r.Body, "data", "message") != "Logged out successfully" {
		t.Fatalf("%s", r.Raw)
	}
	e.send(e.req("GET", "/api/v1/auth/me").as(tok)).wantErr(t, 401, civicpress.CodeInvalidToken)
	e.send(e.req("GET", "/api/v1/auth/me").as(other)).want(t, 200) // only that session ended
	// Idempotent, as upstream: a retry with the dead token still succeeds.
	e.send(e.req("POST", "/api/v1/auth/logout").as(tok)).want(t, 200)

	third := e.session(u)
	r = e.send(e.req("POST", "/api/v1/auth/logout-all").as(third)).want(t, 200)
	if at(r.Body, "data", "sessionsRevoked") != float64(2) {
		t.Fatalf("%s", r.Raw)
	}
	for _, s := range []string{other, third} {
		e.send(e.req("GET", "/api/v1/auth/me").as(s)).wantErr(t, 401, civicpress.CodeInvalidToken)
	}
	e.send(e.req("POST", "/api/v1/auth/logout-all")).wantErr(t, 401, "MISSING_AUTH")
}

func TestCSRFTokenAndProviders(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "GET", "/api/v1/auth/csrf-token", nil).want(t, 200)
	tok, _ := at(r.Body, "data", "token").(string)
	if !e.core.VerifyCSRFToken(tok) {
		t.Fatalf("token %q does not verify", tok)
	}
	r = e.do("", "GET", "/api/v1/auth/providers", nil).want(t, 200)
	if p, ok := at(r.Body, "data", "providers").([]any); !ok || len(p) != 0 {
		t.Fatalf("%s", r.Raw)
	}
}

func TestPasswordReset(t *testing.T) {
	var mu sync.Mutex
	sent := map[string]string{}
	e := getEnv(t, Options{PasswordReset: func(_ context.Context, u *civicpress.User, token string) {
		mu.Lock()
		sent[u.Username] = token
		mu.Unlock()
	}})
	if _, err := e.core.Users().Create(context.Background(), civicpress.System, civicpress.NewUser{
		Username: "forgetful", Password: "Old!pass123", Email: "forgetful@example.org", Role: "public"}); err != nil {
		t.Fatal(err)
	}
	old := e.session(e.mustLookup("forgetful"))

	// Hit, miss and blank answer alike.
	hit := e.do("", "POST", "/api/v1/auth/forgot-password", map[string]any{"email": "forgetful@example.org"}).want(t, 200)
	miss := e.do("", "POST", "/api/v1/auth/forgot-password", map[string]any{"identifier": "nobody-here"}).want(t, 200)
	blank := e.do("", "POST", "/api/v1/auth/forgot-password", nil).want(t, 200)
	if string(hit.Raw) != string(miss.Raw) || string(miss.Raw) != string(blank.Raw) {
		t.Fatalf("answers differ:\n%s\n%s\n%s", hit.Raw, miss.Raw, blank.Raw)
	}
	mu.Lock()
	token := sent["forgetful"]
	n := len(sent)
	mu.Unlock()
	if token == "" || n != 1 {
		t.Fatalf("delivered %v", sent)
	}

	e.do("", "POST", "/api/v1/auth/reset-password", map[string]any{"token": token}).wantErr(t, 400, civicpress.CodeMissingFields)
	er := e.do("", "POST", "/api/v1/auth/reset-password", map[string]any{}).wantErr(t, 400, civicpress.CodeMissingFields)
	if got := fieldPaths(er); !slices.Equal(got, []string{"token", "newPassword"}) {
		t.Fatalf("fields %v", got)
	}
	e.do("", "POST", "/api/v1/auth/reset-password", map[string]any{"token": "garbage", "newPassword": "New!pass456"}).wantErr(t, 400, civicpress.CodeResetFailed)
	e.do("", "POST", "/api/v1/auth/reset-password", map[string]any{"token": token, "newPassword": "weak"}).wantErr(t, 400, civicpress.CodeWeakPassword)
	r := e.do("", "POST", "/api/v1/auth/reset-password", map[string]any{"token": token, "password": "New!pass456"}).want(t, 200)
	if at(r.Body, "data", "sessionsRevoked") != float64(1) {
		t.Fatalf("%s", r.Raw)
	}
	e.send(e.req("GET", "/api/v1/auth/me").as(old)).wantErr(t, 401, civicpress.CodeInvalidToken)
	// Single use.
	e.do("", "POST", "/api/v1/auth/reset-password", map[string]any{"token": token, "newPassword": "Newer!pass789"}).wantErr(t, 400, civicpress.CodeResetFailed)
	e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": "forgetful", "password": "New!pass456"}).want(t, 200)
}

func (e *env) mustLookup(name string) *civicpress.User {
	e.t.Helper()
	u, err := e.core.Users().Lookup(context.Background(), civicpress.System, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func TestRegister(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("", "POST", "/api/v1/users/register", map[string]any{"username": "newcomer", "password": "Str0ng!pass",
		"email": "NewComer@Example.org", "name": "New Comer", "role": "admin"}).want(t, 200)
	if at(r.Body, "data", "user", "role") != "public" || at(r.Body, "data", "user", "email") != "newcomer@example.org" {
		t.Fatalf("%s", r.Raw)
	}
	if at(r.Body, "data", "user", "created_at") == nil {
		t.Fatalf("no created_at: %s", r.Raw)
	}
	er := e.do("", "POST", "/api/v1/users/register", map[string]any{}).wantErr(t, 400, civicpress.CodeMissingFields)
	if got := fieldPaths(er); !slices.Equal(got, []string{"username", "password", "email"}) {
		t.Fatalf("fields %v", got)
	}
	e.do("", "POST", "/api/v1/users/register", map[string]any{"username": "newcomer", "password": "Str0ng!pass", "email": "other@example.org"}).
		wantErr(t, 409, civicpress.CodeUsernameExists)
	e.do("", "POST", "/api/v1/users/register", map[string]any{"username": "newcomer2", "password": "Str0ng!pass", "email": "NEWCOMER@example.org"}).
		wantErr(t, 409, civicpress.CodeEmailExists)
	e.do("", "POST", "/api/v1/users/register", map[string]any{"username": "newcomer3", "password": "Str0ng!pass", "email": "not-an-email"}).
		wantErr(t, 400, civicpress.CodeInvalidEmail)
	e.do("", "POST", "/api/v1/users/register", map[string]any{"username": "newcomer4", "password": "weak", "email": "n4@example.org"}).
		wantErr(t, 400, civicpress.CodeWeakPassword)
}

func TestAuthRoutesAreStrictlyLimited(t *testing.T) {
	e := getEnv(t, Options{RateLimit: 100, AuthRateLimit: 3})
	for i := range 3 {
		r := e.do("", "GET", "/api/v1/auth/providers", nil).want(t, 200)
		if got, want := r.H.Get("RateLimit"), "limit=3, remaining="+strconv.Itoa(2-i)+", reset=900"; got != want {
			t.Fatalf("RateLimit %q, want %q", got, want)
		}
		if r.H.Get("RateLimit-Policy") != "3;w=900" {
			t.Fatalf("policy %q", r.H.Get("RateLimit-Policy"))
		}
	}
	r := e.do("", "POST", "/api/v1/users/register", map[string]any{})
	er := r.wantErr(t, 429, "RATE_LIMITED")
	if er["message"] != "Too many authentication attempts — try again later" {
		t.Fatalf("%v", er)
	}
	if s, err := strconv.Atoi(r.H.Get("Retry-After")); err != nil || s < 1 || s > 900 {
		t.Fatalf("Retry-After %q", r.H.Get("Retry-After"))
	}
	// Other routes are only under the global limit.
	r = e.do("", "GET", "/api/v1/system/record-types", nil).want(t, 200)
	if r.H.Get("RateLimit-Policy") != "100;w=900" {
		t.Fatalf("policy %q", r.H.Get("RateLimit-Policy"))
	}
	// Another client is not affected.
	rq := e.req("GET", "/api/v1/auth/providers")
	hr := newRequest(rq)
	hr.RemoteAddr = "192.0.2.99:1234"
	if w := serve(e.h, hr); w.Code != http.StatusOK {
		t.Fatalf("other client: %d", w.Code)
	}
}
