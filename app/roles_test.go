package app_test

// Roles and teammates: changing, removing and renaming, split from
// invitations_test.go, whose helpers (invt*) these use.

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest/harness"
)

func TestRolesChange(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, acct := s.founder(t, "alice@example.com")
		p1 := invtProject(t, s, alice, acct, "p1")
		p2 := invtProject(t, s, alice, acct, "p2")
		bob := s.member(t, alice, acct, "bob@example.com", keyway.RoleViewer)
		vic := s.member(t, alice, acct, "vic@example.com", keyway.RoleViewer)
		carol, carolAcct := s.founder(t, "carol@example.com")
		carolP := invtProject(t, s, carol, carolAcct, "carol's")
		set := func(p person, name, userID string, body any, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "PATCH", path: "/users/" + userID + "/roles", body: body, wantStatus: status, wantJSON: wantJSON})
		}
		role := func(r keyway.Role, projectID ...string) map[string]any {
			b := map[string]any{"accountId": acct, "role": r}
			if len(projectID) > 0 {
				b["projectId"] = projectID[0]
			}
			return b
		}
		run(t, s, []scenario{
			set(alice, "promote", bob.ID, role(keyway.RoleUser), 200, invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser))),
			set(alice, "a project role is added", bob.ID, role(keyway.RoleAdmin, p1.ID), 200,
				invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser), invtRole(bob.ID, acct, p1.ID, keyway.RoleAdmin))),
			set(alice, "and replaced", bob.ID, role(keyway.RoleViewer, p1.ID), 200,
				invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser), invtRole(bob.ID, acct, p1.ID, keyway.RoleViewer))),
			invtAs(bob, scenario{name: "the member sees them", method: "GET", path: "/user-roles", wantStatus: 200,
				wantJSON: invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser), invtRole(bob.ID, acct, p1.ID, keyway.RoleViewer))}),
			set(alice, "not a member", carol.ID, role(keyway.RoleUser), 404, invtErrUserNotFound),
			set(alice, "nobody", "nope", role(keyway.RoleUser), 404, invtErrUserNotFound),
			set(alice, "the last admin demotes themselves", alice.ID, role(keyway.RoleUser), 409, invtErrLastAdmin),
			set(alice, "the last admin takes a project role", alice.ID, role(keyway.RoleViewer, p2.ID), 200,
				invtList(invtRole(alice.ID, acct, nil, keyway.RoleAdmin), invtRole(alice.ID, acct, p2.ID, keyway.RoleViewer))),
			set(alice, "bad role", bob.ID, map[string]any{"accountId": acct, "role": "root"}, 400, badRequest(invtErrRole)),
			set(alice, "no account", bob.ID, map[string]any{"role": "user"}, 400, badRequest("accountId should not be empty")),
			set(alice, "nothing", bob.ID, map[string]any{}, 400, badRequest("accountId should not be empty", invtErrRole)),
			set(alice, "another account", bob.ID, map[string]any{"accountId": carolAcct, "role": "user"}, 403, errForbidden),
			set(alice, "a project of another account", bob.ID, role(keyway.RoleUser, carolP.ID), 403, errForbidden),
			set(alice, "an unknown project", bob.ID, role(keyway.RoleUser, "nope"), 403, errForbidden),
			set(carol, "by another account's admin", bob.ID, role(keyway.RoleAdmin), 403, errForbidden),
			set(vic, "by a viewer", bob.ID, role(keyway.RoleAdmin), 403, errForbidden),
			set(vic, "a viewer promoting themselves", vic.ID, role(keyway.RoleAdmin), 403, errForbidden),
			{name: "by another account's access key", method: "PATCH", path: "/users/" + bob.ID + "/roles", body: role(keyway.RoleAdmin), wantStatus: 403, wantJSON: errForbidden},
			{name: "anonymous", as: anonymous, method: "PATCH", path: "/users/" + bob.ID + "/roles", body: role(keyway.RoleAdmin), wantStatus: 401, wantJSON: errUnauthorized},
			invtAs(bob, scenario{name: "unchanged by refusals", method: "GET", path: "/user-roles", wantStatus: 200,
				wantJSON: invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser), invtRole(bob.ID, acct, p1.ID, keyway.RoleViewer))}),
			set(alice, "make a project admin", vic.ID, role(keyway.RoleAdmin, p2.ID), 200,
				invtList(invtRole(vic.ID, acct, nil, keyway.RoleViewer), invtRole(vic.ID, acct, p2.ID, keyway.RoleAdmin))),
			set(vic, "a project admin sets roles in their project", bob.ID, role(keyway.RoleUser, p2.ID), 200,
				invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser), invtRole(bob.ID, acct, p1.ID, keyway.RoleViewer), invtRole(bob.ID, acct, p2.ID, keyway.RoleUser))),
			set(vic, "but not in another", bob.ID, role(keyway.RoleAdmin, p1.ID), 403, errForbidden),
			set(vic, "nor account-wide", vic.ID, role(keyway.RoleAdmin), 403, errForbidden),
			// Two admins: one may demote the other, but not the last.
			set(alice, "a second admin", bob.ID, role(keyway.RoleAdmin), 200,
				invtList(invtRole(bob.ID, acct, nil, keyway.RoleAdmin), invtRole(bob.ID, acct, p1.ID, keyway.RoleViewer), invtRole(bob.ID, acct, p2.ID, keyway.RoleUser))),
			set(bob, "demotes the first", alice.ID, role(keyway.RoleViewer), 200,
				invtList(invtRole(alice.ID, acct, nil, keyway.RoleViewer), invtRole(alice.ID, acct, p2.ID, keyway.RoleViewer))),
			set(alice, "who is no admin any more", bob.ID, role(keyway.RoleViewer), 403, errForbidden),
			set(bob, "the last admin again", bob.ID, role(keyway.RoleUser), 409, invtErrLastAdmin),
		})

		// An access key of an account administers its users' roles. (The
		// first to join is an admin: see TestInvitationIntoKeyManagedAccount.)
		var invs []keyway.Invitation
		s.call("POST", "/invitations", map[string]any{"emails": []string{"kim@example.com"}, "role": "admin"}).want(t, 201).decode(t, &invs)
		s.callAs("", "POST", "/auth/signup", invtSignup("kim@example.com", "Kim", invs[0].ID)).want(t, 201)
		s.call("POST", "/invitations", map[string]any{"emails": []string{"lee@example.com"}, "role": "viewer"}).want(t, 201).decode(t, &invs)
		s.callAs("", "POST", "/auth/signup", invtSignup("lee@example.com", "Lee", invs[0].ID)).want(t, 201)
		lee := s.signedIn(t, "lee@example.com", invtPassword)
		run(t, s, []scenario{
			{name: "an access key sets a role", method: "PATCH", path: "/users/" + lee.ID + "/roles", body: map[string]any{"accountId": s.AccountID, "role": "user"},
				wantStatus: 200, wantJSON: invtList(invtRole(lee.ID, s.AccountID, nil, keyway.RoleUser))},
			{name: "not in another account", method: "PATCH", path: "/users/" + bob.ID + "/roles", body: map[string]any{"accountId": acct, "role": "user"},
				wantStatus: 403, wantJSON: errForbidden},
		})
	})
}

func TestRolesRemove(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, acct := s.founder(t, "alice@example.com")
		p1 := invtProject(t, s, alice, acct, "p1")
		bob := s.member(t, alice, acct, "bob@example.com", keyway.RoleUser)
		vic := s.member(t, alice, acct, "vic@example.com", keyway.RoleViewer)
		carol, carolAcct := s.founder(t, "carol@example.com")
		alice.as(s, t, "PATCH", "/users/"+bob.ID+"/roles", map[string]any{"accountId": acct, "role": "admin", "projectId": p1.ID}).want(t, 200)
		remove := func(p person, name, path string, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "DELETE", path: path, wantStatus: status, wantJSON: wantJSON})
		}
		set := func(p person, name, userID, projectID string) scenario {
			return invtAs(p, scenario{name: name, method: "PATCH", path: "/users/" + userID + "/roles", wantStatus: 200,
				body: map[string]any{"accountId": acct, "role": "admin", "projectId": projectID}, check: func(t *testing.T, r *response) {}})
		}
		run(t, s, []scenario{
			remove(bob, "a project admin cannot remove a member from the account", "/users/"+vic.ID+"/roles?accountId="+acct, 403, errForbidden),
			remove(bob, "but removes roles over their project", "/users/"+bob.ID+"/roles?accountId="+acct+"&projectId="+p1.ID, 200,
				invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser))),
			set(alice, "given back", bob.ID, p1.ID),
			remove(alice, "a project role", "/users/"+bob.ID+"/roles?accountId="+acct+"&projectId="+p1.ID, 200,
				invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser))),
			remove(alice, "a project role not held", "/users/"+bob.ID+"/roles?accountId="+acct+"&projectId="+p1.ID, 404, invtErrUserNotFound),
			remove(alice, "an unknown member", "/users/nope/roles?accountId="+acct, 404, invtErrUserNotFound),
			remove(alice, "not a member", "/users/"+carol.ID+"/roles?accountId="+acct, 404, invtErrUserNotFound),
			remove(alice, "the last admin", "/users/"+alice.ID+"/roles?accountId="+acct, 409, invtErrLastAdmin),
			remove(alice, "another account", "/users/"+carol.ID+"/roles?accountId="+carolAcct, 403, errForbidden),
			remove(carol, "by another account's admin", "/users/"+bob.ID+"/roles?accountId="+acct, 403, errForbidden),
			remove(vic, "by a viewer", "/users/"+bob.ID+"/roles?accountId="+acct, 403, errForbidden),
			remove(bob, "by a user", "/users/"+vic.ID+"/roles?accountId="+acct, 403, errForbidden),
			{name: "by another account's access key", method: "DELETE", path: "/users/" + bob.ID + "/roles?accountId=" + acct, wantStatus: 403, wantJSON: errForbidden},
			{name: "anonymous", as: anonymous, method: "DELETE", path: "/users/" + bob.ID + "/roles?accountId=" + acct, wantStatus: 401, wantJSON: errUnauthorized},
			invtAs(vic, scenario{name: "the member is still there", method: "GET", path: "/accounts/" + acct, wantStatus: 200, check: func(t *testing.T, r *response) {}}),
			remove(alice, "a member leaves the account", "/users/"+vic.ID+"/roles?accountId="+acct, 200, "[]"),
			invtAs(vic, scenario{name: "their token no longer reaches it", method: "GET", path: "/accounts/" + acct, wantStatus: 404, wantJSON: errAcctNotFound}),
			invtAs(vic, scenario{name: "nor lists it", method: "GET", path: "/accounts", wantStatus: 200, wantJSON: "[]"}),
			invtAs(vic, scenario{name: "nor its projects", method: "GET", path: "/projects?accountId=" + acct, wantStatus: 403, wantJSON: errForbidden}),
			remove(alice, "removed twice", "/users/"+vic.ID+"/roles?accountId="+acct, 404, invtErrUserNotFound),
			remove(alice, "the caller's only account by default", "/users/"+bob.ID+"/roles", 200, "[]"),
			invtAs(alice, scenario{name: "a former member may be invited again", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"vic@example.com"}, "role": "user"}, wantStatus: 201, check: func(t *testing.T, r *response) {}}),
		})

		// With two admins, an admin may leave; the last may not.
		dan := s.member(t, alice, acct, "dan@example.com", keyway.RoleAdmin)
		run(t, s, []scenario{
			remove(alice, "an admin removes themselves", "/users/"+alice.ID+"/roles?accountId="+acct, 200, "[]"),
			invtAs(alice, scenario{name: "and is out", method: "GET", path: "/accounts/" + acct, wantStatus: 404, wantJSON: errAcctNotFound}),
			remove(dan, "the last one cannot", "/users/"+dan.ID+"/roles?accountId="+acct, 409, invtErrLastAdmin),
			invtAs(dan, scenario{name: "the remaining team", method: "GET", path: "/teammates", wantStatus: 200,
				wantJSON: invtList(invtMate(dan, "Member dan@example.com", keyway.RoleAdmin, nil))}),
		})
	})
}

func TestTeammates(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, acct := s.founder(t, "alice@example.com")
		p1 := invtProject(t, s, alice, acct, "p1")
		p2 := invtProject(t, s, alice, acct, "p2")
		// Invited in an order other than their addresses'.
		dora := s.member(t, alice, acct, "dora@example.com", keyway.RoleViewer)
		bob := s.member(t, alice, acct, "bob@example.com", keyway.RoleUser, p2.ID, p1.ID)
		carl := s.member(t, alice, acct, "carl@example.com", keyway.RoleAdmin, p2.ID)
		olga, olgaAcct := s.founder(t, "olga@example.com")
		olgaP := invtProject(t, s, olga, olgaAcct, "olga's")
		alice.as(s, t, "PATCH", "/users/"+dora.ID+"/roles", map[string]any{"accountId": acct, "role": "admin", "projectId": p1.ID}).want(t, 200)
		aliceRow := invtMate(alice, "Founder alice@example.com", keyway.RoleAdmin, nil)
		bob1, bob2 := invtMate(bob, "Member bob@example.com", keyway.RoleUser, p1.ID), invtMate(bob, "Member bob@example.com", keyway.RoleUser, p2.ID)
		carl2 := invtMate(carl, "Member carl@example.com", keyway.RoleAdmin, p2.ID)
		dora0, dora1 := invtMate(dora, "Member dora@example.com", keyway.RoleViewer, nil), invtMate(dora, "Member dora@example.com", keyway.RoleAdmin, p1.ID)
		// Project ids are UUIDv7: p1 sorts before p2.
		if p1.ID >= p2.ID {
			t.Fatalf("project ids out of order: %s, %s", p1.ID, p2.ID)
		}
		mates := func(p person, name, query string, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "GET", path: "/teammates" + query, wantStatus: status, wantJSON: wantJSON})
		}
		run(t, s, []scenario{
			mates(alice, "everyone, by email then project", "?accountId="+acct, 200, invtList(aliceRow, bob1, bob2, carl2, dora0, dora1)),
			mates(alice, "the caller's only account by default", "", 200, invtList(aliceRow, bob1, bob2, carl2, dora0, dora1)),
			mates(alice, "one project: account-wide roles and its own", "?projectId="+p1.ID, 200, invtList(aliceRow, bob1, dora0, dora1)),
			mates(alice, "the other project", "?accountId="+acct+"&projectId="+p2.ID, 200, invtList(aliceRow, bob2, carl2, dora0)),
			mates(dora, "a viewer sees the team", "", 200, invtList(aliceRow, bob1, bob2, carl2, dora0, dora1)),
			mates(carl, "a member narrowed to a project sees the account-wide roles and its project's", "", 200, invtList(aliceRow, bob2, carl2, dora0)),
			mates(carl, "narrowed: its project", "?projectId="+p2.ID, 200, invtList(aliceRow, bob2, carl2, dora0)),
			mates(carl, "narrowed: another project", "?projectId="+p1.ID, 403, errForbidden),
			mates(alice, "another account", "?accountId="+olgaAcct, 403, errForbidden),
			mates(alice, "another account's project", "?projectId="+olgaP.ID, 403, errForbidden),
			mates(olga, "this account by another's admin", "?accountId="+acct, 403, errForbidden),
			mates(olga, "their own", "", 200, invtList(invtMate(olga, "Founder olga@example.com", keyway.RoleAdmin, nil))),
			{name: "an access key of an account without users", method: "GET", path: "/teammates", wantStatus: 200, wantJSON: "[]"},
			{name: "an access key naming another account", method: "GET", path: "/teammates?accountId=" + acct, wantStatus: 403, wantJSON: errForbidden},
			{name: "anonymous", as: anonymous, method: "GET", path: "/teammates?accountId=" + acct, wantStatus: 401, wantJSON: errUnauthorized},
		})
		// A rename shows.
		bob.as(s, t, "PATCH", "/users/"+bob.ID, map[string]any{"name": "Robert"}).want(t, 200)
		run(t, s, []scenario{
			mates(alice, "renamed", "?projectId="+p1.ID, 200, invtList(aliceRow,
				invtMate(bob, "Robert", keyway.RoleUser, p1.ID), dora0, dora1)),
		})
	})
}

func TestRolesRenameUser(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		t0 := s.now()
		alice, acct := s.founder(t, "alice@example.com")
		p1 := invtProject(t, s, alice, acct, "p1")
		bob := s.member(t, alice, acct, "bob@example.com", keyway.RoleUser)
		pat := s.member(t, alice, acct, "pat@example.com", keyway.RoleAdmin, p1.ID)
		olga, _ := s.founder(t, "olga@example.com")
		s.Clock.Advance(time.Minute)
		now := s.now()
		user := func(p person, name string, created, updated string) string {
			return js(map[string]any{"id": p.ID, "email": p.Email, "name": name, "createdAt": created, "updatedAt": updated})
		}
		rename := func(p person, name, userID string, body any, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "PATCH", path: "/users/" + userID, body: body, wantStatus: status, wantJSON: wantJSON})
		}
		run(t, s, []scenario{
			rename(bob, "oneself", bob.ID, map[string]any{"name": "Bobby"}, 200, user(bob, "Bobby", t0, now)),
			rename(alice, "an account-wide admin renames a member", bob.ID, map[string]any{"name": "Robert", "email": "x@example.com"}, 200, user(bob, "Robert", t0, now)),
			rename(alice, "and a project admin", pat.ID, map[string]any{"name": "Patricia"}, 200, user(pat, "Patricia", t0, now)),
			rename(pat, "a project admin sees a teammate but may not rename them", bob.ID, map[string]any{"name": "x"}, 403, errForbidden),
			rename(bob, "a member sees a teammate but may not rename them", alice.ID, map[string]any{"name": "x"}, 403, errForbidden),
			rename(olga, "a stranger", bob.ID, map[string]any{"name": "x"}, 404, invtErrUserNotFound),
			rename(alice, "a stranger to the admin", olga.ID, map[string]any{"name": "x"}, 404, invtErrUserNotFound),
			rename(alice, "nobody", "nope", map[string]any{"name": "x"}, 404, invtErrUserNotFound),
			rename(bob, "no name", bob.ID, map[string]any{"name": " "}, 400, badRequest("name should not be empty")),
			{name: "an access key", method: "PATCH", path: "/users/" + bob.ID, body: map[string]any{"name": "x"}, wantStatus: 403, wantJSON: errForbidden},
			{name: "anonymous", as: anonymous, method: "PATCH", path: "/users/" + bob.ID, body: map[string]any{"name": "x"}, wantStatus: 401, wantJSON: errUnauthorized},
			invtTeam(alice, "the team shows the names", []string{
				invtMate(alice, "Founder alice@example.com", keyway.RoleAdmin, nil),
				invtMate(bob, "Robert", keyway.RoleUser, nil),
				invtMate(pat, "Patricia", keyway.RoleAdmin, p1.ID),
			}),
		})
		// A member removed from the account is no longer the admin's to rename.
		alice.as(s, t, "DELETE", "/users/"+bob.ID+"/roles?accountId="+acct, nil).want(t, 200)
		alice.as(s, t, "PATCH", "/users/"+bob.ID, map[string]any{"name": "x"}).want(t, 404).wantJSON(t, invtErrUserNotFound)
	})
}

// invtTeam asks GET /teammates of p's only account for exactly rows.
func invtTeam(p person, name string, rows []string) scenario {
	return invtAs(p, scenario{name: name, method: "GET", path: "/teammates", wantStatus: 200, wantJSON: invtList(rows...)})
}

// invtRaw is one request that is safe to send from any goroutine.
func invtRaw(s *server, p person, method, path string, body any) (int, string, error) {
	r, err := harness.Do(http.DefaultClient, method, s.URL+path, "", body, p.Auth[0], p.Auth[1])
	if err != nil {
		return 0, "", err
	}
	return r.Status, string(r.Body), nil
}

// Two admins demoting (or removing) each other at the same moment must not
// both succeed: the account keeps an admin. On PostgreSQL the account row
// lock serializes the two transactions.
func TestRolesConcurrentDemotion(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		x, _ := s.founder(t, "xena@example.com")
		y, _ := s.founder(t, "yuri@example.com")
		for round := range 8 {
			// A fresh account with exactly two admins, x and y.
			var a keyway.Account
			x.as(s, t, "POST", "/accounts", map[string]any{"name": fmt.Sprintf("round %d", round)}).want(t, 201).decode(t, &a)
			inv := invtInvite(t, s, x, map[string]any{"emails": []string{y.Email}, "role": "admin", "accountId": a.ID})
			y.as(s, t, "POST", "/invitations/"+inv.ID+"/accept", nil).want(t, 201)

			method, path := "PATCH", "/users/%s/roles"
			var body any = map[string]any{"accountId": a.ID, "role": "viewer"}
			if round%2 == 1 {
				method, path, body = "DELETE", "/users/%s/roles?accountId="+a.ID, nil
			}
			type result struct {
				status int
				body   string
				err    error
			}
			results := make([]result, 2)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, pair := range [][2]person{{x, y}, {y, x}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					st, b, err := invtRaw(s, pair[0], method, fmt.Sprintf(path, pair[1].ID), body)
					results[i] = result{st, b, err}
				}()
			}
			close(start)
			wg.Wait()
			ok, survivor := 0, x
			for i, r := range results {
				switch {
				case r.err != nil:
					t.Fatalf("round %d: %v", round, r.err)
				case r.status == 200:
					ok++
					survivor = [2]person{x, y}[i]
				case r.status == 409 && r.body == invtErrLastAdmin, r.status == 403 && r.body == errForbidden:
				default:
					t.Fatalf("round %d %s: %d %s", round, method, r.status, r.body)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d %s: %d of 2 succeeded: %+v", round, method, ok, results)
			}
			// Exactly one account-wide admin is left, and it still works.
			var team []keyway.Teammate
			survivor.as(s, t, "GET", "/teammates?accountId="+a.ID, nil).want(t, 200).decode(t, &team)
			admins := 0
			for _, m := range team {
				if m.Role == keyway.RoleAdmin && m.ProjectID == nil {
					admins++
				}
			}
			if admins != 1 {
				t.Fatalf("round %d %s: %d admins left: %+v", round, method, admins, team)
			}
		}
	})
}

// A deleted account's invitations lead nowhere: the public page says the
// invitation does not exist, and neither signing up with it nor accepting
// it joins anyone to the account or writes anything.
func TestInvitationIntoDeletedAccount(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, acct := s.founder(t, "alice@example.com")
		bob, bobAcct := s.founder(t, "bob@example.com")
		forNew := invtInvite(t, s, alice, map[string]any{"emails": []string{"new@example.com"}, "role": "viewer", "accountId": acct})
		forBob := invtInvite(t, s, alice, map[string]any{"emails": []string{"bob@example.com"}, "role": "user", "accountId": acct})
		alice.as(s, t, "DELETE", "/accounts/"+acct, nil).want(t, 200)
		run(t, s, []scenario{
			{name: "info", as: anonymous, method: "GET", path: "/invitations/" + forNew.ID + "/info", wantStatus: 404, wantJSON: invtErrNotFound},
			{name: "signup with it", as: anonymous, method: "POST", path: "/auth/signup", body: invtSignup("new@example.com", "Newbie", forNew.ID),
				wantStatus: 404, wantJSON: invtErrNotFound},
			invtAs(bob, scenario{name: "accepting it", method: "POST", path: "/invitations/" + forBob.ID + "/accept", wantStatus: 404, wantJSON: invtErrNotFound}),
			invtAs(bob, scenario{name: "the accepter keeps their account", method: "GET", path: "/user-roles", wantStatus: 200,
				wantJSON: invtList(invtRole(bob.ID, bobAcct, nil, keyway.RoleAdmin))}),
			// Nothing was written: the address signs up on its own.
			{name: "the address signs up alone", as: anonymous, method: "POST", path: "/auth/signup", body: invtSignup("new@example.com", "Newbie", ""),
				wantStatus: 201, wantEmpty: true},
		})
	})
}
