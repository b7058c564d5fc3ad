// Package httpapi serves the CivicPress REST API over a *civicpress.Core:
// the /api/v1 paths, bodies, envelope ({success, data} /
// {success:false, error:{message, code}}) and pagination fields of
// upstream CivicPress, without upstream's wrong status codes (a client's
// mistake is a 4xx with a code, never a 500).
//
//	core, _ := civicpress.Open(ctx, civicpress.Config{})
//	http.ListenAndServe(":3000", httpapi.New(core, httpapi.Options{}))
//
// or, next to a host program's own routes:
//
//	r := mux.NewRouter()
//	r.HandleFunc("/hello", hello)
//	httpapi.Mount(r.PathPrefix("/civic").Subrouter(), core, httpapi.Options{})
//
// The package holds no business rules: handlers parse the request, call the
// core with the authenticated user as actor, and map the core's errors to
// statuses in one place. Every response carries X-Request-ID and security
// headers; requests pass a CORS allowlist, per-IP rate limits, a body limit
// and, for cookie-less browser writes to /records, upstream's CSRF check.
// GET /api/v1/openapi.json describes every route.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/gorilla/mux"
)

// Options configure the API. The zero value is usable: limits and the CORS
// allowlist then come from upstream's environment variables.
type Options struct {
	// Logger receives the access log (Info), refused requests (Warn) and
	// internal errors (Error). Nil uses slog.Default().
	Logger *slog.Logger
	// CORSOrigins are the origins allowed to call cross-origin, with
	// credentials ("*" allows any). Nil reads the comma-separated
	// CORS_ORIGIN; empty denies every cross-origin request.
	CORSOrigins []string
	// RateLimit is the number of requests one client IP may make per
	// 15 minutes (0: $RATE_LIMIT_MAX, else 1000); AuthRateLimit the same for
	// /auth and /users/register (0: $RATE_LIMIT_AUTH_MAX, else 30).
	// Negative disables a limit; RATE_LIMIT_DISABLED=true disables both.
	RateLimit, AuthRateLimit int
	// TrustProxy takes the client IP from the last X-Forwarded-For hop
	// (false: $TRUST_PROXY == "true").
	TrustProxy bool
	// MaxBodyBytes caps request bodies (0: 10 MB); larger bodies get 413.
	MaxBodyBytes int64
	// CacheTTL is how long an anonymous read of public record data (list,
	// search, a record) may be answered from memory (0: one second;
	// negative: never). Writes through the API and record events invalidate
	// it at once; the TTL only bounds how late another process's writes show.
	CacheTTL time.Duration
	// PasswordReset delivers a reset token minted by POST
	// /auth/forgot-password (e-mail it, file a ticket ...). Nil logs that a
	// reset was requested, without the token.
	PasswordReset func(ctx context.Context, user *civicpress.User, token string)
}

// Prefix is where the API lives, under the router it is mounted on.
const Prefix = "/api/v1"

// New returns the API as a handler of its own, serving Prefix.
func New(core *civicpress.Core, opts Options) http.Handler {
	r := mux.NewRouter()
	a := mount(r, core, opts)
	r.NotFoundHandler = a.wrap(&route{name: "notFound", h: a.notFound})
	return r
}

// Mount registers the API's routes under Prefix on r, which may be a host
// program's router or a subrouter of it (the API then lives below the
// subrouter's prefix). Requests under Prefix that match no route get the
// API's JSON 404/405; other paths stay the host's.
func Mount(r *mux.Router, core *civicpress.Core, opts Options) { mount(r, core, opts) }

func mount(r *mux.Router, core *civicpress.Core, opts Options) *api {
	a := newAPI(core, opts)
	sub := r.PathPrefix(Prefix).Subrouter()
	a.addRoutes(sub)
	sub.NotFoundHandler = a.wrap(&route{name: "notFound", h: a.notFound})
	sub.MethodNotAllowedHandler = sub.NotFoundHandler
	a.router = sub
	return a
}

// api is one mounted API: the core, the settings and the limiter state.
type api struct {
	core    *civicpress.Core
	log     *slog.Logger
	started time.Time
	router  *mux.Router

	cors      corsPolicy
	global    *limiter
	strict    *limiter
	trustXFF  bool
	maxBody   int64
	resetHook func(ctx context.Context, user *civicpress.User, token string)
	env       string
	mem       healthCache
	cache     *microCache // nil: disabled
}

const (
	defaultMaxBody   = 10 << 20
	defaultRateLimit = 1000
	defaultAuthLimit = 30
	rateWindow       = 15 * time.Minute
)

func newAPI(core *civicpress.Core, o Options) *api {
	a := &api{core: core, log: o.Logger, started: time.Now(), maxBody: o.MaxBodyBytes,
		trustXFF: o.TrustProxy || os.Getenv("TRUST_PROXY") == "true", resetHook: o.PasswordReset}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.maxBody <= 0 {
		a.maxBody = defaultMaxBody
	}
	origins := o.CORSOrigins
	if origins == nil {
		for _, s := range strings.Split(os.Getenv("CORS_ORIGIN"), ",") {
			if s = strings.TrimSpace(s); s != "" {
				origins = append(origins, s)
			}
		}
	}
	a.cors = newCORS(origins)
	disabled := os.Getenv("RATE_LIMIT_DISABLED") == "true"
	if n := limitValue(o.RateLimit, "RATE_LIMIT_MAX", defaultRateLimit); n > 0 && !disabled {
		a.global = newLimiter(n, rateWindow)
	}
	if n := limitValue(o.AuthRateLimit, "RATE_LIMIT_AUTH_MAX", defaultAuthLimit); n > 0 && !disabled {
		a.strict = newLimiter(n, rateWindow)
	}
	switch {
	case o.CacheTTL == 0:
		a.cache = newMicroCache(defaultCacheTTL)
	case o.CacheTTL > 0:
		a.cache = newMicroCache(o.CacheTTL)
	}
	a.env = os.Getenv("CIVIC_ENV")
	if a.env == "" {
		a.env = "production"
	}
	return a
}

func limitValue(opt int, env string, def int) int {
	if opt != 0 {
		return opt
	}
	if n, err := strconv.Atoi(os.Getenv(env)); err == nil && n != 0 {
		return n
	}
	return def
}
