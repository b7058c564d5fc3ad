package civicpress

import (
	"context"
	"errors"
)

// errNotImplemented marks bodies still being written (this file disappears
// once every method below has its real implementation).
var errNotImplemented = errors.New("civicpress: not implemented yet")

// CreateDraft starts a new record as a draft (upstream POST /records): id
// record-<ms> (unique even for concurrent calls), title and type required,
// status "draft" and workflow state "draft" unless given. Needs records:create
// for the type.
func (r *Records) CreateDraft(ctx context.Context, actor *User, ch Changes) (*Draft, error) {
	return nil, errNotImplemented
}

// SaveDraft writes the draft of record id (upstream PUT /records/{id}/draft):
// it updates the draft when one exists; otherwise it creates it from the
// published record (title, type, status, metadata, body…) when there is one,
// else from ch alone (title and type required). Needs records:edit.
func (r *Records) SaveDraft(ctx context.Context, actor *User, id string, ch Changes) (*Draft, error) {
	return nil, errNotImplemented
}

// SaveDraftBody saves markdown as the body of record id's draft, like
// SaveDraft with only Body set, and records contributors as having edited the
// draft since the last publish (Publish credits each one other than the
// publisher with a Co-authored-by trailer). The realtime hub calls it for
// writeback.
func (r *Records) SaveDraftBody(ctx context.Context, actor *User, id, markdown string, contributors []*User) (*Draft, error) {
	return nil, errNotImplemented
}

// GetDraft returns record id's draft: to editors (records:edit) whatever its
// creator, to others only their own.
func (r *Records) GetDraft(ctx context.Context, actor *User, id string) (*Draft, error) {
	return nil, errNotImplemented
}

// DeleteDraft discards record id's draft (records:edit; someone else's draft
// also needs records:delete).
func (r *Records) DeleteDraft(ctx context.Context, actor *User, id string) error {
	return errNotImplemented
}

// ListDrafts lists drafts, most recently saved first, with the number
// matching (records:view). Users without records:edit see only their own.
func (r *Records) ListDrafts(ctx context.Context, actor *User, f DraftFilter) ([]*Draft, int, error) {
	return nil, 0, errNotImplemented
}

// HasDrafts reports which of ids have a draft (for hasUnpublishedChanges).
func (r *Records) HasDrafts(ctx context.Context, ids []string) (map[string]bool, error) {
	return nil, errNotImplemented
}

// Publish turns record id's draft into the published record: Markdown file,
// index row, draft removed, one Git commit ("Create record: <title>" or
// "Update record: <title>", authored by actor, with a Co-authored-by trailer
// per other contributor). The record gets opts.Status, else the draft's
// status. Legal types get their document number on first publish. Needs
// records:edit.
func (r *Records) Publish(ctx context.Context, actor *User, id string, opts PublishOptions) (*Record, error) {
	return nil, errNotImplemented
}

// Get returns the published record id: the file, with the index row as the
// fallback when the file cannot be read. A draft-only id is RECORD_NOT_FOUND.
func (r *Records) Get(ctx context.Context, actor *User, id string) (*Record, error) {
	return nil, errNotImplemented
}

// File returns the bytes of record id's file as stored (upstream /raw);
// with edit set, an editor holding a draft gets the draft serialized in the
// same format instead.
func (r *Records) File(ctx context.Context, actor *User, id string, edit bool) ([]byte, error) {
	return nil, errNotImplemented
}

// List returns a page of records from the index (not the files) and the
// number matching. Records whose workflow state is internal_only are left out.
func (r *Records) List(ctx context.Context, actor *User, o ListOptions) (*RecordList, error) {
	return nil, errNotImplemented
}

// Summary counts the records (optionally of some types) by type and status.
func (r *Records) Summary(ctx context.Context, actor *User, types []string) (*Summary, error) {
	return nil, errNotImplemented
}

// Update writes a published record directly (upstream PUT /records/{id}):
// only the fields set in ch change, metadata is merged, the file is
// rewritten and committed ("Update record: <title>"). Needs records:edit;
// moving into a workflow-controlled status needs the transition right.
func (r *Records) Update(ctx context.Context, actor *User, id string, ch Changes) (*Record, error) {
	return nil, errNotImplemented
}

// ChangeStatus moves record id to status along workflows.yml, checking the
// actor's role may perform the transition (records:edit as well). It writes
// statusChangedBy/At, statusChangeComment and previousStatus in the
// metadata. Moving to "archived" archives the record (see Archive).
func (r *Records) ChangeStatus(ctx context.Context, actor *User, id, status, comment string) (*StatusChange, error) {
	return nil, errNotImplemented
}

// Transitions lists the statuses actor may move record id to.
func (r *Records) Transitions(ctx context.Context, actor *User, id string) ([]string, error) {
	return nil, errNotImplemented
}

// Archive archives record id (upstream DELETE /records/{id}): status
// archived in the file and the index, file moved to
// archive/<type>/<YYYY>/<id>.md, removed from search, committed ("Archive
// record: <title>"). Needs records:delete.
func (r *Records) Archive(ctx context.Context, actor *User, id string) (*Record, error) {
	return nil, errNotImplemented
}

// Lock takes or renews the editing lock on record id for LockDuration
// (records:edit). Held by someone else: ErrConflict, code RECORD_LOCKED,
// with a *LockHeldError cause.
func (r *Records) Lock(ctx context.Context, actor *User, id string) (*Lock, error) {
	return nil, errNotImplemented
}

// Unlock releases actor's lock on record id and reports whether the record
// is now unlocked (false when someone else holds it).
func (r *Records) Unlock(ctx context.Context, actor *User, id string) (bool, error) {
	return false, errNotImplemented
}

// LockStatus returns the lock on record id, or nil when it is not locked.
func (r *Records) LockStatus(ctx context.Context, actor *User, id string) (*Lock, error) {
	return nil, errNotImplemented
}

// History lists the commits of record id (of the whole data repository when
// id is ""), newest first, and how many match the options in all.
func (r *Records) History(ctx context.Context, actor *User, id string, o HistoryOptions) ([]Commit, int, error) {
	return nil, 0, errNotImplemented
}

// Diff compares record id between two commits: frontmatter fields changed
// and a unified diff of the body. An empty to means the latest commit; an
// empty from, the version before to.
func (r *Records) Diff(ctx context.Context, actor *User, id, from, to string) (*Diff, error) {
	return nil, errNotImplemented
}

// Reindex rebuilds the whole index from data/records and data/archive
// (records:import). Files that fail validation are reported, not indexed.
func (r *Records) Reindex(ctx context.Context, actor *User) (*ReindexReport, error) {
	return nil, errNotImplemented
}

// LastReindex returns the report of the index update Open ran (nil if none).
func (r *Records) LastReindex() *ReindexReport { return nil }
