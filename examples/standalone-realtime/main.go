// Command standalone-realtime runs the CivicPress realtime hub alone: the
// collaborative-editing WebSocket service on :3001, opening the same project
// the API opens (same database, same tokens, same records), so the two can
// run as separate processes.
//
//	go run ./examples/standalone-realtime
//
// Project resolution as every example: $CIVIC_PROJECT_DIR, else a .civicrc
// found walking up from the working directory, else ./civicpress-project.
// Configuration: .system-data/realtime.yml (upstream's keys), with
// CIVIC_REALTIME_ADDR (e.g. 127.0.0.1:3001) and CIVIC_REALTIME_ENABLED=false.
// Clients connect to ws://host:3001/realtime/records/<id> with a session
// token (Authorization: Bearer, or the auth.<token> subprotocol); GET
// /health reports connections, rooms and the node.
//
// Several of these processes (on one machine or several) can serve the same
// project when they share its database (CIVIC_DATABASE_URL=postgres://…,
// or one SQLite file with cluster.enabled: true in realtime.yml): rooms are
// shared through the database, a client may connect to any of them, and one
// can be killed (see the realtime package doc, "Several nodes").
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/realtime"
)

func main() {
	if err := run(); err != nil {
		slog.Error("standalone-realtime", "err", err)
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
	core, err := civicpress.Open(ctx, civicpress.Config{ProjectDir: dir, SampleRecords: true})
	if err != nil {
		return err
	}
	defer core.Close()

	cfg, err := realtime.LoadConfig(core.Paths().SystemDataDir)
	if err != nil {
		return err
	}
	p := core.Paths()
	fmt.Println("CivicPress project:", p.ProjectDir)
	if !cfg.Enabled {
		fmt.Println("  realtime is disabled (realtime.yml enabled: false, or CIVIC_REALTIME_ENABLED=false): nothing to serve")
		return nil
	}
	hub, err := realtime.New(core, cfg)
	if err != nil {
		return err
	}
	addr := cfg.ListenAddr()
	fmt.Printf("  realtime:          ws://%s%s/records/<id>\n", addr, cfg.Path)
	fmt.Printf("  health:            http://%s/health\n", addr)
	if n := hub.Health().Cluster; n != nil {
		mode := "rooms in this process only (cluster off)"
		if n.Log {
			mode = "rooms shared with other nodes through the database"
		}
		fmt.Printf("  node:              %s, %s; %d other node(s) alive\n", n.NodeID, mode, n.Peers)
	}
	err = hub.ListenAndServe(ctx) // returns after ctx ends, rooms written back
	if errors.Is(err, realtime.ErrDisabled) {
		return nil
	}
	return err
}
