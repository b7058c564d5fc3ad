-- Fast broad searches and deep list pages (civicpress-go additions).
-- Idempotent, like every migration here.

-- Index generations: a counter per index ('search': the search entries;
-- 'records': the records table), bumped once per writing transaction, so
-- totals are cached per generation instead of being recounted on every
-- page. The trigger is a deferred constraint trigger: it runs at commit,
-- after every statement of the transaction, so the counter row is the last
-- lock a writer takes and can never close a deadlock cycle with the locks
-- the write path takes itself.
CREATE TABLE IF NOT EXISTS civicgo_index_gen (
    name TEXT PRIMARY KEY,
    n BIGINT NOT NULL DEFAULT 0
  );
--bun:split
INSERT INTO civicgo_index_gen (name, n) VALUES ('search', 0), ('records', 0) ON CONFLICT (name) DO NOTHING;
--bun:split
CREATE OR REPLACE FUNCTION civicgo_bump_index_gen() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  flag text := 'civicgo.gen_' || TG_ARGV[0];
  tx text := txid_current()::text;
BEGIN
  IF coalesce(current_setting(flag, true), '') <> tx THEN
    PERFORM set_config(flag, tx, true);
    UPDATE civicgo_index_gen SET n = n + 1 WHERE name = TG_ARGV[0];
  END IF;
  RETURN NULL;
END $$;
--bun:split
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'civicgo_gen_search' AND tgrelid = 'search_index'::regclass) THEN
    CREATE CONSTRAINT TRIGGER civicgo_gen_search AFTER INSERT OR UPDATE OR DELETE ON search_index
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION civicgo_bump_index_gen('search');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'civicgo_gen_records' AND tgrelid = 'records'::regclass) THEN
    CREATE CONSTRAINT TRIGGER civicgo_gen_records AFTER INSERT OR UPDATE OR DELETE ON records
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION civicgo_bump_index_gen('records');
  END IF;
END $$;
--bun:split
-- The title tier of relevance: the search entries' titles alone (their
-- weight-A lexemes) in narrow rows, k being the rank within the tier, so a
-- page of the best title matches is read in k order without ranking every
-- match. k = (title tokens, at most 1023) << 40 | (2^40 - 1 - id): fewer
-- title tokens first (the query is more of the title), then the newer
-- entry; the same order as on SQLite. Kept by a trigger on search_index.
CREATE OR REPLACE FUNCTION civicgo_title_key(title text, id bigint) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (least(length(title) - length(replace(title, ' ', '')) + 1, 1023)::bigint << 40) + (1099511627775 - id)
$$;
--bun:split
CREATE TABLE IF NOT EXISTS civicgo_search_titles (
    si_id BIGINT PRIMARY KEY,
    k BIGINT NOT NULL,
    record_type TEXT NOT NULL,
    status TEXT NOT NULL,
    tsv tsvector
  );
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS civicgo_search_titles_k ON civicgo_search_titles (k);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_search_titles_tsv ON civicgo_search_titles USING GIN (tsv);
--bun:split
CREATE OR REPLACE FUNCTION civicgo_sync_search_title() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.id <> NEW.id) THEN
    DELETE FROM civicgo_search_titles WHERE si_id = OLD.id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO civicgo_search_titles (si_id, k, record_type, status, tsv)
    VALUES (NEW.id, civicgo_title_key(NEW.title, NEW.id), NEW.record_type,
            coalesce(NEW.civicgo_status, 'published'), ts_filter(NEW.civicgo_tsv, '{a}'))
    ON CONFLICT (si_id) DO UPDATE SET k = excluded.k, record_type = excluded.record_type,
      status = excluded.status, tsv = excluded.tsv;
  END IF;
  RETURN NULL;
END $$;
--bun:split
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'civicgo_search_titles_sync' AND tgrelid = 'search_index'::regclass) THEN
    CREATE TRIGGER civicgo_search_titles_sync AFTER INSERT OR UPDATE OR DELETE ON search_index
      FOR EACH ROW EXECUTE FUNCTION civicgo_sync_search_title();
  END IF;
END $$;
--bun:split
INSERT INTO civicgo_search_titles (si_id, k, record_type, status, tsv)
  SELECT id, civicgo_title_key(title, id), record_type, coalesce(civicgo_status, 'published'), ts_filter(civicgo_tsv, '{a}')
  FROM search_index
  ON CONFLICT (si_id) DO NOTHING;
--bun:split
-- List pages: the kind priority as a column (an index-only scan cannot
-- use an index on an expression of metadata), and each sort's index
-- carrying the filter columns, so skipping to a deep page reads index
-- entries only (the title sorts include the title: an index on an
-- expression of a column serves index-only scans only when the column is
-- in the index too). They replace the sort indexes of 20250301000001,
-- dropped first: adding the column rebuilds the table's indexes.
-- civicgo_kind_rank catches errors (a subtransaction), which a parallel
-- worker cannot start: it may run in the leader only.
ALTER FUNCTION civicgo_kind_rank(text) PARALLEL RESTRICTED;
--bun:split
DROP INDEX IF EXISTS civicgo_records_created;
--bun:split
DROP INDEX IF EXISTS civicgo_records_updated;
--bun:split
DROP INDEX IF EXISTS civicgo_records_title;
--bun:split
ALTER TABLE records ADD COLUMN IF NOT EXISTS civicgo_kind INTEGER GENERATED ALWAYS AS (civicgo_kind_rank(metadata)) STORED;
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_list_created ON records (civicgo_kind, created_at DESC, id DESC)
  INCLUDE (type, status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_list_updated ON records (civicgo_kind, updated_at DESC, id DESC)
  INCLUDE (type, status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_list_title ON records (civicgo_kind, (lower(title) COLLATE "C"), created_at DESC, id DESC)
  INCLUDE (type, status, workflow_state, title);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_list_title_desc ON records (civicgo_kind, (lower(title) COLLATE "C") DESC, created_at DESC, id DESC)
  INCLUDE (type, status, workflow_state, title);
