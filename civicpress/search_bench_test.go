package civicpress

import (
	"context"
	"os"
	"testing"

	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

// BenchmarkSearchMix100k measures search over 100,000 records (index rows
// generated directly, on the first backend: SQLite unless
// CIVIC_BENCH_POSTGRES is set with CIVIC_TEST_POSTGRES_URL) for each query
// class, cold (counts recomputed on every call, as after any index change)
// and warm (the counts of the current index generation reused, as for a
// second page or a repeated query). The pages themselves are always read
// from the database.
func BenchmarkSearchMix100k(b *testing.B) {
	ctx := context.Background()
	backend := storetest.Backends()[0]
	if bs := storetest.Backends(); len(bs) > 1 && benchPostgres() {
		backend = bs[1]
	}
	f := newFixture(b, backend, false)
	g := newBenchGen(99)
	const n = 100000
	b.Logf("%s: indexed %d records in %v", backend.Name, n, indexGenerated(b, f, g, n))
	if backend.Name == "postgres" {
		if _, err := f.c.db.Bun().ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	w := g.words
	type class struct {
		name, q string
		offset  int
	}
	classes := []class{
		{"most-common-word", w[0], 0},   // in ~all records
		{"common-word", w[5], 0},        // in ~96%
		{"common-word-page5", w[5], 80}, // fifth page of 20
		{"word-rank-100", w[100], 0},    // ~17%
		{"word-rank-500", w[500], 0},    // ~3%
		{"word-rank-2000", w[2000], 0},  // <1%
		{"prefix", w[300][:4], 0},       // a word start
		{"two-common-words", w[0] + " " + w[5], 0},
		{"two-words", w[40] + " " + w[700], 0}, // few title matches: body tier
		{"phrase", `"` + w[2] + " " + w[3] + `"`, 0},
		{"or", w[1500] + " OR " + w[1600], 0},
		{"filtered-type-status", w[5], 0},
	}
	for _, mode := range []string{"cold", "warm"} {
		f.c.rec.suggest.counts.mu.Lock()
		f.c.rec.suggest.counts.off = mode == "cold"
		f.c.rec.suggest.counts.mu.Unlock()
		var all latencies
		for _, cl := range classes {
			sq := SearchQuery{Query: cl.q, Limit: 20, Offset: cl.offset}
			if cl.name == "filtered-type-status" {
				sq.Types, sq.Statuses = []string{"bylaw", "policy"}, []string{"published"}
			}
			b.Run(mode+"/"+cl.name, func(b *testing.B) {
				var lat latencies
				total := 0
				for b.Loop() {
					lat.time(func() {
						res, err := f.c.Search().Query(ctx, nil, sq)
						if err != nil || len(res.Hits) == 0 {
							b.Fatal(res, err)
						}
						total = res.Total
					})
				}
				b.ReportMetric(float64(total), "matches")
				lat.report(b)
				all = append(all, lat...)
			})
		}
		b.Run(mode+"/mix", func(b *testing.B) {
			for b.Loop() {
			}
			all.report(b)
		})
	}
	// A deep relevance page of a broad query reaches the body tier, which
	// ranks every body-only match (bm25 / ts_rank): its cost grows with
	// the matches.
	b.Run("warm/common-word-body-tier", func(b *testing.B) {
		var lat latencies
		for b.Loop() {
			lat.time(func() {
				if _, err := f.c.Search().Query(ctx, nil, SearchQuery{Query: w[5], Limit: 20, Offset: 10000}); err != nil {
					b.Fatal(err)
				}
			})
		}
		lat.report(b)
	})
}

// BenchmarkListPages10k measures list pages of 50 at several depths of
// 10,000 records, with and without filters, cold (the total recounted)
// and warm.
func BenchmarkListPages10k(b *testing.B) {
	ctx := context.Background()
	f, _ := benchProject(b, 10000)
	r := f.c.Records()
	type page struct {
		name string
		o    ListOptions
	}
	pages := []page{
		{"created-first", ListOptions{}},
		{"created-middle", ListOptions{Offset: 5000}},
		{"created-last", ListOptions{Offset: 9950}},
		{"updated-last", ListOptions{Sort: SortUpdatedDesc, Offset: 9950}},
		{"title-asc-last", ListOptions{Sort: SortTitleAsc, Offset: 9950}},
		{"title-desc-last", ListOptions{Sort: SortTitleDesc, Offset: 9950}},
		{"type-status-last", ListOptions{Types: []string{"bylaw"}, Statuses: []string{"published"}, Offset: 600}},
		{"two-types-last", ListOptions{Types: []string{"bylaw", "policy"}, Offset: 3950}},
	}
	for _, mode := range []string{"cold", "warm"} {
		f.c.rec.suggest.counts.mu.Lock()
		f.c.rec.suggest.counts.off = mode == "cold"
		f.c.rec.suggest.counts.mu.Unlock()
		var all latencies
		for _, p := range pages {
			o := p.o
			o.Limit = 50
			b.Run(mode+"/"+p.name, func(b *testing.B) {
				var lat latencies
				for b.Loop() {
					lat.time(func() {
						l, err := r.List(ctx, f.clerk, o)
						if err != nil || len(l.Records) == 0 {
							b.Fatal(l, err)
						}
					})
				}
				lat.report(b)
				all = append(all, lat...)
			})
		}
		b.Run(mode+"/all", func(b *testing.B) {
			for b.Loop() {
			}
			all.report(b)
		})
	}
}

// benchPostgres reports whether benchmarks should run on PostgreSQL.
func benchPostgres() bool { return os.Getenv("CIVIC_BENCH_POSTGRES") != "" }
