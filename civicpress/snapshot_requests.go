package civicpress

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Reasons a snapshot request wrote nothing (SnapshotResult.Reason).
const (
	// SnapshotNoHub: no realtime hub runs in this process or, as far as the
	// node registry knows, in any other sharing the database.
	SnapshotNoHub = "NO_REALTIME_HUB"
	// SnapshotRoomNotOpen: hubs run, and none has the record's room open.
	SnapshotRoomNotOpen = "ROOM_NOT_OPEN"
	// SnapshotTimedOut: hubs run elsewhere and not every one answered in
	// SnapshotRequestTimeout.
	SnapshotTimedOut = "TIMED_OUT"
)

// SnapshotRequestTimeout bounds how long RequestSnapshot waits for realtime
// hubs in other processes.
const SnapshotRequestTimeout = 5 * time.Second

// SnapshotRequest is a snapshot asked of the realtime hubs through the
// outbox (EventRealtimeSnapshotRequested).
type SnapshotRequest struct {
	ID       string
	RecordID string
}

// SnapshotRequestOf reads the request an EventRealtimeSnapshotRequested
// event carries.
func SnapshotRequestOf(ev Event) (SnapshotRequest, bool) {
	if ev.Type != EventRealtimeSnapshotRequested {
		return SnapshotRequest{}, false
	}
	id, _ := ev.Data["requestId"].(string)
	rec, _ := ev.Data["recordId"].(string)
	if id == "" || rec == "" {
		return SnapshotRequest{}, false
	}
	return SnapshotRequest{ID: id, RecordID: rec}, true
}

// AnswerSnapshotRequest is how a realtime hub (node) answers a request from
// another process: held says whether the node has the room open and wrote
// it back (res and werr are then what the writeback gave). Nodes without
// the room answer held=false so that the requester stops waiting once
// every live node has said so; a node holding the room that is not its
// writer does not answer (the writer does).
func (c *Core) AnswerSnapshotRequest(ctx context.Context, req SnapshotRequest, node string, held bool, res SnapshotResult, werr error) error {
	data := map[string]any{"requestId": req.ID, "recordId": req.RecordID, "nodeId": node, "held": held,
		"created": res.Created, "timestamp": res.Timestamp.UnixMilli()}
	if res.Version != nil {
		data["version"] = *res.Version
	}
	if werr != nil {
		data["error"] = werr.Error()
	}
	return c.inTx(ctx, func(t *txn) error {
		return t.emit(Event{Type: EventRealtimeSnapshotAnswered, RecordID: req.RecordID, Data: data})
	})
}

// realtimeNode is implemented by hubs that run as a node of the registry
// (realtime.Hub): their own answer need not be awaited through the outbox.
type realtimeNode interface{ NodeID() string }

// requestSnapshot asks the attached hub s, then hubs elsewhere.
func (c *Core) requestSnapshot(ctx context.Context, s SnapshotRequester, id string) (SnapshotResult, error) {
	local := ""
	if s != nil {
		res, err := s.SnapshotRecord(ctx, id)
		if err != nil || res.Reason != SnapshotRoomNotOpen {
			return res, err
		}
		if n, ok := s.(realtimeNode); ok {
			local = n.NodeID()
		}
	}
	noop := func(reason string) SnapshotResult { return SnapshotResult{Timestamp: time.Now(), Reason: reason} }
	nodes, err := c.RealtimeLog().Nodes(ctx)
	if err != nil {
		return SnapshotResult{}, err
	}
	waiting := map[string]bool{}
	for _, n := range nodes {
		if n.ID != local {
			waiting[n.ID] = true
		}
	}
	if len(waiting) == 0 {
		if s != nil || len(nodes) > 0 {
			return noop(SnapshotRoomNotOpen), nil
		}
		return noop(SnapshotNoHub), nil
	}

	reqID := uuid.NewString()
	answers := make(chan Event, len(waiting)+4)
	unsub := c.events.Subscribe(func(ev Event) {
		if rid, _ := ev.Data["requestId"].(string); rid == reqID {
			select {
			case answers <- ev:
			default:
			}
		}
	}, EventRealtimeSnapshotAnswered)
	defer unsub()
	req := Event{Type: EventRealtimeSnapshotRequested, RecordID: id, Data: map[string]any{"requestId": reqID, "recordId": id}}
	if err := c.inTx(ctx, func(t *txn) error { return t.emit(req) }); err != nil {
		return SnapshotResult{}, fmt.Errorf("civicpress: snapshot request: %w", err)
	}
	timer := time.NewTimer(SnapshotRequestTimeout)
	defer timer.Stop()
	for {
		select {
		case ev := <-answers:
			node, _ := ev.Data["nodeId"].(string)
			if held, _ := ev.Data["held"].(bool); held {
				return answeredResult(ev)
			}
			delete(waiting, node)
			if len(waiting) == 0 {
				return noop(SnapshotRoomNotOpen), nil
			}
		case <-timer.C:
			return noop(SnapshotTimedOut), nil
		case <-ctx.Done():
			return SnapshotResult{}, ctx.Err()
		}
	}
}

// answeredResult reads a held answer (numbers arrive as float64 from other
// processes, as int64 from this one).
func answeredResult(ev Event) (SnapshotResult, error) {
	num := func(v any) (int64, bool) {
		switch n := v.(type) {
		case int64:
			return n, true
		case int:
			return int64(n), true
		case float64:
			return int64(n), true
		}
		return 0, false
	}
	res := SnapshotResult{Timestamp: time.Now()}
	res.Created, _ = ev.Data["created"].(bool)
	if ms, ok := num(ev.Data["timestamp"]); ok && ms > 0 {
		res.Timestamp = time.UnixMilli(ms)
	}
	if v, ok := num(ev.Data["version"]); ok && v > 0 {
		res.Version = &v
	}
	if msg, _ := ev.Data["error"].(string); msg != "" {
		node, _ := ev.Data["nodeId"].(string)
		return res, fmt.Errorf("civicpress: realtime node %s: %w", node, errors.New(msg))
	}
	return res, nil
}
