package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
)

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
