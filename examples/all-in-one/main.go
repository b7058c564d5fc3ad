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
// administrator, and what it serves. CIVIC_REALTIME_ENABLED=false (or
// enabled: false in .system-data/realtime.yml) leaves the hub off: the same
// binary then serves the API alone.
//
// Addresses: $CIVIC_API_ADDR (else :$PORT, else :3000) and
// $CIVIC_REALTIME_ADDR (else realtime.yml's host and port, 0.0.0.0:3001).
// Everything else follows the rules every example shares (see package
// examples/internal/app).
package main

import (
	"context"

	"github.com/civicpress/civicpress-go/examples/internal/app"
	"github.com/civicpress/civicpress-go/httpapi"
)

func main() { app.Main("all-in-one", setup) }

func setup(_ context.Context, a *app.App) error {
	opts, err := a.APIOptions()
	if err != nil {
		return err
	}
	if err := a.ServeHTTP(app.APIAddr(":3000"), httpapi.New(a.Core, opts), app.Endpoint{Label: "REST API", Path: httpapi.Prefix}); err != nil {
		return err
	}
	// The hub attaches itself to the Core, so the API's snapshot endpoint
	// reaches it in-process.
	_, err = a.ServeRealtime()
	return err
}
