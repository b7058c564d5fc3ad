package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

// GET /users ?limit (≤200, 50) &offset &role &search
func (a *api) listUsers(c *call) error {
	q := c.query()
	f := civicpress.UserFilter{Limit: q.int("limit", 50, 1, 200), Offset: q.int("offset", 0, 0, 0),
		Role: q.str("role"), Search: q.maxLen("search", 200)}
	if err := q.err("Invalid request data"); err != nil {
		return err
	}
	users, total, err := a.core.Users().List(c.ctx(), c.user(), f)
	if err != nil {
		return err
	}
	out := make([]userView, len(users))
	for i, u := range users {
		out[i] = viewUserRow(u)
	}
	return c.ok(map[string]any{"users": out, "pagination": map[string]any{"total": total, "limit": f.Limit, "offset": f.Offset}})
}

// POST /users {username, email?, name?, role?, password?, avatar_url?}
func (a *api) createUser(c *call) error {
	var in struct {
		Username  string `json:"username"`
		Email     string `json:"email"`
		Name      string `json:"name"`
		Role      string `json:"role"`
		Password  string `json:"password"`
		AvatarURL string `json:"avatar_url"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	u, err := a.core.Users().Create(c.ctx(), c.user(), civicpress.NewUser{Username: in.Username, Password: in.Password,
		Email: in.Email, Name: in.Name, AvatarURL: in.AvatarURL, Role: in.Role})
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"user": viewUserRow(u)})
}

// target resolves {id} as upstream: a username first, then a numeric id.
func (a *api) target(c *call) (*civicpress.User, error) {
	return a.core.Users().Lookup(c.ctx(), c.user(), c.param("id"))
}

// GET /users/{id}
func (a *api) getUser(c *call) error {
	u, err := a.target(c)
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"user": viewUserRow(u)})
}

// PUT /users/{id} {email?, name?, role?, avatar_url?, password?}. A
// password here is an administrator setting it (POST change-password is
// how users change their own).
func (a *api) updateUser(c *call) error {
	var in struct {
		Email     *string `json:"email"`
		Name      *string `json:"name"`
		Role      *string `json:"role"`
		AvatarURL *string `json:"avatar_url"`
		Password  *string `json:"password"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	u, err := a.target(c)
	if err != nil {
		return err
	}
	// The password goes first: it is the part most likely to be refused
	// (policy, permission), and then nothing has changed.
	if in.Password != nil {
		if err := a.core.Auth().SetPassword(c.ctx(), c.user(), u.ID, *in.Password); err != nil {
			return err
		}
	}
	u, err = a.core.Users().Update(c.ctx(), c.user(), u.ID, civicpress.UserUpdate{Email: in.Email, Name: in.Name, Role: in.Role, AvatarURL: in.AvatarURL})
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"user": viewUserRow(u)})
}

// DELETE /users/{id}
func (a *api) deleteUser(c *call) error {
	u, err := a.target(c)
	if err != nil {
		return err
	}
	if err := a.core.Users().Delete(c.ctx(), c.user(), u.ID); err != nil {
		return err
	}
	return c.ok(map[string]any{"message": "User deleted successfully", "userId": u.ID})
}

func requiredField(name, msg string) fieldDetail {
	return fieldDetail{Type: "field", Msg: msg, Path: name, Location: "body"}
}

// POST /users/{id}/change-password {currentPassword, newPassword}: one's
// own password, with the current one. For someone else's account it is
// set-password (and needs users:manage).
func (a *api) changePassword(c *call) error {
	var in struct {
		CurrentPassword string `json:"currentPassword"`
		NewPassword     string `json:"newPassword"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	u, err := a.target(c)
	if err != nil {
		return err
	}
	self := u.ID == c.user().ID
	var missing []fieldDetail
	if self && in.CurrentPassword == "" {
		missing = append(missing, requiredField("currentPassword", "Current password is required"))
	}
	if in.NewPassword == "" {
		missing = append(missing, requiredField("newPassword", "New password is required"))
	}
	if len(missing) > 0 {
		return invalidFields("Invalid request data", missing...)
	}
	if self {
		err = a.core.Auth().ChangePassword(c.ctx(), c.user(), in.CurrentPassword, in.NewPassword)
	} else {
		err = a.core.Auth().SetPassword(c.ctx(), c.user(), u.ID, in.NewPassword)
	}
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"success": true, "message": "Password changed successfully"})
}

// POST /users/{id}/set-password {newPassword}
func (a *api) setPassword(c *call) error {
	var in struct {
		NewPassword string `json:"newPassword"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.NewPassword == "" {
		return invalidFields("Invalid request data", requiredField("newPassword", "New password is required"))
	}
	u, err := a.target(c)
	if err != nil {
		return err
	}
	if err := a.core.Auth().SetPassword(c.ctx(), c.user(), u.ID, in.NewPassword); err != nil {
		return err
	}
	return c.ok(map[string]any{"success": true, "message": "Password set successfully"})
}

type apiKeyView struct {
	ID        int64   `json:"id"`
	UserID    int64   `json:"user_id"`
	Name      string  `json:"name"`
	ExpiresAt *string `json:"expires_at"`
	CreatedAt string  `json:"created_at"`
}

func viewKey(k civicpress.APIKey) apiKeyView {
	v := apiKeyView{ID: k.ID, UserID: k.UserID, Name: k.Name, CreatedAt: isoMillis(k.CreatedAt)}
	if !k.ExpiresAt.IsZero() {
		s := isoMillis(k.ExpiresAt)
		v.ExpiresAt = &s
	}
	return v
}

// GET /users/{id}/api-keys
func (a *api) listKeys(c *call) error {
	u, err := a.target(c)
	if err != nil {
		return err
	}
	keys, err := a.core.Auth().ListAPIKeys(c.ctx(), c.user(), u.ID)
	if err != nil {
		return err
	}
	out := make([]apiKeyView, len(keys))
	for i, k := range keys {
		out[i] = viewKey(k)
	}
	return c.ok(map[string]any{"apiKeys": out})
}

// POST /users/{id}/api-keys {name, expiresAt?} → 201 with the key's
// plaintext, shown this once.
func (a *api) createKey(c *call) error {
	var in struct {
		Name      string `json:"name"`
		ExpiresAt string `json:"expiresAt"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var exp time.Time
	if in.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339Nano, in.ExpiresAt)
		if err != nil {
			return invalidFields("Invalid request data", requiredField("expiresAt", "must be an ISO 8601 date-time"))
		}
		exp = t
	}
	u, err := a.target(c)
	if err != nil {
		return err
	}
	token, k, err := a.core.Auth().CreateAPIKey(c.ctx(), c.user(), u.ID, in.Name, exp)
	if err != nil {
		return err
	}
	return c.send(http.StatusCreated, map[string]any{"key": token, "apiKey": viewKey(k),
		"message": "Store this key now: it is not shown again"}, nil)
}

// DELETE /users/{id}/api-keys/{keyId}
func (a *api) deleteKey(c *call) error {
	keyID, err := strconv.ParseInt(c.param("keyId"), 10, 64)
	if err != nil || keyID <= 0 {
		return errf(http.StatusNotFound, civicpress.CodeNotFound, "API key not found")
	}
	u, err := a.target(c)
	if err != nil {
		return err
	}
	if err := a.core.Auth().RevokeAPIKey(c.ctx(), c.user(), u.ID, keyID); err != nil {
		return err
	}
	return c.ok(map[string]any{"message": "API key revoked", "id": keyID})
}
