package app_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// The role matrix: every management operation against every kind of
// caller (CONTRACT.md "Management authentication"). Account A belongs to
// the admin; P and Q are its projects. Callers:
//
//   - admin: A's founder;
//   - user, viewer: members of A with that role over the whole account;
//   - narrowedToQ: a member of A with role user over project Q only;
//   - otherAccount: the founder of account B, admin there and nothing in A;
//   - projectKey: a project-level access key of the target's project (P
//     unless a row says otherwise), which acts as a user there;
//   - bootstrapKey: the harness's account-level access key, admin of a
//     third account.
//
// Rules the table proves: a viewer reads; a user also manages API keys and
// webhooks; an admin also access keys, projects, people, invitations and
// the account. A project-level key reaches nothing of the account as a
// whole: not its people, not its account-wide notifications. An object
// named in the path that the caller cannot see is 404 with that object's
// body, one it sees but may not change 403; an account or project named
// in a query or body outside the caller's reach is 403; creations refuse
// a caller lacking the role anywhere with 403 before validating the body.
// Every refused write is checked to have changed nothing.

type rmCaller int

const (
	rmAdmin rmCaller = iota
	rmUser
	rmViewer
	rmNarrowed
	rmOther
	rmProjectKey
	rmBootstrap
	rmCallers
)

var rmCallerNames = [rmCallers]string{"admin", "user", "viewer", "narrowedToQ", "otherAccount", "projectKey", "bootstrapKey"}

// rmWant is the status each caller gets, in the order of the columns.
type rmWant [rmCallers]int

func rmW(admin, user, viewer, narrowedToQ, otherAccount, projectKey, bootstrapKey int) rmWant {
	return rmWant{admin, user, viewer, narrowedToQ, otherAccount, projectKey, bootstrapKey}
}

func rmAllW(status int) rmWant { return rmW(status, status, status, status, status, status, status) }

// 404 bodies of the objects without a constant in scenario_test.go.
const (
	rmErrWebhookNotFound      = `{"statusCode":404,"message":"Webhook not found","error":"Not Found"}`
	rmErrInvitationNotFound   = `{"statusCode":404,"message":"Invitation not found","error":"Not Found"}`
	rmErrNotificationNotFound = `{"statusCode":404,"message":"Notification not found","error":"Not Found"}`
	rmErrUserNotFound         = `{"statusCode":404,"message":"User not found","error":"Not Found"}`
)

// rmRun prepares what one row needs, sends its request as the caller and
// returns the answer with, for a write, a check that a refusal changed
// nothing (nil for reads).
type rmRun func(t *testing.T, c rmCaller) (*response, func(t *testing.T))

type rmOp struct {
	name string
	want rmWant
	// notFound is the 404 body of the object the path names.
	notFound string
	run      rmRun
}

type rmFixture struct {
	s      *server
	people [rmCallers]person // the callers that are users
	tgt    person            // a viewer of A whose roles and name the rows change
	A, B   string
	P, Q   keyway.Project
	pkey   string        // project-level access key of P
	key    keyway.APIKey // an API key of P, never changed
	hook   keyway.Webhook
	// delivery is hook's one delivery, of P's project.updated.
	delivery keyway.Delivery
	rcvURL   string
	n        int
}

func rmNewFixture(t *testing.T, s *server) *rmFixture {
	t.Helper()
	fx := &rmFixture{s: s}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(rcv.Close)
	fx.rcvURL = rcv.URL + "/hook"

	admin, a := s.founder(t, "rm-admin@example.com")
	other, b := s.founder(t, "rm-other@example.com")
	fx.people[rmAdmin], fx.people[rmOther], fx.A, fx.B = admin, other, a, b
	fx.P = fx.newProject(t, "P")
	fx.Q = fx.newProject(t, "Q")
	fx.people[rmUser] = s.member(t, admin, fx.A, "rm-user@example.com", keyway.RoleUser)
	fx.people[rmViewer] = s.member(t, admin, fx.A, "rm-viewer@example.com", keyway.RoleViewer)
	fx.people[rmNarrowed] = s.member(t, admin, fx.A, "rm-narrowed@example.com", keyway.RoleUser, fx.Q.ID)
	fx.tgt = s.member(t, admin, fx.A, "rm-target@example.com", keyway.RoleViewer)
	fx.pkey = (fx.newAccessKey(t, fx.P.ID).Key).Reveal()
	fx.key = fx.newKey(t, fx.P.ID)
	fx.hook = fx.newWebhook(t)
	// One event of P for the webhook: a rename to the same name.
	fx.adm(t, "PATCH", "/projects/"+fx.P.ID, map[string]any{"name": fx.P.Name}, 200)
	fx.delivery = fx.settledDelivery(t)
	return fx
}

// as sends a request as caller c, with the project-level key of P.
func (fx *rmFixture) as(t *testing.T, c rmCaller, method, path string, body any) *response {
	t.Helper()
	return fx.asIn(t, c, fx.P.ID, method, path, body)
}

// asIn sends a request as caller c; a project key is one of projectID.
func (fx *rmFixture) asIn(t *testing.T, c rmCaller, projectID, method, path string, body any) *response {
	t.Helper()
	switch c {
	case rmProjectKey:
		key := fx.pkey
		if projectID != fx.P.ID {
			key = (fx.newAccessKey(t, projectID).Key).Reveal()
		}
		return fx.s.withT(t).callAs(key, method, path, body)
	case rmBootstrap:
		return fx.s.withT(t).callAs(fx.s.AccessKey, method, path, body)
	default:
		return fx.people[c].as(fx.s, t, method, path, body)
	}
}

// adm sends a request as A's admin and wants status.
func (fx *rmFixture) adm(t *testing.T, method, path string, body any, status int) *response {
	t.Helper()
	return fx.people[rmAdmin].as(fx.s, t, method, path, body).want(t, status)
}

func (fx *rmFixture) email(what string) string {
	fx.n++
	return fmt.Sprintf("rm-%s-%d@example.com", what, fx.n)
}

func (fx *rmFixture) name(what string) string {
	fx.n++
	return fmt.Sprintf("%s %d", what, fx.n)
}

func (fx *rmFixture) newProject(t *testing.T, name string) keyway.Project {
	t.Helper()
	var p keyway.Project
	fx.adm(t, "POST", "/projects", map[string]any{"name": name, "accountId": fx.A, "env": "live"}, 201).decode(t, &p)
	return p
}

func (fx *rmFixture) newKey(t *testing.T, projectID string) keyway.APIKey {
	t.Helper()
	var k keyway.APIKey
	fx.adm(t, "POST", "/api-keys", map[string]any{"name": fx.name("key"), "projectId": projectID}, 201).decode(t, &k)
	return k
}

func (fx *rmFixture) newRevokedKey(t *testing.T) keyway.APIKey {
	t.Helper()
	k := fx.newKey(t, fx.P.ID)
	fx.adm(t, "DELETE", "/api-keys/"+k.Key.Reveal(), nil, 200)
	return k
}

// newAccessKey makes an access key of A: project-level when projectID is
// set, account-level otherwise.
func (fx *rmFixture) newAccessKey(t *testing.T, projectID string) keyway.AccessKey {
	t.Helper()
	body := map[string]any{"name": fx.name("access key"), "accountId": fx.A}
	if projectID != "" {
		body["projectId"] = projectID
	}
	var k keyway.AccessKey
	fx.adm(t, "POST", "/access-keys", body, 201).decode(t, &k)
	return k
}

func (fx *rmFixture) newWebhook(t *testing.T) keyway.Webhook {
	t.Helper()
	var w keyway.Webhook
	fx.adm(t, "POST", "/webhooks", fx.webhookBody(), 201).decode(t, &w)
	return w
}

// webhookBody is a webhook of P on project.updated, which only the setup
// emits for P.
func (fx *rmFixture) webhookBody() map[string]any {
	return map[string]any{"name": fx.name("hook"), "url": fx.rcvURL, "topics": []string{keyway.TopicProjectUpdated},
		"httpMethod": "POST", "accountId": fx.A, "projectId": fx.P.ID}
}

// newInvitation invites a new address to A as a user.
func (fx *rmFixture) newInvitation(t *testing.T) keyway.Invitation {
	t.Helper()
	var invs []keyway.Invitation
	fx.adm(t, "POST", "/invitations", map[string]any{"emails": []string{fx.email("invitee")}, "role": "user", "accountId": fx.A}, 201).decode(t, &invs)
	if len(invs) != 1 {
		t.Fatalf("invitations %+v", invs)
	}
	return invs[0]
}

// newInvitationToP invites a new address to A as a user of project P only.
func (fx *rmFixture) newInvitationToP(t *testing.T) keyway.Invitation {
	t.Helper()
	var invs []keyway.Invitation
	fx.adm(t, "POST", "/invitations", map[string]any{"emails": []string{fx.email("p-invitee")}, "role": "user", "accountId": fx.A, "projectIds": []string{fx.P.ID}}, 201).decode(t, &invs)
	if len(invs) != 1 {
		t.Fatalf("invitations %+v", invs)
	}
	return invs[0]
}

// newNotification has a new person join A, which leaves an unread,
// account-wide notification, and returns it.
func (fx *rmFixture) newNotification(t *testing.T) keyway.Notification {
	t.Helper()
	var invs []keyway.Invitation
	email := fx.email("joiner")
	fx.adm(t, "POST", "/invitations", map[string]any{"emails": []string{email}, "role": "viewer", "accountId": fx.A}, 201).decode(t, &invs)
	fx.s.withT(t).callAs("", "POST", "/auth/signup", map[string]any{"email": email, "password": "joiner password 1", "name": "Joiner", "invitationId": invs[0].ID}).want(t, 201)
	var ns []keyway.Notification
	fx.adm(t, "GET", "/notifications?limit=1000", nil, 200).decode(t, &ns)
	for _, n := range ns {
		if strings.Contains(n.Message, email) {
			if n.ReadAt != nil || n.ProjectID != nil || n.AccountID != fx.A {
				t.Fatalf("notification of a join %+v", n)
			}
			return n
		}
	}
	t.Fatalf("no notification of %s joining in %+v", email, ns)
	return keyway.Notification{}
}

// newNoticeOf makes a key of a project of A that expires in three days and
// returns the unread notice of it the server writes (every 50 ms here).
func (fx *rmFixture) newNoticeOf(t *testing.T, projectID string) keyway.Notification {
	t.Helper()
	name := fx.name("expiring key")
	fx.adm(t, "POST", "/api-keys", map[string]any{"name": name, "projectId": projectID, "expiry": iso(fx.s.Clock.Now().Add(3 * 24 * time.Hour))}, 201)
	var notice keyway.Notification
	keywaytest.EventuallyShows(t, fmt.Sprintf("a notice of %s expiring", name), func() (bool, string) {
		var ns []keyway.Notification
		fx.adm(t, "GET", "/notifications?limit=1000", nil, 200).decode(t, &ns)
		for _, n := range ns {
			if n.Title == "API key expiring: "+name {
				notice = n
				return true, ""
			}
		}
		return false, fmt.Sprintf("notifications %+v", ns)
	})
	if notice.ProjectID == nil || *notice.ProjectID != projectID || notice.ReadAt != nil {
		t.Fatalf("notice of a key of %s: %+v", projectID, notice)
	}
	return notice
}

// settledDelivery waits until hook's one delivery is delivered, so a
// snapshot of it holds still, and returns it.
func (fx *rmFixture) settledDelivery(t *testing.T) keyway.Delivery {
	t.Helper()
	var ds []keyway.Delivery
	keywaytest.EventuallyShows(t, "the hook's one delivery delivered", func() (bool, string) {
		fx.adm(t, "GET", "/webhooks/"+fx.hook.ID+"/deliveries", nil, 200).decode(t, &ds)
		return len(ds) == 1 && ds[0].State == keyway.DeliveryDelivered, fmt.Sprintf("deliveries %+v", ds)
	})
	return ds[0]
}

// same reads path as the admin now and returns a check that it still
// reads the same.
func (fx *rmFixture) same(t *testing.T, path string) func(t *testing.T) {
	t.Helper()
	before := string(fx.adm(t, "GET", path, nil, 200).Body)
	return func(t *testing.T) {
		t.Helper()
		if after := string(fx.adm(t, "GET", path, nil, 200).Body); after != before {
			t.Errorf("a refused request changed GET %s:\nbefore %s\nafter  %s", path, before, after)
		}
	}
}

// verifies checks that an API key still verifies.
func (fx *rmFixture) verifies(key string) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		fx.adm(t, "POST", "/api-keys/auth/"+key, nil, 200)
	}
}

// works checks that an access key still authenticates.
func (fx *rmFixture) works(accessKey string) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		fx.s.withT(t).callAs(accessKey, "GET", "/accounts", nil).want(t, 200)
	}
}

func rmAll(checks ...func(t *testing.T)) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		for _, c := range checks {
			c(t)
		}
	}
}

// read is a row that GETs a fixed path.
func (fx *rmFixture) read(path string) rmRun {
	return func(t *testing.T, c rmCaller) (*response, func(t *testing.T)) {
		return fx.as(t, c, "GET", path, nil), nil
	}
}

// write is a row that sends a fixed request, checking path for changes.
func (fx *rmFixture) write(method, path string, body any, watch string) rmRun {
	return func(t *testing.T, c rmCaller) (*response, func(t *testing.T)) {
		same := fx.same(t, watch)
		return fx.as(t, c, method, path, body), same
	}
}

func (fx *rmFixture) ops() []rmOp {
	A, P := fx.A, fx.P.ID
	keysOfP := "/api-keys?projectId=" + P + "&limit=1000"
	revokedOfP := keysOfP + "&isActive=false"
	accessKeys := "/access-keys?accountId=" + A + "&limit=1000"
	projects := "/projects?accountId=" + A + "&limit=1000"
	teammates := "/teammates?accountId=" + A
	webhooks := "/webhooks?accountId=" + A + "&limit=1000"
	invitations := "/invitations?accountId=" + A + "&limit=1000"
	tgtRoles := "/users/" + fx.tgt.ID + "/roles"
	return []rmOp{
		// API keys: a viewer reads, a user manages.
		{"GET /api-keys?projectId=P", rmW(200, 200, 200, 403, 403, 200, 403), "", fx.read("/api-keys?projectId=" + P)},
		{"POST /api-keys {projectId: P}", rmW(201, 201, 403, 403, 403, 201, 403), "",
			fx.write("POST", "/api-keys", map[string]any{"name": "made in the matrix", "projectId": P}, keysOfP)},
		{"POST /api-keys {} refuses before validating", rmW(400, 400, 403, 400, 400, 400, 400), "", fx.write("POST", "/api-keys", map[string]any{}, keysOfP)},
		{"GET /api-keys/{key}", rmW(200, 200, 200, 404, 404, 200, 404), errKeyNotFound, fx.read(("/api-keys/" + fx.key.Key).Reveal())},
		{"PATCH /api-keys/{key}", rmW(200, 200, 403, 404, 404, 200, 404), errKeyNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newKey(t, P)
			same := fx.same(t, "/api-keys/"+k.Key.Reveal())
			return fx.as(t, c, "PATCH", "/api-keys/"+k.Key.Reveal(), map[string]any{"name": "renamed", "allowedDomains": []string{"evil.example"}}), same
		}},
		{"DELETE /api-keys/{key}", rmW(200, 200, 403, 404, 404, 200, 404), errKeyNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newKey(t, P)
			same := fx.same(t, "/api-keys/"+k.Key.Reveal())
			return fx.as(t, c, "DELETE", "/api-keys/"+k.Key.Reveal(), nil), rmAll(same, fx.verifies(k.Key.Reveal()))
		}},
		{"PATCH /api-keys/{revoked key}/reactivate", rmW(200, 200, 403, 404, 404, 200, 404), errKeyNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newRevokedKey(t)
			same := fx.same(t, revokedOfP)
			return fx.as(t, c, "PATCH", "/api-keys/"+k.Key.Reveal()+"/reactivate", nil), same
		}},
		{"POST /api-keys/{key}/rotate", rmW(201, 201, 403, 404, 404, 201, 404), errKeyNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newKey(t, P)
			same := fx.same(t, "/api-keys/"+k.Key.Reveal())
			return fx.as(t, c, "POST", "/api-keys/"+k.Key.Reveal()+"/rotate", nil), rmAll(same, fx.verifies(k.Key.Reveal()))
		}},
		{"POST /api-keys/auth/{key}", rmW(200, 200, 200, 404, 404, 200, 404), errInvalidKey, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			return fx.as(t, c, "POST", "/api-keys/auth/"+fx.key.Key.Reveal(), nil), nil
		}},
		{"GET /api-keys/auth/{key}", rmW(200, 200, 200, 404, 404, 200, 404), errInvalidKey, fx.read(("/api-keys/auth/" + fx.key.Key).Reveal())},
		{"POST /auth/authenticate", rmW(201, 201, 201, 404, 404, 201, 404), errInvalidKey, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			return fx.as(t, c, "POST", "/auth/authenticate", map[string]any{"credentials": map[string]any{"api_key": fx.key.Key.Reveal()}}), nil
		}},

		// Access keys: credentials, so listing takes the role they carry
		// (admin for the account's, user for a project's); managing them
		// is an admin's job.
		{"GET /access-keys?accountId=A", rmW(200, 403, 403, 200, 403, 200, 403), "", fx.read("/access-keys?accountId=" + A)},
		{"GET /access-keys?accountId=A&projectId=P", rmW(200, 200, 403, 403, 403, 200, 403), "", fx.read("/access-keys?accountId=" + A + "&projectId=" + P)},
		{"POST /access-keys {accountId: A}", rmW(201, 403, 403, 403, 403, 403, 403), "",
			fx.write("POST", "/access-keys", map[string]any{"name": "made in the matrix", "accountId": A}, accessKeys)},
		{"POST /access-keys {accountId: A, projectId: P}", rmW(201, 403, 403, 403, 403, 403, 403), "",
			fx.write("POST", "/access-keys", map[string]any{"name": "made in the matrix", "accountId": A, "projectId": P}, accessKeys)},
		{"POST /access-keys {} refuses before validating", rmW(400, 403, 403, 403, 400, 403, 400), "", fx.write("POST", "/access-keys", map[string]any{}, accessKeys)},
		{"PATCH /access-keys/{key of P}", rmW(200, 403, 403, 404, 404, 403, 404), errAKNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newAccessKey(t, P)
			same := fx.same(t, accessKeys)
			return fx.as(t, c, "PATCH", "/access-keys/"+k.Key.Reveal(), map[string]any{"name": "renamed"}), same
		}},
		{"DELETE /access-keys/{key of P}", rmW(200, 403, 403, 404, 404, 403, 404), errAKNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newAccessKey(t, P)
			same := fx.same(t, accessKeys)
			return fx.as(t, c, "DELETE", "/access-keys/"+k.Key.Reveal(), nil), rmAll(same, fx.works(k.Key.Reveal()))
		}},
		{"PATCH /access-keys/{deactivated key of P}/reactivate", rmW(200, 403, 403, 404, 404, 403, 404), errAKNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newAccessKey(t, P)
			fx.adm(t, "DELETE", "/access-keys/"+k.Key.Reveal(), nil, 200)
			same := fx.same(t, accessKeys)
			return fx.as(t, c, "PATCH", "/access-keys/"+k.Key.Reveal()+"/reactivate", nil), same
		}},
		{"PATCH /access-keys/{key of A}", rmW(200, 403, 403, 404, 404, 404, 404), errAKNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newAccessKey(t, "")
			same := fx.same(t, accessKeys)
			return fx.as(t, c, "PATCH", "/access-keys/"+k.Key.Reveal(), map[string]any{"name": "renamed"}), same
		}},
		{"DELETE /access-keys/{key of A}", rmW(200, 403, 403, 404, 404, 404, 404), errAKNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			k := fx.newAccessKey(t, "")
			same := fx.same(t, accessKeys)
			return fx.as(t, c, "DELETE", "/access-keys/"+k.Key.Reveal(), nil), rmAll(same, fx.works(k.Key.Reveal()))
		}},

		// Projects: everyone in A reads those they reach; admins manage.
		{"GET /projects?accountId=A", rmW(200, 200, 200, 200, 403, 200, 403), "", fx.read("/projects?accountId=" + A)},
		{"POST /projects {accountId: A}", rmW(201, 403, 403, 403, 403, 403, 403), "",
			fx.write("POST", "/projects", map[string]any{"name": "made in the matrix", "accountId": A, "env": "test"}, projects)},
		{"POST /projects {} refuses before validating", rmW(400, 403, 403, 403, 400, 403, 400), "", fx.write("POST", "/projects", map[string]any{}, projects)},
		{"GET /projects/{P}", rmW(200, 200, 200, 404, 404, 200, 404), errProjNotFound, fx.read("/projects/" + P)},
		// A fresh project per row, and a project key of it.
		{"PATCH /projects/{id}", rmW(200, 403, 403, 404, 404, 403, 404), errProjNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			p := fx.newProject(t, fx.name("project"))
			same := fx.same(t, "/projects/"+p.ID)
			return fx.asIn(t, c, p.ID, "PATCH", "/projects/"+p.ID, map[string]any{"name": "renamed"}), same
		}},
		{"DELETE /projects/{id}", rmW(200, 403, 403, 404, 404, 403, 404), errProjNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			p := fx.newProject(t, fx.name("project"))
			k := fx.newKey(t, p.ID)
			same := fx.same(t, "/projects/"+p.ID)
			return fx.asIn(t, c, p.ID, "DELETE", "/projects/"+p.ID, nil), rmAll(same, fx.verifies(k.Key.Reveal()))
		}},

		// People and roles: admins manage.
		{"GET /user-roles", rmAllW(200), "", fx.read("/user-roles")},
		{"GET /user-roles?accountId=A", rmW(200, 200, 200, 200, 403, 200, 403), "", fx.read("/user-roles?accountId=" + A)},
		{"PATCH /users/{id}/roles {accountId: A, role: admin}", rmW(200, 403, 403, 403, 403, 403, 403), "", func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			same := fx.same(t, teammates)
			r := fx.as(t, c, "PATCH", tgtRoles, map[string]any{"accountId": A, "role": "admin"})
			if r.Status == 200 {
				fx.adm(t, "PATCH", tgtRoles, map[string]any{"accountId": A, "role": "viewer"}, 200)
			}
			return r, same
		}},
		{"PATCH /users/{id}/roles {} refuses before validating", rmW(400, 403, 403, 403, 400, 403, 400), "", fx.write("PATCH", tgtRoles, map[string]any{}, teammates)},
		{"DELETE /users/{id}/roles?accountId=A&projectId=P", rmW(200, 403, 403, 403, 403, 403, 403), "", func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			fx.adm(t, "PATCH", tgtRoles, map[string]any{"accountId": A, "projectId": P, "role": "user"}, 200)
			same := fx.same(t, teammates)
			return fx.as(t, c, "DELETE", tgtRoles+"?accountId="+A+"&projectId="+P, nil), same
		}},
		// user, viewer and narrowedToQ see the target in GET /teammates, so
		// the refusal is 403, not 404.
		{"PATCH /users/{id} {name}", rmW(200, 403, 403, 403, 404, 403, 403), rmErrUserNotFound,
			fx.write("PATCH", "/users/"+fx.tgt.ID, map[string]any{"name": "renamed"}, teammates)},

		// Webhooks: a viewer reads, a user manages.
		{"GET /webhooks?accountId=A", rmW(200, 200, 200, 200, 403, 200, 403), "", fx.read("/webhooks?accountId=" + A)},
		{"GET /webhooks?accountId=A&projectId=P", rmW(200, 200, 200, 403, 403, 200, 403), "", fx.read("/webhooks?accountId=" + A + "&projectId=" + P)},
		{"POST /webhooks {accountId: A, projectId: P}", rmW(201, 201, 403, 403, 403, 201, 403), "", func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			same := fx.same(t, webhooks)
			return fx.as(t, c, "POST", "/webhooks", fx.webhookBody()), same
		}},
		{"POST /webhooks {} refuses before validating", rmW(400, 400, 403, 400, 400, 400, 400), "", fx.write("POST", "/webhooks", map[string]any{}, webhooks)},
		{"GET /webhooks/{id}", rmW(200, 200, 200, 404, 404, 200, 404), rmErrWebhookNotFound, fx.read("/webhooks/" + fx.hook.ID)},
		{"PATCH /webhooks/{id}", rmW(200, 200, 403, 404, 404, 200, 404), rmErrWebhookNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			w := fx.newWebhook(t)
			same := fx.same(t, "/webhooks/"+w.ID)
			return fx.as(t, c, "PATCH", "/webhooks/"+w.ID, map[string]any{"name": "renamed", "status": "paused"}), same
		}},
		{"DELETE /webhooks/{id}", rmW(200, 200, 403, 404, 404, 200, 404), rmErrWebhookNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			w := fx.newWebhook(t)
			same := fx.same(t, "/webhooks/"+w.ID)
			return fx.as(t, c, "DELETE", "/webhooks/"+w.ID, nil), same
		}},
		{"POST /webhooks/ping", rmW(200, 200, 403, 200, 200, 200, 200), "", func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			return fx.as(t, c, "POST", "/webhooks/ping", map[string]any{"url": fx.rcvURL, "httpMethod": "POST"}), nil
		}},
		{"POST /webhooks/ping {} refuses before validating", rmW(400, 400, 403, 400, 400, 400, 400), "", func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			return fx.as(t, c, "POST", "/webhooks/ping", map[string]any{}), nil
		}},
		{"GET /webhooks/topics", rmAllW(200), "", fx.read("/webhooks/topics")},
		{"GET /webhooks/{id}/deliveries", rmW(200, 200, 200, 404, 404, 200, 404), rmErrWebhookNotFound, fx.read("/webhooks/" + fx.hook.ID + "/deliveries")},
		{"POST /webhooks/{id}/deliveries/{id}/retry", rmW(201, 201, 403, 404, 404, 201, 404), rmErrWebhookNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			fx.settledDelivery(t)
			path := "/webhooks/" + fx.hook.ID + "/deliveries"
			same := fx.same(t, path)
			return fx.as(t, c, "POST", path+"/"+fx.delivery.ID+"/retry", nil), same
		}},

		// Invitations: an admin's job; accepting is the invitee's.
		{"GET /invitations?accountId=A", rmW(200, 403, 403, 403, 403, 403, 403), "", fx.read("/invitations?accountId=" + A)},
		{"POST /invitations {accountId: A}", rmW(201, 403, 403, 403, 403, 403, 403), "", func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			same := fx.same(t, invitations)
			return fx.as(t, c, "POST", "/invitations", map[string]any{"emails": []string{fx.email("invitee")}, "role": "admin", "accountId": A}), same
		}},
		{"POST /invitations {} refuses before validating", rmW(400, 403, 403, 403, 400, 403, 400), "", fx.write("POST", "/invitations", map[string]any{}, invitations)},
		// An account-wide invitation is of the account as a whole, like an
		// account-level webhook: callers narrowed to a project do not see it.
		{"GET /invitations/{id}", rmW(200, 403, 403, 404, 404, 404, 404), rmErrInvitationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			inv := fx.newInvitation(t)
			return fx.as(t, c, "GET", "/invitations/"+inv.ID, nil), nil
		}},
		{"PATCH /invitations/{id} {role: admin}", rmW(200, 403, 403, 404, 404, 404, 404), rmErrInvitationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			inv := fx.newInvitation(t)
			same := fx.same(t, "/invitations/"+inv.ID)
			return fx.as(t, c, "PATCH", "/invitations/"+inv.ID, map[string]any{"role": "admin"}), same
		}},
		{"DELETE /invitations/{id}", rmW(200, 403, 403, 404, 404, 404, 404), rmErrInvitationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			inv := fx.newInvitation(t)
			same := fx.same(t, "/invitations/"+inv.ID)
			return fx.as(t, c, "DELETE", "/invitations/"+inv.ID, nil), same
		}},
		// An invitation to P alone is of P: a caller narrowed to Q cannot
		// see it, as it cannot see P.
		{"GET /invitations/{id of an invitation to P}", rmW(200, 403, 403, 404, 404, 403, 404), rmErrInvitationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			inv := fx.newInvitationToP(t)
			return fx.as(t, c, "GET", "/invitations/"+inv.ID, nil), nil
		}},
		{"PATCH /invitations/{id of an invitation to P} {role: admin}", rmW(200, 403, 403, 404, 404, 403, 404), rmErrInvitationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			inv := fx.newInvitationToP(t)
			same := fx.same(t, "/invitations/"+inv.ID)
			return fx.as(t, c, "PATCH", "/invitations/"+inv.ID, map[string]any{"role": "admin"}), same
		}},
		{"DELETE /invitations/{id of an invitation to P}", rmW(200, 403, 403, 404, 404, 403, 404), rmErrInvitationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			inv := fx.newInvitationToP(t)
			same := fx.same(t, "/invitations/"+inv.ID)
			return fx.as(t, c, "DELETE", "/invitations/"+inv.ID, nil), same
		}},
		{"POST /invitations/{id}/accept by someone else", rmW(404, 404, 404, 404, 404, 403, 403), rmErrInvitationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			inv := fx.newInvitation(t)
			same := rmAll(fx.same(t, "/invitations/"+inv.ID), fx.same(t, teammates))
			return fx.as(t, c, "POST", "/invitations/"+inv.ID+"/accept", nil), same
		}},
		// The people of A are A's own, not a project's: a project-level
		// key sees none of them (see projectKeyReach).
		{"GET /teammates?accountId=A", rmW(200, 200, 200, 200, 403, 403, 403), "", fx.read("/teammates?accountId=" + A)},
		{"GET /teammates?accountId=A&projectId=P", rmW(200, 200, 200, 403, 403, 403, 403), "", fx.read("/teammates?accountId=" + A + "&projectId=" + P)},

		// Notifications: whoever sees one may mark it read (an
		// acknowledgement, which a viewer may make too). One of a project
		// is seen by whoever reaches the project; one of the account as a
		// whole by its people and account-wide keys, not by a project key.
		{"GET /notifications", rmAllW(200), "", fx.read("/notifications")},
		{"PATCH /notifications/{id of the account's}", rmW(200, 200, 200, 200, 404, 404, 404), rmErrNotificationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			n := fx.newNotification(t)
			same := fx.same(t, "/notifications?limit=1000")
			return fx.as(t, c, "PATCH", "/notifications/"+n.ID, nil), same
		}},
		{"PATCH /notifications/{id of P's}", rmW(200, 200, 200, 404, 404, 200, 404), rmErrNotificationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			n := fx.newNoticeOf(t, P)
			same := fx.same(t, "/notifications?limit=1000")
			return fx.as(t, c, "PATCH", "/notifications/"+n.ID, nil), same
		}},
		{"PATCH /notifications/{id of Q's}", rmW(200, 200, 200, 200, 404, 404, 404), rmErrNotificationNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			n := fx.newNoticeOf(t, fx.Q.ID)
			same := fx.same(t, "/notifications?limit=1000")
			return fx.as(t, c, "PATCH", "/notifications/"+n.ID, nil), same
		}},

		// Accounts, last: creating one changes the caller's grants until it
		// is deleted again, and deleting A would end the matrix.
		{"GET /accounts", rmAllW(200), "", fx.read("/accounts")},
		{"GET /accounts/{A}", rmW(200, 200, 200, 200, 404, 200, 404), errAcctNotFound, fx.read("/accounts/" + A)},
		{"PATCH /accounts/{A}", rmW(200, 403, 403, 403, 404, 403, 404), errAcctNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			same := fx.same(t, "/accounts/"+A)
			return fx.as(t, c, "PATCH", "/accounts/"+A, map[string]any{"name": fx.name("account A")}), same
		}},
		{"POST /accounts/{A}/users {email}", rmW(201, 403, 403, 403, 404, 403, 404), errAcctNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			same := fx.same(t, invitations)
			return fx.as(t, c, "POST", "/accounts/"+A+"/users", map[string]any{"email": fx.email("invitee")}), same
		}},
		// Like POST /invitations, callers that are admins nowhere are
		// refused before the body is validated.
		{"POST /accounts/{A}/users {} refuses before validating", rmW(400, 403, 403, 403, 400, 403, 400), "", fx.write("POST", "/accounts/"+A+"/users", map[string]any{}, invitations)},
		{"POST /accounts", rmW(201, 201, 201, 201, 201, 403, 403), "", func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			before := string(fx.as(t, c, "GET", "/accounts", nil).want(t, 200).Body)
			r := fx.as(t, c, "POST", "/accounts", map[string]any{"name": "made in the matrix"})
			if r.Status == 201 {
				// The creator is its admin and may delete it again.
				var a keyway.Account
				r.decode(t, &a)
				fx.as(t, c, "DELETE", "/accounts/"+a.ID, nil).want(t, 200)
			}
			return r, func(t *testing.T) {
				if after := string(fx.as(t, c, "GET", "/accounts", nil).want(t, 200).Body); after != before {
					t.Errorf("a refused POST /accounts changed the caller's accounts:\nbefore %s\nafter  %s", before, after)
				}
			}
		}},
		{"POST /accounts {} refuses access keys before validating", rmW(400, 400, 400, 400, 400, 403, 403), "", func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			return fx.as(t, c, "POST", "/accounts", map[string]any{}), nil
		}},
		// The admin deletes an account of their own making, not A.
		{"DELETE /accounts/{A}", rmW(200, 403, 403, 403, 404, 403, 404), errAcctNotFound, func(t *testing.T, c rmCaller) (*response, func(*testing.T)) {
			id := A
			if c == rmAdmin {
				var a keyway.Account
				fx.adm(t, "POST", "/accounts", map[string]any{"name": "to delete"}, 201).decode(t, &a)
				id = a.ID
			}
			same := fx.same(t, "/accounts/"+A)
			return fx.as(t, c, "DELETE", "/accounts/"+id, nil), rmAll(same, fx.verifies(fx.key.Key.Reveal()), fx.works(fx.pkey))
		}},
	}
}

// TestRoleMatrix runs every management operation as every kind of caller.
func TestRoleMatrix(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		// Notices of expiring keys are written every 50 ms, so rows can
		// have notifications of a project.
		s := startServerWith(t, dbURL, nil, func(c *app.Config) { c.ExpiryNoticeInterval = 50 * time.Millisecond })
		fx := rmNewFixture(t, s)
		t.Run("viewer sees no access keys", fx.viewerSeesNoAccessKeys)
		t.Run("narrowed user sees P not at all and manages Q", fx.narrowedToQ)
		t.Run("other accounts find nothing of A", fx.otherAccounts)
		t.Run("effective role is the strongest grant", fx.strongestGrant)
		t.Run("admin narrowed to Q", fx.adminOfQ)
		// It makes keys in P and Q, which narrowedToQ counts: after it.
		t.Run("project-level credentials reach only their project", fx.projectKeyReach)
		ops := fx.ops()
		rows := 0
		t.Run("matrix", func(t *testing.T) {
			for _, op := range ops {
				for c := range rmCallers {
					rows++
					want := op.want[c]
					t.Run(op.name+"/"+rmCallerNames[c], func(t *testing.T) {
						r, unchanged := op.run(t, c)
						if r.Status != want {
							t.Fatalf("status %d, want %d; body %s", r.Status, want, r.Body)
						}
						switch want {
						case 403:
							matchJSON(t, r.Body, errForbidden)
						case 404:
							if op.notFound == "" {
								t.Fatal("the table gives no 404 body for this operation")
							}
							matchJSON(t, r.Body, op.notFound)
						}
						if want >= 400 && unchanged != nil {
							unchanged(t)
						}
					})
				}
			}
		})
		if rows > 0 {
			t.Logf("%d operations × %d callers = %d rows", len(ops), rmCallers, rows)
		}
		t.Run("expired user tokens", fx.expiredTokens)
	})
}
