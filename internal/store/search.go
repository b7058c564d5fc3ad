package store

import (
	"context"
	"database/sql"
	"time"
)

// SearchDoc is a row of upstream's search_index: what full-text search
// matches for one record. TSV is the PostgreSQL tsvector text the
// application computed (ignored on SQLite, where FTS5 tokenizes itself).
type SearchDoc struct {
	RecordID        string
	RecordType      string
	Title           string
	Content         string
	Tags            string // comma-joined, as upstream
	Metadata        string // JSON
	UpdatedAt       time.Time
	TitleNormalized string
	ContentPreview  string
	WordCount       int
	TSV             string
}

// UpsertSearchDoc writes the search entry of d.RecordID (replacing one left
// under another type).
func (q Q) UpsertSearchDoc(ctx context.Context, d *SearchDoc) error {
	if _, err := q.idb.ExecContext(ctx, "DELETE FROM search_index WHERE record_id = ? AND record_type <> ?", d.RecordID, d.RecordType); err != nil {
		return err
	}
	cols := "record_id, record_type, title, content, tags, metadata, updated_at, title_normalized, content_preview, word_count"
	vals := "?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
	set := "title = excluded.title, content = excluded.content, tags = excluded.tags, metadata = excluded.metadata, " +
		"updated_at = excluded.updated_at, title_normalized = excluded.title_normalized, " +
		"content_preview = excluded.content_preview, word_count = excluded.word_count"
	args := []any{d.RecordID, d.RecordType, d.Title, nullable(d.Content), nullable(d.Tags), nullable(d.Metadata),
		Stamp{d.UpdatedAt}, nullable(d.TitleNormalized), nullable(d.ContentPreview), d.WordCount}
	if q.dialect == Postgres {
		cols += ", civicgo_tsv"
		vals += ", ?::tsvector"
		set += ", civicgo_tsv = excluded.civicgo_tsv"
		args = append(args, d.TSV)
	}
	_, err := q.idb.ExecContext(ctx, "INSERT INTO search_index ("+cols+") VALUES ("+vals+") "+
		"ON CONFLICT (record_id, record_type) DO UPDATE SET "+set, args...)
	return err
}

// DeleteSearchDocs removes every search entry of recordID.
func (q Q) DeleteSearchDocs(ctx context.Context, recordID string) error {
	_, err := q.idb.ExecContext(ctx, "DELETE FROM search_index WHERE record_id = ?", recordID)
	return err
}

// SearchSpec is a full-text query already rendered for the database: an
// FTS5 MATCH expression on SQLite, tsquery text on PostgreSQL. TitleMatch is
// the same query restricted to titles.
type SearchSpec struct {
	Match      string
	TitleMatch string
	Filter     RecordFilter // Types, Statuses, Sort ("relevance" or a list sort), Limit, Offset
}

// SearchHit is a matching record row with how it matched.
type SearchHit struct {
	Record   RecordRow
	TitleHit bool
	Score    float64 // higher is better
}

// searchFrom returns the FROM/WHERE part shared by the page and the counts.
func (q Q) searchFrom(s SearchSpec) (string, []any) {
	where, args := s.Filter.where("r.")
	where += " AND coalesce(r.status, '') <> 'archived'"
	if q.dialect == Postgres {
		return "FROM search_index si JOIN records r ON r.id = si.record_id " +
			"WHERE si.civicgo_tsv @@ ?::tsquery AND " + where, append([]any{s.Match}, args...)
	}
	return "FROM search_index_fts5 JOIN search_index si ON si.rowid = search_index_fts5.rowid " +
		"JOIN records r ON r.id = si.record_id WHERE search_index_fts5 MATCH ? AND " + where, append([]any{s.Match}, args...)
}

// SearchRecords returns one page of matching records in the spec's order.
// Relevance orders title matches first, then by the database's own ranking
// (FTS5 bm25 with titles weighted 10, tags 4, body 1; PostgreSQL ts_rank
// with weights A/B/C), then recency.
func (q Q) SearchRecords(ctx context.Context, s SearchSpec) ([]SearchHit, error) {
	from, args := q.searchFrom(s)
	var cols, order string
	var pre []any
	if q.dialect == Postgres {
		cols = "(ts_filter(si.civicgo_tsv, '{a}') @@ ?::tsquery) AS title_hit, ts_rank(si.civicgo_tsv, ?::tsquery) AS score"
		pre = []any{s.TitleMatch, s.Match}
		order = "title_hit DESC, score DESC"
	} else {
		cols = "(si.rowid IN (SELECT rowid FROM search_index_fts5 WHERE search_index_fts5 MATCH ?)) AS title_hit, " +
			"-bm25(search_index_fts5, 0.0, 0.0, 10.0, 1.0, 4.0, 0.0) AS score"
		pre = []any{s.TitleMatch}
		order = "title_hit DESC, score DESC"
	}
	if s.Filter.Sort == "relevance" || s.Filter.Sort == "" {
		order += ", r.updated_at DESC, r.id ASC"
	} else {
		order = q.kindRank("r.") + " ASC, " + q.orderBy(s.Filter.Sort, "r.")
	}
	query := "SELECT r.id, r.title, r.type, r.status, r.workflow_state, r.content, r.metadata, r.geography, " +
		"r.attached_files, r.linked_records, r.linked_geography_files, r.path, r.author, r.created_at, r.updated_at, " +
		cols + " " + from + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	all := append(append(pre, args...), s.Filter.Limit, s.Filter.Offset)
	rows, err := q.idb.QueryContext(ctx, query, all...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SearchHit
	for rows.Next() {
		var h SearchHit
		var wf sql.NullString
		var c, u Stamp
		var hit any
		if err := rows.Scan(append(h.Record.scanDest(&wf, &c, &u), &hit, &h.Score)...); err != nil {
			return nil, err
		}
		h.Record.finish(wf, c, u)
		h.TitleHit = truthyDB(hit)
		out = append(out, h)
	}
	return out, rows.Err()
}

func truthyDB(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case []byte:
		return string(x) == "1" || string(x) == "t" || string(x) == "true"
	case string:
		return x == "1" || x == "t" || x == "true"
	}
	return false
}

// SearchCounts counts the matching records per type and status (page
// fields of the filter are ignored).
func (q Q) SearchCounts(ctx context.Context, s SearchSpec) ([]TypeStatusCount, error) {
	from, args := q.searchFrom(s)
	rows, err := q.idb.QueryContext(ctx, "SELECT r.type, coalesce(r.status, 'draft'), count(*) "+from+
		" GROUP BY r.type, coalesce(r.status, 'draft') ORDER BY 1, 2", args...)
	if err != nil {
		return nil, err
	}
	return scanCounts(rows)
}

// SearchTitlesTags calls fn with the title and tags of every searchable
// record (suggestions are built from them).
func (q Q) SearchTitlesTags(ctx context.Context, fn func(title, tags string)) error {
	rows, err := q.idb.QueryContext(ctx, "SELECT r.title, si.tags FROM search_index si JOIN records r ON r.id = si.record_id "+
		"WHERE (r.workflow_state IS NULL OR r.workflow_state <> 'internal_only') AND coalesce(r.status, '') <> 'archived'")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var title, tags string
		if err := rows.Scan(&title, (*nullString)(&tags)); err != nil {
			return err
		}
		fn(title, tags)
	}
	return rows.Err()
}
