package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"
)

// RealtimeUpdate is a row of civicgo_realtime_updates: one Yjs update a
// realtime node accepted for a room. CreatedAt is unix milliseconds.
type RealtimeUpdate struct {
	Seq       int64
	RoomID    string
	NodeID    string
	UserID    int64
	Data      []byte // nil when read back by the node that wrote it
	CreatedAt int64
}

// RealtimeNode is a row of civicgo_realtime_nodes (times in unix ms).
type RealtimeNode struct {
	ID        string
	Info      string
	StartedAt int64
	SeenAt    int64
}

// RealtimeLease is a row of civicgo_realtime_rooms: which node writes a
// room back, until when, and the log position its last writeback covered.
type RealtimeLease struct {
	RoomID         string
	Writer         string
	Until          int64
	WrittenThrough int64
}

// pgRealtimeLock serializes appenders to the update log on PostgreSQL so
// that seq values become visible in seq order: a node reading "seq >
// cursor" never skips a row that commits late with a smaller seq. (SQLite
// has one writer at a time.)
const pgRealtimeLock = 0x72746c67 // "rtlg"

// RealtimeChannel names the PostgreSQL NOTIFY channel of this database and
// schema: channels are database-wide, so nodes of different schemas (tests,
// several projects on one server) must not hear each other.
func (db *DB) RealtimeChannel(ctx context.Context) (string, error) {
	if db.dialect != Postgres {
		return "", nil
	}
	var dbname, schema string
	if err := db.bun.DB.QueryRowContext(ctx, "SELECT current_database(), coalesce(current_schema(), '')").Scan(&dbname, &schema); err != nil {
		return "", fmt.Errorf("store: realtime channel: %w", err)
	}
	sum := sha256.Sum256([]byte(dbname + "\x00" + schema))
	return "civicpress_rt_" + hex.EncodeToString(sum[:6]), nil
}

// AppendRealtimeUpdates appends ups (RoomID, UserID, Data) for node in one
// transaction and returns the seq values given, ascending. On PostgreSQL it
// is one statement: the log lock, a NOTIFY on channel carrying notice, and
// synchronous_commit off for this transaction only (the commit is visible
// to every session at once and survives the death of the node; only a crash
// of the database server itself could lose its last fraction of a second,
// as with SQLite's synchronous=NORMAL on power loss).
func (db *DB) AppendRealtimeUpdates(ctx context.Context, node string, ups []RealtimeUpdate, channel, notice string) ([]int64, error) {
	if len(ups) == 0 {
		return nil, nil
	}
	now := time.Now().UnixMilli()
	if db.dialect == Postgres {
		rooms := make([]string, len(ups))
		users := make([]int64, len(ups))
		data := make([][]byte, len(ups))
		for i, u := range ups {
			rooms[i], users[i], data[i] = u.RoomID, u.UserID, u.Data
		}
		// The lock, NOTIFY and setting sit in a one-row subquery joined to the
		// rows: it is evaluated before any row (and its seq) is produced.
		rows, err := db.bun.DB.QueryContext(ctx, `INSERT INTO civicgo_realtime_updates (room_id, node_id, user_id, data, created_at)
SELECT t.r, $1, t.u, t.d, $2
FROM (SELECT pg_advisory_xact_lock($3), pg_notify($4, $5), set_config('synchronous_commit', 'off', true)) AS l,
     unnest($6::text[], $7::bigint[], $8::bytea[]) AS t(r, u, d)
RETURNING seq`, node, now, int64(pgRealtimeLock), channel, notice, rooms, users, data)
		if err != nil {
			return nil, fmt.Errorf("store: append realtime updates: %w", err)
		}
		defer rows.Close()
		seqs := make([]int64, 0, len(ups))
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				return nil, fmt.Errorf("store: append realtime updates: %w", err)
			}
			seqs = append(seqs, s)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: append realtime updates: %w", err)
		}
		sortInt64s(seqs)
		return seqs, nil
	}
	// SQLite: one multi-row INSERT in a write transaction; with one writer
	// at a time and AUTOINCREMENT, the statement's rows get consecutive seq
	// values ending at the last insert id.
	var seqs []int64
	for start := 0; start < len(ups); start += 500 {
		batch := ups[start:min(len(ups), start+500)]
		var b strings.Builder
		b.WriteString("INSERT INTO civicgo_realtime_updates (room_id, node_id, user_id, data, created_at) VALUES ")
		args := make([]any, 0, 5*len(batch))
		for i, u := range batch {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(?,?,?,?,?)")
			args = append(args, u.RoomID, node, u.UserID, u.Data, now)
		}
		res, err := db.bun.DB.ExecContext(ctx, b.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("store: append realtime updates: %w", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return nil, fmt.Errorf("store: append realtime updates: %w", err)
		}
		for i := range batch {
			seqs = append(seqs, last-int64(len(batch)-1-i))
		}
	}
	return seqs, nil
}

func sortInt64s(s []int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// RealtimeUpdatesAfter returns up to limit rows with seq > after, in seq
// order; rows written by self come without their data (their writer has
// them already).
func (db *DB) RealtimeUpdatesAfter(ctx context.Context, after int64, self string, limit int) ([]RealtimeUpdate, error) {
	q := "SELECT seq, room_id, node_id, user_id, CASE WHEN node_id = ? THEN NULL ELSE data END, created_at " +
		"FROM civicgo_realtime_updates WHERE seq > ? ORDER BY seq LIMIT ?"
	if db.dialect == Postgres {
		q = "SELECT seq, room_id, node_id, user_id, CASE WHEN node_id = $1 THEN NULL ELSE data END, created_at " +
			"FROM civicgo_realtime_updates WHERE seq > $2 ORDER BY seq LIMIT $3"
	}
	return db.scanRealtimeUpdates(ctx, q, self, after, limit)
}

// RealtimeRoomUpdates returns every logged update of a room, in seq order.
func (db *DB) RealtimeRoomUpdates(ctx context.Context, room string) ([]RealtimeUpdate, error) {
	q := "SELECT seq, room_id, node_id, user_id, data, created_at FROM civicgo_realtime_updates WHERE room_id = ? ORDER BY seq"
	if db.dialect == Postgres {
		q = strings.Replace(q, "?", "$1", 1)
	}
	return db.scanRealtimeUpdates(ctx, q, room)
}

// LastRealtimeSeq returns the highest seq in the log (0 when empty).
func (db *DB) LastRealtimeSeq(ctx context.Context) (int64, error) {
	var s int64
	err := db.bun.DB.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM civicgo_realtime_updates").Scan(&s)
	if err != nil {
		return 0, fmt.Errorf("store: realtime log position: %w", err)
	}
	return s, nil
}

func (db *DB) scanRealtimeUpdates(ctx context.Context, q string, args ...any) ([]RealtimeUpdate, error) {
	rows, err := db.bun.DB.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read realtime updates: %w", err)
	}
	defer rows.Close()
	var out []RealtimeUpdate
	for rows.Next() {
		var u RealtimeUpdate
		if err := rows.Scan(&u.Seq, &u.RoomID, &u.NodeID, &u.UserID, &u.Data, &u.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: read realtime updates: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read realtime updates: %w", err)
	}
	return out, nil
}

// SeedRealtimeRoom appends data as the first update of room when the room
// has neither a snapshot nor a logged update, atomically with respect to
// other seeders; it reports whether it did. Two nodes opening a new room
// at once thus agree on one seed.
func (db *DB) SeedRealtimeRoom(ctx context.Context, room, node string, data []byte) (bool, error) {
	seeded := false
	err := db.InTx(ctx, func(q Q) error {
		if q.dialect == Postgres {
			if _, err := q.idb.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(pgRealtimeLock)); err != nil {
				return err
			}
		}
		var n int
		if err := q.idb.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM civicgo_realtime_updates WHERE room_id = ?) + "+
			"(SELECT count(*) FROM realtime_snapshots WHERE room_id = ?)", room, room).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := q.idb.ExecContext(ctx, "INSERT INTO civicgo_realtime_updates (room_id, node_id, user_id, data, created_at) VALUES (?, ?, 0, ?, ?)",
			room, node, data, time.Now().UnixMilli()); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: seed realtime room: %w", err)
	}
	return seeded, nil
}

// DeleteRealtimeUpdates deletes room's logged updates with seq ≤ through
// (compaction: they are in a snapshot written in the same transaction).
func (q Q) DeleteRealtimeUpdates(ctx context.Context, room string, through int64) (int64, error) {
	res, err := q.idb.ExecContext(ctx, "DELETE FROM civicgo_realtime_updates WHERE room_id = ? AND seq <= ?", room, through)
	if err != nil {
		return 0, fmt.Errorf("store: compact realtime updates: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// DeleteRealtimeUpdatesBefore deletes logged updates older than the unix-ms
// time of rooms in none of keep (expiry of rooms nobody has open).
func (db *DB) DeleteRealtimeUpdatesBefore(ctx context.Context, beforeMs int64, keep []string) (int64, error) {
	q := db.bun.NewDelete().TableExpr("civicgo_realtime_updates").Where("created_at < ?", beforeMs)
	if len(keep) > 0 {
		q = q.Where("room_id NOT IN (?)", bun.In(keep))
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: expire realtime updates: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// ResetRealtimeRoom deletes every logged update of room (a log that no
// longer decodes without the snapshot it was compacted into).
func (db *DB) ResetRealtimeRoom(ctx context.Context, room string) error {
	_, err := db.bun.NewDelete().TableExpr("civicgo_realtime_updates").Where("room_id = ?", room).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store: reset realtime room: %w", err)
	}
	return nil
}

// ClaimRealtimeRoom makes node the writer of room until the unix-ms time
// until when nobody holds the lease, it has expired at now, or node holds it
// already (a renewal). It returns whether node holds it now, and the lease
// as it was before (zero when there was none).
func (db *DB) ClaimRealtimeRoom(ctx context.Context, room, node string, now, until int64) (bool, RealtimeLease, error) {
	prev, err := db.RealtimeLease(ctx, room)
	if err != nil {
		return false, prev, err
	}
	res, err := db.bun.ExecContext(ctx, "INSERT INTO civicgo_realtime_rooms (room_id, writer_node, lease_until, written_through, updated_at) "+
		"VALUES (?, ?, ?, 0, ?) ON CONFLICT (room_id) DO UPDATE SET writer_node = excluded.writer_node, "+
		"lease_until = excluded.lease_until, updated_at = excluded.updated_at "+
		"WHERE civicgo_realtime_rooms.writer_node = excluded.writer_node OR civicgo_realtime_rooms.lease_until < ?",
		room, node, until, now, now)
	if err != nil {
		return false, prev, fmt.Errorf("store: claim realtime room: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, prev, nil
}

// RealtimeLease returns the lease row of room (zero when none).
func (db *DB) RealtimeLease(ctx context.Context, room string) (RealtimeLease, error) {
	l := RealtimeLease{RoomID: room}
	err := db.bun.QueryRowContext(ctx, "SELECT writer_node, lease_until, written_through FROM civicgo_realtime_rooms WHERE room_id = ?", room).
		Scan(&l.Writer, &l.Until, &l.WrittenThrough)
	if errors.Is(err, sql.ErrNoRows) {
		return RealtimeLease{RoomID: room}, nil
	}
	if err != nil {
		return l, fmt.Errorf("store: realtime lease: %w", err)
	}
	return l, nil
}

// RenewRealtimeLeases extends every lease node holds to until and returns
// the rooms it still holds (a lease lost while the node was paused is not
// renewed).
func (db *DB) RenewRealtimeLeases(ctx context.Context, node string, now, until int64) ([]string, error) {
	rows, err := db.bun.QueryContext(ctx, "UPDATE civicgo_realtime_rooms SET lease_until = ?, updated_at = ? "+
		"WHERE writer_node = ? AND lease_until >= ? RETURNING room_id", until, now, node, now)
	if err != nil {
		return nil, fmt.Errorf("store: renew realtime leases: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("store: renew realtime leases: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ExpiredRealtimeLeases lists leases that ended before now (their writer
// stopped renewing: it died or lost the database).
func (db *DB) ExpiredRealtimeLeases(ctx context.Context, now int64) ([]RealtimeLease, error) {
	rows, err := db.bun.QueryContext(ctx, "SELECT room_id, writer_node, lease_until, written_through FROM civicgo_realtime_rooms WHERE lease_until < ?", now)
	if err != nil {
		return nil, fmt.Errorf("store: expired realtime leases: %w", err)
	}
	defer rows.Close()
	var out []RealtimeLease
	for rows.Next() {
		var l RealtimeLease
		if err := rows.Scan(&l.RoomID, &l.Writer, &l.Until, &l.WrittenThrough); err != nil {
			return nil, fmt.Errorf("store: expired realtime leases: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ActiveRealtimeRooms lists the rooms some node holds a live lease on.
func (db *DB) ActiveRealtimeRooms(ctx context.Context, now int64) ([]string, error) {
	var out []string
	err := db.bun.NewRaw("SELECT room_id FROM civicgo_realtime_rooms WHERE lease_until >= ?", now).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("store: active realtime rooms: %w", err)
	}
	return out, nil
}

// MarkRealtimeWritten records that node's writeback of room covered the log
// through seq, if node still holds the lease; it reports whether it did.
func (db *DB) MarkRealtimeWritten(ctx context.Context, room, node string, through int64) (bool, error) {
	res, err := db.bun.ExecContext(ctx, "UPDATE civicgo_realtime_rooms SET written_through = ? "+
		"WHERE room_id = ? AND writer_node = ? AND written_through < ?", through, room, node, through)
	if err != nil {
		return false, fmt.Errorf("store: mark realtime written: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseRealtimeRoom gives up node's lease on room (it closed the room
// after writing it back).
func (db *DB) ReleaseRealtimeRoom(ctx context.Context, room, node string) error {
	_, err := db.bun.ExecContext(ctx, "DELETE FROM civicgo_realtime_rooms WHERE room_id = ? AND writer_node = ?", room, node)
	if err != nil {
		return fmt.Errorf("store: release realtime room: %w", err)
	}
	return nil
}

// HeartbeatRealtimeNode records that node is alive at now (unix ms).
func (db *DB) HeartbeatRealtimeNode(ctx context.Context, node, info string, now int64) error {
	_, err := db.bun.ExecContext(ctx, "INSERT INTO civicgo_realtime_nodes (node_id, info, started_at, seen_at) VALUES (?, ?, ?, ?) "+
		"ON CONFLICT (node_id) DO UPDATE SET seen_at = excluded.seen_at, info = excluded.info", node, info, now, now)
	if err != nil {
		return fmt.Errorf("store: realtime heartbeat: %w", err)
	}
	return nil
}

// RemoveRealtimeNode deletes node's registration (a clean shutdown) and
// registrations not seen since staleBefore (nodes that died).
func (db *DB) RemoveRealtimeNode(ctx context.Context, node string, staleBefore int64) error {
	_, err := db.bun.ExecContext(ctx, "DELETE FROM civicgo_realtime_nodes WHERE node_id = ? OR seen_at < ?", node, staleBefore)
	if err != nil {
		return fmt.Errorf("store: remove realtime node: %w", err)
	}
	return nil
}

// RealtimeNodes lists the nodes seen since the unix-ms time.
func (db *DB) RealtimeNodes(ctx context.Context, since int64) ([]RealtimeNode, error) {
	rows, err := db.bun.QueryContext(ctx, "SELECT node_id, info, started_at, seen_at FROM civicgo_realtime_nodes WHERE seen_at >= ? ORDER BY node_id", since)
	if err != nil {
		return nil, fmt.Errorf("store: realtime nodes: %w", err)
	}
	defer rows.Close()
	var out []RealtimeNode
	for rows.Next() {
		var n RealtimeNode
		if err := rows.Scan(&n.ID, &n.Info, &n.StartedAt, &n.SeenAt); err != nil {
			return nil, fmt.Errorf("store: realtime nodes: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// NotifyRealtime sends payload on channel (PostgreSQL; a no-op on SQLite).
func (db *DB) NotifyRealtime(ctx context.Context, channel, payload string) error {
	if db.dialect != Postgres {
		return nil
	}
	if _, err := db.bun.DB.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, payload); err != nil {
		return fmt.Errorf("store: realtime notify: %w", err)
	}
	return nil
}

// ListenRealtime calls fn with the payload of every NOTIFY on channel until
// ctx ends, reconnecting after errors; after a reconnect (when notices may
// have been missed) it calls fn with "". It returns at once on SQLite.
// fn runs on the listening goroutine: it must not block.
func (db *DB) ListenRealtime(ctx context.Context, channel string, ready func(), fn func(payload string)) {
	if db.dialect != Postgres {
		return
	}
	first := true
	for ctx.Err() == nil {
		err := db.listenRealtimeOnce(ctx, channel, func() {
			if first {
				first = false
				if ready != nil {
					ready()
				}
			} else {
				fn("")
			}
		}, fn)
		if ctx.Err() != nil {
			return
		}
		db.log.Warn("realtime listener reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (db *DB) listenRealtimeOnce(ctx context.Context, channel string, listening func(), fn func(string)) error {
	conn, err := pgx.Connect(ctx, db.pgURL)
	if err != nil {
		return fmt.Errorf("store: listen connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
