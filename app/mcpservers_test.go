package app_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
)

// credentialHeader adds a credential to every request of an MCP client.
type credentialHeader struct{ name, value string }

func (h credentialHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.name, h.value)
	return http.DefaultTransport.RoundTrip(r)
}

// connectMCP connects the SDK's client to /mcp with a credential, or
// returns the connection error.
func (s *server) connectMCP(header, value string) (*sdk.ClientSession, error) {
	client := sdk.NewClient(&sdk.Implementation{Name: "keyway-test", Version: "0"}, nil)
	transport := &sdk.StreamableClientTransport{Endpoint: s.URL + "/mcp", HTTPClient: &http.Client{Transport: credentialHeader{header, value}}}
	return client.Connect(context.Background(), transport, nil)
}

func toolNames(t *testing.T, cs *sdk.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

func TestMCPServers(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", keyway.EnvLive)
		other := s.newProject("other", keyway.EnvLive)
		k := s.newKey(p.ID, nil)
		otherKey := s.newKey(other.ID, nil)

		var readOnly keyway.MCPServer
		s.call("POST", "/mcp-servers", map[string]any{"name": "reader", "config": map[string]any{"methods": []string{"read"}}}).
			want(t, 201).decode(t, &readOnly)
		if !strings.HasPrefix(readOnly.Token.Reveal(), keyway.MCPTokenPrefix) || readOnly.URL != s.URL+"/mcp" || readOnly.AccountID != s.AccountID || !readOnly.IsActive {
			t.Fatalf("created %+v", readOnly)
		}
		// The token is shown once.
		r := s.call("GET", "/mcp-servers/"+readOnly.ID, nil).want(t, 200)
		if strings.Contains(string(r.Body), readOnly.Token.Reveal()) || strings.Contains(string(r.Body), `"token"`) {
			t.Fatalf("token shown again: %s", r.Body)
		}

		// A read-only server lists exactly the GET tools, and runs them.
		var wantRead []string
		for _, o := range api.Declarations() {
			if o.Method == http.MethodGet {
				wantRead = append(wantRead, o.Tools...)
			}
		}
		slices.Sort(wantRead)
		cs, err := s.connectMCP("x-api-key", readOnly.Token.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		if got := toolNames(t, cs); !slices.Equal(got, wantRead) {
			t.Fatalf("read-only tools %v, want %v", got, wantRead)
		}
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "get_single_the_auth_api_api_key_by_id", Arguments: map[string]any{"key": k.Key.Reveal()}})
		if err != nil || res.IsError {
			t.Fatalf("read a key: %v %+v", err, res)
		}
		// It cannot run a write tool, over MCP or over REST.
		if res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "delete_a_the_auth_api_api_key_by_id", Arguments: map[string]any{"key": k.Key.Reveal()}}); err == nil && !res.IsError {
			t.Fatal("a read-only MCP server deleted a key")
		}
		s.callAs(readOnly.Token.Reveal(), "DELETE", "/api-keys/"+k.Key.Reveal(), nil).want(t, 403)
		s.callAs(readOnly.Token.Reveal(), "GET", "/api-keys/"+k.Key.Reveal(), nil).want(t, 200)
		// Nor anything outside the tools: Keyway's own extensions, MCP servers.
		s.callAs(readOnly.Token.Reveal(), "GET", "/mcp-servers", nil).want(t, 403)

		// A project-scoped server with named tools reaches only its project.
		var scoped keyway.MCPServer
		s.call("POST", "/mcp-servers", map[string]any{"name": "keys of p", "projectId": p.ID,
			"config": map[string]any{"methods": []string{"custom", "create_a_the_auth_api_api_keys_auth", "list_all_the_auth_api_api_keys"}, "tags": []string{"api-keys"}}}).
			want(t, 201).decode(t, &scoped)
		cs2, err := s.connectMCP("Authorization", "Bearer "+scoped.Token.Reveal())
		if err != nil {
			t.Fatal(err)
		}
		defer cs2.Close()
		if got := toolNames(t, cs2); !slices.Equal(got, []string{"create_a_the_auth_api_api_keys_auth", "list_all_the_auth_api_api_keys"}) {
			t.Fatalf("scoped tools %v", got)
		}
		res, err = cs2.CallTool(context.Background(), &sdk.CallToolParams{Name: "create_a_the_auth_api_api_keys_auth", Arguments: map[string]any{"key": k.Key.Reveal()}})
		if err != nil || res.IsError {
			t.Fatalf("verify own key: %v %+v", err, res)
		}
		res, err = cs2.CallTool(context.Background(), &sdk.CallToolParams{Name: "create_a_the_auth_api_api_keys_auth", Arguments: map[string]any{"key": otherKey.Key.Reveal()}})
		if err != nil || !res.IsError {
			t.Fatalf("verified another project's key: %v %+v", err, res)
		}
		res, err = cs2.CallTool(context.Background(), &sdk.CallToolParams{Name: "list_all_the_auth_api_api_keys", Arguments: map[string]any{"projectId": other.ID}})
		if err != nil || !res.IsError {
			t.Fatalf("listed another project's keys: %v %+v", err, res)
		}

		// Revoked: 401 at once, on /mcp and on REST.
		s.call("DELETE", "/mcp-servers/"+scoped.ID, nil).want(t, 200)
		if _, err := s.connectMCP("x-api-key", scoped.Token.Reveal()); err == nil {
			t.Fatal("a revoked MCP server connected")
		}
		s.callAs(scoped.Token.Reveal(), "POST", "/api-keys/auth/"+k.Key.Reveal(), nil).want(t, 401)

		// Admins only; bad configurations are 400.
		var ak keyway.AccessKey
		s.call("POST", "/access-keys", map[string]any{"name": "pk", "projectId": p.ID}).want(t, 201).decode(t, &ak)
		s.callAs(ak.Key.Reveal(), "POST", "/mcp-servers", map[string]any{"name": "x", "config": map[string]any{"methods": []string{"read"}}}).want(t, 403)
		s.call("POST", "/mcp-servers", map[string]any{"name": "x", "config": map[string]any{"methods": []string{"everything"}}}).want(t, 400)
		s.call("POST", "/mcp-servers", map[string]any{"name": "x", "config": map[string]any{"methods": []string{}}}).want(t, 400)
		s.call("POST", "/mcp-servers", map[string]any{"name": "x", "config": map[string]any{"methods": []string{"read"}, "tags": []string{"nope"}}}).want(t, 400)
	})
}

// Changing an MCP server changes what its token may do at once; an expiry
// ends it; the list never shows tokens; bad input is 400, nothing partial.
func TestMCPServerChangesAndExpiry(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		p := s.newProject("p", keyway.EnvLive)
		k := s.newKey(p.ID, nil)
		expires := s.Clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		var srv keyway.MCPServer
		s.call("POST", "/mcp-servers", map[string]any{"name": "reader", "expiresAt": expires,
			"config": map[string]any{"methods": []string{"read"}, "tags": []string{"api-keys"}}}).want(t, 201).decode(t, &srv)

		// Reads of keys only: writes and other areas are refused over REST.
		s.callAs(srv.Token.Reveal(), "GET", "/api-keys/"+k.Key.Reveal(), nil).want(t, 200)
		s.callAs(srv.Token.Reveal(), "GET", "/projects/"+p.ID, nil).want(t, 403)
		s.callAs(srv.Token.Reveal(), "DELETE", "/api-keys/"+k.Key.Reveal(), nil).want(t, 403)

		// Widened to write: the same token may revoke now.
		var changed keyway.MCPServer
		s.call("PATCH", "/mcp-servers/"+srv.ID, map[string]any{"name": "keeper", "config": map[string]any{"methods": []string{"read", "write"}, "tags": []string{"api-keys"}}}).
			want(t, 200).decode(t, &changed)
		if changed.Name != "keeper" || changed.Token != "" || !slices.Equal(changed.Config.Methods, []string{"read", "write"}) {
			t.Fatalf("changed %+v", changed)
		}
		s.callAs(srv.Token.Reveal(), "DELETE", "/api-keys/"+k.Key.Reveal(), nil).want(t, 200)

		// Bad changes are 400 and change nothing.
		s.call("PATCH", "/mcp-servers/"+srv.ID, map[string]any{"config": nil}).want(t, 400)
		s.call("PATCH", "/mcp-servers/"+srv.ID, map[string]any{"config": map[string]any{"methods": []string{"delete_everything"}}}).want(t, 400)
		s.call("PATCH", "/mcp-servers/"+srv.ID, map[string]any{"expiresAt": s.Clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339)}).want(t, 400)
		// A date that does not parse is named as sent, not as an API key's expiry.
		s.call("PATCH", "/mcp-servers/"+srv.ID, map[string]any{"expiresAt": "next week"}).want(t, 400).
			wantJSON(t, `{"statusCode":400,"message":["expiresAt must be a valid ISO 8601 date string"],"error":"Bad Request"}`)
		s.call("POST", "/mcp-servers", map[string]any{"name": "bad date", "expiresAt": 7, "config": map[string]any{"methods": []string{"read"}}}).want(t, 400).
			wantJSON(t, `{"statusCode":400,"message":["expiresAt must be a valid ISO 8601 date string"],"error":"Bad Request"}`)
		s.call("POST", "/mcp-servers", map[string]any{"name": "late", "expiresAt": s.Clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339),
			"config": map[string]any{"methods": []string{"read"}}}).want(t, 400)
		var again keyway.MCPServer
		s.call("GET", "/mcp-servers/"+srv.ID, nil).want(t, 200).decode(t, &again)
		if again.Name != "keeper" || again.ExpiresAt == nil {
			t.Fatalf("after refused changes %+v", again)
		}

		// The list shows servers without tokens.
		r := s.call("GET", "/mcp-servers", nil).want(t, 200)
		var all []keyway.MCPServer
		r.decode(t, &all)
		if len(all) != 1 || all[0].ID != srv.ID || strings.Contains(string(r.Body), srv.Token.Reveal()) {
			t.Fatalf("list %s", r.Body)
		}

		// Past its expiry the token is refused, on REST and on /mcp.
		s.Clock.Advance(time.Hour)
		s.callAs(srv.Token.Reveal(), "GET", "/api-keys/"+k.Key.Reveal(), nil).want(t, 401)
		if _, err := s.connectMCP("x-api-key", srv.Token.Reveal()); err == nil {
			t.Fatal("an expired MCP server connected")
		}

		// Revoked twice: the second is 404; other accounts see nothing.
		s.call("DELETE", "/mcp-servers/"+srv.ID, nil).want(t, 200)
		s.call("DELETE", "/mcp-servers/"+srv.ID, nil).want(t, 404)
		_, otherKey := s.seedAccount()
		s.callAs(otherKey, "GET", "/mcp-servers/"+srv.ID, nil).want(t, 404)
		s.callAs(otherKey, "GET", "/mcp-servers?accountId="+s.AccountID, nil).want(t, 403)
	})
}
