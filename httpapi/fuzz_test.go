package httpapi

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bodies (under several content types) and
// query strings to the decoders every handler uses. Whatever comes in, the
// outcome is a value or a client error (4xx with a code), never a panic and
// never something that would become a 500.
func FuzzDecode(f *testing.F) {
	for _, s := range []struct{ ct, body, query string }{
		{"application/json", `{"title":"Noise","type":"bylaw","content":"# x","metadata":{"tags":["a"]}}`, "page=2&limit=5&sort=title_asc"},
		{"application/json", `{"title": "oops"`, "limit=0"},
		{"application/json", `[]`, "limit=301&page=-1"},
		{"application/json", `{"metadata":"x","attachedFiles":[1],"linkedRecords":{}}`, "sort=relevance&type=,,"},
		{"application/json", `{"title":1e400}`, "q=" + strings.Repeat("a", 600)},
		{"application/json", `{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`, "since=yesterday"},
		{"application/json", `{"metadata":` + strings.Repeat(`{"a":`, 250) + `1` + strings.Repeat("}", 250) + `}`, "offset=9999999999999999999999"},
		{"application/x-www-form-urlencoded", "username=a&password=b&csrfToken=c", "edit=true"},
		{"application/x-www-form-urlencoded", "%zz=1", "%zz"},
		{"text/plain", "hello", "limit=abc"},
		{"application/merge-patch+json", `{"title":"x"} {"y":1}`, "until=2026-01-01"},
		{"", "\xff\xfe", "page=1000001"},
		{"application/json; charset=utf-8", `{"status":null,"metadata":null}`, "limit=20&q=%00"},
	} {
		f.Add(s.ct, []byte(s.body), s.query)
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte, rawQuery string) {
		clientErr := func(where string, err error) {
			if err == nil {
				return
			}
			var he *httpError
			if !errors.As(err, &he) || he.status < 400 || he.status >= 500 || he.code == "" {
				t.Fatalf("%s: %v is not a client error", where, err)
			}
		}
		var rb recordBody
		if err := decodeBody(ct, body, &rb); err != nil {
			clientErr("record body", err)
		} else {
			_, err := rb.changes()
			clientErr("record changes", err)
		}
		var login struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		clientErr("login body", decodeBody(ct, body, &login))
		var key struct {
			Name      string `json:"name"`
			ExpiresAt string `json:"expiresAt"`
		}
		clientErr("key body", decodeBody(ct, body, &key))
		_, err := csrfFromBody(ct, body)
		clientErr("csrf body", err)

		v, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // net/http would have dropped the bad pairs the same way
		}
		q := &query{v: v}
		pg := q.page(50, 300)
		if pg.limit < 1 || pg.limit > 300 || pg.num < 1 || pg.offset() < 0 {
			t.Fatalf("page %+v from %q", pg, rawQuery)
		}
		q.oneOf("sort", "created_desc", listSorts...)
		q.time("since")
		q.required("q")
		q.maxLen("q", maxQuery)
		q.int("offset", 0, 0, 0)
		clientErr("query", q.err("Invalid request data"))
		cur, pages, size := pg.fields(1 << 40)
		if cur < 1 || pages < 0 || size < 1 {
			t.Fatalf("pagination %d %d %d", cur, pages, size)
		}
	})
}
