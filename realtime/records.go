package realtime

import (
	"context"
	"errors"

	"github.com/civicpress/civicpress-go/civicpress"
)

// recordInfo is what a room needs to know about its record.
type recordInfo struct {
	ID, Type, Title, Status string
	Archived                bool
	HasPublished            bool
	PublishedBody           string
	HasDraft                bool
	DraftBody               string
}

// editable reports whether the record's state allows changes to its text.
func (r *recordInfo) editable() bool { return !r.Archived && r.Status != "archived" }

// recordSource is the hub's view of core's records: read a record with its
// draft, and save a room's Markdown as the record's draft.
type recordSource interface {
	// Load returns the record (published and/or draft); an unknown id is
	// civicpress.ErrNotFound.
	Load(ctx context.Context, id string) (*recordInfo, error)
	// SaveDraft writes markdown as the record's draft body (creating the
	// draft from the published record when there is none, keeping title,
	// type and metadata) and records the contributors for publishing.
	SaveDraft(ctx context.Context, id, markdown string, contributors []*civicpress.User) error
}

// snapshotStore persists room snapshots (core's realtime_snapshots).
type snapshotStore interface {
	Save(ctx context.Context, roomID string, data []byte) (civicpress.Snapshot, []civicpress.Snapshot, error)
	LoadVerified(ctx context.Context, roomID string) (*civicpress.Snapshot, []civicpress.Snapshot, error)
	Latest(ctx context.Context, roomID string) (*civicpress.Snapshot, error)
}

type coreSnapshots struct{ c *civicpress.Core }

func (s coreSnapshots) Save(ctx context.Context, roomID string, data []byte) (civicpress.Snapshot, []civicpress.Snapshot, error) {
	return s.c.Snapshots().Save(ctx, roomID, data)
}

func (s coreSnapshots) LoadVerified(ctx context.Context, roomID string) (*civicpress.Snapshot, []civicpress.Snapshot, error) {
	return s.c.Snapshots().LoadVerified(ctx, roomID)
}

func (s coreSnapshots) Latest(ctx context.Context, roomID string) (*civicpress.Snapshot, error) {
	return s.c.Snapshots().Latest(ctx, roomID)
}

// errNoRecords is returned while core has no records service to read from.
var errNoRecords = errors.New("realtime: core has no records service")

// coreRecords reads and writes records through core.
type coreRecords struct{ c *civicpress.Core }

func (r coreRecords) Load(ctx context.Context, id string) (*recordInfo, error) {
	return nil, errNoRecords
}

func (r coreRecords) SaveDraft(ctx context.Context, id, markdown string, contributors []*civicpress.User) error {
	return errNoRecords
}
