package civicpress

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/civicpress/civicpress-go/internal/store"
)

// User is an account (upstream AuthUser). Role is read fresh from the
// database on every token validation.
type User struct {
	ID            int64     `json:"id"`
	Username      string    `json:"username"`
	Role          string    `json:"role"`
	Email         string    `json:"email,omitempty"`
	Name          string    `json:"name,omitempty"`
	AvatarURL     string    `json:"avatar_url,omitempty"`
	AuthProvider  string    `json:"auth_provider,omitempty"`
	EmailVerified bool      `json:"email_verified"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// System is the actor for the host program itself: it holds every
// permission. Pass it where no end user is acting (bootstrap, maintenance).
var System = &User{ID: 0, Username: "system", Role: "admin"}

// Users manages accounts. Every method takes the acting user; managing other
// users requires users:manage (as upstream's REST API does), reading or
// editing one's own profile does not.
type Users struct{ c *Core }

// NewUser is the input of Users.Create.
type NewUser struct {
	Username  string
	Password  string // optional: a user without one cannot log in with a password
	Email     string
	Name      string
	AvatarURL string
	Role      string // empty: roles.yml default_role
}

// UserUpdate is the input of Users.Update; nil fields are left unchanged.
type UserUpdate struct {
	Email     *string
	Name      *string
	AvatarURL *string
	Role      *string // requires users:manage; a user cannot change their own role
}

// UserFilter narrows Users.List.
type UserFilter struct {
	Role   string
	Search string
	Limit  int // default 50, at most 200
	Offset int
}

func toUser(u *store.User) *User {
	return &User{ID: u.ID, Username: u.Username, Role: u.Role, Email: u.Email, Name: u.Name,
		AvatarURL: u.AvatarURL, AuthProvider: u.AuthProvider, EmailVerified: u.EmailVerified,
		CreatedAt: u.CreatedAt.Time, UpdatedAt: u.UpdatedAt.Time}
}

var errUserNotFound = &Error{Kind: ErrNotFound, Code: CodeUserNotFound, Message: "User not found"}

func validUsername(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n<>") &&
		strings.Contains(s[at+1:], ".") && strings.Count(s, "@") == 1
}

// Create adds a user. The role must exist; the password, if given, must meet
// the password policy; usernames and e-mails are unique.
func (us *Users) Create(ctx context.Context, actor *User, in NewUser) (*User, error) {
	c := us.c
	if err := c.require(actor, "users:manage", PermContext{}); err != nil {
		return nil, err
	}
	in.Username = strings.TrimSpace(in.Username)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	if !validUsername(in.Username) {
		return nil, invalid(CodeValidation, FieldError{"username", "Username is required (at most 100 characters, no spaces)"})
	}
	if in.Role == "" {
		in.Role = c.settings.Roles.DefaultRole
	}
	if !c.settings.Roles.Exists(in.Role) {
		return nil, &Error{Kind: ErrInvalid, Code: CodeInvalidRole, Message: "Invalid role: " + in.Role,
			Fields: []FieldError{{"role", "must be one of " + strings.Join(c.settings.Roles.Keys(), ", ")}}}
	}
	if in.Email != "" && !validEmail(in.Email) {
		return nil, invalid(CodeInvalidEmail, FieldError{"email", "Invalid email format"})
	}
	row := &store.User{Username: in.Username, Role: in.Role, Email: in.Email, Name: in.Name, AvatarURL: in.AvatarURL, AuthProvider: "password"}
	if in.Password != "" {
		if err := c.auth.checkPolicy(in.Password); err != nil {
			return nil, err
		}
		h, err := hashPassword(in.Password)
		if err != nil {
			return nil, err
		}
		row.PasswordHash = h
	}
	err := c.inTx(ctx, func(t *txn) error {
		if _, err := t.q.UserByUsername(ctx, in.Username); err == nil {
			return newErr(ErrConflict, CodeUsernameExists, "Username already exists")
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if in.Email != "" {
			if _, err := t.q.UserByEmail(ctx, in.Email); err == nil {
				return newErr(ErrConflict, CodeEmailExists, "Email already in use")
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if err := t.q.InsertUser(ctx, row); err != nil {
			if store.IsUniqueViolation(err) {
				return newErr(ErrConflict, CodeUsernameExists, "Username already exists")
			}
			return err
		}
		if err := t.audit(AuditEntry{UserID: actor.ID, Action: ActionUserCreated, ResourceType: ResourceUserManagement,
			ResourceID: strconv.FormatInt(row.ID, 10), Details: "created user " + row.Username + " with role " + row.Role}); err != nil {
			return err
		}
		return t.emit(Event{Type: EventUserCreated, UserID: row.ID, Username: row.Username, Role: row.Role})
	})
	if err != nil {
		return nil, err
	}
	return toUser(row), nil
}

// Get returns a user by id (self, or users:manage).
func (us *Users) Get(ctx context.Context, actor *User, id int64) (*User, error) {
	if actor == nil {
		return nil, errUnauthenticated
	}
	if actor.ID != id {
		if err := us.c.require(actor, "users:manage", PermContext{}); err != nil {
			return nil, err
		}
	}
	return us.byID(ctx, us.c.db.Q(), id)
}

// Lookup resolves a REST path parameter as upstream does: a username first,
// then a numeric id (self, or users:manage).
func (us *Users) Lookup(ctx context.Context, actor *User, idOrUsername string) (*User, error) {
	if actor == nil {
		return nil, errUnauthenticated
	}
	u, err := us.c.db.Q().UserByUsername(ctx, idOrUsername)
	if errors.Is(err, sql.ErrNoRows) {
		if id, perr := strconv.ParseInt(idOrUsername, 10, 64); perr == nil {
			u, err = us.c.db.Q().UserByID(ctx, id)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		if !us.c.Can(actor, "users:manage", PermContext{}) {
			return nil, forbidden("users:manage") // do not reveal which accounts exist
		}
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, err
	}
	if actor.ID != u.ID {
		if err := us.c.require(actor, "users:manage", PermContext{}); err != nil {
			return nil, err
		}
	}
	return toUser(u), nil
}

func (us *Users) byID(ctx context.Context, q store.Q, id int64) (*User, error) {
	u, err := q.UserByID(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errUserNotFound
	}
	if err != nil {
		return nil, err
	}
	return toUser(u), nil
}

// List returns a page of users and the total matching (users:manage).
func (us *Users) List(ctx context.Context, actor *User, f UserFilter) ([]*User, int, error) {
	if err := us.c.require(actor, "users:manage", PermContext{}); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	rows, total, err := us.c.db.Q().ListUsers(ctx, store.UserFilter{Role: f.Role, Search: f.Search, Limit: f.Limit, Offset: max(f.Offset, 0)})
	if err != nil {
		return nil, 0, err
	}
	out := make([]*User, len(rows))
	for i := range rows {
		out[i] = toUser(&rows[i])
	}
	return out, total, nil
}

// Update changes profile fields (self, or users:manage) and the role
// (users:manage only, never one's own). A role change is announced with
// EventUserRoleChanged so live connections re-check their rights.
func (us *Users) Update(ctx context.Context, actor *User, id int64, in UserUpdate) (*User, error) {
	c := us.c
	if actor == nil {
		return nil, errUnauthenticated
	}
	manage := c.Can(actor, "users:manage", PermContext{})
	if actor.ID != id && !manage {
		return nil, forbidden("users:manage")
	}
	if in.Role != nil {
		if !manage {
			return nil, forbidden("users:manage")
		}
		if actor.ID == id && *in.Role != actor.Role {
			return nil, newErr(ErrForbidden, CodeInsufficientPerms, "You cannot change your own role")
		}
		if !c.settings.Roles.Exists(*in.Role) {
			return nil, &Error{Kind: ErrInvalid, Code: CodeInvalidRole, Message: "Invalid role: " + *in.Role}
		}
	}
	if in.Email != nil {
		e := strings.ToLower(strings.TrimSpace(*in.Email))
		in.Email = &e
		if e != "" && !validEmail(e) {
			return nil, invalid(CodeInvalidEmail, FieldError{"email", "Invalid email format"})
		}
	}
	var out *User
	err := c.inTx(ctx, func(t *txn) error {
		row, err := t.q.UserByID(ctx, id)
		if errors.Is(err, sql.ErrNoRows) {
			return errUserNotFound
		}
		if err != nil {
			return err
		}
		var cols []string
		oldRole := row.Role
		if in.Email != nil && *in.Email != row.Email {
			if *in.Email != "" {
				if other, err := t.q.UserByEmail(ctx, *in.Email); err == nil && other.ID != id {
					return newErr(ErrConflict, CodeEmailExists, "Email already in use")
				}
			}
			row.Email, cols = *in.Email, append(cols, "email")
		}
		if in.Name != nil && *in.Name != row.Name {
			row.Name, cols = *in.Name, append(cols, "name")
		}
		if in.AvatarURL != nil && *in.AvatarURL != row.AvatarURL {
			row.AvatarURL, cols = *in.AvatarURL, append(cols, "avatar_url")
		}
		roleChanged := in.Role != nil && *in.Role != row.Role
		if roleChanged {
			if oldRole == "admin" {
				if err := lastAdminGuard(ctx, t.q); err != nil {
					return err
				}
			}
			row.Role, cols = *in.Role, append(cols, "role")
		}
		if len(cols) == 0 {
			out = toUser(row)
			return nil
		}
		if err := t.q.UpdateUser(ctx, row, cols...); err != nil {
			return err
		}
		out = toUser(row)
		if err := t.audit(AuditEntry{UserID: actor.ID, Action: ActionUserUpdated, ResourceType: ResourceUserManagement,
			ResourceID: strconv.FormatInt(id, 10), Details: "updated " + strings.Join(cols, ", ")}); err != nil {
			return err
		}
		if roleChanged {
			if err := t.audit(AuditEntry{UserID: actor.ID, Action: ActionRoleChanged, ResourceType: ResourceUserManagement,
				ResourceID: strconv.FormatInt(id, 10), Details: "role of " + row.Username + " changed from " + oldRole + " to " + row.Role}); err != nil {
				return err
			}
			return t.emit(Event{Type: EventUserRoleChanged, UserID: id, Username: row.Username, Role: row.Role, PreviousRole: oldRole})
		}
		return t.emit(Event{Type: EventUserUpdated, UserID: id, Username: row.Username, Role: row.Role})
	})
	return out, err
}

// lastAdminGuard refuses to remove the last administrator, which would lock
// everyone out of user management.
func lastAdminGuard(ctx context.Context, q store.Q) error {
	n, err := q.CountUsersWithRole(ctx, "admin")
	if err != nil {
		return err
	}
	if n <= 1 {
		return newErr(ErrConflict, CodeValidation, "The last administrator cannot be removed or demoted")
	}
	return nil
}

// Delete removes a user (users:manage; not oneself): their sessions and API
// keys go with them, their audit history stays (detached).
func (us *Users) Delete(ctx context.Context, actor *User, id int64) error {
	c := us.c
	if err := c.require(actor, "users:manage", PermContext{}); err != nil {
		return err
	}
	if actor.ID == id {
		return newErr(ErrInvalid, CodeSelfDeletion, "You cannot delete your own account")
	}
	return c.inTx(ctx, func(t *txn) error {
		row, err := t.q.UserByID(ctx, id)
		if errors.Is(err, sql.ErrNoRows) {
			return errUserNotFound
		}
		if err != nil {
			return err
		}
		if row.Role == "admin" {
			if err := lastAdminGuard(ctx, t.q); err != nil {
				return err
			}
		}
		hashes, err := t.q.DeleteUserSessions(ctx, id)
		if err != nil {
			return err
		}
		if err := t.q.DeleteUser(ctx, id); err != nil {
			return err
		}
		if err := t.audit(AuditEntry{UserID: actor.ID, Action: ActionUserDeleted, ResourceType: ResourceUserManagement,
			ResourceID: strconv.FormatInt(id, 10), Details: "deleted user " + row.Username}); err != nil {
			return err
		}
		if len(hashes) > 0 {
			if err := t.emit(Event{Type: EventSessionsRevoked, UserID: id, Username: row.Username, Reason: ReasonUserDeleted, TokenHashes: hashes}); err != nil {
				return err
			}
		}
		return t.emit(Event{Type: EventUserDeleted, UserID: id, Username: row.Username})
	})
}
