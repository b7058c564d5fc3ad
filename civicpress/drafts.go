package civicpress

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
)

var workflowStateRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkDraftFields validates what a draft write sets.
func (c *Core) checkDraftFields(ch Changes) error {
	var fields []FieldError
	if ch.Title != nil {
		if n := utf8.RuneCountInString(*ch.Title); n == 0 || n > 500 {
			fields = append(fields, FieldError{Field: "title", Message: "Title must be 1 to 500 characters"})
		}
	}
	if ch.Type != nil && !slices.Contains(c.settings.TypeKeys(), *ch.Type) {
		fields = append(fields, FieldError{Field: "type", Message: fmt.Sprintf("Unknown record type %q", *ch.Type)})
	}
	if ch.Status != nil && !slices.Contains(c.settings.StatusKeys(), *ch.Status) {
		fields = append(fields, FieldError{Field: "status", Message: fmt.Sprintf("Unknown status %q", *ch.Status)})
	}
	if ch.WorkflowState != nil && *ch.WorkflowState != "" && !workflowStateRe.MatchString(*ch.WorkflowState) {
		fields = append(fields, FieldError{Field: "workflowState", Message: "workflowState must be lower-case letters, digits and _"})
	}
	if len(fields) > 0 {
		return invalid(CodeValidation, fields...)
	}
	return nil
}

// applyDraft sets the fields of ch on d (a draft's metadata is replaced:
// the editor sends all of it).
func applyDraft(d *Draft, ch Changes) {
	if ch.Title != nil {
		d.Title = *ch.Title
	}
	if ch.Type != nil {
		d.Type = *ch.Type
	}
	if ch.Body != nil {
		d.Body = *ch.Body
	}
	if ch.Status != nil {
		d.Status = *ch.Status
	}
	if ch.WorkflowState != nil {
		d.WorkflowState = *ch.WorkflowState
	}
	if ch.Metadata != nil {
		d.Metadata = ch.Metadata.Clone()
	}
	if ch.Geography != nil {
		d.Geography = ch.Geography.Clone()
		if d.Geography.Len() == 0 {
			d.Geography = nil
		}
	}
	if ch.AttachedFiles != nil {
		d.AttachedFiles = cloneMaps(ch.AttachedFiles)
	}
	if ch.LinkedRecords != nil {
		d.LinkedRecords = cloneMaps(ch.LinkedRecords)
	}
	if ch.LinkedGeographyFiles != nil {
		d.LinkedGeographyFiles = cloneMaps(ch.LinkedGeographyFiles)
	}
}

func requireWriter(actor *User) error {
	if actor == nil {
		return errUnauthenticated
	}
	return nil
}

// CreateDraft starts a new record as a draft (upstream POST /records): id
// record-<ms> (unique even for concurrent calls and across processes), title
// and type required, status "draft" and workflow state "draft" unless given.
// Needs records:create for the type; a workflow-controlled status must be
// reachable from the type's initial status by the actor's role.
func (r *Records) CreateDraft(ctx context.Context, actor *User, ch Changes) (*Draft, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	var missing []FieldError
	if ch.Title == nil || *ch.Title == "" {
		missing = append(missing, FieldError{Field: "title", Message: "Title is required"})
	}
	if ch.Type == nil || *ch.Type == "" {
		missing = append(missing, FieldError{Field: "type", Message: "Type is required"})
	}
	if len(missing) > 0 {
		return nil, invalid(CodeValidation, missing...)
	}
	if err := c.checkDraftFields(ch); err != nil {
		return nil, err
	}
	if err := c.require(actor, "records:create", PermContext{RecordType: *ch.Type, Action: "create"}); err != nil {
		return nil, err
	}
	initial := c.initialStatus(*ch.Type)
	d := &Draft{Status: "draft", WorkflowState: "draft", Metadata: new(Map), Author: actor.Username, CreatedBy: actorKey(actor)}
	applyDraft(d, ch)
	if err := c.checkStatusWrite(actor, d.Type, initial, d.Status); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	d.Created, d.Updated, d.LastSaved = now, now, now
	for attempt := 0; ; attempt++ {
		err := c.serialTx(func() error {
			return c.inTx(ctx, func(t *txn) error {
				id, err := c.newRecordID(ctx, t.q)
				if err != nil {
					return err
				}
				d.ID = id
				if err := t.q.InsertDraft(ctx, draftRow(d)); err != nil {
					return err
				}
				return t.emit(draftEvent(EventDraftSaved, actor, d, true))
			})
		})
		if store.IsUniqueViolation(err) && attempt < 100 {
			continue // another process took the id between our check and insert
		}
		if err != nil {
			return nil, err
		}
		break
	}
	d.Contributors = []Contributor{}
	return d, nil
}

func draftEvent(typ EventType, actor *User, d *Draft, created bool) Event {
	ev := Event{Type: typ, RecordID: d.ID, RecordType: d.Type,
		Data: map[string]any{"title": d.Title, "status": d.Status}}
	if actor != nil {
		ev.UserID, ev.Username = actor.ID, actor.Username
	}
	if created {
		ev.Data["created"] = true
	}
	return ev
}

// SaveDraft writes the draft of record id (upstream PUT /records/{id}/draft):
// it updates the draft when one exists (fields absent from ch keep their
// values; metadata is replaced); otherwise it creates it, starting from the
// published record when there is one (title, type, status, metadata, body,
// attachments and links), else from ch alone (title and type required).
// Needs records:edit; someone else's editing lock refuses it (RECORD_LOCKED).
func (r *Records) SaveDraft(ctx context.Context, actor *User, id string, ch Changes) (*Draft, error) {
	return r.saveDraft(ctx, actor, id, ch, nil)
}

// SaveDraftBody saves markdown as the body of record id's draft, like
// SaveDraft with only Body set, and records contributors as having edited the
// draft since the last publish (Publish credits each one other than the
// publisher with a Co-authored-by trailer). The realtime hub calls it for
// writeback, usually as System (with the editors as contributors); a draft it
// creates belongs to the first contributor.
func (r *Records) SaveDraftBody(ctx context.Context, actor *User, id, markdown string, contributors []*User) (*Draft, error) {
	return r.saveDraft(ctx, actor, id, Changes{Body: &markdown}, contributors)
}

func (r *Records) saveDraft(ctx context.Context, actor *User, id string, ch Changes, contributors []*User) (*Draft, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(id) {
		return nil, invalid(CodeValidation, FieldError{Field: "id", Message: "Record id must match ^[a-zA-Z0-9_-]+$"})
	}
	if err := c.checkDraftFields(ch); err != nil {
		return nil, err
	}
	unlock, err := c.lockRecords(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()

	row, err := c.db.Q().DraftByID(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNoRows) {
		return nil, err
	}
	var d *Draft
	created := false
	var from string // status the write moves from
	if row != nil {
		d = draftFromRow(row)
		if err := c.require(actor, "records:edit", PermContext{RecordType: d.Type, Action: "edit"}); err != nil {
			return nil, err
		}
		from = d.Status
	} else {
		created = true
		owner := actor
		if actor == System && len(contributors) > 0 && contributors[0] != nil {
			owner = contributors[0]
		}
		d = &Draft{ID: id, Status: "draft", WorkflowState: "draft", Metadata: new(Map), Author: owner.Username, CreatedBy: actorKey(owner)}
		p, err := c.loadPublishedHeld(ctx, id, true)
		switch {
		case err == nil:
			rec := p.record()
			if rec.Archived() {
				return nil, &Error{Kind: ErrConflict, Code: CodeRecordArchived, Message: "Archived records cannot be edited"}
			}
			d.Title, d.Type, d.Status, d.Body = rec.Title, rec.Type, rec.Status, rec.Content
			d.Metadata, d.Geography = rec.Metadata, rec.Geography
			d.AttachedFiles, d.LinkedRecords, d.LinkedGeographyFiles = rec.AttachedFiles, rec.LinkedRecords, rec.LinkedGeographyFiles
			from = rec.Status
		case errors.Is(err, ErrNotFound):
			var missing []FieldError
			if ch.Title == nil || *ch.Title == "" {
				missing = append(missing, FieldError{Field: "title", Message: "Title and type are required for new drafts"})
			}
			if ch.Type == nil || *ch.Type == "" {
				missing = append(missing, FieldError{Field: "type", Message: "Title and type are required for new drafts"})
			}
			if len(missing) > 0 {
				return nil, invalid(CodeValidation, missing...)
			}
			from = c.initialStatus(*ch.Type)
		default:
			return nil, err
		}
		perm := "records:edit"
		if d.Type == "" { // a brand-new record
			perm = "records:create"
		}
		t := d.Type
		if t == "" {
			t = *ch.Type
		}
		if err := c.require(actor, perm, PermContext{RecordType: t, Action: perm[len("records:"):]}); err != nil {
			return nil, err
		}
	}
	if ch.Type != nil && *ch.Type != d.Type && d.Type != "" {
		if err := c.require(actor, "records:edit", PermContext{RecordType: *ch.Type, Action: "edit"}); err != nil {
			return nil, err
		}
	}
	if err := c.checkLock(ctx, actor, id); err != nil {
		return nil, err
	}
	applyDraft(d, ch)
	if err := c.checkStatusWrite(actor, d.Type, from, d.Status); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	if created {
		d.Created = now
	}
	d.Updated, d.LastSaved = now, now
	var cs []store.Contributor
	for _, u := range contributors {
		if u != nil && u != System {
			cs = append(cs, store.Contributor{UserID: u.ID, Username: u.Username, Name: u.Name, Email: u.Email})
		}
	}
	err = c.serialTx(func() error {
		return c.inTx(ctx, func(t *txn) error {
			if created {
				if err := t.q.InsertDraft(ctx, draftRow(d)); err != nil {
					return err
				}
			} else if err := t.q.UpdateDraft(ctx, draftRow(d)); err != nil {
				return err
			}
			if err := t.q.AddContributors(ctx, id, cs); err != nil {
				return err
			}
			return t.emit(draftEvent(EventDraftSaved, actor, d, created))
		})
	})
	if err != nil {
		return nil, err
	}
	if err := c.fillContributors(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

func (c *Core) fillContributors(ctx context.Context, d *Draft) error {
	cs, err := c.db.Q().Contributors(ctx, d.ID)
	if err != nil {
		return err
	}
	d.Contributors = make([]Contributor, len(cs))
	for i, x := range cs {
		d.Contributors[i] = Contributor(x)
	}
	return nil
}

// ownsDraft reports whether actor created d.
func ownsDraft(actor *User, d *Draft) bool { return isActor(actor, d.CreatedBy) }

// GetDraft returns record id's draft: to editors (records:edit) whatever its
// creator, to others holding records:view only their own.
func (r *Records) GetDraft(ctx context.Context, actor *User, id string) (*Draft, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(id) {
		return nil, errDraftNotFound
	}
	row, err := c.db.Q().DraftByID(ctx, id)
	if errors.Is(err, store.ErrNoRows) {
		return nil, errDraftNotFound
	}
	if err != nil {
		return nil, err
	}
	d := draftFromRow(row)
	if !c.Can(actor, "records:edit", PermContext{RecordType: d.Type, Action: "edit"}) {
		if !c.Can(actor, "records:view", PermContext{RecordType: d.Type, Action: "view"}) {
			return nil, forbidden("records:view")
		}
		if !ownsDraft(actor, d) {
			return nil, errDraftNotFound
		}
	}
	if err := c.fillContributors(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDraft discards record id's draft (records:edit; someone else's draft
// also needs records:delete). The published record, if any, is untouched.
func (r *Records) DeleteDraft(ctx context.Context, actor *User, id string) error {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return err
	}
	if !idPattern.MatchString(id) {
		return errDraftNotFound
	}
	unlock, err := c.lockRecords(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	row, err := c.db.Q().DraftByID(ctx, id)
	if errors.Is(err, store.ErrNoRows) {
		return errDraftNotFound
	}
	if err != nil {
		return err
	}
	d := draftFromRow(row)
	if err := c.require(actor, "records:edit", PermContext{RecordType: d.Type, Action: "edit"}); err != nil {
		return err
	}
	if !ownsDraft(actor, d) {
		if err := c.require(actor, "records:delete", PermContext{RecordType: d.Type, Action: "delete"}); err != nil {
			return err
		}
	}
	if err := c.checkLock(ctx, actor, id); err != nil {
		return err
	}
	return c.inTx(ctx, func(t *txn) error {
		if _, err := t.q.DeleteDraft(ctx, id); err != nil {
			return err
		}
		return t.emit(draftEvent(EventDraftDeleted, actor, d, false))
	})
}

// ListDrafts lists drafts, most recently saved first, with the number
// matching (records:view). Users without records:edit see only their own.
func (r *Records) ListDrafts(ctx context.Context, actor *User, f DraftFilter) ([]*Draft, int, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, 0, err
	}
	if err := c.require(actor, "records:view", PermContext{}); err != nil {
		return nil, 0, err
	}
	sf := store.DraftFilter{Types: f.Types, Limit: normLimit(f.Limit, 50, 1000), Offset: max(f.Offset, 0)}
	if !c.Can(actor, "records:edit", PermContext{}) {
		sf.Owners = []string{actorKey(actor), actor.Username}
	}
	rows, total, err := c.db.Q().ListDrafts(ctx, sf)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*Draft, len(rows))
	for i := range rows {
		out[i] = draftFromRow(&rows[i])
	}
	return out, total, nil
}

// authorEntry is the authors item upstream writes for a user.
func authorEntry(u *User) *Map {
	m := NewMap("name", u.Name, "username", u.Username, "role", u.Role)
	if u.Name == "" {
		m.Set("name", u.Username)
	}
	if u.Email != "" {
		m.Set("email", u.Email)
	}
	return m
}

// draftUser resolves the user who created d (falling back to actor).
func (c *Core) draftUser(ctx context.Context, actor *User, d *Draft) *User {
	if id, err := strconv.ParseInt(d.CreatedBy, 10, 64); err == nil && id > 0 {
		if row, err := c.db.Q().UserByID(ctx, id); err == nil {
			return toUser(row)
		}
	} else if d.CreatedBy != "" {
		if row, err := c.db.Q().UserByUsername(ctx, d.CreatedBy); err == nil {
			return toUser(row)
		}
	}
	return actor
}

// draftFile builds the record file a draft publishes to: over the current
// file (base, nil for a new record) the draft's fields; a new record gets
// upstream's authorship (author, authors, and author*/created/updated in the
// metadata) from the draft's creator.
func (c *Core) draftFile(ctx context.Context, actor *User, d *Draft, base *recordfile.Record) (*recordfile.Record, error) {
	now := recordfile.FormatTime(time.Now())
	var rf recordfile.Record
	if base != nil {
		rf = *base
		rf.Authors = cloneMaps(base.Authors)
		rf.Metadata = base.Metadata.Clone()
		if rf.Metadata == nil {
			rf.Metadata = new(Map)
		}
		if base.Source != nil {
			rf.Source = base.Source.Clone()
		}
		if d.Metadata != nil {
			d.Metadata.Range(func(k string, v any) bool { rf.Metadata.Set(k, v); return true })
		}
	} else {
		u := c.draftUser(ctx, actor, d)
		created := d.Created
		if created.IsZero() {
			created = time.Now()
		}
		rf = recordfile.Record{ID: d.ID, Author: d.Author, Created: recordfile.FormatTime(created)}
		if rf.Author == "" && u != nil {
			rf.Author = u.Username
		}
		rf.Metadata = d.Metadata.Clone()
		if rf.Metadata == nil {
			rf.Metadata = new(Map)
		}
		if u != nil && u != System {
			rf.Authors = []*Map{authorEntry(u)}
			for _, kv := range []struct {
				k string
				v any
			}{{"author", u.Username}, {"authorId", float64(u.ID)}, {"authorName", u.Name}, {"authorEmail", u.Email}} {
				if s, ok := kv.v.(string); ok && s == "" {
					continue
				}
				if !rf.Metadata.Has(kv.k) {
					rf.Metadata.Set(kv.k, kv.v)
				}
			}
		}
		if !rf.Metadata.Has("created") {
			rf.Metadata.Set("created", rf.Created)
		}
		if !rf.Metadata.Has("updated") {
			rf.Metadata.Set("updated", now)
		}
	}
	// A string source in the metadata is upstream's old form of source.
	if s, ok := rf.Metadata.Get("source"); ok {
		if str, ok := s.(string); ok && str != "" && rf.Source == nil {
			rf.Source = NewMap("reference", str)
			rf.Metadata.Delete("source")
		}
	}
	rf.Title, rf.Type, rf.Status, rf.Body = d.Title, d.Type, d.Status, d.Body
	rf.Geography = d.Geography.Clone()
	rf.AttachedFiles = cloneMaps(d.AttachedFiles)
	rf.LinkedRecords = cloneMaps(d.LinkedRecords)
	rf.LinkedGeographyFiles = cloneMaps(d.LinkedGeographyFiles)
	rf.Updated = now
	return &rf, nil
}
