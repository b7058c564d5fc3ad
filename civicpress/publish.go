package civicpress

import (
	"context"
	"errors"
	"strings"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
)

// Publish turns record id's draft into the published record: Markdown file,
// index row, draft removed, one Git commit ("Create record: <title>" for a
// new record, else "Update record: <title>", authored by actor, with a
// Co-authored-by trailer per other contributor). The record gets opts.Status,
// else the draft's status; a workflow-controlled status needs the
// transition right. Legal types get their document number on first
// publish. Needs records:edit; someone else's editing lock refuses it.
func (r *Records) Publish(ctx context.Context, actor *User, id string, opts PublishOptions) (*Record, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(id) {
		return nil, errDraftNotFound
	}
	unlock, err := c.beginWrite(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()

	row, err := c.db.Q().DraftByID(ctx, id)
	if errors.Is(err, store.ErrNoRows) {
		return nil, errDraftNotFound
	}
	if err != nil {
		return nil, err
	}
	d := draftFromRow(row)
	if err := c.require(actor, "records:edit", PermContext{RecordType: d.Type, Action: "edit"}); err != nil {
		return nil, err
	}
	if err := c.checkLock(ctx, actor, id); err != nil {
		return nil, err
	}
	var existing *published
	switch p, err := c.loadPublishedHeld(ctx, id, true); {
	case err == nil:
		existing = p
	case !errors.Is(err, ErrNotFound):
		return nil, err
	}
	from := c.initialStatus(d.Type)
	var base *recordfile.Record
	if existing != nil {
		rec := existing.record()
		if rec.Archived() {
			return nil, &Error{Kind: ErrConflict, Code: CodeRecordArchived, Message: "Archived records cannot be published again"}
		}
		from = rec.Status
		base = existing.editable()
	}
	if opts.Status != "" {
		d.Status = opts.Status
	}
	if d.Status == "" {
		d.Status = "draft"
	}
	if err := c.checkStatusWrite(actor, d.Type, from, d.Status); err != nil {
		return nil, err
	}
	if d.Title == "" {
		return nil, invalid(CodeValidation, FieldError{Field: "title", Message: "Title is required"})
	}
	rf, err := c.draftFile(ctx, actor, d, base)
	if err != nil {
		return nil, err
	}
	relPath := recordPath(rf.Type, id, fileTime(rf.Created, d.Created))
	if existing != nil && existing.row.Path != "" {
		relPath = existing.row.Path
	}
	needNumber := existing == nil && recordfile.IsLegalType(rf.Type) && rf.Metadata.String("document_number") == ""
	var data []byte
	var written *recordfile.Record
	if needNumber {
		// The file is rendered with its number in the transaction that
		// issues it (below); rendering it here too would be thrown away.
		// Validating first still refuses an invalid record before any
		// number is issued.
		err = c.validateFile(rf)
	} else {
		data, written, err = c.render(rf)
	}
	if err != nil {
		return nil, err
	}
	contributors, err := c.db.Q().Contributors(ctx, id)
	if err != nil {
		return nil, err
	}
	verb := "Update record: "
	if existing == nil {
		verb = "Create record: "
	}
	author := commitAuthor(actor)
	msg := verb + rf.Title + coAuthorTrailers(author.Email, actor, contributors)
	published := recordEvent(EventRecordPublished, actor, rf, relPath, map[string]any{"created": existing == nil, "previousStatus": from})
	removeDraft := func(ctx context.Context, q store.Q) error {
		_, err := q.DeleteDraft(ctx, id)
		return err
	}
	op := &fileOp{
		recordID: id, write: relPath, data: data, message: msg, author: author,
		audit:  []AuditEntry{auditEntry(actor, ActionPublishRecord, id, rf.Title)},
		events: []Event{published},
	}
	if !needNumber {
		op.index = c.indexChanges(written, relPath, nil, removeDraft)
	} else {
		// Issued in the transaction that publishes, so a failed publish
		// burns no number.
		op.prepare = func(ctx context.Context, q store.Q) error {
			created := fileTime(rf.Created, d.Created).UTC()
			seq, err := q.NextDocSequence(ctx, rf.Type, created.Year())
			if err != nil {
				return err
			}
			numbered := *rf
			numbered.Metadata = rf.Metadata.Clone()
			numbered.Metadata.Set("document_number", recordfile.FormatDocumentNumber(c.docFormat(rf.Type), created.Year(), seq))
			if op.data, written, err = c.render(&numbered); err != nil {
				return err
			}
			return c.indexChanges(written, relPath, nil, removeDraft)(ctx, q)
		}
	}
	if existing == nil {
		op.audit = append([]AuditEntry{auditEntry(actor, ActionCreateRecord, id, rf.Title)}, op.audit...)
		op.events = append([]Event{recordEvent(EventRecordCreated, actor, rf, relPath, nil)}, op.events...)
	}
	if _, err := c.runFileOp(ctx, op); err != nil {
		return nil, err
	}
	var wfRow *store.RecordRow
	if existing != nil {
		wfRow = &store.RecordRow{CreatedAt: existing.row.CreatedAt, UpdatedAt: existing.row.UpdatedAt}
	}
	out := recordFromFile(written, relPath, wfRow)
	out.WorkflowState = ""
	return out, nil
}

// coAuthorTrailers credits the contributors other than the committer, one
// "Co-authored-by: Name <email>" line each, as GitHub and GitLab read them.
func coAuthorTrailers(committerEmail string, actor *User, cs []store.Contributor) string {
	var lines []string
	seen := map[string]bool{strings.ToLower(committerEmail): true}
	for _, x := range cs {
		if actor != nil && actor != System && x.UserID == actor.ID {
			continue
		}
		a := commitAuthor(&User{ID: x.UserID, Username: x.Username, Name: x.Name, Email: x.Email})
		if seen[strings.ToLower(a.Email)] {
			continue
		}
		seen[strings.ToLower(a.Email)] = true
		lines = append(lines, "Co-authored-by: "+a.Name+" <"+a.Email+">")
	}
	if len(lines) == 0 {
		return ""
	}
	return "\n\n" + strings.Join(lines, "\n")
}
