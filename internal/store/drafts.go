package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// DraftRow is a row of upstream's record_drafts table. Body is nil for a
// NULL markdown_body.
type DraftRow struct {
	ID                   string
	Title                string
	Type                 string
	Status               string
	WorkflowState        *string
	Body                 *string
	Metadata             string
	Geography            string
	AttachedFiles        string
	LinkedRecords        string
	LinkedGeographyFiles string
	Author               string
	CreatedBy            string
	LastSavedAt          time.Time
	CreatedAt, UpdatedAt time.Time
}

const draftColumns = "id, title, type, status, workflow_state, markdown_body, metadata, geography, attached_files, " +
	"linked_records, linked_geography_files, author, created_by, last_draft_saved_at, created_at, updated_at"

func scanDrafts(rows *sql.Rows) ([]DraftRow, error) {
	defer rows.Close()
	var out []DraftRow
	for rows.Next() {
		var d DraftRow
		var wf, body sql.NullString
		var saved, c, u Stamp
		if err := rows.Scan(&d.ID, &d.Title, &d.Type, (*nullString)(&d.Status), &wf, &body, (*nullString)(&d.Metadata),
			(*nullString)(&d.Geography), (*nullString)(&d.AttachedFiles), (*nullString)(&d.LinkedRecords),
			(*nullString)(&d.LinkedGeographyFiles), (*nullString)(&d.Author), (*nullString)(&d.CreatedBy),
			&saved, &c, &u); err != nil {
			return nil, err
		}
		if wf.Valid {
			s := wf.String
			d.WorkflowState = &s
		}
		if body.Valid {
			s := body.String
			d.Body = &s
		}
		d.LastSavedAt, d.CreatedAt, d.UpdatedAt = saved.Time, c.Time, u.Time
		out = append(out, d)
	}
	return out, rows.Err()
}

func (d *DraftRow) args() []any {
	var wf, body any
	if d.WorkflowState != nil {
		wf = *d.WorkflowState
	}
	if d.Body != nil {
		body = *d.Body
	}
	return []any{d.ID, d.Title, d.Type, nullable(d.Status), wf, body, nullable(d.Metadata), nullable(d.Geography),
		nullable(d.AttachedFiles), nullable(d.LinkedRecords), nullable(d.LinkedGeographyFiles), nullable(d.Author),
		nullable(d.CreatedBy), Stamp{d.LastSavedAt}, Stamp{d.CreatedAt}, Stamp{d.UpdatedAt}}
}

// InsertDraft inserts d; a draft with the same id makes it fail with a
// unique violation (IsUniqueViolation).
func (q Q) InsertDraft(ctx context.Context, d *DraftRow) error {
	_, err := q.exec(ctx, "INSERT INTO record_drafts ("+draftColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", d.args()...)
	return err
}

// UpdateDraft rewrites the row d.ID (every column but id, created_by and created_at).
func (q Q) UpdateDraft(ctx context.Context, d *DraftRow) error {
	a := d.args()
	res, err := q.exec(ctx, "UPDATE record_drafts SET title = ?, type = ?, status = ?, workflow_state = ?, "+
		"markdown_body = ?, metadata = ?, geography = ?, attached_files = ?, linked_records = ?, linked_geography_files = ?, "+
		"author = ?, last_draft_saved_at = ?, updated_at = ? WHERE id = ?",
		a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[13], a[15], d.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DraftByID returns the draft of id, or ErrNoRows.
func (q Q) DraftByID(ctx context.Context, id string) (*DraftRow, error) {
	rows, err := q.query(ctx, "SELECT "+draftColumns+" FROM record_drafts WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	ds, err := scanDrafts(rows)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, ErrNoRows
	}
	return &ds[0], nil
}

// DeleteDraft removes the draft of id and its contributors; it reports
// whether there was one.
func (q Q) DeleteDraft(ctx context.Context, id string) (bool, error) {
	res, err := q.exec(ctx, "DELETE FROM record_drafts WHERE id = ?", id)
	if err != nil {
		return false, err
	}
	if _, err := q.exec(ctx, "DELETE FROM civicgo_draft_contributors WHERE record_id = ?", id); err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// DraftFilter narrows ListDrafts.
type DraftFilter struct {
	Types []string
	// Owners, when set, keeps drafts whose created_by is one of them (a user
	// id as text or a username: upstream wrote either).
	Owners []string
	Limit  int
	Offset int
}

// ListDrafts returns a page of drafts, most recently saved first, and the
// number matching.
func (q Q) ListDrafts(ctx context.Context, f DraftFilter) ([]DraftRow, int, error) {
	conds := []string{"1 = 1"}
	var args []any
	if len(f.Types) > 0 {
		conds = append(conds, "type IN (?)")
		args = append(args, bun.In(f.Types))
	}
	if f.Owners != nil {
		conds = append(conds, "created_by IN (?)")
		args = append(args, bun.In(f.Owners))
	}
	where := strings.Join(conds, " AND ")
	var total int
	if err := q.idb.QueryRowContext(ctx, "SELECT count(*) FROM record_drafts WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := q.idb.QueryContext(ctx, "SELECT "+draftColumns+" FROM record_drafts WHERE "+where+
		" ORDER BY updated_at DESC, id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	ds, err := scanDrafts(rows)
	return ds, total, err
}

// DraftIDs reports which of ids have a draft.
func (q Q) DraftIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		rows, err := q.idb.QueryContext(ctx, "SELECT id FROM record_drafts WHERE id IN (?)", bun.In(ids[:n]))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

// IDTaken reports whether id names a record or a draft.
func (q Q) IDTaken(ctx context.Context, id string) (bool, error) {
	var n int
	err := q.queryRow(ctx, "SELECT (SELECT count(*) FROM records WHERE id = ?) + (SELECT count(*) FROM record_drafts WHERE id = ?)", []any{id, id}, &n)
	return n > 0, err
}

// Contributor is a user recorded as having edited a draft.
type Contributor struct {
	UserID   int64
	Username string
	Name     string
	Email    string
}

// AddContributors records users as contributors to the draft of recordID
// (once each; details refreshed).
func (q Q) AddContributors(ctx context.Context, recordID string, cs []Contributor) error {
	// Millisecond stamps, one apart within a call, keep the order of first
	// contribution (an existing row keeps its stamp).
	now := time.Now()
	for i, c := range cs {
		at := ISOStamp{now.Add(time.Duration(i) * time.Millisecond)}
		_, err := q.exec(ctx, "INSERT INTO civicgo_draft_contributors (record_id, user_id, username, name, email, added_at) "+
			"VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (record_id, user_id) DO UPDATE SET username = excluded.username, "+
			"name = excluded.name, email = excluded.email", recordID, c.UserID, c.Username, nullable(c.Name), nullable(c.Email), at)
		if err != nil {
			return err
		}
	}
	return nil
}

// Contributors lists the contributors to the draft of recordID, in the order
// they first contributed.
func (q Q) Contributors(ctx context.Context, recordID string) ([]Contributor, error) {
	rows, err := q.query(ctx, "SELECT user_id, username, name, email FROM civicgo_draft_contributors "+
		"WHERE record_id = ? ORDER BY added_at, user_id", recordID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Contributor
	for rows.Next() {
		var c Contributor
		if err := rows.Scan(&c.UserID, &c.Username, (*nullString)(&c.Name), (*nullString)(&c.Email)); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
