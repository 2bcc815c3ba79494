package ui_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/keywaytest"
)

// The access keys and MCP servers pages (issue 14, journey 5): an admin
// creates both, each shown once; an MCP server's token, taken from the page,
// works in the official MCP SDK until it is revoked.
func TestAccessPages(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		d := start(t, dbURL)
		admin := d.setUp(t, "admin@example.com")
		_, accounts := rest(t, d, "GET", "/accounts", d.AccessKey, "")
		acct := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(accounts)[1]
		var ak accessFixture
		var mcpID string
		if !t.Run("access keys", func(t *testing.T) { ak = testAccessKeys(t, d, admin, acct) }) ||
			!t.Run("mcp servers", func(t *testing.T) { mcpID = testMCPServers(t, d, admin, acct) }) {
			return
		}
		t.Run("project admin", func(t *testing.T) { testAccessProjectAdmin(t, d, admin, acct) })
		t.Run("viewer", func(t *testing.T) { testAccessViewer(t, d, acct, ak, mcpID) })
		t.Run("other account", func(t *testing.T) { testAccessOtherAccount(t, d, ak, mcpID) })
	})
}

// accessFixture is an access key the admin made, for the role tests.
type accessFixture struct{ Key, ID string }

func accessKeyID(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

var (
	newAccessKeyRE = regexp.MustCompile(`<code data-testid="new-access-key" id="new-access-key">([^<]+)</code>`)
	mcpTokenRE     = regexp.MustCompile(`<code data-testid="mcp-token" id="mcp-token">([^<]+)</code>`)
	mcpSnippetRE   = regexp.MustCompile(`(?s)<pre id="mcp-snippet" data-testid="mcp-snippet">(.*?)</pre>`)
	mcpLinkRE      = regexp.MustCompile(`<td><a href="/ui/mcp-servers/([^"/]+)">`)
	inlineRE       = regexp.MustCompile(`<script>|<script [^>]*>[^<]|style=|<style| on[a-z]+=`)
)

// evilName is markup a person may type as a name: every page must show it
// as text.
const evilName = `<img src=x onerror=alert(1)>`

// noInline fails when a page has inline script, style or event handlers.
func noInline(t testing.TB, a *answer) *answer {
	t.Helper()
	// The page's own escaped text may hold "onerror=": only markup counts.
	body := strings.ReplaceAll(a.Body, "&lt;img src=x onerror=alert(1)&gt;", "")
	if inlineRE.MatchString(body) {
		t.Fatalf("inline script, style or handler:\n%s", a.Body)
	}
	return a
}

func testAccessKeys(t *testing.T, d *dash, b *browser, acct string) accessFixture {
	list := noInline(t, b.get("/ui/access-keys").want(t, 200)).has(t, "<h1>Access keys</h1>", "New access key", `for="ak-status">Status`)
	// The key printed at first start is listed, masked.
	boot := d.AccessKey
	list.lacks(t, boot).has(t, boot[:len("live_access_")+4]+"…"+boot[len(boot)-4:], "Whole account")
	noInline(t, b.get("/ui/access-keys/new").want(t, 200)).has(t, `for="ak-name">Name`, `for="ak-scope">Scope`, `for="ak-rl">Rate limit`, "Create access key", "Whole account")

	// Bad input: the form again, 400, with what was typed.
	b.post("/ui/access-keys", url.Values{"name": {""}, "rateLimit": {"5"}, "rateLimitTtl": {"60"}}).want(t, 400).has(t, `role="alert"`, `value="5"`, `value="60"`)
	b.post("/ui/access-keys", url.Values{"name": {"kept name"}, "rateLimit": {"many"}}).want(t, 400).
		has(t, "whole numbers", `value="kept name"`, `value="many"`)
	b.post("/ui/access-keys", url.Values{"name": {"half"}, "rateLimit": {"5"}}).want(t, 400).has(t, "rateLimitTtl", `value="half"`)
	b.post("/ui/access-keys", url.Values{"name": {"x"}, "scope": {"00000000-0000-7000-8000-000000000000"}}).want(t, 403)

	// Created: shown once, in the POST's answer, and it works.
	created := b.post("/ui/access-keys", url.Values{"name": {evilName}, "rateLimit": {"100"}, "rateLimitTtl": {"60"}}).want(t, 200)
	noInline(t, created).has(t, "Copy your new access key", "Copy access key", "It will not be shown again.", "&lt;img src=x onerror=alert(1)&gt;").lacks(t, evilName)
	key := newAccessKeyRE.FindStringSubmatch(created.Body)[1]
	if !strings.HasPrefix(key, "live_access_") || !strings.Contains(created.Body, "x-api-key: "+key) {
		t.Fatalf("access key %q or its snippet missing:\n%s", key, created.Body)
	}
	if st, body := rest(t, d, "GET", "/projects?accountId="+acct, key, ""); st != 200 {
		t.Fatalf("the new access key: %d %s", st, body)
	}
	id := accessKeyID(key)
	// The list never holds a whole key, and names keys by digest only.
	list = b.get("/ui/access-keys").want(t, 200)
	list.lacks(t, key, boot, evilName).has(t, key[:len("live_access_")+4]+"…"+key[len(key)-4:], "100 / 60 s", "/ui/access-keys/"+id+"/rename", "/ui/access-keys/"+id+"/deactivate")

	// Rename: bad name kept and refused, then saved.
	noInline(t, b.get("/ui/access-keys/"+id+"/rename").want(t, 200)).has(t, "Save", `for="ak-name">Name`).lacks(t, key)
	b.post("/ui/access-keys/"+id+"/rename", url.Values{"name": {""}}).want(t, 400).has(t, `role="alert"`)
	b.post("/ui/access-keys/"+id+"/rename", url.Values{"name": {"deploy bot"}}).redirects(t, "/ui/access-keys")
	b.get("/ui/access-keys").has(t, "<td>deploy bot</td>").lacks(t, "&lt;img")

	// Deactivate, confirmed on its own page; without the form's token
	// nothing happens.
	noInline(t, b.get("/ui/access-keys/"+id+"/deactivate").want(t, 200)).has(t, "Deactivate access key", "Cancel").lacks(t, key)
	b.do("POST", "/ui/access-keys/"+id+"/deactivate", url.Values{}, "Origin", d.URL).want(t, 403)
	if st, _ := rest(t, d, "GET", "/projects?accountId="+acct, key, ""); st != 200 {
		t.Fatal("a refused deactivation deactivated the key")
	}
	b.post("/ui/access-keys/"+id+"/deactivate", nil).redirects(t, "/ui/access-keys")
	if st, _ := rest(t, d, "GET", "/projects?accountId="+acct, key, ""); st != 401 {
		t.Fatalf("a deactivated access key answers %d", st)
	}
	b.get("/ui/access-keys?status=deactivated").want(t, 200).has(t, "deploy bot", "Deactivated", "Reactivate").lacks(t, key)
	b.get("/ui/access-keys?status=active").lacks(t, "deploy bot")
	b.post("/ui/access-keys/"+id+"/deactivate", nil).want(t, 404)
	b.post("/ui/access-keys/"+id+"/reactivate", nil).redirects(t, "/ui/access-keys")
	if st, _ := rest(t, d, "GET", "/projects?accountId="+acct, key, ""); st != 200 {
		t.Fatalf("a reactivated access key answers %d", st)
	}
	b.post("/ui/access-keys/"+id+"/reactivate", nil).want(t, 409)
	b.get("/ui/access-keys?status=active").has(t, "deploy bot")

	// Unknown and malformed ids are 404 pages, not 500s.
	b.get("/ui/access-keys/"+strings.Repeat("ab", 32)+"/rename").want(t, 404)
	b.get("/ui/access-keys/"+key+"/rename").want(t, 404)
	b.post("/ui/access-keys/nothex/deactivate", nil).want(t, 404)
	return accessFixture{Key: key, ID: id}
}

// mcpHeader adds a header to every request of an MCP client.
type mcpHeader struct{ name, value string }

func (h mcpHeader) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.name, h.value)
	return http.DefaultTransport.RoundTrip(r)
}

// mcpClientConfig is the snippet's shape.
type mcpClientConfig struct {
	MCPServers map[string]struct {
		Type    string            `json:"type"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	} `json:"mcpServers"`
}

// connect connects the official MCP SDK's client the way the snippet says.
func (c mcpClientConfig) connect(ctx context.Context) (*sdk.ClientSession, error) {
	s := c.MCPServers["keyway"]
	var hd mcpHeader
	for k, v := range s.Headers {
		hd = mcpHeader{k, v}
	}
	client := sdk.NewClient(&sdk.Implementation{Name: "keyway-ui-test", Version: "0"}, nil)
	return client.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: s.URL, HTTPClient: &http.Client{Transport: hd}}, nil)
}

func testMCPServers(t *testing.T, d *dash, b *browser, acct string) string {
	ctx := context.Background()
	noInline(t, b.get("/ui/mcp-servers").want(t, 200)).has(t, "<h1>MCP servers</h1>", "New MCP server", "has no MCP servers yet")
	// The picker lists every tool of the operation table, by area.
	form := noInline(t, b.get("/ui/mcp-servers/new").want(t, 200))
	form.has(t, `for="mcp-name">Name`, `for="mcp-scope">Scope`, `for="mcp-expires">Expires at`, "All read tools", "All write tools", "<legend>api-keys</legend>", "<legend>access-keys</legend>", "Create MCP server")
	n := 0
	for _, o := range api.Declarations() {
		for _, name := range o.Tools {
			n++
			form.has(t, `name="tools" value="`+name+`"`)
		}
	}
	if n != 57 {
		t.Fatalf("%d tools in the table, want the catalogue's 57", n)
	}

	// Bad input: 400, the form again with the choices kept.
	future := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02T15:04")
	b.post("/ui/mcp-servers", url.Values{"name": {"no tools"}, "expiresAt": {future}}).want(t, 400).
		has(t, `role="alert"`, "Choose the tools", `value="no tools"`, `value="`+future+`"`)
	b.post("/ui/mcp-servers", url.Values{"name": {"unknown"}, "tools": {"list_all_the_auth_api_projects", "drop_all_tables"}}).want(t, 400).
		has(t, `drop_all_tables`, `value="unknown"`, `value="list_all_the_auth_api_projects" checked`)
	b.post("/ui/mcp-servers", url.Values{"name": {"bad date"}, "methods": {"read"}, "expiresAt": {"next week"}}).want(t, 400).
		has(t, "Expires at is not a date and time", `value="next week"`, `value="read" checked`)
	b.post("/ui/mcp-servers", url.Values{"name": {"late"}, "methods": {"read"}, "expiresAt": {"2000-01-01T00:00"}}).want(t, 400).
		has(t, "in the future", `value="late"`)
	b.post("/ui/mcp-servers", url.Values{"name": {"bad area"}, "methods": {"read"}, "tags": {"everything"}}).want(t, 400).has(t, "config.tags")
	b.get("/ui/mcp-servers").has(t, "has no MCP servers yet")

	// Created: the token once, with the client configuration.
	allowed := []string{"get_single_the_auth_api_project_by_id", "list_all_the_auth_api_projects"}
	created := b.post("/ui/mcp-servers", url.Values{"name": {evilName}, "tools": allowed, "tags": {"projects"}, "expiresAt": {future}}).want(t, 200)
	noInline(t, created).has(t, "Copy the token of &lt;img", "Copy token", "Copy configuration", "It will not be shown again.", d.URL+"/mcp").lacks(t, evilName)
	token := mcpTokenRE.FindStringSubmatch(created.Body)[1]
	var cfg mcpClientConfig
	if err := json.Unmarshal([]byte(html.UnescapeString(mcpSnippetRE.FindStringSubmatch(created.Body)[1])), &cfg); err != nil {
		t.Fatalf("snippet: %v\n%s", err, created.Body)
	}
	if s := cfg.MCPServers["keyway"]; s.Type != "http" || s.URL != d.URL+"/mcp" || s.Headers["Authorization"] != "Bearer "+token || !strings.HasPrefix(token, "kwmcp_") {
		t.Fatalf("snippet %+v for token %q", cfg, token)
	}

	// The snippet, as an MCP client takes it: the official SDK connects,
	// sees exactly the chosen tools and runs one.
	cs, err := cfg.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, allowed) {
		t.Fatalf("tools %v, want %v", names, allowed)
	}
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "list_all_the_auth_api_projects", Arguments: map[string]any{"accountId": acct}})
	if err != nil || res.IsError {
		t.Fatalf("list projects over MCP: %v %+v", err, res)
	}
	if res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "create_a_the_auth_api_project", Arguments: map[string]any{"name": "agent's", "accountId": acct}}); err == nil && !res.IsError {
		t.Fatal("the MCP server ran a tool it was not given")
	}
	cs.Close()

	// The list shows it without its token.
	list := noInline(t, b.get("/ui/mcp-servers").want(t, 200)).lacks(t, token, evilName).has(t, "&lt;img", "2 named tools", "areas: projects", "Active", "Revoke")
	id := mcpLinkRE.FindStringSubmatch(list.Body)[1]
	noInline(t, b.get("/ui/mcp-servers/"+id).want(t, 200)).has(t, "list_all_the_auth_api_projects", "projects", "Revoke").lacks(t, token)

	// Revoked, after a confirmation: the token is refused at once.
	noInline(t, b.get("/ui/mcp-servers/"+id+"/revoke").want(t, 200)).has(t, "Revoke MCP server", "Cancel")
	b.do("POST", "/ui/mcp-servers/"+id+"/revoke", url.Values{}, "Origin", d.URL).want(t, 403)
	b.post("/ui/mcp-servers/"+id+"/revoke", nil).redirects(t, "/ui/mcp-servers")
	if cs, err := cfg.connect(ctx); err == nil {
		cs.Close()
		t.Fatal("a revoked MCP server's token connected")
	}
	b.get("/ui/mcp-servers").has(t, "Revoked").lacks(t, `aria-label="Revoke &lt;img`)
	b.post("/ui/mcp-servers/"+id+"/revoke", nil).want(t, 404)
	b.get("/ui/mcp-servers/00000000-0000-7000-8000-000000000000").want(t, 404)
	b.get("/ui/mcp-servers/not-an-id/revoke").want(t, 404)

	// A second one, left active for the role tests: all read tools.
	again := b.post("/ui/mcp-servers", url.Values{"name": {"reader"}, "methods": {"read"}}).want(t, 200)
	var cfg2 mcpClientConfig
	if err := json.Unmarshal([]byte(html.UnescapeString(mcpSnippetRE.FindStringSubmatch(again.Body)[1])), &cfg2); err != nil {
		t.Fatal(err)
	}
	id2 := ""
	for _, m := range mcpLinkRE.FindAllStringSubmatch(b.get("/ui/mcp-servers").has(t, "all read tools").Body, -1) {
		if m[1] != id {
			id2 = m[1]
		}
	}
	if id2 == "" {
		t.Fatal("the second server is not listed")
	}

	// Edit: the form shows what it has; a bad change is refused with the
	// input kept; a good one changes what the same token may do at once.
	edit := "/ui/mcp-servers/" + id2 + "/edit"
	noInline(t, b.get(edit).want(t, 200)).has(t, "Edit reader", `value="reader"`, `value="read" checked`, "cannot be changed", "Save")
	b.post(edit, url.Values{"name": {"reader 2"}}).want(t, 400).has(t, "Choose the tools", `value="reader 2"`)
	b.post(edit, url.Values{"name": {"reader 2"}, "methods": {"read"}, "expiresAt": {"2000-01-01T00:00"}}).want(t, 400).has(t, "in the future", `value="2000-01-01T00:00"`)
	b.post(edit, url.Values{"name": {"reader 2"}, "tools": {"list_all_the_auth_api_projects"}, "expiresAt": {future}}).redirects(t, "/ui/mcp-servers/"+id2)
	b.get("/ui/mcp-servers/"+id2).want(t, 200).has(t, "<h1>reader 2</h1>", "1 named tool", "list_all_the_auth_api_projects")
	cs, err = cfg2.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if tools, err := cs.ListTools(ctx, nil); err != nil || len(tools.Tools) != 1 || tools.Tools[0].Name != "list_all_the_auth_api_projects" {
		t.Fatalf("tools after the edit: %v %+v", err, tools)
	}
	// A revoked server stays revoked whatever is changed.
	b.post("/ui/mcp-servers/"+id+"/edit", url.Values{"name": {"revived"}, "methods": {"read"}}).redirects(t, "/ui/mcp-servers/"+id)
	b.get("/ui/mcp-servers/"+id).has(t, "<h1>revived</h1>", "Revoked").lacks(t, "/edit")
	if cs, err := cfg.connect(ctx); err == nil {
		cs.Close()
		t.Fatal("a revoked MCP server's token connected after an edit")
	}
	return id2
}

// A viewer of the account sees neither list nor any control, and forged
// POSTs from their session are refused by the service.
func testAccessViewer(t *testing.T, d *dash, acct string, ak accessFixture, mcpID string) {
	v := inviteViewer(t, d, "viewer@example.com")
	v.get("/ui/access-keys").want(t, 403).has(t, "Only admins").lacks(t, "New access key", "Rename", "Deactivate", ak.ID, ak.Key[len(ak.Key)-4:])
	v.get("/ui/access-keys/new").want(t, 403)
	v.get("/ui/access-keys/"+ak.ID+"/rename").want(t, 403)
	v.post("/ui/access-keys", url.Values{"name": {"forged"}}).want(t, 403)
	v.post("/ui/access-keys/"+ak.ID+"/rename", url.Values{"name": {"forged"}}).want(t, 403)
	v.post("/ui/access-keys/"+ak.ID+"/deactivate", nil).want(t, 403)
	if st, _ := rest(t, d, "GET", "/projects?accountId="+acct, ak.Key, ""); st != 200 {
		t.Fatal("a viewer's forged deactivation took effect")
	}
	v.get("/ui/mcp-servers").want(t, 403).has(t, "Only admins").lacks(t, "New MCP server", "Revoke", mcpID)
	v.get("/ui/mcp-servers/new").want(t, 403)
	v.get("/ui/mcp-servers/"+mcpID).want(t, 403)
	v.post("/ui/mcp-servers", url.Values{"name": {"forged"}, "methods": {"read"}}).want(t, 403)
	v.post("/ui/mcp-servers/"+mcpID+"/revoke", nil).want(t, 403)
	v.get("/ui/mcp-servers/"+mcpID+"/edit").want(t, 403)
	v.post("/ui/mcp-servers/"+mcpID+"/edit", url.Values{"name": {"forged"}, "methods": {"read", "write"}}).want(t, 403)
	admin := d.signIn(t, "admin@example.com", "a long password 1")
	admin.get("/ui/access-keys").has(t, "deploy bot").lacks(t, "forged")
	admin.get("/ui/mcp-servers").has(t, "reader 2", "Active", "1 named tool").lacks(t, "forged")
}

// The admin of another account finds nothing of this one: 404 for its ids.
func testAccessOtherAccount(t *testing.T, d *dash, ak accessFixture, mcpID string) {
	if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"other@example.com","password":"other password 1","name":"Other"}`); st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	o := d.signIn(t, "other@example.com", "other password 1")
	o.get("/ui/access-keys").want(t, 200).lacks(t, "deploy bot", ak.ID).has(t, "New access key")
	o.get("/ui/mcp-servers").want(t, 200).lacks(t, "reader", mcpID).has(t, "has no MCP servers yet")
	o.get("/ui/access-keys/"+ak.ID+"/rename").want(t, 404)
	o.post("/ui/access-keys/"+ak.ID+"/rename", url.Values{"name": {"stolen"}}).want(t, 404)
	o.post("/ui/access-keys/"+ak.ID+"/deactivate", nil).want(t, 404)
	o.post("/ui/access-keys/"+ak.ID+"/reactivate", nil).want(t, 404)
	o.get("/ui/mcp-servers/"+mcpID).want(t, 404)
	o.get("/ui/mcp-servers/"+mcpID+"/revoke").want(t, 404)
	o.post("/ui/mcp-servers/"+mcpID+"/revoke", nil).want(t, 404)
	o.get("/ui/mcp-servers/"+mcpID+"/edit").want(t, 404)
	o.post("/ui/mcp-servers/"+mcpID+"/edit", url.Values{"name": {"stolen"}, "methods": {"read"}}).want(t, 404)
	// Its own access key is its own to manage; another account's
	// project is not a scope it can pick.
	o.post("/ui/access-keys", url.Values{"name": {"mine"}}).want(t, 200).has(t, "Copy your new access key")
}

// An admin of one project only manages that project's access keys and
// MCP servers: the account's own are out of sight, and an account-level
// one is refused.
func testAccessProjectAdmin(t *testing.T, d *dash, admin *browser, acct string) {
	admin.post("/ui/projects", url.Values{"name": {"Narrow"}, "env": {"live"}}).want(t, 303)
	pid := regexp.MustCompile(`href="/ui/projects/([^/"]+)/keys">Narrow<`).FindStringSubmatch(admin.get("/ui/?env=live").Body)[1]
	st, inv := rest(t, d, "POST", "/invitations", d.AccessKey, `{"emails":["padmin@example.com"],"role":"admin","accountId":"`+acct+`","projectIds":["`+pid+`"]}`)
	if st != 201 {
		t.Fatalf("invite: %d %s", st, inv)
	}
	invID := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(inv)[1]
	if st, body := rest(t, d, "POST", "/auth/signup", "", `{"email":"padmin@example.com","password":"padmin password 1","name":"Pa","invitationId":"`+invID+`"}`); st != 201 {
		t.Fatalf("signup: %d %s", st, body)
	}
	p := d.signIn(t, "padmin@example.com", "padmin password 1")
	p.get("/ui/access-keys").want(t, 200).has(t, "New access key", "This project has no access keys yet").lacks(t, "deploy bot", "Bootstrap access key")
	p.get("/ui/access-keys/new").want(t, 200).has(t, "Project Narrow (live)").lacks(t, "Whole account")
	p.post("/ui/access-keys", url.Values{"name": {"wide"}}).want(t, 403)
	created := p.post("/ui/access-keys", url.Values{"name": {"narrow key"}, "scope": {pid}}).want(t, 200)
	key := newAccessKeyRE.FindStringSubmatch(created.Body)[1]
	p.get("/ui/access-keys").want(t, 200).has(t, "<td>narrow key</td>", "Project Narrow (live)", "/ui/access-keys/"+accessKeyID(key)+"/rename").lacks(t, key)
	admin.get("/ui/access-keys?project="+pid).want(t, 200).has(t, "narrow key").lacks(t, "deploy bot")
	admin.get("/ui/access-keys").has(t, "narrow key", "deploy bot")

	p.get("/ui/mcp-servers").want(t, 200).has(t, "New MCP server").lacks(t, "reader 2")
	p.post("/ui/mcp-servers", url.Values{"name": {"wide"}, "methods": {"read"}}).want(t, 403)
	p.post("/ui/mcp-servers", url.Values{"name": {"narrow agent"}, "methods": {"read"}, "scope": {pid}}).want(t, 200).has(t, "Copy token")
	p.get("/ui/mcp-servers").has(t, "narrow agent", "Project Narrow (live)").lacks(t, "reader 2")
}
