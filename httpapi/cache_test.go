package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

// editTitleOnDisk rewrites a record file's title behind the core's back:
// no event, no index change (Get reads the file, so reads show it).
func editTitleOnDisk(t *testing.T, e *env, id, from, to string) {
	t.Helper()
	r, err := e.core.Records().Get(context.Background(), civicpress.System, id)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(e.core.Paths().DataDir, r.Path)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), "title: "+from, "title: "+to, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCacheServesAnonymousReadsUntilTTL(t *testing.T) {
	e := ownEnv(t, civicpress.Config{}, Options{CacheTTL: time.Hour})
	const id, rec = "record-1739178000000", "/api/v1/records/record-1739178000000"
	title := func(r *resp) any { return at(r.Body, "data", "title") }
	if got := title(e.do("", "GET", rec, nil).want(t, 200)); got != "Parks and Public Spaces Bylaw" {
		t.Fatalf("title %v", got)
	}
	editTitleOnDisk(t, e, id, "Parks and Public Spaces Bylaw", "Edited Behind The Back")
	// Anonymous readers get the cached answer; signed-in ones bypass the cache.
	if got := title(e.do("", "GET", rec, nil).want(t, 200)); got != "Parks and Public Spaces Bylaw" {
		t.Fatalf("anonymous read not cached: %v", got)
	}
	if got := title(e.do("clerk", "GET", rec, nil).want(t, 200)); got != "Edited Behind The Back" {
		t.Fatalf("signed-in read cached: %v", got)
	}
	// A bad token is not a way into someone else's cache entry either.
	if got := title(e.send(e.req("GET", rec).as("bogus")).want(t, 200)); got != "Edited Behind The Back" {
		t.Fatalf("read with a token cached: %v", got)
	}

	// With a short TTL the edit shows once the entry is old enough.
	e.h = newHandler(e.core, Options{CacheTTL: 20 * time.Millisecond})
	editTitleOnDisk(t, e, id, "Edited Behind The Back", "Edited Again")
	first := title(e.do("", "GET", rec, nil).want(t, 200))
	if first != "Edited Again" {
		t.Fatalf("new handler served %v", first)
	}
	editTitleOnDisk(t, e, id, "Edited Again", "Third Title")
	deadline := time.Now().Add(10 * time.Second)
	for title(e.do("", "GET", rec, nil).want(t, 200)) != "Third Title" {
		if time.Now().After(deadline) {
			t.Fatal("cached answer outlived its TTL")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Disabled: every read is fresh.
	e.h = newHandler(e.core, Options{CacheTTL: -1})
	e.do("", "GET", rec, nil).want(t, 200)
	editTitleOnDisk(t, e, id, "Third Title", "Fourth Title")
	if got := title(e.do("", "GET", rec, nil).want(t, 200)); got != "Fourth Title" {
		t.Fatalf("disabled cache served %v", got)
	}
}

func TestCacheReadYourWrites(t *testing.T) {
	e := ownEnv(t, civicpress.Config{}, Options{CacheTTL: time.Hour})
	count := func() float64 {
		return e.do("", "GET", "/api/v1/records?type=policy", nil).want(t, 200).data()["totalCount"].(float64)
	}
	before := count()
	search := func() float64 {
		return e.do("", "GET", "/api/v1/search?q=quokka", nil).want(t, 200).data()["totalCount"].(float64)
	}
	if search() != 0 {
		t.Fatal("quokka already there")
	}
	id := e.createDraft("clerk", map[string]any{"title": "Quokka Welfare Policy", "type": "policy", "content": "Quokkas."})
	e.do("clerk", "POST", "/api/v1/records/"+id+"/publish", map[string]any{"status": "published"}).want(t, 201)
	// The publish response has left: the next anonymous reads see it.
	if got := count(); got != before+1 {
		t.Fatalf("list %v after publishing, want %v", got, before+1)
	}
	if search() != 1 {
		t.Fatal("search does not see the published record")
	}

	// A change made by another part of the process (the realtime hub, a
	// host program) reaches the cache through the core's events.
	ctx := context.Background()
	if _, err := e.core.Records().Archive(ctx, civicpress.System, id); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for search() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("archive by the core did not invalidate the cache")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCacheComputesConcurrentMissesOnce(t *testing.T) {
	e := getEnv(t, Options{})
	a := newAPI(e.core, Options{Logger: quiet, RateLimit: -1, AuthRateLimit: -1})
	var calls atomic.Int32
	release := make(chan struct{})
	h := a.wrap(&route{name: "slow", access: optional, cache: true, h: func(c *call) error {
		calls.Add(1)
		<-release
		return c.ok(map[string]any{"n": 1})
	}})
	const n = 10
	var wg sync.WaitGroup
	bodies := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/api/v1/slow?x=1", nil))
			if w.Code != http.StatusOK {
				t.Errorf("status %d", w.Code)
			}
			bodies[i] = w.Body.String()
		}()
	}
	// Wait until one request computes and the others wait for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		a.cache.mu.Lock()
		f := a.cache.flights["/api/v1/slow?x=1"]
		a.cache.mu.Unlock()
		if f != nil && f.waiters.Load() == n-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("requests did not gather on one computation")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("handler ran %d times", calls.Load())
	}
	for _, b := range bodies {
		if b != bodies[0] || !strings.Contains(b, `"n":1`) {
			t.Fatalf("answers differ: %q vs %q", b, bodies[0])
		}
	}
	// Errors are not cached.
	var fails atomic.Int32
	h = a.wrap(&route{name: "nf", access: optional, cache: true, h: func(c *call) error {
		fails.Add(1)
		return errf(http.StatusNotFound, "NOT_FOUND", "nope")
	}})
	for range 2 {
		if w := serve(h, httptest.NewRequest("GET", "/api/v1/nf", nil)); w.Code != 404 {
			t.Fatal(w.Code)
		}
	}
	if fails.Load() != 2 {
		t.Fatalf("a 404 was cached (%d calls)", fails.Load())
	}
}
