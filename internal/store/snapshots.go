package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// RealtimeSnapshot is a row of realtime_snapshots (upstream's columns):
// the Yjs state of one realtime room. CreatedAt is unix milliseconds, as
// upstream writes it.
type RealtimeSnapshot struct {
	bun.BaseModel `bun:"table:realtime_snapshots,alias:rs"`

	ID            string `bun:"id,pk"`
	RoomID        string `bun:"room_id,notnull"`
	SnapshotData  []byte `bun:"snapshot_data,notnull"`
	Version       int    `bun:"version,notnull"`
	IntegrityHash string `bun:"integrity_hash,notnull"`
	FormatVersion int    `bun:"format_version,notnull"`
	ByteSize      int    `bun:"byte_size,notnull"`
	CreatedAt     int64  `bun:"created_at,notnull"`
}

const snapshotTable = "realtime_snapshots"

// InsertSnapshot writes a snapshot whose version is one more than the
// room's newest; it fills s.Version and s.ID ("<room>-<version>-<created_at>",
// upstream's id). Run it inside InTx so concurrent writers of one room do not
// pick the same version.
func (q Q) InsertSnapshot(ctx context.Context, s *RealtimeSnapshot) error {
	var latest int
	if err := q.idb.NewSelect().Table(snapshotTable).ColumnExpr("coalesce(max(version), 0)").
		Where("room_id = ?", s.RoomID).Scan(ctx, &latest); err != nil {
		return fmt.Errorf("store: snapshot version: %w", err)
	}
	s.Version = latest + 1
	s.ID = fmt.Sprintf("%s-%d-%d", s.RoomID, s.Version, s.CreatedAt)
	_, err := q.idb.NewInsert().Model(s).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: insert snapshot: %w", err)
	}
	return nil
}

// SnapshotsNewestFirst returns up to limit snapshots of a room, newest
// version first (with their data when withData).
func (q Q) SnapshotsNewestFirst(ctx context.Context, roomID string, limit int, withData bool) ([]RealtimeSnapshot, error) {
	var rows []RealtimeSnapshot
	sel := q.idb.NewSelect().Model(&rows).Where("room_id = ?", roomID).
		OrderExpr("version DESC").Limit(int64(limit))
	if !withData {
		sel = sel.ExcludeColumn("snapshot_data")
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: read snapshots: %w", err)
	}
	return rows, nil
}

// PruneSnapshots deletes a room's snapshots older than its newest keep
// versions and returns the deleted rows (without data).
func (q Q) PruneSnapshots(ctx context.Context, roomID string, keep int) ([]RealtimeSnapshot, error) {
	var rows []RealtimeSnapshot
	if err := q.idb.NewSelect().Model(&rows).ExcludeColumn("snapshot_data").
		Where("room_id = ?", roomID).OrderExpr("version DESC").Offset(int64(keep)).Limit(1 << 20).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: prune snapshots: %w", err)
	}
	for _, r := range rows {
		if _, err := q.idb.NewDelete().TableExpr(snapshotTable).Where("id = ?", r.ID).Exec(ctx); err != nil {
			return nil, fmt.Errorf("store: prune snapshots: %w", err)
		}
	}
	return rows, nil
}

// SnapshotsBefore returns snapshots created before the unix-ms time (without
// data), oldest first.
func (q Q) SnapshotsBefore(ctx context.Context, beforeMs int64, limit int) ([]RealtimeSnapshot, error) {
	var rows []RealtimeSnapshot
	if err := q.idb.NewSelect().Model(&rows).ExcludeColumn("snapshot_data").
		Where("created_at < ?", beforeMs).OrderExpr("created_at ASC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("store: expired snapshots: %w", err)
	}
	return rows, nil
}

// DeleteSnapshot deletes one snapshot by id.
func (q Q) DeleteSnapshot(ctx context.Context, id string) error {
	_, err := q.idb.NewDelete().TableExpr(snapshotTable).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: delete snapshot: %w", err)
	}
	return nil
}
