package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

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
