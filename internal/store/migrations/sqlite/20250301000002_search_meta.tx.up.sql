-- What search filters, counts and orders by, one small row per search
-- entry (rowid = search_index.rowid): with it a query never reads
-- search_index's wide rows (their content column), only the FTS5 index and
-- these rows. Written with each entry; deleted with it by the trigger.
CREATE TABLE IF NOT EXISTS civicgo_search_meta (
    si_rowid INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    civicgo_status TEXT,
    updated_at DATETIME
  );
--bun:split
CREATE TRIGGER IF NOT EXISTS civicgo_search_meta_delete
      AFTER DELETE ON search_index
      BEGIN
        DELETE FROM civicgo_search_meta WHERE si_rowid = old.rowid;
      END;
