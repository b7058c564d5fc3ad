-- List pages of one record type (the common filter): each sort's index
-- led by the type, holding the other filter columns, so a page of one
-- type is read in order from the index whatever its depth, without
-- sorting the type's records or reading their rows.
-- (Also: civicgo_kind_rank may run in a parallel leader only, for
-- databases that applied 20251101000001 before it said so.)
ALTER FUNCTION civicgo_kind_rank(text) PARALLEL RESTRICTED;
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_type_created ON records (type, civicgo_kind, created_at DESC, id DESC)
  INCLUDE (status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_type_updated ON records (type, civicgo_kind, updated_at DESC, id DESC)
  INCLUDE (status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_type_title ON records (type, civicgo_kind, (lower(title) COLLATE "C"), created_at DESC, id DESC)
  INCLUDE (status, workflow_state, title);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_type_title_desc ON records (type, civicgo_kind, (lower(title) COLLATE "C") DESC, created_at DESC, id DESC)
  INCLUDE (status, workflow_state, title);
