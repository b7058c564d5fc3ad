package civicpress

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/civicpress/civicpress-go/internal/recordfile"
)

// CodeRecordArchived refuses a write to an archived record (read-only).
const CodeRecordArchived = "RECORD_ARCHIVED"

// loadForWrite loads record id for a write by actor needing perm: the caller
// holds the record's lock.
func (c *Core) loadForWrite(ctx context.Context, actor *User, id, perm string) (*published, *Record, error) {
	p, err := c.loadPublishedHeld(ctx, id, true)
	if err != nil {
		return nil, nil, err
	}
	rec := p.record()
	if err := c.require(actor, perm, PermContext{RecordType: rec.Type, Action: perm[len("records:"):]}); err != nil {
		return nil, nil, err
	}
	if err := c.checkLock(ctx, actor, id); err != nil {
		return nil, nil, err
	}
	return p, rec, nil
}

// Update writes a published record directly (upstream PUT /records/{id}):
// only the fields set in ch change (metadata is merged over the current
// metadata; a string metadata.source becomes the source), the file is
// rewritten and committed ("Update record: <title>"). Needs records:edit;
// moving into a workflow-controlled status needs the transition right, and
// moving to archived archives the record. A record's type cannot change.
func (r *Records) Update(ctx context.Context, actor *User, id string, ch Changes) (*Record, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	if err := c.checkDraftFields(ch); err != nil {
		return nil, err
	}
	unlock, err := c.beginWrite(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, rec, err := c.loadForWrite(ctx, actor, id, "records:edit")
	if err != nil {
		return nil, err
	}
	if rec.Archived() {
		return nil, &Error{Kind: ErrConflict, Code: CodeRecordArchived, Message: "Archived records cannot be edited"}
	}
	if ch.Type != nil && *ch.Type != rec.Type {
		return nil, invalid(CodeValidation, FieldError{Field: "type", Message: "A published record's type cannot change"})
	}
	if ch.Status != nil {
		if err := c.checkStatusWrite(actor, rec.Type, rec.Status, *ch.Status); err != nil {
			return nil, err
		}
	}
	rf := p.editable()
	if ch.Title != nil {
		rf.Title = *ch.Title
	}
	if ch.Body != nil {
		rf.Body = *ch.Body
	}
	if ch.Status != nil {
		rf.Status = *ch.Status
	}
	if ch.Metadata != nil {
		ch.Metadata.Range(func(k string, v any) bool { rf.Metadata.Set(k, v); return true })
	}
	if s, ok := rf.Metadata.Get("source"); ok {
		if str, ok := s.(string); ok && str != "" {
			rf.Source = NewMap("reference", str)
			rf.Metadata.Delete("source")
		}
	}
	if ch.Geography != nil {
		rf.Geography = ch.Geography.Clone()
		if rf.Geography.Len() == 0 {
			rf.Geography = nil
		}
	}
	if ch.AttachedFiles != nil {
		rf.AttachedFiles = cloneMaps(ch.AttachedFiles)
	}
	if ch.LinkedRecords != nil {
		rf.LinkedRecords = cloneMaps(ch.LinkedRecords)
	}
	if ch.LinkedGeographyFiles != nil {
		rf.LinkedGeographyFiles = cloneMaps(ch.LinkedGeographyFiles)
	}
	rf.Updated = recordfile.FormatTime(time.Now())
	wf := p.row.WorkflowState
	if ch.WorkflowState != nil {
		s := *ch.WorkflowState
		wf = &s
		if s == "" {
			wf = nil
		}
	}
	if rf.Status == StatusArchived {
		return c.archiveLocked(ctx, actor, p, rf, rec.Status, "")
	}
	data, rf, err := c.render(rf)
	if err != nil {
		return nil, err
	}
	events := []Event{recordEvent(EventRecordUpdated, actor, rf, p.row.Path, map[string]any{"previousStatus": rec.Status})}
	if rf.Status != rec.Status {
		events = append(events, recordEvent(EventStatusChanged, actor, rf, p.row.Path, map[string]any{"previousStatus": rec.Status}))
	}
	author := commitAuthor(actor)
	op := &fileOp{recordID: id, write: p.row.Path, data: data, author: author,
		message: "Update record: " + rf.Title,
		index:   c.indexChanges(rf, p.row.Path, wf, nil),
		audit:   []AuditEntry{auditEntry(actor, ActionUpdateRecord, id, rf.Title)},
		events:  events,
	}
	if _, err := c.runFileOp(ctx, op); err != nil {
		return nil, err
	}
	out := recordFromFile(rf, p.row.Path, p.row)
	out.WorkflowState = ""
	if wf != nil {
		out.WorkflowState = *wf
	}
	return out, nil
}

// ChangeStatus moves record id to status along workflows.yml: the transition
// must exist from the current status and the actor's role must be allowed
// to perform it (records:edit as well). It writes statusChangedBy,
// statusChangedAt, statusChangeComment and previousStatus in the metadata
// and commits ("Update record: <title>"). Moving to archived archives the
// record (see Archive).
func (r *Records) ChangeStatus(ctx context.Context, actor *User, id, status, comment string) (*StatusChange, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	if status == "" {
		return nil, invalid(CodeValidation, FieldError{Field: "status", Message: "Status is required"})
	}
	if !slices.Contains(c.settings.StatusKeys(), status) {
		return nil, invalid(CodeValidation, FieldError{Field: "status", Message: fmt.Sprintf("Unknown status %q", status)})
	}
	unlock, err := c.beginWrite(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, rec, err := c.loadForWrite(ctx, actor, id, "records:edit")
	if err != nil {
		return nil, err
	}
	if err := c.settings.Workflows.ValidateTransition(rec.Type, rec.Status, status, roleOf(actor)); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	rf := p.editable()
	rf.Status = status
	rf.Metadata.Set("statusChangedBy", actor.Username)
	rf.Metadata.Set("statusChangedAt", recordfile.FormatTime(now))
	if comment != "" {
		rf.Metadata.Set("statusChangeComment", comment)
	} else {
		rf.Metadata.Delete("statusChangeComment")
	}
	rf.Metadata.Set("previousStatus", rec.Status)
	rf.Updated = recordfile.FormatTime(now)
	change := &StatusChange{PreviousStatus: rec.Status, NewStatus: status, ChangedBy: actor.Username, ChangedAt: now, Comment: comment}
	if status == StatusArchived {
		change.Record, err = c.archiveLocked(ctx, actor, p, rf, rec.Status, comment)
		if err != nil {
			return nil, err
		}
		return change, nil
	}
	data, rf, err := c.render(rf)
	if err != nil {
		return nil, err
	}
	op := &fileOp{recordID: id, write: p.row.Path, data: data, author: commitAuthor(actor),
		message: "Update record: " + rf.Title,
		index:   c.indexChanges(rf, p.row.Path, p.row.WorkflowState, nil),
		audit:   []AuditEntry{auditEntry(actor, ActionUpdateRecord, id, fmt.Sprintf("status %s -> %s", rec.Status, status))},
		events: []Event{recordEvent(EventStatusChanged, actor, rf, p.row.Path,
			map[string]any{"previousStatus": rec.Status, "comment": comment})},
	}
	if _, err := c.runFileOp(ctx, op); err != nil {
		return nil, err
	}
	change.Record = recordFromFile(rf, p.row.Path, p.row)
	return change, nil
}

// Transitions lists the statuses actor may move record id to ([] for a
// record that exists only as a draft, and for one actor may not edit).
func (r *Records) Transitions(ctx context.Context, actor *User, id string) ([]string, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	p, err := c.loadPublished(ctx, id)
	if err != nil {
		if has, derr := c.db.Q().DraftIDs(ctx, []string{id}); derr == nil && has[id] {
			return []string{}, nil
		}
		return nil, err
	}
	rec := p.record()
	if rec.Archived() || !c.Can(actor, "records:edit", PermContext{RecordType: rec.Type, Action: "edit"}) {
		return []string{}, nil
	}
	out := c.settings.Workflows.AvailableTransitions(rec.Type, rec.Status, roleOf(actor))
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// Archive archives record id (upstream DELETE /records/{id}): status
// archived in the file and the index, archived_by/_id/_name/_at in the
// metadata, the file moved to archive/<type>/<YYYY>/<id>.md, removed from
// search, committed ("Archive record: <title>"). Archiving an archived
// record changes nothing. Needs records:delete.
func (r *Records) Archive(ctx context.Context, actor *User, id string) (*Record, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	unlock, err := c.beginWrite(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, rec, err := c.loadForWrite(ctx, actor, id, "records:delete")
	if err != nil {
		return nil, err
	}
	if rec.Archived() && isArchivePath(p.row.Path) {
		return rec, nil
	}
	rf := p.editable()
	rf.Updated = recordfile.FormatTime(time.Now())
	return c.archiveLocked(ctx, actor, p, rf, rec.Status, "")
}

// archiveLocked writes rf as the archived version of p's record and moves it.
func (c *Core) archiveLocked(ctx context.Context, actor *User, p *published, rf *recordfile.Record, previous, comment string) (*Record, error) {
	now := time.Now().UTC()
	rf.Status = StatusArchived
	rf.Metadata.Set("archived_by", actor.Username)
	rf.Metadata.Set("archived_by_id", float64(actor.ID))
	if actor.Name != "" {
		rf.Metadata.Set("archived_by_name", actor.Name)
	}
	rf.Metadata.Set("archived_at", recordfile.FormatTime(now))
	data, rf, err := c.render(rf)
	if err != nil {
		return nil, err
	}
	newPath := archivePath(rf.Type, rf.ID, p.row.Path, fileTime(rf.Created, p.row.CreatedAt))
	remove := p.row.Path
	if remove == newPath {
		remove = ""
	}
	events := []Event{recordEvent(EventRecordArchived, actor, rf, newPath, map[string]any{"previousStatus": previous, "previousPath": p.row.Path})}
	if previous != StatusArchived {
		events = append(events, recordEvent(EventStatusChanged, actor, rf, newPath, map[string]any{"previousStatus": previous, "comment": comment}))
	}
	op := &fileOp{recordID: rf.ID, write: newPath, data: data, remove: remove, author: commitAuthor(actor),
		message: "Archive record: " + rf.Title,
		index:   c.indexChanges(rf, newPath, p.row.WorkflowState, nil),
		audit:   []AuditEntry{auditEntry(actor, ActionArchiveRecord, rf.ID, rf.Title)},
		events:  events,
	}
	if _, err := c.runFileOp(ctx, op); err != nil {
		return nil, err
	}
	return recordFromFile(rf, newPath, p.row), nil
}
