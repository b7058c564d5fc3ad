package store

import (
	"context"
	"time"
)

// InsertAPIKey stores an API key.
func (q Q) InsertAPIKey(ctx context.Context, k *APIKey) error {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = Stamp{time.Now()}
	}
	_, err := q.idb.NewInsert().Model(k).Returning("id").Exec(ctx)
	return err
}

// APIKeyUser returns the key and its owner (read fresh). Expiry is the
// caller's decision: upstream deletes expired keys when they are presented.
func (q Q) APIKeyUser(ctx context.Context, keyHash string) (*APIKey, *User, error) {
	row := q.idb.QueryRowContext(ctx, apiKeyUserSQL, keyHash)
	k := &APIKey{KeyHash: keyHash}
	u := new(User)
	if err := row.Scan(append([]any{&k.ID, &k.Name, &k.ExpiresAt, &k.CreatedAt}, u.scanDest()...)...); err != nil {
		return nil, nil, err
	}
	k.UserID = u.ID
	return k, u, nil
}

// ListAPIKeys returns a user's keys, newest first (hashes included; never the plaintext).
func (q Q) ListAPIKeys(ctx context.Context, userID int64) ([]APIKey, error) {
	var keys []APIKey
	err := q.idb.NewSelect().Model(&keys).Where("user_id = ?", userID).OrderExpr("id DESC").Scan(ctx)
	return keys, err
}

// DeleteAPIKey removes a key by id (scoped to its owner when userID > 0).
func (q Q) DeleteAPIKey(ctx context.Context, id, userID int64) error {
	dq := q.idb.NewDelete().Model((*APIKey)(nil)).Where("id = ?", id)
	if userID > 0 {
		dq = dq.Where("user_id = ?", userID)
	}
	res, err := dq.Exec(ctx)
	if err != nil {
		return err
	}
	return affectedOne(res)
}
