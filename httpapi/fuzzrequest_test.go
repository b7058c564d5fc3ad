package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequest sends arbitrary bodies and query strings through the whole
// API (pipeline, decoding, core) on routes that take them, as an
// authenticated clerk, and as an anonymous browser form where CSRF applies.
// A malformed request is a client error: the status is never 500.
func FuzzRequest(f *testing.F) {
	routes := []struct{ method, path, role string }{
		{"GET", "/api/v1/records?", ""},
		{"GET", "/api/v1/search?", ""},
		{"GET", "/api/v1/search/suggestions?", ""},
		{"GET", "/api/v1/records/drafts?", "clerk"},
		{"GET", "/api/v1/history?", "clerk"},
		{"GET", "/api/v1/users?", "admin"},
		{"POST", "/api/v1/records", "clerk"},
		{"POST", "/api/v1/records", ""},
		{"PUT", "/api/v1/records/fuzz-record/draft", "clerk"},
		{"POST", "/api/v1/records/fuzz-record/status", "clerk"},
		{"POST", "/api/v1/records/fuzz-record/publish", "clerk"},
		{"PUT", "/api/v1/users/public1", "public"},
		{"POST", "/api/v1/users/public1/api-keys", "public"},
		{"POST", "/api/v1/auth/reset-password", ""},
	}
	f.Add(uint8(0), "application/json", []byte(`{}`), "limit=5&page=2")
	f.Add(uint8(1), "application/json", []byte(``), "q=council&sort=title_asc")
	f.Add(uint8(2), "", []byte(``), "q=b")
	f.Add(uint8(6), "application/json", []byte(`{"title":"T","type":"bylaw","metadata":{"k":[1,{"x":null}]}}`), "")
	f.Add(uint8(6), "application/json", []byte(`{"title":"T","type":"bylaw","attachedFiles":"no"}`), "")
	f.Add(uint8(7), formType, []byte(`csrfToken=abc&title=x`), "")
	f.Add(uint8(8), "application/json", []byte(`{"markdownBody":"# hi","status":"weird status"}`), "")
	f.Add(uint8(9), "application/json", []byte(`{"status":123}`), "")
	f.Add(uint8(11), "application/json", []byte(`{"email":["x"]}`), "")
	f.Add(uint8(12), "application/json", []byte(`{"name":"k","expiresAt":"9999-99-99"}`), "")
	f.Add(uint8(13), "application/json", []byte(`{"token":"`+strings.Repeat("a", 64)+`","newPassword":"x"}`), "")
	e := getEnv(f, Options{})
	f.Fuzz(func(t *testing.T, which uint8, ct string, body []byte, rawQuery string) {
		rt := routes[int(which)%len(routes)]
		path := rt.path
		if strings.HasSuffix(path, "?") {
			path += url.PathEscape(rawQuery)
			path = strings.ReplaceAll(path, "%3D", "=")
			path = strings.ReplaceAll(path, "%26", "&")
		}
		hr := httptest.NewRequest(rt.method, "/", strings.NewReader(string(body)))
		u, err := url.Parse(path)
		if err != nil {
			return
		}
		hr.URL = u
		hr.RequestURI = u.RequestURI()
		if ct != "" {
			hr.Header.Set("Content-Type", ct)
		}
		if tok := e.tok[rt.role]; tok != "" {
			hr.Header.Set("Authorization", "Bearer "+tok)
		}
		w := serve(e.h, hr)
		if w.Code >= http.StatusInternalServerError {
			t.Fatalf("%s %s (%q, %q): %d %s", rt.method, path, ct, body, w.Code, w.Body)
		}
	})
}
