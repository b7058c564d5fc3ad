// Command all-in-one runs CivicPress in one process: the REST API on :3000
// and the realtime collaborative-editing hub on :3001, sharing one Core.
//
// This is the first thing a newcomer runs:
//
//	go run ./examples/all-in-one
//
// It opens the project ($CIVIC_PROJECT_DIR, else a .civicrc found walking up
// from the working directory, else ./civicpress-project, created with sample
// records), prints where it is, the admin credentials when it creates the
// administrator, and what it serves.
//
// Environment: CIVIC_PROJECT_DIR, CIVIC_DATA_DIR, CIVIC_DATABASE_URL,
// CIVICPRESS_SECRET(_FILE), CIVIC_ADMIN_USERNAME / CIVIC_ADMIN_PASSWORD,
// CIVIC_API_ADDR (or PORT), CIVIC_REALTIME_ADDR, CIVIC_REALTIME_ENABLED=false
// (API only), CIVIC_LOG_LEVEL, CORS_ORIGIN and the other httpapi variables.
// The realtime hub reads .system-data/realtime.yml.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/httpapi"
	"github.com/civicpress/civicpress-go/realtime"
)

func main() {
	if err := run(); err != nil {
		slog.Error("all-in-one", "err", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var level slog.Level
	if err := level.UnmarshalText([]byte(envOr("CIVIC_LOG_LEVEL", "warn"))); err != nil {
		return fmt.Errorf("CIVIC_LOG_LEVEL: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	dir, err := civicpress.ExampleProjectDir()
	if err != nil {
		return err
	}
	admin := &civicpress.AdminBootstrap{
		Username: os.Getenv(civicpress.EnvAdminUsername),
		Password: os.Getenv(civicpress.EnvAdminPassword),
	}
	core, err := civicpress.Open(ctx, civicpress.Config{ProjectDir: dir, Admin: admin, SampleRecords: true, Logger: log})
	if err != nil {
		return err
	}
	defer core.Close()
	printProject(core)

	// The hub must shut down (writing every room back) before the Core closes,
	// so it is stopped explicitly below rather than by a deferred call that
	// would run after core.Close.
	rtCfg, err := realtime.LoadConfig(core.Paths().SystemDataDir)
	if err != nil {
		return err
	}
	var hub *realtime.Hub
	hubDone := make(chan error, 1)
	if rtCfg.Enabled {
		if hub, err = realtime.New(core, rtCfg); err != nil {
			return err
		}
		go func() { hubDone <- hub.ListenAndServe(ctx) }()
	}

	addr := os.Getenv("CIVIC_API_ADDR")
	if addr == "" {
		addr = ":" + envOr("PORT", "3000")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           httpapi.New(core, httpapi.Options{Logger: log}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	apiDone := make(chan error, 1)
	go func() { apiDone <- srv.Serve(ln) }()

	fmt.Printf("  REST API:          http://%s%s\n", displayHost(ln.Addr().String()), httpapi.Prefix)
	if hub != nil {
		rt := displayHost(rtCfg.ListenAddr())
		fmt.Printf("  realtime:          ws://%s%s/records/<id>   (health: http://%s/health)\n", rt, rtCfg.Path, rt)
	} else {
		fmt.Println("  realtime:          disabled (CIVIC_REALTIME_ENABLED=false or realtime.yml enabled: false)")
	}
	fmt.Println("Press Ctrl+C to stop.")

	var runErr error
	select {
	case runErr = <-apiDone:
	case runErr = <-hubDone:
		if errors.Is(runErr, realtime.ErrDisabled) {
			runErr = nil
		}
		hub = nil
		if runErr == nil {
			<-ctx.Done()
		}
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
		runErr = err
	}
	if hub != nil {
		if err := hub.Shutdown(sctx); err != nil && runErr == nil {
			runErr = err
		}
	}
	if errors.Is(runErr, http.ErrServerClosed) {
		runErr = nil
	}
	return runErr
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// displayHost turns a wildcard listen address into one a browser can open.
func displayHost(addr string) string {
	if strings.HasPrefix(addr, ":") || strings.HasPrefix(addr, "[::]:") || strings.HasPrefix(addr, "0.0.0.0:") {
		return "localhost" + addr[strings.LastIndexByte(addr, ':'):]
	}
	return addr
}

func printProject(core *civicpress.Core) {
	p, rep := core.Paths(), core.SetupReport()
	fmt.Println("CivicPress project:", p.ProjectDir)
	fmt.Println("  data (Git):      ", p.DataDir)
	if p.DatabaseURL != "" {
		fmt.Println("  database:         PostgreSQL")
	} else {
		fmt.Println("  database:        ", p.SQLitePath)
	}
	if rep.Created {
		fmt.Printf("  created now, with %d sample records\n", len(rep.SampleRecords))
	}
	switch {
	case rep.AdminPassword != "":
		fmt.Println()
		fmt.Println("  Administrator account created. The password is shown only once:")
		fmt.Println("    username:", rep.AdminUsername)
		fmt.Println("    password:", rep.AdminPassword)
		fmt.Println()
	case rep.AdminCreated:
		fmt.Println("  administrator:   ", rep.AdminUsername, "(password from CIVIC_ADMIN_PASSWORD)")
	default:
		fmt.Println("  administrator:    already set up (its password was printed when it was created)")
	}
}
