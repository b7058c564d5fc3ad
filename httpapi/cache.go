package httpapi

import (
	"bytes"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

// microCache keeps the answers to anonymous reads of public record data
// (lists, search, a record) for a short time: the same page requested by
// many visitors is computed once per TTL instead of once per request.
//
// Freshness: every entry is tagged with a generation that any write through
// this API bumps before its response leaves (so a client always reads its
// own writes), and that record events bump too (writes by the realtime hub
// or by other processes sharing the database, seen through the outbox).
// The TTL bounds what remains: how late another process's event arrives.
// Concurrent misses for one key wait for a single computation.
type microCache struct {
	ttl      time.Duration
	maxBytes int
	gen      atomic.Uint64
	watch    sync.Once

	mu      sync.Mutex
	entries map[string]*cacheEntry
	size    int
	flights map[string]*flight
}

type cacheEntry struct {
	gen    uint64
	at     time.Time
	status int
	header http.Header
	body   []byte
}

type flight struct {
	done    chan struct{}
	e       *cacheEntry
	waiters atomic.Int32
}

const (
	defaultCacheTTL   = time.Second
	defaultCacheBytes = 8 << 20
)

func newMicroCache(ttl time.Duration) *microCache {
	return &microCache{ttl: ttl, maxBytes: defaultCacheBytes, entries: map[string]*cacheEntry{}, flights: map[string]*flight{}}
}

// recordEvents change what anonymous readers see.
var recordEvents = []civicpress.EventType{civicpress.EventRecordCreated, civicpress.EventRecordPublished,
	civicpress.EventRecordUpdated, civicpress.EventStatusChanged, civicpress.EventRecordArchived}

// invalidate makes every entry stale.
func (m *microCache) invalidate() { m.gen.Add(1) }

// serve answers c from the cache, computing it with h on a miss.
func (m *microCache) serve(c *call, h func(*call) error) {
	m.watch.Do(func() {
		c.a.core.Events().Subscribe(func(civicpress.Event) { m.invalidate() }, recordEvents...)
	})
	key := c.r.URL.Path + "?" + c.r.URL.RawQuery
	gen := m.gen.Load()
	m.mu.Lock()
	if e := m.entries[key]; e != nil && e.gen == gen && time.Since(e.at) < m.ttl {
		m.mu.Unlock()
		e.writeTo(c.w)
		return
	}
	if f := m.flights[key]; f != nil {
		f.waiters.Add(1)
		m.mu.Unlock()
		<-f.done
		if f.e != nil {
			f.e.writeTo(c.w)
			return
		}
		m.compute(c, h, gen, key, nil) // the leader's answer was not cacheable
		return
	}
	f := &flight{done: make(chan struct{})}
	m.flights[key] = f
	m.mu.Unlock()
	m.compute(c, h, gen, key, f)
}

// compute runs the handler into a buffer, stores a 200 answer (when f is
// set: it leads a flight) and sends the answer to c.
func (m *microCache) compute(c *call, h func(*call) error, gen uint64, key string, f *flight) {
	rec := &recorder{header: http.Header{}}
	cc := *c
	cc.w = &respWriter{ResponseWriter: rec}
	var e *cacheEntry
	defer func() {
		if f != nil {
			m.mu.Lock()
			delete(m.flights, key)
			if e != nil {
				m.store(key, e)
			}
			m.mu.Unlock()
			f.e = e
			close(f.done)
		}
	}()
	if err := h(&cc); err != nil {
		cc.fail(err)
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	out := &cacheEntry{gen: gen, at: time.Now(), status: status, header: rec.header, body: rec.body.Bytes()}
	if status == http.StatusOK {
		e = out
	}
	out.writeTo(c.w)
}

// store adds e; when the cache would outgrow its budget it starts over.
func (m *microCache) store(key string, e *cacheEntry) {
	if len(e.body) > m.maxBytes/4 {
		return
	}
	if old := m.entries[key]; old != nil {
		m.size -= len(old.body)
	}
	if m.size+len(e.body) > m.maxBytes {
		clear(m.entries)
		m.size = 0
	}
	m.entries[key] = e
	m.size += len(e.body)
}

func (e *cacheEntry) writeTo(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range e.header {
		h[k] = v
	}
	w.WriteHeader(e.status)
	w.Write(e.body)
}

// recorder is the ResponseWriter a cached handler writes into.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
