package civicpress

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

// benchWords is a vocabulary for generated records: civic words first (the
// most frequent under the Zipf law used), then made-up words.
func benchWords() []string {
	words := strings.Fields(`council bylaw municipal permit zoning district resident public hearing notice fee parking
		noise water budget tax road snow tree park license business waste transit housing fire police library
		heritage sidewalk parcel variance amendment schedule section penalty inspection approval committee`)
	syl := []string{"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ber", "dan", "fel", "gor", "hin", "jas", "mor", "pel", "qua", "ris", "tem", "zul"}
	r := rand.New(rand.NewSource(1))
	for len(words) < 5000 {
		n := 2 + r.Intn(3)
		var b strings.Builder
		for range n {
			b.WriteString(syl[r.Intn(len(syl))])
		}
		words = append(words, b.String())
	}
	return words
}

type benchGen struct {
	words []string
	zipf  *rand.Zipf
	r     *rand.Rand
}

func newBenchGen(seed int64) *benchGen {
	r := rand.New(rand.NewSource(seed))
	w := benchWords()
	return &benchGen{words: w, r: r, zipf: rand.NewZipf(r, 1.07, 2, uint64(len(w)-1))}
}

func (g *benchGen) word() string { return g.words[g.zipf.Uint64()] }

func (g *benchGen) text(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.word()
	}
	return strings.Join(parts, " ")
}

var benchTypes = []string{"bylaw", "policy", "resolution", "ordinance", "session"}

// record makes the i-th generated record: a title of 3–6 words, tags, and a
// body of about 150 words in paragraphs.
func (g *benchGen) record(i int) *recordfile.Record {
	typ := benchTypes[i%len(benchTypes)]
	created := time.Date(2020+i%6, time.Month(1+i%12), 1+i%28, 10, 0, 0, 0, time.UTC)
	var body strings.Builder
	fmt.Fprintf(&body, "# Section %d\n\n", i)
	for p := range 3 {
		if p > 0 {
			body.WriteString("\n\n")
		}
		body.WriteString(g.text(50))
		body.WriteString(".")
	}
	title := g.text(3 + g.r.Intn(4))
	return &recordfile.Record{
		ID: fmt.Sprintf("bench-%06d", i), Title: strings.ToUpper(title[:1]) + title[1:], Type: typ,
		Status: []string{"published", "draft", "approved"}[i%3], Author: "clerk",
		Created: recordfile.FormatTime(created), Updated: recordfile.FormatTime(created.Add(time.Hour)),
		Metadata: NewMap("tags", []any{g.word(), g.word()}), Body: body.String(),
	}
}

// benchProject creates a project holding n generated record files (one
// initial commit) and opens it, timing the index build at Open.
func benchProject(b *testing.B, n int) (*fixture, time.Duration) {
	b.Helper()
	cfg := testCfg(b, storetest.Backends()[0])
	g := newBenchGen(42)
	for i := range n {
		rf := g.record(i)
		data, err := rf.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(cfg.ProjectDir, "data", "records", rf.Type, rf.Created[:4], rf.ID+".md")
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	f := &fixture{cfg: cfg, c: openCfg(b, cfg)}
	rep := f.c.Records().LastReindex()
	if rep == nil || rep.Indexed != n {
		b.Fatalf("index at open: %+v", rep)
	}
	var err error
	f.clerk, err = f.c.Users().Create(context.Background(), System, NewUser{Username: "clerk", Password: testPassword, Role: "clerk", Email: "clerk@example.org", Name: "City Clerk"})
	if err != nil {
		b.Fatal(err)
	}
	return f, rep.Duration
}

// indexGenerated writes index rows for n generated records straight into
// f's database (no files: search and list benchmarks need only the index)
// and returns how long that took.
func indexGenerated(b *testing.B, f *fixture, g *benchGen, n int) time.Duration {
	b.Helper()
	start := time.Now()
	batch := make([]scanned, 0, 1000)
	for i := range n {
		rf := g.record(i)
		batch = append(batch, scanned{rel: fmt.Sprintf("records/%s/%s/%s.md", rf.Type, rf.Created[:4], rf.ID), rf: rf})
		if len(batch) == cap(batch) || i == n-1 {
			if err := f.c.writeIndex(context.Background(), batch, false); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return time.Since(start)
}

// latencies records per-operation times and reports their percentiles.
type latencies []time.Duration

func (l *latencies) time(fn func()) {
	t := time.Now()
	fn()
	*l = append(*l, time.Since(t))
}

func (l latencies) report(b *testing.B) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	pct := func(p float64) float64 { return float64(s[int(p*float64(len(s)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// BenchmarkRecords10k measures, on SQLite with 10,000 records: the index
// build at Open and a full Reindex, get by id, a list page of 50, and
// create+publish throughput.
func BenchmarkRecords10k(b *testing.B) {
	ctx := context.Background()
	f, openIndex := benchProject(b, 10000)
	b.Logf("index at open (parse and index 10,000 files): %v", openIndex)
	r := f.c.Records()
	b.Run("reindex", func(b *testing.B) {
		for b.Loop() {
			rep, err := r.Reindex(ctx, System)
			if err != nil || rep.Indexed != 10000 {
				b.Fatal(rep, err)
			}
		}
		b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	})
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%06d", i*10)
	}
	b.Run("get", func(b *testing.B) {
		var lat latencies
		i := 0
		for b.Loop() {
			lat.time(func() {
				if _, err := r.Get(ctx, nil, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
			})
			i++
		}
		lat.report(b)
	})
	b.Run("list50", func(b *testing.B) {
		var lat latencies
		sorts := []ListOptions{{}, {Sort: SortUpdatedDesc}, {Sort: SortTitleAsc, Offset: 500}, {Types: []string{"bylaw"}, Statuses: []string{"published"}}}
		i := 0
		for b.Loop() {
			o := sorts[i%len(sorts)]
			o.Limit = 50
			lat.time(func() {
				l, err := r.List(ctx, nil, o)
				if err != nil || len(l.Records) != 50 {
					b.Fatal(err)
				}
			})
			i++
		}
		lat.report(b)
	})
	b.Run("create+publish", func(b *testing.B) {
		var lat latencies
		g := newBenchGen(7)
		i := 0
		cpu := processCPU()
		for b.Loop() {
			body := g.text(150)
			title := g.text(4)
			lat.time(func() {
				d, err := r.CreateDraft(ctx, f.clerk, Changes{Title: &title, Type: ptr("bylaw"), Body: &body})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.Publish(ctx, f.clerk, d.ID, PublishOptions{Status: "published"}); err != nil {
					b.Fatal(err)
				}
			})
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		lat.report(b)
	})
	// Four clients at once: one record's database and file work overlaps
	// another's Git commit (commits are serialized by the repository).
	b.Run("create+publish-4clients", func(b *testing.B) {
		var mu sync.Mutex
		var lat latencies
		b.SetParallelism(2) // 2 × GOMAXPROCS goroutines
		cpu := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			g := newBenchGen(rand.Int63())
			for pb.Next() {
				body := g.text(150)
				title := g.text(4)
				t0 := time.Now()
				d, err := r.CreateDraft(ctx, f.clerk, Changes{Title: &title, Type: ptr("policy"), Body: &body})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.Publish(ctx, f.clerk, d.ID, PublishOptions{Status: "published"}); err != nil {
					b.Fatal(err)
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				mu.Unlock()
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		lat.report(b)
	})
}

// BenchmarkSearch100k measures search on SQLite over 100,000 indexed records
// (index rows generated directly, without files) for a mix of queries:
// words of several frequencies, a prefix, two words, a phrase and an OR.
func BenchmarkSearch100k(b *testing.B) {
	ctx := context.Background()
	f := newFixture(b, storetest.Backends()[0], false)
	g := newBenchGen(99)
	const n = 100000
	b.Logf("indexed %d records in %v", n, indexGenerated(b, f, g, n))
	w := g.words
	queries := map[string]string{
		"word-rank-100":  w[100],
		"word-rank-500":  w[500],
		"word-rank-2000": w[2000],
		"prefix":         w[300][:4],
		"two-words":      w[40] + " " + w[700],
		"phrase":         `"` + w[2] + " " + w[3] + `"`,
		"or":             w[1500] + " OR " + w[1600],
		"common-word":    w[5],
	}
	names := make([]string, 0, len(queries))
	for k := range queries {
		names = append(names, k)
	}
	slices.Sort(names)
	var all latencies
	for _, name := range names {
		q := queries[name]
		b.Run(name, func(b *testing.B) {
			var lat latencies
			total := 0
			for b.Loop() {
				lat.time(func() {
					res, err := f.c.Search().Query(ctx, nil, SearchQuery{Query: q, Limit: 20})
					if err != nil {
						b.Fatal(err)
					}
					total = res.Total
				})
			}
			b.ReportMetric(float64(total), "matches")
			lat.report(b)
			all = append(all, lat...)
		})
	}
	b.Run("suggest", func(b *testing.B) {
		var lat latencies
		i := 0
		for b.Loop() {
			lat.time(func() {
				if _, err := f.c.Search().Suggest(ctx, nil, w[100+i%50][:4], 10); err != nil {
					b.Fatal(err)
				}
			})
			i++
		}
		lat.report(b)
	})
}
