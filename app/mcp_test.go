package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway/keywaytest"
)

// headerTransport adds a credential to every request of an MCP client.
type headerTransport struct {
	name, value string
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.name, h.value)
	return http.DefaultTransport.RoundTrip(r)
}

// mcpSession connects the SDK's own client to /mcp with a credential.
func (s *server) mcpSession(t testing.TB, header, value string) *sdk.ClientSession {
	t.Helper()
	client := sdk.NewClient(&sdk.Implementation{Name: "keyway-test", Version: "0"}, nil)
	transport := &sdk.StreamableClientTransport{Endpoint: s.URL + "/mcp", HTTPClient: &http.Client{Transport: headerTransport{header, value}}}
	cs, err := client.Connect(context.Background(), transport, nil)
	if err != nil {
		t.Fatalf("connect to /mcp: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

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
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "list_all_the_auth_api_projects", Arguments: map[string]any{"accountId": s.AccountID}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	if res.IsError {
		t.Fatalf("list projects: %s", b)
	}
	t.Logf("%s", b)
	res, err = cs.CallTool(context.Background(), &sdk.CallToolParams{Name: "get_single_the_auth_api_project_by_id", Arguments: map[string]any{"id": "nope"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(res)
	if !res.IsError {
		t.Fatalf("unknown project: %s", b)
	}
	t.Logf("%s", b)
}
