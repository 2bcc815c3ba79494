package service_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// The business rules, one row each: what a call answers, as the caller
// sees it (code, public message, problems), or nil for success. A rule
// that is about the shape of a success returns an error describing what
// it got instead. Rows that change roles or accounts make their own
// rather than touch the shared world.

// world is what most rules act in: account A of admin with projects P and
// Q, a deleted project D, a project key of P, and account B of other.
type world struct {
	*harness
	admin, other *keyway.Caller
	A, B         string
	P, Q, D, PB  *keyway.Project
	projectKey   *keyway.Caller
	mcpOfP       *keyway.Caller
}

func newWorld(t *testing.T, h *harness) *world {
	w := &world{harness: h}
	w.admin, w.A = h.founder(t, "admin@example.com")
	w.other, w.B = h.founder(t, "other@example.com")
	w.P, w.Q = h.project(t, w.admin, w.A), h.project(t, w.admin, w.A)
	w.D = h.deletedProject(t, w.admin, w.A)
	w.PB = h.project(t, w.other, w.B)
	w.projectKey = keyway.AccessKeyCaller(h.accessKey(t, w.admin, w.A, w.P.ID))
	w.mcpOfP = keyway.MCPServerCaller(h.mcpServer(t, w.admin, w.A, w.P.ID))
	return w
}

type rule struct {
	name string
	run  func(t *testing.T, w *world) error
	want error
}

func deleted(field string) error { return keyway.Invalid(field + " refers to a deleted project") }

func ptr[T any](v T) *T { return &v }

func (w *world) rules() []rule {
	return []rule{
		// An account keeps an account-wide admin.
		{"the only admin cannot become a viewer", func(t *testing.T, w *world) error {
			admin, a := w.founder(t, w.email("sole admin"))
			_, err := w.svc.SetUserRole(w.ctx, admin, admin.User.ID, &keyway.RoleChange{AccountID: a, Role: keyway.RoleViewer})
			return err
		}, keyway.ErrLastAdmin},
		{"the only admin cannot leave", func(t *testing.T, w *world) error {
			admin, a := w.founder(t, w.email("sole admin"))
			_, err := w.svc.RemoveUserRoles(w.ctx, admin, admin.User.ID, a, nil)
			return err
		}, keyway.ErrLastAdmin},
		{"an admin of a project does not count as the account's", func(t *testing.T, w *world) error {
			admin, a := w.founder(t, w.email("sole admin"))
			p := w.project(t, admin, a)
			w.member(t, admin, a, w.email("project admin"), keyway.RoleAdmin, p.ID)
			_, err := w.svc.SetUserRole(w.ctx, admin, admin.User.ID, &keyway.RoleChange{AccountID: a, Role: keyway.RoleUser})
			return err
		}, keyway.ErrLastAdmin},
		{"with a second admin the first may step down", func(t *testing.T, w *world) error {
			admin, a := w.founder(t, w.email("first admin"))
			w.member(t, admin, a, w.email("second admin"), keyway.RoleAdmin)
			_, err := w.svc.SetUserRole(w.ctx, admin, admin.User.ID, &keyway.RoleChange{AccountID: a, Role: keyway.RoleViewer})
			return err
		}, nil},

		// A project-level credential reaches its project only.
		{"a project key creates keys in its project", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateAPIKey(w.ctx, w.projectKey, &keyway.APIKeyCreate{Name: "mine", ProjectID: w.P.ID})
			return err
		}, nil},
		{"a project key creates no key in another project", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateAPIKey(w.ctx, w.projectKey, &keyway.APIKeyCreate{Name: "not mine", ProjectID: w.Q.ID})
			return err
		}, keyway.ErrForbidden},
		{"a project key creates no key in another account", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateAPIKey(w.ctx, w.projectKey, &keyway.APIKeyCreate{Name: "not mine", ProjectID: w.PB.ID})
			return err
		}, keyway.ErrForbidden},
		{"a project key does not see another project's key", func(t *testing.T, w *world) error {
			_, err := w.svc.GetAPIKey(w.ctx, w.projectKey, (w.apiKey(t, w.admin, w.Q.ID).Key).Reveal())
			return err
		}, keyway.ErrAPIKeyNotFound},
		{"a project key does not list another project's keys", func(t *testing.T, w *world) error {
			_, _, err := w.svc.ListAPIKeys(w.ctx, w.projectKey, service.ListAPIKeysQuery{ProjectID: w.Q.ID})
			return err
		}, keyway.ErrForbidden},
		{"a project key does not see another project", func(t *testing.T, w *world) error {
			_, err := w.svc.GetProject(w.ctx, w.projectKey, w.Q.ID)
			return err
		}, keyway.ErrProjectNotFound},
		{"a project key adds no webhook to another project", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateWebhook(w.ctx, w.projectKey, w.webhookCreate(w.A, w.Q.ID))
			return err
		}, keyway.ErrForbidden},
		{"a project key lists its project's webhooks without naming it", func(t *testing.T, w *world) error {
			_, _, err := w.svc.ListWebhooks(w.ctx, w.projectKey, "", "", "", keyway.Page{})
			return err
		}, nil},
		{"an MCP server of a project mints no access key of another", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateAccessKey(w.ctx, w.mcpOfP, &keyway.AccessKeyCreate{Name: "not mine", AccountID: w.A, ProjectID: &w.Q.ID})
			return err
		}, keyway.ErrForbidden},
		{"a project key's keys are of its project", func(t *testing.T, w *world) error {
			k, err := w.svc.CreateAPIKey(w.ctx, w.projectKey, &keyway.APIKeyCreate{Name: "defaulted"})
			if err == nil && (k.ProjectID != w.P.ID || k.AccountID != w.A) {
				return fmt.Errorf("key of %s/%s, want %s/%s", k.AccountID, k.ProjectID, w.A, w.P.ID)
			}
			return err
		}, nil},

		// A deleted project takes nothing new; it is gone by path.
		{"no API key in a deleted project", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateAPIKey(w.ctx, w.admin, &keyway.APIKeyCreate{Name: "late", ProjectID: w.D.ID})
			return err
		}, deleted("projectId")},
		{"no access key of a deleted project", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateAccessKey(w.ctx, w.admin, &keyway.AccessKeyCreate{Name: "late", AccountID: w.A, ProjectID: &w.D.ID})
			return err
		}, deleted("projectId")},
		{"no MCP server of a deleted project", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateMCPServer(w.ctx, w.admin, &keyway.MCPServerCreate{Name: "late", AccountID: w.A, ProjectID: &w.D.ID, Config: keyway.MCPConfig{Methods: []string{"read"}}})
			return err
		}, deleted("projectId")},
		{"no webhook of a deleted project", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateWebhook(w.ctx, w.admin, w.webhookCreate(w.A, w.D.ID))
			return err
		}, deleted("projectId")},
		{"no listing of a deleted project's webhooks", func(t *testing.T, w *world) error {
			_, _, err := w.svc.ListWebhooks(w.ctx, w.admin, w.A, w.D.ID, "", keyway.Page{})
			return err
		}, deleted("projectId")},
		{"no invitation to a deleted project", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateInvitations(w.ctx, w.admin, &keyway.InvitationCreate{Emails: []string{w.email("late")}, Role: keyway.RoleUser, AccountID: w.A, ProjectIDs: []string{w.P.ID, w.D.ID}})
			return err
		}, deleted("projectIds")},
		{"no role over a deleted project", func(t *testing.T, w *world) error {
			m := w.member(t, w.admin, w.A, w.email("member"), keyway.RoleViewer)
			_, err := w.svc.SetUserRole(w.ctx, w.admin, m.User.ID, &keyway.RoleChange{AccountID: w.A, ProjectID: &w.D.ID, Role: keyway.RoleUser})
			return err
		}, deleted("projectId")},
		{"a role over a deleted project can still be taken away", func(t *testing.T, w *world) error {
			p := w.project(t, w.admin, w.A)
			m := w.member(t, w.admin, w.A, w.email("member"), keyway.RoleViewer, p.ID)
			_, err := w.svc.DeleteProject(w.ctx, w.admin, p.ID)
			must(t, err)
			_, err = w.svc.RemoveUserRoles(w.ctx, w.admin, m.User.ID, w.A, &p.ID)
			return err
		}, nil},
		// Which comes first, the deleted project (400) or the role over it
		// (403), differs by operation, as it always has on the wire.
		{"a deleted project is refused before the role over it, for a key", func(t *testing.T, w *world) error {
			c, x := w.viewerOfDeleted(t)
			_, err := w.svc.CreateAPIKey(w.ctx, c, &keyway.APIKeyCreate{Name: "late", ProjectID: x})
			return err
		}, deleted("projectId")},
		{"the role over a deleted project is refused before it, for a role", func(t *testing.T, w *world) error {
			c, x := w.viewerOfDeleted(t)
			_, err := w.svc.SetUserRole(w.ctx, c, w.admin.User.ID, &keyway.RoleChange{AccountID: w.A, ProjectID: &x, Role: keyway.RoleUser})
			return err
		}, keyway.ErrForbidden},
		{"a deleted project is not found", func(t *testing.T, w *world) error {
			_, err := w.svc.GetProject(w.ctx, w.admin, w.D.ID)
			return err
		}, keyway.ErrProjectNotFound},

		// Custom key strings are unique per account.
		{"a custom key is taken in every project of its account", func(t *testing.T, w *world) error {
			key := w.keyString()
			w.customKey(t, w.admin, w.P.ID, key)
			_, err := w.svc.CreateAPIKey(w.ctx, w.admin, &keyway.APIKeyCreate{Name: "again", ProjectID: w.Q.ID, Key: (*keyway.APIKeySecret)(&key)})
			return err
		}, conflict("API key already exists")},
		{"another account may hold the same custom key", func(t *testing.T, w *world) error {
			key := w.keyString()
			w.customKey(t, w.admin, w.P.ID, key)
			_, err := w.svc.CreateAPIKey(w.ctx, w.other, &keyway.APIKeyCreate{Name: "theirs", ProjectID: w.PB.ID, Key: (*keyway.APIKeySecret)(&key)})
			return err
		}, nil},
		{"a key cannot be renamed to a custom key its account holds", func(t *testing.T, w *world) error {
			key := w.keyString()
			w.customKey(t, w.admin, w.P.ID, key)
			k := w.apiKey(t, w.admin, w.Q.ID)
			_, err := w.svc.UpdateAPIKey(w.ctx, w.admin, k.Key.Reveal(), &keyway.APIKeyUpdate{Key: keyway.Optional[keyway.APIKeySecret]{Set: true, Value: keyway.APIKeySecret(key)}})
			return err
		}, conflict("API key already exists")},
		{"a custom key has the form of a key", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateAPIKey(w.ctx, w.admin, &keyway.APIKeyCreate{Name: "short", ProjectID: w.P.ID, Key: ptr[keyway.APIKeySecret]("short")})
			return err
		}, keyway.Invalid(fmt.Sprintf("key must be %d to %d characters of A-Z, a-z, 0-9, '-', '_', '.' or '~'", keyway.MinCustomKeyLen, keyway.MaxCustomKeyLen))},

		// API keys and access keys: state changes that make no sense.
		{"an active API key is not reactivated", func(t *testing.T, w *world) error {
			_, err := w.svc.ReactivateAPIKey(w.ctx, w.admin, (w.apiKey(t, w.admin, w.P.ID).Key).Reveal(), nil)
			return err
		}, conflict("API key is already active")},
		{"an expired API key comes back without its expiry", func(t *testing.T, w *world) error {
			k, err := w.svc.CreateAPIKey(w.ctx, w.admin, &keyway.APIKeyCreate{Name: "expiring", ProjectID: w.P.ID, Expiry: ptr(keyway.NewTime(w.clock.Now().Add(time.Hour)))})
			must(t, err)
			w.clock.Advance(2 * time.Hour)
			k, err = w.svc.ReactivateAPIKey(w.ctx, w.admin, k.Key.Reveal(), nil)
			if err == nil && (k.ExpiresAt != nil || !k.IsActive) {
				return fmt.Errorf("reactivated with expiry %v, active %v", k.ExpiresAt, k.IsActive)
			}
			return err
		}, nil},
		{"an active access key is not reactivated", func(t *testing.T, w *world) error {
			_, err := w.svc.ReactivateAccessKey(w.ctx, w.admin, (w.accessKey(t, w.admin, w.A, w.P.ID).Key).Reveal())
			return err
		}, conflict("Access key is already active")},
		{"a deactivated access key is gone for deactivation", func(t *testing.T, w *world) error {
			k := w.accessKey(t, w.admin, w.A, w.P.ID)
			must(t, w.svc.DeactivateAccessKey(w.ctx, w.admin, k.Key.Reveal()))
			return w.svc.DeactivateAccessKey(w.ctx, w.admin, k.Key.Reveal())
		}, keyway.ErrAccessKeyNotFound},
		{"a revoked MCP server is not revoked again", func(t *testing.T, w *world) error {
			srv := w.mcpServer(t, w.admin, w.A, "")
			_, err := w.svc.RevokeMCPServer(w.ctx, w.admin, srv.ID)
			must(t, err)
			_, err = w.svc.RevokeMCPServer(w.ctx, w.admin, srv.ID)
			return err
		}, keyway.ErrMCPServerNotFound},
		{"a revoked MCP server's token no longer signs in", func(t *testing.T, w *world) error {
			srv := w.mcpServer(t, w.admin, w.A, "")
			_, err := w.svc.RevokeMCPServer(w.ctx, w.admin, srv.ID)
			must(t, err)
			_, err = w.svc.MCPServerCaller(w.ctx, srv.Token.Reveal())
			return err
		}, keyway.ErrUnauthorized},
		{"an MCP server does not expire in the past", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateMCPServer(w.ctx, w.admin, &keyway.MCPServerCreate{Name: "stale", AccountID: w.A, Config: keyway.MCPConfig{Methods: []string{"read"}},
				ExpiresAt: ptr(keyway.NewTime(w.clock.Now().Add(-time.Minute)))})
			return err
		}, keyway.Invalid("expiresAt must be in the future")},

		// Invitations: only a pending one changes or is accepted.
		{"a cancelled invitation is not cancelled again", func(t *testing.T, w *world) error {
			inv := w.invitation(t, w.admin, w.A)
			_, err := w.svc.CancelInvitation(w.ctx, w.admin, inv.ID)
			must(t, err)
			_, err = w.svc.CancelInvitation(w.ctx, w.admin, inv.ID)
			return err
		}, keyway.ErrInvitationNotPending},
		{"a cancelled invitation offers no other role", func(t *testing.T, w *world) error {
			inv := w.invitation(t, w.admin, w.A)
			_, err := w.svc.CancelInvitation(w.ctx, w.admin, inv.ID)
			must(t, err)
			_, err = w.svc.UpdateInvitation(w.ctx, w.admin, inv.ID, &keyway.InvitationUpdate{Role: keyway.RoleAdmin})
			return err
		}, keyway.ErrInvitationNotPending},
		{"a cancelled invitation signs no one up", func(t *testing.T, w *world) error {
			inv := w.invitation(t, w.admin, w.A)
			_, err := w.svc.CancelInvitation(w.ctx, w.admin, inv.ID)
			must(t, err)
			return w.svc.Signup(w.ctx, &keyway.Signup{Email: inv.Email, Password: testPassword, Name: "Late", InvitationID: inv.ID})
		}, keyway.ErrInvitationNotPending},
		{"an expired invitation is not cancelled", func(t *testing.T, w *world) error {
			inv := w.invitation(t, w.admin, w.A)
			w.clock.Advance(keyway.DefaultInvitationTTL + time.Minute)
			_, err := w.svc.CancelInvitation(w.ctx, w.admin, inv.ID)
			return err
		}, keyway.ErrInvitationNotPending},
		{"an expired invitation reads as expired", func(t *testing.T, w *world) error {
			inv := w.invitation(t, w.admin, w.A)
			w.clock.Advance(keyway.DefaultInvitationTTL + time.Minute)
			got, err := w.svc.GetInvitation(w.ctx, w.admin, inv.ID)
			if err == nil && got.Status != keyway.InvitationExpired {
				return fmt.Errorf("status %q, want %q", got.Status, keyway.InvitationExpired)
			}
			return err
		}, nil},
		{"an accepted invitation is not accepted again", func(t *testing.T, w *world) error {
			inv := w.invitation(t, w.admin, w.A)
			must(t, w.svc.Signup(w.ctx, &keyway.Signup{Email: inv.Email, Password: testPassword, Name: "Invitee", InvitationID: inv.ID}))
			_, err := w.svc.AcceptInvitation(w.ctx, w.person(t, inv.Email), inv.ID)
			return err
		}, keyway.ErrInvitationNotPending},
		{"an invitation is the invitee's only", func(t *testing.T, w *world) error {
			inv := w.invitation(t, w.admin, w.A)
			_, err := w.svc.AcceptInvitation(w.ctx, w.other, inv.ID)
			return err
		}, keyway.ErrInvitationNotFound},
		{"an invitation into a deleted account leads nowhere", func(t *testing.T, w *world) error {
			admin, a := w.founder(t, w.email("leaving"))
			inv := w.invitation(t, admin, a)
			_, err := w.svc.DeleteAccount(w.ctx, admin, a)
			must(t, err)
			return w.svc.Signup(w.ctx, &keyway.Signup{Email: inv.Email, Password: testPassword, Name: "Invitee", InvitationID: inv.ID})
		}, keyway.ErrInvitationNotFound},
		{"a member is not invited", func(t *testing.T, w *world) error {
			_, err := w.svc.CreateInvitations(w.ctx, w.admin, &keyway.InvitationCreate{Emails: []string{"admin@example.com"}, Role: keyway.RoleUser, AccountID: w.A})
			return err
		}, conflict("admin@example.com is already a member of this account")},
		{"an address is invited once at a time", func(t *testing.T, w *world) error {
			in := func() *keyway.InvitationCreate {
				return &keyway.InvitationCreate{Emails: []string{"twice@example.com"}, Role: keyway.RoleViewer, AccountID: w.A}
			}
			_, err := w.svc.CreateInvitations(w.ctx, w.admin, in())
			must(t, err)
			_, err = w.svc.CreateInvitations(w.ctx, w.admin, in())
			return err
		}, conflict("An invitation for twice@example.com is already pending")},

		// Webhook topics: known ones only, kept in the catalogue's order.
		{"a webhook takes known topics only", func(t *testing.T, w *world) error {
			in := w.webhookCreate(w.A, w.P.ID)
			in.Topics = []string{keyway.TopicAPIKeyCreated, "api-key.exploded"}
			_, err := w.svc.CreateWebhook(w.ctx, w.admin, in)
			return err
		}, keyway.Invalid(`topics must contain only known topics (GET /webhooks/topics), got "api-key.exploded"`)},
		{"a webhook takes at least one topic", func(t *testing.T, w *world) error {
			in := w.webhookCreate(w.A, w.P.ID)
			in.Topics = nil
			_, err := w.svc.CreateWebhook(w.ctx, w.admin, in)
			return err
		}, keyway.Invalid("topics should not be empty")},
		{"an update takes known topics only", func(t *testing.T, w *world) error {
			hook := w.webhook(t, w.admin, w.A, w.P.ID)
			_, err := w.svc.UpdateWebhook(w.ctx, w.admin, hook.ID, &keyway.WebhookUpdate{Topics: keyway.Optional[[]string]{Set: true, Value: []string{"nope"}}})
			return err
		}, keyway.Invalid(`topics must contain only known topics (GET /webhooks/topics), got "nope"`)},
		{"a webhook's topics are deduplicated in the catalogue's order", func(t *testing.T, w *world) error {
			in := w.webhookCreate(w.A, w.P.ID)
			in.Topics = []string{keyway.TopicAPIKeyDeleted, keyway.TopicAPIKeyCreated, keyway.TopicAPIKeyDeleted}
			hook, err := w.svc.CreateWebhook(w.ctx, w.admin, in)
			if want := keyway.NormalizeTopics(in.Topics); err == nil && (!slices.Equal(hook.Topics, want) || len(want) != 2) {
				return fmt.Errorf("topics %v, want %v", hook.Topics, want)
			}
			return err
		}, nil},

		// Signing up and in.
		{"an account is joined by invitation only", func(t *testing.T, w *world) error {
			return w.svc.Signup(w.ctx, &keyway.Signup{Email: w.email("gatecrasher"), Password: testPassword, Name: "Gate", AccountID: w.A})
		}, keyway.Invalid("accountId is accepted only with invitationId")},
		{"an email signs up once", func(t *testing.T, w *world) error {
			return w.svc.Signup(w.ctx, &keyway.Signup{Email: "admin@example.com", Password: testPassword, Name: "Again"})
		}, conflict("Email already registered")},
		{"the right password signs in", func(t *testing.T, w *world) error {
			_, err := w.svc.Login(w.ctx, &keyway.Login{Email: "admin@example.com", Password: testPassword})
			return err
		}, nil},
		{"a wrong password does not", func(t *testing.T, w *world) error {
			_, err := w.svc.Login(w.ctx, &keyway.Login{Email: "admin@example.com", Password: testPassword + "x"})
			return err
		}, keyway.ErrUnauthorized},
		{"an unknown email answers as a wrong password", func(t *testing.T, w *world) error {
			_, err := w.svc.Login(w.ctx, &keyway.Login{Email: "nobody@example.com", Password: testPassword})
			return err
		}, keyway.ErrUnauthorized},
		{"a deleted account's MCP server no longer signs in", func(t *testing.T, w *world) error {
			admin, a := w.founder(t, w.email("leaving"))
			srv := w.mcpServer(t, admin, a, "")
			_, err := w.svc.DeleteAccount(w.ctx, admin, a)
			must(t, err)
			_, err = w.svc.MCPServerCaller(w.ctx, srv.Token.Reveal())
			return err
		}, keyway.ErrUnauthorized},

		// Dashboard sessions, the setup link and passwords.
		{"a dashboard session signs in as a login does", func(t *testing.T, w *world) error {
			_, _, err := w.svc.StartSessionWithPassword(w.ctx, &keyway.Login{Email: "admin@example.com", Password: testPassword + "x"})
			return err
		}, keyway.ErrUnauthorized},
		{"a deleted account's admin keeps a session but no grant in it", func(t *testing.T, w *world) error {
			email := w.email("leaving")
			admin, a := w.founder(t, email)
			tok, _ := w.signIn(t, email)
			_, err := w.svc.DeleteAccount(w.ctx, admin, a)
			must(t, err)
			c, _, err := w.svc.SessionCaller(w.ctx, tok.Reveal())
			if err == nil && len(c.Grants) != 0 {
				return fmt.Errorf("grants %+v in a deleted account", c.Grants)
			}
			return err
		}, nil},
		{"an MCP server has no password to change", func(t *testing.T, w *world) error {
			return w.svc.ChangePassword(w.ctx, w.mcpOfP, &keyway.PasswordChange{Current: testPassword, New: newPassword})
		}, keyway.ErrForbidden},
		{"a password change wants the current password", func(t *testing.T, w *world) error {
			return w.svc.ChangePassword(w.ctx, w.person(t, "other@example.com"), &keyway.PasswordChange{New: newPassword})
		}, keyway.Invalid("current should not be empty")},
		{"a reset for an unknown email is asked alike", func(t *testing.T, w *world) error {
			return w.svc.RequestPasswordReset(w.ctx, &keyway.EmailOTC{Email: "nobody@example.com"})
		}, nil},
		{"a reset code is needed to reset", func(t *testing.T, w *world) error {
			return w.svc.ResetPassword(w.ctx, &keyway.PasswordReset{Email: "nobody@example.com", Code: "ABCDE-FGHJK", Password: newPassword})
		}, keyway.ErrUnauthorized},
		{"setup needs a link", func(t *testing.T, w *world) error {
			_, _, err := w.svc.CompleteSetup(w.ctx, &keyway.Setup{Email: w.email("first"), Name: "First", Password: testPassword})
			return err
		}, keyway.Invalid("token should not be empty")},
		{"a store bootstrapped by its founders has no setup link", func(t *testing.T, w *world) error {
			_, setup, err := w.svc.FirstStart(w.ctx, "")
			if err == nil && setup != "" {
				return fmt.Errorf("a setup link for a store with accounts")
			}
			return err
		}, nil},
	}
}

// viewerOfDeleted is a person who is an admin of a project and a viewer
// of another, now deleted; it returns them and the deleted project.
func (w *world) viewerOfDeleted(t *testing.T) (*keyway.Caller, string) {
	t.Helper()
	x := w.project(t, w.admin, w.A)
	m := w.member(t, w.admin, w.A, w.email("viewer of x"), keyway.RoleAdmin, w.Q.ID)
	_, err := w.svc.SetUserRole(w.ctx, w.admin, m.User.ID, &keyway.RoleChange{AccountID: w.A, ProjectID: &x.ID, Role: keyway.RoleViewer})
	must(t, err)
	_, err = w.svc.DeleteProject(w.ctx, w.admin, x.ID)
	must(t, err)
	return w.person(t, m.User.Email), x.ID
}

// keyString is a fresh custom key string.
func (w *world) keyString() string {
	w.n++
	return fmt.Sprintf("custom-key-%04d", w.n)
}

// customKey creates an API key with a key string of the caller's choosing.
func (w *world) customKey(t *testing.T, c *keyway.Caller, projectID, key string) {
	t.Helper()
	_, err := w.svc.CreateAPIKey(w.ctx, c, &keyway.APIKeyCreate{Name: w.name("custom"), ProjectID: projectID, Key: (*keyway.APIKeySecret)(&key)})
	must(t, err)
}

func TestBusinessRules(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		w := newWorld(t, h)
		for _, r := range w.rules() {
			t.Run(r.name, func(t *testing.T) {
				if err := r.run(t, w); !sameError(err, r.want) {
					t.Errorf("got %v, want %v", err, r.want)
				}
			})
		}
	})
}
