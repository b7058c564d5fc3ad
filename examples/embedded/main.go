// Command embedded is a municipality's own Go service that embeds
// CivicPress: it owns the Core and its router, serves its own pages, and
// mounts the CivicPress REST API under /civic (so the API is at
// /civic/api/v1/...). Its own routes can use the same Core, here to answer
// "who am I" from a CivicPress token.
//
//	go run ./examples/embedded
//	curl localhost:8080/
//	curl localhost:8080/civic/api/v1/records
//
// The project is found as for the other examples (CIVIC_PROJECT_DIR, a
// .civicrc above the working directory, else ./civicpress-project). The
// address is $ADDR, else :8080.
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
	"strings"
	"syscall"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/httpapi"
	"github.com/gorilla/mux"
)

func main() {
	if err := run(); err != nil {
		slog.Error("embedded", "err", err)
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
	core, err := civicpress.Open(ctx, civicpress.Config{ProjectDir: dir, SampleRecords: true,
		Admin: &civicpress.AdminBootstrap{Username: os.Getenv(civicpress.EnvAdminUsername), Password: os.Getenv(civicpress.EnvAdminPassword)}})
	if err != nil {
		return err
	}
	defer core.Close()
	if pw := core.SetupReport().AdminPassword; pw != "" {
		fmt.Printf("admin account created: %s / %s (shown once)\n", core.SetupReport().AdminUsername, pw)
	}

	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	srv := &http.Server{Addr: addr, Handler: newHandler(core, slog.Default()), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Printf("town service on %s; CivicPress API under /civic%s\n", addr, httpapi.Prefix)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler is the host's router: its own routes next to the library's.
func newHandler(core *civicpress.Core, log *slog.Logger) http.Handler {
	r := mux.NewRouter()
	r.HandleFunc("/", home).Methods("GET")
	r.HandleFunc("/town/notices", notices).Methods("GET")
	r.HandleFunc("/town/whoami", func(w http.ResponseWriter, req *http.Request) { whoami(core, w, req) }).Methods("GET")

	// The library's API, below the host's own prefix.
	httpapi.Mount(r.PathPrefix("/civic").Subrouter(), core, httpapi.Options{Logger: log})
	return r
}

func home(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><title>Springfield</title><h1>Town of Springfield</h1>
<p>Public records: <a href="/civic/api/v1/records">/civic/api/v1/records</a></p>`)
}

func notices(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode([]map[string]string{{"title": "Road works on Main Street", "until": "2026-12-01"}})
}

// whoami shows a host route reusing CivicPress authentication: the same
// Bearer tokens (sessions or API keys) the API accepts.
func whoami(core *civicpress.Core, w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "sign in through /civic/api/v1/auth/password"})
		return
	}
	p, err := core.Auth().Authenticate(r.Context(), tok)
	if errors.Is(err, civicpress.ErrUnauthenticated) {
		w.WriteHeader(http.StatusUnauthorized)
		json.NewEncoder(w).Encode(map[string]string{"error": "invalid or expired token"})
		return
	}
	if err != nil {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"username": p.User.Username, "role": p.User.Role,
		"canPublish": core.Can(p.User, "records:edit", civicpress.PermContext{})})
}
