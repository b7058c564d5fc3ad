package civicpress

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/civicpress/civicpress-go/internal/secrets"
	"github.com/civicpress/civicpress-go/internal/store"
)

// APIKey describes a stored API key; the plaintext is only returned once, by CreateAPIKey.
type APIKey struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: never
	CreatedAt time.Time `json:"created_at"`
}

func toAPIKey(k *store.APIKey) APIKey {
	return APIKey{ID: k.ID, UserID: k.UserID, Name: k.Name, ExpiresAt: k.ExpiresAt.Time, CreatedAt: k.CreatedAt.Time}
}

// CreateAPIKey issues a key acting as userID (self, or users:manage). The
// returned plaintext ("<64 hex>.<64 hex>") is shown once and never stored.
// A zero expiresAt means the key does not expire.
func (a *Auth) CreateAPIKey(ctx context.Context, actor *User, userID int64, name string, expiresAt time.Time) (string, APIKey, error) {
	if err := a.selfOrManage(actor, userID); err != nil {
		return "", APIKey{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return "", APIKey{}, invalid(CodeValidation, FieldError{"name", "A key name of at most 200 characters is required"})
	}
	if !expiresAt.IsZero() && !expiresAt.After(time.Now()) {
		return "", APIKey{}, invalid(CodeValidation, FieldError{"expires_at", "Expiry must be in the future"})
	}
	token, raw := a.c.apiKeys.Mint()
	row := &store.APIKey{KeyHash: secrets.Hash(raw), UserID: userID, Name: name}
	if !expiresAt.IsZero() {
		row.ExpiresAt = store.ISOStamp{Time: expiresAt.UTC().Truncate(time.Millisecond)}
	}
	err := a.c.inTx(ctx, func(t *txn) error {
		if _, err := t.q.UserByID(ctx, userID); errors.Is(err, sql.ErrNoRows) {
			return errUserNotFound
		} else if err != nil {
			return err
		}
		if err := t.q.InsertAPIKey(ctx, row); err != nil {
			return err
		}
		return t.audit(AuditEntry{UserID: actor.ID, Action: ActionAPIKeyCreated, ResourceType: ResourceAuth,
			ResourceID: strconv.FormatInt(row.ID, 10), Details: "API key " + name + " for user " + strconv.FormatInt(userID, 10)})
	})
	if err != nil {
		return "", APIKey{}, err
	}
	return token, toAPIKey(row), nil
}

// ValidateAPIKey returns the user an API key acts as (current role). An
// expired key is deleted and rejected like any invalid token.
func (a *Auth) ValidateAPIKey(ctx context.Context, token string) (*User, error) {
	p, err := a.apiKey(ctx, token)
	if err != nil {
		return nil, err
	}
	return p.User, nil
}

func (a *Auth) apiKey(ctx context.Context, token string) (*Principal, error) {
	raw, ok := a.c.apiKeys.Verify(token)
	if !ok {
		return nil, errInvalidToken
	}
	hash := secrets.Hash(raw)
	k, u, err := a.c.db.APIKeyUser(ctx, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	if !k.ExpiresAt.IsZero() && !k.ExpiresAt.After(time.Now()) {
		if err := a.c.db.Q().DeleteAPIKey(ctx, k.ID, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, errInvalidToken
	}
	return &Principal{User: toUser(u), Method: MethodAPIKey, TokenHash: hash, ExpiresAt: k.ExpiresAt.Time, APIKeyID: k.ID}, nil
}

// ListAPIKeys lists a user's keys, newest first (self, or users:manage).
func (a *Auth) ListAPIKeys(ctx context.Context, actor *User, userID int64) ([]APIKey, error) {
	if err := a.selfOrManage(actor, userID); err != nil {
		return nil, err
	}
	rows, err := a.c.db.Q().ListAPIKeys(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]APIKey, len(rows))
	for i := range rows {
		out[i] = toAPIKey(&rows[i])
	}
	return out, nil
}

// RevokeAPIKey deletes one of a user's keys (self, or users:manage).
func (a *Auth) RevokeAPIKey(ctx context.Context, actor *User, userID, keyID int64) error {
	if err := a.selfOrManage(actor, userID); err != nil {
		return err
	}
	return a.c.inTx(ctx, func(t *txn) error {
		if err := t.q.DeleteAPIKey(ctx, keyID, userID); errors.Is(err, store.ErrNotFound) {
			return newErr(ErrNotFound, CodeNotFound, "API key not found")
		} else if err != nil {
			return err
		}
		if err := t.audit(AuditEntry{UserID: actor.ID, Action: ActionAPIKeyRevoked, ResourceType: ResourceAuth,
			ResourceID: strconv.FormatInt(keyID, 10)}); err != nil {
			return err
		}
		return t.emit(Event{Type: EventAPIKeyRevoked, UserID: userID, APIKeyID: keyID})
	})
}

func (a *Auth) selfOrManage(actor *User, userID int64) error {
	if actor == nil {
		return errUnauthenticated
	}
	if actor.ID == userID && actor != System {
		return nil
	}
	return a.c.require(actor, "users:manage", PermContext{})
}
