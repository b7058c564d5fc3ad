-- Realtime scale-out (civicpress-go additions; upstream ignores them).
-- The room update log: every document update a realtime node accepts is
-- appended here before it is relayed to anyone, so that nodes serving the
-- same room share updates and a killed node loses nothing it relayed. Rows
-- are compacted into realtime_snapshots by the room's writer.
-- AUTOINCREMENT: seq is never reused (nodes keep a cursor).
CREATE TABLE IF NOT EXISTS civicgo_realtime_updates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id TEXT NOT NULL,
    node_id TEXT NOT NULL,
    user_id INTEGER NOT NULL DEFAULT 0,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
--bun:split
CREATE INDEX IF NOT EXISTS idx_civicgo_realtime_updates_room ON civicgo_realtime_updates(room_id, seq);
--bun:split
-- The node elected to write a room back (draft, snapshot, compaction), by
-- lease; written_through is the log position its last writeback covered.
CREATE TABLE IF NOT EXISTS civicgo_realtime_rooms (
    room_id TEXT PRIMARY KEY,
    writer_node TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    written_through INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
  );
--bun:split
-- Live realtime nodes (heartbeat), for peers and the snapshot endpoint.
CREATE TABLE IF NOT EXISTS civicgo_realtime_nodes (
    node_id TEXT PRIMARY KEY,
    info TEXT NOT NULL DEFAULT '',
    started_at INTEGER NOT NULL,
    seen_at INTEGER NOT NULL
  );
