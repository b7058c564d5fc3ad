package civicpress

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/civicpress/civicpress-go/internal/store"
)

// Query runs a search (records:view; a nil actor searches as the public
// role). An empty query (no words) finds nothing.
func (s *Search) Query(ctx context.Context, actor *User, q SearchQuery) (*SearchResult, error) {
	c := s.c
	if err := c.requireRead(actor, "records:view", PermContext{}); err != nil {
		return nil, err
	}
	switch q.Sort {
	case "", SortRelevance, SortCreatedDesc, SortUpdatedDesc, SortTitleAsc, SortTitleDesc:
	default:
		return nil, invalid(CodeValidation, FieldError{Field: "sort", Message: "sort must be one of relevance, updated_desc, created_desc, title_asc, title_desc"})
	}
	res := &SearchResult{Hits: []SearchHit{}, Facets: SearchFacets{Types: []FacetCount{}, Statuses: []FacetCount{}}}
	pq := parseQuery(q.Query)
	if len(pq) == 0 {
		return res, nil
	}
	spec := store.SearchSpec{Filter: store.RecordFilter{Types: q.Types, Statuses: q.Statuses, Sort: q.Sort,
		Limit: normLimit(q.Limit, 20, 1000), Offset: max(q.Offset, 0)}}
	if c.db.Dialect() == store.Postgres {
		spec.Match, spec.TitleMatch = pq.tsquery(), pq.tsquery()
	} else {
		spec.Match, spec.TitleMatch = pq.fts5(), pq.fts5Title()
	}
	db := c.db.Q()
	cache := &c.rec.suggest.counts
	gen, cacheable := cache.generation(ctx, db, store.GenSearch)
	// The counts of the query with its filters: the total, and when asked
	// for, the counts per type and status (summed, they are the total).
	filtered := len(q.Types) > 0 || len(q.Statuses) > 0
	key := countKey("search", spec.Match, "", q.Types, q.Statuses)
	ent := cache.get(key, gen, cacheable)
	if ent.total < 0 || q.Facets && ent.facets == nil {
		if filtered && !q.Facets {
			// The unfiltered query's facets, when known, hold any filter's total.
			if all := cache.get(countKey("search", spec.Match, "", nil, nil), gen, cacheable); all.facets != nil {
				ent.total = 0
				for _, g := range all.facets {
					if (len(q.Types) == 0 || slices.Contains(q.Types, g.Type)) && (len(q.Statuses) == 0 || slices.Contains(q.Statuses, g.Status)) {
						ent.total += g.Count
					}
				}
			}
		}
		switch {
		case q.Facets:
			counts, err := db.SearchCounts(ctx, spec)
			if err != nil {
				return nil, err
			}
			ent.facets, ent.total = counts, 0
			for _, g := range counts {
				ent.total += g.Count
			}
		case ent.total < 0:
			n, err := db.SearchTotal(ctx, spec)
			if err != nil {
				return nil, err
			}
			ent.total = n
		}
		cache.put(key, ent, cacheable)
	}
	res.Total = ent.total
	if q.Facets {
		types, statuses := map[string]int{}, map[string]int{}
		for _, g := range ent.facets {
			types[g.Type] += g.Count
			statuses[g.Status] += g.Count
		}
		res.Facets.Types, res.Facets.Statuses = facetList(types), facetList(statuses)
	}
	relevance := q.Sort == "" || q.Sort == SortRelevance
	if relevance && res.Total > spec.Filter.Offset {
		// The title tier's size, with the filters.
		titleKey := countKey("search-title", "", spec.TitleMatch, q.Types, q.Statuses)
		tt := cache.get(titleKey, gen, cacheable)
		if tt.titleTotal < 0 {
			n, err := db.SearchTitleTotal(ctx, spec)
			if err != nil {
				return nil, err
			}
			tt.titleTotal = n
			cache.put(titleKey, tt, cacheable)
		}
		spec.TitleTotal = &tt.titleTotal
	}
	if res.Total <= spec.Filter.Offset {
		return res, nil
	}
	var hits []store.SearchHit
	var err error
	if relevance {
		hits, err = c.rankedPage(ctx, db, spec, gen, cacheable)
	} else {
		hits, err = db.SearchRecords(ctx, spec)
	}
	if err != nil {
		return nil, err
	}
	match := pq.matcher()
	ids := make([]string, len(hits))
	for i := range hits {
		rec := recordFromRow(&hits[i].Record)
		ids[i] = rec.ID
		res.Hits = append(res.Hits, SearchHit{Record: rec, Score: hits[i].Score, TitleMatch: hits[i].TitleHit,
			Snippet: snippet(rec.Content, match), Title: highlight(rec.Title, match)})
	}
	if actor != nil && len(ids) > 0 {
		has, err := db.DraftIDs(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			h.Record.HasDraft = has[h.Record.ID]
		}
	}
	return res, nil
}

// rankedPage is a relevance page: the title tier's part read in its index
// order, then the body tier's from its cached head.
func (c *Core) rankedPage(ctx context.Context, db store.Q, spec store.SearchSpec, gen int64, cacheable bool) ([]store.SearchHit, error) {
	titleTotal, off, limit := *spec.TitleTotal, spec.Filter.Offset, spec.Filter.Limit
	var hits []store.SearchHit
	if off < titleTotal {
		var err error
		if hits, err = db.SearchTitleTier(ctx, spec, limit, off); err != nil {
			return nil, err
		}
	}
	if rest := limit - len(hits); rest > 0 && off+len(hits) >= titleTotal {
		more, err := c.bodyTier(ctx, db, spec, gen, cacheable, rest, max(0, off-titleTotal))
		if err != nil {
			return nil, err
		}
		hits = append(hits, more...)
	}
	return db.HitRecords(ctx, hits)
}

func facetList(m map[string]int) []FacetCount {
	out := make([]FacetCount, 0, len(m))
	for v, n := range m {
		out = append(out, FacetCount{Value: v, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Value < out[j].Value
	})
	return out
}

// Suggestions come from the titles and tags of the searchable records, held
// in memory. After the index changes (in this process), or after
// suggestTTL (changes made by other processes), the next call still answers
// from the old data while one rebuild runs in the background; only the very
// first call waits for a build.
const suggestTTL = 30 * time.Second

type suggestCache struct {
	gen atomic.Uint64 // bumped when the index changes

	// counts caches search and list totals per index generation (it
	// lives here, with the other derived search state of a Core).
	counts countCache

	mu       sync.Mutex
	builtGen uint64
	built    time.Time
	data     *suggestData
	building bool
}

type suggestData struct {
	words      []wordCount // suggestible words of titles and tags, sorted
	titles     []titleEntry
	titleWords []string           // every title token, sorted, unique
	byWord     map[string][]int32 // title token -> titles holding it
}

type wordCount struct {
	word string
	n    int
}

type titleEntry struct {
	title  string
	folded string
	words  []string
}

func (s *suggestCache) invalidate() { s.gen.Add(1) }

func (s *suggestCache) get(ctx context.Context, q store.Q) (*suggestData, error) {
	s.mu.Lock()
	gen := s.gen.Load()
	fresh := s.builtGen == gen && time.Since(s.built) < suggestTTL
	if s.data != nil {
		d := s.data
		if !fresh && !s.building {
			s.building = true
			go func() {
				nd, err := buildSuggest(context.Background(), q)
				s.mu.Lock()
				if err == nil {
					s.data, s.builtGen, s.built = nd, gen, time.Now()
				}
				s.building = false
				s.mu.Unlock()
			}()
		}
		s.mu.Unlock()
		return d, nil
	}
	defer s.mu.Unlock()
	d, err := buildSuggest(ctx, q)
	if err != nil {
		return nil, err
	}
	s.data, s.builtGen, s.built = d, gen, time.Now()
	return d, nil
}

func buildSuggest(ctx context.Context, q store.Q) (*suggestData, error) {
	counts := map[string]int{}
	d := &suggestData{byWord: map[string][]int32{}}
	err := q.SearchTitlesTags(ctx, func(title, tags string) {
		d.titles = append(d.titles, titleEntry{title: title, folded: foldText(title), words: tokens(title)})
		eachToken(tags, func(w string, _, _ int) {
			if suggestible(w) {
				counts[w]++
			}
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(d.titles, func(i, j int) bool { return d.titles[i].title < d.titles[j].title })
	for i, t := range d.titles {
		for k, w := range t.words {
			if suggestible(w) {
				counts[w]++
			}
			if slices.Index(t.words, w) == k { // once per title
				d.byWord[w] = append(d.byWord[w], int32(i))
			}
		}
	}
	for w, n := range counts {
		d.words = append(d.words, wordCount{w, n})
	}
	sort.Slice(d.words, func(i, j int) bool { return d.words[i].word < d.words[j].word })
	for w := range d.byWord {
		d.titleWords = append(d.titleWords, w)
	}
	sort.Strings(d.titleWords)
	return d, nil
}

// stopWords are left out of word suggestions (English and French, as upstream).
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`the and for are but not you all any can had her was one our out has him his how its may new now
		see two way who did get let put say she too use with this that from they will been have were said each which their
		there what about would into than them then these some could other more very after also where most over such
		les des une est pour dans par sur aux avec son ses qui que pas plus ont sont mais comme tout leur nous vous elle
		cette entre sans sous chez donc dont ainsi aussi`) {
		m[w] = true
	}
	return m
}()

func suggestible(w string) bool { return utf8.RuneCountInString(w) >= 3 && !stopWords[w] }

// maxTypos is how many edits a word of n runes may have and still match.
func maxTypos(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 7:
		return 1
	default:
		return 2
	}
}

// editDistance is the optimal-string-alignment distance of a and b (runes:
// insertions, deletions, substitutions and swaps of neighbours, the usual
// typos), or limit+1 when it exceeds limit.
func editDistance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// rows i-2, i-1 and i of the dynamic programme.
	pp := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		pp, prev, cur = prev, cur, pp
	}
	return prev[len(b)]
}

// typoMatch reports whether word starts with something within the allowed
// number of edits of q (a mistyped prefix), or is itself within them.
func typoMatch(q []rune, word string, limit int) bool {
	if limit == 0 {
		return false
	}
	w := []rune(word)
	if editDistance(q, w[:min(len(w), len(q))], limit) <= limit {
		return true
	}
	return editDistance(q, w, limit) <= limit
}

// Suggest completes q (at least 2 characters) with at most limit
// suggestions (default 10, at most 20): words first (up to two fifths of the
// limit, at most 5), ranked prefix matches before inner matches before
// typo-tolerant matches, then by frequency; then titles, ranked titles
// starting with q, titles with words starting with q, titles containing q,
// titles with a word within a typo or two of q; shorter titles first.
func (s *Search) Suggest(ctx context.Context, actor *User, q string, limit int) (*Suggestions, error) {
	c := s.c
	if err := c.requireRead(actor, "records:view", PermContext{}); err != nil {
		return nil, err
	}
	out := &Suggestions{Suggestions: []string{}, Words: []string{}, Titles: []string{}}
	limit = normLimit(limit, 10, 20)
	toks := tokens(q)
	qf := strings.Join(toks, " ")
	if utf8.RuneCountInString(qf) < 2 || len(toks) == 0 {
		return out, nil
	}
	d, err := c.rec.suggest.get(ctx, c.db.Q())
	if err != nil {
		return nil, err
	}
	last := toks[len(toks)-1]
	lastR := []rune(last)
	typos := maxTypos(len(lastR))

	// Words: prefix matches from the sorted list, then (while short of the
	// limit) inner matches and typos.
	wordLimit := min(5, max(1, limit*2/5))
	type cand struct {
		text string
		rank int
		n    int
	}
	var words []cand
	lo := sort.Search(len(d.words), func(i int) bool { return d.words[i].word >= last })
	for i := lo; i < len(d.words) && strings.HasPrefix(d.words[i].word, last); i++ {
		words = append(words, cand{d.words[i].word, 0, d.words[i].n})
	}
	for pass := 1; pass <= 2 && len(words) < wordLimit; pass++ {
		for _, wc := range d.words {
			if strings.HasPrefix(wc.word, last) {
				continue
			}
			if pass == 1 && strings.Contains(wc.word, last) || pass == 2 && !strings.Contains(wc.word, last) && typoMatch(lastR, wc.word, typos) {
				words = append(words, cand{wc.word, pass, wc.n})
			}
		}
	}
	sort.SliceStable(words, func(i, j int) bool {
		if words[i].rank != words[j].rank {
			return words[i].rank < words[j].rank
		}
		if words[i].n != words[j].n {
			return words[i].n > words[j].n
		}
		return words[i].text < words[j].text
	})
	for i := 0; i < len(words) && i < wordLimit; i++ {
		out.Words = append(out.Words, words[i].text)
	}

	// Titles, through the title words.
	rank := map[int32]int{}
	note := func(i int32, r int) {
		if old, ok := rank[i]; !ok || r < old {
			rank[i] = r
		}
	}
	lo = sort.SearchStrings(d.titleWords, last)
	for k := lo; k < len(d.titleWords) && strings.HasPrefix(d.titleWords[k], last); k++ {
		for _, i := range d.byWord[d.titleWords[k]] {
			t := &d.titles[i]
			switch {
			case strings.HasPrefix(strings.Join(t.words, " "), qf):
				note(i, 0)
			case wordPrefix(t.words, toks):
				note(i, 1)
			}
		}
	}
	if len(rank) < limit {
		for i := range d.titles {
			if strings.Contains(d.titles[i].folded, qf) {
				note(int32(i), 2)
			}
		}
	}
	if len(rank) < limit && typos > 0 {
		for _, w := range d.titleWords {
			if typoMatch(lastR, w, typos) {
				for _, i := range d.byWord[w] {
					note(i, 3)
				}
			}
		}
	}
	titles := make([]int32, 0, len(rank))
	for i := range rank {
		titles = append(titles, i)
	}
	sort.Slice(titles, func(a, b int) bool {
		ta, tb := &d.titles[titles[a]], &d.titles[titles[b]]
		if ra, rb := rank[titles[a]], rank[titles[b]]; ra != rb {
			return ra < rb
		}
		if len(ta.title) != len(tb.title) {
			return len(ta.title) < len(tb.title)
		}
		return ta.title < tb.title
	})
	seen := map[string]bool{}
	for _, i := range titles {
		if len(out.Titles) == limit {
			break
		}
		if t := d.titles[i].title; !seen[t] {
			seen[t] = true
			out.Titles = append(out.Titles, t)
		}
	}
	for _, s := range append(append([]string{}, out.Words...), out.Titles...) {
		if len(out.Suggestions) == limit {
			break
		}
		out.Suggestions = append(out.Suggestions, s)
	}
	return out, nil
}

// wordPrefix reports whether the title's words contain the query's tokens in
// sequence, the last one as a prefix.
func wordPrefix(words, toks []string) bool {
	for i := 0; i+len(toks) <= len(words); i++ {
		ok := true
		for k, t := range toks {
			w := words[i+k]
			if k == len(toks)-1 {
				ok = strings.HasPrefix(w, t)
			} else {
				ok = w == t
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
