// Package app is the start-up code the example servers share, so that every
// running mode follows the same configuration rules, prints the same kind of
// banner and shuts down the same way, and each example's main shows only
// what makes its mode different:
//
//	func main() { app.Main("api-only", setup) }
//
//	func setup(ctx context.Context, a *app.App) error {
//		opts, err := a.APIOptions()
//		if err != nil {
//			return err
//		}
//		return a.ServeHTTP(app.APIAddr(":3000"), httpapi.New(a.Core, opts), app.Endpoint{"REST API", httpapi.Prefix})
//	}
//
// Configuration (every example): the project is $CIVIC_PROJECT_DIR, else a
// .civicrc found walking up from the working directory, else
// ./civicpress-project, created with sample records; CIVIC_DATA_DIR,
// CIVIC_DATABASE_URL, CIVICPRESS_SECRET(_FILE) and .civicrc are read by
// civicpress.Open; CIVIC_ADMIN_USERNAME / CIVIC_ADMIN_PASSWORD name the
// administrator created when none exists (a generated password is printed
// once otherwise); CIVIC_LOG_LEVEL is debug, info (logs every request),
// warn (default) or error; the REST API reads CIVIC_API_ADDR / PORT,
// CIVIC_CACHE_TTL and httpapi's variables (CORS_ORIGIN, RATE_LIMIT_*,
// TRUST_PROXY); the hub reads .system-data/realtime.yml,
// CIVIC_REALTIME_ADDR and CIVIC_REALTIME_ENABLED.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/httpapi"
	"github.com/civicpress/civicpress-go/realtime"
)

// Environment variables the examples read themselves (civicpress, httpapi
// and realtime read the rest).
const (
	EnvLogLevel = "CIVIC_LOG_LEVEL"
	EnvAPIAddr  = "CIVIC_API_ADDR"
	EnvPort     = "PORT"
	EnvCacheTTL = "CIVIC_CACHE_TTL"
)

// ReadyLine is printed once everything listens; scripts and tests wait for it.
const ReadyLine = "Press Ctrl+C to stop."

// shutdownTimeout bounds how long requests in flight and room write-backs
// may take once a stop is asked for.
const shutdownTimeout = 15 * time.Second

// App is an open project plus the servers an example runs over it.
type App struct {
	Name string
	Log  *slog.Logger
	Core *civicpress.Core
	Out  io.Writer // banner destination (stdout)

	servers []*server
	lines   []string // what is served, printed by Run
}

// Endpoint names something a server serves, for the banner: Path is
// appended to the server's base URL.
type Endpoint struct {
	Label string
	Path  string
}

type server struct {
	ln    net.Listener
	hub   bool // stopped after the HTTP servers, whose requests may use it
	serve func(ctx context.Context, ln net.Listener) error
	stop  func(ctx context.Context) error
}

// Main runs an example: it opens the project, lets setup attach servers,
// prints what is served and where, serves until SIGINT or SIGTERM, then
// shuts down (HTTP servers drain, hubs write their rooms back, the Core
// closes last). An error is logged and exits with status 1.
func Main(name string, setup func(ctx context.Context, a *App) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, name, setup)
	stop()
	if err != nil {
		slog.Error(name, "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name string, setup func(context.Context, *App) error) error {
	a, err := Open(ctx, name)
	if err != nil {
		return err
	}
	err = setup(ctx, a)
	if err == nil {
		err = a.Run(ctx)
	} else {
		a.closeListeners()
	}
	return errors.Join(err, a.Core.Close())
}

// Open sets up logging from CIVIC_LOG_LEVEL, opens (or creates) the project
// and prints where it is and, when it was just created, the administrator's
// credentials.
func Open(ctx context.Context, name string) (*App, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(envOr(EnvLogLevel, "warn"))); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvLogLevel, err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	dir, err := civicpress.ExampleProjectDir()
	if err != nil {
		return nil, err
	}
	admin := &civicpress.AdminBootstrap{
		Username: os.Getenv(civicpress.EnvAdminUsername),
		Password: os.Getenv(civicpress.EnvAdminPassword),
	}
	core, err := civicpress.Open(ctx, civicpress.Config{ProjectDir: dir, Admin: admin, SampleRecords: true, Logger: log})
	if err != nil {
		return nil, err
	}
	a := &App{Name: name, Log: log, Core: core, Out: os.Stdout}
	a.printProject()
	return a, nil
}

// APIAddr is the REST API's listen address: $CIVIC_API_ADDR, else
// :$PORT, else def.
func APIAddr(def string) string {
	if v := os.Getenv(EnvAPIAddr); v != "" {
		return v
	}
	if v := os.Getenv(EnvPort); v != "" {
		return ":" + v
	}
	return def
}

// APIOptions are httpapi's options for this process: the App's logger and
// CIVIC_CACHE_TTL (a duration, or "off"); httpapi reads its other
// variables itself.
func (a *App) APIOptions() (httpapi.Options, error) {
	opts := httpapi.Options{Logger: a.Log}
	switch ttl := os.Getenv(EnvCacheTTL); ttl {
	case "":
	case "off", "0":
		opts.CacheTTL = -1
	default:
		d, err := time.ParseDuration(ttl)
		if err != nil {
			return opts, fmt.Errorf("%s: %w", EnvCacheTTL, err)
		}
		opts.CacheTTL = d
	}
	return opts, nil
}

// ServeHTTP listens on addr now (so a taken port fails start-up, before
// anything is announced) and serves h once setup returns. Each endpoint
// becomes a banner line.
func (a *App) ServeHTTP(addr string, h http.Handler, endpoints ...Endpoint) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	a.servers = append(a.servers, &server{
		ln: ln,
		serve: func(_ context.Context, ln net.Listener) error {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
		stop: srv.Shutdown,
	})
	base := "http://" + DisplayAddr(ln.Addr().String())
	for _, e := range endpoints {
		a.announce(e.Label, base+e.Path)
	}
	return nil
}

// ServeRealtime starts the realtime hub on its own listener, configured by
// .system-data/realtime.yml and the CIVIC_REALTIME_* variables. When the
// configuration disables it, it says so in the banner and returns a nil Hub.
func (a *App) ServeRealtime() (*realtime.Hub, error) {
	cfg, err := realtime.LoadConfig(a.Core.Paths().SystemDataDir)
	if err != nil {
		return nil, err
	}
	if !cfg.Enabled {
		a.announce("realtime", "disabled ("+realtime.EnvEnabled+"=false or realtime.yml enabled: false)")
		return nil, nil
	}
	cfg.Logger = a.Log
	hub, err := realtime.New(a.Core, cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr())
	if err != nil {
		hub.Shutdown(context.Background())
		return nil, err
	}
	hubCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	a.servers = append(a.servers, &server{
		ln:  ln,
		hub: true,
		serve: func(_ context.Context, ln net.Listener) error {
			defer close(done)
			// Serve's context is the hub's own: the hub stops when run says
			// so, after the HTTP servers, not at the first signal.
			return hub.Serve(hubCtx, ln)
		},
		stop: func(ctx context.Context) error {
			err := hub.Shutdown(ctx) // first, so that the write-back gets ctx's deadline
			cancel()
			select {
			case <-done:
			case <-ctx.Done():
			}
			return err
		},
	})
	host := DisplayAddr(ln.Addr().String())
	a.announce("realtime", "ws://"+host+strings.TrimRight(cfg.Path, "/")+"/records/<id>")
	a.announce("realtime health", "http://"+host+"/health")
	return hub, nil
}

func (a *App) announce(label, what string) {
	a.lines = append(a.lines, fmt.Sprintf("  %-16s %s", label+":", what))
}

// Run prints what is served, serves until ctx ends or a server fails, and
// shuts the servers down: HTTP servers first (requests in flight finish),
// then hubs (every room written back).
func (a *App) Run(ctx context.Context) error {
	if len(a.servers) == 0 {
		for _, l := range a.lines {
			fmt.Fprintln(a.Out, l)
		}
		fmt.Fprintln(a.Out, a.Name+": nothing to serve")
		return nil
	}
	errc := make(chan error, len(a.servers))
	for _, s := range a.servers {
		go func() { errc <- s.serve(ctx, s.ln) }()
	}
	fmt.Fprintln(a.Out, a.Name+" serving:")
	for _, l := range a.lines {
		fmt.Fprintln(a.Out, l)
	}
	fmt.Fprintln(a.Out, ReadyLine)

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		if runErr == nil {
			runErr = errors.New("a server stopped unexpectedly")
		}
	}
	a.Log.Info("shutting down", "app", a.Name)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	errs := []error{runErr}
	for _, hubs := range []bool{false, true} {
		for _, s := range a.servers {
			if s.hub == hubs {
				errs = append(errs, s.stop(sctx))
			}
		}
	}
	return errors.Join(errs...)
}

// closeListeners releases what setup acquired when it failed part-way
// (nothing was served, so there is nothing to wait for).
func (a *App) closeListeners() {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, s := range a.servers {
		s.ln.Close()
		s.stop(ctx)
	}
}

func (a *App) printProject() {
	p, rep := a.Core.Paths(), a.Core.SetupReport()
	w := a.Out
	fmt.Fprintln(w, "CivicPress project:", p.ProjectDir)
	fmt.Fprintln(w, "  data (Git):      ", p.DataDir)
	if p.DatabaseURL != "" {
		fmt.Fprintln(w, "  database:         PostgreSQL", RedactURL(p.DatabaseURL))
	} else {
		fmt.Fprintln(w, "  database:         SQLite", p.SQLitePath)
	}
	if rep.Created {
		fmt.Fprintf(w, "  created now, with %d sample records\n", len(rep.SampleRecords))
	}
	if rep.SecretGenerated {
		fmt.Fprintln(w, "  root secret:      generated in .system-data/secrets.yml (every process sharing this project needs it)")
	}
	switch {
	case rep.AdminPassword != "":
		fmt.Fprintln(w, "  Administrator account created. The password is shown only once:")
		fmt.Fprintln(w, "    username:", rep.AdminUsername)
		fmt.Fprintln(w, "    password:", rep.AdminPassword)
	case rep.AdminCreated:
		fmt.Fprintln(w, "  administrator:   ", rep.AdminUsername, "(password from "+civicpress.EnvAdminPassword+")")
	}
}

// DisplayAddr turns a wildcard listen address into one a browser can open.
func DisplayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// RedactURL drops the credentials from a database URL.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
