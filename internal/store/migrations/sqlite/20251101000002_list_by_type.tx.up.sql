-- List pages of one record type (the common filter): each sort's index
-- led by the type, holding the other filter columns, so a page of one
-- type is read in order from the index whatever its depth, without
-- sorting the type's records or reading their rows.
CREATE INDEX IF NOT EXISTS civicgo_records_type_created ON records (type,
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    created_at DESC, id DESC, status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_type_updated ON records (type,
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    updated_at DESC, id DESC, status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_type_title ON records (type,
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    lower(title), created_at DESC, id DESC, status, workflow_state);
--bun:split
CREATE INDEX IF NOT EXISTS civicgo_records_type_title_desc ON records (type,
    (CASE WHEN json_valid(metadata) THEN (CASE json_extract(metadata, '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END),
    lower(title) DESC, created_at DESC, id DESC, status, workflow_state);
