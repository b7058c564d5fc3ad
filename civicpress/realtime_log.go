package civicpress

import (
	"context"
	"fmt"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
)

// RealtimeNodeTimeout is how long a realtime node may go without a
// heartbeat before other nodes and processes count it as gone.
const RealtimeNodeTimeout = 10 * time.Second

// RealtimeLog is the database side of running several realtime hubs (nodes)
// on one project: the per-room update log that nodes share (append, read
// after a cursor, seed, compact through Snapshots.SaveAndCompact), the
// writer lease that elects one node per room to write it back, the node
// registry (heartbeats), and the wake-ups between nodes (PostgreSQL
// LISTEN/NOTIFY; SQLite nodes poll). The realtime package is its user.
type RealtimeLog struct{ c *Core }

// RealtimeLog returns the realtime update log of the project database.
func (c *Core) RealtimeLog() *RealtimeLog { return &RealtimeLog{c: c} }

// LoggedUpdate is one Yjs update in the log.
type LoggedUpdate struct {
	Seq    int64
	RoomID string
	NodeID string
	UserID int64  // the editor (0: the seed)
	Data   []byte // nil when read back by the node that wrote it
	At     time.Time
}

// RoomLease says which node writes a room back until when, and through
// which log position its last writeback went.
type RoomLease struct {
	RoomID         string
	Writer         string // "" when nobody holds it
	Until          time.Time
	WrittenThrough int64
}

// RealtimeNode is a live realtime node.
type RealtimeNode struct {
	ID      string
	Info    string
	Started time.Time
	Seen    time.Time
}

func loggedFromRow(r store.RealtimeUpdate) LoggedUpdate {
	return LoggedUpdate{Seq: r.Seq, RoomID: r.RoomID, NodeID: r.NodeID, UserID: r.UserID, Data: r.Data, At: time.UnixMilli(r.CreatedAt)}
}

func loggedFromRows(rows []store.RealtimeUpdate) []LoggedUpdate {
	out := make([]LoggedUpdate, len(rows))
	for i, r := range rows {
		out[i] = loggedFromRow(r)
	}
	return out
}

func leaseFromRow(l store.RealtimeLease) RoomLease {
	out := RoomLease{RoomID: l.RoomID, Writer: l.Writer, WrittenThrough: l.WrittenThrough}
	if l.Until > 0 {
		out.Until = time.UnixMilli(l.Until)
	}
	return out
}

// Postgres reports whether the log is on PostgreSQL (nodes are woken by
// NOTIFY) rather than SQLite (nodes poll).
func (l *RealtimeLog) Postgres() bool { return l.c.db.Dialect() == store.Postgres }

// Channel is the NOTIFY channel of this database and schema ("" on SQLite).
func (l *RealtimeLog) Channel(ctx context.Context) (string, error) {
	return l.c.db.RealtimeChannel(ctx)
}

// Append writes ups (RoomID, UserID, Data) for node in one transaction that
// also sends notice on channel (PostgreSQL), and returns their seq values in
// ascending order. When it returns, the updates are committed.
func (l *RealtimeLog) Append(ctx context.Context, node string, ups []LoggedUpdate, channel, notice string) ([]int64, error) {
	rows := make([]store.RealtimeUpdate, len(ups))
	for i, u := range ups {
		rows[i] = store.RealtimeUpdate{RoomID: u.RoomID, UserID: u.UserID, Data: u.Data}
	}
	return l.c.db.AppendRealtimeUpdates(ctx, node, rows, channel, notice)
}

// After returns up to limit updates with seq > after, in seq order; those
// written by self come without data.
func (l *RealtimeLog) After(ctx context.Context, after int64, self string, limit int) ([]LoggedUpdate, error) {
	rows, err := l.c.db.RealtimeUpdatesAfter(ctx, after, self, limit)
	return loggedFromRows(rows), err
}

// Room returns every logged update of a room, in seq order.
func (l *RealtimeLog) Room(ctx context.Context, room string) ([]LoggedUpdate, error) {
	rows, err := l.c.db.RealtimeRoomUpdates(ctx, room)
	return loggedFromRows(rows), err
}

// Last returns the highest seq in the log (0 when empty).
func (l *RealtimeLog) Last(ctx context.Context) (int64, error) { return l.c.db.LastRealtimeSeq(ctx) }

// Seed appends data as the first update of a room that has neither a
// snapshot nor a logged update, and reports whether it did (another node
// may have seeded it first: then read the room again).
func (l *RealtimeLog) Seed(ctx context.Context, room, node string, data []byte) (bool, error) {
	return l.c.db.SeedRealtimeRoom(ctx, room, node, data)
}

// Reset deletes every logged update of a room.
func (l *RealtimeLog) Reset(ctx context.Context, room string) error {
	return l.c.db.ResetRealtimeRoom(ctx, room)
}

// ExpireBefore deletes updates logged before t in rooms other than keep.
func (l *RealtimeLog) ExpireBefore(ctx context.Context, t time.Time, keep []string) (int64, error) {
	return l.c.db.DeleteRealtimeUpdatesBefore(ctx, t.UnixMilli(), keep)
}

// Claim makes node the writer of room for d when nobody holds the lease,
// it has expired, or node holds it (a renewal). It returns whether node
// holds it now and the lease as it was before.
func (l *RealtimeLog) Claim(ctx context.Context, room, node string, d time.Duration) (bool, RoomLease, error) {
	now := time.Now()
	ok, prev, err := l.c.db.ClaimRealtimeRoom(ctx, room, node, now.UnixMilli(), now.Add(d).UnixMilli())
	return ok, leaseFromRow(prev), err
}

// Lease returns the lease of a room (Writer "" when none).
func (l *RealtimeLog) Lease(ctx context.Context, room string) (RoomLease, error) {
	row, err := l.c.db.RealtimeLease(ctx, room)
	return leaseFromRow(row), err
}

// Renew extends every lease node holds by d and returns the rooms it holds.
func (l *RealtimeLog) Renew(ctx context.Context, node string, d time.Duration) ([]string, error) {
	now := time.Now()
	return l.c.db.RenewRealtimeLeases(ctx, node, now.UnixMilli(), now.Add(d).UnixMilli())
}

// Expired lists leases whose writer stopped renewing them.
func (l *RealtimeLog) Expired(ctx context.Context) ([]RoomLease, error) {
	rows, err := l.c.db.ExpiredRealtimeLeases(ctx, time.Now().UnixMilli())
	out := make([]RoomLease, len(rows))
	for i, r := range rows {
		out[i] = leaseFromRow(r)
	}
	return out, err
}

// ActiveRooms lists the rooms some node holds a live lease on (rooms open
// somewhere).
func (l *RealtimeLog) ActiveRooms(ctx context.Context) ([]string, error) {
	return l.c.db.ActiveRealtimeRooms(ctx, time.Now().UnixMilli())
}

// MarkWritten records that node wrote room back through log position seq,
// if node still holds its lease.
func (l *RealtimeLog) MarkWritten(ctx context.Context, room, node string, seq int64) (bool, error) {
	return l.c.db.MarkRealtimeWritten(ctx, room, node, seq)
}

// Release gives up node's lease on room.
func (l *RealtimeLog) Release(ctx context.Context, room, node string) error {
	return l.c.db.ReleaseRealtimeRoom(ctx, room, node)
}

// Heartbeat registers node (info: host, pid, address) as alive now.
func (l *RealtimeLog) Heartbeat(ctx context.Context, node, info string) error {
	return l.c.db.HeartbeatRealtimeNode(ctx, node, info, time.Now().UnixMilli())
}

// Leave unregisters node (and nodes gone for long).
func (l *RealtimeLog) Leave(ctx context.Context, node string) error {
	return l.c.db.RemoveRealtimeNode(ctx, node, time.Now().Add(-24*time.Hour).UnixMilli())
}

// Nodes lists the realtime nodes seen within RealtimeNodeTimeout.
func (l *RealtimeLog) Nodes(ctx context.Context) ([]RealtimeNode, error) {
	rows, err := l.c.db.RealtimeNodes(ctx, time.Now().Add(-RealtimeNodeTimeout).UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("civicpress: %w", err)
	}
	out := make([]RealtimeNode, len(rows))
	for i, r := range rows {
		out[i] = RealtimeNode{ID: r.ID, Info: r.Info, Started: time.UnixMilli(r.StartedAt), Seen: time.UnixMilli(r.SeenAt)}
	}
	return out, nil
}

// Notify sends payload on channel (PostgreSQL only).
func (l *RealtimeLog) Notify(ctx context.Context, channel, payload string) error {
	return l.c.db.NotifyRealtime(ctx, channel, payload)
}

// Listen calls fn with each NOTIFY payload on channel until ctx ends
// (PostgreSQL; it returns at once on SQLite). ready runs once the first
// LISTEN is in place; after a reconnect fn gets "" (notices may have been
// missed). fn must not block.
func (l *RealtimeLog) Listen(ctx context.Context, channel string, ready func(), fn func(payload string)) {
	l.c.db.ListenRealtime(ctx, channel, ready, fn)
}
