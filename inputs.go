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

// Deref is the string v points to, "" for nil.
func Deref(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

// ValidText reports whether s is valid UTF-8 without NUL characters, the
// text every store can hold (PostgreSQL refuses NUL and invalid UTF-8).
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// ValidKeyString reports whether s may be a caller-chosen key: it appears in
// URL paths, so only unreserved URL characters are allowed.
func ValidKeyString(s string) bool {
	if len(s) < MinCustomKeyLen || len(s) > MaxCustomKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}

func (p *problems) customKey(v string) {
	if !ValidKeyString(v) {
		p.add("key must be %d to %d characters of A-Z, a-z, 0-9, '-', '_', '.' or '~'", MinCustomKeyLen, MaxCustomKeyLen)
	}
}

func (p *problems) metaData(v json.RawMessage) {
	if len(v) > 0 && !isJSONObject(v) && !bytes.Equal(v, []byte("null")) {
		p.add("customMetaData must be an object")
	}
}

func (p *problems) rateLimit(v *RateLimit) {
	if v == nil {
		return
	}
	if v.RateLimit < 1 {
		p.add("rateLimitConfigs.rateLimit must be a positive integer")
	}
	if v.RateLimitTTL < 1 || v.RateLimitTTL > MaxRateLimitTTL {
		p.add("rateLimitConfigs.rateLimitTtl must be a whole number of seconds between 1 and %d", MaxRateLimitTTL)
	}
}

func (p *problems) domains(v []string) []string {
	if len(v) > MaxAllowedDomains {
		p.add("allowedDomains must contain no more than %d elements", MaxAllowedDomains)
		return nil
	}
	out := make([]string, 0, len(v))
	for _, d := range v {
		n, ok := NormalizeDomainPattern(d)
		if !ok {
			p.add("allowedDomains must contain host names such as example.com or *.example.com, got %q", truncate(d, 64))
			continue
		}
		out = append(out, n)
	}
	return out
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

// APIKeyCreate is the body of POST /api-keys.
type APIKeyCreate struct {
	Name      string `json:"name"`
	ProjectID string `json:"projectId,omitempty"`
	// Key is the caller's own key string; absent or null generates one.
	Key              *string         `json:"key,omitempty"`
	CustomMetaData   json.RawMessage `json:"customMetaData,omitempty"`
	CustomAccountID  *string         `json:"customAccountId,omitempty"`
	CustomUserID     *string         `json:"customUserId,omitempty"`
	Expiry           *Time           `json:"expiry,omitempty"`
	RateLimitConfigs *RateLimit      `json:"rateLimitConfigs,omitempty"`
	AllowedDomains   []string        `json:"allowedDomains,omitempty"`
}

// Validate checks the input and normalizes allowed domains in place.
func (in *APIKeyCreate) Validate() error {
	var p problems
	p.name("name", in.Name)
	p.id("projectId", in.ProjectID)
	if in.Key != nil {
		p.customKey(*in.Key)
	}
	p.metaData(in.CustomMetaData)
	p.customID("customAccountId", in.CustomAccountID)
	p.customID("customUserId", in.CustomUserID)
	p.rateLimit(in.RateLimitConfigs)
	in.AllowedDomains = p.domains(in.AllowedDomains)
	return p.err()
}

// APIKeyUpdate is the body of PATCH /api-keys/{key}: every field optional,
// null clears the ones that can be cleared.
type APIKeyUpdate struct {
	Name             Optional[string]          `json:"name,omitzero"`
	Key              Optional[string]          `json:"key,omitzero"`
	CustomMetaData   Optional[json.RawMessage] `json:"customMetaData,omitzero"`
	CustomAccountID  Optional[string]          `json:"customAccountId,omitzero"`
	CustomUserID     Optional[string]          `json:"customUserId,omitzero"`
	Expiry           Optional[Time]            `json:"expiry,omitzero"`
	RateLimitConfigs Optional[RateLimit]       `json:"rateLimitConfigs,omitzero"`
	AllowedDomains   Optional[[]string]        `json:"allowedDomains,omitzero"`
}

func (in *APIKeyUpdate) Validate() error {
	var p problems
	if in.Name.Set {
		p.name("name", in.Name.Value)
	}
	if in.Key.Set {
		if in.Key.Null {
			p.add("key should not be empty")
		} else {
			p.customKey(in.Key.Value)
		}
	}
	if in.CustomMetaData.Set && !in.CustomMetaData.Null {
		p.metaData(in.CustomMetaData.Value)
	}
	if in.CustomAccountID.Set && !in.CustomAccountID.Null {
		p.customID("customAccountId", &in.CustomAccountID.Value)
	}
	if in.CustomUserID.Set && !in.CustomUserID.Null {
		p.customID("customUserId", &in.CustomUserID.Value)
	}
	if in.RateLimitConfigs.Set && !in.RateLimitConfigs.Null {
		p.rateLimit(&in.RateLimitConfigs.Value)
	}
	if in.AllowedDomains.Set && !in.AllowedDomains.Null {
		in.AllowedDomains.Value = p.domains(in.AllowedDomains.Value)
	}
	return p.err()
}

// APIKeyReactivate is the optional body of PATCH /api-keys/{key}/reactivate.
type APIKeyReactivate struct {
	Expiry *Time `json:"expiry,omitempty"`
}

func (in *APIKeyReactivate) Validate() error { return nil }

type ProjectCreate struct {
	Name      string `json:"name"`
	AccountID string `json:"accountId"`
	Env       Env    `json:"env"`
}

func (in *ProjectCreate) Validate() error {
	var p problems
	p.name("name", in.Name)
	if in.AccountID == "" {
		p.add("accountId should not be empty")
	} else {
		p.id("accountId", in.AccountID)
	}
	if !in.Env.Valid() {
		p.add("env must be one of the following values: live, test")
	}
	return p.err()
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

type AccessKeyCreate struct {
	Name         string  `json:"name"`
	AccountID    string  `json:"accountId,omitempty"`
	ProjectID    *string `json:"projectId,omitempty"`
	RateLimit    *int    `json:"rateLimit,omitempty"`
	RateLimitTTL *int    `json:"rateLimitTtl,omitempty"`
}

func (in *AccessKeyCreate) Validate() error {
	var p problems
	p.name("name", in.Name)
	p.id("accountId", in.AccountID)
	p.narrowingID("projectId", in.ProjectID)
	if in.RateLimit != nil && *in.RateLimit < 1 {
		p.add("rateLimit must be a positive integer")
	}
	if in.RateLimitTTL != nil && (*in.RateLimitTTL < 1 || *in.RateLimitTTL > MaxRateLimitTTL) {
		p.add("rateLimitTtl must be a whole number of seconds between 1 and %d", MaxRateLimitTTL)
	}
	if (in.RateLimit == nil) != (in.RateLimitTTL == nil) {
		p.add("rateLimit and rateLimitTtl must be given together")
	}
	return p.err()
}

// APIKeyFilter selects keys for GET /api-keys. Nil pointers do not filter;
// NullX asks for a null value (the query literal "null").
type APIKeyFilter struct {
	ProjectID           string
	Name                *string
	CustomAccountID     *string
	NullCustomAccountID bool
	CustomUserID        *string
	NullCustomUserID    bool
	IsActive            bool
	Page
}

// Page is limit/offset or cursor pagination shared by every list.
type Page struct {
	Limit  int
	Offset int
	// Cursor, when non-nil, switches to keyset pagination; "" is the first page.
	Cursor *string
}

const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)
