package civicpress

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

// twoCores opens one project twice, as two processes sharing a data
// directory and a PostgreSQL database would.
func twoCores(t *testing.T) (a, b *Core, url string) {
	t.Helper()
	url = storetest.PostgresURL(t)
	dir := t.TempDir()
	a = openCfg(t, Config{ProjectDir: dir, DatabaseURL: url, Logger: quiet})
	b = openCfg(t, Config{ProjectDir: dir, DatabaseURL: url, Logger: quiet})
	return a, b, url
}

// gitLockWaiters counts sessions of this database waiting for the commit lock.
func gitLockWaiters(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND NOT granted`,
		gitLockClass).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func commitFile(ctx context.Context, c *Core, name, text string) (string, error) {
	if err := os.WriteFile(filepath.Join(c.paths.DataDir, name), []byte(text), 0o644); err != nil {
		return "", err
	}
	return c.repo.Commit(ctx, "add "+name, systemAuthor, name)
}

// A commit in one process waits while another process holds the lock, and
// proceeds when it is released.
func TestCommitLockPostgresExcludes(t *testing.T) {
	a, b, url := twoCores(t)
	if _, ok := b.commitLock.(*sql.DB); !ok {
		t.Fatalf("PostgreSQL core uses no advisory commit lock (commitLock %T)", b.commitLock)
	}
	probe, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()

	unlock, err := (&pgCommitLocker{db: a.commitLock.(*sql.DB), log: quiet}).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := commitFile(context.Background(), b, "waits.txt", "b\n")
		done <- err
	}()
	waitUntil(t, 10*time.Second, "the second process waiting for the commit lock", func() bool { return gitLockWaiters(t, probe) == 1 })
	select {
	case err := <-done:
		t.Fatalf("commit went through while another process held the lock (err %v)", err)
	default:
	}
	unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("commit still blocked after the lock was released")
	}

	// A cancelled wait gives up without leaving the lock taken.
	unlock, err = (&pgCommitLocker{db: a.commitLock.(*sql.DB), log: quiet}).Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once the commit waits on the lock (or after a deadline).
		defer cancel()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			var n int
			if probe.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND NOT granted`, gitLockClass).Scan(&n) == nil && n == 1 {
				return
			}
		}
	}()
	if _, err := commitFile(ctx, b, "cancelled.txt", "x\n"); err == nil {
		t.Fatal("commit with a cancelled context succeeded while the lock was held")
	}
	unlock()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := commitFile(ctx, b, "cancelled.txt", "y\n"); err != nil {
		t.Fatalf("commit after a cancelled wait: %v", err)
	}
}

// A holder whose connection dies loses the lock at once (the server
// releases it), so other processes are not stuck behind a dead one; the
// holder's unlock says so instead of hanging.
func TestCommitLockPostgresConnectionLoss(t *testing.T) {
	a, b, url := twoCores(t)
	probe, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	var logged bytes.Buffer
	var logMu sync.Mutex
	holder := &pgCommitLocker{db: a.commitLock.(*sql.DB), log: slog.New(slog.NewTextHandler(lockedWriter{&logged, &logMu}, nil))}
	unlock, err := holder.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := probe.QueryRow(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objsubid = 2 AND granted`,
		gitLockClass).Scan(&pid); err != nil {
		t.Fatalf("holder's session: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := commitFile(context.Background(), b, "after-loss.txt", "b\n")
		done <- err
	}()
	waitUntil(t, 10*time.Second, "waiter", func() bool { return gitLockWaiters(t, probe) == 1 })
	if _, err := probe.Exec(`SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lock of a dead connection was not released")
	}
	unlock()
	logMu.Lock()
	msg := logged.String()
	logMu.Unlock()
	if !strings.Contains(msg, "lost while held") {
		t.Fatalf("unlock after connection loss logged %q", msg)
	}
	// The pool recovers: the next lock works.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := commitFile(ctx, a, "recovered.txt", "a\n"); err != nil {
		t.Fatal(err)
	}
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// Publishes racing from two processes on one data directory all land, one
// after another, in a linear history.
func TestCommitLockPostgresConcurrentPublishes(t *testing.T) {
	a, b, _ := twoCores(t)
	cores := []*Core{a, b}
	clerk := mkUser(t, a, "clerk1", "clerk")
	const perCore = 12
	var wg sync.WaitGroup
	var failed atomic.Value
	var paths sync.Map
	for i, c := range cores {
		for j := range perCore {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				title, typ := fmt.Sprintf("Bylaw %d-%d", i, j), "bylaw"
				body := fmt.Sprintf("# %s\n\nText.\n", title)
				d, err := c.Records().CreateDraft(ctx, clerk, Changes{Title: &title, Type: &typ, Body: &body})
				if err != nil {
					failed.Store(err)
					return
				}
				r, err := c.Records().Publish(ctx, clerk, d.ID, PublishOptions{})
				if err != nil {
					failed.Store(err)
					return
				}
				paths.Store(r.Path, true)
			}()
		}
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", a.paths.DataDir}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if merges := git("rev-list", "--min-parents=2", "HEAD"); merges != "" {
		t.Fatalf("merge commits: %s", merges)
	}
	n := 0
	paths.Range(func(k, _ any) bool {
		n++
		if log := git("log", "--format=%H", "--", k.(string)); log == "" {
			t.Errorf("%s: no commit", k)
		}
		return true
	})
	if n != 2*perCore {
		t.Fatalf("%d records published, want %d", n, 2*perCore)
	}
	if st := git("status", "--porcelain"); st != "" {
		t.Fatalf("work tree not clean:\n%s", st)
	}
	git("fsck", "--no-dangling")
}

var _ gitrepo.Locker = (*pgCommitLocker)(nil)

// BenchmarkCommitLockPostgres is the commit lock's own cost per commit
// (take and release, uncontended): two round trips to the server.
func BenchmarkCommitLockPostgres(b *testing.B) {
	url := storetest.PostgresURL(b)
	c := openCfg(b, Config{ProjectDir: b.TempDir(), DatabaseURL: url, Logger: quiet})
	l := &pgCommitLocker{db: c.commitLock.(*sql.DB), log: quiet}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		unlock, err := l.Lock(ctx)
		if err != nil {
			b.Fatal(err)
		}
		unlock()
	}
}
