-- Records, drafts, locks and search (civicpress-go additions; upstream
-- ignores these tables and indexes). Idempotent, like every migration here.

-- Document numbers: the last sequence issued per record type and year.
CREATE TABLE IF NOT EXISTS civicgo_doc_sequences (
    record_type TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (record_type, year)
  );
--bun:split
-- Users who edited a draft since the record was last published.
CREATE TABLE IF NOT EXISTS civicgo_draft_contributors (
    record_id TEXT NOT NULL,
    user_id INTEGER NOT NULL,
    username TEXT NOT NULL,
    name TEXT,
    email TEXT,
    added_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (record_id, user_id)
  );
--bun:split
-- What the index reflects (the Git commit it was last known current at,
-- the indexing format version).
CREATE TABLE IF NOT EXISTS civicgo_index_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
--bun:split
-- List orders: upstream sorts by a "kind" priority from the metadata JSON
-- first; these expression indexes serve each sort without a table scan.
CREATE INDEX IF NOT EXISTS civicgo_records_created ON records (
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    created_at DESC, id DESC);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_updated ON records (
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    updated_at DESC, id DESC);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_title ON records (
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    lower(title), created_at DESC, id DESC);
--bun:split
-- Counting by filter (list totals, summary) reads only this index.
CREATE INDEX IF NOT EXISTS civicgo_records_filter ON records (type, status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_path ON records (path);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_drafts_updated ON record_drafts (updated_at DESC, id DESC);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_search_index_record ON search_index (record_id);
--bun:split
-- Redo log of record writes: written in the transaction that updates the
-- index, deleted once the files are written and committed to Git. Replayed
-- after a crash, so no acknowledged write is lost.
CREATE TABLE IF NOT EXISTS civicgo_record_intents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    write_path TEXT,
    content BLOB,
    remove_path TEXT,
    message TEXT NOT NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    events TEXT NOT NULL DEFAULT '[]',
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
  );
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_record_intents_record ON civicgo_record_intents (record_id);
