package civicpress

import (
	"time"

	"github.com/civicpress/civicpress-go/internal/recordfile"
)

// Map is an ordered JSON object with JavaScript key order: record metadata
// and the nested frontmatter values (authors, attachments, links, source,
// geography). Values are nil, bool, float64, string, []any and *Map. It
// marshals to and from JSON keeping its key order; the zero value is ready
// to use.
type Map = recordfile.Map

// NewMap builds a Map from alternating keys and values.
func NewMap(kv ...any) *Map { return recordfile.NewMap(kv...) }

// Record is a published record: its Markdown file under data/ (the source of
// truth) merged with its index row (path, editorial state).
type Record struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Type   string `json:"type"`
	Status string `json:"status"`
	// WorkflowState is the editorial state kept in the index only, never in
	// the file; "" is upstream's null (every published record).
	WorkflowState string `json:"workflowState"`
	// Content is the Markdown body.
	Content  string `json:"content"`
	Metadata *Map   `json:"metadata"`
	// Authors are the detailed authors ({name, username, role, email}).
	Authors              []*Map `json:"authors,omitempty"`
	Source               *Map   `json:"source,omitempty"`
	Geography            *Map   `json:"geography,omitempty"`
	AttachedFiles        []*Map `json:"attachedFiles"`
	LinkedRecords        []*Map `json:"linkedRecords"`
	LinkedGeographyFiles []*Map `json:"linkedGeographyFiles"`
	// Path is the file, relative to the data directory:
	// records/<type>/<YYYY>/<id>.md, or archive/<type>/<YYYY>/<id>.md once archived.
	Path            string    `json:"path"`
	Author          string    `json:"author"` // primary author's username
	Created         time.Time `json:"created_at"`
	Updated         time.Time `json:"updated_at"`
	CommitRef       string    `json:"commit_ref,omitempty"`
	CommitSignature string    `json:"commit_signature,omitempty"`

	// HasDraft tells whether an unpublished draft exists for this record
	// (upstream hasUnpublishedChanges). It is filled for authenticated callers
	// of List and Search, and for editors in Get.
	HasDraft bool `json:"hasUnpublishedChanges,omitempty"`
	// FromIndex is true when the file could not be read and the record was
	// rebuilt from its index row.
	FromIndex bool `json:"-"`
}

// Archived reports whether the record is archived.
func (r *Record) Archived() bool { return r.Status == StatusArchived }

// StatusArchived is the status of archived records.
const StatusArchived = "archived"

// Draft is an unpublished version of a record, kept in the database only
// (upstream record_drafts): no file, no commit until Publish.
type Draft struct {
	ID                   string    `json:"id"`
	Title                string    `json:"title"`
	Type                 string    `json:"type"`
	Status               string    `json:"status"`
	WorkflowState        string    `json:"workflowState"`
	Body                 string    `json:"markdownBody"`
	Metadata             *Map      `json:"metadata"`
	Geography            *Map      `json:"geography,omitempty"`
	AttachedFiles        []*Map    `json:"attachedFiles"`
	LinkedRecords        []*Map    `json:"linkedRecords"`
	LinkedGeographyFiles []*Map    `json:"linkedGeographyFiles"`
	Author               string    `json:"author"`     // username of the draft's creator
	CreatedBy            string    `json:"created_by"` // creator's user id, as text (upstream)
	Created              time.Time `json:"created_at"`
	Updated              time.Time `json:"updated_at"`
	LastSaved            time.Time `json:"last_draft_saved_at"`
	// Contributors are the users recorded as having edited the draft since
	// the last publish (see SaveDraftBody); Publish credits them in the commit.
	Contributors []Contributor `json:"contributors,omitempty"`
}

// Contributor is a user who edited a draft.
type Contributor struct {
	UserID   int64  `json:"userId"`
	Username string `json:"username"`
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
}

// Changes lists the fields a draft or record write sets. A nil field is left
// as it is; an empty non-nil slice or Map clears the value.
type Changes struct {
	Title         *string
	Type          *string // drafts only: a published record keeps its type
	Body          *string // Markdown content
	Status        *string
	WorkflowState *string
	// Metadata replaces a draft's metadata (the editor sends all of it) and
	// is merged over a published record's in Update (upstream {...old, ...new}).
	Metadata             *Map
	Geography            *Map
	AttachedFiles        []*Map
	LinkedRecords        []*Map
	LinkedGeographyFiles []*Map
}

// PublishOptions adjusts Publish.
type PublishOptions struct {
	// Status is the status the published record gets; empty keeps the
	// draft's status.
	Status string
}

// ListOptions narrows and orders List. Both filters apply.
type ListOptions struct {
	Types    []string
	Statuses []string
	// Sort is created_desc (default), updated_desc, title_asc or title_desc.
	Sort   string
	Limit  int // default 50, at most 1000
	Offset int
}

// Sort orders for List and Search.
const (
	SortRelevance   = "relevance" // Search only
	SortCreatedDesc = "created_desc"
	SortUpdatedDesc = "updated_desc"
	SortTitleAsc    = "title_asc"
	SortTitleDesc   = "title_desc"
)

// RecordList is one page of records and the number matching in all.
type RecordList struct {
	Records []*Record
	Total   int
}

// Summary counts the listed records by type and by status.
type Summary struct {
	Total    int            `json:"total"`
	Types    map[string]int `json:"types"`
	Statuses map[string]int `json:"statuses"`
}

// DraftFilter narrows ListDrafts.
type DraftFilter struct {
	Types  []string
	Limit  int // default 50, at most 1000
	Offset int
}

// StatusChange is the outcome of ChangeStatus.
type StatusChange struct {
	Record         *Record
	PreviousStatus string
	NewStatus      string
	ChangedBy      string // username
	ChangedAt      time.Time
	Comment        string
}

// Lock is an editing lock on a record (upstream record_locks): 30 minutes,
// renewed by its holder taking it again.
type Lock struct {
	RecordID string    `json:"recordId"`
	LockedBy string    `json:"lockedBy"` // holder's user id as text (upstream)
	Holder   string    `json:"holder"`   // holder's username, when known
	LockedAt time.Time `json:"lockedAt"`
	Expires  time.Time `json:"expiresAt"`
}

// LockDuration is how long an editing lock lasts without renewal.
const LockDuration = 30 * time.Minute

// LockHeldError is the cause carried by the ErrConflict (code RECORD_LOCKED)
// returned to a write by someone other than the holder of a record's lock;
// find it with errors.As to report the holder and expiry.
type LockHeldError struct{ Lock Lock }

func (e *LockHeldError) Error() string {
	who := e.Lock.Holder
	if who == "" {
		who = "user " + e.Lock.LockedBy
	}
	return "locked by " + who + " until " + recordfile.FormatTime(e.Lock.Expires)
}

// Commit is one version in a record's (or the repository's) history.
type Commit struct {
	Hash        string    `json:"hash"`
	Message     string    `json:"message"`
	AuthorName  string    `json:"author"`
	AuthorEmail string    `json:"email"`
	Date        time.Time `json:"date"`
	Files       []string  `json:"files,omitempty"`
}

// HistoryOptions narrows History.
type HistoryOptions struct {
	Limit  int // default 10, at most 1000
	Offset int
	// Author keeps commits whose author name or e-mail contains it (any case).
	Author       string
	Since, Until time.Time // zero: unbounded
}

// Diff compares two versions of a record.
type Diff struct {
	RecordID string        `json:"recordId"`
	Path     string        `json:"path"`
	From     string        `json:"from"` // commit hashes
	To       string        `json:"to"`
	Fields   []FieldChange `json:"fields"` // frontmatter fields that changed, in file order
	// Body is the unified diff of the Markdown body ("" when unchanged).
	Body string `json:"body"`
}

// FieldChange is one frontmatter field that differs between two versions.
type FieldChange struct {
	Field string `json:"field"`
	Old   any    `json:"oldValue"` // nil when added
	New   any    `json:"newValue"` // nil when removed
	Kind  string `json:"type"`     // added | removed | modified
}

// ReindexReport tells what a reindex did.
type ReindexReport struct {
	// Full is true for a rebuild from every file, false for an update of
	// the files that changed since the index was last known to be current.
	Full     bool
	Indexed  int           // files (re)indexed
	Removed  int           // index rows dropped because their file is gone
	Invalid  []InvalidFile // files left out of the index, with why
	Duration time.Duration
}

// InvalidFile is a record file that could not be indexed.
type InvalidFile struct {
	Path   string `json:"path"` // relative to the data directory
	Reason string `json:"reason"`
}

// Events published by the records service (through the outbox, so other
// processes sharing the database see them). RecordID and RecordType are
// always set; UserID/Username name the actor; Data carries "title",
// "status", "path" and, where it applies, "previousStatus", "created"
// (first publish), "commit" and "expiresAt" (locks).
const (
	EventRecordCreated   EventType = "record:created" // first publish of a record
	EventRecordPublished EventType = "record:published"
	EventRecordUpdated   EventType = "record:updated"
	EventStatusChanged   EventType = "status:changed"
	EventRecordArchived  EventType = "record:archived"
	EventDraftSaved      EventType = "draft:saved" // Data "created": true for a new draft
	EventDraftDeleted    EventType = "draft:deleted"
	EventRecordLocked    EventType = "record:locked" // taken, not renewed
	EventRecordUnlocked  EventType = "record:unlocked"
)

// Audit actions for records (upstream names).
const (
	ActionCreateRecord  = "create_record"
	ActionUpdateRecord  = "update_record"
	ActionPublishRecord = "publish_record"
	ActionArchiveRecord = "archive_record"
)

// Records manages records: drafts, publishing, direct updates, status
// transitions, archiving, editing locks, history and the index. Every
// method takes the acting user and checks permissions here, as upstream's
// REST API does (records:create, records:edit, records:delete, records:view
// with the record type as context). A nil actor reads as the public role
// and cannot write; System may do everything and is never held back by an
// editing lock.
//
// Writes to one record are serialized (in the process and across processes
// sharing the project) and run in a fixed order: index rows and a redo-log
// entry in one database transaction, then the file replaced atomically,
// then one Git commit, then the outbox events. A write interrupted at any
// point is finished by the next write to the record or by Open, so files,
// index and Git converge and no acknowledged write is lost.
type Records struct{ c *Core }

// Records returns the records service.
func (c *Core) Records() *Records { return &Records{c: c} }
