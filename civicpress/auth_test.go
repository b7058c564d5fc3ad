package civicpress

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
	"golang.org/x/crypto/bcrypt"
)

func TestPasswordHashCost(t *testing.T) {
	old := bcryptCost
	bcryptCost = BcryptCost
	defer func() { bcryptCost = old }()
	h, err := hashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost([]byte(h)); cost != 12 {
		t.Errorf("cost %d", cost)
	}
	if !VerifyPassword(h, testPassword) {
		t.Error("own hash does not verify")
	}
	if cost, _ := bcrypt.Cost([]byte(timingHash)); cost != 12 {
		t.Error("the timing hash must cost what real hashes cost")
	}
}

func TestPasswordPolicy(t *testing.T) {
	c := openCfg(t, Config{ProjectDir: t.TempDir(), Logger: quiet})
	for pw, ok := range map[string]bool{
		"Correct#Horse9": true, "short#A1": true, "Sh#1": false, "alllower#1": false, "ALLUPPER#1": false,
		"NoDigits#x": false, "NoSpecial1x": false, "Ünïcødé$Pa55": true, strings.Repeat("Aa1!", 19): false,
	} {
		err := c.Auth().CheckPassword(pw)
		if (err == nil) != ok {
			t.Errorf("%q: %v", pw, err)
		}
		if err != nil && Code(err) != CodeWeakPassword {
			t.Errorf("code %s", Code(err))
		}
	}
	for range 20 {
		if err := c.Auth().CheckPassword(GeneratePassword()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoginSessionsAndThrottle(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := openCfg(t, testCfg(t, b))
		clerk := mkUser(t, c, "clerk", "clerk")
		col, unsub := collect(c, EventSessionsRevoked)
		defer unsub()

		s := login(t, c, "clerk")
		if len(s.Token) != 129 || s.Token[64] != '.' || s.User.Role != "clerk" {
			t.Fatalf("session %+v", s)
		}
		if d := time.Until(s.ExpiresAt); d < 23*time.Hour || d > 25*time.Hour {
			t.Errorf("lifetime %v", d)
		}
		p, err := c.Auth().Authenticate(ctx, s.Token)
		if err != nil || p.Method != MethodSession || p.User.ID != clerk.ID {
			t.Fatalf("authenticate %+v %v", p, err)
		}
		// Bad credentials: same error for a wrong password and an unknown user.
		_, err1 := c.Auth().Login(ctx, "clerk", "Wrong#Pass1")
		_, err2 := c.Auth().Login(ctx, "nobody", "Wrong#Pass1")
		wantKind(t, err1, ErrUnauthenticated, CodeAuthError)
		if err1.Error() != err2.Error() || Code(err1) != Code(err2) {
			t.Errorf("responses differ: %v / %v", err1, err2)
		}
		// Role is read live at validation.
		role := "admin"
		if _, err := c.Users().Update(ctx, System, clerk.ID, UserUpdate{Role: &role}); err != nil {
			t.Fatal(err)
		}
		if u, _ := c.Auth().ValidateSession(ctx, s.Token); u.Role != "admin" {
			t.Errorf("role %s", u.Role)
		}
		// Invalid tokens. The altered signature must really differ: the
		// last hex digit replaced by another one.
		last := "0"
		if s.Token[128] == '0' {
			last = "1"
		}
		for _, bad := range []string{"", "mock-admin", s.Token[:64], s.Token[:128] + last, strings.ToUpper(s.Token)} {
			_, err := c.Auth().ValidateSession(ctx, bad)
			wantKind(t, err, ErrUnauthenticated, CodeInvalidToken)
		}
		// At most 5 sessions per user: the oldest is revoked and announced.
		for range 5 {
			login(t, c, "clerk")
		}
		_, err = c.Auth().ValidateSession(ctx, s.Token)
		wantKind(t, err, ErrUnauthenticated, CodeInvalidToken)
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Reason == ReasonSessionLimit && e.UserID == clerk.ID })
		// Logout is single and idempotent.
		s2 := login(t, c, "clerk")
		if err := c.Auth().Logout(ctx, s2.Token); err != nil {
			t.Fatal(err)
		}
		if err := c.Auth().Logout(ctx, s2.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Auth().ValidateSession(ctx, s2.Token); err == nil {
			t.Error("logged-out token still valid")
		}
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Reason == ReasonLogout && len(e.TokenHashes) == 1 })
		// Revoke-all.
		s3 := login(t, c, "clerk")
		n, err := c.Auth().LogoutAll(ctx, s3.User, clerk.ID)
		if err != nil || n < 1 {
			t.Fatalf("logout-all %d %v", n, err)
		}
		if _, err := c.Auth().ValidateSession(ctx, s3.Token); err == nil {
			t.Error("token survived logout-all")
		}
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Reason == ReasonLogoutAll && e.UserID == clerk.ID })
	})
}

func TestThrottle(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := openCfg(t, testCfg(t, b))
		mkUser(t, c, "Clerk", "clerk")
		for i := range 5 {
			// Mixed case: the throttle key is the lower-cased name.
			name := "Clerk"
			if i%2 == 1 {
				name = " clerk "
			}
			_, err := c.Auth().Login(ctx, name, "Wrong#Pass1")
			wantKind(t, err, ErrUnauthenticated, CodeAuthError)
		}
		// Locked now, even with the right password.
		_, err := c.Auth().Login(ctx, "Clerk", testPassword)
		wantKind(t, err, ErrLocked, CodeAccountLocked)
		var e *Error
		if !asError(err, &e) || e.RetryAfter <= 0 || e.RetryAfter > 15*time.Minute {
			t.Errorf("retry after %v", e)
		}
		// Unknown usernames lock the same way.
		for range 5 {
			c.Auth().Login(ctx, "ghost", "Wrong#Pass1")
		}
		_, err = c.Auth().Login(ctx, "ghost", "Wrong#Pass1")
		wantKind(t, err, ErrLocked, CodeAccountLocked)
		// When the lock has expired, the next login works and clears the count.
		if _, err := c.db.Bun().ExecContext(ctx, "UPDATE login_attempts SET locked_until = ? WHERE username = 'clerk'", store.ISO(time.Now().Add(-time.Second))); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Auth().Login(ctx, "Clerk", testPassword); err != nil {
			t.Fatal(err)
		}
		var n int
		c.db.Bun().QueryRowContext(ctx, "SELECT count(*) FROM login_attempts WHERE username = 'clerk'").Scan(&n)
		if n != 0 {
			t.Error("success did not clear the throttle row")
		}
		// Failures are audited.
		entries, _, err := c.Audit().List(ctx, System, 100, 0)
		if err != nil {
			t.Fatal(err)
		}
		fails, lockedNote := 0, false
		for _, en := range entries {
			if en.Action == ActionLoginFailed && en.ResourceID == "clerk" {
				fails++
				lockedNote = lockedNote || strings.Contains(en.Details, "locked")
			}
		}
		if fails != 5 || !lockedNote {
			t.Errorf("audited failures %d locked %v", fails, lockedNote)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := openCfg(t, testCfg(t, b))
		clerk := mkUser(t, c, "clerk", "clerk")
		other := mkUser(t, c, "other", "clerk")
		plain, key, err := c.Auth().CreateAPIKey(ctx, clerk, clerk.ID, "ci", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) != 129 || key.Name != "ci" {
			t.Fatalf("key %q %+v", plain, key)
		}
		p, err := c.Auth().Authenticate(ctx, plain)
		if err != nil || p.Method != MethodAPIKey || p.User.ID != clerk.ID || p.APIKeyID != key.ID {
			t.Fatalf("authenticate %+v %v", p, err)
		}
		// An API key is not a session token (different HKDF key).
		if _, err := c.Auth().ValidateSession(ctx, plain); err == nil {
			t.Error("API key accepted as a session")
		}
		_, _, err = c.Auth().CreateAPIKey(ctx, other, clerk.ID, "x", time.Time{})
		wantKind(t, err, ErrForbidden, CodeInsufficientPerms)
		keys, _ := c.Auth().ListAPIKeys(ctx, clerk, clerk.ID)
		if len(keys) != 1 {
			t.Errorf("keys %+v", keys)
		}
		if err := c.Auth().RevokeAPIKey(ctx, clerk, clerk.ID, key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Auth().ValidateAPIKey(ctx, plain); err == nil {
			t.Error("revoked key valid")
		}
		wantKind(t, c.Auth().RevokeAPIKey(ctx, clerk, clerk.ID, key.ID), ErrNotFound, CodeNotFound)
		// Expiring keys: valid until expiry, then deleted when presented.
		plain2, key2, err := c.Auth().CreateAPIKey(ctx, clerk, clerk.ID, "short", time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Auth().ValidateAPIKey(ctx, plain2); err != nil {
			t.Fatal(err)
		}
		c.db.Bun().ExecContext(ctx, "UPDATE api_keys SET expires_at = ? WHERE id = ?", store.ISO(time.Now().Add(-time.Second)), key2.ID)
		_, err = c.Auth().ValidateAPIKey(ctx, plain2)
		wantKind(t, err, ErrUnauthenticated, CodeInvalidToken)
		if keys, _ := c.Auth().ListAPIKeys(ctx, clerk, clerk.ID); len(keys) != 0 {
			t.Error("expired key not deleted")
		}
	})
}

func TestPasswordChangeSetReset(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := openCfg(t, testCfg(t, b))
		admin := mkUser(t, c, "root", "admin")
		clerk := mkUser(t, c, "clerk", "clerk")
		s := login(t, c, "clerk")
		col, unsub := collect(c, EventSessionsRevoked)
		defer unsub()

		wantKind(t, c.Auth().ChangePassword(ctx, clerk, "Wrong#Pass1", "New#Passw0rd"), ErrInvalid, CodeValidation)
		wantKind(t, c.Auth().ChangePassword(ctx, clerk, testPassword, "weak"), ErrInvalid, CodeWeakPassword)
		if err := c.Auth().ChangePassword(ctx, clerk, testPassword, "New#Passw0rd"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Auth().ValidateSession(ctx, s.Token); err == nil {
			t.Error("session survived a password change")
		}
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Reason == ReasonPasswordChanged && e.UserID == clerk.ID })
		if _, err := c.Auth().Login(ctx, "clerk", "New#Passw0rd"); err != nil {
			t.Fatal(err)
		}

		// Set by an administrator; a clerk may not.
		wantKind(t, c.Auth().SetPassword(ctx, clerk, admin.ID, "Other#Pass1"), ErrForbidden, CodeInsufficientPerms)
		if err := c.Auth().SetPassword(ctx, admin, clerk.ID, "Set#ByAdmin1"); err != nil {
			t.Fatal(err)
		}
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Reason == ReasonPasswordSet })

		// Reset: single use, one hour.
		tok, u, err := c.Auth().RequestPasswordReset(ctx, "clerk@example.org")
		if err != nil || u == nil || u.ID != clerk.ID || len(tok) != 64 {
			t.Fatalf("request %q %v %v", tok, u, err)
		}
		if tok2, u2, err := c.Auth().RequestPasswordReset(ctx, "nobody@example.org"); tok2 != "" || u2 != nil || err != nil {
			t.Error("unknown account got a token")
		}
		s2, _ := c.Auth().Login(ctx, "clerk", "Set#ByAdmin1")
		n, err := c.Auth().ResetPassword(ctx, tok, "Reset#Pass42")
		if err != nil || n < 1 {
			t.Fatalf("reset %d %v", n, err)
		}
		if _, err := c.Auth().ValidateSession(ctx, s2.Token); err == nil {
			t.Error("session survived a reset")
		}
		_, err = c.Auth().ResetPassword(ctx, tok, "Again#Pass42")
		wantKind(t, err, ErrInvalid, CodeResetFailed)
		if _, err := c.Auth().Login(ctx, "clerk", "Reset#Pass42"); err != nil {
			t.Fatal(err)
		}
		// A newer request replaces an older one; an expired token fails.
		old, _, _ := c.Auth().RequestPasswordReset(ctx, "clerk")
		tok3, _, _ := c.Auth().RequestPasswordReset(ctx, "clerk")
		_, err = c.Auth().ResetPassword(ctx, old, "Older#Pass42")
		wantKind(t, err, ErrInvalid, CodeResetFailed)
		c.db.Bun().ExecContext(ctx, "UPDATE password_reset_tokens SET expires_at = ?", store.ISO(time.Now().Add(-time.Second)))
		_, err = c.Auth().ResetPassword(ctx, tok3, "Late#Pass42")
		wantKind(t, err, ErrInvalid, CodeResetFailed)

		entries, _, _ := c.Audit().List(ctx, admin, 200, 0)
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		for _, want := range []string{ActionPasswordChanged, ActionAdminPasswordSet, ActionPasswordResetRequest, ActionPasswordReset, ActionPasswordLogin, ActionUserCreated} {
			if !slices.Contains(actions, want) {
				t.Errorf("audit lacks %s: %v", want, actions)
			}
		}
	})
}

func TestUsersService(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := openCfg(t, testCfg(t, b))
		admin := mkUser(t, c, "root", "admin")
		clerk := mkUser(t, c, "clerk", "clerk")
		col, unsub := collect(c)
		defer unsub()

		_, err := c.Users().Create(ctx, admin, NewUser{Username: "clerk", Role: "public"})
		wantKind(t, err, ErrConflict, CodeUsernameExists)
		_, err = c.Users().Create(ctx, admin, NewUser{Username: "x", Email: "CLERK@example.org"})
		wantKind(t, err, ErrConflict, CodeEmailExists)
		_, err = c.Users().Create(ctx, admin, NewUser{Username: "y", Role: "mayor"})
		wantKind(t, err, ErrInvalid, CodeInvalidRole)
		_, err = c.Users().Create(ctx, admin, NewUser{Username: "z", Password: "weak"})
		wantKind(t, err, ErrInvalid, CodeWeakPassword)
		_, err = c.Users().Create(ctx, clerk, NewUser{Username: "w"})
		wantKind(t, err, ErrForbidden, CodeInsufficientPerms)
		_, err = c.Users().Create(ctx, nil, NewUser{Username: "w"})
		wantKind(t, err, ErrUnauthenticated, CodeUnauthenticated)
		pub, err := c.Users().Create(ctx, admin, NewUser{Username: "resident", Email: "Res@Example.org"})
		if err != nil || pub.Role != "public" || pub.Email != "res@example.org" {
			t.Fatalf("default role / email: %+v %v", pub, err)
		}

		if u, err := c.Users().Lookup(ctx, admin, "clerk"); err != nil || u.ID != clerk.ID {
			t.Errorf("lookup by name %v", err)
		}
		if u, err := c.Users().Lookup(ctx, clerk, "2"); err != nil || u.ID != clerk.ID {
			t.Errorf("lookup self by id %v %v", u, err)
		}
		_, err = c.Users().Lookup(ctx, clerk, "root")
		wantKind(t, err, ErrForbidden, "")
		_, err = c.Users().Get(ctx, admin, 999)
		wantKind(t, err, ErrNotFound, CodeUserNotFound)
		list, total, err := c.Users().List(ctx, admin, UserFilter{Search: "cler"})
		if err != nil || total != 1 || list[0].Username != "clerk" {
			t.Errorf("list %v %d %v", list, total, err)
		}

		// Self-service profile edit, no self role change.
		name := "City Clerk"
		if u, err := c.Users().Update(ctx, clerk, clerk.ID, UserUpdate{Name: &name}); err != nil || u.Name != name {
			t.Errorf("self update %v", err)
		}
		role := "admin"
		_, err = c.Users().Update(ctx, clerk, clerk.ID, UserUpdate{Role: &role})
		wantKind(t, err, ErrForbidden, "")
		// Admin changes a role: announced.
		if _, err := c.Users().Update(ctx, admin, pub.ID, UserUpdate{Role: &role}); err != nil {
			t.Fatal(err)
		}
		ev := col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Type == EventUserRoleChanged })
		if ev.UserID != pub.ID || ev.Role != "admin" || ev.PreviousRole != "public" || ev.Seq == 0 {
			t.Errorf("role event %+v", ev)
		}

		// Delete: not oneself; sessions go; audit history stays detached.
		wantKind(t, c.Users().Delete(ctx, admin, admin.ID), ErrInvalid, CodeSelfDeletion)
		s := login(t, c, "clerk")
		if err := c.Users().Delete(ctx, admin, clerk.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Auth().ValidateSession(ctx, s.Token); err == nil {
			t.Error("deleted user's session valid")
		}
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Type == EventUserDeleted && e.UserID == clerk.ID })
		col.waitFor(t, 5*time.Second, func(e Event) bool { return e.Reason == ReasonUserDeleted })
		// The last administrator stays.
		pubAdmin := pub
		if err := c.Users().Delete(ctx, admin, pubAdmin.ID); err != nil {
			t.Fatal(err)
		}
		demote := "public"
		_, err = c.Users().Update(ctx, System, admin.ID, UserUpdate{Role: &demote})
		wantKind(t, err, ErrConflict, "")
	})
}

func TestCan(t *testing.T) {
	dir := t.TempDir()
	c := openCfg(t, Config{ProjectDir: dir, Logger: quiet})
	admin := &User{ID: 1, Role: "admin"}
	clerk := &User{ID: 2, Role: "clerk"}
	public := &User{ID: 3, Role: "public"}
	ghost := &User{ID: 4, Role: "ghost"}
	cases := []struct {
		u    *User
		perm string
		pc   PermContext
		want bool
	}{
		{admin, "anything:at-all", PermContext{}, true},                                     // '*'
		{clerk, "records:edit", PermContext{RecordType: "ordinance", Action: "edit"}, true}, // type context never narrows
		{clerk, "storage:download", PermContext{}, true},                                    // inherited from public
		{clerk, "users:manage", PermContext{}, false},
		{public, "records:view", PermContext{}, true},
		{public, "records:create", PermContext{}, false},
		{ghost, "records:view", PermContext{}, true}, // unknown role → public
		{ghost, "records:create", PermContext{}, false},
		{nil, "records:view", PermContext{}, false},
		{System, "users:manage", PermContext{}, true},
		{clerk, "", PermContext{FromStatus: "draft", ToStatus: "proposed"}, true},
		{clerk, "", PermContext{FromStatus: "proposed", ToStatus: "reviewed"}, false},
		{admin, "", PermContext{FromStatus: "approved", ToStatus: "archived"}, true},
		{public, "", PermContext{FromStatus: "draft", ToStatus: "proposed"}, false},
	}
	for _, tc := range cases {
		if got := c.Can(tc.u, tc.perm, tc.pc); got != tc.want {
			role := "<nil>"
			if tc.u != nil {
				role = tc.u.Role
			}
			t.Errorf("Can(%s, %q, %+v) = %v", role, tc.perm, tc.pc, got)
		}
	}
	// A project's own roles.yml: a new role with inheritance and per-type grants.
	c.Close()
	custom := `roles:
  admin: {permissions: ['*']}
  council: {name: Council, permissions: [records:approve], record_types: {can_edit: [resolution]}, status_transitions: {reviewed: [approved], any: [archived]}}
  clerk: {permissions: [records:create]}
  public: {permissions: [records:view]}
role_hierarchy: {council: [clerk], clerk: [public]}
default_role: public
`
	writeCivic(t, dir, FileRoles, custom)
	c2 := openCfg(t, Config{ProjectDir: dir, Logger: quiet})
	council := &User{Role: "council"}
	for _, tc := range []struct {
		perm string
		pc   PermContext
		want bool
	}{
		{"records:approve", PermContext{}, true},
		{"records:create", PermContext{}, true}, // via clerk
		{"records:view", PermContext{}, true},   // via clerk → public
		{"records:edit", PermContext{RecordType: "resolution", Action: "edit"}, true},
		{"records:edit", PermContext{RecordType: "bylaw", Action: "edit"}, false},
		{"", PermContext{FromStatus: "reviewed", ToStatus: "approved"}, true},
		{"", PermContext{FromStatus: "draft", ToStatus: "archived"}, true},
		{"", PermContext{FromStatus: "draft", ToStatus: "approved"}, false},
	} {
		if got := c2.Can(council, tc.perm, tc.pc); got != tc.want {
			t.Errorf("council %q %+v = %v", tc.perm, tc.pc, got)
		}
	}
	if got := c2.Permissions("council"); !slices.Equal(got, []string{"records:approve", "records:create", "records:view"}) {
		t.Errorf("effective %v", got)
	}
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	if ok {
		*e = x
	}
	return ok
}
