// Package mcp serves the operation table as Model Context Protocol tools,
// one per tool name of CONTRACT.md, so AI agents can do everything a person
// can. Each tool call is the operation's REST request, sent to Keyway's own
// handler (on /mcp) or to any server that speaks the contract (keyway mcp):
// the same validation, scope and answers as REST, never more.
package mcp

import (
	"fmt"
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
	// params are the operation's path, query and header parameters, by
	// argument name.
	params map[string]param
	// body is the operation's JSON body type, nil when it takes none.
	body reflect.Type
	// list tools answer {"result": [...], "next_cursor": ...}; paged ones
	// take limit and next_cursor.
	list, paged bool
}

type param struct {
	in   string // path, query or header
	name string // as sent
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

func newTool(o api.Operation, name string) (*Tool, error) {
	t := &Tool{Op: o, params: map[string]param{}}
	schema := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{}}
	var required []string
	if o.Output != nil && o.Output.Kind() == reflect.Slice {
		t.list = true
	}
	if o.Input != nil {
		for _, f := range reflect.VisibleFields(o.Input) {
			if f.Anonymous {
				continue
			}
			if f.Tag.Get("body") != "" {
				s, err := api.SchemaFor(f.Type)
				if err != nil {
					return nil, err
				}
				s.Description = "the request body"
				schema.Properties["body"] = s
				t.body = f.Type
				if len(s.Required) > 0 {
					required = append(required, "body")
				}
				continue
			}
			for _, in := range []string{"path", "query", "header"} {
				wire := f.Tag.Get(in)
				if wire == "" {
					continue
				}
				arg := wire
				switch wire {
				case "cursor":
					t.paged, arg = true, "next_cursor"
				case "offset":
					// Tools page by cursor.
					continue
				}
				s, err := api.SchemaFor(f.Type)
				if err != nil {
					return nil, err
				}
				s.Description = f.Tag.Get("doc")
				if arg == "next_cursor" {
					s = &jsonschema.Schema{Types: []string{"string", "null"}, Description: "the next_cursor of the previous page; absent or null for the first"}
				}
				s.Enum = api.Enum(f.Tag.Get("enum"))
				schema.Properties[arg] = s
				t.params[arg] = param{in: in, name: wire}
				if in == "path" || f.Tag.Get("required") == "true" {
					required = append(required, arg)
				}
			}
		}
	}
	slices.Sort(required)
	schema.Required = required
	// The description names what must be given, inside the body too.
	needed := slices.Clone(required)
	if b := schema.Properties["body"]; b != nil && slices.Contains(needed, "body") {
		needed = slices.DeleteFunc(needed, func(n string) bool { return n == "body" })
		for _, f := range b.Required {
			needed = append(needed, "body."+f)
		}
	}
	readOnly := o.Method == http.MethodGet
	destructive := o.Method == http.MethodDelete || strings.HasSuffix(o.Path, "/rotate")
	t.Def = &sdk.Tool{
		Name:        name,
		Description: describe(o, t, needed),
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
