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
	// fromRoom: described by the record's open room (Hub.openRecord), with
	// no bodies; such an info cannot open a room.
	fromRoom bool
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

// coreRecords reads and writes records through core's records service,
// as the System actor: the hub has checked the connection's rights itself.
type coreRecords struct{ c *civicpress.Core }

func (r coreRecords) Load(ctx context.Context, id string) (*recordInfo, error) {
	recs := r.c.Records()
	info := &recordInfo{ID: id}
	rec, err := recs.Get(ctx, civicpress.System, id)
	switch {
	case err == nil:
		info.Type, info.Title, info.Status = rec.Type, rec.Title, rec.Status
		info.Archived = rec.Archived()
		info.HasPublished, info.PublishedBody = true, rec.Content
	case !errors.Is(err, civicpress.ErrNotFound):
		return nil, err
	}
	d, err := recs.GetDraft(ctx, civicpress.System, id)
	switch {
	case err == nil:
		info.HasDraft, info.DraftBody = true, d.Body
		if !info.HasPublished {
			info.Type, info.Title, info.Status = d.Type, d.Title, d.Status
		}
	case !errors.Is(err, civicpress.ErrNotFound):
		return nil, err
	}
	if !info.HasPublished && !info.HasDraft {
		return nil, &civicpress.Error{Kind: civicpress.ErrNotFound, Code: civicpress.CodeRecordNotFound, Message: "Record not found"}
	}
	return info, nil
}

func (r coreRecords) SaveDraft(ctx context.Context, id, markdown string, contributors []*civicpress.User) error {
	_, err := r.c.Records().SaveDraftBody(ctx, civicpress.System, id, markdown, contributors)
	return err
}
