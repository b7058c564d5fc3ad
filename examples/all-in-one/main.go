// Command all-in-one runs CivicPress in one process: the REST API on :3000 and,
// once the realtime hub exists, the WebSocket hub on :3001, sharing one Core.
//
// This is the first thing a newcomer runs: `go run ./examples/all-in-one`.
// It opens the project ($CIVIC_PROJECT_DIR, else a .civicrc found walking up
// from the working directory, else ./civicpress-project, created with sample
// records), prints where it is and the admin credentials, and serves what
// exists so far: GET /api/v1/health.
//
// Environment: CIVIC_PROJECT_DIR, CIVIC_DATA_DIR, CIVIC_DATABASE_URL,
// CIVICPRESS_SECRET(_FILE), CIVIC_ADMIN_USERNAME / CIVIC_ADMIN_PASSWORD,
// CIVIC_API_ADDR (or PORT).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
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

	dir, err := civicpress.ExampleProjectDir()
	if err != nil {
		return err
	}
	admin := &civicpress.AdminBootstrap{
		Username: os.Getenv(civicpress.EnvAdminUsername),
		Password: os.Getenv(civicpress.EnvAdminPassword),
	}
	core, err := civicpress.Open(ctx, civicpress.Config{ProjectDir: dir, Admin: admin, SampleRecords: true})
	if err != nil {
		return err
	}
	defer core.Close()
	printBanner(core)

	addr := os.Getenv("CIVIC_API_ADDR")
	if addr == "" {
		addr = ":3000"
		if p := os.Getenv("PORT"); p != "" {
			addr = ":" + p
		}
	}
	started := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, r *http.Request) {
		status, code := "healthy", http.StatusOK
		if err := core.Health(r.Context()); err != nil {
			status, code = "unhealthy", http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]any{"success": code == http.StatusOK, "data": map[string]any{
			"status":    status,
			"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
			"uptime":    time.Since(started).Seconds(),
		}})
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("CivicPress API listening", "addr", addr)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func printBanner(core *civicpress.Core) {
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
