package store

import (
	"fmt"

	"github.com/uptrace/bun"
)

// User is a row of upstream's users table. Empty strings are stored as NULL.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID                  int64    `bun:"id,pk,autoincrement"`
	Username            string   `bun:"username,notnull"`
	Role                string   `bun:"role,notnull"`
	Email               string   `bun:"email,nullzero"`
	Name                string   `bun:"name,nullzero"`
	AvatarURL           string   `bun:"avatar_url,nullzero"`
	PasswordHash        string   `bun:"password_hash,nullzero"`
	AuthProvider        string   `bun:"auth_provider,nullzero"`
	ProviderUserID      string   `bun:"provider_user_id,nullzero"`
	EmailVerified       bool     `bun:"email_verified"`
	PendingEmail        string   `bun:"pending_email,nullzero"`
	PendingEmailToken   string   `bun:"pending_email_token,nullzero"`
	PendingEmailExpires ISOStamp `bun:"pending_email_expires,nullzero"`
	CreatedAt           Stamp    `bun:"created_at,nullzero"`
	UpdatedAt           Stamp    `bun:"updated_at,nullzero"`
}

// Session is a row of sessions: token_hash = SHA-256(raw token).
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        int64    `bun:"id,pk,autoincrement"`
	TokenHash string   `bun:"token_hash,notnull"`
	UserID    int64    `bun:"user_id,notnull"`
	ExpiresAt ISOStamp `bun:"expires_at,notnull"`
	CreatedAt Stamp    `bun:"created_at,nullzero"`
}

// APIKey is a row of api_keys: key_hash = SHA-256(raw key).
type APIKey struct {
	bun.BaseModel `bun:"table:api_keys"`

	ID        int64    `bun:"id,pk,autoincrement"`
	KeyHash   string   `bun:"key_hash,notnull"`
	UserID    int64    `bun:"user_id,notnull"`
	Name      string   `bun:"name,notnull"`
	ExpiresAt ISOStamp `bun:"expires_at,nullzero"`
	CreatedAt Stamp    `bun:"created_at,nullzero"`
}

// AuditLog is a row of audit_logs. UserID 0 is stored as NULL.
type AuditLog struct {
	bun.BaseModel `bun:"table:audit_logs"`

	ID           int64  `bun:"id,pk,autoincrement"`
	UserID       int64  `bun:"user_id,nullzero"`
	Action       string `bun:"action,notnull"`
	ResourceType string `bun:"resource_type,nullzero"`
	ResourceID   string `bun:"resource_id,nullzero"`
	Details      string `bun:"details,nullzero"`
	IPAddress    string `bun:"ip_address,nullzero"`
	CreatedAt    Stamp  `bun:"created_at,nullzero"`

	// Username is filled by listing queries (joined from users), not stored.
	Username string `bun:"username,scanonly"`
}

// LoginAttempt is a row of login_attempts, keyed by the lower-cased username.
type LoginAttempt struct {
	bun.BaseModel `bun:"table:login_attempts"`

	Username      string   `bun:"username,pk"`
	FailedCount   int      `bun:"failed_count,notnull"`
	FirstFailedAt ISOStamp `bun:"first_failed_at,nullzero"`
	LastFailedAt  ISOStamp `bun:"last_failed_at,nullzero"`
	LockedUntil   ISOStamp `bun:"locked_until,nullzero"`
}

// PasswordResetToken is a row of password_reset_tokens.
type PasswordResetToken struct {
	bun.BaseModel `bun:"table:password_reset_tokens"`

	ID         int64    `bun:"id,pk,autoincrement"`
	UserID     int64    `bun:"user_id,notnull"`
	TokenHash  string   `bun:"token_hash,notnull"`
	ExpiresAt  ISOStamp `bun:"expires_at,notnull"`
	ConsumedAt ISOStamp `bun:"consumed_at,nullzero"`
	CreatedIP  string   `bun:"created_ip,nullzero"`
	CreatedAt  Stamp    `bun:"created_at,nullzero"`
}

// Event is a row of our events outbox.
type Event struct {
	bun.BaseModel `bun:"table:events"`

	ID        int64  `bun:"id,pk,autoincrement"`
	Type      string `bun:"type,notnull"`
	Payload   string `bun:"payload,notnull"`
	Origin    string `bun:"origin,notnull"`
	CreatedAt Stamp  `bun:"created_at,nullzero"`
}

// userColumnsU lists users columns (aliased u) in scanDest order. The
// timestamps are read as text (see ParseTime).
const userColumnsU = "u.id, u.username, u.role, u.email, u.name, u.avatar_url, u.password_hash, " +
	"u.auth_provider, u.provider_user_id, u.email_verified, u.pending_email, u.pending_email_token, " +
	"CAST(u.pending_email_expires AS TEXT), CAST(u.created_at AS TEXT), CAST(u.updated_at AS TEXT)"

// scanDest returns scan targets for userColumnsU.
func (u *User) scanDest() []any {
	return []any{&u.ID, &u.Username, &u.Role, (*nullString)(&u.Email), (*nullString)(&u.Name),
		(*nullString)(&u.AvatarURL), (*nullString)(&u.PasswordHash), (*nullString)(&u.AuthProvider),
		(*nullString)(&u.ProviderUserID), (*nullBool)(&u.EmailVerified), (*nullString)(&u.PendingEmail),
		(*nullString)(&u.PendingEmailToken), &u.PendingEmailExpires, &u.CreatedAt, &u.UpdatedAt}
}

// nullString scans NULL as "".
type nullString string

func (n *nullString) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n = ""
	case string:
		*n = nullString(x)
	case []byte:
		*n = nullString(x)
	default:
		return fmt.Errorf("store: cannot scan %T into a string", v)
	}
	return nil
}

// nullBool scans NULL as false and accepts SQLite's integers.
type nullBool bool

func (n *nullBool) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*n = false
	case bool:
		*n = nullBool(x)
	case int64:
		*n = x != 0
	case string:
		*n = x == "1" || x == "true" || x == "t"
	case []byte:
		return n.Scan(string(x))
	default:
		return fmt.Errorf("store: cannot scan %T into a bool", v)
	}
	return nil
}
