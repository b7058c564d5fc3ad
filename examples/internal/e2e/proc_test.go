package e2e

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/examples/internal/app"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// The example binaries, built once by TestMain.
var (
	binDir   string
	buildErr error
)

// Binaries the suite runs.
const (
	binAllInOne   = "all-in-one"
	binAPIOnly    = "api-only"
	binRealtime   = "standalone-realtime"
	binEmbedded   = "embedded"
	adminPassword = "Admin!2345-e2e"
)

// envPostgres names the PostgreSQL server the PostgreSQL tests use.
const envPostgres = "CIVIC_TEST_POSTGRES_URL"

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Short() {
		dir, err := os.MkdirTemp("", "civic-e2e-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		binDir = dir
		buildErr = build(dir)
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// envRace set to 1 builds the children with the race detector, so that a
// race in a server fails the test that drove it (a race-enabled child exits
// with status 66 at the first report). Off by default, also under
// go test -race: race-instrumented servers hash passwords (bcrypt cost 12)
// and open projects ten times slower, which multiplies the suite's time,
// and their packages' own tests already run under the detector.
const envRace = "CIVIC_E2E_RACE"

// build compiles every example into dir.
func build(dir string) error {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if p, err := exec.LookPath("go"); err == nil {
		gobin = p
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if os.Getenv(envRace) == "1" {
		args = append(args, "-race")
	}
	for _, b := range []string{binAllInOne, binAPIOnly, binRealtime, binEmbedded} {
		args = append(args, "github.com/civicpress/civicpress-go/examples/"+b)
	}
	out, err := exec.Command(gobin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// needBinaries skips under -short (the suite builds and runs servers) and
// fails when the build failed.
func needBinaries(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds the examples and runs them as processes (skipped with -short)")
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// childEnv is the environment every child starts from: ours without any
// variable the examples read, so a developer's settings cannot leak in,
// plus the project (none: the child finds it from its working directory).
func childEnv(project string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "CIVIC_"), strings.HasPrefix(k, "CIVICPRESS_"), strings.HasPrefix(k, "RATE_LIMIT_"),
			k == "PORT", k == "ADDR", k == "REALTIME_ENABLED", k == "CORS_ORIGIN", k == "TRUST_PROXY":
			continue
		}
		env = append(env, kv)
	}
	if project != "" {
		env = append(env, "CIVIC_PROJECT_DIR="+project)
	}
	env = append(env, "CIVIC_ADMIN_USERNAME=admin", "CIVIC_ADMIN_PASSWORD="+adminPassword,
		"CIVIC_LOG_LEVEL=warn", "RATE_LIMIT_DISABLED=true", "GORACE=halt_on_error=1")
	return append(env, extra...)
}

// proc is a running example.
type proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd

	mu     sync.Mutex
	stdout []string
	stderr bytes.Buffer
	lines  chan struct{} // signalled on every stdout line

	done    chan struct{}
	waitErr error
}

// start runs binary name with env and stops it (SIGKILL if still running)
// when the test ends, logging its output if the test failed.
func start(t testing.TB, name string, env []string) *proc {
	t.Helper()
	return startIn(t, "", name, env)
}

// startIn is start with working directory dir ("" = the test's).
func startIn(t testing.TB, dir, name string, env []string) *proc {
	t.Helper()
	needBinaries(t)
	p := &proc{t: t, name: name, lines: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(binDir, name))
	p.cmd.Env = env
	p.cmd.Dir = dir
	p.cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout = append(p.stdout, sc.Text())
			p.mu.Unlock()
			select {
			case p.lines <- struct{}{}:
			default:
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() {
		<-readDone // Wait closes the pipe: read everything first
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			p.mu.Lock()
			t.Logf("%s (pid %d) stdout:\n%s\nstderr:\n%s", name, p.cmd.Process.Pid, strings.Join(p.stdout, "\n"), p.stderr.String())
			p.mu.Unlock()
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// output returns what the process printed on stdout so far.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stdout, "\n")
}

// waitOutput waits until stdout holds want (or the process exits).
func (p *proc) waitOutput(want string, d time.Duration) {
	p.t.Helper()
	deadline := time.After(d)
	for !strings.Contains(p.output(), want) {
		select {
		case <-p.lines:
		case <-p.done:
			if strings.Contains(p.output(), want) {
				return
			}
			p.t.Fatalf("%s exited (%v) before printing %q", p.name, p.waitErr, want)
		case <-deadline:
			p.t.Fatalf("%s did not print %q within %v", p.name, want, d)
		}
	}
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !p.exited() {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("%s: no exit within 30 s of SIGTERM", p.name)
	}
	if p.waitErr != nil {
		p.t.Fatalf("%s exited with %v after SIGTERM", p.name, p.waitErr)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.t.Helper()
	p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s: still running 10 s after SIGKILL", p.name)
	}
}

// eventually polls cond until it holds, failing the test after d.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeRealtimeConfig writes the project's .system-data/realtime.yml before
// any process creates the project (Open keeps an existing .system-data).
func writeRealtimeConfig(t testing.TB, project, yml string) {
	t.Helper()
	sys := filepath.Join(project, ".system-data")
	if err := os.MkdirAll(sys, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sys, "realtime.yml"), []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
}

// backend is a database a scenario runs on.
type backend struct {
	name string
	// url returns a fresh database for the test ("" for SQLite in the project).
	url func(t testing.TB) string
}

var (
	sqlite   = backend{"sqlite", func(testing.TB) string { return "" }}
	postgres = backend{"postgres", postgresDB}
)

// backends lists SQLite and PostgreSQL (which skips without a server).
func backends() []backend { return []backend{sqlite, postgres} }

// postgresDB creates a database of its own for the test on the server
// CIVIC_TEST_POSTGRES_URL names, returns its URL and drops it when the test
// ends (after the processes using it, which were started later and are
// stopped first). Skips without the variable.
func postgresDB(t testing.TB) string {
	t.Helper()
	base := os.Getenv(envPostgres)
	if base == "" {
		t.Skip("PostgreSQL end-to-end test: set " + envPostgres)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("civic_e2e_%d_%08x", os.Getpid(), rand.Uint32())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// projectEnv is the environment of a process on project dir and database url.
func projectEnv(dir, dbURL string, extra ...string) []string {
	if dbURL != "" {
		extra = append(extra, "CIVIC_DATABASE_URL="+dbURL)
	}
	return childEnv(dir, extra...)
}

// startAPI starts api-only on the project, on a port the OS picks, and
// waits until it serves at the address it announces.
func startAPI(t testing.TB, dir, dbURL string) (*proc, *apiClient) {
	t.Helper()
	p := start(t, binAPIOnly, projectEnv(dir, dbURL, "CIVIC_API_ADDR=127.0.0.1:0"))
	p.waitOutput(app.ReadyLine, startupWait)
	return p, &apiClient{t: t, base: banner(t, p, "REST API")}
}

// startRealtime starts standalone-realtime on the project, on a port the
// OS picks, and returns the rooms' base URL it announces
// (ws://host:port/realtime).
func startRealtime(t testing.TB, dir, dbURL string) (*proc, string) {
	t.Helper()
	p := start(t, binRealtime, projectEnv(dir, dbURL, "CIVIC_REALTIME_ADDR=127.0.0.1:0"))
	p.waitOutput(app.ReadyLine, startupWait)
	return p, strings.TrimSuffix(banner(t, p, "realtime"), "/records/<id>")
}
