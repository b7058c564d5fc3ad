package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/gorilla/mux"
)

// access is how a route treats credentials.
type access uint8

const (
	public   access = iota // credentials are not read
	optional               // a valid Bearer token attaches its user; a bad one is ignored (upstream optionalAuth)
	required               // 401 without a valid Bearer token
)

// route is one endpoint: what mux matches, what the pipeline checks before
// the handler runs, and the handler.
type route struct {
	name   string // operationId in openapi.json
	method string
	path   string // mux template below Prefix
	access access
	csrf   bool // upstream's CSRF check, before authentication (records writes)
	strict bool // the stricter /auth rate limit applies too
	cache  bool // anonymous answers may come from the micro-cache
	h      func(*call) error
}

// call is one request as the handlers see it.
type call struct {
	a     *api
	w     *respWriter
	r     *http.Request
	rid   string
	ip    string
	p     *civicpress.Principal // nil: anonymous
	token string                // the Bearer token p came from
}

func (c *call) ctx() context.Context { return c.r.Context() }

// user is the authenticated user, nil when anonymous.
func (c *call) user() *civicpress.User {
	if c.p == nil {
		return nil
	}
	return c.p.User
}

func (c *call) param(name string) string { return mux.Vars(c.r)[name] }

// respWriter remembers what was sent, for the access log and for panics
// that happen after the handler started answering.
type respWriter struct {
	http.ResponseWriter
	status int
	bytes  int
	// beforeAnswer runs once, before the first byte of the answer leaves.
	beforeAnswer func()
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if w.beforeAnswer != nil {
			w.beforeAnswer()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap runs the request pipeline around a route's handler: request id,
// security headers, access log, panic recovery, CORS, rate limits, body
// limit, CSRF, authentication.
func (a *api) wrap(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &respWriter{ResponseWriter: w}
		c := &call{a: a, w: rw, r: r, rid: requestID(r), ip: a.clientIP(r)}
		h := w.Header()
		h["X-Request-Id"] = []string{c.rid}
		for k, v := range securityHeaders {
			h[k] = v
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				a.log.Error("httpapi: panic", "requestId", c.rid, "method", r.Method, "path", r.URL.Path,
					"panic", v, "stack", string(debug.Stack()))
				if rw.status == 0 {
					writeJSON(rw, http.StatusInternalServerError, errBody{Error: apiError{
						Message: "Internal server error", Code: "INTERNAL_ERROR", RequestID: c.rid}})
				}
			}
			a.accessLog(c, rt, start)
		}()
		if a.cors.handle(rw, r) {
			return // preflight answered
		}
		if err := a.limit(c, rt.strict); err != nil {
			c.fail(err)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			if r.ContentLength > a.maxBody {
				c.fail(errTooLarge)
				return
			}
			r.Body = http.MaxBytesReader(rw, r.Body, a.maxBody)
		}
		if rt.csrf {
			if err := a.checkCSRF(c); err != nil {
				c.fail(err)
				return
			}
		}
		if err := a.authenticate(c, rt.access); err != nil {
			c.fail(err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			c.r = r.WithContext(civicpress.WithClientIP(r.Context(), c.ip))
			if a.cache != nil {
				// Whatever this write changed, cached reads are stale once
				// the writer can know it is done.
				rw.beforeAnswer = a.cache.invalidate
			}
		} else if rt.cache && a.cache != nil && c.p == nil && r.Header.Get("Authorization") == "" {
			a.cache.serve(c, rt.h)
			return
		}
		if err := rt.h(c); err != nil {
			c.fail(err)
		}
	})
}

var errTooLarge = errf(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "Request body too large")

func (a *api) accessLog(c *call, rt *route, start time.Time) {
	ctx := c.r.Context()
	if !a.log.Enabled(ctx, slog.LevelInfo) {
		return
	}
	var uid int64
	if u := c.user(); u != nil {
		uid = u.ID
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "http",
		slog.String("method", c.r.Method), slog.String("path", c.r.URL.Path),
		slog.Int("status", c.w.status), slog.Int("bytes", c.w.bytes),
		slog.Duration("dur", time.Since(start)), slog.String("route", rt.name),
		slog.String("requestId", c.rid), slog.String("ip", c.ip), slog.Int64("user", uid))
}

// securityHeaders are helmet 7's defaults with upstream's
// Cross-Origin-Resource-Policy: cross-origin (hardening.test.ts).
var securityHeaders = http.Header{
	"Content-Security-Policy":           {"default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests"},
	"Cross-Origin-Opener-Policy":        {"same-origin"},
	"Cross-Origin-Resource-Policy":      {"cross-origin"},
	"Origin-Agent-Cluster":              {"?1"},
	"Referrer-Policy":                   {"no-referrer"},
	"Strict-Transport-Security":         {"max-age=31536000; includeSubDomains"},
	"X-Content-Type-Options":            {"nosniff"},
	"X-Dns-Prefetch-Control":            {"off"},
	"X-Download-Options":                {"noopen"},
	"X-Frame-Options":                   {"SAMEORIGIN"},
	"X-Permitted-Cross-Domain-Policies": {"none"},
	"X-Xss-Protection":                  {"0"},
}

// requestID echoes a client's X-Request-ID when it is short and made of
// safe characters (it ends up in logs), else makes one in upstream's shape.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-ID"); id != "" && len(id) <= 128 && saneID(id) {
		return id
	}
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [32]byte
	s := append(b[:0], "req_"...)
	s = strconv.AppendInt(s, time.Now().UnixMilli(), 10)
	s = append(s, '_')
	for range 9 {
		s = append(s, digits[rand.IntN(len(digits))])
	}
	return string(s)
}

func saneID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '=' || c == '/':
		default:
			return false
		}
	}
	return true
}

func (a *api) clientIP(r *http.Request) string {
	if a.trustXFF {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			hop := xff[strings.LastIndexByte(xff, ',')+1:]
			if hop = strings.TrimSpace(hop); hop != "" {
				return hop
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

var (
	errMissingAuth = errf(http.StatusUnauthorized, "MISSING_AUTH", "Authorization header required")
	errBadScheme   = errf(http.StatusUnauthorized, civicpress.CodeInvalidToken, "Invalid authorization scheme")
	errBadToken    = errf(http.StatusUnauthorized, civicpress.CodeInvalidToken, "Invalid or expired token")
)

// authenticate resolves the Bearer token (an API key or a session, as
// upstream) for routes that read credentials.
func (a *api) authenticate(c *call, level access) error {
	if level == public {
		return nil
	}
	hdr := c.r.Header.Get("Authorization")
	if hdr == "" {
		if level == required {
			return errMissingAuth
		}
		return nil
	}
	scheme, tok, _ := strings.Cut(hdr, " ")
	tok = strings.TrimSpace(tok)
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		if level == required {
			return errBadScheme
		}
		return nil
	}
	p, err := a.core.Auth().Authenticate(c.ctx(), tok)
	if err != nil {
		if errors.Is(err, civicpress.ErrUnauthenticated) {
			if level == required {
				return errBadToken
			}
			return nil
		}
		return err
	}
	c.p, c.token = p, tok
	return nil
}

// notFound answers paths under Prefix that match no route (upstream's
// catch-all, with the success field it forgot), or 405 when the path is
// served with other methods. (gorilla/mux loses the method mismatch across
// nested subrouters, so it is checked here.)
func (a *api) notFound(c *call) error {
	if err := a.methodNotAllowed(c); err != nil {
		return err
	}
	return errf(http.StatusNotFound, civicpress.CodeNotFound, "Route "+c.r.Method+" "+c.r.URL.Path+" not found")
}

// methodNotAllowed is the 405 for a known path with a method it does not
// serve, listing the methods it does; nil when no method would match.
func (a *api) methodNotAllowed(c *call) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m == c.r.Method {
			continue
		}
		probe := c.r.Clone(c.r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if a.router.Match(probe, &match) && match.MatchErr == nil {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		return nil
	}
	c.w.Header().Set("Allow", strings.Join(allow, ", "))
	return errf(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method "+c.r.Method+" not allowed on "+c.r.URL.Path)
}
