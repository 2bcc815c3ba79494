package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/keywaytest"
)

// ---- Helpers: an MCP client of /mcp ----

// headerTransport adds a credential to every request of an MCP client.
type headerTransport struct {
	name, value string
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if h.name != "" {
		r.Header.Set(h.name, h.value)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// mcpDial connects the SDK's own client to /mcp, sending header: value
// on every request (no header at all when header is "").
func (s *server) mcpDial(header, value string) (*sdk.ClientSession, error) {
	client := sdk.NewClient(&sdk.Implementation{Name: "keyway-test", Version: "0"}, nil)
	transport := &sdk.StreamableClientTransport{Endpoint: s.URL + "/mcp", HTTPClient: &http.Client{Transport: headerTransport{header, value}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return client.Connect(ctx, transport, nil)
}

// mcpSession connects the SDK's own client to /mcp with a credential.
func (s *server) mcpSession(t testing.TB, header, value string) *sdk.ClientSession {
	t.Helper()
	cs, err := s.mcpDial(header, value)
	if err != nil {
		t.Fatalf("connect to /mcp: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// mcpUserSession connects to /mcp with a person's access token.
func (s *server) mcpUserSession(t testing.TB, p person) *sdk.ClientSession {
	t.Helper()
	return s.mcpSession(t, "Authorization", "Bearer "+p.Tokens.AccessToken.Reveal())
}

// mcpCall calls a tool; a protocol error fails the test, since every
// failure of a known tool must be a tool error. The text content must be
// the structured content, as JSON, for clients that read only text.
func mcpCall(t testing.TB, cs *sdk.ClientSession, name string, args any) *sdk.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s(%s): protocol error %v, want a tool result", name, js(args), err)
	}
	if res.StructuredContent == nil {
		return res
	}
	if len(res.Content) != 1 {
		t.Fatalf("%s: %d content items, want 1", name, len(res.Content))
	}
	// An empty answer reads "done" as text.
	if text, ok := res.Content[0].(*sdk.TextContent); ok && text.Text == "done" && js(res.StructuredContent) == `{"ok":true}` {
		return res
	}
	if len(res.Content) != 1 {
		t.Fatalf("%s: %d content items, want 1", name, len(res.Content))
	}
	text, ok := res.Content[0].(*sdk.TextContent)
	if !ok {
		t.Fatalf("%s: content %T, want text", name, res.Content[0])
	}
	var fromText any
	if err := json.Unmarshal([]byte(text.Text), &fromText); err != nil {
		t.Fatalf("%s: the text content is not JSON: %q", name, text.Text)
	}
	if !reflect.DeepEqual(fromText, res.StructuredContent) {
		t.Fatalf("%s: text %s differs from structured content %s", name, text.Text, js(res.StructuredContent))
	}
	return res
}

// mcpOK calls a tool that must succeed and returns its structured content.
func mcpOK(t testing.TB, cs *sdk.ClientSession, name string, args any) map[string]any {
	t.Helper()
	res := mcpCall(t, cs, name, args)
	if res.IsError {
		t.Fatalf("%s(%s): tool error %s", name, js(args), js(res.StructuredContent))
	}
	sc, ok := res.StructuredContent.(map[string]any)
	if !ok {
		t.Fatalf("%s(%s): structured content %s is not an object", name, js(args), js(res.StructuredContent))
	}
	return sc
}

// mcpErr calls a tool that must fail with status and returns the
// message. A tool error is exactly {statusCode, message}.
func mcpErr(t testing.TB, cs *sdk.ClientSession, name string, args any, status int) string {
	t.Helper()
	res := mcpCall(t, cs, name, args)
	if !res.IsError {
		t.Fatalf("%s(%s): success %s, want a %d tool error", name, js(args), js(res.StructuredContent), status)
	}
	sc, ok := res.StructuredContent.(map[string]any)
	if !ok || len(sc) != 2 {
		t.Fatalf("%s: tool error %s, want {statusCode, message}", name, js(res.StructuredContent))
	}
	msg, isString := sc["message"].(string)
	if code, _ := sc["statusCode"].(float64); int(code) != status || !isString || msg == "" {
		t.Fatalf("%s(%s): tool error %s, want status %d with a message", name, js(args), js(sc), status)
	}
	return msg
}

// mcpList returns the items of a list tool's answer, checking its shape:
// exactly {result: [...], next_cursor: string or null}.
func mcpList(t testing.TB, name string, sc map[string]any) []any {
	t.Helper()
	items, ok := sc["result"].([]any)
	if _, has := sc["next_cursor"]; !ok || !has || len(sc) != 2 {
		t.Fatalf("%s: %s, want {result: [...], next_cursor}", name, js(sc))
	}
	if c := sc["next_cursor"]; c != nil {
		if _, ok := c.(string); !ok {
			t.Fatalf("%s: next_cursor %v is neither a string nor null", name, c)
		}
	}
	return items
}

// mcpStr reads a string field of a tool answer.
func mcpStr(t testing.TB, m any, field string) string {
	t.Helper()
	obj, _ := m.(map[string]any)
	v, ok := obj[field].(string)
	if !ok {
		t.Fatalf("no string %q in %s", field, js(m))
	}
	return v
}

// mcpToolOps maps each tool name to its operation.
func mcpToolOps() map[string]api.Operation {
	out := map[string]api.Operation{}
	for _, o := range api.Declarations() {
		for _, name := range o.Tools {
			out[name] = o
		}
	}
	return out
}

// mcpPathParams are the {names} of an operation's path.
func mcpPathParams(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, seg[1:len(seg)-1])
		}
	}
	return out
}

// mcpMember invites email into the bootstrapped account with role,
// using the bootstrap access key, then signs the invitee up with the
// invitation and in.
func (s *server) mcpMember(t testing.TB, email string, role keyway.Role) person {
	t.Helper()
	c := s.withT(t)
	var invs []keyway.Invitation
	c.call("POST", "/invitations", map[string]any{"emails": []string{email}, "role": role, "accountId": s.AccountID}).want(t, 201).decode(t, &invs)
	if len(invs) != 1 {
		t.Fatalf("invite %s: %d invitations", email, len(invs))
	}
	const pw = "member password 1"
	c.callAs("", "POST", "/auth/signup", map[string]any{"email": email, "password": pw, "name": "Member " + email, "invitationId": invs[0].ID}).want(t, 201)
	return s.signedIn(t, email, pw)
}

// ---- 1. tools/list ----

// tools/list over HTTP lists exactly the tools of the operation table (the
// contract's 57), each described, with an object input schema requiring
// its path parameters, and annotations that tell reads from writes:
// readOnlyHint exactly for GET, destructiveHint exactly for DELETE and
// rotate.
func TestMCPToolsList(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	cs := s.mcpSession(t, "x-api-key", s.AccessKey)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ops := mcpToolOps()
	if len(ops) != 57 {
		t.Fatalf("the operation table has %d tool names, the contract 57", len(ops))
	}
	var got, want []string
	for name := range ops {
		want = append(want, name)
	}
	for _, tool := range res.Tools {
		got = append(got, tool.Name)
		o, ok := ops[tool.Name]
		if !ok {
			t.Errorf("tool %s is not in the operation table", tool.Name)
			continue
		}
		if strings.TrimSpace(tool.Description) == "" {
			t.Errorf("%s: no description", tool.Name)
		}
		schema, ok := tool.InputSchema.(map[string]any)
		if !ok || schema["type"] != "object" {
			t.Errorf("%s: input schema %s is not an object schema", tool.Name, js(tool.InputSchema))
			continue
		}
		props, _ := schema["properties"].(map[string]any)
		var required []string
		if r, ok := schema["required"].([]any); ok {
			for _, x := range r {
				required = append(required, fmt.Sprint(x))
			}
		}
		for _, p := range mcpPathParams(o.Path) {
			// The catalogue names a resource's path parameter id, or key
			// for the two key look-ups.
			if p == "key" || p == "id" {
				p = "id"
				if tool.Name == "the_auth_api_api_keys_list_2" || tool.Name == "list_all_the_auth_api_api_keys_auths" {
					p = "key"
				}
			}
			if props[p] == nil || !slices.Contains(required, p) {
				t.Errorf("%s: path parameter %s is not a required property (schema %s)", tool.Name, p, js(schema))
			}
		}
		for _, r := range required {
			if props[r] == nil {
				t.Errorf("%s: required %s is not a property", tool.Name, r)
			}
		}
		// A list tool that pages takes limit and next_cursor, not the
		// REST cursor and offset.
		if o.Output != nil && o.Output.Kind() == reflect.Slice && o.Input != nil {
			paged := false
			for _, f := range reflect.VisibleFields(o.Input) {
				paged = paged || f.Tag.Get("query") == "cursor"
			}
			if paged && (props["limit"] == nil || props["next_cursor"] == nil || props["cursor"] != nil || props["offset"] != nil) {
				t.Errorf("%s: a paged list takes limit and next_cursor; properties %v", tool.Name, slices.Sorted(maps.Keys(props)))
			}
		}
		a := tool.Annotations
		if a == nil {
			t.Errorf("%s: no annotations", tool.Name)
			continue
		}
		if a.ReadOnlyHint != (o.Method == http.MethodGet) {
			t.Errorf("%s (%s %s): readOnlyHint %v", tool.Name, o.Method, o.Path, a.ReadOnlyHint)
		}
		destructive := o.Method == http.MethodDelete || strings.HasSuffix(o.Path, "/rotate")
		if a.DestructiveHint == nil || *a.DestructiveHint != destructive {
			t.Errorf("%s (%s %s): destructiveHint %v, want %v", tool.Name, o.Method, o.Path, a.DestructiveHint, destructive)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("tools/list names\n got %v\nwant %v", got, want)
	}
}
