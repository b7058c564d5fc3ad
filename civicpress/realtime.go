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
}

// AttachRealtime makes s answer RequestSnapshot (nil detaches).
func (c *Core) AttachRealtime(s SnapshotRequester) {
	c.rec.realtimeMu.Lock()
	c.rec.realtime = s
	c.rec.realtimeMu.Unlock()
}

// RequestSnapshot asks the attached realtime hub to write record id's live
// document back now (records:edit). With no hub attached it answers
// upstream's no-op shape: {Created: false, Version: nil, Timestamp: now}.
func (c *Core) RequestSnapshot(ctx context.Context, actor *User, id string) (SnapshotResult, error) {
	if err := c.require(actor, "records:edit", PermContext{}); err != nil {
		return SnapshotResult{}, err
	}
	c.rec.realtimeMu.Lock()
	s := c.rec.realtime
	c.rec.realtimeMu.Unlock()
	if s == nil {
		return SnapshotResult{Timestamp: time.Now()}, nil
	}
	return s.SnapshotRecord(ctx, id)
}
