-- The record's status on its search entry, so search filters and counts
-- never need the records table.
ALTER TABLE search_index ADD COLUMN IF NOT EXISTS civicgo_status TEXT;
