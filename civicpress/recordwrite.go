package civicpress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
)

// A record write runs in a fixed order, under the record's lock:
//
//  1. one database transaction: the index rows, the draft removal, the audit
//     rows, and an intent (our redo log) holding the new file bytes, the
//     file to remove, the commit message and the events to publish;
//  2. the file written atomically (temporary file, fsync, rename), the old
//     one removed;
//  3. the Git commit of exactly those paths;
//  4. one transaction deleting the intent and writing the events to the
//     outbox; then the events reach this process's subscribers.
//
// The write is acknowledged after step 4. A crash after step 1 leaves the
// intent, which the next writer of the record, or Open, replays (steps 2–4
// are idempotent), so files, index and Git converge and no acknowledged
// write is lost; a crash before it leaves nothing. Events are visible only
// once the file and the commit exist, so a subscriber (another process's
// realtime hub) that reads the record on an event reads the new file.

// fileOp is one record write.
type fileOp struct {
	recordID string
	// prepare, when set, runs first in the index transaction and may fill
	// data and index (a document number allocated in the same transaction).
	prepare func(ctx context.Context, q store.Q) error
	write   string // data-relative path to write ("" for none)
	data    []byte
	remove  string // data-relative path to delete ("" for none)
	index   func(ctx context.Context, q store.Q) error
	audit   []AuditEntry
	events  []Event
	message string
	author  gitrepo.Author
}

// runFileOp performs op (the caller holds the record's lock and has replayed
// its pending intents) and returns the commit hash.
func (c *Core) runFileOp(ctx context.Context, op *fileOp) (string, error) {
	evs, err := json.Marshal(op.events)
	if err != nil {
		return "", err
	}
	if err := fail("prepare"); err != nil {
		return "", err
	}
	in := &store.Intent{RecordID: op.recordID, WritePath: op.write, RemovePath: op.remove,
		Message: op.message, AuthorName: op.author.Name, AuthorEmail: op.author.Email, Events: string(evs)}
	err = c.serialTx(func() error {
		return c.db.InTx(ctx, func(q store.Q) error {
			if op.prepare != nil {
				if err := op.prepare(ctx, q); err != nil {
					return err
				}
			}
			in.Content = op.data
			if op.index != nil {
				if err := op.index(ctx, q); err != nil {
					return err
				}
			}
			for _, a := range op.audit {
				if err := c.audit.write(ctx, q, a); err != nil {
					return err
				}
			}
			return q.InsertIntent(ctx, in)
		})
	})
	if err != nil {
		return "", err
	}
	c.rec.suggest.invalidate()
	// From here on the write is decided: finish it even if the caller goes away.
	ctx = context.WithoutCancel(ctx)
	if err := fail("indexed"); err != nil {
		return "", err
	}
	return c.finishIntent(ctx, in)
}

// finishIntent does steps 2–4 of a write (see above). It is idempotent: a
// replay after a crash at any point converges. Steps 2 and 3 are one call:
// the repository writes the file (and removes the old one) and commits
// them, with the file's syncs in the same rounds as the commit's.
func (c *Core) finishIntent(ctx context.Context, in *store.Intent) (string, error) {
	var files []gitrepo.File
	if in.WritePath != "" {
		files = append(files, gitrepo.File{Path: in.WritePath, Data: in.Content})
	}
	if in.RemovePath != "" && in.RemovePath != in.WritePath {
		files = append(files, gitrepo.File{Path: in.RemovePath, Remove: true})
	}
	if err := c.injectFileFaults(in); err != nil {
		return "", err
	}
	hash, err := c.repo.CommitFiles(ctx, in.Message, gitrepo.Author{Name: in.AuthorName, Email: in.AuthorEmail}, files...)
	for _, f := range files {
		c.rec.files.forget(c.abs(f.Path))
	}
	if err != nil && !errors.Is(err, gitrepo.ErrNothingToCommit) {
		return "", fmt.Errorf("civicpress: commit %s: %w", in.RecordID, err)
	}
	c.rec.noteCommit(hash)
	if err := fail("committed"); err != nil {
		return "", err
	}
	var events []Event
	if err := json.Unmarshal([]byte(in.Events), &events); err != nil {
		return "", fmt.Errorf("civicpress: intent %d events: %w", in.ID, err)
	}
	var recorded []Event
	err = c.serialTx(func() error {
		return c.db.InTx(ctx, func(q store.Q) error {
			recorded = recorded[:0]
			still, err := q.DeleteIntent(ctx, in.ID)
			if err != nil || !still {
				return err // already finished by someone else: its events are out
			}
			for _, ev := range events {
				if ev.Data == nil {
					ev.Data = map[string]any{}
				}
				ev.Data["commit"] = hash
				ev, err := c.events.record(ctx, q, ev)
				if err != nil {
					return err
				}
				recorded = append(recorded, ev)
			}
			return nil
		})
	})
	if err != nil {
		return "", err
	}
	for _, ev := range recorded {
		c.events.Publish(ev)
	}
	return hash, nil
}

// injectFileFaults serves the tests' failpoints "file-written" and
// "old-removed": it leaves the files as a crash after their placement and
// before the commit would, then fails.
func (c *Core) injectFileFaults(in *store.Intent) error {
	if failpoint == nil {
		return nil
	}
	for _, step := range []string{"file-written", "old-removed"} {
		err := fail(step)
		if err == nil {
			continue
		}
		if in.WritePath != "" {
			if werr := writeDurable(c.abs(in.WritePath), in.Content); werr != nil {
				return werr
			}
			c.rec.files.forget(c.abs(in.WritePath))
		}
		if step == "old-removed" && in.RemovePath != "" && in.RemovePath != in.WritePath {
			if rerr := removeDurable(c.abs(in.RemovePath)); rerr != nil {
				return rerr
			}
			c.rec.files.forget(c.abs(in.RemovePath))
		}
		return err
	}
	return nil
}

// replayPending finishes the writes of recordID (every record when "") left
// by a crash or a failure. The caller holds the record's lock when it names
// one; for all records, replay takes each record's lock itself.
func (c *Core) replayPending(ctx context.Context, recordID string) error {
	ins, err := c.db.Q().PendingIntents(ctx, recordID)
	if err != nil || len(ins) == 0 {
		return err
	}
	if recordID != "" {
		for i := range ins {
			if _, err := c.finishIntent(ctx, &ins[i]); err != nil {
				return fmt.Errorf("civicpress: finishing an interrupted write of %s: %w", recordID, err)
			}
		}
		return nil
	}
	seen := map[string]bool{}
	for _, in := range ins {
		if seen[in.RecordID] {
			continue
		}
		seen[in.RecordID] = true
		unlock, err := c.lockRecords(ctx, in.RecordID)
		if err != nil {
			return err
		}
		err = c.replayPending(ctx, in.RecordID)
		unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// beginWrite takes record id's lock and finishes any interrupted write of
// it, so the write that follows starts from a converged state.
func (c *Core) beginWrite(ctx context.Context, id string) (func(), error) {
	unlock, err := c.lockRecords(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := c.replayPending(ctx, id); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// editable returns a copy of p's file that a write may change; when the file
// cannot be read, one rebuilt from the index row.
func (p *published) editable() *recordfile.Record {
	if p.file != nil {
		rf := *p.file
		rf.Authors = cloneMaps(p.file.Authors)
		rf.Metadata = p.file.Metadata.Clone()
		if p.file.Source != nil {
			rf.Source = p.file.Source.Clone()
		}
		rf.Geography = p.file.Geography.Clone()
		rf.AttachedFiles = cloneMaps(p.file.AttachedFiles)
		rf.LinkedRecords = cloneMaps(p.file.LinkedRecords)
		rf.LinkedGeographyFiles = cloneMaps(p.file.LinkedGeographyFiles)
		if rf.Metadata == nil {
			rf.Metadata = new(Map)
		}
		return &rf
	}
	r := recordFromRow(p.row)
	return &recordfile.Record{ID: r.ID, Title: r.Title, Type: r.Type, Status: r.Status, Author: r.Author,
		Authors: r.Authors, Created: recordfile.FormatTime(r.Created), Updated: recordfile.FormatTime(r.Updated),
		Source: r.Source, Geography: r.Geography, AttachedFiles: r.AttachedFiles, LinkedRecords: r.LinkedRecords,
		LinkedGeographyFiles: r.LinkedGeographyFiles, Metadata: r.Metadata, Body: r.Content}
}

// validateFile checks rf against the schema and the vocabulary.
func (c *Core) validateFile(rf *recordfile.Record) error {
	err := recordfile.Validate(rf, c.vocabulary())
	var ve *recordfile.ValidationError
	if errors.As(err, &ve) {
		fields := make([]FieldError, len(ve.Errors))
		for i, e := range ve.Errors {
			fields[i] = FieldError{Field: strings.TrimPrefix(e.Field, "/"), Message: e.Message}
		}
		out := invalid(CodeRecordValidation, fields...)
		return out
	}
	return err
}

// render validates rf and serializes it, then reads the bytes back with
// upstream's parser: the bytes to write and the record they hold, which is
// what the index stores and callers get (so a written file always reads
// back, and the index matches what a later read of the file gives).
func (c *Core) render(rf *recordfile.Record) ([]byte, *recordfile.Record, error) {
	if err := c.validateFile(rf); err != nil {
		return nil, nil, err
	}
	data, err := rf.Marshal()
	if err != nil {
		return nil, nil, err
	}
	written, err := recordfile.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("civicpress: record %s does not read back: %w", rf.ID, err)
	}
	return data, written, nil
}

// indexChanges is the index part of a write of rf at relPath. (Document
// numbers written here were issued here, so unlike a reindex it has no
// sequence to raise.)
func (c *Core) indexChanges(rf *recordfile.Record, relPath string, wf *string, extra func(ctx context.Context, q store.Q) error) func(ctx context.Context, q store.Q) error {
	row, doc := indexEntry(rf, relPath, wf, c.db.Dialect())
	return func(ctx context.Context, q store.Q) error {
		if err := q.UpsertRecord(ctx, row, false); err != nil {
			return err
		}
		if doc != nil {
			if err := q.UpsertSearchDoc(ctx, doc); err != nil {
				return err
			}
		} else if err := q.DeleteSearchDocs(ctx, rf.ID); err != nil {
			return err
		}
		if extra != nil {
			return extra(ctx, q)
		}
		return nil
	}
}

func recordEvent(typ EventType, actor *User, rf *recordfile.Record, relPath string, data map[string]any) Event {
	ev := Event{Type: typ, RecordID: rf.ID, RecordType: rf.Type,
		Data: map[string]any{"title": rf.Title, "status": rf.Status, "path": relPath}}
	if isArchivePath(relPath) {
		ev.Data["status"] = StatusArchived
	}
	if actor != nil {
		ev.UserID, ev.Username = actor.ID, actor.Username
	}
	for k, v := range data {
		ev.Data[k] = v
	}
	return ev
}

func auditEntry(actor *User, action, id, details string) AuditEntry {
	e := AuditEntry{Action: action, ResourceType: ResourceRecord, ResourceID: id, Details: details}
	if actor != nil && actor != System {
		e.UserID = actor.ID
	}
	return e
}
