package store

import (
	"context"
	"time"
)

// InsertResetToken stores a reset token after deleting the user's unconsumed ones.
func (q Q) InsertResetToken(ctx context.Context, t *PasswordResetToken) error {
	if _, err := q.idb.NewDelete().Model((*PasswordResetToken)(nil)).
		Where("user_id = ?", t.UserID).Where("consumed_at IS NULL").Exec(ctx); err != nil {
		return err
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = Stamp{time.Now()}
	}
	_, err := q.idb.NewInsert().Model(t).Returning("id").Exec(ctx)
	return err
}

// ConsumeResetToken marks an unexpired, unconsumed token used and returns its
// user id. The conditional update makes it single-use even under races.
func (q Q) ConsumeResetToken(ctx context.Context, tokenHash string, now time.Time) (int64, error) {
	var ids []int64
	err := q.idb.NewRaw(`UPDATE password_reset_tokens SET consumed_at = ?
		WHERE token_hash = ? AND consumed_at IS NULL AND expires_at > ? RETURNING user_id`,
		ISO(now), tokenHash, ISO(now)).Scan(ctx, &ids)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, ErrNotFound
	}
	return ids[0], nil
}
