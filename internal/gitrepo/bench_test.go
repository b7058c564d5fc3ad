package gitrepo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

var recordTypes = []string{"bylaw", "policy", "minutes", "resolution", "ordinance"}

// recordPath lays records out as upstream does, records/<type>/<year>/<id>.md:
// with 5 types and 4 years, 10,000 records make 20 directories of 500.
func recordPath(i int, flat bool) string {
	if flat {
		return fmt.Sprintf("records/bylaw/2025/record-%07d.md", i)
	}
	return fmt.Sprintf("records/%s/%d/record-%07d.md", recordTypes[i%len(recordTypes)], 2022+(i/len(recordTypes))%4, i)
}

func recordBody(i, version int) string {
	return fmt.Sprintf("---\nid: record-%07d\ntitle: Record %d\ntype: bylaw\nstatus: published\nversion: %d\n---\n\n# Record %d\n\nSome body text for record %d, version %d.\n", i, i, version, i, i, version)
}

func seedRepo(b *testing.B, n int, flat bool, opts Options) (*Repo, string) {
	b.Helper()
	dir := b.TempDir()
	r, err := Init(dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	for i := range n {
		writeFile(b, dir, recordPath(i, flat), recordBody(i, 0))
	}
	if _, err := r.Commit(context.Background(), "seed", alice); err != nil {
		b.Fatal(err)
	}
	// Measure the steady state: a young repository also creates the 256
	// object fan-out directories over its first few hundred commits.
	for i := range 256 {
		os.MkdirAll(filepath.Join(dir, ".git", "objects", fmt.Sprintf("%02x", i)), 0o755)
	}
	return r, dir
}

// BenchmarkCommit measures one record create + commit, as publish does, at
// several repository sizes. The file write is outside the timer.
func BenchmarkCommit(b *testing.B) {
	for _, tc := range []struct {
		n      int
		flat   bool
		noSync bool
	}{
		{100, false, true}, {10_000, false, true},
		{100, false, false}, {10_000, false, false},
		{10_000, true, true},
	} {
		name := fmt.Sprintf("records=%d/sync=%v", tc.n, !tc.noSync)
		if tc.flat {
			name += "/one-dir"
		}
		b.Run(name, func(b *testing.B) {
			r, dir := seedRepo(b, tc.n, tc.flat, Options{NoSync: tc.noSync, DefaultBranch: "main"})
			ctx := context.Background()
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cpu.pause()
				p := recordPath(tc.n+i, tc.flat)
				writeFile(b, dir, p, recordBody(tc.n+i, 1))
				cpu.resume()
				b.StartTimer()
				if _, err := r.Commit(ctx, "Create record: x", alice, p); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkCommitUpdate modifies an existing record (no new index entry).
func BenchmarkCommitUpdate(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			r, dir := seedRepo(b, n, false, Options{NoSync: true, DefaultBranch: "main"})
			ctx := context.Background()
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				cpu.pause()
				p := recordPath(i%n, false)
				writeFile(b, dir, p, recordBody(i%n, i+1))
				cpu.resume()
				b.StartTimer()
				if _, err := r.Commit(ctx, "Update record: x", alice, p); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkIndexWrite isolates the part of a commit that is O(records):
// encoding, hashing and renaming .git/index.
func BenchmarkIndexWrite(b *testing.B) {
	for _, tc := range []struct {
		n       int
		version uint32
	}{{100, 2}, {10_000, 2}, {100, 4}, {10_000, 4}} {
		n := tc.n
		b.Run(fmt.Sprintf("entries=%d/v%d", n, tc.version), func(b *testing.B) {
			dir := b.TempDir()
			c := &indexCache{loaded: true, version: tc.version}
			now := uint32(time.Now().Unix())
			for i := range n {
				c.entries = append(c.entries, &idxEntry{name: recordPath(i, false), mode: 0o100644, mtimeS: now, ctimeS: now, size: 200})
			}
			sort.Slice(c.entries, func(i, j int) bool { return entryLess(c.entries[i], c.entries[j]) })
			target := filepath.Join(dir, "index")
			r := &Repo{gitDir: dir} // the lock's journal
			b.ResetTimer()
			cpu := startCPU()
			for i := 0; i < b.N; i++ {
				// One entry changes per commit.
				c.entries[i%n].mtimeN++
				c.entries[i%n].raw = nil
				c.touched(i%n + 1)
				f, err := os.OpenFile(target+".lock", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.write(&gitLock{r: r, target: target, f: f}); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
			b.ReportMetric(float64(len(c.buf)), "index-bytes")
		})
	}
}

// BenchmarkIndexReload is what a commit pays when another process wrote the
// index since this one last did (alternating writers).
func BenchmarkIndexReload(b *testing.B) {
	_, dir := seedRepo(b, 10_000, false, Options{NoSync: true, DefaultBranch: "main"})
	b.ResetTimer()
	defer startCPU().report(b)
	for i := 0; i < b.N; i++ {
		var c indexCache
		if err := c.load(filepath.Join(dir, ".git", "index")); err != nil {
			b.Fatal(err)
		}
	}
}

var histRepo struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// historyRepo builds, once per test binary run, a repository of 10,000
// commits each creating or updating one record; the traced record is
// updated every 2,000 commits.
func historyRepo(b *testing.B) (string, string) {
	histRepo.once.Do(func() {
		dir, err := os.MkdirTemp("", "gitrepo-hist-")
		if err != nil {
			histRepo.err = err
			return
		}
		histRepo.dir = dir
		r, err := Init(dir, Options{NoSync: true, DefaultBranch: "main"})
		if err != nil {
			histRepo.err = err
			return
		}
		defer r.Close()
		traced := recordPath(5000, false) // outside the i%3000 records below
		histRepo.path = traced
		ctx := context.Background()
		for i := range 10_000 {
			p := recordPath(i%3000, false)
			if i%2000 == 0 {
				p = traced
			}
			writeFile(b, dir, p, recordBody(i%3000, i))
			if _, err := r.Commit(ctx, "Update record: "+p, alice, p); err != nil {
				histRepo.err = err
				return
			}
		}
	})
	if histRepo.err != nil {
		b.Fatal(histRepo.err)
	}
	return histRepo.dir, histRepo.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if histRepo.dir != "" {
		os.RemoveAll(histRepo.dir)
	}
	os.Exit(code)
}

// BenchmarkHistory lists one record's history (5 commits among 10,000):
// cold is the first query of a freshly opened Repo (reading the history
// cache file), cold-no-cache-file the same without that file (every commit
// read and diffed), warm a repeated query.
func BenchmarkHistory(b *testing.B) {
	dir, path := historyRepo(b)
	ctx := context.Background()
	b.Run("commits=10000/cold", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			r, err := Open(dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			h, err := r.History(ctx, path, 50, 0)
			if err != nil || len(h) != 5 {
				b.Fatalf("history = %d commits, %v", len(h), err)
			}
			r.Close()
		}
	})
	b.Run("commits=10000/cold-no-cache-file", func(b *testing.B) {
		cache := filepath.Join(dir, ".git", "civicpress-history.jsonl")
		saved, err := os.ReadFile(cache)
		if err != nil {
			b.Fatal(err)
		}
		defer os.WriteFile(cache, saved, 0o644)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			os.Remove(cache)
			b.StartTimer()
			r, err := Open(dir, Options{})
			if err != nil {
				b.Fatal(err)
			}
			h, err := r.History(ctx, path, 50, 0)
			if err != nil || len(h) != 5 {
				b.Fatalf("history = %d commits, %v", len(h), err)
			}
			r.Close()
		}
	})
	b.Run("commits=10000/warm", func(b *testing.B) {
		r, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		if _, err := r.History(ctx, path, 50, 0); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			h, err := r.History(ctx, path, 50, 0)
			if err != nil || len(h) != 5 {
				b.Fatalf("history = %d commits, %v", len(h), err)
			}
		}
	})
	b.Run("commits=10000/whole-repo-page-warm", func(b *testing.B) {
		r, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		if _, err := r.History(ctx, "", 50, 0); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			h, err := r.History(ctx, "", 50, 0)
			if err != nil || len(h) != 50 {
				b.Fatalf("history = %d commits, %v", len(h), err)
			}
		}
	})
}

// BenchmarkGoGitWorktreeCommit is the baseline this package replaces:
// go-git's Worktree.Add + Commit, which compute a status of the whole work
// tree on every commit.
func BenchmarkGoGitWorktreeCommit(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			_, dir := seedRepo(b, n, false, Options{NoSync: true, DefaultBranch: "main"})
			repo, err := git.PlainOpen(dir)
			if err != nil {
				b.Fatal(err)
			}
			wt, err := repo.Worktree()
			if err != nil {
				b.Fatal(err)
			}
			sig := &object.Signature{Name: alice.Name, Email: alice.Email, When: time.Now()}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				p := recordPath(n+i, false)
				writeFile(b, dir, p, recordBody(n+i, 1))
				b.StartTimer()
				if _, err := wt.Add(p); err != nil {
					b.Fatal(err)
				}
				if _, err := wt.Commit("Create record: x", &git.CommitOptions{Author: sig, Committer: sig}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDirty is the crash-recovery scan at Open: a clean work tree of
// 10,000 records, every file checked against the index's stat data.
func BenchmarkDirty(b *testing.B) {
	r, _ := seedRepo(b, 10_000, false, Options{NoSync: true, DefaultBranch: "main"})
	ctx := context.Background()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		d, err := r.Dirty(ctx)
		if err != nil || len(d) != 0 {
			b.Fatalf("Dirty = %v, %v", d, err)
		}
	}
	cpu.report(b)
}
