package store

import (
	"context"
	"time"
)

// Intent is a record write in progress (our redo log): the file content to
// write, the file to remove, the commit to make and the events to publish
// once done. It is inserted in the transaction that updates the index and
// deleted when the files and the commit are done.
type Intent struct {
	ID          int64
	RecordID    string
	WritePath   string
	Content     []byte
	RemovePath  string
	Message     string
	AuthorName  string
	AuthorEmail string
	Events      string // JSON
	CreatedAt   time.Time
}

// InsertIntent records in, setting its ID.
func (q Q) InsertIntent(ctx context.Context, in *Intent) error {
	if in.Events == "" {
		in.Events = "[]"
	}
	var content any
	if in.Content != nil {
		content = in.Content
	}
	return q.queryRow(ctx, "INSERT INTO civicgo_record_intents (record_id, write_path, content, remove_path, "+
		"message, author_name, author_email, events, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
		[]any{in.RecordID, nullable(in.WritePath), content, nullable(in.RemovePath), in.Message, in.AuthorName,
			in.AuthorEmail, in.Events, Stamp{time.Now()}}, &in.ID)
}

// PendingIntents lists the intents of recordID ("" for every record) in the
// order they were made.
func (q Q) PendingIntents(ctx context.Context, recordID string) ([]Intent, error) {
	query := "SELECT id, record_id, write_path, content, remove_path, message, author_name, author_email, events, created_at " +
		"FROM civicgo_record_intents"
	var args []any
	if recordID != "" {
		query += " WHERE record_id = ?"
		args = append(args, recordID)
	}
	rows, err := q.query(ctx, query+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Intent
	for rows.Next() {
		var in Intent
		var at Stamp
		if err := rows.Scan(&in.ID, &in.RecordID, (*nullString)(&in.WritePath), &in.Content, (*nullString)(&in.RemovePath),
			&in.Message, &in.AuthorName, &in.AuthorEmail, &in.Events, &at); err != nil {
			return nil, err
		}
		in.CreatedAt = at.Time
		out = append(out, in)
	}
	return out, rows.Err()
}

// DeleteIntent removes an intent and reports whether it was still there.
func (q Q) DeleteIntent(ctx context.Context, id int64) (bool, error) {
	res, err := q.exec(ctx, "DELETE FROM civicgo_record_intents WHERE id = ?", id)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
