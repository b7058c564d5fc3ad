package civicpress

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store/storetest"
	"golang.org/x/crypto/bcrypt"
)

func TestMain(m *testing.M) {
	// Cost 12 is checked by TestPasswordHashCost; elsewhere it only slows the suite.
	bcryptCost = bcrypt.MinCost
	h, _ := bcrypt.GenerateFromPassword([]byte("timing"), bcrypt.MinCost)
	timingHashInUse = string(h)
	for _, k := range []string{EnvProjectDir, EnvDataDir, EnvDatabaseURL, EnvSecret, EnvSecretFile, EnvAdminUsername, EnvAdminPassword} {
		os.Unsetenv(k)
	}
	if child := os.Getenv(childEnv); child != "" {
		os.Exit(runChild(child))
	}
	os.Exit(m.Run())
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testCfg returns a Config for a fresh project in a temporary directory on backend b.
func testCfg(t testing.TB, b storetest.Backend) Config {
	return Config{ProjectDir: t.TempDir(), DatabaseURL: b.URL(t), Logger: quiet}
}

func openCfg(t testing.TB, cfg Config) *Core {
	t.Helper()
	c, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func forBackends(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

const testPassword = "Correct#Horse9"

func mkUser(t testing.TB, c *Core, username, role string) *User {
	t.Helper()
	u, err := c.Users().Create(context.Background(), System, NewUser{Username: username, Password: testPassword, Role: role, Email: username + "@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func login(t testing.TB, c *Core, username string) *Session {
	t.Helper()
	s, err := c.Auth().Login(context.Background(), username, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantKind(t testing.TB, err, kind error, code string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
	if code != "" && Code(err) != code {
		t.Fatalf("code %q, want %q (%v)", Code(err), code, err)
	}
}

// collector gathers events for assertions that wait on a condition.
type collector struct {
	mu  sync.Mutex
	evs []Event
	ch  chan struct{}
}

func collect(c *Core, types ...EventType) (*collector, func()) {
	col := &collector{ch: make(chan struct{}, 1)}
	unsub := c.Events().Subscribe(func(e Event) {
		col.mu.Lock()
		col.evs = append(col.evs, e)
		col.mu.Unlock()
		select {
		case col.ch <- struct{}{}:
		default:
		}
	}, types...)
	return col, unsub
}

// waitFor waits until pred holds for some collected event, up to d.
func (col *collector) waitFor(t testing.TB, d time.Duration, pred func(Event) bool) Event {
	t.Helper()
	deadline := time.After(d)
	for {
		col.mu.Lock()
		for _, e := range col.evs {
			if pred(e) {
				col.mu.Unlock()
				return e
			}
		}
		col.mu.Unlock()
		select {
		case <-col.ch:
		case <-deadline:
			t.Fatalf("no matching event within %v", d)
		}
	}
}
