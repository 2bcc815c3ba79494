package keyway

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for callers. Every transport maps codes to its own
// statuses in exactly one place (httpapi for HTTP).
type Code string

const (
	CodeInvalid        Code = "invalid"
	CodeUnauthorized   Code = "unauthorized"
	CodeForbidden      Code = "forbidden"
	CodeNotFound       Code = "not_found"
	CodeConflict       Code = "conflict"
	CodeTooLarge       Code = "too_large"
	CodeRateLimited    Code = "rate_limited"
	CodeNotImplemented Code = "not_implemented"
	CodeUnavailable    Code = "unavailable"
	CodeInternal       Code = "internal"
)

// Error is the one error type that crosses package boundaries. Message is
// safe to show to the caller; Err is the internal cause and is only logged.
type Error struct {
	Code Code
	// Message is the public message. Validation errors carry their list in
	// Details instead and leave Message empty.
	Message string
	Details []string
	Err     error
	// RetryAfter, on a rate-limit error, is how long until a retry can work.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && len(e.Details) > 0 {
		msg = fmt.Sprint(e.Details)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an error with a public message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a validation error listing every problem found.
func Invalid(details ...string) *Error {
	return &Error{Code: CodeInvalid, Details: details}
}

// Internal wraps an unexpected failure; its cause is never shown to callers.
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "Internal server error", Err: err}
}

// ErrorCode returns the code of err, CodeInternal for foreign errors.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error, wrapping foreign errors as internal ones.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Sentinel not-found errors keep the public wording in one place.
var (
	ErrAPIKeyNotFound    = Errorf(CodeNotFound, "API key not found")
	ErrProjectNotFound   = Errorf(CodeNotFound, "Project not found")
	ErrAccountNotFound   = Errorf(CodeNotFound, "Account not found")
	ErrAccessKeyNotFound = Errorf(CodeNotFound, "Access key not found")
	ErrUnauthorized      = Errorf(CodeUnauthorized, "Unauthorized")
	ErrForbidden         = Errorf(CodeForbidden, "Forbidden resource")
	// ErrStale answers an update of an object that another request changed
	// since it was read; the service reads again and retries.
	ErrStale = Errorf(CodeConflict, "The object was changed by another request; try again")
)
