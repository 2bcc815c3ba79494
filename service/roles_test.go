package service_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// The role × operation matrix at the service: every kind of caller
// against the operations (CONTRACT.md "Management authentication"; the
// wire-level version is app/roles_matrix_test.go). Account A belongs to
// admin; P and Q are its projects. The columns:
//
//   - admin: A's founder;
//   - user, viewer: members of A with that role over the whole account;
//   - narrowedQ: a member of A with role user over project Q only;
//   - other: the founder of account B, admin there and nothing in A;
//   - projectKey: an access key of P, which acts as a user of P;
//   - accountKey: an account-level access key of A, an admin of A that is
//     not a person;
//   - mcpP: an MCP server's token of P, an admin of P (which tools it may
//     run is checked where operations run, not here).
//
// Each cell is what the caller gets: ok, 400 (invalid input), 403, 404
// (the row's notFound error) or 409. Adding a rule is one row.

type column int

const (
	colAdmin column = iota
	colUser
	colViewer
	colNarrowedQ
	colOther
	colProjectKey
	colAccountKey
	colMCPP
	columns
)

var columnNames = [columns]string{"admin", "user", "viewer", "narrowedQ", "other", "projectKey", "accountKey", "mcpP"}

type matrix struct {
	*harness
	callers  [columns]*keyway.Caller
	A, B     string
	P, Q     *keyway.Project
	tgt      *keyway.Caller // a viewer of A whose roles and name rows change
	key      *keyway.APIKey // an API key of P, never changed
	hook     *keyway.Webhook
	mcpOfP   *keyway.MCPServer
	adminOfA *keyway.Caller
}

func newMatrix(t *testing.T, h *harness) *matrix {
	m := &matrix{harness: h}
	admin, a := h.founder(t, "admin@example.com")
	other, b := h.founder(t, "other@example.com")
	m.A, m.B, m.adminOfA = a, b, admin
	m.P, m.Q = h.project(t, admin, a), h.project(t, admin, a)
	pkey := h.accessKey(t, admin, a, m.P.ID)
	akey := h.accessKey(t, admin, a, "")
	m.mcpOfP = h.mcpServer(t, admin, a, m.P.ID)
	m.callers = [columns]*keyway.Caller{
		colAdmin:      admin,
		colUser:       h.member(t, admin, a, "user@example.com", keyway.RoleUser),
		colViewer:     h.member(t, admin, a, "viewer@example.com", keyway.RoleViewer),
		colNarrowedQ:  h.member(t, admin, a, "narrowed@example.com", keyway.RoleUser, m.Q.ID),
		colOther:      other,
		colProjectKey: keyway.AccessKeyCaller(pkey),
		colAccountKey: keyway.AccessKeyCaller(akey),
		colMCPP:       keyway.MCPServerCaller(m.mcpOfP),
	}
	m.tgt = h.member(t, admin, a, "target@example.com", keyway.RoleViewer)
	m.key = h.apiKey(t, admin, m.P.ID)
	m.hook = h.webhook(t, admin, a, m.P.ID)
	return m
}

// admin is A's admin as the next request sees them.
func (m *matrix) admin(t *testing.T) *keyway.Caller { return m.again(t, m.adminOfA) }

type matrixRow struct {
	name string
	// want holds one cell per column, separated by spaces.
	want string
	// notFound is what a 404 cell means: the not-found error of the
	// object the operation names.
	notFound error
	// run carries out the operation as c, making what it needs first.
	run func(t *testing.T, m *matrix, c *keyway.Caller) error
}

func (m *matrix) rows() []matrixRow {
	A, P, Q := m.A, m.P.ID, m.Q.ID
	ptr := func(s string) *string { return &s }
	return []matrixRow{
		// API keys: a viewer reads, a user manages; keys live in projects.
		{"ListAPIKeys P", "ok ok ok 403 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.ListAPIKeys(m.ctx, c, service.ListAPIKeysQuery{ProjectID: P})
			return err
		}},
		{"CreateAPIKey P", "ok ok 403 403 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateAPIKey(m.ctx, c, &keyway.APIKeyCreate{Name: m.name("key"), ProjectID: P})
			return err
		}},
		{"CreateAPIKey {} refuses before validating", "400 400 403 400 400 400 400 400", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateAPIKey(m.ctx, c, &keyway.APIKeyCreate{})
			return err
		}},
		// Without a project, a caller narrowed to one project means it.
		{"CreateAPIKey without projectId", "400 400 403 ok 400 ok 400 ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateAPIKey(m.ctx, c, &keyway.APIKeyCreate{Name: m.name("key")})
			return err
		}},
		{"GetAPIKey of P", "ok ok ok 404 404 ok ok ok", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.GetAPIKey(m.ctx, c, m.key.Key.Reveal())
			return err
		}},
		// The dashboard's read by internal id checks what GetAPIKey does.
		{"APIKeyByID of P", "ok ok ok 404 404 ok ok ok", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.APIKeyByID(m.ctx, c, m.key.ID)
			return err
		}},
		{"KeyDeliveries of P", "ok ok ok 404 404 ok ok ok", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.KeyDeliveries(m.ctx, c, m.key.ID, 10)
			return err
		}},
		{"APIKeyByID of an unknown id", "404 404 404 404 404 404 404 404", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.APIKeyByID(m.ctx, c, "00000000-0000-7000-8000-000000000000")
			return err
		}},
		// Showing a key in full on the dashboard is for account admins.
		{"RevealAPIKey of P", "ok 403 403 404 404 403 ok 403", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.RevealAPIKey(m.ctx, c, m.key.ID)
			return err
		}},
		{"UpdateAPIKey of P", "ok ok 403 404 404 ok ok ok", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.apiKey(t, m.admin(t), P)
			_, err := m.svc.UpdateAPIKey(m.ctx, c, k.Key.Reveal(), &keyway.APIKeyUpdate{Name: keyway.Optional[string]{Set: true, Value: "renamed"}})
			return err
		}},
		{"DeleteAPIKey of P", "ok ok 403 404 404 ok ok ok", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.apiKey(t, m.admin(t), P)
			_, err := m.svc.DeleteAPIKey(m.ctx, c, k.Key.Reveal())
			return err
		}},
		{"ReactivateAPIKey of P", "ok ok 403 404 404 ok ok ok", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.apiKey(t, m.admin(t), P)
			_, err := m.svc.DeleteAPIKey(m.ctx, m.admin(t), k.Key.Reveal())
			must(t, err)
			_, err = m.svc.ReactivateAPIKey(m.ctx, c, k.Key.Reveal(), nil)
			return err
		}},
		{"RotateAPIKey of P", "ok ok 403 404 404 ok ok ok", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.apiKey(t, m.admin(t), P)
			_, err := m.svc.RotateAPIKey(m.ctx, c, k.Key.Reveal())
			return err
		}},

		// Access keys are credentials: listing takes the role they carry
		// (admin for the account's, user for a project's), managing them
		// an admin.
		{"ListAccessKeys A", "ok 403 403 ok 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.ListAccessKeys(m.ctx, c, A, "", nil, keyway.Page{})
			return err
		}},
		{"ListAccessKeys A, P", "ok ok 403 403 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.ListAccessKeys(m.ctx, c, A, P, nil, keyway.Page{})
			return err
		}},
		{"CreateAccessKey A", "ok 403 403 403 403 403 ok 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateAccessKey(m.ctx, c, &keyway.AccessKeyCreate{Name: m.name("access key"), AccountID: A})
			return err
		}},
		{"CreateAccessKey A, P", "ok 403 403 403 403 403 ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateAccessKey(m.ctx, c, &keyway.AccessKeyCreate{Name: m.name("access key"), AccountID: A, ProjectID: ptr(P)})
			return err
		}},
		{"CreateAccessKey {} refuses before validating", "400 403 403 403 400 403 400 400", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateAccessKey(m.ctx, c, &keyway.AccessKeyCreate{})
			return err
		}},
		{"RenameAccessKey of P", "ok 403 403 404 404 403 ok ok", keyway.ErrAccessKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.accessKey(t, m.admin(t), A, P)
			_, err := m.svc.RenameAccessKey(m.ctx, c, k.Key.Reveal(), &keyway.Rename{Name: "renamed"})
			return err
		}},
		{"DeactivateAccessKey of P", "ok 403 403 404 404 403 ok ok", keyway.ErrAccessKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.accessKey(t, m.admin(t), A, P)
			return m.svc.DeactivateAccessKey(m.ctx, c, k.Key.Reveal())
		}},
		{"ReactivateAccessKey of P", "ok 403 403 404 404 403 ok ok", keyway.ErrAccessKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.accessKey(t, m.admin(t), A, P)
			must(t, m.svc.DeactivateAccessKey(m.ctx, m.admin(t), k.Key.Reveal()))
			_, err := m.svc.ReactivateAccessKey(m.ctx, c, k.Key.Reveal())
			return err
		}},
		// The dashboard's read by digest checks what renaming one does.
		{"AccessKeyByID of P", "ok 403 403 404 404 403 ok ok", keyway.ErrAccessKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.accessKey(t, m.admin(t), A, P)
			got, err := m.svc.AccessKeyByID(m.ctx, c, service.AccessKeyID(k))
			if err == nil && got.Key != k.Key {
				t.Errorf("AccessKeyByID found %s, want %s", got.Name, k.Name)
			}
			return err
		}},
		{"AccessKeyByID of A", "ok 403 403 404 404 404 ok 404", keyway.ErrAccessKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.accessKey(t, m.admin(t), A, "")
			_, err := m.svc.AccessKeyByID(m.ctx, c, service.AccessKeyID(k))
			return err
		}},
		{"AccessKeyByID of an unknown or malformed id", "404 404 404 404 404 404 404 404", keyway.ErrAccessKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.AccessKeyByID(m.ctx, c, strings.Repeat("ab", 32))
			if _, err2 := m.svc.AccessKeyByID(m.ctx, c, "not hex"); !errors.Is(err2, keyway.ErrAccessKeyNotFound) {
				t.Errorf("malformed id: %v", err2)
			}
			return err
		}},
		// An account-level key is of the account as a whole, out of sight
		// of anything narrowed to a project.
		{"RenameAccessKey of A", "ok 403 403 404 404 404 ok 404", keyway.ErrAccessKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			k := m.accessKey(t, m.admin(t), A, "")
			_, err := m.svc.RenameAccessKey(m.ctx, c, k.Key.Reveal(), &keyway.Rename{Name: "renamed"})
			return err
		}},

		// Projects: everyone in A reads those they reach; admins manage.
		{"ListProjects A", "ok ok ok ok 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.ListProjects(m.ctx, c, A, keyway.Page{})
			return err
		}},
		{"CreateProject A", "ok 403 403 403 403 403 ok 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateProject(m.ctx, c, &keyway.ProjectCreate{Name: m.name("project"), AccountID: A, Env: keyway.EnvTest})
			return err
		}},
		{"CreateProject {} refuses before validating", "400 403 403 403 400 403 400 400", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateProject(m.ctx, c, &keyway.ProjectCreate{})
			return err
		}},
		{"GetProject P", "ok ok ok 404 404 ok ok ok", keyway.ErrProjectNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.GetProject(m.ctx, c, P)
			return err
		}},
		{"RenameProject P", "ok 403 403 404 404 403 ok ok", keyway.ErrProjectNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.RenameProject(m.ctx, c, P, &keyway.Rename{Name: m.P.Name})
			return err
		}},
		// A fresh project, which no credential of P reaches.
		{"DeleteProject", "ok 403 403 404 404 404 ok 404", keyway.ErrProjectNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			p := m.project(t, m.admin(t), A)
			_, err := m.svc.DeleteProject(m.ctx, c, p.ID)
			return err
		}},

		// People and roles: admins manage; renaming is for people.
		{"CallerRoles", "ok ok ok ok ok ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CallerRoles(m.ctx, c, "")
			return err
		}},
		{"CallerRoles A", "ok ok ok ok 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CallerRoles(m.ctx, c, A)
			return err
		}},
		{"SetUserRole A admin", "ok 403 403 403 403 403 ok 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.SetUserRole(m.ctx, c, m.tgt.User.ID, &keyway.RoleChange{AccountID: A, Role: keyway.RoleAdmin})
			if err == nil {
				_, err := m.svc.SetUserRole(m.ctx, m.admin(t), m.tgt.User.ID, &keyway.RoleChange{AccountID: A, Role: keyway.RoleViewer})
				must(t, err)
			}
			return err
		}},
		{"SetUserRole {} refuses before validating", "400 403 403 403 400 403 400 400", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.SetUserRole(m.ctx, c, m.tgt.User.ID, &keyway.RoleChange{})
			return err
		}},
		{"RemoveUserRoles A, P", "ok 403 403 403 403 403 ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.SetUserRole(m.ctx, m.admin(t), m.tgt.User.ID, &keyway.RoleChange{AccountID: A, ProjectID: ptr(P), Role: keyway.RoleUser})
			must(t, err)
			_, err = m.svc.RemoveUserRoles(m.ctx, c, m.tgt.User.ID, A, ptr(P))
			return err
		}},
		// user, viewer and narrowedQ see the target among A's people, so
		// the refusal is 403, not 404.
		{"RenameUser", "ok 403 403 403 404 403 403 403", keyway.ErrUserNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.RenameUser(m.ctx, c, m.tgt.User.ID, &keyway.Rename{Name: m.name("renamed")})
			return err
		}},
		// A's people are A's own: a credential narrowed to a project sees
		// none of them.
		{"Teammates A", "ok ok ok ok 403 403 ok 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.Teammates(m.ctx, c, A, "")
			return err
		}},

		// Webhooks: a viewer reads, a user manages.
		{"ListWebhooks A", "ok ok ok ok 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.ListWebhooks(m.ctx, c, A, "", "", keyway.Page{})
			return err
		}},
		{"ListWebhooks A, P", "ok ok ok 403 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.ListWebhooks(m.ctx, c, A, P, "", keyway.Page{})
			return err
		}},
		{"CreateWebhook A, P", "ok ok 403 403 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateWebhook(m.ctx, c, m.webhookCreate(A, P))
			return err
		}},
		{"CreateWebhook {} refuses before validating", "400 400 403 400 400 400 400 400", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateWebhook(m.ctx, c, &keyway.WebhookCreate{})
			return err
		}},
		{"GetWebhook of P", "ok ok ok 404 404 ok ok ok", keyway.ErrWebhookNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.GetWebhook(m.ctx, c, m.hook.ID)
			return err
		}},
		{"UpdateWebhook of P", "ok ok 403 404 404 ok ok ok", keyway.ErrWebhookNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			w := m.webhook(t, m.admin(t), A, P)
			_, err := m.svc.UpdateWebhook(m.ctx, c, w.ID, &keyway.WebhookUpdate{Status: keyway.Optional[keyway.WebhookStatus]{Set: true, Value: keyway.WebhookPaused}})
			return err
		}},
		{"DeleteWebhook of P", "ok ok 403 404 404 ok ok ok", keyway.ErrWebhookNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			w := m.webhook(t, m.admin(t), A, P)
			_, err := m.svc.DeleteWebhook(m.ctx, c, w.ID)
			return err
		}},
		{"WebhookDeliveries of P", "ok ok ok 404 404 ok ok ok", keyway.ErrWebhookNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.WebhookDeliveries(m.ctx, c, m.hook.ID, keyway.Page{})
			return err
		}},
		// A test delivery is sent to the webhook's URL: a user's, as a ping.
		{"TestWebhook of P", "ok ok 403 404 404 ok ok ok", keyway.ErrWebhookNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.TestWebhook(m.ctx, c, m.hook.ID)
			return err
		}},
		{"WebhookDelivery of P", "ok ok ok 404 404 ok ok ok", keyway.ErrWebhookNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			d, err := m.svc.TestWebhook(m.ctx, m.admin(t), m.hook.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.svc.WebhookDelivery(m.ctx, c, m.hook.ID, d.ID)
			return err
		}},
		{"DeliveryAttempts of P", "ok ok ok 404 404 ok ok ok", keyway.ErrWebhookNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			d, err := m.svc.TestWebhook(m.ctx, m.admin(t), m.hook.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = m.svc.DeliveryAttempts(m.ctx, c, m.hook.ID, d.ID)
			return err
		}},
		// A ping is an outbound request on the caller's behalf: a user's.
		{"PingWebhook", "ok ok 403 ok ok ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.PingWebhook(m.ctx, c, &keyway.WebhookPing{URL: "https://hooks.example.com/ping", HTTPMethod: "POST"})
			return err
		}},

		// Invitations: an admin's job over all they grant; accepting is
		// the invitee's.
		{"ListInvitations A", "ok 403 403 403 403 403 ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.ListInvitations(m.ctx, c, A, "", "", keyway.Page{})
			return err
		}},
		{"CreateInvitations A", "ok 403 403 403 403 403 ok 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateInvitations(m.ctx, c, &keyway.InvitationCreate{Emails: []string{m.email("invitee")}, Role: keyway.RoleAdmin, AccountID: A})
			return err
		}},
		{"CreateInvitations A, [P]", "ok 403 403 403 403 403 ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateInvitations(m.ctx, c, &keyway.InvitationCreate{Emails: []string{m.email("invitee")}, Role: keyway.RoleUser, AccountID: A, ProjectIDs: []string{P}})
			return err
		}},
		{"CreateInvitations {} refuses before validating", "400 403 403 403 400 403 400 400", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateInvitations(m.ctx, c, &keyway.InvitationCreate{})
			return err
		}},
		{"GetInvitation to A", "ok 403 403 404 404 404 ok 404", keyway.ErrInvitationNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.GetInvitation(m.ctx, c, m.invitation(t, m.admin(t), A).ID)
			return err
		}},
		{"UpdateInvitation to A", "ok 403 403 404 404 404 ok 404", keyway.ErrInvitationNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.UpdateInvitation(m.ctx, c, m.invitation(t, m.admin(t), A).ID, &keyway.InvitationUpdate{Role: keyway.RoleAdmin})
			return err
		}},
		{"CancelInvitation to A", "ok 403 403 404 404 404 ok 404", keyway.ErrInvitationNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CancelInvitation(m.ctx, c, m.invitation(t, m.admin(t), A).ID)
			return err
		}},
		{"ResendInvitation to A", "ok 403 403 404 404 404 ok 404", keyway.ErrInvitationNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.ResendInvitation(m.ctx, c, m.invitation(t, m.admin(t), A).ID)
			return err
		}},
		// An invitation to P alone is P's: its admins manage it, and
		// whoever else reaches P sees it.
		{"GetInvitation to P", "ok 403 403 404 404 403 ok ok", keyway.ErrInvitationNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.GetInvitation(m.ctx, c, m.invitation(t, m.admin(t), A, P).ID)
			return err
		}},
		{"CancelInvitation to P", "ok 403 403 404 404 403 ok ok", keyway.ErrInvitationNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CancelInvitation(m.ctx, c, m.invitation(t, m.admin(t), A, P).ID)
			return err
		}},
		{"ResendInvitation to P", "ok 403 403 404 404 403 ok ok", keyway.ErrInvitationNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.ResendInvitation(m.ctx, c, m.invitation(t, m.admin(t), A, P).ID)
			return err
		}},
		{"AcceptInvitation sent to someone else", "404 404 404 404 404 403 403 403", keyway.ErrInvitationNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.AcceptInvitation(m.ctx, c, m.invitation(t, m.admin(t), A).ID)
			return err
		}},

		// MCP servers: minting and managing tokens is an admin's job.
		{"CreateMCPServer A", "ok 403 403 403 403 403 ok 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateMCPServer(m.ctx, c, &keyway.MCPServerCreate{Name: m.name("mcp"), AccountID: A, Config: keyway.MCPConfig{Methods: []string{"read"}}})
			return err
		}},
		{"CreateMCPServer A, P", "ok 403 403 403 403 403 ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.CreateMCPServer(m.ctx, c, &keyway.MCPServerCreate{Name: m.name("mcp"), AccountID: A, ProjectID: ptr(P), Config: keyway.MCPConfig{Methods: []string{"read"}}})
			return err
		}},
		{"ListMCPServers A", "ok 403 403 403 403 403 ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.ListMCPServers(m.ctx, c, A, keyway.Page{})
			return err
		}},
		{"UpdateMCPServer of P", "ok 403 403 404 404 403 ok ok", keyway.ErrMCPServerNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.UpdateMCPServer(m.ctx, c, m.mcpOfP.ID, &keyway.MCPServerUpdate{Name: keyway.Optional[string]{Set: true, Value: m.name("mcp")}})
			return err
		}},
		{"GetMCPServer of P", "ok 403 403 404 404 403 ok ok", keyway.ErrMCPServerNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.GetMCPServer(m.ctx, c, m.mcpOfP.ID)
			return err
		}},

		// Analytics read a project.
		{"ProjectTotals P", "ok ok ok 403 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.ProjectTotals(m.ctx, c, service.AnalyticsQuery{ProjectID: P, DateGrouping: "day"})
			return err
		}},
		{"APIKeyTotals P", "ok ok ok 403 403 ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.APIKeyTotals(m.ctx, c, service.AnalyticsQuery{ProjectID: P, DateGrouping: "day"})
			return err
		}},
		{"ExportUsage Q", "ok ok ok ok 403 403 ok 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.ExportUsage(m.ctx, c, service.AnalyticsQuery{ProjectID: Q, DateGrouping: "day"})
			return err
		}},
		{"ProjectTotals Q", "ok ok ok ok 403 403 ok 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.ProjectTotals(m.ctx, c, service.AnalyticsQuery{ProjectID: Q, DateGrouping: "day"})
			return err
		}},
		// A key's usage (the dashboard's key page) reads as APIKeyByID does.
		{"KeyUsage of P", "ok ok ok 404 404 ok ok ok", keyway.ErrAPIKeyNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.KeyUsage(m.ctx, c, m.key.ID, service.AnalyticsQuery{DateGrouping: "hour"})
			return err
		}},
		{"ProjectTotals by an unknown period", "400 400 400 400 400 400 400 400", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.ProjectTotals(m.ctx, c, service.AnalyticsQuery{ProjectID: P, DateGrouping: "year"})
			return err
		}},

		// Notifications and accounts: a deleted account would end the
		// matrix, so DeleteAccount is left to the rules.
		{"Notifications", "ok ok ok ok ok ok ok ok", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, _, err := m.svc.Notifications(m.ctx, c, keyway.Page{})
			return err
		}},
		{"GetAccount A", "ok ok ok ok 404 ok ok ok", keyway.ErrAccountNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.GetAccount(m.ctx, c, A)
			return err
		}},
		{"RenameAccount A", "ok 403 403 403 404 403 ok 403", keyway.ErrAccountNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			_, err := m.svc.RenameAccount(m.ctx, c, A, &keyway.Rename{Name: m.name("account A")})
			return err
		}},
		{"InviteToAccount A", "ok 403 403 403 404 403 ok 403", keyway.ErrAccountNotFound, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			return m.svc.InviteToAccount(m.ctx, c, A, &keyway.AccountInvite{Email: m.email("invitee")})
		}},
		// A password is a person's own; keys and tokens have none. The
		// password stays the same, so the other rows still sign in.
		{"ChangePassword own", "ok ok ok ok ok 403 403 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			return m.svc.ChangePassword(m.ctx, c, &keyway.PasswordChange{Current: testPassword, New: testPassword})
		}},
		// Founding an account is for people; the founder may delete it.
		{"CreateAccount", "ok ok ok ok ok 403 403 403", nil, func(t *testing.T, m *matrix, c *keyway.Caller) error {
			a, err := m.svc.CreateAccount(m.ctx, c, &keyway.Rename{Name: m.name("account")})
			if err == nil {
				_, err := m.svc.DeleteAccount(m.ctx, m.again(t, c), a.ID)
				must(t, err)
			}
			return err
		}},
	}
}

// TestRoleMatrix runs every row as every column's caller.
func TestRoleMatrix(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		m := newMatrix(t, h)
		for _, row := range m.rows() {
			cells := strings.Fields(row.want)
			if len(cells) != int(columns) {
				t.Fatalf("%s: %d cells, want %d", row.name, len(cells), columns)
			}
			for col := range columns {
				t.Run(row.name+"/"+columnNames[col], func(t *testing.T) {
					err := row.run(t, m, m.again(t, m.callers[col]))
					checkCell(t, cells[col], row.notFound, err)
				})
			}
		}
	})
}

// checkCell compares an operation's error with a cell of the table.
func checkCell(t *testing.T, cell string, notFound, err error) {
	t.Helper()
	ok := false
	switch cell {
	case "ok":
		ok = err == nil
	case "400":
		ok = keyway.ErrorCode(err) == keyway.CodeInvalid
	case "403":
		ok = errors.Is(err, keyway.ErrForbidden)
	case "404":
		if notFound == nil {
			t.Fatal("the row gives no not-found error for a 404 cell")
		}
		ok = errors.Is(err, notFound)
	case "409":
		ok = keyway.ErrorCode(err) == keyway.CodeConflict
	default:
		t.Fatalf("unknown cell %q", cell)
	}
	if !ok {
		t.Errorf("got %v, want %s", err, cell)
	}
}

// Every operation a caller can run (a method of Service taking a
// *keyway.Caller) has a row in the matrix: a method added without one
// fails here. notInMatrix are the known gaps, listed so they stay visible.
func TestRoleMatrixCoversEveryOperation(t *testing.T) {
	notInMatrix := map[string]bool{
		"RetryDelivery": true, "DeleteAccount": true, "ListAccounts": true, "MarkNotificationRead": true,
		"RevokeMCPServer": true,
	}
	// Only the rows' names are read: the objects they act on can be empty.
	m := matrix{P: &keyway.Project{}, Q: &keyway.Project{}}
	rows := map[string]bool{}
	for _, r := range m.rows() {
		name, _, _ := strings.Cut(r.name, " ")
		rows[name] = true
	}
	callerType := reflect.TypeFor[*keyway.Caller]()
	st := reflect.TypeFor[*service.Service]()
	for i := range st.NumMethod() {
		meth := st.Method(i)
		takesCaller := false
		for j := 1; j < meth.Type.NumIn(); j++ {
			takesCaller = takesCaller || meth.Type.In(j) == callerType
		}
		switch {
		case !takesCaller:
		case rows[meth.Name] && notInMatrix[meth.Name]:
			t.Errorf("%s has a matrix row now: take it off notInMatrix", meth.Name)
		case !rows[meth.Name] && !notInMatrix[meth.Name]:
			t.Errorf("%s takes a caller but has no row in the role matrix", meth.Name)
		}
	}
}
