package civicpress

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

// remoteHub stands in for a realtime node in another process: a Core of
// its own on the project, registered as a node, answering requests for the
// rooms it "holds".
type remoteHub struct {
	c    *Core
	node string
	held map[string]bool
	fail atomic.Value // string: the writeback error to report
}

func startRemoteHub(t *testing.T, cfg Config, node string, held ...string) *remoteHub {
	h := &remoteHub{c: openCfg(t, cfg), node: node, held: map[string]bool{}}
	for _, id := range held {
		h.held[id] = true
	}
	if err := h.c.RealtimeLog().Heartbeat(context.Background(), node, "test"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.c.Events().Subscribe(func(ev Event) {
		req, ok := SnapshotRequestOf(ev)
		if !ok {
			return
		}
		ctx := context.Background()
		if !h.held[req.RecordID] {
			h.c.AnswerSnapshotRequest(ctx, req, h.node, false, SnapshotResult{Timestamp: time.Now()}, nil)
			return
		}
		v := int64(4)
		var werr error
		if msg, _ := h.fail.Load().(string); msg != "" {
			werr = errors.New(msg)
		}
		h.c.AnswerSnapshotRequest(ctx, req, h.node, true, SnapshotResult{Created: true, Version: &v, Timestamp: time.UnixMilli(1700000000123)}, werr)
	}, EventRealtimeSnapshotRequested))
	return h
}

// localHub is an attached hub that is a node too and holds no room.
type localHub struct{ node string }

func (h localHub) SnapshotRecord(context.Context, string) (SnapshotResult, error) {
	return SnapshotResult{Timestamp: time.Now(), Reason: SnapshotRoomNotOpen}, nil
}
func (h localHub) NodeID() string { return h.node }

// RequestSnapshot reaches hubs in other processes through the outbox and
// says why nothing was written when none did.
func TestRequestSnapshotAcrossProcesses(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		cfg := testCfg(t, b)
		api := openCfg(t, cfg)
		clerk := mkUser(t, api, "clerk", "clerk")

		res, err := api.RequestSnapshot(ctx, clerk, "record-1")
		if err != nil || res.Reason != SnapshotNoHub || res.Created || res.Version != nil {
			t.Fatalf("no hub anywhere: %+v %v", res, err)
		}

		startRemoteHub(t, cfg, "node-a")
		remote := startRemoteHub(t, cfg, "node-b", "record-1")
		res, err = api.RequestSnapshot(ctx, clerk, "record-1")
		if err != nil || !res.Created || res.Version == nil || *res.Version != 4 || res.Reason != "" || res.Timestamp.UnixMilli() != 1700000000123 {
			t.Fatalf("held by node-b: %+v %v", res, err)
		}
		start := time.Now()
		res, err = api.RequestSnapshot(ctx, clerk, "record-2")
		if err != nil || res.Created || res.Reason != SnapshotRoomNotOpen {
			t.Fatalf("held nowhere: %+v %v", res, err)
		}
		if time.Since(start) >= SnapshotRequestTimeout {
			t.Fatal("waited for the time-out although every node answered")
		}

		// A writeback that failed in the other process is an error here.
		remote.fail.Store("disk full")
		if _, err := api.RequestSnapshot(ctx, clerk, "record-1"); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("failed writeback: %v", err)
		}
		remote.fail.Store("")

		// An attached hub without the room hands over to the others; its
		// own registration is not waited for.
		if err := api.RealtimeLog().Heartbeat(ctx, "local", "test"); err != nil {
			t.Fatal(err)
		}
		api.AttachRealtime(localHub{node: "local"})
		defer api.AttachRealtime(nil)
		if res, err := api.RequestSnapshot(ctx, clerk, "record-1"); err != nil || !res.Created {
			t.Fatalf("through the attached hub to node-b: %+v %v", res, err)
		}
		if res, err := api.RequestSnapshot(ctx, clerk, "record-2"); err != nil || res.Reason != SnapshotRoomNotOpen {
			t.Fatalf("nowhere, with a local hub: %+v %v", res, err)
		}
		if _, err := api.RequestSnapshot(ctx, mkUser(t, api, "reader", "public"), "record-1"); !errors.Is(err, ErrForbidden) {
			t.Fatalf("without records:edit: %v", err)
		}
	})
}
