-- Our own event outbox (not in upstream): written in the same transaction as
-- the change it describes and tailed by every process sharing the database.
-- AUTOINCREMENT so ids are never reused after pruning (tailers keep a cursor).
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    payload TEXT NOT NULL DEFAULT '{}',
    origin TEXT NOT NULL DEFAULT '',
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
  );
--bun:split
CREATE INDEX IF NOT EXISTS idx_events_created_at ON events(created_at);
