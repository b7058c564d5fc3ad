package civicpress

import (
	"context"
	"time"
)

// SnapshotRequester is what a realtime hub offers the REST snapshot endpoint:
// write the live document of a record back now and report the snapshot.
type SnapshotRequester interface {
	SnapshotRecord(ctx context.Context, recordID string) (SnapshotResult, error)
}

// SnapshotResult is upstream's snapshot answer: {snapshotCreated, version,
// timestamp}.
type SnapshotResult struct {
	Created   bool
	Version   *int64 // nil: no snapshot
	Timestamp time.Time
	// Reason says why no hub wrote the room back (SnapshotNoHub,
	// SnapshotRoomNotOpen, SnapshotTimedOut); "" when a hub handled it.
	Reason string
}

// AttachRealtime makes s answer RequestSnapshot (nil detaches).
func (c *Core) AttachRealtime(s SnapshotRequester) {
	c.rec.realtimeMu.Lock()
	c.rec.realtime = s
	c.rec.realtimeMu.Unlock()
}

// RequestSnapshot asks a realtime hub holding record id's room to write
// its live document back now (records:edit): the attached hub, else hubs
// in other processes through the outbox (snapshot_requests.go). When none
// does it answers upstream's no-op shape {Created: false, Version: nil,
// Timestamp: now} with a Reason.
func (c *Core) RequestSnapshot(ctx context.Context, actor *User, id string) (SnapshotResult, error) {
	if err := c.require(actor, "records:edit", PermContext{}); err != nil {
		return SnapshotResult{}, err
	}
	c.rec.realtimeMu.Lock()
	s := c.rec.realtime
	c.rec.realtimeMu.Unlock()
	return c.requestSnapshot(ctx, s, id)
}
