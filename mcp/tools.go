// Package mcp serves the operation table as Model Context Protocol tools,
// one per tool name of CONTRACT.md, so AI agents can do everything a person
// can. On /mcp a tool call runs its operation in process (Servers), with
// the same admission, validation and scope as REST; keyway mcp sends it as
// the operation's REST request to any server that speaks the contract.
// Either way an agent gets the answers REST gives, never more.
package mcp

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway/api"
)

// Tool is one MCP tool: an operation under one of its tool names, and how
// its arguments become the operation's request.
type Tool struct {
	Def *sdk.Tool
	Op  api.Operation
	// params are the operation's path, query, header and body parameters,
	// by argument name: one flat object, as agents fill it.
	params map[string]param
	// body is the operation's JSON body type, nil when it takes none.
	body reflect.Type
	// list tools answer {"result": [...], "next_cursor": ...}; paged ones
	// take limit and next_cursor.
	list, paged bool
}

type param struct {
	in   string // path, query, header or body
	name string // as sent
}

// nested is the deprecated argument that carried the whole request body
// before arguments were flat; it is accepted for one release so that agent
// configurations written for it keep working.
const nested = "body"

// keyLookups are the tools whose path parameter the integration catalogue
// names "key" (they look a key up by its string); every other tool names
// its resource's path parameter "id", as the catalogue says.
var keyLookups = map[string]bool{
	"the_auth_api_api_keys_list_2":         true,
	"list_all_the_auth_api_api_keys_auths": true,
}

// Tools derives the tools of ops: one per tool name, in table order.
func Tools(ops []api.Operation) ([]*Tool, error) {
	var out []*Tool
	for _, o := range ops {
		for _, name := range o.Tools {
			t, err := newTool(o, name)
			if err != nil {
				return nil, fmt.Errorf("mcp: tool %s: %w", name, err)
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// input is one parameter of an operation as the tool builder sees it.
type input struct {
	in, wire string
	schema   *jsonschema.Schema
	required bool
}

// inputs lists o's parameters from its descriptor (api.Param, the one
// the binder and OpenAPI read too): path, query and header ones as
// declared, the body's fields at the body's place (bodyType is the body's
// type, nil when there is none).
func inputs(o api.Operation) (params []input, bodyType reflect.Type, err error) {
	for _, p := range o.Params() {
		s, err := api.SchemaFor(p.Type)
		if err != nil {
			return nil, nil, err
		}
		if p.In == api.InBody {
			bodyType = p.Type
			for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
				params = append(params, input{in: "body", wire: name, schema: s.Properties[name], required: slices.Contains(s.Required, name)})
			}
			continue
		}
		s.Description = p.Doc
		s.Enum = p.Enum
		params = append(params, input{in: string(p.In), wire: p.Name, schema: s, required: p.Required})
	}
	return params, bodyType, nil
}

func newTool(o api.Operation, name string) (*Tool, error) {
	t := &Tool{Op: o, params: map[string]param{}}
	schema := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{}}
	var required []string
	if o.Output != nil && o.Output.Kind() == reflect.Slice {
		t.list = true
	}
	params, bodyType, err := inputs(o)
	if err != nil {
		return nil, err
	}
	t.body = bodyType
	// taken holds every name a body field must not reuse: the arguments
	// and the route's own parameter names, so that "key" in a body never
	// reads as the key the route is about.
	taken := map[string]bool{nested: true}
	add := func(arg string, p input, s *jsonschema.Schema) error {
		if _, dup := t.params[arg]; dup {
			return fmt.Errorf("two parameters are both argument %q", arg)
		}
		schema.Properties[arg] = s
		t.params[arg] = param{in: p.in, name: p.wire}
		taken[arg] = true
		if p.required {
			required = append(required, arg)
		}
		return nil
	}
	for _, p := range params {
		if p.in == "body" {
			continue
		}
		taken[p.wire] = true
		arg := p.wire
		s := p.schema
		switch {
		case p.in == "path" && (arg == "id" || arg == "key"):
			arg = "id"
			if keyLookups[name] {
				arg = "key"
			}
		case arg == "cursor":
			t.paged, arg = true, "next_cursor"
			s = &jsonschema.Schema{Types: []string{"string", "null"}, Description: "the next_cursor of the previous page; absent or null for the first"}
		case arg == "offset":
			// Tools page by cursor.
			continue
		}
		if err := add(arg, p, s); err != nil {
			return nil, err
		}
	}
	for _, p := range params {
		if p.in != "body" {
			continue
		}
		arg := p.wire
		s := p.schema
		if taken[arg] {
			arg = "new" + strings.ToUpper(arg[:1]) + arg[1:]
			if taken[arg] {
				return nil, fmt.Errorf("body field %q collides with an argument, and so does %q", p.wire, arg)
			}
			c := *s
			c.Description = strings.TrimSpace(fmt.Sprintf("%s (sent as the body's %q field; renamed because %q names another argument or the route's parameter)", c.Description, p.wire, p.wire))
			s = &c
		}
		if err := add(arg, p, s); err != nil {
			return nil, err
		}
	}
	if bodyType != nil {
		schema.Properties[nested] = &jsonschema.Schema{Type: "object", Description: "deprecated, accepted for one release: the whole request body as one object; give its fields as top-level arguments instead, not both"}
	}
	slices.Sort(required)
	schema.Required = required
	readOnly := o.Method == http.MethodGet
	destructive := o.Method == http.MethodDelete || strings.HasSuffix(o.Path, "/rotate")
	t.Def = &sdk.Tool{
		Name:        name,
		Description: describe(o, t, required),
		InputSchema: schema,
		Annotations: &sdk.ToolAnnotations{
			ReadOnlyHint:    readOnly,
			DestructiveHint: &destructive,
			IdempotentHint:  readOnly || o.Method == http.MethodPatch,
		},
	}
	return t, nil
}

// describe says in one sentence what a tool does, what it returns and what
// it needs.
func describe(o api.Operation, t *Tool, required []string) string {
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(o.Summary, "."))
	switch {
	case t.list && t.paged:
		b.WriteString("; returns {result: [...], next_cursor} (pass next_cursor back for the next page)")
	case t.paged:
		fmt.Fprintf(&b, "; returns the %s with next_cursor (pass it back for the next page)", outputName(o.Output))
	case t.list:
		b.WriteString("; returns {result: [...], next_cursor: null}")
	case o.Output == reflect.TypeFor[api.Empty]():
		b.WriteString("; returns nothing on success")
	case o.Output == reflect.TypeFor[api.CSV]():
		b.WriteString("; returns CSV text")
	case o.Output != nil:
		fmt.Fprintf(&b, "; returns the %s", outputName(o.Output))
	}
	if len(required) > 0 {
		fmt.Fprintf(&b, "; requires %s", strings.Join(required, ", "))
	}
	if o.Public {
		b.WriteString("; needs no credential")
	}
	b.WriteString(".")
	return b.String()
}

func outputName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean true"
	case reflect.String:
		return "string"
	}
	return t.Name() + " object"
}
