package civicpress

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

func benchBackends(b *testing.B, fn func(b *testing.B, be storetest.Backend)) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) { fn(b, be) })
	}
}

// BenchmarkValidateSession measures a bearer-token check end to end:
// signature, hash, and the session+user lookup in the database. Besides the
// mean (ns/op) it reports the median and 99th percentile of single calls.
func BenchmarkValidateSession(b *testing.B) {
	benchBackends(b, func(b *testing.B, be storetest.Backend) {
		ctx := context.Background()
		c := openCfg(b, testCfg(b, be))
		// A populated table: many users, five sessions each.
		for i := range 200 {
			u, err := c.Users().Create(ctx, System, NewUser{Username: fmt.Sprintf("user%d", i), Role: "clerk"})
			if err != nil {
				b.Fatal(err)
			}
			for range 5 {
				if _, err := c.Auth().IssueSession(ctx, u.ID); err != nil {
					b.Fatal(err)
				}
			}
		}
		u := mkUser(b, c, "bench", "clerk")
		s, err := c.Auth().IssueSession(ctx, u.ID)
		if err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, 1<<16)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			t0 := time.Now()
			if _, err := c.Auth().ValidateSession(ctx, s.Token); err != nil {
				b.Fatal(err)
			}
			if len(lat) < cap(lat) {
				lat = append(lat, time.Since(t0))
			}
		}
		b.StopTimer()
		slices.Sort(lat)
		if n := len(lat); n > 0 {
			b.ReportMetric(float64(lat[n/2].Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(lat[n*99/100].Nanoseconds())/1e3, "p99-µs")
		}
	})
}

// BenchmarkValidateSessionParallel is the same check from many goroutines.
func BenchmarkValidateSessionParallel(b *testing.B) {
	ctx := context.Background()
	c := openCfg(b, Config{ProjectDir: b.TempDir(), Logger: quiet})
	u := mkUser(b, c, "bench", "clerk")
	s, _ := c.Auth().IssueSession(ctx, u.ID)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Auth().ValidateSession(ctx, s.Token); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkOpenExisting measures Open+Close of an existing SQLite project
// (config files, secret, database and migrations check, Git repository,
// event tailer).
func BenchmarkOpenExisting(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	c, err := Open(ctx, Config{ProjectDir: dir, Logger: quiet, SampleRecords: true})
	if err != nil {
		b.Fatal(err)
	}
	c.Close()
	b.ReportAllocs()
	for b.Loop() {
		c, err := Open(ctx, Config{ProjectDir: dir, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		if c.SetupReport().Created {
			b.Fatal("re-created")
		}
		c.Close()
	}
}

// BenchmarkInitProject measures creating a new project: files, secret,
// schema, sample records and the initial commit.
func BenchmarkInitProject(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		c, err := Open(ctx, Config{ProjectDir: dir, Logger: quiet, SampleRecords: true})
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkAuthenticateAPIKey measures an API-key bearer check.
func BenchmarkAuthenticateAPIKey(b *testing.B) {
	ctx := context.Background()
	c := openCfg(b, Config{ProjectDir: b.TempDir(), Logger: quiet})
	u := mkUser(b, c, "bench", "clerk")
	key, _, err := c.Auth().CreateAPIKey(ctx, u, u.ID, "bench", time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Auth().Authenticate(ctx, key); err != nil {
			b.Fatal(err)
		}
	}
}
