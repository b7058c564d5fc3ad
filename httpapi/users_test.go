package httpapi

import (
	"context"
	"strconv"
	"testing"

	"github.com/civicpress/civicpress-go/civicpress"
)

func TestListUsers(t *testing.T) {
	e := getEnv(t, Options{})
	e.mkUser("list-me", "public")
	r := e.do("admin", "GET", "/api/v1/users?limit=2", nil).want(t, 200)
	users, _ := at(r.Body, "data", "users").([]any)
	total, _ := at(r.Body, "data", "pagination", "total").(float64)
	if len(users) != 2 || total < 4 || at(r.Body, "data", "pagination", "limit") != float64(2) || at(r.Body, "data", "pagination", "offset") != float64(0) {
		t.Fatalf("%s", r.Raw)
	}
	if at(users[0], "created_at") == nil || at(users[0], "username") == nil {
		t.Fatalf("user fields: %v", users[0])
	}
	r = e.do("admin", "GET", "/api/v1/users?search=list-me", nil).want(t, 200)
	if at(r.Body, "data", "users", 0, "username") != "list-me" || at(r.Body, "data", "pagination", "total") != float64(1) {
		t.Fatalf("%s", r.Raw)
	}
	r = e.do("admin", "GET", "/api/v1/users?role=clerk&limit=200", nil).want(t, 200)
	for _, u := range at(r.Body, "data", "users").([]any) {
		if at(u, "role") != "clerk" {
			t.Fatalf("role filter: %s", r.Raw)
		}
	}
	e.do("clerk", "GET", "/api/v1/users", nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("", "GET", "/api/v1/users", nil).wantErr(t, 401, "MISSING_AUTH")
	for _, q := range []string{"limit=0", "limit=201", "limit=x", "offset=-1"} {
		er := e.do("admin", "GET", "/api/v1/users?"+q, nil).wantErr(t, 400, civicpress.CodeValidation)
		if len(fieldPaths(er)) != 1 {
			t.Fatalf("%s: %v", q, er)
		}
	}
}

func TestCreateUser(t *testing.T) {
	e := getEnv(t, Options{})
	r := e.do("admin", "POST", "/api/v1/users", map[string]any{"username": "made-by-admin", "role": "clerk", "email": "Made@Example.org"}).want(t, 200)
	if at(r.Body, "data", "user", "role") != "clerk" || at(r.Body, "data", "user", "email") != "made@example.org" {
		t.Fatalf("%s", r.Raw)
	}
	e.do("admin", "POST", "/api/v1/users", map[string]any{"username": "made-by-admin"}).wantErr(t, 409, civicpress.CodeUsernameExists)
	er := e.do("admin", "POST", "/api/v1/users", map[string]any{"email": "x@example.org"}).wantErr(t, 400, civicpress.CodeValidation)
	if p := fieldPaths(er); len(p) != 1 || p[0] != "username" {
		t.Fatalf("%v", er)
	}
	e.do("admin", "POST", "/api/v1/users", map[string]any{"username": "badrole", "role": "emperor"}).wantErr(t, 400, civicpress.CodeInvalidRole)
	e.do("admin", "POST", "/api/v1/users", map[string]any{"username": "weakpw", "password": "short"}).wantErr(t, 400, civicpress.CodeWeakPassword)
	e.do("clerk", "POST", "/api/v1/users", map[string]any{"username": "by-clerk"}).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("", "POST", "/api/v1/users", map[string]any{"username": "by-anon"}).wantErr(t, 401, "MISSING_AUTH")
	e.send(e.req("POST", "/api/v1/users").as(e.tok["admin"]).raw("application/json", "{")).wantErr(t, 400, "MALFORMED_JSON")
	e.send(e.req("POST", "/api/v1/users").as(e.tok["admin"]).raw("text/plain", "username=x")).wantErr(t, 415, "UNSUPPORTED_MEDIA_TYPE")
}

func TestGetUpdateDeleteUser(t *testing.T) {
	e := getEnv(t, Options{})
	u := e.mkUser("crud-user", "public")
	tok := e.session(u)
	id := strconv.FormatInt(u.ID, 10)

	// By username and by id, self or admin.
	for _, p := range []string{"crud-user", id} {
		r := e.send(e.req("GET", "/api/v1/users/"+p).as(tok)).want(t, 200)
		if at(r.Body, "data", "user", "id") != float64(u.ID) {
			t.Fatalf("%s", r.Raw)
		}
	}
	e.do("admin", "GET", "/api/v1/users/crud-user", nil).want(t, 200)
	e.do("public", "GET", "/api/v1/users/crud-user", nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("admin", "GET", "/api/v1/users/no-such-user", nil).wantErr(t, 404, civicpress.CodeUserNotFound)
	e.do("", "GET", "/api/v1/users/crud-user", nil).wantErr(t, 401, "MISSING_AUTH")

	// Self may edit the profile, not the role, not the password here.
	r := e.send(e.req("PUT", "/api/v1/users/"+id).as(tok).json(map[string]any{"name": "Crud User", "email": "Crud@Example.org"})).want(t, 200)
	if at(r.Body, "data", "user", "name") != "Crud User" || at(r.Body, "data", "user", "email") != "crud@example.org" {
		t.Fatalf("%s", r.Raw)
	}
	e.send(e.req("PUT", "/api/v1/users/"+id).as(tok).json(map[string]any{"role": "admin"})).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.send(e.req("PUT", "/api/v1/users/"+id).as(tok).json(map[string]any{"password": "Str0ng!pass"})).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.send(e.req("PUT", "/api/v1/users/"+id).as(tok).json(map[string]any{"email": "nope"})).wantErr(t, 400, civicpress.CodeInvalidEmail)
	e.send(e.req("PUT", "/api/v1/users/"+id).as(tok).json(map[string]any{"name": 7})).wantErr(t, 400, civicpress.CodeValidation)
	e.do("public", "PUT", "/api/v1/users/"+id, map[string]any{"name": "hijack"}).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	// The admin may change the role; a weak password is refused before anything changes.
	e.do("admin", "PUT", "/api/v1/users/"+id, map[string]any{"role": "clerk", "password": "weak"}).wantErr(t, 400, civicpress.CodeWeakPassword)
	if got := e.mustLookup("crud-user"); got.Role != "public" {
		t.Fatalf("role changed by a refused request: %s", got.Role)
	}
	r = e.do("admin", "PUT", "/api/v1/users/"+id, map[string]any{"role": "clerk"}).want(t, 200)
	if at(r.Body, "data", "user", "role") != "clerk" {
		t.Fatalf("%s", r.Raw)
	}
	e.do("admin", "PUT", "/api/v1/users/"+id, map[string]any{"role": "emperor"}).wantErr(t, 400, civicpress.CodeInvalidRole)
	e.do("admin", "PUT", "/api/v1/users/no-such-user", map[string]any{"name": "x"}).wantErr(t, 404, civicpress.CodeUserNotFound)

	// Delete.
	e.do("clerk", "DELETE", "/api/v1/users/"+id, nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("admin", "DELETE", "/api/v1/users/admin", nil).wantErr(t, 400, civicpress.CodeSelfDeletion)
	r = e.do("admin", "DELETE", "/api/v1/users/"+id, nil).want(t, 200)
	if at(r.Body, "data", "userId") != float64(u.ID) {
		t.Fatalf("%s", r.Raw)
	}
	e.do("admin", "DELETE", "/api/v1/users/"+id, nil).wantErr(t, 404, civicpress.CodeUserNotFound)
	e.send(e.req("GET", "/api/v1/auth/me").as(tok)).wantErr(t, 401, civicpress.CodeInvalidToken)
}

func TestPasswords(t *testing.T) {
	e := getEnv(t, Options{})
	u, err := e.core.Users().Create(context.Background(), civicpress.System, civicpress.NewUser{
		Username: "pw-user", Password: "First!pass1", Email: "pw-user@example.org", Role: "public"})
	if err != nil {
		t.Fatal(err)
	}
	tok := e.session(u)
	path := "/api/v1/users/pw-user/change-password"
	er := e.send(e.req("POST", path).as(tok).json(map[string]any{})).wantErr(t, 400, civicpress.CodeValidation)
	if len(fieldPaths(er)) != 2 {
		t.Fatalf("%v", er)
	}
	er = e.send(e.req("POST", path).as(tok).json(map[string]any{"currentPassword": "Wrong!pass1", "newPassword": "Second!pass2"})).
		wantErr(t, 400, civicpress.CodeValidation)
	if p := fieldPaths(er); len(p) != 1 || p[0] != "currentPassword" {
		t.Fatalf("%v", er)
	}
	e.send(e.req("POST", path).as(tok).json(map[string]any{"currentPassword": "First!pass1", "newPassword": "weak"})).
		wantErr(t, 400, civicpress.CodeWeakPassword)
	r := e.send(e.req("POST", path).as(tok).json(map[string]any{"currentPassword": "First!pass1", "newPassword": "Second!pass2"})).want(t, 200)
	if at(r.Body, "data", "success") != true {
		t.Fatalf("%s", r.Raw)
	}
	// Sessions end with a password change.
	e.send(e.req("GET", "/api/v1/auth/me").as(tok)).wantErr(t, 401, civicpress.CodeInvalidToken)
	tok = e.session(u)
	// Someone else's password: set-password rights are needed.
	e.do("clerk", "POST", path, map[string]any{"newPassword": "Third!pass3"}).wantErr(t, 403, civicpress.CodeInsufficientPerms)

	sp := "/api/v1/users/pw-user/set-password"
	e.do("admin", "POST", sp, map[string]any{}).wantErr(t, 400, civicpress.CodeValidation)
	e.do("admin", "POST", sp, map[string]any{"newPassword": "weak"}).wantErr(t, 400, civicpress.CodeWeakPassword)
	e.do("clerk", "POST", sp, map[string]any{"newPassword": "Third!pass3"}).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.send(e.req("POST", sp).as(tok).json(map[string]any{"newPassword": "Third!pass3"})).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("admin", "POST", "/api/v1/users/no-such-user/set-password", map[string]any{"newPassword": "Third!pass3"}).wantErr(t, 404, civicpress.CodeUserNotFound)
	e.do("admin", "POST", sp, map[string]any{"newPassword": "Third!pass3"}).want(t, 200)
	e.send(e.req("GET", "/api/v1/auth/me").as(tok)).wantErr(t, 401, civicpress.CodeInvalidToken)
	e.do("", "POST", "/api/v1/auth/password", map[string]any{"username": "pw-user", "password": "Third!pass3"}).want(t, 200)
}

func TestAPIKeys(t *testing.T) {
	e := getEnv(t, Options{})
	u := e.mkUser("key-owner", "clerk")
	tok := e.session(u)
	base := "/api/v1/users/key-owner/api-keys"

	er := e.send(e.req("POST", base).as(tok).json(map[string]any{})).wantErr(t, 400, civicpress.CodeValidation)
	if p := fieldPaths(er); len(p) != 1 || p[0] != "name" {
		t.Fatalf("%v", er)
	}
	e.send(e.req("POST", base).as(tok).json(map[string]any{"name": "x", "expiresAt": "tomorrow"})).wantErr(t, 400, civicpress.CodeValidation)
	e.send(e.req("POST", base).as(tok).json(map[string]any{"name": "x", "expiresAt": "2001-01-01T00:00:00Z"})).wantErr(t, 400, civicpress.CodeValidation)
	r := e.send(e.req("POST", base).as(tok).json(map[string]any{"name": "ci", "expiresAt": "2099-01-01T00:00:00Z"})).want(t, 201)
	key, _ := at(r.Body, "data", "key").(string)
	keyID, _ := at(r.Body, "data", "apiKey", "id").(float64)
	if key == "" || keyID == 0 || at(r.Body, "data", "apiKey", "expires_at") != "2099-01-01T00:00:00.000Z" {
		t.Fatalf("%s", r.Raw)
	}
	// The key authenticates as its owner, on /auth/me too.
	me := e.send(e.req("GET", "/api/v1/auth/me").as(key)).want(t, 200)
	if at(me.Body, "data", "user", "username") != "key-owner" {
		t.Fatalf("%s", me.Raw)
	}
	// Logging out with a key does not revoke it.
	e.send(e.req("POST", "/api/v1/auth/logout").as(key)).want(t, 200)
	e.send(e.req("GET", "/api/v1/auth/me").as(key)).want(t, 200)

	r = e.send(e.req("GET", base).as(tok)).want(t, 200)
	keys, _ := at(r.Body, "data", "apiKeys").([]any)
	if len(keys) != 1 || at(keys[0], "name") != "ci" || at(keys[0], "key") != nil {
		t.Fatalf("%s", r.Raw)
	}
	e.do("admin", "GET", base, nil).want(t, 200)
	e.do("public", "GET", base, nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("public", "POST", base, map[string]any{"name": "theirs"}).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.do("", "GET", base, nil).wantErr(t, 401, "MISSING_AUTH")

	del := base + "/" + strconv.Itoa(int(keyID))
	e.do("public", "DELETE", del, nil).wantErr(t, 403, civicpress.CodeInsufficientPerms)
	e.send(e.req("DELETE", base+"/abc").as(tok)).wantErr(t, 404, civicpress.CodeNotFound)
	e.send(e.req("DELETE", base+"/999999").as(tok)).wantErr(t, 404, civicpress.CodeNotFound)
	e.send(e.req("DELETE", del).as(tok)).want(t, 200)
	e.send(e.req("GET", "/api/v1/auth/me").as(key)).wantErr(t, 401, civicpress.CodeInvalidToken)
}
