// Command standalone-realtime runs the CivicPress realtime hub alone: the
// collaborative-editing WebSocket service on :3001, opening the same project
// the API opens (same database, same tokens, same records), so the two can
// run as separate processes. On PostgreSQL several of these nodes can serve
// the same records (realtime.yml cluster.*).
//
//	go run ./examples/standalone-realtime
//
// Configuration: .system-data/realtime.yml (upstream's keys), with
// CIVIC_REALTIME_ADDR (e.g. 127.0.0.1:3001) and CIVIC_REALTIME_ENABLED=false
// (then it has nothing to serve and exits). Clients connect to
// ws://host:3001/realtime/records/<id> with a session token (Authorization:
// Bearer, or the auth.<token> subprotocol); GET /health reports connections
// and rooms. Project, database, secret, administrator and logging follow
// the rules every example shares (see package examples/internal/app).
package main

import (
	"context"

	"github.com/civicpress/civicpress-go/examples/internal/app"
)

func main() { app.Main("standalone-realtime", setup) }

func setup(_ context.Context, a *app.App) error {
	_, err := a.ServeRealtime()
	return err
}
