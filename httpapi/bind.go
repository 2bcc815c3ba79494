package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
)

// MaxBodyBytes is the largest request body accepted (413 above it).
const MaxBodyBytes = 1 << 20

// binder fills an operation's input struct from a request, as the
// operation's parameter descriptors say; it checks their types once, when
// the handler is built.
type binder struct {
	typ    reflect.Type
	fields []api.Param
	body   []int // index of the body field, nil when none
	// bodyEnums are the body's fields that declare allowed values.
	bodyEnums []api.Param
}

var optionalString = reflect.TypeFor[keyway.Optional[string]]()

func newBinder(o api.Operation) (*binder, error) {
	if o.Input == nil {
		return nil, nil
	}
	b := &binder{typ: o.Input}
	for _, p := range o.Params() {
		if p.In == api.InBody {
			b.body = p.Index
			for _, f := range p.Fields {
				if !enumType(f.Type) {
					return nil, fmt.Errorf("body field %s: unsupported type %s for enum", f.Name, f.Type)
				}
			}
			b.bodyEnums = p.Fields
			continue
		}
		if p.In != api.InPath {
			switch p.Type {
			case reflect.TypeFor[string](), reflect.TypeFor[*string](), reflect.TypeFor[*bool](), reflect.TypeFor[int](), optionalString:
			default:
				return nil, fmt.Errorf("parameter %s: unsupported type %s", p.Name, p.Type)
			}
		}
		b.fields = append(b.fields, p)
	}
	return b, nil
}

// pathParamNames lists the path parameters in declaration order, which must
// be the order they appear in the route pattern.
func (b *binder) pathParamNames() []string {
	var names []string
	for _, f := range b.fields {
		if f.In == api.InPath {
			names = append(names, f.Name)
		}
	}
	return names
}

// outsideEnum is the message for a value the descriptor does not allow,
// worded as the original service words it.
func outsideEnum(name string, values []any) string {
	var sb strings.Builder
	sb.WriteString(name)
	sb.WriteString(" must be one of the following values: ")
	for i, v := range values {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprint(&sb, v)
	}
	return sb.String()
}

func inEnum(values []any, raw string) bool {
	for _, v := range values {
		if v == raw {
			return true
		}
	}
	return false
}

// bind returns a pointer to a new input value.
func (b *binder) bind(r *http.Request, params []string) (any, error) {
	v := reflect.New(b.typ)
	s := v.Elem()
	var query url.Values
	var problems []string
	pi := 0
	for _, f := range b.fields {
		fv := s.FieldByIndex(f.Index)
		var raw string
		switch f.In {
		case api.InPath:
			raw = params[pi]
			pi++
			if !keyway.ValidText(raw) {
				problems = append(problems, f.Name+" must be valid UTF-8 text without NUL characters")
				continue
			}
			fv.SetString(raw)
		case api.InHeader:
			raw = r.Header.Get(f.Name)
			fv.SetString(raw)
		case api.InQuery:
			if query == nil {
				query = r.URL.Query()
			}
			raw = query.Get(f.Name)
			if raw == "" && !(f.KeepEmpty && query.Has(f.Name)) {
				switch {
				case f.Required && f.Enum != nil:
					// The original names the allowed values for a missing
					// enum parameter too.
					problems = append(problems, outsideEnum(f.Name, f.Enum))
				case f.Required:
					problems = append(problems, f.Name+" should not be empty")
				}
				continue
			}
			if !keyway.ValidText(raw) {
				problems = append(problems, f.Name+" must be valid UTF-8 text without NUL characters")
				continue
			}
			if f.Enum != nil && !inEnum(f.Enum, raw) {
				problems = append(problems, outsideEnum(f.Name, f.Enum))
				continue
			}
			if msg := setQuery(fv, f.Name, raw); msg != "" {
				problems = append(problems, msg)
			}
		}
	}
	if len(problems) > 0 {
		return nil, keyway.Invalid(problems...)
	}
	if b.body != nil {
		body := s.FieldByIndex(b.body)
		if err := decodeBody(r, body.Addr().Interface()); err != nil {
			return nil, err
		}
		if problems := b.enumProblems(body); len(problems) > 0 {
			// A body that validates itself has the last word: it lists
			// every problem of the input in its own words and order, and
			// may first normalize a value ("post" is POST).
			v, ok := body.Addr().Interface().(interface{ Validate() error })
			if !ok {
				return nil, keyway.Invalid(problems...)
			}
			if err := v.Validate(); err != nil {
				return nil, err
			}
		}
	}
	return v.Interface(), nil
}

// enumProblems holds the body's fields to the values they declare: a
// value, or each value of a list, must be one of them. Absent, empty and
// null fields are the body's own validation's to judge.
func (b *binder) enumProblems(body reflect.Value) []string {
	var problems []string
	for _, f := range b.bodyEnums {
		values, list := enumValues(body.FieldByIndex(f.Index))
		for _, v := range values {
			if !inEnum(f.Enum, v) {
				msg := outsideEnum(f.Name, f.Enum)
				if list {
					msg = "each value in " + msg
				}
				problems = append(problems, msg)
				break
			}
		}
	}
	return problems
}

// enumValues are the strings a body field holds: a string's own, a
// list's items, an Optional's value when it is set and not null. list
// says whether the field is a list; ok is false for a type that cannot
// hold enum values.
func enumValues(v reflect.Value) (values []string, list bool) {
	switch {
	case v.Kind() == reflect.String:
		if v.String() != "" {
			values = []string{v.String()}
		}
		return values, false
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
		for i := range v.Len() {
			values = append(values, v.Index(i).String())
		}
		return values, true
	case isOptional(v.Type()):
		values, list = enumValues(v.FieldByName("Value"))
		if !v.FieldByName("Set").Bool() || v.FieldByName("Null").Bool() {
			values = nil
		}
		return values, list
	}
	return nil, false
}

// enumType reports whether a body field of type t can declare allowed
// values: a string, a list of strings, or an Optional of either.
func enumType(t reflect.Type) bool {
	switch {
	case t.Kind() == reflect.String, t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return true
	case isOptional(t):
		f, _ := t.FieldByName("Value")
		return enumType(f.Type)
	}
	return false
}

// isOptional reports whether t is a keyway.Optional.
func isOptional(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.PkgPath() != optionalString.PkgPath() {
		return false
	}
	set, ok1 := t.FieldByName("Set")
	null, ok2 := t.FieldByName("Null")
	_, ok3 := t.FieldByName("Value")
	return ok1 && ok2 && ok3 && set.Type.Kind() == reflect.Bool && null.Type.Kind() == reflect.Bool
}

func setQuery(fv reflect.Value, name, raw string) string {
	switch fv.Type() {
	case reflect.TypeFor[string]():
		fv.SetString(raw)
	case reflect.TypeFor[*string]():
		fv.Set(reflect.ValueOf(&raw))
	case reflect.TypeFor[*bool]():
		bv, err := strconv.ParseBool(raw)
		if err != nil || (raw != "true" && raw != "false") {
			return name + " must be a boolean value"
		}
		fv.Set(reflect.ValueOf(&bv))
	case reflect.TypeFor[int]():
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return name + " must be a non-negative integer"
		}
		if name == "limit" && (n < 1 || n > keyway.MaxPageLimit) {
			return fmt.Sprintf("limit must be between 1 and %d", keyway.MaxPageLimit)
		}
		fv.SetInt(int64(n))
	case optionalString:
		o := keyway.Optional[string]{Set: true, Null: raw == "null", Value: raw}
		fv.Set(reflect.ValueOf(o))
	}
	return ""
}

// decodeBody reads a JSON object into dst; every operation's body comes
// through here (MCP tool calls too, as HTTP requests). An empty body is an
// empty object, so required-field checks answer instead of a parse error.
func decodeBody(r *http.Request, dst any) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return keyway.Errorf(keyway.CodeTooLarge, "request entity too large")
		}
		return keyway.Errorf(keyway.CodeInvalid, "could not read request body")
	}
	if len(data) == 0 {
		data = []byte("{}")
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD, so a
	// mangled name or key would be stored as if it had been sent that way.
	// One pass over the raw bytes (ASCII runs go eight bytes at a time)
	// covers every string, key and value, however nested.
	if !utf8.Valid(data) {
		return keyway.Invalid("body must be valid UTF-8")
	}
	err = json.Unmarshal(data, dst)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var domainErr *keyway.Error
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return keyway.Invalid("body must be a JSON object")
		}
		if typeErr.Type == timeType {
			return keyway.InvalidTime(typeErr.Field)
		}
		return keyway.Invalid(fmt.Sprintf("%s must be %s", typeErr.Field, jsonKind(typeErr.Type)))
	case errors.As(err, &syntaxErr):
		return keyway.Errorf(keyway.CodeInvalid, "Unexpected token in JSON at position %d", syntaxErr.Offset)
	case errors.As(err, &domainErr):
		return domainErr
	default:
		return keyway.Errorf(keyway.CodeInvalid, "Malformed JSON body")
	}
}

var timeType = reflect.TypeFor[keyway.Time]()

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean value"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}
