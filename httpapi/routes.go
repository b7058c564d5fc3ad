package httpapi

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// routes lists every endpoint. Order matters within a group: literal
// segments (/records/drafts) come before variables (/records/{id}).
func (a *api) routes() []*route {
	return []*route{
		// operations and catalogues
		{name: "health", method: "GET", path: "/health", access: public, h: a.health},
		{name: "healthDetailed", method: "GET", path: "/health/detailed", access: public, h: a.healthDetailed},
		{name: "info", method: "GET", path: "/info", access: optional, h: a.info},
		{name: "openapi", method: "GET", path: "/openapi.json", access: public, h: a.openapi},
		{name: "recordTypes", method: "GET", path: "/system/record-types", access: public, h: a.recordTypes},
		{name: "recordStatuses", method: "GET", path: "/system/record-statuses", access: public, h: a.recordStatuses},

		// records (CSRF before authentication on writes, as upstream)
		{name: "listRecords", method: "GET", cache: true, path: "/records", access: optional, h: a.listRecords},
		{name: "createRecord", method: "POST", path: "/records", access: required, csrf: true, h: a.createRecord},
		{name: "recordsSummary", method: "GET", cache: true, path: "/records/summary", access: public, h: a.recordsSummary},
		{name: "listDrafts", method: "GET", path: "/records/drafts", access: required, h: a.listDrafts},
		{name: "getRecord", method: "GET", cache: true, path: "/records/{id}", access: optional, h: a.getRecord},
		{name: "updateRecord", method: "PUT", path: "/records/{id}", access: required, csrf: true, h: a.updateRecord},
		{name: "archiveRecord", method: "DELETE", path: "/records/{id}", access: required, csrf: true, h: a.archiveRecord},
		{name: "rawRecord", method: "GET", path: "/records/{id}/raw", access: optional, h: a.rawRecord},
		{name: "recordFrontmatter", method: "GET", path: "/records/{id}/frontmatter", access: optional, h: a.frontmatter},
		{name: "saveDraft", method: "PUT", path: "/records/{id}/draft", access: required, csrf: true, h: a.saveDraft},
		{name: "deleteDraft", method: "DELETE", path: "/records/{id}/draft", access: required, csrf: true, h: a.deleteDraft},
		{name: "publishRecord", method: "POST", path: "/records/{id}/publish", access: required, csrf: true, h: a.publish},
		{name: "changeStatus", method: "POST", path: "/records/{id}/status", access: required, csrf: true, h: a.changeStatus},
		{name: "recordTransitions", method: "GET", path: "/records/{id}/transitions", access: required, h: a.transitions},
		{name: "lockStatus", method: "GET", path: "/records/{id}/lock", access: required, h: a.lockStatus},
		{name: "lockRecord", method: "POST", path: "/records/{id}/lock", access: required, csrf: true, h: a.lock},
		{name: "unlockRecord", method: "DELETE", path: "/records/{id}/lock", access: required, csrf: true, h: a.unlock},
		{name: "snapshotRecord", method: "POST", path: "/records/{id}/snapshot", access: required, csrf: true, h: a.snapshot},
		{name: "recordDiff", method: "GET", path: "/records/{id}/diff", access: required, h: a.recordDiff},

		// history, diff, search
		{name: "history", method: "GET", path: "/history", access: required, h: a.history},
		{name: "recordHistory", method: "GET", path: "/history/{record}", access: required, h: a.history},
		{name: "diff", method: "GET", path: "/diff/{recordId}", access: required, h: a.upstreamDiff},
		{name: "search", method: "GET", cache: true, path: "/search", access: optional, h: a.search},
		{name: "searchSuggestions", method: "GET", cache: true, path: "/search/suggestions", access: optional, h: a.suggestions},

		// auth (all under the strict rate limit, as upstream's /api/v1/auth prefix)
		{name: "login", method: "POST", path: "/auth/password", access: public, strict: true, h: a.login},
		{name: "me", method: "GET", path: "/auth/me", access: required, strict: true, h: a.me},
		{name: "logout", method: "POST", path: "/auth/logout", access: public, strict: true, h: a.logout},
		{name: "logoutAll", method: "POST", path: "/auth/logout-all", access: required, strict: true, h: a.logoutAll},
		{name: "csrfToken", method: "GET", path: "/auth/csrf-token", access: public, strict: true, h: a.csrfToken},
		{name: "forgotPassword", method: "POST", path: "/auth/forgot-password", access: public, strict: true, h: a.forgotPassword},
		{name: "resetPassword", method: "POST", path: "/auth/reset-password", access: public, strict: true, h: a.resetPassword},
		{name: "providers", method: "GET", path: "/auth/providers", access: public, strict: true, h: a.providers},

		// users (upstream authenticates /users before its CSRF check, and only
		// Bearer credentials exist, so that check can never fire there)
		{name: "register", method: "POST", path: "/users/register", access: public, strict: true, h: a.register},
		{name: "listUsers", method: "GET", path: "/users", access: required, h: a.listUsers},
		{name: "createUser", method: "POST", path: "/users", access: required, h: a.createUser},
		{name: "getUser", method: "GET", path: "/users/{id}", access: required, h: a.getUser},
		{name: "updateUser", method: "PUT", path: "/users/{id}", access: required, h: a.updateUser},
		{name: "deleteUser", method: "DELETE", path: "/users/{id}", access: required, h: a.deleteUser},
		{name: "changePassword", method: "POST", path: "/users/{id}/change-password", access: required, h: a.changePassword},
		{name: "setPassword", method: "POST", path: "/users/{id}/set-password", access: required, h: a.setPassword},
		{name: "listApiKeys", method: "GET", path: "/users/{id}/api-keys", access: required, h: a.listKeys},
		{name: "createApiKey", method: "POST", path: "/users/{id}/api-keys", access: required, h: a.createKey},
		{name: "deleteApiKey", method: "DELETE", path: "/users/{id}/api-keys/{keyId}", access: required, h: a.deleteKey},
	}
}

// addRoutes adds the routes to sub, grouped by first path segment into
// subrouters so that matching a request tries only its group's patterns.
func (a *api) addRoutes(sub *mux.Router) {
	groups := map[string]*mux.Router{}
	for _, rt := range a.routes() {
		seg, rest, _ := strings.Cut(strings.TrimPrefix(rt.path, "/"), "/")
		g, ok := groups[seg]
		if !ok {
			g = sub.PathPrefix("/" + seg).Subrouter()
			groups[seg] = g
		}
		p := "/" + rest
		if rest == "" {
			p = "" // the group's own path
		}
		methods := []string{rt.method}
		if rt.method == http.MethodGet {
			methods = append(methods, http.MethodHead)
		}
		g.Handle(p, a.wrap(rt)).Methods(methods...).Name(rt.name)
	}
}
