package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// LoginAttemptForUpdate reads (and on PostgreSQL row-locks) the throttle row
// of key; a missing row reads as zero failures. Call inside InTx.
func (q Q) LoginAttemptForUpdate(ctx context.Context, key string) (*LoginAttempt, error) {
	a := &LoginAttempt{Username: key}
	sq := q.idb.NewSelect().Model(a).Where("username = ?", key)
	if q.dialect == Postgres {
		// Create the row first so there is something to lock.
		if _, err := q.idb.NewRaw("INSERT INTO login_attempts (username, failed_count) VALUES (?, 0) ON CONFLICT (username) DO NOTHING", key).Exec(ctx); err != nil {
			return nil, err
		}
		sq = sq.For("UPDATE")
	}
	if err := sq.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return &LoginAttempt{Username: key}, nil
		}
		return nil, err
	}
	return a, nil
}

// LoginLockedUntil returns the lock expiry of key (zero when not locked now).
func (q Q) LoginLockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var until ISOStamp
	err := q.idb.NewSelect().Model((*LoginAttempt)(nil)).Column("locked_until").
		Where("username = ?", key).Where("locked_until > ?", ISO(now)).Scan(ctx, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	return until.Time, err
}

// SaveLoginAttempt upserts a throttle row.
func (q Q) SaveLoginAttempt(ctx context.Context, a *LoginAttempt) error {
	_, err := q.idb.NewInsert().Model(a).
		On("CONFLICT (username) DO UPDATE").
		Set("failed_count = EXCLUDED.failed_count").
		Set("first_failed_at = EXCLUDED.first_failed_at").
		Set("last_failed_at = EXCLUDED.last_failed_at").
		Set("locked_until = EXCLUDED.locked_until").
		Exec(ctx)
	return err
}

// ClearLoginAttempts forgets failures of key (after a successful login).
func (q Q) ClearLoginAttempts(ctx context.Context, key string) error {
	_, err := q.idb.NewDelete().Model((*LoginAttempt)(nil)).Where("username = ?", key).Exec(ctx)
	return err
}
