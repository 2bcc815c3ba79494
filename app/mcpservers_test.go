package app_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

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
		if !strings.HasPrefix(readOnly.Token, keyway.MCPTokenPrefix) || readOnly.URL != s.URL+"/mcp" || readOnly.AccountID != s.AccountID || !readOnly.IsActive {
			t.Fatalf("created %+v", readOnly)
		}
		// The token is shown once.
		r := s.call("GET", "/mcp-servers/"+readOnly.ID, nil).want(t, 200)
		if strings.Contains(string(r.Body), readOnly.Token) || strings.Contains(string(r.Body), `"token"`) {
			t.Fatalf("token shown again: %s", r.Body)
		}

		// A read-only server lists exactly the GET tools, and runs them.
		var wantRead []string
		for _, o := range api.Operations(nil, nil) {
			if o.Method == http.MethodGet {
				wantRead = append(wantRead, o.Tools...)
			}
		}
		slices.Sort(wantRead)
		cs, err := s.connectMCP("x-api-key", readOnly.Token)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		if got := toolNames(t, cs); !slices.Equal(got, wantRead) {
			t.Fatalf("read-only tools %v, want %v", got, wantRead)
		}
		res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "get_single_the_auth_api_api_key_by_id", Arguments: map[string]any{"key": k.Key}})
		if err != nil || res.IsError {
			t.Fatalf("read a key: %v %+v", err, res)
		}
		// It cannot run a write tool, over MCP or over REST.
		if res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "delete_a_the_auth_api_api_key_by_id", Arguments: map[string]any{"key": k.Key}}); err == nil && !res.IsError {
			t.Fatal("a read-only MCP server deleted a key")
		}
		s.callAs(readOnly.Token, "DELETE", "/api-keys/"+k.Key, nil).want(t, 403)
		s.callAs(readOnly.Token, "GET", "/api-keys/"+k.Key, nil).want(t, 200)
		// Nor anything outside the tools: Keyway's own extensions, MCP servers.
		s.callAs(readOnly.Token, "GET", "/mcp-servers", nil).want(t, 403)

		// A project-scoped server with named tools reaches only its project.
		var scoped keyway.MCPServer
		s.call("POST", "/mcp-servers", map[string]any{"name": "keys of p", "projectId": p.ID,
			"config": map[string]any{"methods": []string{"custom", "create_a_the_auth_api_api_keys_auth", "list_all_the_auth_api_api_keys"}, "tags": []string{"api-keys"}}}).
			want(t, 201).decode(t, &scoped)
		cs2, err := s.connectMCP("Authorization", "Bearer "+scoped.Token)
		if err != nil {
			t.Fatal(err)
		}
		defer cs2.Close()
		if got := toolNames(t, cs2); !slices.Equal(got, []string{"create_a_the_auth_api_api_keys_auth", "list_all_the_auth_api_api_keys"}) {
			t.Fatalf("scoped tools %v", got)
		}
		res, err = cs2.CallTool(context.Background(), &sdk.CallToolParams{Name: "create_a_the_auth_api_api_keys_auth", Arguments: map[string]any{"key": k.Key}})
		if err != nil || res.IsError {
			t.Fatalf("verify own key: %v %+v", err, res)
		}
		res, err = cs2.CallTool(context.Background(), &sdk.CallToolParams{Name: "create_a_the_auth_api_api_keys_auth", Arguments: map[string]any{"key": otherKey.Key}})
		if err != nil || !res.IsError {
			t.Fatalf("verified another project's key: %v %+v", err, res)
		}
		res, err = cs2.CallTool(context.Background(), &sdk.CallToolParams{Name: "list_all_the_auth_api_api_keys", Arguments: map[string]any{"projectId": other.ID}})
		if err != nil || !res.IsError {
			t.Fatalf("listed another project's keys: %v %+v", err, res)
		}

		// Revoked: 401 at once, on /mcp and on REST.
		s.call("DELETE", "/mcp-servers/"+scoped.ID, nil).want(t, 200)
		if _, err := s.connectMCP("x-api-key", scoped.Token); err == nil {
			t.Fatal("a revoked MCP server connected")
		}
		s.callAs(scoped.Token, "POST", "/api-keys/auth/"+k.Key, nil).want(t, 401)

		// Admins only; bad configurations are 400.
		var ak keyway.AccessKey
		s.call("POST", "/access-keys", map[string]any{"name": "pk", "projectId": p.ID}).want(t, 201).decode(t, &ak)
		s.callAs(ak.Key, "POST", "/mcp-servers", map[string]any{"name": "x", "config": map[string]any{"methods": []string{"read"}}}).want(t, 403)
		s.call("POST", "/mcp-servers", map[string]any{"name": "x", "config": map[string]any{"methods": []string{"everything"}}}).want(t, 400)
		s.call("POST", "/mcp-servers", map[string]any{"name": "x", "config": map[string]any{"methods": []string{}}}).want(t, 400)
		s.call("POST", "/mcp-servers", map[string]any{"name": "x", "config": map[string]any{"methods": []string{"read"}, "tags": []string{"nope"}}}).want(t, 400)
	})
}
