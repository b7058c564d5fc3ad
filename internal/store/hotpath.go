package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"time"
)

// Prepared statements for the per-request token lookups, which run on every
// authenticated request: they skip bun's query formatting and the
// database's re-parsing.
type hotStmts struct {
	once    sync.Once
	err     error
	session *sql.Stmt
	apiKey  *sql.Stmt
}

const (
	sessionUserSQL = "SELECT " + userColumnsU + ", CAST(s.expires_at AS TEXT) FROM sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? LIMIT 1"
	apiKeyUserSQL  = "SELECT k.id, k.name, CAST(k.expires_at AS TEXT), CAST(k.created_at AS TEXT), " + userColumnsU + " FROM api_keys AS k JOIN users AS u ON u.id = k.user_id WHERE k.key_hash = ? LIMIT 1"
)

func (db *DB) prepared(ctx context.Context) (*hotStmts, error) {
	h := &db.hot
	h.once.Do(func() {
		prep := func(q string) *sql.Stmt {
			if h.err != nil {
				return nil
			}
			if db.dialect == Postgres {
				q = numberPlaceholders(q)
			}
			st, err := db.bun.DB.PrepareContext(ctx, q)
			if err != nil {
				h.err = err
			}
			return st
		}
		h.session = prep(sessionUserSQL)
		h.apiKey = prep(apiKeyUserSQL)
	})
	return h, h.err
}

func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + itoa(int64(n)))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SessionUser is Q.SessionUser on the pool through a prepared statement.
func (db *DB) SessionUser(ctx context.Context, tokenHash string, now time.Time) (*User, time.Time, error) {
	h, err := db.prepared(ctx)
	if err != nil {
		return db.Q().SessionUser(ctx, tokenHash, now)
	}
	u := new(User)
	var exp ISOStamp
	if err := h.session.QueryRowContext(ctx, tokenHash, ISO(now)).Scan(append(u.scanDest(), &exp)...); err != nil {
		return nil, time.Time{}, err
	}
	return u, exp.Time, nil
}

// APIKeyUser is Q.APIKeyUser on the pool through a prepared statement.
func (db *DB) APIKeyUser(ctx context.Context, keyHash string) (*APIKey, *User, error) {
	h, err := db.prepared(ctx)
	if err != nil {
		return db.Q().APIKeyUser(ctx, keyHash)
	}
	k := &APIKey{KeyHash: keyHash}
	u := new(User)
	if err := h.apiKey.QueryRowContext(ctx, keyHash).Scan(append([]any{&k.ID, &k.Name, &k.ExpiresAt, &k.CreatedAt}, u.scanDest()...)...); err != nil {
		return nil, nil, err
	}
	k.UserID = u.ID
	return k, u, nil
}
