package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// RecordRow is a row of upstream's records table: the index entry of a
// published record. JSON columns hold JSON text ("" is NULL). Timestamps are
// stored in SQLFormat, as upstream's rows are, so text ordering stays right.
type RecordRow struct {
	ID     string
	Title  string
	Type   string
	Status string
	// WorkflowState is the editorial state; nil is NULL.
	WorkflowState        *string
	Content              string
	Metadata             string
	Geography            string
	AttachedFiles        string
	LinkedRecords        string
	LinkedGeographyFiles string
	Path                 string
	Author               string
	CreatedAt, UpdatedAt time.Time
}

const recordColumns = "id, title, type, status, workflow_state, content, metadata, geography, attached_files, " +
	"linked_records, linked_geography_files, path, author, created_at, updated_at"

func (r *RecordRow) scanDest(wf *sql.NullString, created, updated *Stamp) []any {
	return []any{&r.ID, &r.Title, &r.Type, (*nullString)(&r.Status), wf, (*nullString)(&r.Content),
		(*nullString)(&r.Metadata), (*nullString)(&r.Geography), (*nullString)(&r.AttachedFiles),
		(*nullString)(&r.LinkedRecords), (*nullString)(&r.LinkedGeographyFiles), (*nullString)(&r.Path),
		(*nullString)(&r.Author), created, updated}
}

func scanRecords(rows *sql.Rows) ([]RecordRow, error) {
	defer rows.Close()
	var out []RecordRow
	for rows.Next() {
		var r RecordRow
		var wf sql.NullString
		var c, u Stamp
		if err := rows.Scan(r.scanDest(&wf, &c, &u)...); err != nil {
			return nil, err
		}
		r.finish(wf, c, u)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (r *RecordRow) finish(wf sql.NullString, c, u Stamp) {
	if wf.Valid {
		s := wf.String
		r.WorkflowState = &s
	}
	r.CreatedAt, r.UpdatedAt = c.Time, u.Time
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// UpsertRecord inserts or replaces the row r.ID. With keepWorkflow, an
// existing row keeps its workflow_state (a database-only field that a
// rebuild from files cannot know).
func (q Q) UpsertRecord(ctx context.Context, r *RecordRow, keepWorkflow bool) error {
	_, err := q.UpsertRecordState(ctx, r, keepWorkflow)
	return err
}

// UpsertRecordState is UpsertRecord returning the row's workflow_state
// afterwards (nil for NULL).
func (q Q) UpsertRecordState(ctx context.Context, r *RecordRow, keepWorkflow bool) (*string, error) {
	wf := "excluded.workflow_state"
	if keepWorkflow {
		wf = "records.workflow_state"
	}
	var wfv any
	if r.WorkflowState != nil {
		wfv = *r.WorkflowState
	}
	var out sql.NullString
	err := q.queryRow(ctx, "INSERT INTO records ("+recordColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "+
		"ON CONFLICT (id) DO UPDATE SET title = excluded.title, type = excluded.type, status = excluded.status, "+
		"workflow_state = "+wf+", content = excluded.content, metadata = excluded.metadata, "+
		"geography = excluded.geography, attached_files = excluded.attached_files, linked_records = excluded.linked_records, "+
		"linked_geography_files = excluded.linked_geography_files, path = excluded.path, author = excluded.author, "+
		"created_at = excluded.created_at, updated_at = excluded.updated_at RETURNING workflow_state",
		[]any{r.ID, r.Title, r.Type, nullable(r.Status), wfv, nullable(r.Content), nullable(r.Metadata),
			nullable(r.Geography), nullable(r.AttachedFiles), nullable(r.LinkedRecords), nullable(r.LinkedGeographyFiles),
			nullable(r.Path), nullable(r.Author), Stamp{r.CreatedAt}, Stamp{r.UpdatedAt}}, &out)
	if err != nil || !out.Valid {
		return nil, err
	}
	return &out.String, nil
}

// RecordByID returns the row of id, or ErrNoRows.
func (q Q) RecordByID(ctx context.Context, id string) (*RecordRow, error) {
	rows, err := q.query(ctx, "SELECT "+recordColumns+" FROM records WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	rs, err := scanRecords(rows)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, ErrNoRows
	}
	return &rs[0], nil
}

// RecordsByIDs returns the rows of ids that exist, keyed by id.
func (q Q) RecordsByIDs(ctx context.Context, ids []string) (map[string]*RecordRow, error) {
	out := make(map[string]*RecordRow, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), 500)
		cond, arg := q.inList("id", ids[:n], false)
		rows, err := q.query(ctx, "SELECT "+recordColumns+" FROM records WHERE "+cond, arg)
		if err != nil {
			return nil, err
		}
		rs, err := scanRecords(rows)
		if err != nil {
			return nil, err
		}
		for i := range rs {
			out[rs[i].ID] = &rs[i]
		}
		ids = ids[n:]
	}
	return out, nil
}

// DeleteRecord removes the row of id and its search entries.
func (q Q) DeleteRecord(ctx context.Context, id string) error {
	if _, err := q.exec(ctx, "DELETE FROM search_index WHERE record_id = ?", id); err != nil {
		return err
	}
	_, err := q.exec(ctx, "DELETE FROM records WHERE id = ?", id)
	return err
}

// RecordRef is an index entry's identity and file.
type RecordRef struct{ ID, Path string }

// RecordRefs lists every indexed record's id and path.
func (q Q) RecordRefs(ctx context.Context) ([]RecordRef, error) {
	rows, err := q.idb.QueryContext(ctx, "SELECT id, path FROM records")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RecordRef
	for rows.Next() {
		var r RecordRef
		if err := rows.Scan(&r.ID, (*nullString)(&r.Path)); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RecordIDsByPath returns the ids of the rows whose path is one of paths.
func (q Q) RecordIDsByPath(ctx context.Context, paths []string) (map[string]string, error) {
	out := map[string]string{}
	for len(paths) > 0 {
		n := min(len(paths), 500)
		rows, err := q.idb.QueryContext(ctx, "SELECT id, path FROM records WHERE path IN (?)", bun.In(paths[:n]))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, p string
			if err := rows.Scan(&id, &p); err != nil {
				rows.Close()
				return nil, err
			}
			out[p] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		paths = paths[n:]
	}
	return out, nil
}

// CountRecords counts every row of records.
func (q Q) CountRecords(ctx context.Context) (int, error) {
	var n int
	err := q.idb.QueryRowContext(ctx, "SELECT count(*) FROM records").Scan(&n)
	return n, err
}

// RecordFilter narrows ListRecords and RecordCounts.
type RecordFilter struct {
	Types    []string
	Statuses []string
	Sort     string // created_desc (default) | updated_desc | title_asc | title_desc
	Limit    int
	Offset   int
}

// notInternal keeps rows out of lists and search as upstream does.
const notInternal = "(workflow_state IS NULL OR workflow_state <> 'internal_only')"

func (f RecordFilter) where(alias string) (string, []any) {
	conds := []string{strings.ReplaceAll(notInternal, "workflow_state", alias+"workflow_state")}
	var args []any
	if len(f.Types) > 0 {
		conds = append(conds, alias+"type IN (?)")
		args = append(args, bun.In(f.Types))
	}
	if len(f.Statuses) > 0 {
		conds = append(conds, "coalesce("+alias+"status, 'draft') IN (?)")
		args = append(args, bun.In(f.Statuses))
	}
	return strings.Join(conds, " AND "), args
}

// kindRank is upstream's list priority from metadata.kind (regular records
// first, then chapters, then roots), written exactly as the indexes have it
// (PostgreSQL: the generated column civicgo_kind = civicgo_kind_rank(metadata)).
func (q Q) kindRank(alias string) string {
	if q.dialect == Postgres {
		return alias + "civicgo_kind"
	}
	m := alias + "metadata"
	return "(CASE WHEN json_valid(" + m + ") THEN (CASE json_extract(" + m + ", '$.kind') WHEN 'root' THEN 3 WHEN 'chapter' THEN 2 ELSE 1 END) ELSE 1 END)"
}

// lowerTitle orders titles byte-wise on both databases.
func (q Q) lowerTitle(alias string) string {
	if q.dialect == Postgres {
		return "(lower(" + alias + "title) COLLATE \"C\")"
	}
	return "lower(" + alias + "title)"
}

func (q Q) orderBy(sort, alias string) string { return q.listOrder(sort, alias, false) }

// listOrder is the list order after the kind priority, or (reverse) its
// exact reverse.
func (q Q) listOrder(sort, alias string, reverse bool) string {
	asc, desc := " ASC", " DESC"
	if reverse {
		asc, desc = desc, asc
	}
	switch sort {
	case "updated_desc":
		return alias + "updated_at" + desc + ", " + alias + "id" + desc
	case "title_asc":
		return q.lowerTitle(alias) + asc + ", " + alias + "created_at" + desc + ", " + alias + "id" + desc
	case "title_desc":
		return q.lowerTitle(alias) + desc + ", " + alias + "created_at" + desc + ", " + alias + "id" + desc
	default:
		return alias + "created_at" + desc + ", " + alias + "id" + desc
	}
}

// ListRecords returns a page of rows in upstream's list order (kind
// priority, then the sort) and the number matching the filter.
func (q Q) ListRecords(ctx context.Context, f RecordFilter) ([]RecordRow, int, error) {
	total, err := q.CountListed(ctx, f)
	if err != nil || total == 0 || f.Offset >= total {
		return nil, total, err
	}
	rs, err := q.ListPage(ctx, f, total)
	return rs, total, err
}

// CountListed counts the rows a list with filter f pages through.
func (q Q) CountListed(ctx context.Context, f RecordFilter) (int, error) {
	where, args := q.listWhere(f, false)
	var total int
	err := q.queryRow(ctx, "SELECT count(*) FROM records WHERE "+where, args, &total)
	return total, err
}

// listWhere is f.where("") with one argument per list (inList); for a
// page of several types it keeps SQLite walking the sort's index, filtering
// as it goes, rather than sorting every record of the types.
func (q Q) listWhere(f RecordFilter, page bool) (string, []any) {
	where := notInternal
	var args []any
	if len(f.Types) > 0 {
		c, a := q.inList("type", f.Types, page && len(f.Types) > 1)
		where += " AND " + c
		args = append(args, a)
	}
	if len(f.Statuses) > 0 {
		c, a := q.inList("coalesce(status, 'draft')", f.Statuses, false)
		where += " AND " + c
		args = append(args, a)
	}
	return where, args
}

// ListPage returns the page f.Offset, f.Limit of the list with filter f,
// of total rows in all (CountListed; -1 when unknown). The page is found
// on the sort's index alone (it holds the filter columns: 20251101000001
// migrations; one type's pages have their own, 20251101000002), so a deep
// page skips index entries, not table rows, and only the page's rows are
// read whole; a page past the middle is counted from the end, walking the
// index backwards, so no page skips more than half the entries.
func (q Q) ListPage(ctx context.Context, f RecordFilter, total int) ([]RecordRow, error) {
	where, args := q.listWhere(f, true)
	order := q.kindRank("") + " ASC, " + q.orderBy(f.Sort, "")
	limit, offset, reverse := f.Limit, f.Offset, false
	if total >= 0 && offset > total/2 {
		reverse = true
		offset = total - f.Offset - f.Limit
		if offset < 0 {
			limit, offset = limit+offset, 0
		}
		if limit <= 0 {
			return nil, nil
		}
	}
	inner := order
	if reverse {
		inner = q.kindRank("") + " DESC, " + q.listOrder(f.Sort, "", true)
	}
	query := "SELECT " + recordColumns + " FROM records WHERE id IN (SELECT id FROM records WHERE " + where +
		" ORDER BY " + inner + " LIMIT ? OFFSET ?) ORDER BY " + order
	rows, err := q.query(ctx, query, append(args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	return scanRecords(rows)
}

// TypeStatusCount is one (type, status) group.
type TypeStatusCount struct {
	Type, Status string
	Count        int
}

// RecordCounts counts the listed rows (upstream's list rules) per type and
// status; only f.Types and f.Statuses apply.
func (q Q) RecordCounts(ctx context.Context, f RecordFilter) ([]TypeStatusCount, error) {
	where, args := f.where("")
	rows, err := q.idb.QueryContext(ctx, "SELECT type, coalesce(status, 'draft'), count(*) FROM records WHERE "+where+
		" GROUP BY type, coalesce(status, 'draft') ORDER BY 1, 2", args...)
	if err != nil {
		return nil, err
	}
	return scanCounts(rows)
}

func scanCounts(rows *sql.Rows) ([]TypeStatusCount, error) {
	defer rows.Close()
	var out []TypeStatusCount
	for rows.Next() {
		var c TypeStatusCount
		if err := rows.Scan(&c.Type, &c.Status, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// IndexState returns the value of an index-state key ("" and false when unset).
func (q Q) IndexState(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := q.idb.QueryRowContext(ctx, "SELECT value FROM civicgo_index_state WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetIndexState sets an index-state key.
func (q Q) SetIndexState(ctx context.Context, key, value string) error {
	_, err := q.idb.ExecContext(ctx, "INSERT INTO civicgo_index_state (key, value) VALUES (?, ?) "+
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value", key, value)
	return err
}

// NextDocSequence issues the next document-number sequence for a record type
// and year: 1 for the first, then each call one more, never the same twice
// even from concurrent processes.
func (q Q) NextDocSequence(ctx context.Context, recordType string, year int) (int, error) {
	var n int
	err := q.queryRow(ctx, "INSERT INTO civicgo_doc_sequences (record_type, year, last_seq) VALUES (?, ?, 1) "+
		"ON CONFLICT (record_type, year) DO UPDATE SET last_seq = civicgo_doc_sequences.last_seq + 1 RETURNING last_seq",
		[]any{recordType, year}, &n)
	return n, err
}

// RaiseDocSequence makes sure the next sequence issued for the type and year
// is above seq (a number already taken by a record file).
func (q Q) RaiseDocSequence(ctx context.Context, recordType string, year, seq int) error {
	maxFn := "max"
	if q.dialect == Postgres {
		maxFn = "GREATEST"
	}
	_, err := q.idb.ExecContext(ctx, "INSERT INTO civicgo_doc_sequences (record_type, year, last_seq) VALUES (?, ?, ?) "+
		"ON CONFLICT (record_type, year) DO UPDATE SET last_seq = "+maxFn+"(civicgo_doc_sequences.last_seq, excluded.last_seq)",
		recordType, year, seq)
	return err
}
