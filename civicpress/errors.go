package civicpress

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel error kinds. Every error the package returns for a caller's
// mistake matches exactly one of these with errors.Is, and carries an
// upstream error code (see Code). Anything else is an internal failure.
var (
	ErrNotFound        = errors.New("not found")
	ErrForbidden       = errors.New("forbidden")
	ErrConflict        = errors.New("conflict")
	ErrInvalid         = errors.New("invalid")
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrLocked covers throttling and held locks (ACCOUNT_LOCKED, RECORD_LOCKED).
	ErrLocked = errors.New("locked")
)

// Upstream error codes used by this package (api.md §2.2).
const (
	CodeValidation          = "VALIDATION_ERROR"
	CodeNotFound            = "NOT_FOUND"
	CodeUserNotFound        = "USER_NOT_FOUND"
	CodeUsernameExists      = "USERNAME_EXISTS"
	CodeEmailExists         = "EMAIL_EXISTS"
	CodeWeakPassword        = "WEAK_PASSWORD"
	CodeInvalidRole         = "INVALID_ROLE"
	CodeInvalidEmail        = "INVALID_EMAIL_FORMAT"
	CodeInsufficientPerms   = "INSUFFICIENT_PERMISSIONS"
	CodeUnauthenticated     = "UNAUTHENTICATED"
	CodeInvalidToken        = "INVALID_TOKEN"
	CodeAuthError           = "AUTH_ERROR"
	CodeAccountLocked       = "ACCOUNT_LOCKED"
	CodeResetFailed         = "RESET_FAILED"
	CodeExternalAuthNoPass  = "EXTERNAL_AUTH_PASSWORD_FORBIDDEN"
	CodeSelfDeletion        = "SELF_DELETION_NOT_ALLOWED"
	CodeMissingFields       = "MISSING_FIELDS"
	CodeInvalidConfig       = "INVALID_YAML"
	CodeRecordNotFound      = "RECORD_NOT_FOUND"
	CodeRecordLocked        = "RECORD_LOCKED"
	CodeInvalidTransition   = "INVALID_STATUS_TRANSITION"
	CodeDraftNotFound       = "DRAFT_NOT_FOUND"
	CodeRecordValidation    = "RECORD_VALIDATION_ERROR"
	CodeConfigurationAbsent = "CONFIGURATION_NOT_FOUND"
)

// FieldError names one offending input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the package's error value: a kind (one of the sentinels), an
// upstream code, a human message and, for validation, the offending fields.
type Error struct {
	Kind    error        // ErrNotFound, ErrForbidden, ...
	Code    string       // upstream code, e.g. "USER_NOT_FOUND"
	Message string       // safe to show to the client
	Fields  []FieldError // for ErrInvalid
	// RetryAfter is set for ErrLocked when the lock has a known end.
	RetryAfter time.Duration
	// Required names the missing permission for ErrForbidden.
	Required string
	Err      error // underlying cause, if any
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Kind.Error()
		for i, f := range e.Fields {
			sep := "; "
			if i == 0 {
				sep = ": "
			}
			msg += sep + f.Field + ": " + f.Message
		}
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrNotFound) and friends work.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Code returns the upstream error code carried by err, or "" when err is not
// one of this package's errors (an internal failure).
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func newErr(kind error, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalid reports bad input; the message is the single field's message, or
// a summary when several fields are wrong.
func invalid(code string, fields ...FieldError) *Error {
	msg := "Invalid request data"
	if len(fields) == 1 {
		msg = fields[0].Message
	}
	return &Error{Kind: ErrInvalid, Code: code, Message: msg, Fields: fields}
}

func forbidden(perm string) *Error {
	return &Error{Kind: ErrForbidden, Code: CodeInsufficientPerms,
		Message: "Permission denied: requires " + perm, Required: perm}
}

// errUnauthenticated is returned to anonymous actors where a user is required.
var errUnauthenticated = &Error{Kind: ErrUnauthenticated, Code: CodeUnauthenticated, Message: "Authentication required"}

// errInvalidToken is the one answer for every bad, expired or revoked token.
var errInvalidToken = &Error{Kind: ErrUnauthenticated, Code: CodeInvalidToken, Message: "Invalid or expired token"}

// errBadCredentials is the one answer for a wrong password and an unknown user.
var errBadCredentials = &Error{Kind: ErrUnauthenticated, Code: CodeAuthError, Message: "Invalid username or password"}
