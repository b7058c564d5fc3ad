package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
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
	if q.dialect == Postgres {
		cols += ", civicgo_status"
		vals += ", ?"
		set += ", civicgo_status = excluded.civicgo_status"
		args = append(args, nullable(d.Status))
	}
	var rowid int64
	err := q.idb.QueryRowContext(ctx, "INSERT INTO search_index ("+cols+") VALUES ("+vals+") "+
		"ON CONFLICT (record_id, record_type) DO UPDATE SET "+set+" RETURNING id", args...).Scan(&rowid)
	if err != nil || q.dialect == Postgres {
		return err
	}
	_, err = q.idb.ExecContext(ctx, "INSERT INTO civicgo_search_meta (si_rowid, record_id, record_type, civicgo_status, updated_at) "+
		"VALUES (?, ?, ?, ?, ?) ON CONFLICT (si_rowid) DO UPDATE SET record_id = excluded.record_id, "+
		"record_type = excluded.record_type, civicgo_status = excluded.civicgo_status, updated_at = excluded.updated_at",
		rowid, d.RecordID, d.RecordType, nullable(d.Status), Stamp{d.UpdatedAt})
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

// searchStatus is a search entry's status; entries another program wrote
// without one count as published, as upstream's facets report them.
const searchStatus = "coalesce(si.civicgo_status, 'published')"

// searchFrom returns the FROM/WHERE part shared by the page and the counts:
// the full-text match and the filters, on the search entries alone
// (records that are archived or internal_only have no search entry).
func (q Q) searchFrom(s SearchSpec) (string, []any) {
	var conds []string
	args := []any{s.Match}
	if len(s.Filter.Types) > 0 {
		conds = append(conds, "si.record_type IN (?)")
		args = append(args, bun.In(s.Filter.Types))
	}
	if len(s.Filter.Statuses) > 0 {
		conds = append(conds, searchStatus+" IN (?)")
		args = append(args, bun.In(s.Filter.Statuses))
	}
	where := ""
	for _, c := range conds {
		where += " AND " + c
	}
	if q.dialect == Postgres {
		return "FROM search_index si WHERE si.civicgo_tsv @@ ?::tsquery" + where, args
	}
	// On SQLite "si" is the narrow civicgo_search_meta row of the entry.
	return "FROM search_index_fts5 JOIN civicgo_search_meta si ON si.rowid = search_index_fts5.rowid " +
		"WHERE search_index_fts5 MATCH ?" + where, args
}

// SearchRecords returns one page of matching records in the spec's order.
// Relevance puts the records whose title matches the query first, ranked by
// how well the title matches, then the others ranked by how well the whole
// record matches (SQLite: FTS5 bm25 with titles weighted 10, tags 4, body
// 1; PostgreSQL: ts_rank with weights A/B/C); recency breaks ties. Orders
// are computed on narrow rows and only the page's records are read whole.
func (q Q) SearchRecords(ctx context.Context, s SearchSpec) ([]SearchHit, error) {
	var hits []SearchHit
	var err error
	switch {
	case s.Filter.Sort != "relevance" && s.Filter.Sort != "":
		hits, err = q.searchSorted(ctx, s)
	case q.dialect == Postgres:
		hits, err = q.searchRankedPG(ctx, s)
	default:
		hits, err = q.searchRankedSQLite(ctx, s)
	}
	if err != nil {
		return nil, err
	}
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
	from, args := q.searchFrom(s)
	if q.dialect == Postgres {
		from = strings.Replace(from, "FROM search_index si", "FROM search_index si JOIN records r ON r.id = si.record_id", 1)
	} else {
		from = strings.Replace(from, "JOIN civicgo_search_meta si ON si.rowid = search_index_fts5.rowid",
			"JOIN civicgo_search_meta si ON si.rowid = search_index_fts5.rowid JOIN records r ON r.id = si.record_id", 1)
	}
	rows, err := q.idb.QueryContext(ctx, "SELECT si.record_id, 0 "+from+" ORDER BY "+q.kindRank("r.")+" ASC, "+
		q.orderBy(s.Filter.Sort, "r.")+" LIMIT ? OFFSET ?", append(args, s.Filter.Limit, s.Filter.Offset)...)
	if err != nil {
		return nil, err
	}
	return scanHits(rows, false)
}

// searchRankedPG ranks in one query: title matches by the rank of their
// title (weight A lexemes), then the rest by the rank of the whole entry.
func (q Q) searchRankedPG(ctx context.Context, s SearchSpec) ([]SearchHit, error) {
	from, args := q.searchFrom(s)
	query := "SELECT si.record_id, hit, CASE WHEN hit THEN ts_rank(ts_filter(si.civicgo_tsv, '{a}'), ?::tsquery) " +
		"ELSE ts_rank(si.civicgo_tsv, ?::tsquery) END AS score FROM (SELECT si.*, " +
		"(ts_filter(si.civicgo_tsv, '{a}') @@ ?::tsquery) AS hit " + from + ") si " +
		"ORDER BY hit DESC, score DESC, si.updated_at DESC, si.record_id ASC LIMIT ? OFFSET ?"
	all := append([]any{s.Match, s.Match, s.TitleMatch}, args...)
	rows, err := q.idb.QueryContext(ctx, query, append(all, s.Filter.Limit, s.Filter.Offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SearchHit
	for rows.Next() {
		var h SearchHit
		var hit any
		if err := rows.Scan(&h.Record.ID, &hit, &h.Score); err != nil {
			return nil, err
		}
		h.TitleHit = truthyDB(hit)
		out = append(out, h)
	}
	return out, rows.Err()
}

// searchRankedSQLite ranks in two tiers, so a query matching thousands of
// records scores only what the page needs: the title matches (ranked by
// FTS5 on the title-only query), and only when they do not fill the page,
// the other matches (ranked by bm25 of the whole query).
func (q Q) searchRankedSQLite(ctx context.Context, s SearchSpec) ([]SearchHit, error) {
	filtered := len(s.Filter.Types) > 0 || len(s.Filter.Statuses) > 0
	// tier runs one ranked query; match is the MATCH text, exclude an
	// optional "rowid NOT IN" of the title matches.
	tier := func(match string, exclude bool, limit, offset int, titleHit bool) ([]SearchHit, error) {
		spec := s
		spec.Match = match
		from, args := q.searchFrom(spec)
		if !filtered {
			from, args = "FROM search_index_fts5 WHERE search_index_fts5 MATCH ?", []any{match}
		}
		if exclude {
			from += " AND search_index_fts5.rowid NOT IN (SELECT rowid FROM search_index_fts5 WHERE search_index_fts5 MATCH ?)"
			args = append(args, s.TitleMatch)
		}
		rows, err := q.idb.QueryContext(ctx, "SELECT search_index_fts5.rowid, -bm25(search_index_fts5, 0.0, 0.0, 10.0, 1.0, 4.0, 0.0) AS score "+
			from+" ORDER BY score DESC, search_index_fts5.rowid DESC LIMIT ? OFFSET ?", append(args, limit, offset)...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []SearchHit
		for rows.Next() {
			var rowid int64
			h := SearchHit{TitleHit: titleHit}
			if err := rows.Scan(&rowid, &h.Score); err != nil {
				return nil, err
			}
			h.Record.ID = strconv.FormatInt(rowid, 10) // resolved below
			out = append(out, h)
		}
		return out, rows.Err()
	}
	titleTotal, err := q.searchCount(ctx, s, s.TitleMatch, filtered)
	if err != nil {
		return nil, err
	}
	var hits []SearchHit
	if s.Filter.Offset < titleTotal {
		if hits, err = tier(s.TitleMatch, false, s.Filter.Limit, s.Filter.Offset, true); err != nil {
			return nil, err
		}
	}
	if rest := s.Filter.Limit - len(hits); rest > 0 {
		more, err := tier(s.Match, true, rest, max(0, s.Filter.Offset-titleTotal), false)
		if err != nil {
			return nil, err
		}
		hits = append(hits, more...)
	}
	// Entries' record ids, from their narrow rows.
	for i := range hits {
		var id string
		if err := q.idb.QueryRowContext(ctx, "SELECT record_id FROM civicgo_search_meta WHERE si_rowid = ?", hits[i].Record.ID).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				hits[i].Record.ID = ""
				continue
			}
			return nil, err
		}
		hits[i].Record.ID = id
	}
	return hits, nil
}

// searchCount counts the entries matching match (with the spec's filters).
func (q Q) searchCount(ctx context.Context, s SearchSpec, match string, filtered bool) (int, error) {
	spec := s
	spec.Match = match
	from, args := q.searchFrom(spec)
	if q.dialect != Postgres && !filtered {
		from, args = "FROM search_index_fts5 WHERE search_index_fts5 MATCH ?", []any{match}
	}
	var n int
	err := q.idb.QueryRowContext(ctx, "SELECT count(*) "+from, args...).Scan(&n)
	return n, err
}

// SearchTotal counts the records matching the spec.
func (q Q) SearchTotal(ctx context.Context, s SearchSpec) (int, error) {
	return q.searchCount(ctx, s, s.Match, len(s.Filter.Types) > 0 || len(s.Filter.Statuses) > 0)
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
	rows, err := q.idb.QueryContext(ctx, "SELECT si.record_type, "+searchStatus+", count(*) "+from+
		" GROUP BY si.record_type, "+searchStatus+" ORDER BY 1, 2", args...)
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
