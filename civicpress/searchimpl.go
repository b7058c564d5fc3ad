package civicpress

import (
	"context"
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
	counts, err := c.db.Q().SearchCounts(ctx, spec)
	if err != nil {
		return nil, err
	}
	types, statuses := map[string]int{}, map[string]int{}
	for _, g := range counts {
		res.Total += g.Count
		types[g.Type] += g.Count
		statuses[g.Status] += g.Count
	}
	res.Facets.Types, res.Facets.Statuses = facetList(types), facetList(statuses)
	if res.Total <= spec.Filter.Offset {
		return res, nil
	}
	hits, err := c.db.Q().SearchRecords(ctx, spec)
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
		has, err := c.db.Q().DraftIDs(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			h.Record.HasDraft = has[h.Record.ID]
		}
	}
	return res, nil
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
// in memory and rebuilt after the index changes (in this process) or after
// suggestTTL (changes made by other processes).
const suggestTTL = 30 * time.Second

type suggestCache struct {
	gen atomic.Uint64 // bumped when the index changes

	mu       sync.Mutex
	builtGen uint64
	built    time.Time
	data     *suggestData
}

type suggestData struct {
	words  []wordCount // sorted by word
	titles []titleEntry
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
	defer s.mu.Unlock()
	gen := s.gen.Load()
	if s.data != nil && s.builtGen == gen && time.Since(s.built) < suggestTTL {
		return s.data, nil
	}
	counts := map[string]int{}
	d := &suggestData{}
	err := q.SearchTitlesTags(ctx, func(title, tags string) {
		te := titleEntry{title: title, folded: foldText(title), words: tokens(title)}
		d.titles = append(d.titles, te)
		for _, w := range te.words {
			if suggestible(w) {
				counts[w]++
			}
		}
		eachToken(tags, func(w string, _, _ int) {
			if suggestible(w) {
				counts[w]++
			}
		})
	})
	if err != nil {
		return nil, err
	}
	for w, n := range counts {
		d.words = append(d.words, wordCount{w, n})
	}
	sort.Slice(d.words, func(i, j int) bool { return d.words[i].word < d.words[j].word })
	sort.Slice(d.titles, func(i, j int) bool { return d.titles[i].title < d.titles[j].title })
	s.data, s.builtGen, s.built = d, gen, time.Now()
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
// starting with q, titles with a word starting with q, titles containing q,
// titles with a word within a typo or two of q.
func (s *Search) Suggest(ctx context.Context, actor *User, q string, limit int) (*Suggestions, error) {
	c := s.c
	if err := c.requireRead(actor, "records:view", PermContext{}); err != nil {
		return nil, err
	}
	out := &Suggestions{Suggestions: []string{}, Words: []string{}, Titles: []string{}}
	limit = normLimit(limit, 10, 20)
	qf := strings.Join(tokens(q), " ")
	toks := tokens(q)
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

	type cand struct {
		text string
		rank int
		n    int
	}
	var words []cand
	for _, wc := range d.words {
		rank := -1
		switch {
		case strings.HasPrefix(wc.word, last):
			rank = 0
		case strings.Contains(wc.word, last):
			rank = 1
		case typoMatch(lastR, wc.word, typos):
			rank = 2
		}
		if rank >= 0 {
			words = append(words, cand{wc.word, rank, wc.n})
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
	wordLimit := min(5, max(1, limit*2/5))
	for i := 0; i < len(words) && i < wordLimit; i++ {
		out.Words = append(out.Words, words[i].text)
	}

	var titles []cand
	for _, t := range d.titles {
		rank := -1
		joined := strings.Join(t.words, " ")
		switch {
		case strings.HasPrefix(joined, qf):
			rank = 0
		case wordPrefix(t.words, toks):
			rank = 1
		case strings.Contains(t.folded, qf) || strings.Contains(joined, qf):
			rank = 2
		default:
			for _, w := range t.words {
				if typoMatch(lastR, w, typos) {
					rank = 3
					break
				}
			}
		}
		if rank >= 0 {
			titles = append(titles, cand{t.title, rank, len(t.title)})
		}
	}
	sort.SliceStable(titles, func(i, j int) bool {
		if titles[i].rank != titles[j].rank {
			return titles[i].rank < titles[j].rank
		}
		if titles[i].n != titles[j].n {
			return titles[i].n < titles[j].n
		}
		return titles[i].text < titles[j].text
	})
	seen := map[string]bool{}
	for _, t := range titles {
		if len(out.Titles) == limit {
			break
		}
		if !seen[t.text] {
			seen[t.text] = true
			out.Titles = append(out.Titles, t.text)
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
