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
	"unicode/utf8"

	"github.com/keywayhq/keyway"
)

// MaxBodyBytes is the largest request body accepted (413 above it).
const MaxBodyBytes = 1 << 20

// binder fills an operation's input struct from a request. It is built once
// per operation from the struct's tags.
type binder struct {
	typ    reflect.Type
	fields []boundField
	body   []int // index of the body field, nil when none
}

type fieldSource uint8

const (
	fromPath fieldSource = iota
	fromQuery
	fromHeader
)

type boundField struct {
	index  []int
	source fieldSource
	name   string
	// keepEmpty binds a query parameter given with an empty value (tag
	// empty:"keep"); other empty parameters count as absent.
	keepEmpty bool
}

var optionalString = reflect.TypeFor[keyway.Optional[string]]()

func newBinder(t reflect.Type) (*binder, error) {
	if t == nil {
		return nil, nil
	}
	b := &binder{typ: t}
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous {
			continue
		}
		var src fieldSource
		var name string
		switch {
		case f.Tag.Get("path") != "":
			src, name = fromPath, f.Tag.Get("path")
		case f.Tag.Get("query") != "":
			src, name = fromQuery, f.Tag.Get("query")
		case f.Tag.Get("header") != "":
			src, name = fromHeader, f.Tag.Get("header")
		case f.Tag.Get("body") != "":
			b.body = f.Index
			continue
		default:
			continue
		}
		if src != fromPath {
			switch f.Type {
			case reflect.TypeFor[string](), reflect.TypeFor[*string](), reflect.TypeFor[*bool](), reflect.TypeFor[int](), optionalString:
			default:
				return nil, fmt.Errorf("field %s: unsupported parameter type %s", f.Name, f.Type)
			}
		}
		b.fields = append(b.fields, boundField{index: f.Index, source: src, name: name, keepEmpty: f.Tag.Get("empty") == "keep"})
	}
	return b, nil
}

// pathParamNames lists the path parameters in declaration order, which must
// be the order they appear in the route pattern.
func (b *binder) pathParamNames() []string {
	var names []string
	for _, f := range b.fields {
		if f.source == fromPath {
			names = append(names, f.name)
		}
	}
	return names
}

// bind returns a pointer to a new input value.
func (b *binder) bind(r *http.Request, params []string) (any, error) {
	v := reflect.New(b.typ)
	s := v.Elem()
	var query url.Values
	var problems []string
	pi := 0
	for _, f := range b.fields {
		fv := s.FieldByIndex(f.index)
		switch f.source {
		case fromPath:
			if !keyway.ValidText(params[pi]) {
				problems = append(problems, f.name+" must be valid UTF-8 text without NUL characters")
			}
			fv.SetString(params[pi])
			pi++
		case fromHeader:
			fv.SetString(r.Header.Get(f.name))
		case fromQuery:
			if query == nil {
				query = r.URL.Query()
			}
			raw := query.Get(f.name)
			if raw == "" && !(f.keepEmpty && query.Has(f.name)) {
				continue
			}
			if !keyway.ValidText(raw) {
				problems = append(problems, f.name+" must be valid UTF-8 text without NUL characters")
				continue
			}
			if msg := setQuery(fv, f.name, raw); msg != "" {
				problems = append(problems, msg)
			}
		}
	}
	if len(problems) > 0 {
		return nil, keyway.Invalid(problems...)
	}
	if b.body != nil {
		if err := decodeBody(r, s.FieldByIndex(b.body).Addr().Interface()); err != nil {
			return nil, err
		}
	}
	return v.Interface(), nil
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
