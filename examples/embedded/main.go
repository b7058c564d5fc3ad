// Command embedded is a municipality's own Go service that embeds
// CivicPress: it owns the Core and its router, serves its own pages, mounts
// the CivicPress REST API under /civic (so the API is at /civic/api/v1/...),
// and runs the realtime hub on a listener of its own (:3001). Its own routes
// use the same Core (here to answer "who am I" from a CivicPress token) and
// the same hub (here to tell how many people are editing).
//
//	go run ./examples/embedded
//	curl localhost:8080/
//	curl localhost:8080/civic/api/v1/records
//	curl localhost:8080/town/editing
//
// The host's address is $ADDR, else :8080; the hub's is
// $CIVIC_REALTIME_ADDR, else realtime.yml's host and port (0.0.0.0:3001).
// Project, database, secret, administrator and logging follow the rules
// every example shares (see package examples/internal/app).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/examples/internal/app"
	"github.com/civicpress/civicpress-go/httpapi"
	"github.com/civicpress/civicpress-go/realtime"
	"github.com/gorilla/mux"
)

// apiPrefix is where the host mounts the CivicPress API.
const apiPrefix = "/civic"

func main() { app.Main("embedded", setup) }

func setup(_ context.Context, a *app.App) error {
	// The hub first: the host's routes report on it.
	hub, err := a.ServeRealtime()
	if err != nil {
		return err
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	return a.ServeHTTP(addr, newHandler(a.Core, hub, a.Log),
		app.Endpoint{Label: "town site", Path: "/"},
		app.Endpoint{Label: "REST API", Path: apiPrefix + httpapi.Prefix})
}

// newHandler is the host's router: its own routes next to the library's.
// hub is nil when realtime is disabled.
func newHandler(core *civicpress.Core, hub *realtime.Hub, log *slog.Logger) http.Handler {
	r := mux.NewRouter()
	r.HandleFunc("/", home).Methods("GET")
	r.HandleFunc("/town/notices", notices).Methods("GET")
	r.HandleFunc("/town/whoami", func(w http.ResponseWriter, req *http.Request) { whoami(core, w, req) }).Methods("GET")
	r.HandleFunc("/town/editing", func(w http.ResponseWriter, req *http.Request) { editing(hub, w) }).Methods("GET")

	// The library's API, below the host's own prefix.
	httpapi.Mount(r.PathPrefix(apiPrefix).Subrouter(), core, httpapi.Options{Logger: log})
	return r
}

func home(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><title>Springfield</title><h1>Town of Springfield</h1>
<p>Public records: <a href="/civic/api/v1/records">/civic/api/v1/records</a></p>
<p>Council members editing right now: <a href="/town/editing">/town/editing</a></p>`)
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

// editing shows a host route reading the hub it runs.
func editing(hub *realtime.Hub, w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	if hub == nil {
		json.NewEncoder(w).Encode(map[string]any{"realtime": "disabled"})
		return
	}
	h := hub.Health()
	json.NewEncoder(w).Encode(map[string]any{"realtime": h.Status, "rooms": h.Rooms.Total, "connections": h.Connections.Total})
}
