package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPublish measures create-draft + publish over HTTP against
// api-only processes on one data directory: one process on SQLite, and two
// on PostgreSQL (commits serialized by the advisory lock), with concurrent
// clients split evenly across the processes. One op is one record created
// and published; records/s is the aggregate rate, p50/p99 the latency of
// the two requests together as a client sees it.
//
//	CIVIC_TEST_POSTGRES_URL=... go test -run '^$' -bench Publish -benchtime 400x ./examples/internal/e2e/
func BenchmarkPublish(b *testing.B) {
	for _, tc := range []struct {
		backend backend
		procs   int
		clients int
	}{
		{sqlite, 1, 8},
		{postgres, 1, 8},
		{postgres, 2, 8},
		{postgres, 2, 16},
	} {
		b.Run(fmt.Sprintf("%s-%dproc-%dclients", tc.backend.name, tc.procs, tc.clients), func(b *testing.B) {
			benchPublish(b, tc.backend, tc.procs, tc.clients)
		})
	}
}

func benchPublish(b *testing.B, be backend, procs, clients int) {
	needBinaries(b)
	dbURL := be.url(b)
	dir := filepath.Join(b.TempDir(), "project")
	var apis []*apiClient
	var tokens []string
	for i := range procs {
		_, api := startAPI(b, dir, dbURL)
		apis = append(apis, api)
		if i == 0 {
			admin := api.login("admin", adminPassword)
			tokens = append(tokens, api.createUser(admin, "clerk1", "clerk", "Clerk!2345-e2e"))
		} else {
			tokens = append(tokens, api.login("clerk1", "Clerk!2345-e2e"))
		}
	}
	// Warm both processes (connections, caches) outside the measurement.
	for i, api := range apis {
		if _, err := publishOne(api, tokens[i], fmt.Sprintf("Warm-up %d", i)); err != nil {
			b.Fatal(err)
		}
	}

	var next atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	var firstErr error
	var wg sync.WaitGroup
	b.ResetTimer()
	t0 := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := c % procs
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				start := time.Now()
				_, err := publishOne(apis[p], tokens[p], fmt.Sprintf("Bench Bylaw %d", n))
				d := time.Since(start)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
