package keyway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
)

// secretTypes are every secret type, made from a string. The test below
// fails when the domain declares one (a type with a Reveal method) that is
// not here.
var secretTypes = map[string]func(string) keyway.Secret{
	"APIKeySecret":    func(s string) keyway.Secret { return keyway.APIKeySecret(s) },
	"AccessKeySecret": func(s string) keyway.Secret { return keyway.AccessKeySecret(s) },
	"Token":           func(s string) keyway.Secret { return keyway.Token(s) },
	"WebhookSecret":   func(s string) keyway.Secret { return keyway.WebhookSecret(s) },
	"Password":        func(s string) keyway.Secret { return keyway.Password(s) },
	"OneTimeCode":     func(s string) keyway.Secret { return keyway.OneTimeCode(s) },
	"SessionToken":    func(s string) keyway.Secret { return keyway.SessionToken(s) },
	"SetupToken":      func(s string) keyway.Secret { return keyway.SetupToken(s) },
}

// holders are every exported struct of the domain that holds a secret, by
// field, pointer, slice or another holder. The test fails when the source
// declares one that is not here.
var holders = map[string]any{
	"APIKey":          keyway.APIKey{},
	"APIKeyCreate":    keyway.APIKeyCreate{},
	"APIKeyUpdate":    keyway.APIKeyUpdate{},
	"AccountKey":      keyway.AccountKey{},
	"VerificationKey": keyway.VerificationKey{},
	"AccessKey":       keyway.AccessKey{},
	"Webhook":         keyway.Webhook{},
	"DeliveryJob":     keyway.DeliveryJob{},
	"MCPServer":       keyway.MCPServer{},
	"Caller":          keyway.Caller{},
	"Signup":          keyway.Signup{},
	"Login":           keyway.Login{},
	"TokenRefresh":    keyway.TokenRefresh{},
	"Tokens":          keyway.Tokens{},
	"LoginCode":       keyway.LoginCode{},
	"FirebaseSignup":  keyway.FirebaseSignup{},
	"KeyTotals":       keyway.KeyTotals{},
	"APIKeyTotals":    keyway.APIKeyTotals{},
	"PasswordChange":  keyway.PasswordChange{},
	"Setup":           keyway.Setup{},
	"PasswordReset":   keyway.PasswordReset{},
}

// notSecret are fields whose names sound like a secret but that hold none
// as plain text, with the reason.
var notSecret = map[string]string{
	"User.PasswordHash":   "an argon2id hash, never on the wire; User logs without it",
	"MCPServer.TokenHash": "the token's digest, never on the wire",
	"Tokens.TokenType":    "the scheme, Bearer",
	"UsageRow.KeyID":      "the key's internal id, not its string",
	"KeyUsageTotal.KeyID": "the key's internal id, not its string",
	"Usage.KeyID":         "the key's internal id, not its string",
	"MailMessage.Secrets": "the parts of Text to mask; MailMessage logs and prints them masked (TestMailMessageNeverPrintsItsSecrets)",
}

// secretName is a field name (or JSON name) that may hold a credential.
var secretName = regexp.MustCompile(`(?i)key|secret|token|password|passwd|code|otc|credential`)

// domainSource reads the struct types and secret types the domain
// declares, from its source: reflection cannot list a package's types.
func domainSource(t *testing.T) (structs map[string]*ast.StructType, secrets map[string]bool) {
	t.Helper()
	_, files := domainFiles(t, 0)
	structs, secrets = map[string]*ast.StructType{}, map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv != nil && d.Name.Name == "Reveal" {
					if id, ok := d.Recv.List[0].Type.(*ast.Ident); ok {
						secrets[id.Name] = true
					}
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() && ts.TypeParams == nil {
						if st, ok := ts.Type.(*ast.StructType); ok {
							structs[ts.Name.Name] = st
						}
					}
				}
			}
		}
	}
	return structs, secrets
}

// names lists the identifiers a type expression mentions (Optional[X]
// mentions Optional and X).
func names(e ast.Expr) []string {
	var out []string
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			out = append(out, id.Name)
		}
		return true
	})
	return out
}

// A field that holds a credential must have a secret type, and every
// struct holding one must be among holders, so a new secret cannot skip
// the checks of TestSecretsNeverPrint.
func TestEverySecretHasASecretType(t *testing.T) {
	structs, secrets := domainSource(t)
	if len(structs) < 20 {
		t.Fatalf("found only %d struct types", len(structs))
	}
	for name := range secrets {
		if secretTypes[name] == nil {
			t.Errorf("secret type %s is not in secretTypes", name)
		}
	}
	for name := range secretTypes {
		if !secrets[name] {
			t.Errorf("secretTypes lists %s, which the domain does not declare with a Reveal method", name)
		}
	}
	plain := regexp.MustCompile(`^(\*|\[\]|\[\d+\])?(string|byte|\[\]byte)$|^Optional\[string\]$`)
	for sname, st := range structs {
		for _, f := range st.Fields.List {
			typ := typeText(f.Type)
			for _, id := range f.Names {
				jsonName := ""
				if f.Tag != nil {
					jsonName, _, _ = strings.Cut(reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("json"), ",")
				}
				field := sname + "." + id.Name
				if !secretName.MatchString(id.Name) && !secretName.MatchString(jsonName) {
					continue
				}
				if _, ok := notSecret[field]; ok {
					continue
				}
				if plain.MatchString(typ) {
					t.Errorf("%s is a %s; a credential needs a secret type (secret.go), or an entry in notSecret saying why it is none", field, typ)
				}
			}
		}
	}
	// A holder holds a secret or a holder: grow the set to a fixpoint.
	holds := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for sname, st := range structs {
			if holds[sname] {
				continue
			}
			for _, f := range st.Fields.List {
				if slices.ContainsFunc(names(f.Type), func(n string) bool { return secrets[n] || holds[n] }) {
					holds[sname], changed = true, true
					break
				}
			}
		}
	}
	for name := range holds {
		if _, ok := holders[name]; !ok {
			t.Errorf("%s holds a secret but is not in holders", name)
		}
	}
	for name := range holders {
		if !holds[name] {
			t.Errorf("holders lists %s, which holds no secret", name)
		}
	}
}

// typeText is a field type as source text, enough to tell string from a
// secret type.
func typeText(e ast.Expr) string {
	var b bytes.Buffer
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			b.WriteString(n.Name)
		case *ast.StarExpr:
			b.WriteString("*")
		case *ast.ArrayType:
			b.WriteString("[")
			if n.Len != nil {
				if l, ok := n.Len.(*ast.BasicLit); ok {
					b.WriteString(l.Value)
				}
			}
			b.WriteString("]")
			ast.Inspect(n.Elt, func(m ast.Node) bool {
				if id, ok := m.(*ast.Ident); ok {
					b.WriteString(id.Name)
				}
				return true
			})
			return false
		case *ast.IndexExpr:
			b.WriteString(typeText(n.X) + "[" + typeText(n.Index) + "]")
			return false
		case *ast.SelectorExpr:
			b.WriteString(typeText(n.X) + "." + n.Sel.Name)
			return false
		}
		return true
	})
	return b.String()
}

// fill sets every secret inside v to s, allocating pointers and one
// element of slices on the way, and marks Optional fields given.
func fill(v reflect.Value, s string) {
	secret := reflect.TypeFor[keyway.Secret]()
	switch {
	case v.Type().Implements(secret) && v.Kind() == reflect.String:
		v.SetString(s)
	case v.Kind() == reflect.Pointer:
		e := v.Type().Elem()
		if e.Kind() == reflect.Struct || e.Implements(secret) {
			v.Set(reflect.New(e))
			fill(v.Elem(), s)
		}
	case v.Kind() == reflect.Slice:
		if e := v.Type().Elem(); e.Kind() == reflect.Struct || e.Kind() == reflect.Pointer {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			fill(v.Index(0), s)
		}
	case v.Kind() == reflect.Struct:
		for _, f := range reflect.VisibleFields(v.Type()) {
			if !f.IsExported() || f.Anonymous {
				continue
			}
			fv := v.FieldByIndex(f.Index)
			if f.Name == "Set" && fv.Kind() == reflect.Bool {
				fv.SetBool(true) // Optional: given, with a value
			}
			fill(fv, s)
		}
	}
}

// printed is every way a value commonly reaches a log line or an error.
func printed(v any) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%s", "%q", "%+v", "%#v", "%x", "%X", "%d", "%20s", "%-8q"} {
		out["fmt "+verb] = fmt.Sprintf(verb, v)
		out["fmt "+verb+" in a struct"] = fmt.Sprintf(verb, struct{ V any }{v})
		out["fmt "+verb+" in a slice"] = fmt.Sprintf(verb, []any{v})
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	out["Errorf %w"] = fmt.Errorf("failed with %v: %w", v, fmt.Errorf("%s", v)).Error()
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var b bytes.Buffer
		log := slog.New(h(&b))
		log.Info("value", "v", v)
		log.Info("attr", slog.Any("v", v))
		log.Info("group", slog.Group("g", "v", v))
		log.With("v", v).Info("with")
		log.Info("message " + fmt.Sprint(v))
		out["slog "+name] = b.String()
	}
	return out
}

// leaks reports the first run of 8 characters of secret found in out.
func leaks(out, secret string) (string, bool) {
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+8]) {
			return secret[i : i+8], true
		}
	}
	return "", false
}

// Every secret type, alone, by pointer and inside every struct that
// holds it, prints masked through fmt and slog, while JSON (the wire)
// still carries it.
func TestSecretsNeverPrint(t *testing.T) {
	const long = "sk_live_S3CR3Tabcdefghijklmnopqrstuvwxyz" // long enough to show a tail
	const short = "Qz9Pw7Lm"                                // a short custom key: shows nothing
	for name, mk := range secretTypes {
		for _, secret := range []string{long, short} {
			s := mk(secret)
			if s.Reveal() != secret {
				t.Errorf("%s: Reveal() = %q", name, s.Reveal())
			}
			ptr := reflect.New(reflect.TypeOf(s))
			ptr.Elem().SetString(secret)
			for what, v := range map[string]any{"value": s, "pointer": ptr.Interface()} {
				for how, out := range printed(v) {
					if run, ok := leaks(out, secret); ok {
						t.Errorf("%s %s via %s shows %q: %s", name, what, how, run, out)
					}
					if what == "value" && strings.HasPrefix(how, "fmt %v") && !strings.Contains(out, "[") {
						t.Errorf("%s via %s = %q, want a masked form", name, how, out)
					}
				}
			}
			if b, _ := json.Marshal(s); string(b) != `"`+secret+`"` {
				t.Errorf("%s: JSON %s, want the plain string", name, b)
			}
		}
	}
	for name, zero := range holders {
		v := reflect.New(reflect.TypeOf(zero))
		fill(v.Elem(), long)
		if _, ok := v.Elem().Interface().(slog.LogValuer); !ok {
			t.Errorf("%s holds a secret but has no LogValue: slog's JSON handler would encode it with encoding/json", name)
		}
		if _, ok := v.Elem().Interface().(fmt.Formatter); !ok {
			t.Errorf("%s holds a secret but has no Format: %%s of a pointer to it inside another value prints its fields raw", name)
		}
		for what, x := range map[string]any{"value": v.Elem().Interface(), "pointer": v.Interface()} {
			for how, out := range printed(x) {
				if run, ok := leaks(out, long); ok {
					t.Errorf("%s %s via %s shows %q: %s", name, what, how, run, out)
				}
			}
		}
		b, err := json.Marshal(v.Interface())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), long) {
			t.Errorf("%s: JSON %s does not carry the secret, which the wire needs", name, b)
		}
	}
}

// An event's data is the JSON of its object, key included: it prints and
// logs without it.
func TestEventNeverPrintsItsData(t *testing.T) {
	const key = "live_S3CR3Tabcdefghijklmnopqrstuvwxyz"
	e, err := keyway.APIKeyEvent("ev1", keyway.TopicAPIKeyCreated, &keyway.APIKey{Key: key, Name: "k"}, keyway.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(e.Data), key) {
		t.Fatalf("event data %s does not carry the key", e.Data)
	}
	for what, v := range map[string]any{"value": e, "pointer": &e, "in a job": keyway.DeliveryJob{Event: e}} {
		for how, out := range printed(v) {
			if run, ok := leaks(out, key); ok {
				t.Errorf("event %s via %s shows %q: %s", what, how, run, out)
			}
		}
	}
}

// A message's secrets are parts of its text; it prints and logs with
// them masked.
func TestMailMessageNeverPrintsItsSecrets(t *testing.T) {
	const code = "K7Q2-M9XW-P4RT"
	m := keyway.MailMessage{To: "a@example.com", Subject: "Your code " + code, Text: "Sign in with " + code + ".", Secrets: []string{code}}
	for what, v := range map[string]any{"value": m, "pointer": &m} {
		for how, out := range printed(v) {
			if strings.Contains(out, code) || strings.Contains(out, "M9XW") {
				t.Errorf("message %s via %s shows the code: %s", what, how, out)
			}
		}
	}
}

// The masked forms name the kind and show a tail only on long secrets of
// the kinds that are random, never on passwords or codes.
func TestSecretMaskedForm(t *testing.T) {
	long := "abcdefghijklmnopqrstuvwxyz"
	for _, tc := range []struct {
		s    keyway.Secret
		want string
	}{
		{keyway.APIKeySecret(long), "[api key …wxyz]"},
		{keyway.APIKeySecret("live_1234567"), "[redacted api key]"},
		{keyway.APIKeySecret(""), "[empty api key]"},
		{keyway.AccessKeySecret(long), "[access key …wxyz]"},
		{keyway.Token(long), "[token …wxyz]"},
		{keyway.WebhookSecret(long), "[webhook secret …wxyz]"},
		{keyway.Password(long), "[redacted password]"},
		{keyway.OneTimeCode("ABCD-EFGH"), "[redacted one-time code]"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if got := fmt.Sprintf("%q", tc.s); got != fmt.Sprintf("%q", tc.want) {
			t.Errorf("%%q = %s, want %q", got, tc.want)
		}
	}
}

// Optional logs whether it was given and its value as that logs itself.
func TestOptionalLogValue(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{keyway.Optional[string]{}, `"v":"(absent)"`},
		{keyway.Optional[string]{Set: true, Null: true}, `"v":null`},
		{keyway.Optional[string]{Set: true, Value: "x"}, `"v":"x"`},
		{keyway.Optional[keyway.APIKeySecret]{Set: true, Value: "k"}, `"v":"[redacted api key]"`},
	} {
		var b bytes.Buffer
		slog.New(slog.NewJSONHandler(&b, nil)).Info("m", "v", tc.in)
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("%#v logs %s, want %s", tc.in, b.String(), tc.want)
		}
	}
}
