package keyway

import (
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
)

// The secret types below are strings that cannot be printed: fmt (every
// verb, %#v included), slog and String() show a masked form that names
// the kind of secret. A secret reaches a log line only through Reveal or
// a string conversion, which stand out in review. JSON is deliberately
// left alone: the contract returns keys, secrets and tokens in answers,
// so encoding/json sees the plain string.

// APIKeySecret is the string of an API key, its identity on every path.
type APIKeySecret string

// AccessKeySecret is the string of an access key, a management credential.
type AccessKeySecret string

// Token is a bearer credential that is not a key: a user's access or
// refresh token, an MCP server's token, a Firebase ID token.
type Token string

// WebhookSecret signs a webhook's deliveries.
type WebhookSecret string

// Password is what a person signs in with.
type Password string

// OneTimeCode is a one-time sign-in code sent by email.
type OneTimeCode string

// Secret is what every secret type above is: masked in print, revealed on
// purpose only.
type Secret interface {
	fmt.Stringer
	fmt.GoStringer
	fmt.Formatter
	slog.LogValuer
	// Reveal is the secret's text, for hashing, sealing, comparing in
	// constant time and the wire; never for a log line.
	Reveal() string
}

var (
	_ Secret = APIKeySecret("")
	_ Secret = AccessKeySecret("")
	_ Secret = Token("")
	_ Secret = WebhookSecret("")
	_ Secret = Password("")
	_ Secret = OneTimeCode("")
)

// tailMinLen is the shortest secret whose last four characters are shown:
// at that length at least 20 stay hidden, so the tail tells keys apart in
// a log without narrowing a guess. Shorter ones (custom keys may have
// only 8) show nothing.
const tailMinLen = 24

// mask is the printed form of a secret of the given kind. Passwords and
// one-time codes never show a tail: they are short or chosen by people,
// and a part of one helps a guess.
func mask(kind, s string, tail bool) string {
	switch {
	case s == "":
		return "[empty " + kind + "]"
	case tail && len(s) >= tailMinLen:
		return "[" + kind + " …" + s[len(s)-4:] + "]"
	}
	return "[redacted " + kind + "]"
}

// format writes a masked form for every verb, so %x or %d cannot print
// the bytes either; %q quotes the masked form as it would a string.
func format(f fmt.State, verb rune, masked string) {
	if verb == 'q' {
		masked = strconv.Quote(masked)
	}
	_, _ = f.Write([]byte(masked))
}

func (s APIKeySecret) String() string                   { return mask("api key", string(s), true) }
func (s APIKeySecret) GoString() string                 { return s.String() }
func (s APIKeySecret) Format(f fmt.State, verb rune)    { format(f, verb, s.String()) }
func (s APIKeySecret) LogValue() slog.Value             { return slog.StringValue(s.String()) }
func (s APIKeySecret) Reveal() string                   { return string(s) }
func (s AccessKeySecret) String() string                { return mask("access key", string(s), true) }
func (s AccessKeySecret) GoString() string              { return s.String() }
func (s AccessKeySecret) Format(f fmt.State, verb rune) { format(f, verb, s.String()) }
func (s AccessKeySecret) LogValue() slog.Value          { return slog.StringValue(s.String()) }
func (s AccessKeySecret) Reveal() string                { return string(s) }
func (s Token) String() string                          { return mask("token", string(s), true) }
func (s Token) GoString() string                        { return s.String() }
func (s Token) Format(f fmt.State, verb rune)           { format(f, verb, s.String()) }
func (s Token) LogValue() slog.Value                    { return slog.StringValue(s.String()) }
func (s Token) Reveal() string                          { return string(s) }
func (s WebhookSecret) String() string                  { return mask("webhook secret", string(s), true) }
func (s WebhookSecret) GoString() string                { return s.String() }
func (s WebhookSecret) Format(f fmt.State, verb rune)   { format(f, verb, s.String()) }
func (s WebhookSecret) LogValue() slog.Value            { return slog.StringValue(s.String()) }
func (s WebhookSecret) Reveal() string                  { return string(s) }
func (s Password) String() string                       { return mask("password", string(s), false) }
func (s Password) GoString() string                     { return s.String() }
func (s Password) Format(f fmt.State, verb rune)        { format(f, verb, s.String()) }
func (s Password) LogValue() slog.Value                 { return slog.StringValue(s.String()) }
func (s Password) Reveal() string                       { return string(s) }
func (s OneTimeCode) String() string                    { return mask("one-time code", string(s), false) }
func (s OneTimeCode) GoString() string                  { return s.String() }
func (s OneTimeCode) Format(f fmt.State, verb rune)     { format(f, verb, s.String()) }
func (s OneTimeCode) LogValue() slog.Value              { return slog.StringValue(s.String()) }
func (s OneTimeCode) Reveal() string                    { return string(s) }

// logFields is the log form of a struct that holds a secret: its fields
// under their JSON names, each resolved by slog, so a secret field logs
// masked. Without it slog's JSON handler would encode the struct with
// encoding/json, which shows secrets as the wire must.
func logFields(v any) slog.Value {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return slog.AnyValue(nil)
		}
		rv = rv.Elem()
	}
	t := rv.Type()
	attrs := make([]slog.Attr, 0, t.NumField())
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		attrs = append(attrs, slog.Any(name, logValue(rv.FieldByIndex(f.Index))))
	}
	return slog.GroupValue(attrs...)
}

// logValue is one field's value for logFields: pointers are followed, so
// a pointer to a secret logs as the secret's masked form and a nil one as
// null.
func logValue(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	return v.Interface()
}

// LogValue logs the key with its string masked.
func (k APIKey) LogValue() slog.Value { return logFields(k) }

// LogValue logs the key with its string masked.
func (k AccessKey) LogValue() slog.Value { return logFields(k) }

// LogValue logs the webhook with its secret masked.
func (w Webhook) LogValue() slog.Value { return logFields(w) }

// LogValue logs the server with its token masked.
func (m MCPServer) LogValue() slog.Value { return logFields(m) }

// LogValue logs the tokens masked.
func (t Tokens) LogValue() slog.Value { return logFields(t) }

// LogValue logs the body with the password masked.
func (in Signup) LogValue() slog.Value { return logFields(in) }

// LogValue logs the body with the password masked.
func (in Login) LogValue() slog.Value { return logFields(in) }

// LogValue logs the body with the tokens masked.
func (in TokenRefresh) LogValue() slog.Value { return logFields(in) }

// LogValue logs the body with the code masked.
func (in LoginCode) LogValue() slog.Value { return logFields(in) }

// LogValue logs the body with the ID token masked.
func (in FirebaseSignup) LogValue() slog.Value { return logFields(in) }

// LogValue logs the body with a custom key masked.
func (in APIKeyCreate) LogValue() slog.Value { return logFields(in) }

// LogValue logs the body with a custom key masked.
func (in APIKeyUpdate) LogValue() slog.Value { return logFields(in) }

// LogValue logs the key's account and its string masked.
func (k AccountKey) LogValue() slog.Value { return logFields(k) }

// LogValue logs the key read for verification with its string masked.
func (k VerificationKey) LogValue() slog.Value { return logFields(k) }

// LogValue logs the job with its webhook's secret masked.
func (j DeliveryJob) LogValue() slog.Value { return logFields(j) }

// LogValue logs the caller with its credential masked.
func (c Caller) LogValue() slog.Value { return logFields(c) }

// LogValue logs whether the field was given and, if so, its value as that
// value logs itself; encoding/json would show Value, secret or not.
func (o Optional[T]) LogValue() slog.Value {
	switch {
	case !o.Set:
		return slog.StringValue("(absent)")
	case o.Null:
		return slog.AnyValue(nil)
	}
	return slog.AnyValue(logValue(reflect.ValueOf(&o.Value).Elem()))
}

// LogValue logs the user without the password hash.
func (u User) LogValue() slog.Value { return logFields(u) }
