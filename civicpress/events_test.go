package civicpress

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

func writeCivic(t testing.TB, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "data", ".civic", name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBusOrderingAndUnsubscribe(t *testing.T) {
	b := newEvents(quiet, "o")
	var mu sync.Mutex
	var got []int64
	slow := make(chan struct{})
	unsub := b.Subscribe(func(e Event) {
		<-slow
		mu.Lock()
		got = append(got, e.UserID)
		mu.Unlock()
	}, EventUserCreated)
	// Publishers never wait for a slow subscriber.
	done := make(chan struct{})
	go func() {
		for i := range 100 {
			b.Publish(Event{Type: EventUserCreated, UserID: int64(i)})
			b.Publish(Event{Type: EventUserDeleted, UserID: -1}) // filtered out
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publisher blocked by a slow subscriber")
	}
	close(slow)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivered %d of 100", n)
		}
		time.Sleep(time.Millisecond)
	}
	for i, id := range got {
		if id != int64(i) {
			t.Fatalf("out of order at %d: %d", i, id)
		}
	}
	unsub()
	unsub() // idempotent
	b.Publish(Event{Type: EventUserCreated, UserID: 1000})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 100 {
		t.Error("delivered after unsubscribe")
	}
}

// Two Cores on one database (as two processes would be): each sees the
// other's events once, and never its own twice.
func TestEventsAcrossCores(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		cfg := testCfg(t, b)
		c1 := openCfg(t, cfg)
		c2 := openCfg(t, cfg)
		u := mkUser(t, c1, "clerk", "clerk")
		col1, unsub1 := collect(c1)
		defer unsub1()
		col2, unsub2 := collect(c2, EventSessionsRevoked)
		defer unsub2()
		s := login(t, c1, "clerk")
		start := time.Now()
		if _, err := c1.Auth().LogoutAll(ctx, System, u.ID); err != nil {
			t.Fatal(err)
		}
		ev := col2.waitFor(t, time.Second, func(e Event) bool { return e.UserID == u.ID && e.Reason == ReasonAdmin })
		t.Logf("%s: cross-core delivery in %v", b.Name, time.Since(start))
		if !ev.Remote || len(ev.TokenHashes) != 1 {
			t.Errorf("remote event %+v", ev)
		}
		col1.waitFor(t, time.Second, func(e Event) bool { return e.UserID == u.ID && !e.Remote })
		// The other core rejects the revoked token at once (the DB is the truth).
		if _, err := c2.Auth().ValidateSession(ctx, s.Token); err == nil {
			t.Error("revoked token valid in the other core")
		}
		// Once c1's tailer has delivered a later row from c2, it has passed
		// over its own revocation row: that must not have been delivered again.
		mkUser(t, c2, "later", "public")
		col1.waitFor(t, 2*time.Second, func(e Event) bool { return e.Remote && e.Type == EventUserCreated && e.Username == "later" })
		col1.mu.Lock()
		n := 0
		for _, e := range col1.evs {
			if e.Reason == ReasonAdmin {
				n++
			}
		}
		col1.mu.Unlock()
		if n != 1 {
			t.Errorf("own event delivered %d times", n)
		}
	})
}

// A process never misses an event written while it was running, even when
// many arrive in a burst.
func TestTailerBurst(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		cfg := testCfg(t, b)
		c1 := openCfg(t, cfg)
		c2 := openCfg(t, cfg)
		var seen atomic.Int64
		unsub := c2.Events().Subscribe(func(e Event) { seen.Add(1) }, EventUserCreated)
		defer unsub()
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 150 {
					if _, err := c1.Users().Create(context.Background(), System, NewUser{Username: fmt.Sprintf("u%d_%d", i, j)}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		deadline := time.Now().Add(10 * time.Second)
		for seen.Load() < 600 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if seen.Load() != 600 {
			t.Fatalf("saw %d of 600", seen.Load())
		}
	})
}

func TestCloseStopsTailer(t *testing.T) {
	cfg := Config{ProjectDir: t.TempDir(), Logger: quiet}
	c, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- c.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung")
	}
	if err := c.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestCleanupExpiredAnnounces(t *testing.T) {
	ctx := context.Background()
	c := openCfg(t, Config{ProjectDir: t.TempDir(), Logger: quiet})
	u := mkUser(t, c, "clerk", "clerk")
	s := login(t, c, "clerk")
	col, unsub := collect(c, EventSessionsRevoked)
	defer unsub()
	c.db.Bun().ExecContext(ctx, "UPDATE sessions SET expires_at = '2000-01-01T00:00:00.000Z'")
	n, err := c.Auth().CleanupExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("cleanup %d %v", n, err)
	}
	col.waitFor(t, time.Second, func(e Event) bool { return e.Reason == ReasonExpired && e.UserID == u.ID })
	if _, err := c.Auth().ValidateSession(ctx, s.Token); err == nil {
		t.Error("expired session valid")
	}
}

// --- two processes ---------------------------------------------------------

const childEnv = "CIVICPRESS_TEST_CHILD"

// runChild is the child side of TestRevokeAllSeenByOtherProcess: it opens
// the same project, revokes all sessions of a user and reports the moment
// the change committed.
func runChild(mode string) int {
	ctx := context.Background()
	dir, dbURL := os.Getenv("CHILD_PROJECT"), os.Getenv("CHILD_DB")
	uid, _ := strconv.ParseInt(os.Getenv("CHILD_USER"), 10, 64)
	c, err := Open(ctx, Config{ProjectDir: dir, DatabaseURL: dbURL, Logger: quiet})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	defer c.Close()
	fmt.Println("READY")
	// Wait for the parent's go-ahead so the revocation happens while both run.
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	switch mode {
	case "revoke-all":
		if _, err := c.Auth().LogoutAll(ctx, System, uid); err != nil {
			fmt.Println("ERR", err)
			return 1
		}
	}
	fmt.Println("DONE", time.Now().UnixNano())
	return 0
}

func TestRevokeAllSeenByOtherProcess(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		cfg := testCfg(t, b)
		c := openCfg(t, cfg)
		u := mkUser(t, c, "clerk", "clerk")
		s := login(t, c, "clerk")
		col, unsub := collect(c, EventSessionsRevoked)
		defer unsub()

		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=revoke-all", "CHILD_PROJECT="+cfg.ProjectDir,
			"CHILD_DB="+cfg.DatabaseURL, "CHILD_USER="+strconv.FormatInt(u.ID, 10))
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		lines := bufio.NewScanner(stdout)
		next := func() string {
			if !lines.Scan() {
				t.Fatalf("child ended: %v", lines.Err())
			}
			return lines.Text()
		}
		if l := next(); l != "READY" {
			t.Fatalf("child: %s", l)
		}
		fmt.Fprintln(stdin, "go")
		l := next()
		done, ok := strings.CutPrefix(l, "DONE ")
		if !ok {
			t.Fatalf("child: %s", l)
		}
		ns, _ := strconv.ParseInt(done, 10, 64)
		committed := time.Unix(0, ns)
		// Seen by this process's subscriber within 1 s of the child's commit.
		ev := col.waitFor(t, time.Second-time.Since(committed), func(e Event) bool {
			return e.Remote && e.UserID == u.ID && e.Reason == ReasonAdmin
		})
		t.Logf("%s: delivered %v after the other process committed", b.Name, time.Since(committed))
		if len(ev.TokenHashes) != 1 {
			t.Errorf("event %+v", ev)
		}
		if _, err := c.Auth().ValidateSession(ctx, s.Token); err == nil {
			t.Error("token revoked by the other process still valid")
		}
	})
}
