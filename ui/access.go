package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/service"
)

// accessService is what the access keys and MCP servers pages call.
type accessService interface {
	ListAccessKeys(ctx context.Context, c *keyway.Caller, accountID, projectID string, isActive *bool, page keyway.Page) ([]*keyway.AccessKey, string, error)
	CreateAccessKey(ctx context.Context, c *keyway.Caller, in *keyway.AccessKeyCreate) (*keyway.AccessKey, error)
	AccessKeyByID(ctx context.Context, c *keyway.Caller, id string) (*keyway.AccessKey, error)
	RenameAccessKey(ctx context.Context, c *keyway.Caller, key string, in *keyway.Rename) (*keyway.AccessKey, error)
	DeactivateAccessKey(ctx context.Context, c *keyway.Caller, key string) error
	ReactivateAccessKey(ctx context.Context, c *keyway.Caller, key string) (*keyway.AccessKey, error)

	CreateMCPServer(ctx context.Context, c *keyway.Caller, in *keyway.MCPServerCreate) (*keyway.MCPServer, error)
	ListMCPServers(ctx context.Context, c *keyway.Caller, accountID string, page keyway.Page) ([]*keyway.MCPServer, string, error)
	GetMCPServer(ctx context.Context, c *keyway.Caller, id string) (*keyway.MCPServer, error)
	UpdateMCPServer(ctx context.Context, c *keyway.Caller, id string, in *keyway.MCPServerUpdate) (*keyway.MCPServer, error)
	RevokeMCPServer(ctx context.Context, c *keyway.Caller, id string) (*keyway.MCPServer, error)
}

// accessRoutes maps the access keys and MCP servers pages. Access keys are
// named in paths by service.AccessKeyID (a digest), never by their string.
func (h *handler) accessRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/access-keys", h.private(h.accessKeysPage))
	mux.HandleFunc("GET /ui/access-keys/new", h.private(h.newAccessKeyPage))
	mux.HandleFunc("POST /ui/access-keys", h.private(h.createAccessKey))
	mux.HandleFunc("GET /ui/access-keys/{id}/rename", h.private(h.renameAccessKeyPage))
	mux.HandleFunc("POST /ui/access-keys/{id}/rename", h.private(h.renameAccessKey))
	mux.HandleFunc("GET /ui/access-keys/{id}/deactivate", h.private(h.deactivateAccessKeyPage))
	mux.HandleFunc("POST /ui/access-keys/{id}/deactivate", h.private(h.deactivateAccessKey))
	mux.HandleFunc("POST /ui/access-keys/{id}/reactivate", h.private(h.reactivateAccessKey))

	mux.HandleFunc("GET /ui/mcp-servers", h.private(h.mcpServersPage))
	mux.HandleFunc("GET /ui/mcp-servers/new", h.private(h.newMCPServerPage))
	mux.HandleFunc("POST /ui/mcp-servers", h.private(h.createMCPServer))
	mux.HandleFunc("GET /ui/mcp-servers/{id}", h.private(h.mcpServerPage))
	mux.HandleFunc("GET /ui/mcp-servers/{id}/edit", h.private(h.editMCPServerPage))
	mux.HandleFunc("POST /ui/mcp-servers/{id}/edit", h.private(h.editMCPServer))
	mux.HandleFunc("GET /ui/mcp-servers/{id}/revoke", h.private(h.revokeMCPServerPage))
	mux.HandleFunc("POST /ui/mcp-servers/{id}/revoke", h.private(h.revokeMCPServer))
}

// accessPageSize is how many access keys or MCP servers one page shows.
const accessPageSize = 50

// accessScope is a choice of the scope select: the whole account (ID "")
// or one project.
type accessScope struct {
	ID, Label string
}

// accessScopes are what the caller may create an access key or MCP server for:
// the whole account when an admin of it, and each project it administers.
// names maps every project id of the account the caller sees to a label.
func (h *handler) accessScopes(r *http.Request, v *visit) (opts []accessScope, names map[string]string, err error) {
	opts, names, _, err = h.accessProjects(r, v)
	return opts, names, err
}

// accessProjects is accessScopes and also every project the caller sees,
// in the order ListProjects gives.
func (h *handler) accessProjects(r *http.Request, v *visit) (opts []accessScope, names map[string]string, seen []accessScope, err error) {
	names = map[string]string{}
	if v.Account == nil {
		return nil, names, nil, nil
	}
	if v.Caller.Can(keyway.RoleAdmin, v.Account.ID, "") {
		opts = append(opts, accessScope{Label: "Whole account (" + v.Account.Name + ")"})
	}
	cursor := ""
	for range 20 {
		ps, next, err := h.svc.ListProjects(r.Context(), v.Caller, v.Account.ID, keyway.Page{Limit: keyway.MaxPageLimit, Cursor: &cursor})
		if err != nil {
			return nil, nil, nil, err
		}
		for _, p := range ps {
			label := p.Name + " (" + string(p.Env) + ")"
			names[p.ID] = label
			seen = append(seen, accessScope{ID: p.ID, Label: label})
			if v.Caller.Can(keyway.RoleAdmin, v.Account.ID, p.ID) {
				opts = append(opts, accessScope{ID: p.ID, Label: "Project " + label})
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return opts, names, seen, nil
}

// accessScopeLabel names the scope of an access key or MCP server.
func accessScopeLabel(projectID *string, names map[string]string) string {
	if projectID == nil {
		return "Whole account"
	}
	if n, ok := names[*projectID]; ok {
		return "Project " + n
	}
	return "Project " + *projectID
}

// accessNoAccount is the error of a page that needs an account.
var accessNoAccount = keyway.Errorf(keyway.CodeForbidden, "You are not in any account yet. Ask an admin of your team to invite you.")

// --- Access keys -----------------------------------------------------------

// accessRow is one access key as the list shows it: masked, never the
// whole string.
type accessRow struct {
	ID, Name, Masked, Scope string
	Active, CanManage       bool
	RateLimit               string
	CreatedAt, UpdatedAt    keyway.Time
}

// maskAccessKey masks an access key as mask does an API key, keeping its
// whole prefix (live_access_ab12…yz89).
func maskAccessKey(k keyway.AccessKeySecret) string {
	s := k.Reveal()
	for _, env := range []keyway.Env{keyway.EnvLive, keyway.EnvTest} {
		if p := service.AccessKeyPrefix(env); strings.HasPrefix(s, p) {
			return p + maskKey(keyway.APIKeySecret(strings.TrimPrefix(s, p)))
		}
	}
	return maskKey(keyway.APIKeySecret(s))
}

func (h *handler) accessRow(v *visit, k *keyway.AccessKey, names map[string]string) accessRow {
	row := accessRow{ID: service.AccessKeyID(k), Name: k.Name, Masked: maskAccessKey(k.Key), Scope: accessScopeLabel(k.ProjectID, names),
		Active: k.IsActive, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt,
		CanManage: v.Caller.Can(keyway.RoleAdmin, k.AccountID, accessProjectOf(k.ProjectID))}
	if l := k.Limit(); l != nil {
		row.RateLimit = strconv.Itoa(l.RateLimit) + " / " + strconv.Itoa(l.RateLimitTTL) + " s"
	}
	return row
}

func accessProjectOf(id *string) string {
	if id == nil {
		return ""
	}
	return *id
}

// newAccessKey is an access key shown once, after create.
type newAccessKey struct {
	Key, Name, Base, AccountID string
}

// accessKeysData is the access keys page.
type accessKeysData struct {
	Account *keyway.Account
	Keys    []accessRow
	Status  string
	// Project narrows the list to one project ("" for the whole
	// account); Projects are the choices, AllProjects whether the whole
	// account is one (a person narrowed to projects sees one at a time).
	Project     string
	Projects    []accessScope
	AllProjects bool
	Next        string
	CanCreate   bool
	// Forbidden is set when the caller's role may not list them.
	Forbidden bool
	New       *newAccessKey
}

func (h *handler) accessKeysPage(w http.ResponseWriter, r *http.Request) {
	h.showAccessKeys(w, r, nil)
}

func (h *handler) showAccessKeys(w http.ResponseWriter, r *http.Request, nk *newAccessKey) {
	v := visitOf(r)
	q := r.URL.Query()
	d := accessKeysData{Account: v.Account, Status: q.Get("status"), New: nk}
	if d.Status != "active" && d.Status != "deactivated" {
		d.Status = "all"
	}
	if v.Account == nil {
		h.render(w, r, http.StatusOK, "access_keys", &page{Title: "Access keys", Data: d})
		return
	}
	opts, names, seen, err := h.accessProjects(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.CanCreate, d.Projects = len(opts) > 0, seen
	d.AllProjects = v.Caller.AccountWide(v.Account.ID)
	if d.Project = q.Get("project"); d.Project == "" && !d.AllProjects && len(seen) > 0 {
		d.Project = seen[0].ID
	}
	var active *bool
	switch d.Status {
	case "active":
		active = new(true)
	case "deactivated":
		active = new(false)
	}
	cursor := q.Get("cursor")
	keys, next, err := h.svc.ListAccessKeys(r.Context(), v.Caller, v.Account.ID, d.Project, active, keyway.Page{Limit: accessPageSize, Cursor: &cursor})
	if keyway.ErrorCode(err) == keyway.CodeForbidden {
		d.Forbidden = true
		h.render(w, r, http.StatusForbidden, "access_keys", &page{Title: "Access keys", Data: d})
		return
	}
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	for _, k := range keys {
		d.Keys = append(d.Keys, h.accessRow(v, k, names))
	}
	if next != "" {
		d.Next = "/ui/access-keys?" + url.Values{"cursor": {next}, "status": {d.Status}, "project": {d.Project}}.Encode()
	}
	h.render(w, r, http.StatusOK, "access_keys", &page{Title: "Access keys", Data: d})
}

// accessKeyForm is the new access key form, with the values typed.
type accessKeyForm struct {
	Scopes                               []accessScope
	Name, Scope, RateLimit, RateLimitTTL string
}

func (h *handler) newAccessKeyPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Account == nil {
		h.fail(w, r, v, accessNoAccount)
		return
	}
	opts, _, err := h.accessScopes(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if len(opts) == 0 {
		h.fail(w, r, v, keyway.Errorf(keyway.CodeForbidden, "Only an admin of this account or of one of its projects can create access keys."))
		return
	}
	h.render(w, r, http.StatusOK, "access_key_form", &page{Title: "New access key", Data: accessKeyForm{Scopes: opts}})
}

// accessInt reads a whole number field: nil when empty.
func accessInt(s string) (*int, bool) {
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, false
	}
	return &n, true
}

func (h *handler) createAccessKey(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Account == nil {
		h.fail(w, r, v, accessNoAccount)
		return
	}
	g := func(n string) string { return strings.TrimSpace(r.PostFormValue(n)) }
	f := accessKeyForm{Name: g("name"), Scope: g("scope"), RateLimit: g("rateLimit"), RateLimitTTL: g("rateLimitTtl")}
	in := &keyway.AccessKeyCreate{Name: f.Name, AccountID: v.Account.ID}
	if f.Scope != "" {
		in.ProjectID = &f.Scope
	}
	var err error
	n, ok1 := accessInt(f.RateLimit)
	ttl, ok2 := accessInt(f.RateLimitTTL)
	if !ok1 || !ok2 {
		err = keyway.Invalid("Rate limit and its window must be whole numbers")
	} else {
		in.RateLimit, in.RateLimitTTL = n, ttl
		var k *keyway.AccessKey
		if k, err = h.svc.CreateAccessKey(r.Context(), v.Caller, in); err == nil {
			r.URL.RawQuery = ""
			h.showAccessKeys(w, r, &newAccessKey{Key: k.Key.Reveal(), Name: k.Name, Base: h.base(r), AccountID: k.AccountID})
			return
		}
	}
	if !formError(err) {
		// Refused or gone: the error page, not the form.
		h.fail(w, r, v, err)
		return
	}
	f.Scopes, _, _ = h.accessScopes(r, v)
	h.render(w, r, status(err), "access_key_form", &page{Title: "New access key", Error: message(err), Data: f})
}

// accessKey loads the access key of the path, by its digest, with the
// caller's role.
func (h *handler) accessKey(w http.ResponseWriter, r *http.Request) (*keyway.AccessKey, bool) {
	k, err := h.svc.AccessKeyByID(r.Context(), visitOf(r).Caller, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, visitOf(r), err)
		return nil, false
	}
	return k, true
}

// accessKeyAction is the rename form and the deactivate confirmation.
type accessKeyAction struct {
	Key  accessRow
	Name string
}

func (h *handler) renameAccessKeyPage(w http.ResponseWriter, r *http.Request) {
	if k, ok := h.accessKey(w, r); ok {
		h.render(w, r, http.StatusOK, "access_key_rename", &page{Title: "Rename " + k.Name,
			Data: accessKeyAction{Key: h.accessRow(visitOf(r), k, nil), Name: k.Name}})
	}
}

func (h *handler) renameAccessKey(w http.ResponseWriter, r *http.Request) {
	k, ok := h.accessKey(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	_, err := h.svc.RenameAccessKey(r.Context(), visitOf(r).Caller, k.Key.Reveal(), &keyway.Rename{Name: name})
	if err == nil {
		http.Redirect(w, r, "/ui/access-keys", http.StatusSeeOther)
		return
	}
	if status(err) != http.StatusBadRequest {
		h.fail(w, r, visitOf(r), err)
		return
	}
	h.render(w, r, status(err), "access_key_rename", &page{Title: "Rename " + k.Name, Error: message(err),
		Data: accessKeyAction{Key: h.accessRow(visitOf(r), k, nil), Name: name}})
}

func (h *handler) deactivateAccessKeyPage(w http.ResponseWriter, r *http.Request) {
	if k, ok := h.accessKey(w, r); ok {
		h.render(w, r, http.StatusOK, "access_key_deactivate", &page{Title: "Deactivate " + k.Name,
			Data: accessKeyAction{Key: h.accessRow(visitOf(r), k, nil)}})
	}
}

func (h *handler) deactivateAccessKey(w http.ResponseWriter, r *http.Request) {
	k, ok := h.accessKey(w, r)
	if !ok {
		return
	}
	if err := h.svc.DeactivateAccessKey(r.Context(), visitOf(r).Caller, k.Key.Reveal()); err != nil {
		h.fail(w, r, visitOf(r), err)
		return
	}
	http.Redirect(w, r, "/ui/access-keys", http.StatusSeeOther)
}

func (h *handler) reactivateAccessKey(w http.ResponseWriter, r *http.Request) {
	k, ok := h.accessKey(w, r)
	if !ok {
		return
	}
	if _, err := h.svc.ReactivateAccessKey(r.Context(), visitOf(r).Caller, k.Key.Reveal()); err != nil {
		h.fail(w, r, visitOf(r), err)
		return
	}
	http.Redirect(w, r, "/ui/access-keys", http.StatusSeeOther)
}

// --- MCP servers -----------------------------------------------------------

// mcpTool is one tool of the picker.
type mcpTool struct {
	Name, Summary string
	Read          bool
}

// mcpToolGroup is the tools of one area (an MCP tag).
type mcpToolGroup struct {
	Tag   string
	Tools []mcpTool
}

// mcpCatalogue is every tool an MCP server may offer, grouped by area in
// the order of keyway.MCPTags, read from the operation table.
var mcpCatalogue = sync.OnceValue(func() []mcpToolGroup {
	byTag := map[string][]mcpTool{}
	for _, o := range api.Declarations() {
		for _, name := range o.Tools {
			tag := api.ToolTag(o)
			byTag[tag] = append(byTag[tag], mcpTool{Name: name, Summary: o.Summary, Read: o.Method == http.MethodGet})
		}
	}
	var out []mcpToolGroup
	for _, tag := range keyway.MCPTags {
		if len(byTag[tag]) > 0 {
			out = append(out, mcpToolGroup{Tag: tag, Tools: byTag[tag]})
		}
	}
	return out
})

// mcpRow is one MCP server as the list shows it.
type mcpRow struct {
	ID, Name, Scope, Tools, Tags, Status string
	ExpiresAt                            *keyway.Time
	CreatedAt                            keyway.Time
	Active, CanManage                    bool
	Methods                              []string
}

func (h *handler) mcpRow(v *visit, m *keyway.MCPServer, names map[string]string) mcpRow {
	row := mcpRow{ID: m.ID, Name: m.Name, Scope: accessScopeLabel(m.ProjectID, names), ExpiresAt: m.ExpiresAt, CreatedAt: m.CreatedAt,
		Tags: strings.Join(m.Config.Tags, ", "), Methods: m.Config.Methods}
	var named []string
	var kinds []string
	for _, x := range m.Config.Methods {
		switch x {
		case "read":
			kinds = append(kinds, "all read tools")
		case "write":
			kinds = append(kinds, "all write tools")
		case "custom":
		default:
			named = append(named, x)
		}
	}
	if len(named) == 1 {
		kinds = append(kinds, "1 named tool")
	} else if len(named) > 1 {
		kinds = append(kinds, strconv.Itoa(len(named))+" named tools")
	}
	row.Tools = strings.Join(kinds, ", ")
	switch {
	case !m.IsActive:
		row.Status = "Revoked"
	case !m.Usable(keyway.NewTime(h.clock.Now())):
		row.Status = "Expired"
	default:
		row.Status, row.Active = "Active", true
	}
	row.CanManage = m.IsActive && v.Caller.Can(keyway.RoleAdmin, m.AccountID, accessProjectOf(m.ProjectID))
	return row
}

// newMCPServer is an MCP server's token shown once, with what an MCP
// client needs to use it.
type newMCPServer struct {
	Name, Token, URL, Header, Snippet string
}

// mcpSnippet is the JSON an MCP client's configuration takes to reach
// Keyway's /mcp (streamable HTTP) with the token as a bearer credential,
// in the "mcpServers" shape MCP clients share.
func mcpSnippet(url, token string) string {
	type server struct {
		Type    string            `json:"type"`
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
	}
	cfg := map[string]map[string]server{"mcpServers": {"keyway": {Type: "http", URL: url, Headers: map[string]string{"Authorization": "Bearer " + token}}}}
	b, _ := json.MarshalIndent(cfg, "", "  ")
	return string(b)
}

// mcpServersData is the MCP servers page.
type mcpServersData struct {
	Account   *keyway.Account
	Servers   []mcpRow
	Next      string
	CanCreate bool
	Forbidden bool
	New       *newMCPServer
}

func (h *handler) mcpServersPage(w http.ResponseWriter, r *http.Request) {
	h.showMCPServers(w, r, nil)
}

func (h *handler) showMCPServers(w http.ResponseWriter, r *http.Request, nm *newMCPServer) {
	v := visitOf(r)
	d := mcpServersData{Account: v.Account, New: nm}
	if v.Account == nil {
		h.render(w, r, http.StatusOK, "mcp_servers", &page{Title: "MCP servers", Data: d})
		return
	}
	opts, names, err := h.accessScopes(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.CanCreate = len(opts) > 0
	cursor := r.URL.Query().Get("cursor")
	list, next, err := h.svc.ListMCPServers(r.Context(), v.Caller, v.Account.ID, keyway.Page{Limit: accessPageSize, Cursor: &cursor})
	if keyway.ErrorCode(err) == keyway.CodeForbidden {
		d.Forbidden = true
		h.render(w, r, http.StatusForbidden, "mcp_servers", &page{Title: "MCP servers", Data: d})
		return
	}
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	for _, m := range list {
		d.Servers = append(d.Servers, h.mcpRow(v, m, names))
	}
	if next != "" {
		d.Next = "/ui/mcp-servers?" + url.Values{"cursor": {next}}.Encode()
	}
	h.render(w, r, http.StatusOK, "mcp_servers", &page{Title: "MCP servers", Data: d})
}

// mcpForm is the new MCP server form, with the values chosen.
type mcpForm struct {
	Scopes            []accessScope
	Groups            []mcpToolGroup
	Tags              []string
	Name, Scope       string
	ExpiresAt         string
	Read, Write       bool
	Tools, TagsChosen map[string]bool
	// Edit is the server being changed; nil on the new server form.
	Edit *mcpRow
}

func (h *handler) mcpFormFor(r *http.Request, v *visit, f mcpForm) (mcpForm, error) {
	opts, _, err := h.accessScopes(r, v)
	f.Scopes, f.Groups, f.Tags = opts, mcpCatalogue(), keyway.MCPTags
	return f, err
}

func (h *handler) newMCPServerPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Account == nil {
		h.fail(w, r, v, accessNoAccount)
		return
	}
	f, err := h.mcpFormFor(r, v, mcpForm{})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if len(f.Scopes) == 0 {
		h.fail(w, r, v, keyway.Errorf(keyway.CodeForbidden, "Only an admin of this account or of one of its projects can create MCP servers."))
		return
	}
	h.render(w, r, http.StatusOK, "mcp_server_form", &page{Title: "New MCP server", Data: f})
}

// readMCPForm reads the MCP server form: the values as chosen, for
// showing back, and the configuration and expiry they mean.
func readMCPForm(r *http.Request) (f mcpForm, cfg keyway.MCPConfig, expires *keyway.Time, err error) {
	if err := r.ParseForm(); err != nil {
		return f, cfg, nil, keyway.Invalid("The form could not be read")
	}
	f = mcpForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Scope: r.PostForm.Get("scope"),
		ExpiresAt: strings.TrimSpace(r.PostForm.Get("expiresAt")), Tools: map[string]bool{}, TagsChosen: map[string]bool{}}
	for _, m := range r.PostForm["methods"] {
		switch m {
		case "read":
			f.Read = true
		case "write":
			f.Write = true
		}
		if !slices.Contains(cfg.Methods, m) {
			cfg.Methods = append(cfg.Methods, m)
		}
	}
	var tools []string
	for _, t := range r.PostForm["tools"] {
		if t = strings.TrimSpace(t); t != "" && !f.Tools[t] {
			f.Tools[t] = true
			tools = append(tools, t)
		}
	}
	if len(tools) > 0 {
		// Named tools are a custom list.
		cfg.Methods = append(cfg.Methods, "custom")
		cfg.Methods = append(cfg.Methods, tools...)
	}
	cfg.Tags = []string{}
	for _, t := range r.PostForm["tags"] {
		if !f.TagsChosen[t] {
			f.TagsChosen[t] = true
			cfg.Tags = append(cfg.Tags, t)
		}
	}
	if len(cfg.Methods) == 0 {
		return f, cfg, nil, keyway.Invalid("Choose the tools it may use: all read tools, all write tools, or some by name.")
	}
	if f.ExpiresAt != "" {
		t, perr := keyway.ParseTime(f.ExpiresAt)
		if perr != nil {
			return f, cfg, nil, keyway.Invalid("Expires at is not a date and time")
		}
		expires = &t
	}
	return f, cfg, expires, nil
}

// formError reports whether err is the person's input to correct (the
// form is shown again) rather than a refusal (the error page).
func formError(err error) bool {
	st := status(err)
	return st == http.StatusBadRequest || st == http.StatusUnprocessableEntity
}

func (h *handler) createMCPServer(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Account == nil {
		h.fail(w, r, v, accessNoAccount)
		return
	}
	f, cfg, expires, err := readMCPForm(r)
	if err == nil {
		in := &keyway.MCPServerCreate{Name: f.Name, AccountID: v.Account.ID, Config: cfg, ExpiresAt: expires}
		if f.Scope != "" {
			in.ProjectID = &f.Scope
		}
		var m *keyway.MCPServer
		if m, err = h.svc.CreateMCPServer(r.Context(), v.Caller, in); err == nil {
			endpoint := h.base(r) + "/mcp"
			token := m.Token.Reveal()
			r.URL.RawQuery = ""
			h.showMCPServers(w, r, &newMCPServer{Name: m.Name, Token: token, URL: endpoint, Header: "Authorization: Bearer " + token, Snippet: mcpSnippet(endpoint, token)})
			return
		}
	}
	if !formError(err) {
		h.fail(w, r, v, err)
		return
	}
	f, _ = h.mcpFormFor(r, v, f)
	h.render(w, r, status(err), "mcp_server_form", &page{Title: "New MCP server", Error: message(err), Data: f})
}

// editMCPServerPage is the form of an MCP server's name, tools and expiry
// (its scope and token stay).
func (h *handler) editMCPServerPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	m, err := h.svc.GetMCPServer(r.Context(), v.Caller, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	f := mcpForm{Name: m.Name, Tools: map[string]bool{}, TagsChosen: map[string]bool{}}
	for _, x := range m.Config.Methods {
		switch x {
		case "read":
			f.Read = true
		case "write":
			f.Write = true
		case "custom":
		default:
			f.Tools[x] = true
		}
	}
	for _, t := range m.Config.Tags {
		f.TagsChosen[t] = true
	}
	if m.ExpiresAt != nil {
		f.ExpiresAt = m.ExpiresAt.UTC().Format("2006-01-02T15:04")
	}
	h.showMCPEdit(w, r, http.StatusOK, m, f, "")
}

func (h *handler) showMCPEdit(w http.ResponseWriter, r *http.Request, st int, m *keyway.MCPServer, f mcpForm, msg string) {
	v := visitOf(r)
	_, names, err := h.accessScopes(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	f.Groups, f.Tags = mcpCatalogue(), keyway.MCPTags
	row := h.mcpRow(v, m, names)
	f.Edit = &row
	h.render(w, r, st, "mcp_server_form", &page{Title: "Edit " + m.Name, Error: msg, Data: f})
}

func (h *handler) editMCPServer(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id := r.PathValue("id")
	m, err := h.svc.GetMCPServer(r.Context(), v.Caller, id)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	f, cfg, expires, err := readMCPForm(r)
	if err == nil {
		in := &keyway.MCPServerUpdate{Name: keyway.Optional[string]{Set: true, Value: f.Name},
			Config:    keyway.Optional[keyway.MCPConfig]{Set: true, Value: cfg},
			ExpiresAt: optional(expires)}
		if _, err = h.svc.UpdateMCPServer(r.Context(), v.Caller, id, in); err == nil {
			http.Redirect(w, r, "/ui/mcp-servers/"+url.PathEscape(id), http.StatusSeeOther)
			return
		}
	}
	if !formError(err) {
		h.fail(w, r, v, err)
		return
	}
	h.showMCPEdit(w, r, status(err), m, f, message(err))
}

// mcpServerData is the detail page and the revoke confirmation.
type mcpServerData struct {
	Server mcpRow
	Tags   []string
}

func (h *handler) mcpServer(w http.ResponseWriter, r *http.Request) (mcpServerData, bool) {
	v := visitOf(r)
	m, err := h.svc.GetMCPServer(r.Context(), v.Caller, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, v, err)
		return mcpServerData{}, false
	}
	_, names, err := h.accessScopes(r, v)
	if err != nil {
		h.fail(w, r, v, err)
		return mcpServerData{}, false
	}
	return mcpServerData{Server: h.mcpRow(v, m, names), Tags: m.Config.Tags}, true
}

func (h *handler) mcpServerPage(w http.ResponseWriter, r *http.Request) {
	if d, ok := h.mcpServer(w, r); ok {
		h.render(w, r, http.StatusOK, "mcp_server", &page{Title: d.Server.Name, Data: d})
	}
}

func (h *handler) revokeMCPServerPage(w http.ResponseWriter, r *http.Request) {
	if d, ok := h.mcpServer(w, r); ok {
		h.render(w, r, http.StatusOK, "mcp_server_revoke", &page{Title: "Revoke " + d.Server.Name, Data: d})
	}
}

func (h *handler) revokeMCPServer(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if _, err := h.svc.RevokeMCPServer(r.Context(), v.Caller, r.PathValue("id")); err != nil {
		h.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/ui/mcp-servers", http.StatusSeeOther)
}
