// Command api-only serves the CivicPress REST API (/api/v1) without the
// realtime hub: one Core, one HTTP server, graceful shutdown on SIGINT or
// SIGTERM. Run a standalone-realtime process beside it (same project, same
// database) for collaborative editing, and as many api-only processes on
// one data directory as load needs when the database is PostgreSQL.
//
//	go run ./examples/api-only
//
// The address is $CIVIC_API_ADDR, else :$PORT, else :3000. Project,
// database, secret, administrator, logging and httpapi's variables
// (CORS_ORIGIN, RATE_LIMIT_*, TRUST_PROXY, CIVIC_CACHE_TTL) follow the rules
// every example shares (see package examples/internal/app).
package main

import (
	"context"

	"github.com/civicpress/civicpress-go/examples/internal/app"
	"github.com/civicpress/civicpress-go/httpapi"
)

func main() { app.Main("api-only", setup) }

func setup(_ context.Context, a *app.App) error {
	opts, err := a.APIOptions()
	if err != nil {
		return err
	}
	return a.ServeHTTP(app.APIAddr(":3000"), httpapi.New(a.Core, opts), app.Endpoint{Label: "REST API", Path: httpapi.Prefix})
}
