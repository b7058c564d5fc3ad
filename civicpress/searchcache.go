package civicpress

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/civicpress/civicpress-go/internal/store"
)

// countCache keeps what a broad query costs most to recompute, the counts:
// a search's total, its title-tier total and facets, a list's total. A
// count of n matches costs time in proportion to n (a word in every record
// of 100,000 takes ~8 ms of CPU to count), while the page itself is read in
// rank order; keeping the counts lets the second page, or the same query
// from another user, skip the count.
//
// Entries are keyed by the index generation (store.IndexGen) read before
// counting: every change to the index, by this process or any other
// program writing the database, moves the generation in its own
// transaction, so an entry is served only while the index is as it was
// counted (an entry counted from a newer state than its generation says is
// harmless: it is only served until the generation moves on).
type countCache struct {
	mu      sync.Mutex
	entries map[string]countEntry
	// bodies holds the heads of body-tier rankings (see bodyTier), and
	// bodyHits the number of hits they hold in all.
	bodies   map[string]*bodyWindow
	bodyHits int
	// off disables the cache (benchmarks measure the uncached path).
	off bool
}

type countEntry struct {
	gen        int64
	total      int // -1: not counted
	titleTotal int // -1: not counted
	facets     []store.TypeStatusCount
}

// maxCountEntries bounds the cache (each entry is a few dozen bytes plus
// its key and facets).
const maxCountEntries = 4096

// countKey identifies a query's counts: its kind, match texts and filters
// (order-independent).
func countKey(kind, match, titleMatch string, types, statuses []string) string {
	norm := func(l []string) string {
		l = slices.Clone(l)
		slices.Sort(l)
		return strings.Join(slices.Compact(l), "\x1f")
	}
	return kind + "\x00" + match + "\x00" + titleMatch + "\x00" + norm(types) + "\x00" + norm(statuses)
}

// generation reads the index generation, or reports that counts cannot be
// cached now (cache off, or the generation unreadable).
func (cc *countCache) generation(ctx context.Context, q store.Q, index string) (int64, bool) {
	cc.mu.Lock()
	off := cc.off
	cc.mu.Unlock()
	if off {
		return 0, false
	}
	gen, err := q.IndexGen(ctx, index)
	return gen, err == nil
}

// get returns the entry of key counted at generation gen, or an empty one.
func (cc *countCache) get(key string, gen int64, ok bool) countEntry {
	if ok {
		cc.mu.Lock()
		e, hit := cc.entries[key]
		cc.mu.Unlock()
		if hit && e.gen == gen {
			return e
		}
	}
	return countEntry{gen: gen, total: -1, titleTotal: -1}
}

// put stores e under key (a no-op when the generation was not readable).
func (cc *countCache) put(key string, e countEntry, ok bool) {
	if !ok {
		return
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.entries == nil {
		cc.entries = map[string]countEntry{}
	}
	if _, there := cc.entries[key]; !there && len(cc.entries) >= maxCountEntries {
		// Drop about a quarter (map order is random enough for an
		// eviction this rare; stale entries go as well as any).
		drop := maxCountEntries / 4
		for k := range cc.entries {
			if drop == 0 {
				break
			}
			delete(cc.entries, k)
			drop--
		}
	}
	cc.entries[key] = e
}

// listRows is store.ListRecords with the total kept per records generation.
func (c *Core) listRows(ctx context.Context, f store.RecordFilter) ([]store.RecordRow, int, error) {
	db := c.db.Q()
	cache := &c.rec.suggest.counts
	gen, cacheable := cache.generation(ctx, db, store.GenRecords)
	key := countKey("list", "", "", f.Types, f.Statuses)
	ent := cache.get(key, gen, cacheable)
	if ent.total < 0 {
		n, err := db.CountListed(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		ent.total = n
		cache.put(key, ent, cacheable)
	}
	if ent.total == 0 || f.Offset >= ent.total {
		return nil, ent.total, nil
	}
	rows, err := db.ListPage(ctx, f, ent.total)
	return rows, ent.total, err
}

// bodyWindow is the head of a query's body-tier ranking at a generation.
type bodyWindow struct {
	gen      int64
	hits     []store.SearchHit // Record.ID and Score only
	complete bool              // hits hold the whole tier
}

// The body tier (matches outside the title tier, ranked by bm25 or
// ts_rank) costs a score for every one of its matches whatever the page,
// so its head is ranked once per generation, bodyWindowStep hits at first
// and twice as many each time a page reaches past them, up to
// maxBodyWindow (deeper pages are ranked for themselves), within
// maxBodyHits hits cached in all.
const (
	bodyWindowStep = 200
	maxBodyWindow  = 6400
	maxBodyHits    = 50000
)

// bodyTier returns the body-tier hits at offset, limit.
func (c *Core) bodyTier(ctx context.Context, db store.Q, spec store.SearchSpec, gen int64, cacheable bool, limit, offset int) ([]store.SearchHit, error) {
	need := offset + limit
	if !cacheable || need > maxBodyWindow {
		return db.SearchBodyTier(ctx, spec, limit, offset)
	}
	cc := &c.rec.suggest.counts
	key := countKey("search-body", spec.Match, spec.TitleMatch, spec.Filter.Types, spec.Filter.Statuses)
	cc.mu.Lock()
	w := cc.bodies[key]
	cc.mu.Unlock()
	if w == nil || w.gen != gen || !w.complete && len(w.hits) < need {
		k := bodyWindowStep
		for k < need {
			k *= 2
		}
		k = min(k, maxBodyWindow)
		hits, err := db.SearchBodyTier(ctx, spec, k, 0)
		if err != nil {
			return nil, err
		}
		w = &bodyWindow{gen: gen, hits: hits, complete: len(hits) < k}
		cc.putBody(key, w)
	}
	if offset >= len(w.hits) {
		return nil, nil
	}
	return slices.Clone(w.hits[offset:min(need, len(w.hits))]), nil
}

func (cc *countCache) putBody(key string, w *bodyWindow) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.bodies == nil {
		cc.bodies = map[string]*bodyWindow{}
	}
	if old := cc.bodies[key]; old != nil {
		cc.bodyHits -= len(old.hits)
	}
	for k, old := range cc.bodies {
		if cc.bodyHits+len(w.hits) <= maxBodyHits {
			break
		}
		cc.bodyHits -= len(old.hits)
		delete(cc.bodies, k)
	}
	cc.bodies[key] = w
	cc.bodyHits += len(w.hits)
}
