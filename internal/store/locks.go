package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// RecordLock is a row of upstream's record_locks: an editing lock. LockedAt
// is stored in SQLFormat and ExpiresAt in ISOFormat, as upstream writes them.
type RecordLock struct {
	RecordID  string
	LockedBy  string
	LockedAt  time.Time
	ExpiresAt time.Time // zero: NULL (treated as expired)
}

// LockByID returns the lock row of recordID whatever its expiry, or ErrNoRows.
func (q Q) LockByID(ctx context.Context, recordID string) (*RecordLock, error) {
	l := &RecordLock{RecordID: recordID}
	var at Stamp
	var exp ISOStamp
	err := q.queryRow(ctx, "SELECT locked_by, locked_at, expires_at FROM record_locks WHERE record_id = ?", []any{recordID},
		&l.LockedBy, &at, &exp)
	if err != nil {
		return nil, err
	}
	l.LockedAt, l.ExpiresAt = at.Time, exp.Time
	return l, nil
}

// ActiveLock returns the lock on recordID if it has not expired at now, else nil.
func (q Q) ActiveLock(ctx context.Context, recordID string, now time.Time) (*RecordLock, error) {
	l, err := q.LockByID(ctx, recordID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !l.ExpiresAt.After(now) {
		return nil, nil
	}
	return l, nil
}

// AcquireLock takes the lock on recordID for holder until expires, in one
// statement: it succeeds when there is no lock, when the lock has expired,
// or when holder already holds it (a renewal). It returns whether the lock
// is now holder's, and the lock row as it stands.
func (q Q) AcquireLock(ctx context.Context, recordID, holder string, now, expires time.Time) (bool, *RecordLock, error) {
	res, err := q.exec(ctx, "INSERT INTO record_locks (record_id, locked_by, locked_at, expires_at) VALUES (?, ?, ?, ?) "+
		"ON CONFLICT (record_id) DO UPDATE SET locked_by = excluded.locked_by, locked_at = excluded.locked_at, "+
		"expires_at = excluded.expires_at WHERE record_locks.expires_at IS NULL OR record_locks.expires_at <= ? "+
		"OR record_locks.locked_by = excluded.locked_by",
		recordID, holder, Stamp{now}, ISOStamp{expires}, ISO(now))
	if err != nil {
		return false, nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, nil, err
	}
	l, err := q.LockByID(ctx, recordID)
	if err != nil {
		return false, nil, err
	}
	return n > 0 && l.LockedBy == holder, l, nil
}

// ReleaseLock deletes the lock on recordID if one of holders holds it and
// reports whether it did.
func (q Q) ReleaseLock(ctx context.Context, recordID string, holders ...string) (bool, error) {
	for _, h := range holders {
		res, err := q.exec(ctx, "DELETE FROM record_locks WHERE record_id = ? AND locked_by = ?", recordID, h)
		if err != nil {
			return false, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return true, nil
		}
	}
	return false, nil
}

// DeleteLock removes any lock on recordID.
func (q Q) DeleteLock(ctx context.Context, recordID string) error {
	_, err := q.exec(ctx, "DELETE FROM record_locks WHERE record_id = ?", recordID)
	return err
}
