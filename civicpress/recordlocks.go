package civicpress

import (
	"context"
	"errors"
	"time"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
)

// recordTypeOf returns the type of record id, published or draft.
func (c *Core) recordTypeOf(ctx context.Context, id string) (string, error) {
	if !idPattern.MatchString(id) {
		return "", errRecordNotFound
	}
	row, err := c.db.Q().RecordByID(ctx, id)
	if err == nil {
		return row.Type, nil
	}
	if !errors.Is(err, store.ErrNoRows) {
		return "", err
	}
	d, err := c.db.Q().DraftByID(ctx, id)
	if err == nil {
		return d.Type, nil
	}
	if errors.Is(err, store.ErrNoRows) {
		return "", errRecordNotFound
	}
	return "", err
}

// Lock takes or renews the editing lock on record id (published or draft)
// for LockDuration (records:edit). While it is held, every write to the
// record by someone else fails with ErrConflict, code RECORD_LOCKED, whose
// cause is a *LockHeldError naming the holder and the expiry; so does Lock.
func (r *Records) Lock(ctx context.Context, actor *User, id string) (*Lock, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	typ, err := c.recordTypeOf(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := c.require(actor, "records:edit", PermContext{RecordType: typ, Action: "edit"}); err != nil {
		return nil, err
	}
	// Under the record's lock, so a write checking the lock and this
	// acquisition cannot interleave.
	unlock, err := c.beginWrite(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	now := time.Now().UTC()
	var got *store.RecordLock
	var held bool
	err = c.inTx(ctx, func(t *txn) error {
		prev, err := t.q.ActiveLock(ctx, id, now)
		if err != nil {
			return err
		}
		ok, l, err := t.q.AcquireLock(ctx, id, actorKey(actor), now, now.Add(LockDuration))
		if err != nil {
			return err
		}
		got, held = l, ok
		if !ok || (prev != nil && prev.LockedBy == l.LockedBy) {
			return nil // refused, or a renewal: nothing to announce
		}
		return t.emit(Event{Type: EventRecordLocked, RecordID: id, RecordType: typ, UserID: actor.ID, Username: actor.Username,
			Data: map[string]any{"expiresAt": recordfile.FormatTime(l.ExpiresAt)}})
	})
	if err != nil {
		return nil, err
	}
	if !held {
		return nil, c.lockedErr(ctx, got)
	}
	lk := c.lockFromRow(ctx, got)
	lk.Holder = actor.Username
	return lk, nil
}

// Unlock releases actor's lock on record id and reports whether the record
// is now unlocked (false when someone else holds it, which stays).
func (r *Records) Unlock(ctx context.Context, actor *User, id string) (bool, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return false, err
	}
	if err := c.require(actor, "records:edit", PermContext{}); err != nil {
		return false, err
	}
	if !idPattern.MatchString(id) {
		return true, nil
	}
	unlock, err := c.beginWrite(ctx, id)
	if err != nil {
		return false, err
	}
	defer unlock()
	var still *store.RecordLock
	err = c.inTx(ctx, func(t *txn) error {
		released, err := t.q.ReleaseLock(ctx, id, actorKey(actor), actor.Username)
		if err != nil {
			return err
		}
		if still, err = t.q.ActiveLock(ctx, id, time.Now()); err != nil {
			return err
		}
		if !released {
			return nil
		}
		typ, _ := c.recordTypeOf(ctx, id)
		return t.emit(Event{Type: EventRecordUnlocked, RecordID: id, RecordType: typ, UserID: actor.ID, Username: actor.Username})
	})
	if err != nil {
		return false, err
	}
	return still == nil, nil
}

// LockStatus returns the unexpired lock on record id, or nil (records:edit).
func (r *Records) LockStatus(ctx context.Context, actor *User, id string) (*Lock, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	if err := c.require(actor, "records:edit", PermContext{}); err != nil {
		return nil, err
	}
	if !idPattern.MatchString(id) {
		return nil, nil
	}
	l, err := c.db.Q().ActiveLock(ctx, id, time.Now())
	if err != nil || l == nil {
		return nil, err
	}
	return c.lockFromRow(ctx, l), nil
}
