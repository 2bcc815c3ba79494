package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/app"
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
	for _, o := range api.Operations(nil, nil) {
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

// ---- 2. every tool, valid and invalid ----

// mcpToolCase is one tool's two calls: a valid one, whose answer has the shape
// of the operation's output (and passes check), and an invalid one, a tool
// error with invalidStatus.
type mcpToolCase struct {
	tool string
	// as names the session: "admin" (the account-level access key),
	// "founder" (a signed-in user, admin of an account of their own) or
	// "invitee" (a signed-in user invited to the bootstrapped account).
	as      string
	valid   func(t *testing.T) map[string]any
	check   func(t *testing.T, sc map[string]any)
	invalid any
	// invalidStatus is 400 for a missing or mistyped argument, 404 for an
	// unknown id in the path.
	invalidStatus int
	// invalidMessage, when set, must be in the tool error's message.
	invalidMessage string
}

// Every tool is called once with valid input and once with invalid input,
// and the rows must cover every tool: a tool added without a row here
// fails this test.
func TestMCPEveryTool(t *testing.T) {
	keywaytest.ForEachDatabase(t, testMCPEveryTool)
}

func testMCPEveryTool(t *testing.T, dbURL string) {
	sink := startSMTPSink(t)
	certs := fbCertServer(t, http.StatusOK)
	s := startServerWith(t, dbURL, nil, func(c *app.Config) {
		c.SMTPURL = sink.URL()
		c.MailFrom = "Keyway <keys@example.test>"
		c.FirebaseProjectID = fbProject
		c.FirebaseCertsURL = certs.URL
	})
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(hook.Close)

	// Objects to act on, made over REST.
	p := s.newProject("mcp", "live")
	doomedProject := s.newProject("doomed", "test")
	k1 := s.newKey(p.ID, map[string]any{"name": "k1", "customUserId": "u-1"})
	revoked := s.newKey(p.ID, map[string]any{"name": "to revoke"})
	rotated := s.newKey(p.ID, map[string]any{"name": "to rotate"})
	var hooks [2]keyway.Webhook
	for i := range hooks {
		s.call("POST", "/webhooks", map[string]any{"name": fmt.Sprint("hook", i), "url": hook.URL, "topics": []string{"api-key.created"}, "httpMethod": "POST", "projectId": p.ID}).want(t, 201).decode(t, &hooks[i])
	}
	founder, founderAccount := s.founder(t, "founder@example.com")
	member := s.mcpMember(t, "member@example.com", keyway.RoleUser)
	invitee, _ := s.founder(t, "invitee@example.com")
	invite := func(email string) keyway.Invitation {
		var invs []keyway.Invitation
		s.call("POST", "/invitations", map[string]any{"emails": []string{email}, "role": "user", "accountId": s.AccountID}).want(t, 201).decode(t, &invs)
		return invs[0]
	}
	invKept, invCancelled, invAccepted := invite("kept@example.com"), invite("cancelled@example.com"), invite("invitee@example.com")

	sessions := map[string]*sdk.ClientSession{
		"admin":   s.mcpSession(t, "x-api-key", s.AccessKey),
		"founder": s.mcpUserSession(t, founder),
		"invitee": s.mcpUserSession(t, invitee),
	}

	// Values that valid calls produce for later ones.
	var (
		createdAccount, createdAccessKey string
		login                            keyway.Tokens
		mailsBeforeCode                  int
	)
	now := func() string { return iso(s.Clock.Now()) }
	tokensCheck := func(t *testing.T, sc map[string]any) {
		if sc["token_type"] != "Bearer" || mcpStr(t, sc, "access_token") == "" || !strings.HasPrefix(mcpStr(t, sc, "refresh_token"), "rt_") {
			t.Fatalf("tokens %s", js(sc))
		}
	}
	keyCheck := func(key string) func(t *testing.T, sc map[string]any) {
		return func(t *testing.T, sc map[string]any) {
			if mcpStr(t, sc, "key") != key || sc["isActive"] != true {
				t.Fatalf("want the active key %s, got %s", key, js(sc))
			}
		}
	}
	listHas := func(field, value string) func(t *testing.T, sc map[string]any) {
		return func(t *testing.T, sc map[string]any) {
			for _, item := range sc["result"].([]any) {
				if m, ok := item.(map[string]any); ok && m[field] == value {
					return
				}
				if item == value {
					return
				}
			}
			t.Fatalf("no item with %s %q in %s", field, value, js(sc))
		}
	}
	args := func(m map[string]any) func(*testing.T) map[string]any {
		return func(*testing.T) map[string]any { return m }
	}

	cases := []mcpToolCase{
		// Misc and accounts.
		{tool: "list_all_the_auth_api_misc", as: "admin", valid: args(nil),
			check: func(t *testing.T, sc map[string]any) {
				if sc["message"] != "Hello World!" || sc["name"] != "keyway" {
					t.Fatalf("hello %s", js(sc))
				}
			},
			// A tool without parameters still wants an object.
			invalid: "not an object", invalidStatus: 400, invalidMessage: "arguments must be a JSON object"},
		{tool: "list_all_the_auth_api_accounts", as: "admin", valid: args(nil), check: listHas("id", s.AccountID),
			invalid: []any{1}, invalidStatus: 400},
		{tool: "get_single_the_auth_api_account_by_id", as: "admin", valid: args(map[string]any{"id": s.AccountID}),
			check: func(t *testing.T, sc map[string]any) {
				if mcpStr(t, sc, "id") != s.AccountID {
					t.Fatalf("account %s", js(sc))
				}
			},
			invalid: map[string]any{}, invalidStatus: 400, invalidMessage: "id should not be empty"},
		{tool: "update_a_the_auth_api_account_by_id", as: "admin", valid: args(map[string]any{"id": s.AccountID, "body": map[string]any{"name": "Renamed by MCP"}}),
			check: func(t *testing.T, sc map[string]any) {
				if mcpStr(t, sc, "name") != "Renamed by MCP" {
					t.Fatalf("account %s", js(sc))
				}
			},
			invalid: map[string]any{"id": s.AccountID, "body": map[string]any{"name": 5}}, invalidStatus: 400},
		// Creating an account is for users: an access key gets 403 (see
		// TestMCPScopeEqualsREST), so the founder calls it.
		{tool: "create_a_the_auth_api_account", as: "founder", valid: args(map[string]any{"body": map[string]any{"name": "Made over MCP"}}),
			check: func(t *testing.T, sc map[string]any) {
				createdAccount = mcpStr(t, sc, "id")
				if sc["name"] != "Made over MCP" || sc["createdByType"] != "USER" {
					t.Fatalf("account %s", js(sc))
				}
			},
			invalid: map[string]any{"body": map[string]any{}}, invalidStatus: 400, invalidMessage: "name should not be empty"},
		{tool: "delete_a_the_auth_api_account_by_id", as: "founder", valid: func(t *testing.T) map[string]any { return map[string]any{"id": createdAccount} },
			check: func(t *testing.T, sc map[string]any) {
				if mcpStr(t, sc, "id") != createdAccount || sc["isActive"] != false {
					t.Fatalf("deleted account %s", js(sc))
				}
			},
			invalid: map[string]any{"id": "acct-unknown"}, invalidStatus: 404},
		{tool: "create_a_the_auth_api_account_user", as: "admin", valid: args(map[string]any{"id": s.AccountID, "body": map[string]any{"email": "added@example.com"}}),
			invalid: map[string]any{"id": s.AccountID, "body": map[string]any{"email": "not-an-email"}}, invalidStatus: 400},

		// Projects.
		{tool: "list_all_the_auth_api_projects", as: "admin", valid: args(map[string]any{"accountId": s.AccountID}), check: listHas("id", p.ID),
			invalid: map[string]any{}, invalidStatus: 400, invalidMessage: "accountId should not be empty"},
		{tool: "create_a_the_auth_api_project", as: "admin", valid: args(map[string]any{"body": map[string]any{"name": "made by a tool", "accountId": s.AccountID, "env": "test"}}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["name"] != "made by a tool" || sc["env"] != "test" || sc["accountId"] != s.AccountID {
					t.Fatalf("project %s", js(sc))
				}
			},
			invalid: map[string]any{"body": map[string]any{"name": "x", "accountId": s.AccountID, "env": "staging"}}, invalidStatus: 400},
		{tool: "get_single_the_auth_api_project_by_id", as: "admin", valid: args(map[string]any{"id": p.ID}),
			check: func(t *testing.T, sc map[string]any) {
				if mcpStr(t, sc, "id") != p.ID {
					t.Fatalf("project %s", js(sc))
				}
			},
			invalid: map[string]any{"id": "no-such-project"}, invalidStatus: 404},
		{tool: "update_a_the_auth_api_project_by_id", as: "admin", valid: args(map[string]any{"id": p.ID, "body": map[string]any{"name": "renamed"}}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["name"] != "renamed" {
					t.Fatalf("project %s", js(sc))
				}
			},
			// No body is an empty one.
			invalid: map[string]any{"id": p.ID}, invalidStatus: 400, invalidMessage: "name should not be empty"},
		{tool: "delete_a_the_auth_api_project_by_id", as: "admin", valid: args(map[string]any{"id": doomedProject.ID}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["id"] != doomedProject.ID || sc["isActive"] != false {
					t.Fatalf("deleted project %s", js(sc))
				}
			},
			invalid: map[string]any{"id": map[string]any{"nested": true}}, invalidStatus: 400, invalidMessage: "id must be a string, a number or a boolean"},

		// Access keys.
		{tool: "list_all_the_auth_api_access_keys", as: "admin", valid: args(map[string]any{"accountId": s.AccountID}), check: listHas("key", s.AccessKey),
			invalid: map[string]any{"accountId": s.AccountID, "isActive": "maybe"}, invalidStatus: 400},
		{tool: "create_a_the_auth_api_access_key", as: "admin", valid: args(map[string]any{"body": map[string]any{"name": "made by a tool", "accountId": s.AccountID}}),
			check: func(t *testing.T, sc map[string]any) {
				createdAccessKey = mcpStr(t, sc, "key")
				if !strings.HasPrefix(createdAccessKey, "live_access_") || sc["projectId"] != nil {
					t.Fatalf("access key %s", js(sc))
				}
			},
			invalid: map[string]any{"body": map[string]any{"name": "x", "rateLimit": "ten"}}, invalidStatus: 400},
		{tool: "update_a_the_auth_api_access_key_by_id", as: "admin", valid: func(t *testing.T) map[string]any {
			return map[string]any{"key": createdAccessKey, "body": map[string]any{"name": "renamed"}}
		},
			check: func(t *testing.T, sc map[string]any) {
				if sc["key"] != createdAccessKey || sc["name"] != "renamed" {
					t.Fatalf("access key %s", js(sc))
				}
			},
			invalid: map[string]any{"key": "live_access_unknown", "body": map[string]any{"name": "x"}}, invalidStatus: 404},
		{tool: "delete_a_the_auth_api_access_key_by_id", as: "admin", valid: func(t *testing.T) map[string]any { return map[string]any{"key": createdAccessKey} },
			invalid: map[string]any{}, invalidStatus: 400, invalidMessage: "id should not be empty"},
		{tool: "update_a_the_auth_api_access_key_reactivate_by_id", as: "admin", valid: func(t *testing.T) map[string]any { return map[string]any{"key": createdAccessKey} },
			check: func(t *testing.T, sc map[string]any) {
				if sc["key"] != createdAccessKey || sc["isActive"] != true {
					t.Fatalf("reactivated access key %s", js(sc))
				}
			},
			invalid: map[string]any{"key": "live_access_unknown"}, invalidStatus: 404},

		// People and roles.
		{tool: "list_all_the_auth_api_user_roles", as: "founder", valid: args(nil),
			check: func(t *testing.T, sc map[string]any) {
				roles := sc["result"].([]any)
				if len(roles) == 0 || roles[0].(map[string]any)["userId"] != founder.ID {
					t.Fatalf("founder's roles %s", js(sc))
				}
				listHas("accountId", founderAccount)(t, sc)
			},
			invalid: map[string]any{"limit": "many"}, invalidStatus: 400},
		{tool: "update_a_the_auth_api_user_role_by_id", as: "admin", valid: args(map[string]any{"id": member.ID, "body": map[string]any{"accountId": s.AccountID, "role": "viewer"}}),
			check:   listHas("role", "viewer"),
			invalid: map[string]any{"id": member.ID, "body": map[string]any{"accountId": s.AccountID, "role": "owner"}}, invalidStatus: 400},
		{tool: "delete_a_the_auth_api_user_role_by_id", as: "admin", valid: args(map[string]any{"id": member.ID, "accountId": s.AccountID}),
			check: func(t *testing.T, sc map[string]any) {
				if len(sc["result"].([]any)) != 0 {
					t.Fatalf("the member keeps roles %s", js(sc))
				}
			},
			invalid: map[string]any{"accountId": s.AccountID}, invalidStatus: 400, invalidMessage: "id should not be empty"},
		{tool: "list_all_the_auth_api_teammates", as: "admin", valid: args(map[string]any{"accountId": s.AccountID}),
			check: func(t *testing.T, sc map[string]any) {
				for _, m := range sc["result"].([]any) {
					if m.(map[string]any)["userId"] == member.ID {
						t.Fatalf("the removed member is still a teammate: %s", js(sc))
					}
				}
			},
			invalid: map[string]any{"accountId": []any{"a", "b"}}, invalidStatus: 400},
		{tool: "update_a_the_auth_api_user_by_id", as: "founder", valid: args(map[string]any{"id": founder.ID, "body": map[string]any{"name": "Founder Renamed"}}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["id"] != founder.ID || sc["name"] != "Founder Renamed" {
					t.Fatalf("user %s", js(sc))
				}
			},
			invalid: map[string]any{"id": founder.ID, "body": map[string]any{"name": ""}}, invalidStatus: 400},

		// Webhooks.
		{tool: "list_all_the_auth_api_webhooks", as: "admin", valid: args(map[string]any{"projectId": p.ID}), check: listHas("id", hooks[0].ID),
			invalid: map[string]any{"limit": "lots"}, invalidStatus: 400},
		{tool: "create_a_the_auth_api_webhook", as: "admin", valid: args(map[string]any{"body": map[string]any{"name": "tool hook", "url": hook.URL, "topics": []string{"api-key.deleted"}, "httpMethod": "POST", "projectId": p.ID}}),
			check: func(t *testing.T, sc map[string]any) {
				if !strings.HasPrefix(mcpStr(t, sc, "secret"), "whsec_") || sc["url"] != hook.URL {
					t.Fatalf("webhook %s", js(sc))
				}
			},
			invalid: map[string]any{"body": map[string]any{"name": "no url", "topics": []string{"api-key.deleted"}, "httpMethod": "POST"}}, invalidStatus: 400},
		{tool: "get_single_the_auth_api_webhook_by_id", as: "admin", valid: args(map[string]any{"id": hooks[0].ID}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["id"] != hooks[0].ID || sc["secret"] != hooks[0].Secret.Reveal() {
					t.Fatalf("webhook %s", js(sc))
				}
			},
			invalid: map[string]any{"id": "wh-unknown"}, invalidStatus: 404},
		{tool: "update_a_the_auth_api_webhook_by_id", as: "admin", valid: args(map[string]any{"id": hooks[0].ID, "body": map[string]any{"status": "paused"}}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["status"] != "paused" {
					t.Fatalf("webhook %s", js(sc))
				}
			},
			invalid: map[string]any{"id": hooks[0].ID, "body": map[string]any{"httpMethod": "BREW"}}, invalidStatus: 400},
		{tool: "delete_a_the_auth_api_webhook_by_id", as: "admin", valid: args(map[string]any{"id": hooks[1].ID}),
			invalid: map[string]any{}, invalidStatus: 400, invalidMessage: "id should not be empty"},
		{tool: "create_a_the_auth_api_webhooks_ping", as: "admin", valid: args(map[string]any{"body": map[string]any{"url": hook.URL, "httpMethod": "POST"}}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["ok"] != true || sc["status"] != float64(200) {
					t.Fatalf("ping %s", js(sc))
				}
			},
			invalid: map[string]any{"body": map[string]any{"url": hook.URL}}, invalidStatus: 400},
		{tool: "list_all_the_auth_api_webhooks_topics", as: "admin", valid: args(nil), check: listHas("", "api-key.created"),
			invalid: "topics please", invalidStatus: 400},

		// API keys.
		{tool: "list_all_the_auth_api_api_keys", as: "admin", valid: args(map[string]any{"projectId": p.ID, "customUserId": "u-1"}),
			check: func(t *testing.T, sc map[string]any) {
				items := sc["result"].([]any)
				if len(items) != 1 || items[0].(map[string]any)["key"] != k1.Key.Reveal() || sc["next_cursor"] != nil {
					t.Fatalf("keys of u-1 %s", js(sc))
				}
			},
			// An account-level access key must name the project.
			invalid: map[string]any{}, invalidStatus: 400},
		{tool: "create_a_the_auth_api_api_key", as: "admin", valid: args(map[string]any{"body": map[string]any{"name": "made by a tool", "projectId": p.ID, "customMetaData": map[string]any{"plan": "pro"}}}),
			check: func(t *testing.T, sc map[string]any) {
				if !strings.HasPrefix(mcpStr(t, sc, "key"), "live_") || sc["name"] != "made by a tool" || sc["projectId"] != p.ID {
					t.Fatalf("key %s", js(sc))
				}
			},
			invalid: map[string]any{"body": map[string]any{"projectId": p.ID}}, invalidStatus: 400, invalidMessage: "name should not be empty"},
		{tool: "the_auth_api_api_keys_list_2", as: "admin", valid: args(map[string]any{"key": k1.Key.Reveal()}), check: keyCheck(k1.Key.Reveal()),
			invalid: map[string]any{"key": "live_unknown"}, invalidStatus: 404},
		{tool: "get_single_the_auth_api_api_key_by_id", as: "admin", valid: args(map[string]any{"key": k1.Key.Reveal()}), check: keyCheck(k1.Key.Reveal()),
			invalid: map[string]any{}, invalidStatus: 400, invalidMessage: "id should not be empty"},
		{tool: "update_a_the_auth_api_api_key_by_id", as: "admin", valid: args(map[string]any{"key": k1.Key.Reveal(), "body": map[string]any{"name": "renamed", "allowedDomains": []string{"example.com"}}}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["name"] != "renamed" || js(sc["allowedDomains"]) != `["example.com"]` {
					t.Fatalf("key %s", js(sc))
				}
			},
			invalid: map[string]any{"key": k1.Key.Reveal(), "body": map[string]any{"expiry": "not a date"}}, invalidStatus: 400},
		{tool: "list_all_the_auth_api_api_keys_auths", as: "admin", valid: args(map[string]any{"key": k1.Key.Reveal()}), check: keyCheck(k1.Key.Reveal()),
			invalid: map[string]any{"key": "live_unknown"}, invalidStatus: 404, invalidMessage: "Invalid client key"},
		{tool: "get_single_the_auth_api_api_keys_auth_by_id", as: "admin", valid: args(map[string]any{"key": k1.Key.Reveal(), "x-origin-domain": "example.com"}), check: keyCheck(k1.Key.Reveal()),
			invalid: map[string]any{"x-origin-domain": "example.com"}, invalidStatus: 400, invalidMessage: "id should not be empty"},
		{tool: "create_a_the_auth_api_api_keys_auth", as: "admin", valid: args(map[string]any{"key": k1.Key.Reveal()}), check: keyCheck(k1.Key.Reveal()),
			invalid: map[string]any{"key": 12345}, invalidStatus: 404, invalidMessage: "Invalid client key"},
		{tool: "create_a_the_auth_api_auth_authenticate", as: "admin", valid: args(map[string]any{"body": map[string]any{"credentials": map[string]any{"api_key": k1.Key.Reveal()}}}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["authenticated"] != true || sc["customUserId"] != "u-1" {
					t.Fatalf("legacy authenticate %s", js(sc))
				}
			},
			invalid: map[string]any{"body": map[string]any{"credentials": "k"}}, invalidStatus: 400},
		{tool: "delete_a_the_auth_api_api_key_by_id", as: "admin", valid: args(map[string]any{"key": revoked.Key.Reveal()}),
			invalid: map[string]any{"key": "live_unknown"}, invalidStatus: 404},
		{tool: "update_a_the_auth_api_api_key_reactivate_by_id", as: "admin", valid: args(map[string]any{"key": revoked.Key.Reveal()}), check: keyCheck(revoked.Key.Reveal()),
			invalid: map[string]any{"key": revoked.Key.Reveal(), "body": map[string]any{"expiry": true}}, invalidStatus: 400},
		{tool: "create_a_the_auth_api_api_key_rotate", as: "admin", valid: args(map[string]any{"key": rotated.Key.Reveal()}),
			check: func(t *testing.T, sc map[string]any) {
				if k := mcpStr(t, sc, "key"); k == rotated.Key.Reveal() || !strings.HasPrefix(k, "live_") || sc["name"] != "to rotate" {
					t.Fatalf("rotated key %s", js(sc))
				}
			},
			// The old string is gone.
			invalid: map[string]any{"key": rotated.Key.Reveal()}, invalidStatus: 404},

		// Analytics.
		{tool: "list_all_the_auth_api_analytics_project_totals", as: "admin", valid: args(map[string]any{"projectId": p.ID, "dateGrouping": "day"}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["projectId"] != p.ID || sc["dateGrouping"] != "day" || sc["total"] == nil {
					t.Fatalf("totals %s", js(sc))
				}
			},
			invalid: map[string]any{"projectId": p.ID, "dateGrouping": "year"}, invalidStatus: 400},
		{tool: "list_all_the_auth_api_analytics_api_key_totals", as: "admin", valid: args(map[string]any{"projectId": p.ID, "dateGrouping": "month", "to": now()}),
			check: func(t *testing.T, sc map[string]any) {
				if _, ok := sc["keys"].([]any); sc["projectId"] != p.ID || !ok {
					t.Fatalf("key totals %s", js(sc))
				}
			},
			invalid: map[string]any{"projectId": p.ID}, invalidStatus: 400, invalidMessage: "dateGrouping"},

		// Notifications.
		{tool: "list_all_the_auth_api_notifications", as: "admin", valid: args(map[string]any{"limit": 10}),
			invalid: map[string]any{"limit": "ten"}, invalidStatus: 400},

		// Invitations.
		{tool: "create_a_the_auth_api_invitation", as: "admin", valid: args(map[string]any{"body": map[string]any{"emails": []string{"tool-invite@example.com"}, "role": "viewer", "accountId": s.AccountID}}),
			check:   listHas("email", "tool-invite@example.com"),
			invalid: map[string]any{"body": map[string]any{"emails": []string{"x@example.com"}, "role": "boss", "accountId": s.AccountID}}, invalidStatus: 400},
		{tool: "list_all_the_auth_api_invitations", as: "admin", valid: args(map[string]any{"accountId": s.AccountID, "status": "pending"}), check: listHas("id", invKept.ID),
			invalid: map[string]any{"accountId": s.AccountID, "status": "lost"}, invalidStatus: 400},
		{tool: "get_single_the_auth_api_invitation_by_id", as: "admin", valid: args(map[string]any{"id": invKept.ID}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["id"] != invKept.ID || sc["email"] != "kept@example.com" {
					t.Fatalf("invitation %s", js(sc))
				}
			},
			invalid: map[string]any{"id": "inv-unknown"}, invalidStatus: 404},
		{tool: "update_a_the_auth_api_invitation_by_id", as: "admin", valid: args(map[string]any{"id": invKept.ID, "body": map[string]any{"role": "viewer"}}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["role"] != "viewer" {
					t.Fatalf("invitation %s", js(sc))
				}
			},
			invalid: map[string]any{"id": invKept.ID, "body": map[string]any{}}, invalidStatus: 400},
		{tool: "list_all_the_auth_api_invitation_info", as: "admin", valid: args(map[string]any{"id": invKept.ID}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["id"] != invKept.ID || sc["role"] != "viewer" || sc["status"] != "pending" {
					t.Fatalf("invitation info %s", js(sc))
				}
			},
			invalid: map[string]any{"id": "inv-unknown"}, invalidStatus: 404},
		{tool: "delete_a_the_auth_api_invitation_by_id", as: "admin", valid: args(map[string]any{"id": invCancelled.ID}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["id"] != invCancelled.ID || sc["status"] != "cancelled" {
					t.Fatalf("cancelled invitation %s", js(sc))
				}
			},
			invalid: map[string]any{}, invalidStatus: 400, invalidMessage: "id should not be empty"},
		{tool: "create_a_the_auth_api_invitation_accept", as: "invitee", valid: args(map[string]any{"id": invAccepted.ID}),
			check: func(t *testing.T, sc map[string]any) {
				if sc["id"] != invAccepted.ID || sc["status"] != "accepted" {
					t.Fatalf("accepted invitation %s", js(sc))
				}
			},
			invalid: map[string]any{"id": "inv-unknown"}, invalidStatus: 404},

		// Sign-up and sign-in: public operations, reached here through a
		// session that carries a credential (every /mcp session does).
		{tool: "create_a_the_auth_api_auth_signup", as: "admin", valid: args(map[string]any{"body": map[string]any{"email": "newcomer@example.com", "password": "a long enough password", "name": "Newcomer"}}),
			invalid: map[string]any{"body": map[string]any{"email": "short@example.com", "password": "short", "name": "Short"}}, invalidStatus: 400},
		{tool: "create_a_the_auth_api_auth_login", as: "admin", valid: args(map[string]any{"body": map[string]any{"email": "newcomer@example.com", "password": "a long enough password"}}),
			check: func(t *testing.T, sc map[string]any) {
				tokensCheck(t, sc)
				login = keyway.Tokens{AccessToken: keyway.Token(mcpStr(t, sc, "access_token")), RefreshToken: keyway.Token(mcpStr(t, sc, "refresh_token"))}
			},
			invalid: map[string]any{"body": map[string]any{"email": "newcomer@example.com"}}, invalidStatus: 400},
		{tool: "create_a_the_auth_api_auth_refresh_access_token", as: "admin", valid: func(t *testing.T) map[string]any {
			return map[string]any{"body": map[string]any{"access_token": login.AccessToken.Reveal(), "refresh_token": login.RefreshToken.Reveal()}}
		},
			check: func(t *testing.T, sc map[string]any) {
				tokensCheck(t, sc)
				if sc["refresh_token"] == login.RefreshToken.Reveal() {
					t.Fatal("the refresh token was not rotated")
				}
			},
			invalid: map[string]any{"body": map[string]any{"access_token": "x"}}, invalidStatus: 400, invalidMessage: "refresh_token should not be empty"},
		{tool: "create_a_the_auth_api_auth_email_otc", as: "admin", valid: func(t *testing.T) map[string]any {
			mailsBeforeCode = sink.count()
			return map[string]any{"body": map[string]any{"email": "newcomer@example.com"}}
		},
			invalid: map[string]any{"body": map[string]any{"email": "olga"}}, invalidStatus: 400},
		{tool: "create_a_the_auth_api_auth_validate_login_code", as: "admin", valid: func(t *testing.T) map[string]any {
			return map[string]any{"body": map[string]any{"code": mcpAwaitCode(t, sink, "newcomer@example.com", mailsBeforeCode)}}
		},
			check:   tokensCheck,
			invalid: map[string]any{"body": map[string]any{}}, invalidStatus: 400},
		// Firebase is configured here with a test certificate server, so a
		// good ID token signs a new user in.
		{tool: "create_a_the_auth_api_auth_add_user_from_firebase", as: "admin", valid: func(t *testing.T) map[string]any {
			return map[string]any{"body": map[string]any{"idToken": fbToken(t, fbClaims(s.Clock.Now(), "uid-mcp", "fire@example.com"))}}
		},
			check:   tokensCheck,
			invalid: map[string]any{"body": map[string]any{}}, invalidStatus: 400},
	}

	ops := mcpToolOps()
	covered := map[string]bool{}
	for _, c := range cases {
		o, ok := ops[c.tool]
		if !ok {
			t.Errorf("row for %s, which is not a tool", c.tool)
			continue
		}
		if covered[c.tool] {
			t.Errorf("two rows for %s", c.tool)
		}
		covered[c.tool] = true
		t.Run(c.tool, func(t *testing.T) {
			cs := sessions[c.as]
			var a any
			if v := c.valid(t); v != nil {
				a = v
			}
			res := mcpCall(t, cs, c.tool, a)
			if res.IsError {
				t.Fatalf("valid call (%s): tool error %s", js(a), js(res.StructuredContent))
			}
			sc, ok := res.StructuredContent.(map[string]any)
			if !ok {
				t.Fatalf("valid call: structured content %s is not an object", js(res.StructuredContent))
			}
			switch out := o.Output; {
			case out == reflect.TypeFor[api.Empty]():
				if js(sc) != `{"ok":true}` {
					t.Fatalf("empty answer: %s, want {\"ok\":true}", js(sc))
				}
			case out.Kind() == reflect.Slice:
				mcpList(t, c.tool, sc)
			case out.Kind() == reflect.Bool:
				if js(sc) != `{"result":true}` {
					t.Fatalf("boolean answer: %s, want {\"result\":true}", js(sc))
				}
			default:
				if len(sc) == 0 || sc["result"] != nil {
					t.Fatalf("object answer: %s", js(sc))
				}
			}
			if c.check != nil {
				c.check(t, sc)
			}
			msg := mcpErr(t, cs, c.tool, c.invalid, c.invalidStatus)
			if !strings.Contains(msg, c.invalidMessage) {
				t.Fatalf("invalid call: message %q, want it to contain %q", msg, c.invalidMessage)
			}
		})
	}
	var missing []string
	for name := range ops {
		if !covered[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 || len(covered) != 57 {
		t.Fatalf("%d tools covered, want all 57; no row for %v", len(covered), missing)
	}
}

// mcpAwaitCode waits for a sign-in code mailed to email after the first
// `after` messages and returns it.
func mcpAwaitCode(t testing.TB, sink *smtpSink, email string, after int) string {
	t.Helper()
	for n := after + 1; ; n++ {
		for _, m := range sink.await(t, n)[after:] {
			if m.To == email && m.Subject == "Your Keyway sign-in code" {
				return codeIn(t, m.Body)
			}
		}
	}
}

// ---- 3. pagination ----

// A list pages by next_cursor: 250 keys in pages of 100 come back as
// 100, 100 and 50, each once, and the last page's next_cursor is null.
func TestMCPPagination(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("many", "live")
		want := map[string]bool{}
		for i := range 250 {
			if i%50 == 0 {
				// Several creation times, so that ties and order both count.
				s.Clock.Advance(time.Second)
			}
			want[s.newKey(p.ID, map[string]any{"name": fmt.Sprint("k", i)}).Key.Reveal()] = true
		}
		cs := s.mcpSession(t, "x-api-key", s.AccessKey)
		const tool = "list_all_the_auth_api_api_keys"
		seen := map[string]bool{}
		var sizes []int
		var cursor any // null: the first page
		for page := 0; ; page++ {
			if page > 5 {
				t.Fatalf("still paging after %d pages", page)
			}
			sc := mcpOK(t, cs, tool, map[string]any{"projectId": p.ID, "limit": 100, "next_cursor": cursor})
			items := mcpList(t, tool, sc)
			sizes = append(sizes, len(items))
			for _, it := range items {
				k := mcpStr(t, it, "key")
				if seen[k] {
					t.Fatalf("page %d repeats key %s", page, keyway.Fingerprint(k))
				}
				if !want[k] {
					t.Fatalf("page %d has key %s, not one of the 250", page, keyway.Fingerprint(k))
				}
				seen[k] = true
			}
			cursor = sc["next_cursor"]
			if cursor == nil {
				break
			}
			if cursor == "" {
				t.Fatal("an empty next_cursor, want a cursor or null")
			}
		}
		if !slices.Equal(sizes, []int{100, 100, 50}) || len(seen) != 250 {
			t.Fatalf("pages of %v, %d distinct keys; want 100/100/50 and 250", sizes, len(seen))
		}
		// An absent next_cursor is the first page too.
		first := mcpList(t, tool, mcpOK(t, cs, tool, map[string]any{"projectId": p.ID, "limit": 3}))
		again := mcpList(t, tool, mcpOK(t, cs, tool, map[string]any{"projectId": p.ID, "limit": 3, "next_cursor": nil}))
		if js(first) != js(again) || len(first) != 3 {
			t.Fatalf("first page without next_cursor %d keys, differs from next_cursor null", len(first))
		}
	})
}

// list_all_the_auth_api_analytics_api_key_totals pages like a list (REST
// takes limit, offset and cursor, and answers the next cursor in
// x-next-cursor) but answers an object, so it is not a list tool. Paging
// by offset works over MCP; a cursor, when the tool offers one, must lead
// to the next page too.
func TestMCPKeyTotalsPaging(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	p := s.newProject("used", "live")
	want := map[string]bool{}
	for range 3 {
		k := s.newKey(p.ID, nil)
		want[k.Key.Reveal()] = true
		anVerify(t, s, k.Key.Reveal(), 200)
	}
	anWaitTotal(t, s, "", anPath("project-totals", "projectId", p.ID, "dateGrouping", "day"), 3)
	cs := s.mcpSession(t, "x-api-key", s.AccessKey)
	const tool = "list_all_the_auth_api_analytics_api_key_totals"
	keysOf := func(sc map[string]any) []any {
		keys, ok := sc["keys"].([]any)
		if !ok || len(keys) != 1 {
			t.Fatalf("a page of 1: %s", js(sc))
		}
		return keys
	}
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var props map[string]any
	for _, d := range tools.Tools {
		if d.Name == tool {
			props, _ = d.InputSchema.(map[string]any)["properties"].(map[string]any)
		}
	}
	seen := map[string]bool{}
	if props["offset"] != nil {
		for offset := range 3 {
			sc := mcpOK(t, cs, tool, map[string]any{"projectId": p.ID, "dateGrouping": "day", "limit": 1, "offset": offset})
			seen[mcpStr(t, keysOf(sc)[0], "key")] = true
		}
		if len(seen) != 3 {
			t.Fatalf("offset paging saw %d keys, want 3", len(seen))
		}
	}
	arg := ""
	for _, name := range []string{"next_cursor", "cursor"} {
		if props[name] != nil {
			arg = name
		}
	}
	if arg == "" {
		return // no cursor offered: offset is the way, and it works
	}
	// MCP has no headers: the answer must carry the next cursor itself.
	seen = map[string]bool{}
	var cursor any = ""
	for page := 0; ; page++ {
		if page > 3 {
			t.Fatal("still paging after 3 pages of 1")
		}
		sc := mcpOK(t, cs, tool, map[string]any{"projectId": p.ID, "dateGrouping": "day", "limit": 1, arg: cursor})
		seen[mcpStr(t, keysOf(sc)[0], "key")] = true
		if len(seen) == 3 {
			break
		}
		next, _ := sc["next_cursor"].(string)
		if next == "" {
			t.Fatalf("the tool takes %q but page %d gives no next_cursor to pass back: %s", arg, page, js(sc))
		}
		cursor = next
	}
}

// Sign-in attempts through /mcp count against the client's address like
// REST's: the tool call is the MCP client's request, from its address.
func TestMCPSigninThrottle(t *testing.T) {
	s := startServerWith(t, keywaytest.SQLiteURL(t), nil, func(c *app.Config) { c.SigninAddressLimit = 5 })
	cs := s.mcpSession(t, "x-api-key", s.AccessKey)
	const tool = "create_a_the_auth_api_auth_validate_login_code"
	guess := map[string]any{"body": map[string]any{"code": "23456-789AB"}}
	for range 5 {
		mcpErr(t, cs, tool, guess, 401)
	}
	// The tool call carries the MCP request's address (it once did not, and
	// skipped the per-address throttle).
	res := mcpCall(t, cs, tool, guess)
	sc, _ := res.StructuredContent.(map[string]any)
	if !res.IsError || sc["statusCode"] != float64(429) {
		t.Fatalf("6th code guess from one address over MCP: %s, want a 429 tool error", js(sc))
	}
	// Both ways share the address's budget.
	wantThrottled(t, s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": "23456-789AB"}), "a REST guess after 6 over MCP")
	for i := range 3 {
		mcpErr(t, cs, "create_a_the_auth_api_auth_login", map[string]any{"body": map[string]any{"email": fmt.Sprintf("guess%d@example.com", i), "password": "some password"}}, 429)
	}
}

// Scalar arguments reach REST as it reads them: null as the literal null
// (matching a null value), booleans and numbers as written.
func TestMCPScalarArguments(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	p := s.newProject("scalars", "live")
	withUser := s.newKey(p.ID, map[string]any{"name": "with user", "customUserId": "u-1"})
	withoutUser := s.newKey(p.ID, map[string]any{"name": "without user"})
	revoked := s.newKey(p.ID, map[string]any{"name": "revoked"})
	s.call("DELETE", "/api-keys/"+revoked.Key.Reveal(), nil).want(t, 200)
	cs := s.mcpSession(t, "x-api-key", s.AccessKey)
	const tool = "list_all_the_auth_api_api_keys"
	keys := func(args map[string]any) []string {
		t.Helper()
		args["projectId"] = p.ID
		var out []string
		for _, it := range mcpList(t, tool, mcpOK(t, cs, tool, args)) {
			out = append(out, mcpStr(t, it, "key"))
		}
		sort.Strings(out)
		return out
	}
	// The string "null" is REST's literal null.
	if got := keys(map[string]any{"customUserId": "null"}); !slices.Equal(got, []string{withoutUser.Key.Reveal()}) {
		t.Fatalf(`customUserId "null": %d keys, want the one without a user`, len(got))
	}
	// A JSON null is the literal null too.
	if got := keys(map[string]any{"customUserId": nil}); !slices.Equal(got, []string{withoutUser.Key.Reveal()}) {
		t.Fatalf("customUserId null: %d keys, want the one without a user", len(got))
	}
	if got := keys(map[string]any{"customUserId": "u-1"}); !slices.Equal(got, []string{withUser.Key.Reveal()}) {
		t.Fatalf("customUserId u-1: %d keys", len(got))
	}
	if got := keys(map[string]any{"isActive": false}); !slices.Equal(got, []string{revoked.Key.Reveal()}) {
		t.Fatalf("isActive false: %d keys, want the revoked one", len(got))
	}
	if got := keys(map[string]any{"limit": 1}); len(got) != 1 {
		t.Fatalf("limit 1: %d keys", len(got))
	}
}

// Tools take flat arguments, as the integration catalogue describes them:
// body fields beside the path parameter, which is named id (or key for the
// key look-ups), a body field named like the route's parameter renamed to
// newKey; the nested body form of earlier releases still works, and giving
// both forms at once is a tool error rather than a silent choice.
func TestMCPFlatArguments(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	p := s.newProject("flat", "live")
	cs := s.mcpSession(t, "x-api-key", s.AccessKey)
	created := mcpOK(t, cs, "create_a_the_auth_api_api_key", map[string]any{"name": "flat", "projectId": p.ID})
	key := mcpStr(t, created, "key")
	if got := mcpStr(t, mcpOK(t, cs, "get_single_the_auth_api_api_key_by_id", map[string]any{"id": key}), "name"); got != "flat" {
		t.Fatalf("by id: name %q, want flat", got)
	}
	if got := mcpStr(t, mcpOK(t, cs, "the_auth_api_api_keys_list_2", map[string]any{"key": key}), "name"); got != "flat" {
		t.Fatalf("by key: name %q, want flat", got)
	}
	const custom = "flat_custom_key_0123456789"
	renamed := mcpOK(t, cs, "update_a_the_auth_api_api_key_by_id", map[string]any{"id": key, "newKey": custom, "name": "renamed"})
	if mcpStr(t, renamed, "key") != custom || mcpStr(t, renamed, "name") != "renamed" {
		t.Fatalf("newKey: got %s", js(renamed))
	}
	nested := mcpOK(t, cs, "update_a_the_auth_api_api_key_by_id", map[string]any{"id": custom, "body": map[string]any{"name": "nested"}})
	if mcpStr(t, nested, "name") != "nested" {
		t.Fatalf("nested: got %s", js(nested))
	}
	msg := mcpErr(t, cs, "update_a_the_auth_api_api_key_by_id", map[string]any{"id": custom, "name": "both", "body": map[string]any{"name": "both"}}, 400)
	if !strings.Contains(msg, "not both") {
		t.Fatalf("both forms: message %q", msg)
	}
	if got := mcpStr(t, mcpOK(t, cs, "get_single_the_auth_api_api_key_by_id", map[string]any{"id": custom}), "name"); got != "nested" {
		t.Fatalf("after the refused call: name %q, want nested", got)
	}
	mcpErr(t, cs, "create_a_the_auth_api_api_key", map[string]any{"projectId": p.ID}, 400)
}

// ---- 4. scope ----

// mcpMatchesREST calls a tool and the same request over REST with the same
// credential; both must fail alike: the tool error's status is REST's,
// and its message REST's messages joined with "; ".
func mcpMatchesREST(t *testing.T, s *server, cs *sdk.ClientSession, cred []string, tool string, args map[string]any, method, path string, body any, status int, headers ...string) {
	t.Helper()
	r := s.withT(t).callAs("", method, path, body, append(append([]string{}, cred...), headers...)...)
	if r.Status != status {
		t.Fatalf("REST %s %s: %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	var e struct {
		Message json.RawMessage `json:"message"`
	}
	r.decode(t, &e)
	var one string
	var many []string
	if json.Unmarshal(e.Message, &one) == nil {
		many = []string{one}
	} else if err := json.Unmarshal(e.Message, &many); err != nil {
		t.Fatalf("REST error %s", r.Body)
	}
	msg := mcpErr(t, cs, tool, args, status)
	if want := strings.Join(many, "; "); msg != want {
		t.Fatalf("%s: message %q, REST says %q", tool, msg, want)
	}
}

// A session acts with exactly its credential's reach: a project-level
// access key sees nothing of another project, nobody sees another account,
// a viewer cannot write, and /mcp refuses a missing or wrong credential at
// the HTTP level before any MCP exchange.
func TestMCPScopeEqualsREST(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p1, p2 := s.newProject("one", "live"), s.newProject("two", "live")
		k1, k2 := s.newKey(p1.ID, map[string]any{"name": "one"}), s.newKey(p2.ID, map[string]any{"name": "two"})
		projectKey := s.projectKey(p1.ID)
		otherAcct, otherKey := s.seedAccount()
		var theirs keyway.Project
		s.callAs(otherKey, "POST", "/projects", map[string]any{"name": "theirs", "accountId": otherAcct, "env": "live"}).want(t, 201).decode(t, &theirs)

		admin := s.mcpSession(t, "x-api-key", s.AccessKey)
		adminCred := []string{"x-api-key", s.AccessKey}
		proj := s.mcpSession(t, "x-api-key", projectKey)
		projCred := []string{"x-api-key", projectKey}

		t.Run("project-level key", func(t *testing.T) {
			// Its own project works, and lists default to it.
			items := mcpList(t, "list", mcpOK(t, proj, "list_all_the_auth_api_api_keys", nil))
			if len(items) != 1 || mcpStr(t, items[0], "key") != k1.Key.Reveal() {
				t.Fatalf("the project key lists %s", js(items))
			}
			mcpOK(t, proj, "create_a_the_auth_api_api_keys_auth", map[string]any{"key": k1.Key.Reveal()})
			// Another project: 404 by path, 403 when named in a query or body.
			mcpMatchesREST(t, s, proj, projCred, "get_single_the_auth_api_project_by_id", map[string]any{"id": p2.ID}, "GET", "/projects/"+p2.ID, nil, 404)
			mcpMatchesREST(t, s, proj, projCred, "get_single_the_auth_api_api_key_by_id", map[string]any{"key": k2.Key.Reveal()}, "GET", "/api-keys/"+k2.Key.Reveal(), nil, 404)
			mcpMatchesREST(t, s, proj, projCred, "delete_a_the_auth_api_api_key_by_id", map[string]any{"key": k2.Key.Reveal()}, "DELETE", "/api-keys/"+k2.Key.Reveal(), nil, 404)
			mcpMatchesREST(t, s, proj, projCred, "create_a_the_auth_api_api_keys_auth", map[string]any{"key": k2.Key.Reveal()}, "POST", "/api-keys/auth/"+k2.Key.Reveal(), nil, 404)
			mcpMatchesREST(t, s, proj, projCred, "list_all_the_auth_api_api_keys", map[string]any{"projectId": p2.ID}, "GET", "/api-keys?projectId="+p2.ID+"&cursor=", nil, 403)
			mcpMatchesREST(t, s, proj, projCred, "create_a_the_auth_api_api_key", map[string]any{"body": map[string]any{"name": "x", "projectId": p2.ID}}, "POST", "/api-keys", map[string]any{"name": "x", "projectId": p2.ID}, 403)
			// It acts as a user of its project: no access keys.
			mcpMatchesREST(t, s, proj, projCred, "create_a_the_auth_api_access_key", map[string]any{"body": map[string]any{"name": "x", "projectId": p1.ID}}, "POST", "/access-keys", map[string]any{"name": "x", "projectId": p1.ID}, 403)
			// The refused calls changed nothing.
			s.withT(t).call("GET", "/api-keys/"+k2.Key.Reveal(), nil).want(t, 200)
		})

		t.Run("another account", func(t *testing.T) {
			mcpMatchesREST(t, s, admin, adminCred, "get_single_the_auth_api_project_by_id", map[string]any{"id": theirs.ID}, "GET", "/projects/"+theirs.ID, nil, 404)
			mcpMatchesREST(t, s, admin, adminCred, "get_single_the_auth_api_account_by_id", map[string]any{"id": otherAcct}, "GET", "/accounts/"+otherAcct, nil, 404)
			mcpMatchesREST(t, s, admin, adminCred, "list_all_the_auth_api_projects", map[string]any{"accountId": otherAcct}, "GET", "/projects?accountId="+otherAcct+"&cursor=", nil, 403)
			// Access keys are not users: creating an account is refused.
			mcpMatchesREST(t, s, admin, adminCred, "create_a_the_auth_api_account", map[string]any{"body": map[string]any{"name": "x"}}, "POST", "/accounts", map[string]any{"name": "x"}, 403)
		})

		t.Run("viewer", func(t *testing.T) {
			viewer := s.mcpMember(t, "viewer@example.com", keyway.RoleViewer)
			vs := s.mcpUserSession(t, viewer)
			vCred := viewer.Auth
			// Reads work.
			mcpList(t, "list", mcpOK(t, vs, "list_all_the_auth_api_api_keys", map[string]any{"projectId": p1.ID}))
			mcpOK(t, vs, "get_single_the_auth_api_project_by_id", map[string]any{"id": p1.ID})
			// Writes do not.
			mcpMatchesREST(t, s, vs, vCred, "create_a_the_auth_api_api_key", map[string]any{"body": map[string]any{"name": "x", "projectId": p1.ID}}, "POST", "/api-keys", map[string]any{"name": "x", "projectId": p1.ID}, 403)
			mcpMatchesREST(t, s, vs, vCred, "delete_a_the_auth_api_api_key_by_id", map[string]any{"key": k1.Key.Reveal()}, "DELETE", "/api-keys/"+k1.Key.Reveal(), nil, 403)
			mcpMatchesREST(t, s, vs, vCred, "update_a_the_auth_api_project_by_id", map[string]any{"id": p1.ID, "body": map[string]any{"name": "x"}}, "PATCH", "/projects/"+p1.ID, map[string]any{"name": "x"}, 403)
			s.withT(t).call("GET", "/api-keys/"+k1.Key.Reveal(), nil).want(t, 200)
		})

		t.Run("credential refused at the HTTP level", func(t *testing.T) {
			for _, c := range []struct{ name, header, value string }{
				{"none", "", ""},
				{"empty x-api-key", "x-api-key", ""},
				{"wrong access key", "x-api-key", "live_access_" + strings.Repeat("x", 64)},
				{"wrong bearer", "Authorization", "Bearer nope"},
				{"forged user token", "Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"},
			} {
				t.Run(c.name, func(t *testing.T) {
					cs, err := s.mcpDial(c.header, c.value)
					if err == nil {
						cs.Close()
						t.Fatal("connected without a valid credential")
					}
					if !strings.Contains(err.Error(), "Unauthorized") {
						t.Fatalf("connect: %v, want the HTTP 401 Unauthorized", err)
					}
					// What the client was told: 401 with the contract's
					// body, for each method of the endpoint.
					init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"x","version":"0"}}}`
					for _, method := range []string{"POST", "GET", "DELETE"} {
						var body any
						if method == "POST" {
							body = init
						}
						r := s.withT(t).callAs("", method, "/mcp", body, c.header, c.value, "Accept", "application/json, text/event-stream")
						r.want(t, 401).wantJSON(t, errUnauthorized)
					}
				})
			}
		})

		t.Run("revoked mid-session", func(t *testing.T) {
			// Stateless: each request checks its credential again.
			doomed := s.projectKey(p1.ID)
			cs := s.mcpSession(t, "x-api-key", doomed)
			mcpOK(t, cs, "list_all_the_auth_api_api_keys", nil)
			s.withT(t).call("DELETE", "/access-keys/"+doomed, nil).want(t, 200)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "list_all_the_auth_api_api_keys"})
			if err == nil {
				t.Fatalf("a revoked access key still reaches the tools: %s", js(res))
			}
			if !strings.Contains(err.Error(), "Unauthorized") {
				t.Fatalf("call after revocation: %v, want the HTTP 401 Unauthorized", err)
			}
		})
	})
}

// ---- 5. errors are tool errors ----

// Every failure of a known tool, whether the arguments are wrong or the
// API refuses, is a tool error (no protocol error) carrying REST's status
// and message; only an unknown tool is a protocol error.
func TestMCPErrorsAreToolErrors(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	p := s.newProject("errors", "live")
	k := s.newKey(p.ID, map[string]any{"name": "limited", "allowedDomains": []string{"example.com"}, "rateLimitConfigs": map[string]any{"rateLimit": 1, "rateLimitTtl": 60}})
	cs := s.mcpSession(t, "x-api-key", s.AccessKey)
	cred := []string{"x-api-key", s.AccessKey}

	// REST's errors, as tool errors: a 400 with several messages (joined
	// with "; "), 404, 409, 403 for a foreign origin.
	mcpMatchesREST(t, s, cs, cred, "create_a_the_auth_api_project", map[string]any{"body": map[string]any{}}, "POST", "/projects", map[string]any{}, 400)
	if msg := mcpErr(t, cs, "create_a_the_auth_api_project", map[string]any{"body": map[string]any{}}, 400); strings.Count(msg, "; ") < 2 {
		t.Fatalf("a 400 with three problems says %q", msg)
	}
	mcpMatchesREST(t, s, cs, cred, "get_single_the_auth_api_project_by_id", map[string]any{"id": "nope"}, "GET", "/projects/nope", nil, 404)
	mcpMatchesREST(t, s, cs, cred, "update_a_the_auth_api_api_key_reactivate_by_id", map[string]any{"key": k.Key.Reveal()}, "PATCH", "/api-keys/"+k.Key.Reveal()+"/reactivate", nil, 409)
	mcpMatchesREST(t, s, cs, cred, "create_a_the_auth_api_api_keys_auth", map[string]any{"key": k.Key.Reveal(), "x-origin-domain": "evil.net"}, "POST", "/api-keys/auth/"+k.Key.Reveal(), nil, 403, "x-origin-domain", "evil.net")
	mcpMatchesREST(t, s, cs, cred, "create_a_the_auth_api_api_keys_auth", map[string]any{"key": "live_unknown"}, "POST", "/api-keys/auth/live_unknown", nil, 404)
	// Firebase is not configured on this server: REST's 501.
	mcpMatchesREST(t, s, cs, cred, "create_a_the_auth_api_auth_add_user_from_firebase", map[string]any{"body": map[string]any{"idToken": "x.y.z"}}, "POST", "/auth/add-user-from-firebase", map[string]any{"idToken": "x.y.z"}, 501)
	// Over the key's rate limit: 429.
	mcpOK(t, cs, "create_a_the_auth_api_api_keys_auth", map[string]any{"key": k.Key.Reveal(), "x-origin-domain": "example.com"})
	if msg := mcpErr(t, cs, "create_a_the_auth_api_api_keys_auth", map[string]any{"key": k.Key.Reveal()}, 429); msg != "Too many requests" {
		t.Fatalf("429 says %q", msg)
	}

	// Arguments the tool cannot turn into a request: 400.
	for _, c := range []struct {
		name string
		args any
		msg  string
	}{
		{"arguments not an object", []any{"x"}, "arguments must be a JSON object"},
		{"path argument missing", map[string]any{}, "id should not be empty"},
		{"path argument empty", map[string]any{"key": ""}, "id should not be empty"},
		{"path argument an object", map[string]any{"key": map[string]any{}}, "id must be a string, a number or a boolean"},
		{"header argument a list", map[string]any{"key": k.Key.Reveal(), "x-origin-domain": []any{"a"}}, "x-origin-domain must be a string, a number or a boolean"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if msg := mcpErr(t, cs, "get_single_the_auth_api_api_keys_auth_by_id", c.args, 400); msg != c.msg {
				t.Fatalf("message %q, want %q", msg, c.msg)
			}
		})
	}
	// A body that is not JSON's object reaches REST, which refuses it.
	mcpErr(t, cs, "create_a_the_auth_api_project", map[string]any{"body": "name=x"}, 400)
	mcpErr(t, cs, "create_a_the_auth_api_project", map[string]any{"body": []any{1, 2}}, 400)

	// A body over REST's 1 MiB: REST's 413, as a tool error.
	big := map[string]any{"body": map[string]any{"name": "big", "projectId": p.ID, "customMetaData": map[string]any{"x": strings.Repeat("a", 1100<<10)}}}
	if msg := mcpErr(t, cs, "create_a_the_auth_api_api_key", big, 413); msg != "request entity too large" {
		t.Fatalf("413 says %q", msg)
	}

	// An unknown tool is the one protocol error.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "no_such_tool"}); err == nil {
		t.Fatalf("an unknown tool answered %s", js(res))
	}
	// The session survives every error above.
	mcpOK(t, cs, "list_all_the_auth_api_misc", nil)
}

// The previous smoke test, kept: one session lists the tools, one call
// succeeds and one fails, in text as well as structured.
func TestMCPOverHTTPSmoke(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	cs := s.mcpSession(t, "x-api-key", s.AccessKey)
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tools.Tools) != 57 {
		t.Fatalf("%d tools, want 57", len(tools.Tools))
	}
	projects := mcpList(t, "list_all_the_auth_api_projects", mcpOK(t, cs, "list_all_the_auth_api_projects", map[string]any{"accountId": s.AccountID}))
	if len(projects) != 0 {
		t.Fatalf("a fresh account has projects: %s", js(projects))
	}
	res := mcpCall(t, cs, "get_single_the_auth_api_project_by_id", map[string]any{"id": "nope"})
	text := res.Content[0].(*sdk.TextContent).Text
	if !res.IsError || !bytes.Contains([]byte(text), []byte(`"statusCode":404`)) {
		t.Fatalf("unknown project: %s", js(res))
	}
}
