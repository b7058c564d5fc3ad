package civicpress

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct{ q, fts, ts string }{
		{`noise`, `("noise"*)`, `(('noise':*))`},
		{`Noise  BYLAW`, `("noise"*) AND ("bylaw"*)`, `(('noise':*)) & (('bylaw':*))`},
		{`"quiet hours" bylaw`, `("quiet hours") AND ("bylaw"*)`, `(('quiet' <-> 'hours')) & (('bylaw':*))`},
		{`noise OR parking`, `("noise"* OR "parking"*)`, `(('noise':*) | ('parking':*))`},
		{`dogs noise or parking`, `("dogs"*) AND ("noise"* OR "parking"*)`, `(('dogs':*)) & (('noise':*) | ('parking':*))`},
		{`fiscal-year`, `("fiscal year"*)`, `(('fiscal' <-> 'year':*))`},
		{`Café "Élan"`, `("cafe"*) AND ("elan")`, `(('cafe':*)) & (('elan'))`},
		{`OR noise OR`, `("noise"*)`, `(('noise':*))`},
		{`"unterminated phrase`, `("unterminated phrase")`, `(('unterminated' <-> 'phrase'))`},
		{`*** ( ) "" -`, ``, ``},
		{`it's`, `("it s"*)`, `(('it' <-> 's':*))`},
	} {
		pq := parseQuery(tc.q)
		if got := pq.fts5(); got != tc.fts {
			t.Errorf("%q: fts5 %s, want %s", tc.q, got, tc.fts)
		}
		if got := pq.tsquery(); got != tc.ts {
			t.Errorf("%q: tsquery %s, want %s", tc.q, got, tc.ts)
		}
	}
}

func TestHighlightAndSnippet(t *testing.T) {
	m := parseQuery(`dog "quiet hours"`).matcher()
	if got := highlight(`Dogs & <cats> during quiet hours`, m); got != `<mark>Dogs</mark> &amp; &lt;cats&gt; during <mark>quiet</mark> <mark>hours</mark>` {
		t.Fatalf("highlight: %s", got)
	}
	var words []string
	for i := range 200 {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	words[150] = "doghouse"
	s := snippet(strings.Join(words, " "), m)
	if !strings.HasPrefix(s, "...w146 w147 w148 w149 <mark>doghouse</mark> w151") || !strings.HasSuffix(s, "...") ||
		strings.Count(s, " ")+1 != snippetTokens {
		t.Fatalf("snippet: %s", s)
	}
	if s := snippet("no match at all here", m); s != "no match at all here" {
		t.Fatalf("snippet without match: %s", s)
	}
}

// fts5Tokens tokenizes text with SQLite FTS5's default tokenizer.
func fts5Tokens(t *testing.T, db *store.DB, text string) []string {
	t.Helper()
	ctx := context.Background()
	b := db.Bun()
	if _, err := b.ExecContext(ctx, "DELETE FROM tok_t"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ExecContext(ctx, "INSERT INTO tok_t(x) VALUES (?)", text); err != nil {
		t.Fatal(err)
	}
	rows, err := b.QueryContext(ctx, "SELECT term FROM tok_v ORDER BY offset")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		out = append(out, s)
	}
	return out
}

// TestTokensMatchFTS5 checks the Go tokenizer (which builds PostgreSQL's
// vectors, the text FTS5 indexes, and both databases' queries) against
// SQLite FTS5's unicode61 on random text mixing scripts, symbols and
// punctuation: the stored token text reads back as exactly the same tokens,
// and on text without emoji or decomposed accents (which unicode61's
// Unicode 6.1 tables class differently) raw text tokenizes the same too.
func TestTokensMatchFTS5(t *testing.T) {
	db, err := store.Open(context.Background(), store.Options{SQLitePath: storetest.SQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE VIRTUAL TABLE tok_t USING fts5(x)", "CREATE VIRTUAL TABLE tok_v USING fts5vocab(tok_t, 'instance')"} {
		if _, err := db.Bun().ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	pieces := []string{"Bylaw", "noise", "2025", "fiscal-year", "l'hôtel", "Café", "ÉCOLE", "naïve", "Straße", "Ångström",
		"Ñandú", "Zürich", "œuvre", "Ærø", "Łódź", "déjà-vu", "Δήμος", "Москва", "東京都", "café\u0301", "x²", "½",
		"$200", "§12", "3.5", "e-mail", "a_b", "C++", "#tag", "@user", "🙂", "\u00a0", "—", "…", "«", "»", "\t", "\n", "İstanbul", "ǅ", "Ⅻ", "Việt", "ıi", "Հայ", "שלום", "مرحبا", "हिन्दी", "ไทย", "ﬁ", "Ǳ", "ΐ", "ΰ", "K", "Å", "ﬀ", "Ⓐ", "①", "𝐀", "ᾼ", "ẞ", "ŉ", "ǰ", "ꭰ", "Ꭰ"}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
			if rng.IntN(3) > 0 {
				b.WriteString(" ")
			}
		}
		text := b.String()
		got := tokens(text)
		if back := fts5Tokens(t, db, tokenText(text)); !slices.Equal(got, back) {
			t.Fatalf("case %d %q: stored tokens read back as %q, want %q", i, text, back, got)
		}
		// Characters classed differently by Unicode 6.1 (emoji, combining
		// accents, Cherokee lower case) only need the stored round trip.
		if strings.ContainsAny(text, "🙂\u0301ꭰᎠ") {
			continue
		}
		if want := fts5Tokens(t, db, text); !slices.Equal(got, want) {
			t.Fatalf("case %d %q:\n go    %q\n fts5  %q", i, text, got, want)
		}
	}
}

// corpusDoc is one record of the shared search corpus.
type corpusDoc struct {
	id, title, typ, status, body string
	tags                         []string
}

func searchCorpus() []corpusDoc {
	docs := []corpusDoc{
		{"rec-noise", "Noise Control Bylaw", "bylaw", "published", "Quiet hours run from ten at night. Construction noise is restricted.", []string{"noise", "nuisance"}},
		{"rec-noise-body", "Construction Standards", "bylaw", "published", "Noise from noise-making equipment; noise noise noise. Quiet hours apply.", []string{"construction"}},
		{"rec-parking", "Parking Policy", "policy", "published", "Parking is limited to two hours downtown. Winter parking bans apply.", []string{"parking", "winter"}},
		{"rec-budget", "2025 Capital Budget Resolution", "resolution", "approved", "The council adopts the capital budget for fiscal-year 2025.", []string{"budget", "finance", "2025"}},
		{"rec-cafe", "Café Patio Permits", "policy", "draft", "Sidewalk cafés may open patios from May to October. L'hôtel de ville issues permits.", []string{"patios"}},
		{"rec-dogs", "Dogs in Parks", "bylaw", "published", "Dogs must be leashed. Off-leash areas are marked. Quiet hours do not apply to dogs.", []string{"dogs", "parks"}},
		{"rec-minutes", "Council Meeting Minutes January", "session", "published", "Council discussed the budget, parking and noise complaints.", []string{"council", "minutes"}},
		{"rec-trees", "Tree Protection", "bylaw", "proposed", "Trees over 30 cm in diameter need a permit to be cut down.", []string{"trees", "environment"}},
		{"rec-snow", "Snow Removal", "policy", "published", "Sidewalks are cleared within 24 hours after snowfall. Winter operations.", []string{"winter", "snow"}},
		{"rec-hotel", "Hotel Tax Ordinance", "ordinance", "published", "A hotel levy funds tourism. Hôtel operators remit monthly.", []string{"tax", "tourism"}},
	}
	// Filler records: vocabulary shared across many records.
	words := []string{"municipal", "council", "permit", "zoning", "district", "resident", "public", "hearing", "notice", "fee"}
	rng := rand.New(rand.NewPCG(7, 9))
	types := []string{"bylaw", "policy", "resolution", "ordinance"}
	statuses := []string{"published", "draft", "approved"}
	for i := range 40 {
		var body []string
		for range 30 {
			body = append(body, words[rng.IntN(len(words))])
		}
		docs = append(docs, corpusDoc{
			id: fmt.Sprintf("rec-fill-%02d", i), title: fmt.Sprintf("%s %s %d", strings.Title(words[i%10]), strings.Title(words[(i*3+1)%10]), i),
			typ: types[i%4], status: statuses[i%3], body: strings.Join(body, " ") + ".", tags: []string{words[(i*7)%10]},
		})
	}
	return docs
}

func (d corpusDoc) file(created string) string {
	var tags strings.Builder
	for _, t := range d.tags {
		fmt.Fprintf(&tags, "  - %q\n", t)
	}
	return fmt.Sprintf("---\nid: %s\ntitle: %q\ntype: %s\nstatus: %s\n\nauthor: clerk\n\ncreated: %s\nupdated: %s\n\ntags:\n%s\n---\n\n%s\n",
		d.id, d.title, d.typ, d.status, created, created, tags.String(), d.body)
}

// loadCorpus writes the corpus as record files and indexes them.
func loadCorpus(t *testing.T, f *fixture) []corpusDoc {
	t.Helper()
	docs := searchCorpus()
	for i, d := range docs {
		created := fmt.Sprintf("2025-%02d-%02dT10:00:00.000Z", 1+i%12, 1+i%28)
		rel := fmt.Sprintf("records/%s/2025/%s.md", d.typ, d.id)
		p := f.c.abs(rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(d.file(created)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := f.c.Records().Reindex(context.Background(), f.admin)
	if err != nil || rep.Indexed != len(docs) || len(rep.Invalid) != 0 {
		t.Fatalf("reindex: %+v %v", rep, err)
	}
	return docs
}

// oracle evaluates a query over the corpus by brute force with the
// documented semantics: every group must match, a group matches when one of
// its terms does, a term when its tokens appear consecutively within the
// title, the tags or the body (the last token as a prefix for bare words).
func oracle(docs []corpusDoc, q string, types, statuses []string) []string {
	pq := parseQuery(q)
	var out []string
	for _, d := range docs {
		if len(types) > 0 && !slices.Contains(types, d.typ) || len(statuses) > 0 && !slices.Contains(statuses, d.status) {
			continue
		}
		fields := [][]string{tokens(d.title), tokens(strings.Join(d.tags, ",")), tokens(d.body)}
		ok := len(pq) > 0
		for _, g := range pq {
			gm := false
			for _, term := range g {
				for _, fl := range fields {
					if phraseIn(fl, term) {
						gm = true
					}
				}
			}
			ok = ok && gm
		}
		if ok {
			out = append(out, d.id)
		}
	}
	sort.Strings(out)
	return out
}

func phraseIn(toks []string, term queryTerm) bool {
	for i := 0; i+len(term.toks) <= len(toks); i++ {
		ok := true
		for k, w := range term.toks {
			if term.prefix && k == len(term.toks)-1 {
				ok = ok && strings.HasPrefix(toks[i+k], w)
			} else {
				ok = ok && toks[i+k] == w
			}
		}
		if ok {
			return true
		}
	}
	return false
}

var corpusQueries = []struct {
	q               string
	types, statuses []string
}{
	{q: "noise"}, {q: "nois"}, {q: "quiet hours"}, {q: `"quiet hours"`}, {q: `"hours quiet"`}, {q: "parking OR snow"},
	{q: "winter parking"}, {q: "winter OR dogs noise"}, {q: "cafe"}, {q: "CAFÉS"}, {q: "hotel"}, {q: "hôtel"},
	{q: "fiscal-year"}, {q: "2025"}, {q: "budget council"}, {q: `"capital budget"`}, {q: "council", types: []string{"session"}},
	{q: "permit", types: []string{"bylaw", "policy"}}, {q: "municipal", statuses: []string{"draft"}},
	{q: "zoning district", types: []string{"ordinance"}, statuses: []string{"published", "approved"}}, {q: "zzzzz"}, {q: "l'hôtel"},
	{q: "off-leash"}, {q: "permit OR fee OR notice"}, {q: `"noise nuisance"`}, {q: `"bylaw construction"`},
}

func TestSearchSameResultsOnEveryDatabase(t *testing.T) {
	type outcome struct{ byQuery, byTitle [][]string }
	results := map[string]outcome{}
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		docs := loadCorpus(t, f)
		var o outcome
		for _, cq := range corpusQueries {
			want := oracle(docs, cq.q, cq.types, cq.statuses)
			res, err := f.c.Search().Query(ctx, nil, SearchQuery{Query: cq.q, Types: cq.types, Statuses: cq.statuses, Limit: 1000})
			if err != nil {
				t.Fatalf("%q: %v", cq.q, err)
			}
			var got []string
			for _, h := range res.Hits {
				got = append(got, h.Record.ID)
			}
			sort.Strings(got)
			if !slices.Equal(got, want) || res.Total != len(want) {
				t.Errorf("%q %v %v: got %v (total %d), want %v", cq.q, cq.types, cq.statuses, got, res.Total, want)
			}
			// Deterministic orders are the same everywhere.
			res, _ = f.c.Search().Query(ctx, nil, SearchQuery{Query: cq.q, Types: cq.types, Statuses: cq.statuses, Sort: SortTitleAsc, Limit: 1000})
			var titles []string
			for _, h := range res.Hits {
				titles = append(titles, h.Record.ID)
			}
			o.byQuery = append(o.byQuery, got)
			o.byTitle = append(o.byTitle, titles)
		}
		results[b.Name] = o
	})
	if pg, ok := results["postgres"]; ok {
		lite := results["sqlite"]
		for i := range corpusQueries {
			if !slices.Equal(pg.byQuery[i], lite.byQuery[i]) || !slices.Equal(pg.byTitle[i], lite.byTitle[i]) {
				t.Errorf("%q: postgres %v / %v, sqlite %v / %v", corpusQueries[i].q, pg.byQuery[i], pg.byTitle[i], lite.byQuery[i], lite.byTitle[i])
			}
		}
	}
}

func TestSearchRankingPagingFacets(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		loadCorpus(t, f)
		s := f.c.Search()
		// "noise" is in one title, and six times in another record's body:
		// the title match ranks first (upstream's inverted bm25 sort did not).
		res, err := s.Query(ctx, nil, SearchQuery{Query: "noise"})
		if err != nil || len(res.Hits) < 3 {
			t.Fatalf("noise: %+v %v", res, err)
		}
		if res.Hits[0].Record.ID != "rec-noise" || !res.Hits[0].TitleMatch || res.Hits[1].TitleMatch {
			t.Fatalf("ranking: %s %v, %s %v", res.Hits[0].Record.ID, res.Hits[0].TitleMatch, res.Hits[1].Record.ID, res.Hits[1].TitleMatch)
		}
		if res.Hits[1].Record.ID != "rec-noise-body" {
			t.Fatalf("body-heavy match should come next, got %s", res.Hits[1].Record.ID)
		}
		if res.Hits[0].Title != "<mark>Noise</mark> Control Bylaw" || !strings.Contains(res.Hits[1].Snippet, "<mark>Noise</mark>") {
			t.Fatalf("highlights: %q %q", res.Hits[0].Title, res.Hits[1].Snippet)
		}
		// Relevance pages, one record at a time, walk the same order as one
		// big page (across the title-match and body-match tiers).
		full, _ := s.Query(ctx, nil, SearchQuery{Query: "noise OR quiet OR parking", Limit: 1000})
		for off, h := range full.Hits {
			p, err := s.Query(ctx, nil, SearchQuery{Query: "noise OR quiet OR parking", Limit: 1, Offset: off})
			if err != nil || len(p.Hits) != 1 || p.Hits[0].Record.ID != h.Record.ID || p.Total != full.Total {
				t.Fatalf("offset %d: %+v %v (want %s)", off, p, err, h.Record.ID)
			}
		}
		for i := 1; i < len(full.Hits); i++ {
			if full.Hits[i].TitleMatch && !full.Hits[i-1].TitleMatch {
				t.Fatalf("a title match ranks below a body-only match at %d", i)
			}
		}
		// Paging keeps the total; facets count everything matching.
		all, _ := s.Query(ctx, nil, SearchQuery{Query: "council OR permit OR fee", Limit: 1000})
		page, _ := s.Query(ctx, nil, SearchQuery{Query: "council OR permit OR fee", Limit: 5, Offset: 5, Sort: SortTitleAsc, Facets: true})
		if page.Total != all.Total || len(page.Hits) != 5 {
			t.Fatalf("page: %d hits of %d (all %d)", len(page.Hits), page.Total, all.Total)
		}
		sumT, sumS := 0, 0
		for _, fc := range page.Facets.Types {
			sumT += fc.Count
		}
		for _, fc := range page.Facets.Statuses {
			sumS += fc.Count
		}
		if sumT != all.Total || sumS != all.Total {
			t.Fatalf("facets: %+v", page.Facets)
		}
		byTitle, _ := s.Query(ctx, nil, SearchQuery{Query: "council OR permit OR fee", Limit: 1000, Sort: SortTitleAsc})
		if byTitle.Hits[5].Record.ID != page.Hits[0].Record.ID {
			t.Fatal("offset does not follow the sort")
		}
		if res, _ := s.Query(ctx, nil, SearchQuery{Query: "   "}); res.Total != 0 || res.Hits == nil {
			t.Fatalf("empty query: %+v", res)
		}
		if _, err := s.Query(ctx, nil, SearchQuery{Query: "x", Sort: "bogus"}); Code(err) != CodeValidation {
			t.Fatalf("bad sort: %v", err)
		}
		// Published changes are searchable at once.
		if _, err := f.c.Records().Update(ctx, f.admin, "rec-trees", Changes{Title: ptr("Urban Canopy Protection")}); err != nil {
			t.Fatal(err)
		}
		if res, _ := s.Query(ctx, nil, SearchQuery{Query: "canopy"}); res.Total != 1 {
			t.Fatalf("update not searchable: %d", res.Total)
		}
		// internal_only hides a record from search, and only that.
		if _, err := f.c.Records().Update(ctx, f.admin, "rec-trees", Changes{WorkflowState: ptr("internal_only")}); err != nil {
			t.Fatal(err)
		}
		if res, _ := s.Query(ctx, nil, SearchQuery{Query: "canopy"}); res.Total != 0 {
			t.Fatalf("internal_only record found: %d", res.Total)
		}
		if _, err := f.c.Records().Update(ctx, f.admin, "rec-trees", Changes{WorkflowState: ptr("")}); err != nil {
			t.Fatal(err)
		}
		if res, _ := s.Query(ctx, nil, SearchQuery{Query: "canopy", Statuses: []string{"proposed"}, Facets: true}); res.Total != 1 || res.Facets.Statuses[0].Value != "proposed" {
			t.Fatalf("status filter from the search entry: %+v", res)
		}
	})
}

func TestSuggestions(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		loadCorpus(t, f)
		s := f.c.Search()
		for _, tc := range []struct {
			q          string
			word, titl string
		}{
			{"bud", "budget", "2025 Capital Budget Resolution"},
			{"bugdet", "budget", "2025 Capital Budget Resolution"}, // swapped letters
			{"parkng", "parking", "Parking Policy"},                // a letter missing
			{"noise con", "construction", "Noise Control Bylaw"},
			{"CAFÉ", "cafe", "Café Patio Permits"},
		} {
			got, err := s.Suggest(ctx, nil, tc.q, 10)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(got.Words, tc.word) || len(got.Titles) == 0 || got.Titles[0] != tc.titl {
				t.Errorf("%q: words %v titles %v", tc.q, got.Words, got.Titles)
			}
			if len(got.Suggestions) > 10 || len(got.Words) > 4 || got.Suggestions[0] != got.Words[0] {
				t.Errorf("%q: limits: %+v", tc.q, got)
			}
		}
		if got, _ := s.Suggest(ctx, nil, "b", 10); len(got.Suggestions) != 0 {
			t.Errorf("one letter: %+v", got)
		}
		// Archived records leave suggestions too, once the background
		// rebuild the change triggers has run.
		if _, err := f.c.Records().Archive(ctx, f.admin, "rec-budget"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, _ := s.Suggest(ctx, nil, "capital", 10)
			if !slices.Contains(got.Titles, "2025 Capital Budget Resolution") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("archived title still suggested: %v", got.Titles)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// FuzzSearchQuery feeds arbitrary user queries through the parser and into
// SQLite FTS5: no panic, and never an FTS5 syntax error.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{"noise", `"quiet hours" OR parking`, `fiscal-year`, `"`, `OR`, `a OR OR b`, `*`, `NEAR(a b)`, `col:x`, "\x00", `"""`, `^a`, `a AND b NOT c`, `{title}: x`} {
		f.Add(s)
	}
	db, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(f.TempDir(), "fuzz.db")})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Bun().ExecContext(context.Background(), "INSERT INTO search_index (record_id, record_type, title, content, tags) VALUES ('r', 'bylaw', 'Noise', 'quiet hours', 'x')"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q string) {
		pq := parseQuery(q)
		if len(pq) == 0 {
			return
		}
		for _, m := range []string{pq.fts5(), pq.fts5Title()} {
			rows, err := db.Bun().QueryContext(context.Background(), "SELECT rowid FROM search_index_fts5 WHERE search_index_fts5 MATCH ?", m)
			if err != nil {
				t.Fatalf("%q -> %q: %v", q, m, err)
			}
			rows.Close()
		}
		_ = pq.tsquery()
		snippet(q, pq.matcher())
	})
}

// setCountCache turns the per-generation count cache on or off.
func setCountCache(c *Core, on bool) {
	c.rec.suggest.counts.mu.Lock()
	c.rec.suggest.counts.off = !on
	c.rec.suggest.counts.mu.Unlock()
}

// TestSearchCachedEqualsUncached runs every corpus query, page by page in
// every order, with the count and body-tier caches and without them: the
// same hits in the same order and the same totals.
func TestSearchCachedEqualsUncached(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		loadCorpus(t, f)
		s := f.c.Search()
		type page struct {
			ids   []string
			total int
		}
		run := func(sq SearchQuery) page {
			res, err := s.Query(ctx, nil, sq)
			if err != nil {
				t.Fatalf("%+v: %v", sq, err)
			}
			p := page{total: res.Total}
			for _, h := range res.Hits {
				p.ids = append(p.ids, h.Record.ID)
			}
			return p
		}
		for _, cq := range corpusQueries {
			for _, sort := range []string{SortRelevance, SortTitleAsc} {
				for _, pg := range []struct{ limit, offset int }{{1000, 0}, {3, 0}, {3, 3}, {2, 7}, {5, 20}} {
					sq := SearchQuery{Query: cq.q, Types: cq.types, Statuses: cq.statuses, Sort: sort, Limit: pg.limit, Offset: pg.offset}
					setCountCache(f.c, false)
					want := run(sq)
					setCountCache(f.c, true)
					first, again := run(sq), run(sq)
					if !slices.Equal(first.ids, want.ids) || first.total != want.total || !slices.Equal(again.ids, want.ids) || again.total != want.total {
						t.Errorf("%+v: uncached %v, cached %v then %v", sq, want, first, again)
					}
				}
			}
		}
	})
}

// TestSearchAndListFollowIndexChanges checks that cached totals and
// rankings never outlive the index state they were computed from, whether
// the change comes from this Core or from another program writing the
// database (here a second connection writing index rows directly).
func TestSearchAndListFollowIndexChanges(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		loadCorpus(t, f)
		s, r := f.c.Search(), f.c.Records()
		total := func(q string) (int, []string) {
			res, err := s.Query(ctx, nil, SearchQuery{Query: q, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, h := range res.Hits {
				ids = append(ids, h.Record.ID)
			}
			return res.Total, ids
		}
		listed := func() int {
			l, err := r.List(ctx, nil, ListOptions{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			return l.Total
		}
		n0, _ := total("noise")
		if n, _ := total("noise"); n != n0 {
			t.Fatalf("repeat: %d then %d", n0, n)
		}
		l0 := listed()

		// A change through this Core.
		if _, err := r.Update(ctx, f.admin, "rec-trees", Changes{Title: ptr("Noise Canopy")}); err != nil {
			t.Fatal(err)
		}
		n1, ids := total("noise")
		if n1 != n0+1 || !slices.Contains(ids, "rec-trees") {
			t.Fatalf("after update: %d (was %d) %v", n1, n0, ids)
		}
		if _, err := r.Archive(ctx, f.admin, "rec-trees"); err != nil {
			t.Fatal(err)
		}
		if n, _ := total("noise"); n != n0 {
			t.Fatalf("after archive: %d, want %d", n, n0)
		}

		// A change by another program: index rows written on a connection
		// of its own.
		other, err := store.Open(ctx, store.Options{URL: f.cfg.DatabaseURL, SQLitePath: f.c.paths.SQLitePath})
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		now := time.Now().UTC()
		row := &store.RecordRow{ID: "rec-foreign", Title: "Noise Walls", Type: "bylaw", Status: "published",
			Content: "Sound barriers.", Path: "records/bylaw/2025/rec-foreign.md", CreatedAt: now, UpdatedAt: now}
		if err := other.Q().UpsertRecord(ctx, row, false); err != nil {
			t.Fatal(err)
		}
		if n := listed(); n != l0+1 { // archived records stay listed
			t.Fatalf("list total after a foreign insert: %d, want %d", n, l0+1)
		}
		doc := &store.SearchDoc{RecordID: row.ID, RecordType: row.Type, Title: tokenText(row.Title), Content: tokenText(row.Content),
			UpdatedAt: now, Status: "published"}
		if b.Name == "postgres" {
			doc.TSV = tsvectorText(row.Title, "", row.Content)
		}
		if err := other.Q().UpsertSearchDoc(ctx, doc); err != nil {
			t.Fatal(err)
		}
		n2, ids := total("noise")
		if n2 != n0+1 || len(ids) == 0 || ids[0] != "rec-foreign" {
			// Two title tokens: the shortest title holding "noise".
			t.Fatalf("after a foreign write: %d (want %d) %v", n2, n0+1, ids)
		}
		if err := other.Q().DeleteRecord(ctx, row.ID); err != nil {
			t.Fatal(err)
		}
		if n, ids := total("noise"); n != n0 || slices.Contains(ids, "rec-foreign") {
			t.Fatalf("after a foreign delete: %d %v", n, ids)
		}
		if n := listed(); n != l0 {
			t.Fatalf("list total after the foreign delete: %d, want %d", n, l0)
		}
	})
}

// eachTokenRef is the plain definition eachToken's fast path must agree
// with: runs of token runes, each rune folded.
func eachTokenRef(s string, fn func(tok string, start, end int)) {
	var b strings.Builder
	start := -1
	for i, r := range s {
		if isTokenRune(r) {
			if start < 0 {
				start = i
				b.Reset()
			}
			b.WriteRune(foldRune(r))
			continue
		}
		if start >= 0 {
			fn(b.String(), start, i)
			start = -1
		}
	}
	if start >= 0 {
		fn(b.String(), start, len(s))
	}
}

func TestEachTokenMatchesDefinition(t *testing.T) {
	pieces := []string{"Noise", "bylaw", "ÉCOLE", "l'hôtel", "x2", "3.5", "A-B", "東京", "\xff", "\xc3", "é", "İ", "ǅ", " ", "\t", "—", "🙂", "Ω", "ß", "Z9", "_"}
	rng := rand.New(rand.NewPCG(5, 6))
	type tok struct {
		t    string
		s, e int
	}
	collect := func(f func(string, func(string, int, int)), s string) []tok {
		var out []tok
		f(s, func(t string, a, b int) { out = append(out, tok{t, a, b}) })
		return out
	}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(10) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := collect(eachToken, s), collect(eachTokenRef, s); !slices.Equal(got, want) {
			t.Fatalf("%q: %v, want %v", s, got, want)
		}
	}
}
