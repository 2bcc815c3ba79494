package keyway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Optional distinguishes, in a partial update, a field that is absent (Set
// false) from one set to null (Null true) and one set to a value.
type Optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Limits on what one object may hold; the 1 MiB body limit bounds the rest.
const (
	MaxNameLen        = 255
	MaxCustomIDLen    = 255
	MinCustomKeyLen   = 8
	MaxCustomKeyLen   = 256
	MaxAllowedDomains = 100
	MaxRateLimitTTL   = 366 * 24 * 3600
)

type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return Invalid(p...)
}

func (p *problems) name(field, v string) {
	switch {
	case strings.TrimSpace(v) == "":
		p.add("%s should not be empty", field)
	case !ValidText(v):
		p.add("%s must be valid UTF-8 text without NUL characters", field)
	case utf8.RuneCountInString(v) > MaxNameLen:
		p.add("%s must be shorter than or equal to %d characters", field, MaxNameLen)
	}
}

func (p *problems) customID(field string, v *string) {
	switch {
	case v == nil:
	case !ValidText(*v):
		p.add("%s must be valid UTF-8 text without NUL characters", field)
	case utf8.RuneCountInString(*v) > MaxCustomIDLen:
		p.add("%s must be shorter than or equal to %d characters", field, MaxCustomIDLen)
	}
}

// id checks the id of an object named in a body; "" is left to the caller.
func (p *problems) id(field, v string) {
	if !ValidText(v) {
		p.add("%s must be valid UTF-8 text without NUL characters", field)
	}
}

// narrowingID checks an optional id whose absence widens the scope (no
// projectId means the whole account): absent or null is that, but "" is
// refused rather than read as absent, so a blank variable on the caller's
// side cannot turn a project's credential or role into the account's.
func (p *problems) narrowingID(field string, v *string) {
	switch {
	case v == nil:
	case *v == "":
		p.add("%s should not be empty", field)
	default:
		p.id(field, *v)
	}
}

// Deref is the value v points to, the zero value (such as "") for nil.
func Deref[T any](v *T) T {
	if v == nil {
		var zero T
		return zero
	}
	return *v
}

// ValidText reports whether s is valid UTF-8 without NUL characters, the
// text every store can hold (PostgreSQL refuses NUL and invalid UTF-8).
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

func (p *problems) metaData(v json.RawMessage) {
	if len(v) > 0 && !isJSONObject(v) && !bytes.Equal(v, []byte("null")) {
		p.add("customMetaData must be an object")
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func isJSONObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// Rename is the body of every update that only takes a name.
type Rename struct {
	Name string `json:"name"`
}

func (in *Rename) Validate() error {
	var p problems
	p.name("name", in.Name)
	return p.err()
}
