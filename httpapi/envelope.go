package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

// okBody is upstream's success envelope.
type okBody struct {
	Success bool   `json:"success"`
	Data    any    `json:"data"`
	Message string `json:"message,omitempty"`
	Meta    any    `json:"meta,omitempty"`
}

// errBody is upstream's canonical error envelope.
type errBody struct {
	Success bool     `json:"success"`
	Error   apiError `json:"error"`
}

type apiError struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	Details   any    `json:"details,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// fieldDetail is one entry of a validation error's details, in the shape
// upstream's express-validator produces.
type fieldDetail struct {
	Type     string `json:"type"`
	Value    any    `json:"value,omitempty"`
	Msg      string `json:"msg"`
	Path     string `json:"path"`
	Location string `json:"location,omitempty"`
}

// httpError is an error decided by the HTTP layer itself (a missing header,
// an unparsable body, a refused origin ...), as opposed to one from the core.
type httpError struct {
	status     int
	code       string
	msg        string
	details    any
	retryAfter time.Duration
}

func (e *httpError) Error() string { return e.code + ": " + e.msg }

func errf(status int, code, msg string) *httpError {
	return &httpError{status: status, code: code, msg: msg}
}

// invalidFields is a 400 VALIDATION_ERROR naming each offending field.
func invalidFields(msg string, fields ...fieldDetail) *httpError {
	return &httpError{status: http.StatusBadRequest, code: civicpress.CodeValidation, msg: msg, details: fields}
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeJSON sends v with status in one write, with its length.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // as JSON.stringify: "<" stays "<"
	if err := enc.Encode(v); err != nil {
		// Only a value the handler built wrongly gets here; the client
		// still gets an envelope.
		buf.Reset()
		buf.WriteString(`{"success":false,"error":{"message":"Internal server error","code":"INTERNAL_ERROR"}}`)
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	if buf.Cap() <= 1<<20 {
		bufPool.Put(buf)
	}
}

// ok sends data in the success envelope with status 200.
func (c *call) ok(data any) error { return c.send(http.StatusOK, data, nil) }

// send sends data (and meta, when not nil) in the success envelope.
func (c *call) send(status int, data any, meta any) error {
	writeJSON(c.w, status, okBody{Success: true, Data: data, Meta: meta})
	return nil
}

// fail sends err in the error envelope. It is the one place where core
// errors become statuses:
//
//	ErrInvalid 400 · ErrUnauthenticated 401 · ErrForbidden 403 ·
//	ErrNotFound 404 · ErrConflict 409 · ErrLocked 409 for a held record
//	lock (RECORD_LOCKED), else 429 with Retry-After (ACCOUNT_LOCKED) ·
//	anything else 500 INTERNAL_ERROR, logged with the request id.
func (c *call) fail(err error) {
	status, body, retry := c.a.errorBody(c, err)
	if retry > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	writeJSON(c.w, status, errBody{Error: body})
}

func (a *api) errorBody(c *call, err error) (int, apiError, time.Duration) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, apiError{Message: he.msg, Code: he.code, Details: he.details}, he.retryAfter
	}
	var ce *civicpress.Error
	if errors.As(err, &ce) {
		status := statusOf(ce)
		body := apiError{Message: ce.Message, Code: ce.Code, Details: coreDetails(c, ce)}
		if body.Message == "" {
			body.Message = http.StatusText(status)
		}
		if body.Code == "" {
			body.Code = defaultCode(status)
		}
		return status, body, ce.RetryAfter
	}
	if errors.Is(err, context.Canceled) && c.r.Context().Err() != nil {
		// The client went away; nobody reads this answer.
		return 499, apiError{Message: "Request cancelled", Code: "REQUEST_CANCELLED"}, 0
	}
	a.log.Error("httpapi: internal error", "requestId", c.rid, "method", c.r.Method, "path", c.r.URL.Path, "err", err)
	return http.StatusInternalServerError, apiError{Message: "Internal server error", Code: "INTERNAL_ERROR", RequestID: c.rid}, 0
}

func statusOf(e *civicpress.Error) int {
	switch {
	case errors.Is(e, civicpress.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(e, civicpress.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(e, civicpress.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(e, civicpress.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(e, civicpress.ErrConflict):
		return http.StatusConflict
	case errors.Is(e, civicpress.ErrLocked):
		if e.Code == civicpress.CodeRecordLocked {
			return http.StatusConflict
		}
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

func defaultCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return civicpress.CodeValidation
	case http.StatusUnauthorized:
		return civicpress.CodeUnauthenticated
	case http.StatusForbidden:
		return civicpress.CodeInsufficientPerms
	case http.StatusNotFound:
		return civicpress.CodeNotFound
	case http.StatusConflict:
		return "CONFLICT"
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	}
	return "API_ERROR"
}

// coreDetails renders what a core error says beyond its message: who holds
// a lock and until when, the offending fields, or the permission that was
// missing (with the user, as upstream's requirePermission does).
func coreDetails(c *call, e *civicpress.Error) any {
	var held *civicpress.LockHeldError
	if errors.As(e, &held) {
		return lockDetails(held.Lock)
	}
	if len(e.Fields) > 0 {
		out := make([]fieldDetail, len(e.Fields))
		for i, f := range e.Fields {
			out[i] = fieldDetail{Type: "field", Msg: f.Message, Path: f.Field}
		}
		return out
	}
	if e.Required != "" {
		d := map[string]any{"required": e.Required}
		if u := c.user(); u != nil {
			d["user"] = map[string]any{"id": u.ID, "username": u.Username, "role": u.Role}
		}
		return d
	}
	return nil
}

// isoMillis formats t as JavaScript's Date.toISOString does.
func isoMillis(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
