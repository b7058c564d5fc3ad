package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// corsPolicy is upstream's cors({origin: allowlist, credentials: true}).
type corsPolicy struct {
	any     bool
	origins map[string]bool
}

func newCORS(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		if o == "*" {
			p.any = true
		}
		p.origins[strings.TrimRight(o, "/")] = true
	}
	return p
}

const (
	corsMethods = "GET,HEAD,PUT,PATCH,POST,DELETE"
	corsHeaders = "Authorization,Content-Type,X-CSRF-Token,X-Request-ID"
)

// handle adds the CORS headers for an allowed origin and answers
// preflights; it reports whether the request was fully answered. A refused
// origin gets no CORS headers, so the browser withholds the response.
func (p corsPolicy) handle(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if origin == "" {
		if preflight {
			w.WriteHeader(http.StatusNoContent)
		}
		return preflight
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	allowed := p.any || p.origins[origin]
	if allowed {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", "X-Request-ID,RateLimit,RateLimit-Policy,Retry-After")
	}
	if !preflight {
		return false
	}
	if allowed {
		h.Set("Access-Control-Allow-Methods", corsMethods)
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
			h.Add("Vary", "Access-Control-Request-Headers")
		} else {
			h.Set("Access-Control-Allow-Headers", corsHeaders)
		}
		h.Set("Access-Control-Max-Age", "600")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// limiter is a fixed-window request counter per client IP, as upstream's
// express-rate-limit memory store: every counter restarts when the window
// ends, so memory is bounded by the clients seen in one window.
type limiter struct {
	max    int
	window time.Duration
	policy []string // RateLimit-Policy value

	mu      sync.Mutex
	hits    map[string]int
	resetAt time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, hits: map[string]int{},
		policy: []string{strconv.Itoa(max) + ";w=" + strconv.Itoa(int(window/time.Second))}}
}

// take counts one request of key and reports what is left in the window.
func (l *limiter) take(key string, now time.Time) (remaining int, reset time.Duration, ok bool) {
	l.mu.Lock()
	if !now.Before(l.resetAt) {
		clear(l.hits)
		l.resetAt = now.Add(l.window)
	}
	n := l.hits[key]
	if n <= l.max {
		n++
		l.hits[key] = n
	}
	reset = l.resetAt.Sub(now)
	l.mu.Unlock()
	return max(l.max-n, 0), reset, n <= l.max
}

var (
	errRateLimited = &httpError{status: http.StatusTooManyRequests, code: "RATE_LIMITED",
		msg: "Too many requests — try again later"}
	errAuthRateLimited = &httpError{status: http.StatusTooManyRequests, code: "RATE_LIMITED",
		msg: "Too many authentication attempts — try again later"}
)

// limit applies the global limit, and the strict one on /auth and
// /users/register, with draft-7 RateLimit headers of the tighter one.
func (a *api) limit(c *call, strict bool) error {
	now := time.Now()
	for _, l := range [2]*limiter{a.global, a.strict} {
		if l == nil || (l == a.strict && !strict) {
			continue
		}
		remaining, reset, ok := l.take(c.ip, now)
		secs := int((reset + time.Second - 1) / time.Second)
		h := c.w.Header()
		h["Ratelimit-Policy"] = l.policy
		h["Ratelimit"] = []string{"limit=" + strconv.Itoa(l.max) + ", remaining=" + strconv.Itoa(remaining) + ", reset=" + strconv.Itoa(secs)}
		if !ok {
			e := *errRateLimited
			if l == a.strict {
				e = *errAuthRateLimited
			}
			e.retryAfter = reset
			a.log.Warn("httpapi: rate limited", "ip", c.ip, "path", c.r.URL.Path, "requestId", c.rid)
			return &e
		}
	}
	return nil
}

var (
	errCSRFMissing = errf(http.StatusForbidden, "CSRF_TOKEN_MISSING", "CSRF token required")
	errCSRFInvalid = errf(http.StatusForbidden, "CSRF_TOKEN_INVALID", "Invalid CSRF token")
)

// checkCSRF is upstream's csrfMiddleware: writes that carry no Bearer
// token (a browser form) must present a token from GET /auth/csrf-token in
// X-CSRF-Token or the body's csrfToken.
func (a *api) checkCSRF(c *call) error {
	r := c.r
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return nil
	}
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" && r.Body != nil && r.Body != http.NoBody {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return bodyReadError(err)
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		if tok, err = csrfFromBody(r.Header.Get("Content-Type"), data); err != nil {
			return err
		}
	}
	if tok == "" {
		return errCSRFMissing
	}
	if !a.core.VerifyCSRFToken(tok) {
		return errCSRFInvalid
	}
	return nil
}

func csrfFromBody(contentType string, data []byte) (string, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", nil
	}
	switch mt := mediaType(contentType); {
	case mt == formType:
		v, err := url.ParseQuery(string(data))
		if err != nil {
			return "", errMalformedForm
		}
		return v.Get("csrfToken"), nil
	case !isJSONType(mt):
		return "", nil // the handler refuses the media type
	default:
		var b struct {
			CSRFToken json.RawMessage `json:"csrfToken"`
		}
		if err := json.Unmarshal(data, &b); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return "", nil // not an object: the handler reports it
			}
			return "", errMalformedJSON
		}
		var s string
		json.Unmarshal(b.CSRFToken, &s)
		return s, nil
	}
}
