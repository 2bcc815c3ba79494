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

// SessionToken and SetupToken are declared in session.go.

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
	_ Secret = SessionToken("")
	_ Secret = SetupToken("")
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
func (s SessionToken) String() string                   { return mask("session token", string(s), true) }
func (s SessionToken) GoString() string                 { return s.String() }
func (s SessionToken) Format(f fmt.State, verb rune)    { format(f, verb, s.String()) }
func (s SessionToken) LogValue() slog.Value             { return slog.StringValue(s.String()) }
func (s SessionToken) Reveal() string                   { return string(s) }
func (s SetupToken) String() string                     { return mask("setup token", string(s), true) }
func (s SetupToken) GoString() string                   { return s.String() }
func (s SetupToken) Format(f fmt.State, verb rune)      { format(f, verb, s.String()) }
func (s SetupToken) LogValue() slog.Value               { return slog.StringValue(s.String()) }
func (s SetupToken) Reveal() string                     { return string(s) }

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
	if v.Kind() == reflect.Slice && v.Type().Elem().Implements(logValuer) {
		// slog has no list value; a group keyed by index keeps each
		// element masked where a slice would go to encoding/json whole.
		attrs := make([]slog.Attr, v.Len())
		for i := range attrs {
			attrs[i] = slog.Any(strconv.Itoa(i), logValue(v.Index(i)))
		}
		return slog.GroupValue(attrs...)
	}
	return v.Interface()
}

var logValuer = reflect.TypeFor[slog.LogValuer]()

// The structs below hold a secret, so each has its own LogValue and
// Format. slog's JSON handler would otherwise encode them with
// encoding/json, secret and all. fmt masks a secret field of a plain
// struct by itself, except where it meets a pointer to the struct inside
// another value with a verb pointers do not take (%s): it then prints the
// fields with their methods switched off. A holder that formats itself is
// never printed that way. TestEverySecretHasASecretType fails for a
// holder missing here.

func (k APIKey) LogValue() slog.Value { return logFields(k) }

func (k APIKey) Format(f fmt.State, verb rune) {
	type apiKey APIKey
	formatFields(f, verb, apiKey(k))
}

func (in APIKeyCreate) LogValue() slog.Value { return logFields(in) }

func (in APIKeyCreate) Format(f fmt.State, verb rune) {
	type apiKeyCreate APIKeyCreate
	formatFields(f, verb, apiKeyCreate(in))
}

func (in APIKeyUpdate) LogValue() slog.Value { return logFields(in) }

func (in APIKeyUpdate) Format(f fmt.State, verb rune) {
	type apiKeyUpdate APIKeyUpdate
	formatFields(f, verb, apiKeyUpdate(in))
}

func (k AccountKey) LogValue() slog.Value { return logFields(k) }

func (k AccountKey) Format(f fmt.State, verb rune) {
	type accountKey AccountKey
	formatFields(f, verb, accountKey(k))
}

func (k VerificationKey) LogValue() slog.Value { return logFields(k) }

func (k VerificationKey) Format(f fmt.State, verb rune) {
	type verificationKey VerificationKey
	formatFields(f, verb, verificationKey(k))
}

func (k AccessKey) LogValue() slog.Value { return logFields(k) }

func (k AccessKey) Format(f fmt.State, verb rune) {
	type accessKey AccessKey
	formatFields(f, verb, accessKey(k))
}

func (w Webhook) LogValue() slog.Value { return logFields(w) }

func (w Webhook) Format(f fmt.State, verb rune) {
	type webhook Webhook
	formatFields(f, verb, webhook(w))
}

func (j DeliveryJob) LogValue() slog.Value { return logFields(j) }

func (j DeliveryJob) Format(f fmt.State, verb rune) {
	type deliveryJob DeliveryJob
	formatFields(f, verb, deliveryJob(j))
}

func (m MCPServer) LogValue() slog.Value { return logFields(m) }

func (m MCPServer) Format(f fmt.State, verb rune) {
	type mcpServer MCPServer
	formatFields(f, verb, mcpServer(m))
}

func (c Caller) LogValue() slog.Value { return logFields(c) }

func (c Caller) Format(f fmt.State, verb rune) {
	type caller Caller
	formatFields(f, verb, caller(c))
}

func (in Signup) LogValue() slog.Value { return logFields(in) }

func (in Signup) Format(f fmt.State, verb rune) {
	type signup Signup
	formatFields(f, verb, signup(in))
}

func (in Login) LogValue() slog.Value { return logFields(in) }

func (in Login) Format(f fmt.State, verb rune) {
	type login Login
	formatFields(f, verb, login(in))
}

func (in TokenRefresh) LogValue() slog.Value { return logFields(in) }

func (in TokenRefresh) Format(f fmt.State, verb rune) {
	type tokenRefresh TokenRefresh
	formatFields(f, verb, tokenRefresh(in))
}

func (t Tokens) LogValue() slog.Value { return logFields(t) }

func (t Tokens) Format(f fmt.State, verb rune) {
	type tokens Tokens
	formatFields(f, verb, tokens(t))
}

func (in LoginCode) LogValue() slog.Value { return logFields(in) }

func (in LoginCode) Format(f fmt.State, verb rune) {
	type loginCode LoginCode
	formatFields(f, verb, loginCode(in))
}

func (in FirebaseSignup) LogValue() slog.Value { return logFields(in) }

func (in FirebaseSignup) Format(f fmt.State, verb rune) {
	type firebaseSignup FirebaseSignup
	formatFields(f, verb, firebaseSignup(in))
}

func (in PasswordChange) LogValue() slog.Value { return logFields(in) }

func (in PasswordChange) Format(f fmt.State, verb rune) {
	type passwordChange PasswordChange
	formatFields(f, verb, passwordChange(in))
}

func (in Setup) LogValue() slog.Value { return logFields(in) }

func (in Setup) Format(f fmt.State, verb rune) {
	type setup Setup
	formatFields(f, verb, setup(in))
}

func (in PasswordReset) LogValue() slog.Value { return logFields(in) }

func (in PasswordReset) Format(f fmt.State, verb rune) {
	type passwordReset PasswordReset
	formatFields(f, verb, passwordReset(in))
}

func (t KeyTotals) LogValue() slog.Value { return logFields(t) }

func (t KeyTotals) Format(f fmt.State, verb rune) {
	type keyTotals KeyTotals
	formatFields(f, verb, keyTotals(t))
}

func (t APIKeyTotals) LogValue() slog.Value { return logFields(t) }

func (t APIKeyTotals) Format(f fmt.State, verb rune) {
	type apiKeyTotals APIKeyTotals
	formatFields(f, verb, apiKeyTotals(t))
}

// formatFields prints v, a holder converted to a type of its own without
// methods, as fmt prints any struct: its secret fields mask themselves.
func formatFields(f fmt.State, verb rune, v any) { _, _ = fmt.Fprintf(f, fmt.FormatString(f, verb), v) }

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

// LogValue logs the event without its data, which is the JSON of the
// object and so carries its key or secret in plain text.
func (e Event) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", e.ID), slog.String("topic", e.Topic), slog.String("accountId", e.AccountID),
		slog.String("projectId", e.ProjectID), slog.Any("createdAt", e.CreatedAt), slog.Int("dataBytes", len(e.Data)))
}

// Format prints the event without its data, for the reason LogValue gives.
func (e Event) Format(f fmt.State, verb rune) {
	type event struct {
		ID, Topic, AccountID, ProjectID string
		CreatedAt                       Time
		DataBytes                       int
	}
	formatFields(f, verb, event{e.ID, e.Topic, e.AccountID, e.ProjectID, e.CreatedAt, len(e.Data)})
}

// LogValue logs the message with its secrets masked in subject and text:
// the text of a sign-in email is the code.
func (m MailMessage) LogValue() slog.Value {
	return slog.GroupValue(slog.String("to", m.To), slog.String("subject", m.masked(m.Subject)), slog.String("text", m.masked(m.Text)))
}

// Format prints the message masked, for the reason LogValue gives.
func (m MailMessage) Format(f fmt.State, verb rune) {
	type mailMessage struct{ To, Subject, Text string }
	formatFields(f, verb, mailMessage{m.To, m.masked(m.Subject), m.masked(m.Text)})
}

func (m MailMessage) masked(s string) string {
	for _, secret := range m.Secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}
