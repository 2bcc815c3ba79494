package keyway

import (
	"encoding/json"
	"errors"
	"reflect"
	"time"
)

// Clock is injected everywhere time matters so tests can move it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

// TimeLayout is what JavaScript's Date.toISOString prints, which is what the
// original service and its SDK exchange.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time is a UTC instant with millisecond precision, the resolution stored in
// the database and shown on the wire.
type Time struct{ time.Time }

// NewTime truncates t to milliseconds in UTC.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// TimeFromMillis converts stored epoch milliseconds.
func TimeFromMillis(ms int64) Time { return Time{time.UnixMilli(ms).UTC()} }

// Millis is the stored form.
func (t Time) Millis() int64 { return t.UnixMilli() }

func (t Time) String() string { return t.UTC().Format(TimeLayout) }

func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, len(TimeLayout)+2)
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"'), nil
}

func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errNotTime()
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return errNotTime()
	}
	*t = parsed
	return nil
}

// errNotTime is a type error, not a message: encoding/json fills in the
// name of the field being decoded (only for this error type), so the
// answer can say which date was wrong (see InvalidTime).
func errNotTime() error {
	return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[Time]()}
}

// InvalidTime is the answer for a date-time field that does not parse,
// named as it was sent: "expiry" for API keys (the contract's message),
// "expiresAt" for MCP servers.
func InvalidTime(field string) *Error {
	return Invalid(field + " must be a valid ISO 8601 date string")
}

// ParseTime accepts the date forms the contract allows for inputs: full
// ISO-8601 date-times with or without offset, "YYYY-MM-DD HH:MM:SS" and
// "YYYY-MM-DD", the last two read as UTC.
func ParseTime(s string) (Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return NewTime(t), nil
		}
	}
	return Time{}, errTimeSyntax
}

// errTimeSyntax is ParseTime's error; callers name the parameter.
var errTimeSyntax = errors.New("not an ISO 8601 date-time")
