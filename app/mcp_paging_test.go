package app_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

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
