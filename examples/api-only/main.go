// Command api-only serves the CivicPress REST API (/api/v1) without the
// realtime hub: one Core, one HTTP server, graceful shutdown on SIGINT or
// SIGTERM.
//
//	go run ./examples/api-only
//
// The project is $CIVIC_PROJECT_DIR, else a .civicrc found walking up from
// the working directory, else ./civicpress-project (created, with sample
// records). The address is $CIVIC_API_ADDR, else :$PORT, else :3000.
//
// Environment: CIVIC_PROJECT_DIR, CIVIC_DATA_DIR, CIVIC_DATABASE_URL,
// CIVICPRESS_SECRET(_FILE), CIVIC_ADMIN_USERNAME / CIVIC_ADMIN_PASSWORD,
// CIVIC_API_ADDR, PORT, CORS_ORIGIN, RATE_LIMIT_MAX, RATE_LIMIT_AUTH_MAX,
// RATE_LIMIT_DISABLED, TRUST_PROXY, CIVIC_LOG_LEVEL (debug, info, warn,
// error; info logs every request), CIVIC_CACHE_TTL (how long anonymous
// reads of public record data may be served from memory, e.g. 500ms;
// "off" disables; default 1s).
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
)

func main() {
	if err := run(); err != nil {
		slog.Error("api-only", "err", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var level slog.Level
	if err := level.UnmarshalText([]byte(envOr("CIVIC_LOG_LEVEL", "info"))); err != nil {
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

	addr := os.Getenv("CIVIC_API_ADDR")
	if addr == "" {
		addr = ":" + envOr("PORT", "3000")
	}
	opts := httpapi.Options{Logger: log}
	switch ttl := os.Getenv("CIVIC_CACHE_TTL"); ttl {
	case "":
	case "off", "0":
		opts.CacheTTL = -1
	default:
		if opts.CacheTTL, err = time.ParseDuration(ttl); err != nil {
			return fmt.Errorf("CIVIC_CACHE_TTL: %w", err)
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           httpapi.New(core, opts),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	printBanner(core, ln.Addr())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func printBanner(core *civicpress.Core, addr net.Addr) {
	p, rep := core.Paths(), core.SetupReport()
	fmt.Println("CivicPress project:", p.ProjectDir)
	if rep.AdminPassword != "" {
		fmt.Println("  Administrator account created. The password is shown only once:")
		fmt.Println("    username:", rep.AdminUsername)
		fmt.Println("    password:", rep.AdminPassword)
	}
	host := addr.String()
	if strings.HasPrefix(host, "[::]:") || strings.HasPrefix(host, "0.0.0.0:") {
		host = "localhost" + host[strings.LastIndexByte(host, ':'):]
	}
	fmt.Printf("CivicPress API listening on http://%s%s\n", host, httpapi.Prefix)
}
