package service_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/usertoken"
)

// The tests of this package call the service directly over a real store
// (SQLite, and PostgreSQL when keywaytest.PostgresEnv is set), with the
// callers keyway builds for each kind of credential: no HTTP in between,
// so a rule is tested where it is decided. What only the store and the
// service take part in is real; what leaves the process (mail, webhook
// requests, argon2's cost) is a fake the domain's interfaces allow.

// harness is a service over a fresh database.
type harness struct {
	svc   *service.Service
	store *sqlstore.Store
	clock *keywaytest.Clock
	mail  *mailbox
	ctx   context.Context
	n     int
}

// forEachStore runs fn with a fresh harness per database engine.
func forEachStore(t *testing.T, fn func(t *testing.T, h *harness)) { forEachStoreWith(t, nil, fn) }

// forEachStoreWith is forEachStore with people settings changed by set.
func forEachStoreWith(t *testing.T, set func(p *service.People), fn func(t *testing.T, h *harness)) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) { fn(t, newHarnessWith(t, dbURL, set)) })
}

// newHarnessWith builds a harness, with people settings changed by set
// (a sign-in limiter, session lifetimes) before the service is built.
func newHarnessWith(t *testing.T, dbURL string, set func(p *service.People)) *harness {
	t.Helper()
	ctx := context.Background()
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, dbURL, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := keywaytest.NewClock()
	tokens, err := usertoken.NewIssuer(keycrypt.NewSecret(), usertoken.DefaultTTL, clock)
	if err != nil {
		t.Fatal(err)
	}
	mail := &mailbox{}
	people := service.People{Store: st, Groups: st, Tokens: tokens, Passwords: plainHasher{}, CodeKey: []byte("code key"), Mail: mail}
	if set != nil {
		set(&people)
	}
	svc, err := service.New(service.Deps{
		Store: st, Invalidator: nopInvalidator{}, Clock: clock, Usage: st,
		People:     people,
		Webhooks:   service.Webhooks{Store: st, Guard: openGuard{}, Pinger: okPinger{}},
		MCPServers: service.MCPServers{Store: st, IsTool: func(string) bool { return false }, PublicURL: "http://keyway.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{svc: svc, store: st, clock: clock, mail: mail, ctx: ctx}
}

// mailbox keeps what the service mails, in place of the mail queue.
type mailbox struct {
	mu   sync.Mutex
	sent []keyway.MailMessage
}

func (m *mailbox) Enqueue(msg keyway.MailMessage) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
}

// last is the newest message to an address, and whether there is one.
func (m *mailbox) last(to string) (keyway.MailMessage, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.sent) - 1; i >= 0; i-- {
		if m.sent[i].To == to {
			return m.sent[i], true
		}
	}
	return keyway.MailMessage{}, false
}

// plainHasher stands in for argon2id, whose cost is the point in
// production and only a delay here.
type plainHasher struct{}

func (plainHasher) Hash(_ context.Context, pw string) (string, error) { return "plain:" + pw, nil }
func (plainHasher) ReserveCheck() (keyway.PasswordCheck, error)       { return plainHasher{}, nil }
func (plainHasher) Check(_ context.Context, pw, stored string) (bool, error) {
	return stored == "plain:"+pw, nil
}
func (plainHasher) Release() {}

// nopInvalidator: there is no verification cache to invalidate here.
type nopInvalidator struct{}

func (nopInvalidator) APIKeyChanged(string, ...string) {}
func (nopInvalidator) AccessKeyChanged()               {}
func (nopInvalidator) ProjectChanged(string)           {}
func (nopInvalidator) ScopeChanged()                   {}

// openGuard lets every webhook URL through: the SSRF guard has its own
// tests (webhook), and these point at nothing.
type openGuard struct{}

func (openGuard) CheckURL(context.Context, string) error { return nil }

type okPinger struct{}

func (okPinger) Ping(context.Context, string, string, map[string]string, []byte) keyway.PingResult {
	return keyway.PingResult{OK: true, Status: 204}
}

// name is a fresh name for what.
func (h *harness) name(what string) string {
	h.n++
	return fmt.Sprintf("%s %d", what, h.n)
}

// email is a fresh address for what.
func (h *harness) email(what string) string {
	h.n++
	return fmt.Sprintf("%s-%d@example.com", strings.ReplaceAll(what, " ", "-"), h.n)
}

const testPassword = "a long password 1"

// founder signs a new person up, which gives them an account of their own;
// it returns them as a caller and the account.
func (h *harness) founder(t *testing.T, email string) (*keyway.Caller, string) {
	t.Helper()
	must(t, h.svc.Signup(h.ctx, &keyway.Signup{Email: email, Password: testPassword, Name: "Founder " + email}))
	c := h.person(t, email)
	if len(c.Grants) != 1 || c.Grants[0].Role != keyway.RoleAdmin {
		t.Fatalf("founder's grants %+v", c.Grants)
	}
	return c, c.Grants[0].AccountID
}

// member has admin invite a new person into the account with role (over
// projects, when any are given), and the person sign up through it.
func (h *harness) member(t *testing.T, admin *keyway.Caller, accountID, email string, role keyway.Role, projects ...string) *keyway.Caller {
	t.Helper()
	invs, err := h.svc.CreateInvitations(h.ctx, admin, &keyway.InvitationCreate{Emails: []string{email}, Role: role, AccountID: accountID, ProjectIDs: projects})
	must(t, err)
	must(t, h.svc.Signup(h.ctx, &keyway.Signup{Email: email, Password: testPassword, Name: "Member " + email, InvitationID: invs[0].ID}))
	return h.person(t, email)
}

// person is the caller a signed-in person acts as now: their roles are read
// afresh, as each request does.
func (h *harness) person(t *testing.T, email string) *keyway.Caller {
	t.Helper()
	u, err := h.store.UserByEmail(h.ctx, email)
	must(t, err)
	roles, err := h.store.UserRoles(h.ctx, u.ID)
	must(t, err)
	return keyway.UserCaller(u, roles)
}

// again is c as a new request would see it: a person's roles read afresh;
// a key's or a token's caller as it was, since its grant cannot change.
func (h *harness) again(t *testing.T, c *keyway.Caller) *keyway.Caller {
	t.Helper()
	if c.User == nil {
		return c
	}
	return h.person(t, c.User.Email)
}

func (h *harness) project(t *testing.T, admin *keyway.Caller, accountID string) *keyway.Project {
	t.Helper()
	p, err := h.svc.CreateProject(h.ctx, admin, &keyway.ProjectCreate{Name: h.name("project"), AccountID: accountID, Env: keyway.EnvLive})
	must(t, err)
	return p
}

func (h *harness) deletedProject(t *testing.T, admin *keyway.Caller, accountID string) *keyway.Project {
	t.Helper()
	p := h.project(t, admin, accountID)
	_, err := h.svc.DeleteProject(h.ctx, admin, p.ID)
	must(t, err)
	return p
}

func (h *harness) apiKey(t *testing.T, c *keyway.Caller, projectID string) *keyway.APIKey {
	t.Helper()
	k, err := h.svc.CreateAPIKey(h.ctx, c, &keyway.APIKeyCreate{Name: h.name("key"), ProjectID: projectID})
	must(t, err)
	return k
}

// accessKey makes an access key of the account, narrowed to projectID
// when it is set.
func (h *harness) accessKey(t *testing.T, admin *keyway.Caller, accountID, projectID string) *keyway.AccessKey {
	t.Helper()
	in := &keyway.AccessKeyCreate{Name: h.name("access key"), AccountID: accountID}
	if projectID != "" {
		in.ProjectID = &projectID
	}
	k, err := h.svc.CreateAccessKey(h.ctx, admin, in)
	must(t, err)
	return k
}

// mcpServer makes an MCP server of the account, narrowed to projectID
// when it is set.
func (h *harness) mcpServer(t *testing.T, admin *keyway.Caller, accountID, projectID string) *keyway.MCPServer {
	t.Helper()
	in := &keyway.MCPServerCreate{Name: h.name("mcp server"), AccountID: accountID, Config: keyway.MCPConfig{Methods: []string{"read", "write"}}}
	if projectID != "" {
		in.ProjectID = &projectID
	}
	srv, err := h.svc.CreateMCPServer(h.ctx, admin, in)
	must(t, err)
	return srv
}

func (h *harness) webhookCreate(accountID, projectID string) *keyway.WebhookCreate {
	in := &keyway.WebhookCreate{Name: h.name("hook"), URL: "https://hooks.example.com/keyway", HTTPMethod: "POST",
		Topics: []string{keyway.TopicAPIKeyCreated}, AccountID: accountID}
	if projectID != "" {
		in.ProjectID = &projectID
	}
	return in
}

func (h *harness) webhook(t *testing.T, c *keyway.Caller, accountID, projectID string) *keyway.Webhook {
	t.Helper()
	w, err := h.svc.CreateWebhook(h.ctx, c, h.webhookCreate(accountID, projectID))
	must(t, err)
	return w
}

// invitation invites a new address into the account as a user, narrowed
// to projects when any are given.
func (h *harness) invitation(t *testing.T, admin *keyway.Caller, accountID string, projects ...string) *keyway.Invitation {
	t.Helper()
	invs, err := h.svc.CreateInvitations(h.ctx, admin, &keyway.InvitationCreate{Emails: []string{h.email("invitee")}, Role: keyway.RoleUser, AccountID: accountID, ProjectIDs: projects})
	must(t, err)
	return invs[0]
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sameError reports whether err is the error want stands for as a caller
// sees it: its code, public message and list of problems (nil: success).
func sameError(err, want error) bool {
	if err == nil || want == nil {
		return err == nil && want == nil
	}
	if errors.Is(err, want) {
		return true
	}
	e, w := keyway.AsError(err), keyway.AsError(want)
	return e.Code == w.Code && e.Message == w.Message && fmt.Sprint(e.Details) == fmt.Sprint(w.Details)
}

// conflict is a CodeConflict error as the store words it.
func conflict(format string, args ...any) error {
	return keyway.Errorf(keyway.CodeConflict, format, args...)
}
