package civicpress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
)

// Snapshot rules shared with upstream's realtime module.
const (
	// SnapshotFormat is the format_version written; newer rows are not loaded.
	SnapshotFormat = 1
	// SnapshotsKept is how many versions of a room are kept.
	SnapshotsKept = 3
	// SnapshotTTL is how long snapshots of a room nobody has open are kept.
	SnapshotTTL = 48 * time.Hour
)

// Snapshot is one row of realtime_snapshots: the Yjs state of a realtime
// room (Y.encodeStateAsUpdate) with its SHA-256.
type Snapshot struct {
	ID            string
	RoomID        string // e.g. "records:record-1736935200000"
	Version       int
	Data          []byte // empty when listed without data
	IntegrityHash string // hex SHA-256 of Data
	FormatVersion int
	ByteSize      int
	CreatedAt     time.Time
}

// Verify reports whether the snapshot's data matches its hash and its
// format is one this version reads.
func (s *Snapshot) Verify() bool {
	sum := sha256.Sum256(s.Data)
	return s.FormatVersion <= SnapshotFormat && hex.EncodeToString(sum[:]) == s.IntegrityHash
}

// Snapshots stores realtime room snapshots in the project database, in
// upstream's table, so either implementation reads the other's rows.
type Snapshots struct{ c *Core }

// Snapshots returns the realtime snapshot store.
func (c *Core) Snapshots() *Snapshots { return &Snapshots{c: c} }

func snapshotFromRow(r store.RealtimeSnapshot) Snapshot {
	return Snapshot{ID: r.ID, RoomID: r.RoomID, Version: r.Version, Data: r.SnapshotData,
		IntegrityHash: r.IntegrityHash, FormatVersion: r.FormatVersion, ByteSize: r.ByteSize,
		CreatedAt: time.UnixMilli(r.CreatedAt).UTC()}
}

// Save writes data as the room's next version and deletes versions beyond
// the newest SnapshotsKept, returning the new snapshot and the pruned ones.
func (s *Snapshots) Save(ctx context.Context, roomID string, data []byte) (Snapshot, []Snapshot, error) {
	sum := sha256.Sum256(data)
	row := store.RealtimeSnapshot{RoomID: roomID, SnapshotData: data, IntegrityHash: hex.EncodeToString(sum[:]),
		FormatVersion: SnapshotFormat, ByteSize: len(data), CreatedAt: time.Now().UnixMilli()}
	var pruned []store.RealtimeSnapshot
	err := s.c.db.InTx(ctx, func(q store.Q) error {
		if err := q.InsertSnapshot(ctx, &row); err != nil {
			return err
		}
		var err error
		pruned, err = q.PruneSnapshots(ctx, roomID, SnapshotsKept)
		return err
	})
	if err != nil {
		return Snapshot{}, nil, fmt.Errorf("civicpress: save snapshot of %s: %w", roomID, err)
	}
	out := make([]Snapshot, len(pruned))
	for i, p := range pruned {
		out[i] = snapshotFromRow(p)
	}
	return snapshotFromRow(row), out, nil
}

// SaveAndCompact is Save that, in the same transaction, deletes the room's
// realtime log updates with seq ≤ through (the realtime hub passes the log
// position an earlier snapshot covered, so one generation of log stays
// behind the newest snapshot and a corrupt newest snapshot falls back to
// the previous one without losing edits). It returns the number of log
// updates deleted.
func (s *Snapshots) SaveAndCompact(ctx context.Context, roomID string, data []byte, through int64) (Snapshot, []Snapshot, int64, error) {
	sum := sha256.Sum256(data)
	row := store.RealtimeSnapshot{RoomID: roomID, SnapshotData: data, IntegrityHash: hex.EncodeToString(sum[:]),
		FormatVersion: SnapshotFormat, ByteSize: len(data), CreatedAt: time.Now().UnixMilli()}
	var pruned []store.RealtimeSnapshot
	var deleted int64
	err := s.c.db.InTx(ctx, func(q store.Q) error {
		if err := q.InsertSnapshot(ctx, &row); err != nil {
			return err
		}
		var err error
		if pruned, err = q.PruneSnapshots(ctx, roomID, SnapshotsKept); err != nil {
			return err
		}
		if through > 0 {
			deleted, err = q.DeleteRealtimeUpdates(ctx, roomID, through)
		}
		return err
	})
	if err != nil {
		return Snapshot{}, nil, 0, fmt.Errorf("civicpress: save snapshot of %s: %w", roomID, err)
	}
	out := make([]Snapshot, len(pruned))
	for i, p := range pruned {
		out[i] = snapshotFromRow(p)
	}
	return snapshotFromRow(row), out, deleted, nil
}

// Latest returns the newest snapshot of a room without its data, or nil.
func (s *Snapshots) Latest(ctx context.Context, roomID string) (*Snapshot, error) {
	rows, err := s.c.db.Q().SnapshotsNewestFirst(ctx, roomID, 1, false)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	sn := snapshotFromRow(rows[0])
	return &sn, nil
}

// LoadVerified returns the newest snapshot of a room that verifies (nil when
// none does), and the newer ones that did not verify (corrupt or of a newer
// format), which are kept for diagnosis. Upstream only looked at the newest
// row, so one corrupt write lost the room's history; here the previous
// verified version is used.
func (s *Snapshots) LoadVerified(ctx context.Context, roomID string) (*Snapshot, []Snapshot, error) {
	rows, err := s.c.db.Q().SnapshotsNewestFirst(ctx, roomID, SnapshotsKept+5, true)
	if err != nil {
		return nil, nil, err
	}
	var rejected []Snapshot
	for _, r := range rows {
		sn := snapshotFromRow(r)
		if sn.Verify() {
			return &sn, rejected, nil
		}
		sn.Data = nil
		rejected = append(rejected, sn)
	}
	return nil, rejected, nil
}

// CreatedBefore lists snapshots (without data) created before t, oldest
// first, at most limit.
func (s *Snapshots) CreatedBefore(ctx context.Context, t time.Time, limit int) ([]Snapshot, error) {
	rows, err := s.c.db.Q().SnapshotsBefore(ctx, t.UnixMilli(), limit)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, len(rows))
	for i, r := range rows {
		out[i] = snapshotFromRow(r)
	}
	return out, nil
}

// Delete removes one snapshot.
func (s *Snapshots) Delete(ctx context.Context, id string) error {
	return s.c.db.Q().DeleteSnapshot(ctx, id)
}
