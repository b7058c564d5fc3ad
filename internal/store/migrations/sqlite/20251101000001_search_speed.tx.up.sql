-- Fast broad searches and deep list pages (civicpress-go additions;
-- upstream ignores these objects, and its writes keep them current through
-- the triggers). Idempotent, like every migration here.

-- Index generations: a counter per index ('search': the search entries;
-- 'records': the records table), bumped by triggers in the transaction of
-- every change, whoever writes the database. A total computed while the
-- counter read n stays valid until it moves, so totals are cached per
-- generation instead of being recounted on every page.
CREATE TABLE IF NOT EXISTS civicgo_index_gen (
    name TEXT PRIMARY KEY,
    n INTEGER NOT NULL DEFAULT 0
  );
--bun:split
INSERT OR IGNORE INTO civicgo_index_gen (name, n) VALUES ('search', 0), ('records', 0);
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_gen_search_insert AFTER INSERT ON search_index
      BEGIN UPDATE civicgo_index_gen SET n = n + 1 WHERE name = 'search'; END;
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_gen_search_update AFTER UPDATE ON search_index
      BEGIN UPDATE civicgo_index_gen SET n = n + 1 WHERE name = 'search'; END;
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_gen_search_delete AFTER DELETE ON search_index
      BEGIN UPDATE civicgo_index_gen SET n = n + 1 WHERE name = 'search'; END;
--bun:split
-- Search filters read the status from here.
CREATE TRIGGER IF NOT EXISTS civicgo_gen_search_meta_update AFTER UPDATE ON civicgo_search_meta
      BEGIN UPDATE civicgo_index_gen SET n = n + 1 WHERE name = 'search'; END;
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_gen_search_meta_insert AFTER INSERT ON civicgo_search_meta
      BEGIN UPDATE civicgo_index_gen SET n = n + 1 WHERE name = 'search'; END;
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_gen_records_insert AFTER INSERT ON records
      BEGIN UPDATE civicgo_index_gen SET n = n + 1 WHERE name = 'records'; END;
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_gen_records_update AFTER UPDATE ON records
      BEGIN UPDATE civicgo_index_gen SET n = n + 1 WHERE name = 'records'; END;
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_gen_records_delete AFTER DELETE ON records
      BEGIN UPDATE civicgo_index_gen SET n = n + 1 WHERE name = 'records'; END;
--bun:split
-- The title tier of relevance: an FTS5 index of the search entries' titles
-- alone, whose rowid is the rank within the tier, so the best title matches
-- are the first rowids of a MATCH and a page of them is read without
-- scoring every match. rowid = (title tokens, at most 1023) << 40 |
-- (2^40 - 1 - search_index.id): fewer title tokens first (the query is more
-- of the title: bm25's order when each term occurs once), then the newer
-- entry. Titles are stored as space-separated tokens, so spaces + 1 counts
-- them. The view is the content FTS5 rebuilds from ('rebuild' command).
CREATE VIEW IF NOT EXISTS civicgo_search_title_src AS
  SELECT (min(length(title) - length(replace(title, ' ', '')) + 1, 1023) << 40) + (1099511627775 - id) AS k, title
  FROM search_index;
--bun:split
CREATE VIRTUAL TABLE IF NOT EXISTS civicgo_search_title USING fts5(
    title,
    content='civicgo_search_title_src',
    content_rowid='k'
  );
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_search_title_insert AFTER INSERT ON search_index
      BEGIN
        INSERT INTO civicgo_search_title(rowid, title)
        VALUES ((min(length(new.title) - length(replace(new.title, ' ', '')) + 1, 1023) << 40) + (1099511627775 - new.id), new.title);
      END;
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_search_title_delete AFTER DELETE ON search_index
      BEGIN
        INSERT INTO civicgo_search_title(civicgo_search_title, rowid, title)
        VALUES ('delete', (min(length(old.title) - length(replace(old.title, ' ', '')) + 1, 1023) << 40) + (1099511627775 - old.id), old.title);
      END;
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_search_title_update AFTER UPDATE OF id, title ON search_index
      WHEN old.title IS NOT new.title OR old.id IS NOT new.id
      BEGIN
        INSERT INTO civicgo_search_title(civicgo_search_title, rowid, title)
        VALUES ('delete', (min(length(old.title) - length(replace(old.title, ' ', '')) + 1, 1023) << 40) + (1099511627775 - old.id), old.title);
        INSERT INTO civicgo_search_title(rowid, title)
        VALUES ((min(length(new.title) - length(replace(new.title, ' ', '')) + 1, 1023) << 40) + (1099511627775 - new.id), new.title);
      END;
--bun:split
INSERT INTO civicgo_search_title(civicgo_search_title) VALUES ('rebuild');
--bun:split
-- List pages: each sort's index also holds the filter columns, so skipping
-- to a deep page reads index entries only (no table row per skipped
-- record). They replace the sort indexes of 20250301000001.
CREATE INDEX IF NOT EXISTS civicgo_records_list_created ON records (
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    created_at DESC, id DESC, type, status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_list_updated ON records (
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    updated_at DESC, id DESC, type, status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_list_title ON records (
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    lower(title), created_at DESC, id DESC, type, status, workflow_state);
--bun:split
-- title_desc keeps the created_at DESC tie-break, which no scan direction
-- of the title_asc index gives.
CREATE INDEX IF NOT EXISTS civicgo_records_list_title_desc ON records (
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    lower(title) DESC, created_at DESC, id DESC, type, status, workflow_state);
--bun:split
DROP INDEX IF EXISTS civicgo_records_created;
--bun:split
DROP INDEX IF EXISTS civicgo_records_updated;
--bun:split
DROP INDEX IF EXISTS civicgo_records_title;
