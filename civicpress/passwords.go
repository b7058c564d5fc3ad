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

// ResetTokenTTL is how long a password-reset token stays valid (upstream: 1 h).
const ResetTokenTTL = time.Hour

var errExternalAuth = &Error{Kind: ErrForbidden, Code: CodeExternalAuthNoPass,
	Message: "This account signs in with an external provider and has no password"}

// ChangePassword changes the actor's own password after checking the current
// one, then ends all of the user's sessions (reason "password-changed").
// Wrong current passwords count towards the login lock.
func (a *Auth) ChangePassword(ctx context.Context, actor *User, current, newPassword string) error {
	if actor == nil || actor == System {
		return errUnauthenticated
	}
	row, err := a.c.db.Q().UserByID(ctx, actor.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	if row.AuthProvider != "" && row.AuthProvider != "password" {
		return errExternalAuth
	}
	key := throttleKey(row.Username)
	now := time.Now()
	if until, err := a.c.db.Q().LoginLockedUntil(ctx, key, now); err != nil {
		return err
	} else if !until.IsZero() {
		return lockedErr(until.Sub(now))
	}
	hash := row.PasswordHash
	if hash == "" {
		hash = timingHashInUse
	}
	if !VerifyPassword(hash, current) || row.PasswordHash == "" {
		if err := a.recordFailure(ctx, key, row.ID); err != nil {
			return err
		}
		return invalid(CodeValidation, FieldError{"currentPassword", "Current password is incorrect"})
	}
	return a.setPassword(ctx, row, newPassword, actor.ID, ActionPasswordChanged, ReasonPasswordChanged)
}

// SetPassword sets another user's password (users:manage), then ends all of
// that user's sessions (reason "password-set").
func (a *Auth) SetPassword(ctx context.Context, actor *User, userID int64, newPassword string) error {
	if err := a.c.require(actor, "users:manage", PermContext{}); err != nil {
		return err
	}
	row, err := a.c.db.Q().UserByID(ctx, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	if row.AuthProvider != "" && row.AuthProvider != "password" {
		return errExternalAuth
	}
	return a.setPassword(ctx, row, newPassword, actor.ID, ActionAdminPasswordSet, ReasonPasswordSet)
}

func (a *Auth) setPassword(ctx context.Context, row *store.User, pw string, actorID int64, action, reason string) error {
	if err := a.checkPolicy(pw); err != nil {
		return err
	}
	h, err := hashPassword(pw)
	if err != nil {
		return err
	}
	return a.c.inTx(ctx, func(t *txn) error {
		row.PasswordHash = h
		if err := t.q.UpdateUser(ctx, row, "password_hash"); err != nil {
			return err
		}
		if _, err := a.revokeAll(t, row.ID, reason); err != nil {
			return err
		}
		return t.audit(AuditEntry{UserID: actorID, Action: action, ResourceType: ResourceUserManagement, ResourceID: strconv.FormatInt(row.ID, 10)})
	})
}

// RequestPasswordReset mints a single-use reset token (valid ResetTokenTTL)
// for the account whose username or e-mail is identifier, replacing any
// earlier unused one. It returns the token for the caller to deliver, and
// the user. When no password account matches it returns "", nil, nil: the
// caller must answer the same either way.
func (a *Auth) RequestPasswordReset(ctx context.Context, identifier string) (string, *User, error) {
	identifier = strings.TrimSpace(identifier)
	if identifier == "" {
		return "", nil, nil
	}
	q := a.c.db.Q()
	row, err := q.UserByUsername(ctx, identifier)
	if errors.Is(err, sql.ErrNoRows) && strings.Contains(identifier, "@") {
		row, err = q.UserByEmail(ctx, identifier)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if row.AuthProvider != "" && row.AuthProvider != "password" {
		return "", nil, nil
	}
	token := secrets.RandomHex(32)
	err = a.c.inTx(ctx, func(t *txn) error {
		if err := t.q.InsertResetToken(ctx, &store.PasswordResetToken{UserID: row.ID, TokenHash: secrets.Hash(token),
			ExpiresAt: store.ISOStamp{Time: time.Now().Add(ResetTokenTTL)}, CreatedIP: clientIP(ctx)}); err != nil {
			return err
		}
		return t.audit(AuditEntry{UserID: row.ID, Action: ActionPasswordResetRequest, ResourceType: ResourceUserManagement, ResourceID: strconv.FormatInt(row.ID, 10)})
	})
	if err != nil {
		return "", nil, err
	}
	return token, toUser(row), nil
}

var errResetFailed = &Error{Kind: ErrInvalid, Code: CodeResetFailed, Message: "Invalid or expired reset token"}

// ResetPassword sets a new password with a reset token, which it consumes,
// ends all the user's sessions (reason "password-reset") and lifts any login
// lock. It returns how many sessions were ended.
func (a *Auth) ResetPassword(ctx context.Context, token, newPassword string) (int, error) {
	if len(token) != 64 || !isLowerHex(token) {
		return 0, errResetFailed
	}
	if err := a.checkPolicy(newPassword); err != nil {
		return 0, err
	}
	h, err := hashPassword(newPassword)
	if err != nil {
		return 0, err
	}
	var revoked int
	err = a.c.inTx(ctx, func(t *txn) error {
		uid, err := t.q.ConsumeResetToken(ctx, secrets.Hash(token), time.Now())
		if errors.Is(err, store.ErrNotFound) {
			return errResetFailed
		}
		if err != nil {
			return err
		}
		row, err := t.q.UserByID(ctx, uid)
		if err != nil {
			return err
		}
		row.PasswordHash = h
		if err := t.q.UpdateUser(ctx, row, "password_hash"); err != nil {
			return err
		}
		if err := t.q.ClearLoginAttempts(ctx, throttleKey(row.Username)); err != nil {
			return err
		}
		if revoked, err = a.revokeAll(t, uid, ReasonPasswordReset); err != nil {
			return err
		}
		return t.audit(AuditEntry{UserID: uid, Action: ActionPasswordReset, ResourceType: ResourceUserManagement, ResourceID: strconv.FormatInt(uid, 10)})
	})
	return revoked, err
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
