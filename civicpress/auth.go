package civicpress

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/civicpress/civicpress-go/internal/secrets"
	"github.com/civicpress/civicpress-go/internal/store"
	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is upstream's hard-coded cost.
const BcryptCost = 12

// bcryptCost is BcryptCost; tests lower it to keep the suite fast.
var bcryptCost = BcryptCost

// Auth authenticates users: password logins with throttling, sessions, API
// keys and password changes. Tokens use upstream's format and keys, so a
// token issued by upstream from the same root secret validates here and
// the other way round.
type Auth struct {
	c *Core
}

func newAuth(c *Core) *Auth { return &Auth{c: c} }

// Session is a logged-in session; Token is shown to the client once.
type Session struct {
	Token     string    `json:"token"`
	User      *User     `json:"user"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Credential methods of a Principal.
const (
	MethodSession = "session"
	MethodAPIKey  = "api_key"
)

// Principal is who presented a token.
type Principal struct {
	User      *User
	Method    string    // MethodSession or MethodAPIKey
	TokenHash string    // SHA-256 of the raw token (what the database stores)
	ExpiresAt time.Time // zero for API keys without expiry
	APIKeyID  int64
}

// timingHash is compared against when the user does not exist or has no
// password, so a failed login costs the same whether or not the account exists.
const timingHash = "$2a$12$SC.r4o/vwJMuB/mohU.b8OI7XYhw5JDMT4M/vvSVy2gyLWNghTMxy"

// timingHashInUse is timingHash; tests swap in a cheap one with bcryptCost.
var timingHashInUse = timingHash

func hashPassword(pw string) (string, error) {
	if len(pw) > 72 {
		return "", invalid(CodeWeakPassword, FieldError{"password", "Password must be at most 72 bytes"})
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// VerifyPassword reports whether pw matches a bcrypt hash ($2a$, $2b$ as
// upstream writes, $2y$).
func VerifyPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// specialChars are the characters upstream's policy counts as special.
const specialChars = `!@#$%^&*(),.?":{}|<>`

// CheckPassword reports whether pw meets the password policy; the error
// (code WEAK_PASSWORD) lists every unmet rule.
func (a *Auth) CheckPassword(pw string) error { return a.checkPolicy(pw) }

func (a *Auth) checkPolicy(pw string) error {
	p := a.c.authCfg.Password
	var missing []string
	if len([]rune(pw)) < p.MinLength {
		missing = append(missing, "at least "+strconv.Itoa(p.MinLength)+" characters")
	}
	has := func(f func(rune) bool) bool { return strings.IndexFunc(pw, f) >= 0 }
	if p.RequireUppercase && !has(unicode.IsUpper) {
		missing = append(missing, "an uppercase letter")
	}
	if p.RequireLowercase && !has(unicode.IsLower) {
		missing = append(missing, "a lowercase letter")
	}
	if p.RequireNumbers && !has(unicode.IsDigit) {
		missing = append(missing, "a number")
	}
	if p.RequireSpecialChars && !strings.ContainsAny(pw, specialChars) {
		missing = append(missing, "a special character ("+specialChars+")")
	}
	if len(pw) > 72 {
		missing = append(missing, "at most 72 bytes")
	}
	if len(missing) == 0 {
		return nil
	}
	return &Error{Kind: ErrInvalid, Code: CodeWeakPassword,
		Message: "Password must contain " + strings.Join(missing, ", "),
		Fields:  []FieldError{{"password", "must contain " + strings.Join(missing, ", ")}}}
}

// GeneratePassword returns a random 20-character password that meets
// upstream's default policy.
func GeneratePassword() string {
	const (
		upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower  = "abcdefghijkmnpqrstuvwxyz"
		digits = "23456789"
		// Specials that survive copy and paste from a terminal.
		special = "!@#%^*.?"
	)
	pick := func(set string) byte {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			panic(err)
		}
		return set[n.Int64()]
	}
	all := upper + lower + digits + special
	b := []byte{pick(upper), pick(lower), pick(digits), pick(special)}
	for len(b) < 20 {
		b = append(b, pick(all))
	}
	for i := len(b) - 1; i > 0; i-- { // shuffle so the class order is not fixed
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		j := int(n.Int64())
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// throttleKey is upstream's key: the trimmed, lower-cased username.
func throttleKey(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

// Login checks a username and password and opens a session. Wrong
// passwords and unknown usernames get the same error and take the same time;
// after MaxLoginAttempts failures the name is locked for LockoutDuration
// (ErrLocked, code ACCOUNT_LOCKED, with RetryAfter), unknown names included.
func (a *Auth) Login(ctx context.Context, username, password string) (*Session, error) {
	c := a.c
	if strings.TrimSpace(username) == "" || password == "" {
		return nil, invalid(CodeMissingFields, FieldError{"username", "Username and password are required"})
	}
	key := throttleKey(username)
	now := time.Now()
	if until, err := c.db.Q().LoginLockedUntil(ctx, key, now); err != nil {
		return nil, err
	} else if !until.IsZero() {
		return nil, lockedErr(until.Sub(now))
	}
	row, err := c.db.Q().UserByUsername(ctx, username)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	hash := timingHashInUse
	if row != nil && row.PasswordHash != "" {
		hash = row.PasswordHash
	}
	ok := VerifyPassword(hash, password) && row != nil && row.PasswordHash != ""
	if !ok {
		var uid int64
		if row != nil {
			uid = row.ID
		}
		if err := a.recordFailure(ctx, key, uid); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	var sess *Session
	err = c.inTx(ctx, func(t *txn) error {
		if err := t.q.ClearLoginAttempts(ctx, key); err != nil {
			return err
		}
		s, err := a.openSession(t, row)
		if err != nil {
			return err
		}
		sess = s
		return t.audit(AuditEntry{UserID: row.ID, Action: ActionPasswordLogin, ResourceType: ResourceAuth,
			ResourceID: strconv.FormatInt(row.ID, 10), Details: "password"})
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

func lockedErr(retry time.Duration) *Error {
	return &Error{Kind: ErrLocked, Code: CodeAccountLocked,
		Message:    "Too many failed login attempts. Try again later.",
		RetryAfter: retry}
}

func (a *Auth) recordFailure(ctx context.Context, key string, userID int64) error {
	cfg := a.c.authCfg
	return a.c.inTx(ctx, func(t *txn) error {
		now := time.Now()
		at, err := t.q.LoginAttemptForUpdate(ctx, key)
		if err != nil {
			return err
		}
		if !at.LockedUntil.IsZero() && !at.LockedUntil.After(now) {
			at.FailedCount, at.LockedUntil = 0, store.ISOStamp{}
		}
		if at.FailedCount == 0 {
			at.FirstFailedAt = store.ISOStamp{Time: now}
		}
		at.FailedCount++
		at.LastFailedAt = store.ISOStamp{Time: now}
		details := "failed password login"
		if at.FailedCount >= cfg.MaxLoginAttempts {
			at.LockedUntil = store.ISOStamp{Time: now.Add(cfg.LockoutDuration)}
			at.FailedCount = 0
			details += "; locked for " + cfg.LockoutDuration.String()
			a.c.log.Warn("civicpress: login locked after repeated failures", "username", key)
		}
		if err := t.q.SaveLoginAttempt(ctx, at); err != nil {
			return err
		}
		return t.audit(AuditEntry{UserID: userID, Action: ActionLoginFailed, ResourceType: ResourceAuth, ResourceID: key, Details: details})
	})
}

// openSession stores a new session for u within t and announces sessions
// pruned by the per-user limit.
func (a *Auth) openSession(t *txn, u *store.User) (*Session, error) {
	cfg := a.c.authCfg
	token, raw := a.c.sessions.Mint()
	expires := time.Now().Add(cfg.SessionTimeout).UTC().Truncate(time.Millisecond)
	pruned, err := t.q.InsertSession(t.ctx, &store.Session{TokenHash: secrets.Hash(raw), UserID: u.ID, ExpiresAt: store.ISOStamp{Time: expires}}, cfg.MaxConcurrentSessions)
	if err != nil {
		return nil, err
	}
	if len(pruned) > 0 {
		if err := t.emit(Event{Type: EventSessionsRevoked, UserID: u.ID, Username: u.Username, Reason: ReasonSessionLimit, TokenHashes: pruned}); err != nil {
			return nil, err
		}
	}
	return &Session{Token: token, User: toUser(u), ExpiresAt: expires}, nil
}

// IssueSession opens a session for a user the host program has
// authenticated itself (single sign-on, tests). It trusts the caller.
func (a *Auth) IssueSession(ctx context.Context, userID int64) (*Session, error) {
	var sess *Session
	err := a.c.inTx(ctx, func(t *txn) error {
		u, err := t.q.UserByID(ctx, userID)
		if errors.Is(err, sql.ErrNoRows) {
			return errUserNotFound
		}
		if err != nil {
			return err
		}
		sess, err = a.openSession(t, u)
		return err
	})
	return sess, err
}

// ValidateSession returns the user of a session token with its current role.
// Every bad, expired or revoked token gets the same error (code INVALID_TOKEN).
func (a *Auth) ValidateSession(ctx context.Context, token string) (*User, error) {
	p, err := a.session(ctx, token)
	if err != nil {
		return nil, err
	}
	return p.User, nil
}

func (a *Auth) session(ctx context.Context, token string) (*Principal, error) {
	raw, ok := a.c.sessions.Verify(token)
	if !ok {
		return nil, errInvalidToken
	}
	hash := secrets.Hash(raw)
	u, exp, err := a.c.db.SessionUser(ctx, hash, time.Now())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errInvalidToken
	}
	if err != nil {
		return nil, err
	}
	return &Principal{User: toUser(u), Method: MethodSession, TokenHash: hash, ExpiresAt: exp}, nil
}

// Authenticate resolves a bearer token: an API key or a session, as
// upstream's middleware accepts either.
func (a *Auth) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if _, ok := a.c.apiKeys.Verify(token); ok {
		return a.apiKey(ctx, token)
	}
	return a.session(ctx, token)
}

// Logout ends the session of token. It is idempotent: an unknown or
// already-ended token is not an error.
func (a *Auth) Logout(ctx context.Context, token string) error {
	raw, ok := a.c.sessions.Verify(token)
	if !ok {
		return nil
	}
	hash := secrets.Hash(raw)
	return a.c.inTx(ctx, func(t *txn) error {
		uid, existed, err := t.q.DeleteSession(ctx, hash)
		if err != nil || !existed {
			return err
		}
		if err := t.audit(AuditEntry{UserID: uid, Action: ActionLogout, ResourceType: ResourceAuth, ResourceID: strconv.FormatInt(uid, 10)}); err != nil {
			return err
		}
		return t.emit(Event{Type: EventSessionsRevoked, UserID: uid, Reason: ReasonLogout, TokenHashes: []string{hash}})
	})
}

// LogoutAll ends every session of a user (self, or users:manage) and
// returns how many there were.
func (a *Auth) LogoutAll(ctx context.Context, actor *User, userID int64) (int, error) {
	if actor == nil {
		return 0, errUnauthenticated
	}
	reason := ReasonLogoutAll
	if actor.ID != userID {
		if err := a.c.require(actor, "users:manage", PermContext{}); err != nil {
			return 0, err
		}
		reason = ReasonAdmin
	}
	var n int
	err := a.c.inTx(ctx, func(t *txn) error {
		if _, err := t.q.UserByID(ctx, userID); errors.Is(err, sql.ErrNoRows) {
			return errUserNotFound
		} else if err != nil {
			return err
		}
		var err error
		n, err = a.revokeAll(t, userID, reason)
		if err != nil {
			return err
		}
		return t.audit(AuditEntry{UserID: actor.ID, Action: ActionLogoutAll, ResourceType: ResourceAuth,
			ResourceID: strconv.FormatInt(userID, 10), Details: strconv.Itoa(n) + " sessions revoked (" + reason + ")"})
	})
	return n, err
}

// revokeAll deletes a user's sessions within t and announces it (even when
// there were none, so every process re-checks live connections).
func (a *Auth) revokeAll(t *txn, userID int64, reason string) (int, error) {
	hashes, err := t.q.DeleteUserSessions(t.ctx, userID)
	if err != nil {
		return 0, err
	}
	return len(hashes), t.emit(Event{Type: EventSessionsRevoked, UserID: userID, Reason: reason, TokenHashes: hashes})
}

// CleanupExpired deletes expired sessions and announces them (reason
// "expired") so live connections using them close. Open runs it every minute.
func (a *Auth) CleanupExpired(ctx context.Context) (int, error) {
	var n int
	err := a.c.inTx(ctx, func(t *txn) error {
		gone, err := t.q.DeleteExpiredSessions(ctx, time.Now())
		if err != nil {
			return err
		}
		n = len(gone)
		byUser := map[int64][]string{}
		var order []int64
		for _, g := range gone {
			if _, ok := byUser[g.UserID]; !ok {
				order = append(order, g.UserID)
			}
			byUser[g.UserID] = append(byUser[g.UserID], g.TokenHash)
		}
		for _, uid := range order {
			if err := t.emit(Event{Type: EventSessionsRevoked, UserID: uid, Reason: ReasonExpired, TokenHashes: byUser[uid]}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
