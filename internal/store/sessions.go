package store

import (
	"context"
	"time"
)

// InsertSession stores a session and prunes the user's sessions beyond the
// newest keep (by id, as upstream). It returns the token hashes pruned.
func (q Q) InsertSession(ctx context.Context, s *Session, keep int) (pruned []string, err error) {
	if s.CreatedAt.IsZero() {
		s.CreatedAt = Stamp{time.Now()}
	}
	if _, err := q.idb.NewInsert().Model(s).Returning("id").Exec(ctx); err != nil {
		return nil, err
	}
	if keep <= 0 {
		return nil, nil
	}
	err = q.idb.NewRaw(`DELETE FROM sessions WHERE user_id = ? AND id NOT IN
		(SELECT id FROM sessions WHERE user_id = ? ORDER BY id DESC LIMIT ?) RETURNING token_hash`,
		s.UserID, s.UserID, keep).Scan(ctx, &pruned)
	return pruned, err
}

// SessionUser returns the user owning an unexpired session, read fresh (so
// the current role applies), and the session's expiry. ErrNoRows when none.
// This is the hot path of every authenticated request: one indexed join.
func (q Q) SessionUser(ctx context.Context, tokenHash string, now time.Time) (*User, time.Time, error) {
	row := q.idb.QueryRowContext(ctx, sessionUserSQL, tokenHash, ISO(now))
	u := new(User)
	var exp ISOStamp
	if err := row.Scan(append(u.scanDest(), &exp)...); err != nil {
		return nil, time.Time{}, err
	}
	return u, exp.Time, nil
}

// DeleteSession removes one session; it reports whether one existed.
func (q Q) DeleteSession(ctx context.Context, tokenHash string) (userID int64, ok bool, err error) {
	var ids []int64
	err = q.idb.NewRaw("DELETE FROM sessions WHERE token_hash = ? RETURNING user_id", tokenHash).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return 0, false, err
	}
	return ids[0], true, nil
}

// DeleteUserSessions removes every session of a user and returns their token hashes.
func (q Q) DeleteUserSessions(ctx context.Context, userID int64) ([]string, error) {
	var hashes []string
	err := q.idb.NewRaw("DELETE FROM sessions WHERE user_id = ? RETURNING token_hash", userID).Scan(ctx, &hashes)
	return hashes, err
}

// ExpiredSession identifies a session removed by DeleteExpiredSessions.
type ExpiredSession struct {
	UserID    int64  `bun:"user_id"`
	TokenHash string `bun:"token_hash"`
}

// DeleteExpiredSessions removes sessions whose expiry has passed.
func (q Q) DeleteExpiredSessions(ctx context.Context, now time.Time) ([]ExpiredSession, error) {
	var out []ExpiredSession
	err := q.idb.NewRaw("DELETE FROM sessions WHERE expires_at <= ? RETURNING user_id, token_hash", ISO(now)).Scan(ctx, &out)
	return out, err
}

// CountSessions counts a user's sessions (expired ones included).
func (q Q) CountSessions(ctx context.Context, userID int64) (int, error) {
	n, err := q.idb.NewSelect().Model((*Session)(nil)).Where("user_id = ?", userID).Count(ctx)
	return int(n), err
}
