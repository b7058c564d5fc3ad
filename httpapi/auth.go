package httpapi

import (
	"net/http"
	"strings"

	"github.com/civicpress/civicpress-go/civicpress"
)

// userView is upstream's user JSON: empty optional fields are null, and
// each endpoint adds its own extras.
type userView struct {
	ID            int64    `json:"id"`
	Username      string   `json:"username"`
	Role          string   `json:"role"`
	Email         *string  `json:"email"`
	Name          *string  `json:"name"`
	AvatarURL     *string  `json:"avatar_url"`
	EmailVerified *bool    `json:"email_verified,omitempty"`
	AuthProvider  string   `json:"auth_provider,omitempty"`
	Permissions   []string `json:"permissions,omitempty"`
	CreatedAt     string   `json:"created_at,omitempty"`
	UpdatedAt     string   `json:"updated_at,omitempty"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func viewUser(u *civicpress.User) userView {
	return userView{ID: u.ID, Username: u.Username, Role: u.Role,
		Email: nullable(u.Email), Name: nullable(u.Name), AvatarURL: nullable(u.AvatarURL)}
}

// viewUserRow is a user as the /users endpoints list it.
func viewUserRow(u *civicpress.User) userView {
	v := viewUser(u)
	v.CreatedAt, v.UpdatedAt = isoMillis(u.CreatedAt), isoMillis(u.UpdatedAt)
	v.AuthProvider = u.AuthProvider
	return v
}

func (a *api) sessionView(s *civicpress.Session) map[string]any {
	u := viewUser(s.User)
	u.Permissions = a.permissions(s.User.Role)
	return map[string]any{"session": map[string]any{"token": s.Token, "user": u, "expiresAt": isoMillis(s.ExpiresAt)}}
}

func (a *api) permissions(role string) []string {
	p := a.core.Permissions(role)
	if p == nil {
		p = []string{}
	}
	return p
}

// POST /auth/password {username, password}
func (a *api) login(c *call) error {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	var missing []fieldDetail
	if strings.TrimSpace(in.Username) == "" {
		missing = append(missing, fieldDetail{Type: "field", Msg: "Username is required", Path: "username", Location: "body"})
	}
	if in.Password == "" {
		missing = append(missing, fieldDetail{Type: "field", Msg: "Password is required", Path: "password", Location: "body"})
	}
	if len(missing) > 0 {
		return &httpError{status: http.StatusBadRequest, code: civicpress.CodeMissingFields,
			msg: "Username and password are required", details: missing}
	}
	s, err := a.core.Auth().Login(c.ctx(), in.Username, in.Password)
	if err != nil {
		return err
	}
	return c.ok(a.sessionView(s))
}

// GET /auth/me
func (a *api) me(c *call) error {
	u := c.user()
	v := viewUser(u)
	v.EmailVerified = &u.EmailVerified
	v.Permissions = a.permissions(u.Role)
	return c.ok(map[string]any{"user": v})
}

// POST /auth/logout: ends the presented session. Like upstream it is
// idempotent: a token that is already dead (or an API key, which is not a
// session) still gets 200; only a request without a Bearer token is refused.
func (a *api) logout(c *call) error {
	scheme, tok, _ := strings.Cut(c.r.Header.Get("Authorization"), " ")
	if tok = strings.TrimSpace(tok); !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return errMissingAuth
	}
	if err := a.core.Auth().Logout(c.ctx(), tok); err != nil {
		return err
	}
	return c.ok(map[string]any{"message": "Logged out successfully"})
}

// POST /auth/logout-all: ends every session of the caller.
func (a *api) logoutAll(c *call) error {
	n, err := a.core.Auth().LogoutAll(c.ctx(), c.user(), c.user().ID)
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"message": "Logged out of all sessions", "sessionsRevoked": n})
}

// GET /auth/csrf-token
func (a *api) csrfToken(c *call) error {
	return c.ok(map[string]any{"token": a.core.CSRFToken()})
}

// GET /auth/providers: external sign-in providers. None is built in; a
// host that adds one routes it itself.
func (a *api) providers(c *call) error {
	return c.ok(map[string]any{"providers": []string{}})
}

const forgotMessage = "If an account matches the information provided, password reset instructions have been sent."

// POST /auth/forgot-password {identifier | email | username}: the same
// answer whether or not an account matches (no account enumeration).
func (a *api) forgotPassword(c *call) error {
	var in struct {
		Identifier string `json:"identifier"`
		Email      string `json:"email"`
		Username   string `json:"username"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	id := in.Identifier
	if id == "" {
		id = in.Email
	}
	if id == "" {
		id = in.Username
	}
	token, user, err := a.core.Auth().RequestPasswordReset(c.ctx(), id)
	switch {
	case err != nil:
		// Still the same answer, so a failure reveals nothing either.
		a.log.Error("httpapi: password reset request failed", "requestId", c.rid, "err", err)
	case user != nil && a.resetHook != nil:
		a.resetHook(c.ctx(), user, token)
	case user != nil:
		a.log.Warn("httpapi: password reset requested but no delivery is configured (Options.PasswordReset)",
			"user", user.Username, "requestId", c.rid)
	}
	return c.ok(map[string]any{"message": forgotMessage})
}

// POST /auth/reset-password {token, newPassword | password}
func (a *api) resetPassword(c *call) error {
	var in struct {
		Token       string `json:"token"`
		NewPassword string `json:"newPassword"`
		Password    string `json:"password"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	pw := in.NewPassword
	if pw == "" {
		pw = in.Password
	}
	var missing []fieldDetail
	if in.Token == "" {
		missing = append(missing, fieldDetail{Type: "field", Msg: "Reset token is required", Path: "token", Location: "body"})
	}
	if pw == "" {
		missing = append(missing, fieldDetail{Type: "field", Msg: "New password is required", Path: "newPassword", Location: "body"})
	}
	if len(missing) > 0 {
		return &httpError{status: http.StatusBadRequest, code: civicpress.CodeMissingFields,
			msg: "Token and new password are required", details: missing}
	}
	n, err := a.core.Auth().ResetPassword(c.ctx(), in.Token, pw)
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"message": "Password has been reset", "sessionsRevoked": n})
}

// POST /users/register {username, password, email, name?, avatar_url?}:
// public self-registration; the role is always the public one.
func (a *api) register(c *call) error {
	var in struct {
		Username  string `json:"username"`
		Password  string `json:"password"`
		Email     string `json:"email"`
		Name      string `json:"name"`
		AvatarURL string `json:"avatar_url"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	u, err := a.core.Users().Register(c.ctx(), civicpress.NewUser{Username: in.Username, Password: in.Password,
		Email: in.Email, Name: in.Name, AvatarURL: in.AvatarURL})
	if err != nil {
		return err
	}
	v := viewUser(u)
	v.CreatedAt = isoMillis(u.CreatedAt)
	return c.ok(map[string]any{"user": v, "message": "User registered successfully"})
}
