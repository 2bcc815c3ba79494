package api

import (
	"fmt"
	"reflect"
	"strings"
)

// Where says which part of a request carries a parameter.
type Where string

// The places a parameter can come from, spelled as OpenAPI spells them.
const (
	InPath   Where = "path"
	InQuery  Where = "query"
	InHeader Where = "header"
	InBody   Where = "body"
)

// Param describes one field of an operation's input struct, read from its
// tags once when the operation is declared, so the binder, the OpenAPI
// generator and the MCP tool builder cannot disagree about it.
type Param struct {
	// Name is the wire name; "" for the body.
	Name     string
	In       Where
	Required bool
	// Enum holds the allowed values (tag `enum`), nil when any value goes.
	Enum []any
	Doc  string
	// KeepEmpty binds a query parameter given with an empty value (tag
	// empty:"keep"); other empty parameters count as absent.
	KeepEmpty bool
	Type      reflect.Type
	// Index locates the field in the input struct (reflect.Value.FieldByIndex),
	// or, for a body field, in the body.
	Index []int
	// Fields, on the body, are its top-level JSON fields that declare
	// allowed values (tag `enum`), which the binder holds them to.
	Fields []Param
}

// Params returns the descriptors of the operation's input, path parameters
// in declaration order (which must be the order of the route pattern).
// An Operation built by hand rather than by the table's constructors (a
// test adding one) is described on first use.
func (o Operation) Params() []Param {
	if o.params == nil && o.Input != nil {
		params, err := describe(o.Input)
		if err != nil {
			panic(err)
		}
		return params
	}
	return o.params
}

// Body returns the descriptor of the body field, and false when the
// operation takes no body.
func (o Operation) Body() (Param, bool) {
	for _, p := range o.params {
		if p.In == InBody {
			return p, true
		}
	}
	return Param{}, false
}

// describe reads the tags of an input struct; a field with none of the
// place tags is not part of the wire input.
func describe(t reflect.Type) ([]Param, error) {
	if t == nil {
		return nil, nil
	}
	var out []Param
	bodies := 0
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous {
			continue
		}
		p := Param{Doc: f.Tag.Get("doc"), Enum: Enum(f.Tag.Get("enum")), KeepEmpty: f.Tag.Get("empty") == "keep", Type: f.Type, Index: f.Index}
		switch {
		case f.Tag.Get("path") != "":
			p.In, p.Name, p.Required = InPath, f.Tag.Get("path"), true
		case f.Tag.Get("query") != "":
			p.In, p.Name = InQuery, f.Tag.Get("query")
		case f.Tag.Get("header") != "":
			p.In, p.Name = InHeader, f.Tag.Get("header")
		case f.Tag.Get("body") != "":
			p.In = InBody
			p.Fields = bodyFields(f.Type)
			bodies++
		default:
			continue
		}
		if p.In != InPath {
			p.Required = f.Tag.Get("required") == "true"
		}
		out = append(out, p)
	}
	if bodies > 1 {
		return nil, fmt.Errorf("%s: more than one body field", t)
	}
	return out, nil
}

// bodyFields describes the top-level fields of a body struct that declare
// their allowed values.
func bodyFields(t reflect.Type) []Param {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []Param
	for _, f := range reflect.VisibleFields(t) {
		values := Enum(f.Tag.Get("enum"))
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if values == nil || name == "" || name == "-" {
			continue
		}
		out = append(out, Param{Name: name, In: InBody, Enum: values, Doc: f.Tag.Get("doc"), Type: f.Type, Index: f.Index})
	}
	return out
}
