-- Upstream CivicPress tables, exactly as a fresh upstream instance has them
-- (shared/upstream/schema.sql), so that either implementation reads the other's
-- rows. IF NOT EXISTS everywhere: on an upstream civic.db this adopts the
-- existing schema unchanged, and two processes migrating at once cannot clash.
CREATE TABLE IF NOT EXISTS schema_migrations (
    id TEXT PRIMARY KEY,
    outcome TEXT NOT NULL,
    applied_at DATETIME DEFAULT CURRENT_TIMESTAMP
  );
--bun:split
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT UNIQUE NOT NULL,
    role TEXT NOT NULL,
    email TEXT,
    name TEXT,
    avatar_url TEXT,
    password_hash TEXT,
    auth_provider TEXT DEFAULT 'password',
    provider_user_id TEXT,
    email_verified BOOLEAN DEFAULT FALSE,
    pending_email TEXT,
    pending_email_token TEXT,
    pending_email_expires DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
  );
--bun:split
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash TEXT UNIQUE NOT NULL,
    user_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    expires_at DATETIME,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users (id)
  );
--bun:split
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT UNIQUE NOT NULL,
    user_id INTEGER NOT NULL,
    expires_at DATETIME NOT NULL,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users (id)
  );
--bun:split
CREATE TABLE IF NOT EXISTS search_index (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT,
    tags TEXT,
    metadata TEXT,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    title_normalized TEXT,
    content_preview TEXT,
    word_count INTEGER,
    UNIQUE(record_id, record_type)
  );
--bun:split
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT DEFAULT 'draft',
    workflow_state TEXT DEFAULT 'draft',
    content TEXT,
    metadata TEXT,
    geography TEXT,
    attached_files TEXT,
    linked_records TEXT,
    linked_geography_files TEXT,
    path TEXT,
    author TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
  );
--bun:split
CREATE TABLE IF NOT EXISTS audit_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER,
    action TEXT NOT NULL,
    resource_type TEXT,
    resource_id TEXT,
    details TEXT,
    ip_address TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users (id)
  );
--bun:split
CREATE TABLE IF NOT EXISTS storage_files (
    id TEXT PRIMARY KEY, -- UUID
    original_name TEXT NOT NULL,
    stored_filename TEXT NOT NULL,
    folder TEXT NOT NULL,
    relative_path TEXT NOT NULL,
    provider_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime_type TEXT NOT NULL,
    description TEXT,
    uploaded_by TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
  );
--bun:split
CREATE TABLE IF NOT EXISTS geography_files (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT,
    srid INTEGER DEFAULT 4326,
    bounds TEXT,
    metadata TEXT,
    file_path TEXT NOT NULL,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
  );
--bun:split
CREATE TABLE IF NOT EXISTS email_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    token TEXT UNIQUE NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('initial', 'change')),
    expires_at DATETIME NOT NULL,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
  );
--bun:split
CREATE TABLE IF NOT EXISTS record_drafts (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT DEFAULT 'draft',
    workflow_state TEXT DEFAULT 'draft',
    markdown_body TEXT,
    metadata TEXT,
    geography TEXT,
    attached_files TEXT,
    linked_records TEXT,
    linked_geography_files TEXT,
    author TEXT,
    created_by TEXT,
    last_draft_saved_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
  );
--bun:split
CREATE TABLE IF NOT EXISTS record_locks (
    record_id TEXT PRIMARY KEY,
    locked_by TEXT NOT NULL,
    locked_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    expires_at DATETIME
  );
--bun:split
CREATE TABLE IF NOT EXISTS saga_states (
    id TEXT PRIMARY KEY,
    saga_type TEXT NOT NULL,
    saga_version TEXT,
    context TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'executing', 'completed', 'failed', 'compensating', 'compensated')),
    current_step INTEGER DEFAULT 0,
    step_results TEXT NOT NULL DEFAULT '[]',
    started_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    completed_at DATETIME,
    error TEXT,
    compensation_status TEXT CHECK (compensation_status IN ('pending', 'executing', 'completed', 'failed', 'partial')),
    compensation_completed_at DATETIME,
    compensation_error TEXT,
    idempotency_key TEXT UNIQUE,
    correlation_id TEXT NOT NULL
  );
--bun:split
CREATE TABLE IF NOT EXISTS saga_resource_locks (
    resource_key TEXT PRIMARY KEY,
    saga_id TEXT NOT NULL,
    acquired_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at DATETIME NOT NULL,
    FOREIGN KEY (saga_id) REFERENCES saga_states(id) ON DELETE CASCADE
  );
--bun:split
CREATE TABLE IF NOT EXISTS login_attempts (
    username TEXT PRIMARY KEY,
    failed_count INTEGER NOT NULL DEFAULT 0,
    first_failed_at DATETIME,
    last_failed_at DATETIME,
    locked_until DATETIME
  );
--bun:split
CREATE TABLE IF NOT EXISTS password_reset_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    token_hash TEXT UNIQUE NOT NULL,
    expires_at DATETIME NOT NULL,
    consumed_at DATETIME,
    created_ip TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
  );
--bun:split
CREATE TABLE IF NOT EXISTS operator_notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    severity TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'critical', 'action')),
    title TEXT NOT NULL,
    body TEXT,
    data TEXT,
    status TEXT NOT NULL DEFAULT 'unread' CHECK (status IN ('unread', 'read', 'dismissed')),
    audience_role TEXT,
    dedupe_key TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    read_at DATETIME,
    dismissed_at DATETIME
  );
--bun:split
CREATE TABLE IF NOT EXISTS realtime_snapshots (
              id TEXT PRIMARY KEY, room_id TEXT NOT NULL,
              snapshot_data BLOB NOT NULL, version INTEGER NOT NULL,
              integrity_hash TEXT NOT NULL DEFAULT '',
              format_version INTEGER NOT NULL DEFAULT 1,
              byte_size INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL
            );
--bun:split
CREATE INDEX IF NOT EXISTS idx_saga_status ON saga_states(status);
--bun:split
CREATE INDEX IF NOT EXISTS idx_saga_type ON saga_states(saga_type);
--bun:split
CREATE INDEX IF NOT EXISTS idx_idempotency_key ON saga_states(idempotency_key);
--bun:split
CREATE INDEX IF NOT EXISTS idx_correlation_id ON saga_states(correlation_id);
--bun:split
CREATE INDEX IF NOT EXISTS idx_saga_started_at ON saga_states(started_at);
--bun:split
CREATE INDEX IF NOT EXISTS idx_saga_resource_locks_saga ON saga_resource_locks(saga_id);
--bun:split
CREATE INDEX IF NOT EXISTS idx_saga_resource_locks_expires ON saga_resource_locks(expires_at);
--bun:split
CREATE INDEX IF NOT EXISTS idx_records_updated_at ON records(updated_at DESC);
--bun:split
CREATE INDEX IF NOT EXISTS idx_records_created_at ON records(created_at DESC);
--bun:split
CREATE INDEX IF NOT EXISTS idx_records_title ON records(title COLLATE NOCASE);
--bun:split
CREATE INDEX IF NOT EXISTS idx_search_index_updated_at ON search_index(updated_at DESC);
--bun:split
CREATE INDEX IF NOT EXISTS idx_search_index_title ON search_index(title COLLATE NOCASE);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS idx_users_provider_identity
      ON users(auth_provider, provider_user_id)
      WHERE provider_user_id IS NOT NULL;
--bun:split
CREATE INDEX IF NOT EXISTS idx_realtime_snapshots_room_id ON realtime_snapshots(room_id);
--bun:split
CREATE INDEX IF NOT EXISTS realtime_snapshots_created_at_idx ON realtime_snapshots(created_at);
--bun:split
CREATE VIRTUAL TABLE IF NOT EXISTS search_index_fts5 USING fts5(
        record_id UNINDEXED,
        record_type UNINDEXED,
        title,
        content,
        tags,
        metadata UNINDEXED,
        content='search_index',
        content_rowid='rowid'
      );
--bun:split
CREATE TRIGGER IF NOT EXISTS search_index_fts5_insert
      AFTER INSERT ON search_index
      BEGIN
        INSERT INTO search_index_fts5(rowid, record_id, record_type, title, content, tags, metadata)
        VALUES (new.rowid, new.record_id, new.record_type, new.title, new.content, new.tags, new.metadata);
      END;
--bun:split
CREATE TRIGGER IF NOT EXISTS search_index_fts5_delete
      AFTER DELETE ON search_index
      BEGIN
        INSERT INTO search_index_fts5(search_index_fts5, rowid, record_id, record_type, title, content, tags, metadata)
        VALUES('delete', old.rowid, old.record_id, old.record_type, old.title, old.content, old.tags, old.metadata);
      END;
--bun:split
CREATE TRIGGER IF NOT EXISTS search_index_fts5_update
      AFTER UPDATE ON search_index
      BEGIN
        INSERT INTO search_index_fts5(search_index_fts5, rowid, record_id, record_type, title, content, tags, metadata)
        VALUES('delete', old.rowid, old.record_id, old.record_type, old.title, old.content, old.tags, old.metadata);
        INSERT INTO search_index_fts5(rowid, record_id, record_type, title, content, tags, metadata)
        VALUES (new.rowid, new.record_id, new.record_type, new.title, new.content, new.tags, new.metadata);
      END;
