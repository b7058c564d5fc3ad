package civicpress

import (
	"context"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
)

// Audit actions written by the core (upstream names).
const (
	ActionPasswordLogin        = "password_login"
	ActionLoginFailed          = "password_login_failed"
	ActionLogout               = "logout"
	ActionLogoutAll            = "logout_all"
	ActionPasswordChanged      = "password_changed"
	ActionAdminPasswordSet     = "admin_password_set"
	ActionPasswordResetRequest = "password_reset_requested"
	ActionPasswordReset        = "password_reset"
	ActionUserCreated          = "user_created"
	ActionUserUpdated          = "user_updated"
	ActionUserDeleted          = "user_deleted"
	ActionRoleChanged          = "role_changed"
	ActionAPIKeyCreated        = "api_key_created"
	ActionAPIKeyRevoked        = "api_key_revoked"
	ActionSessionsRevoked      = "sessions_revoked"
)

// Audit resource types.
const (
	ResourceAuth           = "auth"
	ResourceUserManagement = "user_management"
	ResourceRecord         = "record"
)

// AuditEntry is one audit_logs row.
type AuditEntry struct {
	ID           int64     `json:"id"`
	UserID       int64     `json:"user_id,omitempty"` // the acting user; 0 = none
	Username     string    `json:"username,omitempty"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resource_type,omitempty"`
	ResourceID   string    `json:"resource_id,omitempty"`
	Details      string    `json:"details,omitempty"`
	IPAddress    string    `json:"ip_address,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// AuditLog records and lists audit_logs rows.
type AuditLog struct{ c *Core }

type ctxKey int

const clientIPKey ctxKey = 1

// WithClientIP returns a context whose audit rows carry ip (the HTTP layer
// sets it once per request).
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey, ip)
}

func clientIP(ctx context.Context) string {
	s, _ := ctx.Value(clientIPKey).(string)
	return s
}

// Record writes an audit row outside any transaction (host programs use it
// for their own actions).
func (a *AuditLog) Record(ctx context.Context, e AuditEntry) error {
	return a.write(ctx, a.c.db.Q(), e)
}

func (a *AuditLog) write(ctx context.Context, q store.Q, e AuditEntry) error {
	if e.IPAddress == "" {
		e.IPAddress = clientIP(ctx)
	}
	row := &store.AuditLog{UserID: e.UserID, Action: e.Action, ResourceType: e.ResourceType,
		ResourceID: e.ResourceID, Details: e.Details, IPAddress: e.IPAddress}
	if err := q.InsertAudit(ctx, row); err != nil {
		return err
	}
	return nil
}

// List returns audit rows newest first, with the acting username, and the
// total count. It requires the system:admin permission.
func (a *AuditLog) List(ctx context.Context, actor *User, limit, offset int) ([]AuditEntry, int, error) {
	if err := a.c.require(actor, "system:admin", PermContext{}); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, total, err := a.c.db.Q().ListAudit(ctx, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{ID: r.ID, UserID: r.UserID, Username: r.Username, Action: r.Action,
			ResourceType: r.ResourceType, ResourceID: r.ResourceID, Details: r.Details,
			IPAddress: r.IPAddress, CreatedAt: r.CreatedAt.Time}
	}
	return out, total, nil
}
