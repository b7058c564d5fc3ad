package store

import (
	"context"
	"database/sql"
	"strings"
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
	// Status is the record's status, kept with the entry (PostgreSQL:
	// search_index.civicgo_status; SQLite: civicgo_search_meta) so that
	// search filters and counts never need the records table.
	Status string
}

// UpsertSearchDoc writes the search entry of d.RecordID (replacing one left
// under another type).
func (q Q) UpsertSearchDoc(ctx context.Context, d *SearchDoc) error {
	if _, err := q.exec(ctx, "DELETE FROM search_index WHERE record_id = ? AND record_type <> ?", d.RecordID, d.RecordType); err != nil {
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
	if q.dialect == Postgres {
		cols += ", civicgo_status"
		vals += ", ?"
		set += ", civicgo_status = excluded.civicgo_status"
		args = append(args, nullable(d.Status))
	}
	var rowid int64
	err := q.queryRow(ctx, "INSERT INTO search_index ("+cols+") VALUES ("+vals+") "+
		"ON CONFLICT (record_id, record_type) DO UPDATE SET "+set+" RETURNING id", args, &rowid)
	if err != nil || q.dialect == Postgres {
		return err
	}
	_, err = q.exec(ctx, "INSERT INTO civicgo_search_meta (si_rowid, record_id, record_type, civicgo_status, updated_at) "+
		"VALUES (?, ?, ?, ?, ?) ON CONFLICT (si_rowid) DO UPDATE SET record_id = excluded.record_id, "+
		"record_type = excluded.record_type, civicgo_status = excluded.civicgo_status, updated_at = excluded.updated_at",
		rowid, d.RecordID, d.RecordType, nullable(d.Status), Stamp{d.UpdatedAt})
	return err
}

// DeleteSearchDocs removes every search entry of recordID.
func (q Q) DeleteSearchDocs(ctx context.Context, recordID string) error {
	_, err := q.exec(ctx, "DELETE FROM search_index WHERE record_id = ?", recordID)
	return err
}

// SearchSpec is a full-text query already rendered for the database: an
// FTS5 MATCH expression on SQLite, tsquery text on PostgreSQL. TitleMatch is
// the same query restricted to titles.
type SearchSpec struct {
	Match      string
	TitleMatch string
	Filter     RecordFilter // Types, Statuses, Sort ("relevance" or a list sort), Limit, Offset
	// TitleTotal is the number of title matches with the filters
	// (SearchTitleTotal) when the caller already knows it; nil counts them.
	TitleTotal *int
}

// SearchHit is a matching record row with how it matched.
type SearchHit struct {
	Record   RecordRow
	TitleHit bool
	Score    float64 // higher is better
}

// searchStatus is a search entry's status; entries another program wrote
// without one count as published, as upstream's facets report them.
const searchStatus = "coalesce(si.civicgo_status, 'published')"

// titleKeyMask extracts the search_index id from a title-tier key (see
// the 20251101000001 migrations): id = mask - (key & mask).
const titleKeyMask = "1099511627775"

// searchFrom returns the FROM/WHERE part shared by the page and the counts:
// the full-text match and the filters, on the search entries alone
// (records that are archived or internal_only have no search entry). On
// SQLite "si" is the narrow civicgo_search_meta row of the entry, joined
// when there are filters or withMeta asks for it.
func (q Q) searchFrom(s SearchSpec, withMeta bool) (string, []any) {
	where, args := q.searchFilters(s.Filter, "si.record_type", searchStatus)
	args = append([]any{s.Match}, args...)
	if q.dialect == Postgres {
		return "FROM search_index si WHERE si.civicgo_tsv @@ ?::tsquery" + where, args
	}
	if where == "" && !withMeta {
		return "FROM search_index_fts5 WHERE search_index_fts5 MATCH ?", args
	}
	return "FROM search_index_fts5 JOIN civicgo_search_meta si ON si.rowid = search_index_fts5.rowid " +
		"WHERE search_index_fts5 MATCH ?" + where, args
}

func (q Q) searchFilters(f RecordFilter, typeCol, statusCol string) (string, []any) {
	where := ""
	var args []any
	if len(f.Types) > 0 {
		c, a := q.inList(typeCol, f.Types, false)
		where += " AND " + c
		args = append(args, a)
	}
	if len(f.Statuses) > 0 {
		c, a := q.inList(statusCol, f.Statuses, false)
		where += " AND " + c
		args = append(args, a)
	}
	return where, args
}

// titleFrom is searchFrom for the title matches, on the title-tier index
// (SQLite: the civicgo_search_title FTS5 table; PostgreSQL:
// civicgo_search_titles), whose key orders the tier.
func (q Q) titleFrom(s SearchSpec) (from string, args []any, key, entryID string) {
	if q.dialect == Postgres {
		where, fargs := q.searchFilters(s.Filter, "t.record_type", "t.status")
		return "FROM civicgo_search_titles t WHERE t.tsv @@ ?::tsquery" + where, append([]any{s.TitleMatch}, fargs...), "t.k", "t.si_id"
	}
	key = "civicgo_search_title.rowid"
	entryID = titleKeyMask + " - (" + key + " & " + titleKeyMask + ")"
	where, fargs := q.searchFilters(s.Filter, "si.record_type", searchStatus)
	from = "FROM civicgo_search_title"
	if where != "" {
		from += " JOIN civicgo_search_meta si ON si.si_rowid = " + entryID
	}
	return from + " WHERE civicgo_search_title MATCH ?" + where, append([]any{s.TitleMatch}, fargs...), key, entryID
}

// SearchRecords returns one page of matching records in the spec's order.
// Relevance puts the records whose title matches the query first, fewer
// title tokens first (the query is more of the title) then the newer
// entry, read in that order from the title-tier index without ranking
// every match; then, when the page reaches past them, the others ranked by
// how well the whole record matches (SearchBodyTier). Orders are computed
// on narrow rows and only the page's records are read whole.
func (q Q) SearchRecords(ctx context.Context, s SearchSpec) ([]SearchHit, error) {
	var hits []SearchHit
	var err error
	if s.Filter.Sort != "relevance" && s.Filter.Sort != "" {
		hits, err = q.searchSorted(ctx, s)
	} else {
		hits, err = q.searchRanked(ctx, s)
	}
	if err != nil {
		return nil, err
	}
	return q.HitRecords(ctx, hits)
}

// HitRecords reads the records of hits (which name them by Record.ID),
// leaving out hits whose record is gone.
func (q Q) HitRecords(ctx context.Context, hits []SearchHit) ([]SearchHit, error) {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.Record.ID
	}
	full, err := q.RecordsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	kept := hits[:0]
	for _, h := range hits {
		if r, ok := full[h.Record.ID]; ok { // an entry without its record: skip it
			h.Record = *r
			kept = append(kept, h)
		}
	}
	return kept, nil
}

func scanHits(rows *sql.Rows, titleHit bool) ([]SearchHit, error) {
	defer rows.Close()
	var out []SearchHit
	for rows.Next() {
		h := SearchHit{TitleHit: titleHit}
		if err := rows.Scan(&h.Record.ID, &h.Score); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// searchSorted orders the matches by a list order (records' own columns).
func (q Q) searchSorted(ctx context.Context, s SearchSpec) ([]SearchHit, error) {
	from, args := q.searchFrom(s, false)
	if q.dialect == Postgres {
		from = strings.Replace(from, "FROM search_index si", "FROM search_index si JOIN records r ON r.id = si.record_id", 1)
	} else {
		from = strings.Replace(from, "FROM search_index_fts5", "FROM search_index_fts5 JOIN search_index sx ON sx.id = search_index_fts5.rowid "+
			"JOIN records r ON r.id = sx.record_id", 1)
	}
	rows, err := q.query(ctx, "SELECT r.id, 0 "+from+" ORDER BY "+q.kindRank("r.")+" ASC, "+
		q.orderBy(s.Filter.Sort, "r.")+" LIMIT ? OFFSET ?", append(args, s.Filter.Limit, s.Filter.Offset)...)
	if err != nil {
		return nil, err
	}
	return scanHits(rows, false)
}

// searchRanked is the relevance order in two tiers: the title matches
// from the title-tier index, in its key order, then only when they do not
// fill the page, the other matches ranked by score.
func (q Q) searchRanked(ctx context.Context, s SearchSpec) ([]SearchHit, error) {
	titleTotal := 0
	if s.TitleTotal != nil {
		titleTotal = *s.TitleTotal
	} else {
		var err error
		if titleTotal, err = q.SearchTitleTotal(ctx, s); err != nil {
			return nil, err
		}
	}
	var hits []SearchHit
	if s.Filter.Offset < titleTotal {
		var err error
		if hits, err = q.SearchTitleTier(ctx, s, s.Filter.Limit, s.Filter.Offset); err != nil {
			return nil, err
		}
	}
	rest := s.Filter.Limit - len(hits)
	if rest <= 0 || s.Filter.Offset+len(hits) < titleTotal {
		return hits, nil
	}
	more, err := q.SearchBodyTier(ctx, s, rest, max(0, s.Filter.Offset-titleTotal))
	if err != nil {
		return nil, err
	}
	return append(hits, more...), nil
}

// SearchTitleTier returns the ids (Record.ID) of the title matches at
// offset, limit in the tier's order (the title-tier index key).
func (q Q) SearchTitleTier(ctx context.Context, s SearchSpec, limit, offset int) ([]SearchHit, error) {
	from, args, key, entryID := q.titleFrom(s)
	rows, err := q.query(ctx, "SELECT search_index.record_id, 0 FROM (SELECT "+key+" AS k, "+entryID+" AS e "+from+
		" ORDER BY "+key+" LIMIT ? OFFSET ?) x JOIN search_index ON search_index.id = x.e ORDER BY x.k",
		append(args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	return scanHits(rows, true)
}

// SearchBodyTier returns the ids (Record.ID) and scores of the matches
// whose title does not match the query, at offset, limit in rank order:
// SQLite: bm25 of the whole entry (title 10, tags 4, body 1), the newer
// entry first on ties; PostgreSQL: ts_rank with weights A/B/C, the more
// recently updated first on ties. Every such match is scored, so the cost
// grows with their number.
func (q Q) SearchBodyTier(ctx context.Context, s SearchSpec, limit, offset int) ([]SearchHit, error) {
	from, args := q.searchFrom(s, false)
	var query string
	if q.dialect == Postgres {
		query = "SELECT si.record_id, ts_rank(si.civicgo_tsv, ?::tsquery) AS score " + from +
			" AND si.id NOT IN (SELECT si_id FROM civicgo_search_titles WHERE tsv @@ ?::tsquery)" +
			" ORDER BY score DESC, si.updated_at DESC, si.record_id ASC LIMIT ? OFFSET ?"
		args = append(append([]any{s.Match}, args...), s.TitleMatch, limit, offset)
	} else {
		query = "SELECT sx.record_id, x.score FROM (SELECT search_index_fts5.rowid AS id, " +
			"-bm25(search_index_fts5, 0.0, 0.0, 10.0, 1.0, 4.0, 0.0) AS score " + from +
			" AND search_index_fts5.rowid NOT IN (SELECT " + titleKeyMask + " - (rowid & " + titleKeyMask + ") " +
			"FROM civicgo_search_title WHERE civicgo_search_title MATCH ?)" +
			" ORDER BY score DESC, search_index_fts5.rowid DESC LIMIT ? OFFSET ?) x " +
			"JOIN search_index sx ON sx.id = x.id ORDER BY x.score DESC, x.id DESC"
		args = append(args, s.TitleMatch, limit, offset)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanHits(rows, false)
}

// SearchTitleTotal counts the entries whose title matches the query (with
// the spec's filters): the first tier of the relevance order.
func (q Q) SearchTitleTotal(ctx context.Context, s SearchSpec) (int, error) {
	from, args, _, _ := q.titleFrom(s)
	var n int
	err := q.queryRow(ctx, "SELECT count(*) "+from, args, &n)
	return n, err
}

// SearchTotal counts the records matching the spec.
func (q Q) SearchTotal(ctx context.Context, s SearchSpec) (int, error) {
	from, args := q.searchFrom(s, false)
	var n int
	err := q.queryRow(ctx, "SELECT count(*) "+from, args, &n)
	return n, err
}

// SearchCounts counts the matching records per type and status (page
// fields of the filter are ignored).
func (q Q) SearchCounts(ctx context.Context, s SearchSpec) ([]TypeStatusCount, error) {
	from, args := q.searchFrom(s, true)
	rows, err := q.query(ctx, "SELECT si.record_type, "+searchStatus+", count(*) "+from+
		" GROUP BY si.record_type, "+searchStatus+" ORDER BY 1, 2", args...)
	if err != nil {
		return nil, err
	}
	return scanCounts(rows)
}

// SearchTitlesTags calls fn with the title and tags of every searchable
// record (suggestions are built from them).
func (q Q) SearchTitlesTags(ctx context.Context, fn func(title, tags string)) error {
	rows, err := q.query(ctx, "SELECT r.title, si.tags FROM search_index si JOIN records r ON r.id = si.record_id "+
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
