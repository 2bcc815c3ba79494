package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
)

// Tests of invitations, of what people do together in an account (roles,
// teammates, renaming) and of accounts made by users: CONTRACT.md
// operations 12–14, 22–28, 35 and 47–55.

// Exact answers of the people operations.
const (
	invtErrNotFound     = `{"statusCode":404,"message":"Invitation not found","error":"Not Found"}`
	invtErrNotPending   = `{"statusCode":409,"message":"Invitation is no longer pending","error":"Conflict"}`
	invtErrUserNotFound = `{"statusCode":404,"message":"User not found","error":"Not Found"}`
	invtErrLastAdmin    = `{"statusCode":409,"message":"An account must keep at least one admin","error":"Conflict"}`
	invtErrRole         = "role must be one of the following values: admin, user, viewer"
	invtPassword        = "invitee password 1"
	invtWeek            = 7 * 24 * time.Hour
)

func invtConflict(message string) string {
	return js(map[string]any{"statusCode": 409, "message": message, "error": "Conflict"})
}

// invtAs makes a scenario send p's user token instead of an access key.
func invtAs(p person, sc scenario) scenario {
	sc.as = anonymous
	sc.headers = append(append([]string{}, p.Auth...), sc.headers...)
	return sc
}

// invtList joins expectations into a JSON array.
func invtList(items ...string) string { return "[" + strings.Join(items, ",") + "]" }

// invtWant is the expected Invitation of email into accountID made at
// created by the given actor: pending, account-wide, as a viewer, unless
// overridden.
func invtWant(email, accountID, invitedBy, invitedByType string, created time.Time, overrides ...map[string]any) string {
	return obj(map[string]any{
		"id": reUUID, "email": email, "accountId": accountID, "projectIds": []string{}, "role": "viewer",
		"status": "pending", "invitedBy": invitedBy, "invitedByType": invitedByType, "acceptedBy": nil,
		"expiresAt": iso(created.Add(invtWeek)), "createdAt": iso(created), "updatedAt": iso(created),
	}, overrides...)
}

// invtOf is the expectation of an invitation as the server returned it,
// with overrides.
func invtOf(inv keyway.Invitation, overrides ...map[string]any) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(js(inv)), &m); err != nil {
		panic(err)
	}
	return obj(m, overrides...)
}

// invtInfo is the expected public page of an invitation.
func invtInfo(inv keyway.Invitation, accountName, inviterName string, overrides ...map[string]any) string {
	return obj(map[string]any{"id": inv.ID, "accountName": accountName, "inviterName": inviterName,
		"role": inv.Role, "status": "pending", "expiresAt": iso(inv.ExpiresAt.Time)}, overrides...)
}

// invtRole is one expected entry of a roles answer.
func invtRole(userID, accountID string, projectID any, role keyway.Role) string {
	return js(map[string]any{"userId": userID, "accountId": accountID, "projectId": projectID, "role": role})
}

// invtMate is one expected row of GET /teammates.
func invtMate(p person, name string, role keyway.Role, projectID any) string {
	return js(map[string]any{"userId": p.ID, "name": name, "email": p.Email, "role": role, "projectId": projectID})
}

func invtProject(t *testing.T, s *server, p person, accountID, name string) keyway.Project {
	t.Helper()
	var pr keyway.Project
	p.as(s, t, "POST", "/projects", map[string]any{"name": name, "accountId": accountID, "env": "live"}).want(t, 201).decode(t, &pr)
	return pr
}

// invtInvite invites one address as p and returns the invitation.
func invtInvite(t *testing.T, s *server, p person, body map[string]any) keyway.Invitation {
	t.Helper()
	var invs []keyway.Invitation
	p.as(s, t, "POST", "/invitations", body).want(t, 201).decode(t, &invs)
	if len(invs) != 1 {
		t.Fatalf("invite: %d invitations", len(invs))
	}
	return invs[0]
}

// invtInviteByKey invites one address with the bootstrap access key.
func invtInviteByKey(t *testing.T, s *server, body map[string]any) keyway.Invitation {
	t.Helper()
	var invs []keyway.Invitation
	s.withT(t).call("POST", "/invitations", body).want(t, 201).decode(t, &invs)
	if len(invs) != 1 {
		t.Fatalf("invite: %d invitations", len(invs))
	}
	return invs[0]
}

// invtSignup is the body of a signup with an invitation.
func invtSignup(email, name, invitationID string, extra ...string) map[string]any {
	b := map[string]any{"email": email, "password": invtPassword, "name": name}
	if invitationID != "" {
		b["invitationId"] = invitationID
	}
	for i := 0; i+1 < len(extra); i += 2 {
		b[extra[i]] = extra[i+1]
	}
	return b
}

// invtAccountIDs lists the ids of the accounts p sees.
func invtAccountIDs(t *testing.T, s *server, p person) []string {
	t.Helper()
	var as []keyway.Account
	p.as(s, t, "GET", "/accounts", nil).want(t, 200).decode(t, &as)
	ids := []string{}
	for _, a := range as {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

func invtSorted(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

func TestInvitationCreate(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, acct := s.founder(t, "alice@example.com")
		p1 := invtProject(t, s, alice, acct, "p1")
		p2 := invtProject(t, s, alice, acct, "p2")
		gone := invtProject(t, s, alice, acct, "gone")
		alice.as(s, t, "DELETE", "/projects/"+gone.ID, nil).want(t, 200)
		vic := s.member(t, alice, acct, "vic@example.com", keyway.RoleViewer)
		olga, olgaAcct := s.founder(t, "olga@example.com")
		olgaP := invtProject(t, s, olga, olgaAcct, "olga's")
		pk := s.projectKey(s.newProject("boot", "live").ID)
		s.Clock.Advance(time.Minute)
		at := s.Clock.Now()
		want := func(email string, o ...map[string]any) string {
			return invtWant(email, acct, alice.ID, "USER", at, o...)
		}
		inv := func(emails ...string) map[string]any {
			return map[string]any{"emails": emails, "role": "viewer", "accountId": acct}
		}
		with := func(b map[string]any, k string, v any) map[string]any { b[k] = v; return b }
		tooMany := make([]string, keyway.MaxInvitationEmails+1)
		for i := range tooMany {
			tooMany[i] = fmt.Sprintf("u%d@example.com", i)
		}
		post := func(name string, body any, status int, wantJSON string) scenario {
			return invtAs(alice, scenario{name: name, method: "POST", path: "/invitations", body: body, wantStatus: status, wantJSON: wantJSON})
		}
		run(t, s, []scenario{
			post("two addresses, normalised", inv(" New@Example.COM ", "second@example.com"), 201,
				invtList(want("new@example.com"), want("second@example.com"))),
			post("narrowed to projects, sorted and deduplicated",
				map[string]any{"emails": []string{"proj@example.com"}, "role": "user", "accountId": acct, "projectIds": []string{p2.ID, p1.ID, p2.ID}}, 201,
				invtList(want("proj@example.com", map[string]any{"role": "user", "projectIds": []string{p1.ID, p2.ID}}))),
			post("already pending, in another case", inv("NEW@example.com"), 409, invtConflict("An invitation for new@example.com is already pending")),
			post("already a member", inv("Vic@Example.com"), 409, invtConflict("vic@example.com is already a member of this account")),
			post("the inviter themselves", inv("alice@example.com"), 409, invtConflict("alice@example.com is already a member of this account")),
			post("a batch with one conflict", inv("fresh@example.com", "second@example.com"), 409, invtConflict("An invitation for second@example.com is already pending")),
			post("repeated address", inv("rep@example.com", "REP@example.com"), 400, badRequest("emails must not repeat an address")),
			post("bad role", with(inv("r@example.com"), "role", "owner"), 400, badRequest(invtErrRole)),
			post("role missing", map[string]any{"emails": []string{"r@example.com"}, "accountId": acct}, 400, badRequest(invtErrRole)),
			post("no emails", inv(), 400, badRequest("emails should not be empty")),
			post("nothing", map[string]any{}, 400, badRequest("emails should not be empty", invtErrRole)),
			post("not an email", inv("nope"), 400, badRequest("email must be an email")),
			post("too many emails", inv(tooMany...), 400, badRequest("emails must contain no more than 50 elements")),
			post("another account", with(inv("r@example.com"), "accountId", olgaAcct), 403, errForbidden),
			post("an unknown account", with(inv("r@example.com"), "accountId", "nope"), 403, errForbidden),
			post("a project of another account", with(inv("r@example.com"), "projectIds", []string{olgaP.ID}), 403, errForbidden),
			post("an unknown project", with(inv("r@example.com"), "projectIds", []string{"nope"}), 403, errForbidden),
			post("a deleted project", with(inv("r@example.com"), "projectIds", []string{gone.ID}), 400, badRequest("projectIds refers to a deleted project")),
			invtAs(vic, scenario{name: "as a viewer", method: "POST", path: "/invitations", body: inv("r@example.com"), wantStatus: 403, wantJSON: errForbidden}),
			{name: "anonymous", as: anonymous, method: "POST", path: "/invitations", body: inv("r@example.com"), wantStatus: 401, wantJSON: errUnauthorized},
			{name: "another account's access key", method: "POST", path: "/invitations", body: inv("r@example.com"), wantStatus: 403, wantJSON: errForbidden},
			{name: "a project-level access key", as: pk, method: "POST", path: "/invitations", body: map[string]any{"emails": []string{"r@example.com"}, "role": "viewer"}, wantStatus: 403, wantJSON: errForbidden},
			// Refused batches wrote nothing, not even their first address.
			invtAs(alice, scenario{name: "refusals wrote nothing", method: "GET", path: "/invitations?status=pending&accountId=" + acct, wantStatus: 200,
				wantJSON: invtList(want("proj@example.com", map[string]any{"role": "user", "projectIds": []string{p1.ID, p2.ID}}), want("second@example.com"), want("new@example.com"))}),
			post("the first address of the refused batch", inv("fresh@example.com"), 201, invtList(want("fresh@example.com"))),
			post("an address pending in another account", with(inv("olga-invitee@example.com"), "role", "admin"), 201,
				invtList(want("olga-invitee@example.com", map[string]any{"role": "admin"}))),
		})

		// Access keys of an account invite too; the account is the inviter.
		var byKey []keyway.Invitation
		run(t, s, []scenario{
			{name: "an access key invites into its account", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"kim@example.com"}, "role": "user"}, wantStatus: 201,
				wantJSON: invtList(invtWant("kim@example.com", s.AccountID, actor(s.AccessKey), "ACCESS_KEY", at, map[string]any{"role": "user"})),
				check:    func(t *testing.T, r *response) { r.decode(t, &byKey) }},
			invtAs(olga, scenario{name: "the same address into another account", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"kim@example.com"}, "role": "admin"}, wantStatus: 201,
				wantJSON: invtList(invtWant("kim@example.com", olgaAcct, olga.ID, "USER", at, map[string]any{"role": "admin"}))}),
		})
		var mine []keyway.Invitation
		alice.as(s, t, "GET", "/invitations?status=pending", nil).want(t, 200).decode(t, &mine)
		run(t, s, []scenario{
			{name: "info of the key's invitation", as: anonymous, method: "GET", path: "/invitations/" + byKey[0].ID + "/info", wantStatus: 200,
				wantJSON: invtInfo(byKey[0], "Default account", "Default account")},
			{name: "info of a user's invitation", as: anonymous, method: "GET", path: "/invitations/" + mine[0].ID + "/info", wantStatus: 200,
				wantJSON: invtInfo(mine[0], "Founder alice@example.com's account", "Founder alice@example.com")},
			{name: "info with a credential of another account", method: "GET", path: "/invitations/" + mine[0].ID + "/info", wantStatus: 200,
				wantJSON: invtInfo(mine[0], "Founder alice@example.com's account", "Founder alice@example.com")},
			{name: "info of nothing", as: anonymous, method: "GET", path: "/invitations/nope/info", wantStatus: 404, wantJSON: invtErrNotFound},
		})
	})
}

func TestInvitationManage(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		t0 := s.Clock.Now()
		alice, acct := s.founder(t, "alice@example.com")
		p1 := invtProject(t, s, alice, acct, "p1")
		p2 := invtProject(t, s, alice, acct, "p2")
		vic := s.member(t, alice, acct, "vic@example.com", keyway.RoleViewer)
		pat := s.member(t, alice, acct, "pat@example.com", keyway.RoleAdmin, p1.ID)
		olga, olgaAcct := s.founder(t, "olga@example.com")
		olgaP := invtProject(t, s, olga, olgaAcct, "olga's")

		s.Clock.Advance(time.Minute)
		one := invtInvite(t, s, alice, map[string]any{"emails": []string{"one@example.com"}, "role": "viewer", "accountId": acct})
		s.Clock.Advance(time.Second)
		two := invtInvite(t, s, alice, map[string]any{"emails": []string{"two@example.com"}, "role": "user", "accountId": acct, "projectIds": []string{p1.ID}})
		s.Clock.Advance(time.Second)
		three := invtInvite(t, s, alice, map[string]any{"emails": []string{"three@example.com"}, "role": "admin", "accountId": acct})
		if one.ExpiresAt.Time != one.CreatedAt.Time.Add(invtWeek) || one.Status != keyway.InvitationPending {
			t.Fatalf("invitation %+v", one)
		}
		vicInv := invtWant("vic@example.com", acct, alice.ID, "USER", t0, map[string]any{"status": "accepted", "acceptedBy": vic.ID})
		patInv := invtWant("pat@example.com", acct, alice.ID, "USER", t0, map[string]any{"status": "accepted", "acceptedBy": pat.ID, "role": "admin", "projectIds": []string{p1.ID}})
		all := invtList(invtOf(three), invtOf(two), invtOf(one), patInv, vicInv)
		get := func(p person, name, path string, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "GET", path: path, wantStatus: status, wantJSON: wantJSON})
		}
		run(t, s, []scenario{
			get(alice, "pending, newest first", "/invitations?status=pending&accountId="+acct, 200, invtList(invtOf(three), invtOf(two), invtOf(one))),
			get(alice, "all", "/invitations?accountId="+acct, 200, all),
			get(alice, "the caller's only account by default", "/invitations", 200, all),
			get(alice, "accepted", "/invitations?status=accepted", 200, invtList(patInv, vicInv)),
			get(alice, "none cancelled", "/invitations?status=cancelled", 200, "[]"),
			get(alice, "none expired", "/invitations?status=expired", 200, "[]"),
			get(alice, "bad status", "/invitations?status=gone", 400, badRequest("status must be one of the following values: pending, accepted, cancelled, expired")),
			get(alice, "a page", "/invitations?limit=2&offset=1", 200, invtList(invtOf(two), invtOf(one))),
			get(alice, "one project's", "/invitations?projectId="+p1.ID, 200, invtList(invtOf(two), patInv)),
			get(alice, "one project's pending", "/invitations?status=pending&projectId="+p1.ID, 200, invtList(invtOf(two))),
			get(alice, "a project without invitations", "/invitations?projectId="+p2.ID, 200, "[]"),
			get(alice, "another account", "/invitations?accountId="+olgaAcct, 403, errForbidden),
			get(alice, "another account's project", "/invitations?projectId="+olgaP.ID, 403, errForbidden),
			get(olga, "this account, by another's admin", "/invitations?accountId="+acct, 403, errForbidden),
			get(vic, "as a viewer", "/invitations", 403, errForbidden),
			get(pat, "a project admin: their project by default", "/invitations", 200, invtList(invtOf(two), patInv)),
			get(pat, "a project admin naming the account", "/invitations?status=pending&accountId="+acct, 200, invtList(invtOf(two))),
			get(pat, "a project admin: another project", "/invitations?projectId="+p2.ID, 403, errForbidden),
			{name: "anonymous list", as: anonymous, method: "GET", path: "/invitations", wantStatus: 401, wantJSON: errUnauthorized},

			get(alice, "get", "/invitations/"+one.ID, 200, invtOf(one)),
			get(pat, "get one of a project the caller administers", "/invitations/"+two.ID, 200, invtOf(two)),
			get(pat, "get an account-wide one as a project admin", "/invitations/"+one.ID, 404, invtErrNotFound),
			get(vic, "get as a viewer", "/invitations/"+one.ID, 403, errForbidden),
			get(olga, "get another account's", "/invitations/"+one.ID, 404, invtErrNotFound),
			{name: "get with another account's access key", method: "GET", path: "/invitations/" + one.ID, wantStatus: 404, wantJSON: invtErrNotFound},
			get(alice, "get unknown", "/invitations/nope", 404, invtErrNotFound),
			{name: "get anonymous", as: anonymous, method: "GET", path: "/invitations/" + one.ID, wantStatus: 401, wantJSON: errUnauthorized},
		})

		s.Clock.Advance(time.Minute)
		t4 := iso(s.Clock.Now())
		promoted := invtOf(one, map[string]any{"role": "admin", "updatedAt": t4})
		cancelled := invtOf(one, map[string]any{"role": "admin", "status": "cancelled", "updatedAt": t4})
		patch := func(p person, name, id string, body any, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "PATCH", path: "/invitations/" + id, body: body, wantStatus: status, wantJSON: wantJSON})
		}
		del := func(p person, name, id string, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "DELETE", path: "/invitations/" + id, wantStatus: status, wantJSON: wantJSON})
		}
		run(t, s, []scenario{
			patch(alice, "change the role", one.ID, map[string]any{"role": "admin", "status": "accepted", "email": "x@example.com"}, 200, promoted),
			get(alice, "reads back", "/invitations/"+one.ID, 200, promoted),
			patch(alice, "bad role", one.ID, map[string]any{"role": "root"}, 400, badRequest(invtErrRole)),
			patch(alice, "no role", one.ID, map[string]any{}, 400, badRequest(invtErrRole)),
			patch(vic, "as a viewer", one.ID, map[string]any{"role": "viewer"}, 403, errForbidden),
			patch(pat, "an account-wide one as a project admin", one.ID, map[string]any{"role": "viewer"}, 404, invtErrNotFound),
			patch(olga, "another account's", one.ID, map[string]any{"role": "viewer"}, 404, invtErrNotFound),
			patch(alice, "unknown", "nope", map[string]any{"role": "viewer"}, 404, invtErrNotFound),
			patch(pat, "a project admin changes their project's", two.ID, map[string]any{"role": "viewer"}, 200,
				invtOf(two, map[string]any{"role": "viewer", "updatedAt": t4})),
			get(alice, "unchanged by refusals", "/invitations/"+one.ID, 200, promoted),

			del(vic, "cancel as a viewer", one.ID, 403, errForbidden),
			del(olga, "cancel another account's", one.ID, 404, invtErrNotFound),
			del(pat, "cancel an account-wide one as a project admin", one.ID, 404, invtErrNotFound),
			del(alice, "cancel unknown", "nope", 404, invtErrNotFound),
			del(alice, "cancel", one.ID, 200, cancelled),
			del(alice, "cancel twice", one.ID, 409, invtErrNotPending),
			patch(alice, "change a cancelled one", one.ID, map[string]any{"role": "user"}, 409, invtErrNotPending),
			get(alice, "cancelled reads back", "/invitations/"+one.ID, 200, cancelled),
			get(alice, "listed as cancelled", "/invitations?status=cancelled", 200, invtList(cancelled)),
			get(alice, "no longer pending", "/invitations?status=pending", 200,
				invtList(invtOf(three), invtOf(two, map[string]any{"role": "viewer", "updatedAt": t4}))),
			{name: "the info page shows it cancelled", as: anonymous, method: "GET", path: "/invitations/" + one.ID + "/info", wantStatus: 200,
				wantJSON: invtInfo(one, "Founder alice@example.com's account", "Founder alice@example.com", map[string]any{"role": "admin", "status": "cancelled"})},
			invtAs(alice, scenario{name: "the address may be invited again", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"one@example.com"}, "role": "user"}, wantStatus: 201,
				wantJSON: invtList(invtWant("one@example.com", acct, alice.ID, "USER", s.Clock.Now(), map[string]any{"role": "user"}))}),
		})

		// A project admin invites into their project only.
		s.Clock.Advance(time.Minute)
		run(t, s, []scenario{
			invtAs(pat, scenario{name: "a project admin invites into their project", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"four@example.com"}, "role": "admin", "projectIds": []string{p1.ID}}, wantStatus: 201,
				wantJSON: invtList(invtWant("four@example.com", acct, pat.ID, "USER", s.Clock.Now(), map[string]any{"role": "admin", "projectIds": []string{p1.ID}}))}),
			invtAs(pat, scenario{name: "not into the whole account", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"five@example.com"}, "role": "viewer", "accountId": acct}, wantStatus: 403, wantJSON: errForbidden}),
			invtAs(pat, scenario{name: "nor into a project beside theirs", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"five@example.com"}, "role": "viewer", "projectIds": []string{p1.ID, p2.ID}}, wantStatus: 403, wantJSON: errForbidden}),
			invtAs(vic, scenario{name: "a viewer, into a project", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"five@example.com"}, "role": "viewer", "projectIds": []string{p1.ID}}, wantStatus: 403, wantJSON: errForbidden}),
		})

		// An accepted invitation is no longer pending either.
		var accepted []keyway.Invitation
		alice.as(s, t, "GET", "/invitations?status=accepted", nil).want(t, 200).decode(t, &accepted)
		if len(accepted) != 2 || accepted[0].AcceptedBy == nil || *accepted[0].AcceptedBy != pat.ID {
			t.Fatalf("accepted %+v", accepted)
		}
		run(t, s, []scenario{
			patch(alice, "change an accepted one", accepted[0].ID, map[string]any{"role": "user"}, 409, invtErrNotPending),
			del(alice, "cancel an accepted one", accepted[0].ID, 409, invtErrNotPending),
			{name: "the info page shows it accepted", as: anonymous, method: "GET", path: "/invitations/" + accepted[0].ID + "/info", wantStatus: 200,
				wantJSON: invtInfo(accepted[0], "Founder alice@example.com's account", "Founder alice@example.com", map[string]any{"status": "accepted"})},
		})
	})
}

func TestInvitationExpiry(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		s.founder(t, "lena@example.com")
		t0 := s.Clock.Now()
		var invs []keyway.Invitation
		s.call("POST", "/invitations", map[string]any{"emails": []string{"late@example.com", "lena@example.com"}, "role": "user"}).
			want(t, 201).decode(t, &invs)
		late, lena := invs[0], invs[1]
		if late.ExpiresAt.Time != t0.Add(invtWeek) {
			t.Fatalf("expiresAt %v, want %v", late.ExpiresAt, t0.Add(invtWeek))
		}
		s.Clock.Advance(invtWeek - time.Millisecond)
		run(t, s, []scenario{
			{name: "pending a millisecond before", method: "GET", path: "/invitations/" + late.ID, wantStatus: 200, wantJSON: invtOf(late)},
			{name: "none expired yet", method: "GET", path: "/invitations?status=expired", wantStatus: 200, wantJSON: "[]"},
		})
		s.Clock.Advance(2 * time.Millisecond)
		expired := invtOf(late, map[string]any{"status": "expired"})
		run(t, s, []scenario{
			{name: "expired a millisecond after", method: "GET", path: "/invitations/" + late.ID, wantStatus: 200, wantJSON: expired},
			{name: "listed as expired", method: "GET", path: "/invitations?status=expired", wantStatus: 200,
				wantJSON: invtList(invtOf(lena, map[string]any{"status": "expired"}), expired)},
			{name: "not as pending", method: "GET", path: "/invitations?status=pending", wantStatus: 200, wantJSON: "[]"},
			{name: "all, as expired", method: "GET", path: "/invitations", wantStatus: 200,
				wantJSON: invtList(invtOf(lena, map[string]any{"status": "expired"}), expired)},
			{name: "change", method: "PATCH", path: "/invitations/" + late.ID, body: map[string]any{"role": "admin"}, wantStatus: 409, wantJSON: invtErrNotPending},
			{name: "cancel", method: "DELETE", path: "/invitations/" + late.ID, wantStatus: 409, wantJSON: invtErrNotPending},
			unchanged("unchanged", "/invitations/"+late.ID, expired),
			{name: "info", as: anonymous, method: "GET", path: "/invitations/" + late.ID + "/info", wantStatus: 200,
				wantJSON: invtInfo(late, "Default account", "Default account", map[string]any{"status": "expired"})},
			{name: "signup with it", as: anonymous, method: "POST", path: "/auth/signup", body: invtSignup("late@example.com", "Late", late.ID),
				wantStatus: 409, wantJSON: invtErrNotPending},
			{name: "the refused address signs up alone", as: anonymous, method: "POST", path: "/auth/signup", body: invtSignup("late@example.com", "Late", ""),
				wantStatus: 201, wantEmpty: true},
		})
		// Tokens have expired too: sign in again.
		lenaP := s.signedIn(t, "lena@example.com", "correct horse battery")
		run(t, s, []scenario{
			invtAs(lenaP, scenario{name: "accept when expired", method: "POST", path: "/invitations/" + lena.ID + "/accept", wantStatus: 409, wantJSON: invtErrNotPending}),
		})
		if ids := invtAccountIDs(t, s, lenaP); len(ids) != 1 || ids[0] == s.AccountID {
			t.Fatalf("lena's accounts after a refused accept: %v", ids)
		}
		lateP := s.signedIn(t, "late@example.com", invtPassword)
		if ids := invtAccountIDs(t, s, lateP); len(ids) != 1 || ids[0] == s.AccountID {
			t.Fatalf("late's accounts: %v", ids)
		}

		// A new invitation replaces the expired one, which stays expired.
		now := s.Clock.Now()
		fresh := invtWant("late@example.com", s.AccountID, actor(s.AccessKey), "ACCESS_KEY", now, map[string]any{"role": "admin"})
		var again []keyway.Invitation
		run(t, s, []scenario{
			// (As an admin: a key-managed account's first member must be
			// one, see TestInvitationIntoKeyManagedAccount.)
			{name: "invite again", method: "POST", path: "/invitations", body: map[string]any{"emails": []string{"late@example.com"}, "role": "admin"},
				wantStatus: 201, wantJSON: invtList(fresh), check: func(t *testing.T, r *response) { r.decode(t, &again) }},
			{name: "the old one stays expired", method: "GET", path: "/invitations/" + late.ID, wantStatus: 200,
				wantJSON: invtOf(late, map[string]any{"status": "expired", "updatedAt": "~any"})},
			{name: "pending: the new one", method: "GET", path: "/invitations?status=pending", wantStatus: 200, wantJSON: invtList(fresh)},
			{name: "expired: the old ones", method: "GET", path: "/invitations?status=expired", wantStatus: 200,
				wantJSON: invtList(invtOf(lena, map[string]any{"status": "expired"}), invtOf(late, map[string]any{"status": "expired", "updatedAt": "~any"}))},
		})
		run(t, s, []scenario{
			invtAs(lateP, scenario{name: "the new one is accepted", method: "POST", path: "/invitations/" + again[0].ID + "/accept", wantStatus: 201,
				wantJSON: invtOf(again[0], map[string]any{"status": "accepted", "acceptedBy": lateP.ID})}),
		})
	})
}

func TestInvitationAccept(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, acct := s.founder(t, "alice@example.com")
		p1 := invtProject(t, s, alice, acct, "p1")
		bob, bobAcct := s.founder(t, "bob@example.com")
		carol, _ := s.founder(t, "carol@example.com")
		dave, _ := s.founder(t, "dave@example.com")
		erin, erinAcct := s.founder(t, "erin@example.com")
		s.Clock.Advance(time.Minute)
		forBob := invtInvite(t, s, alice, map[string]any{"emails": []string{"BOB@example.com"}, "role": "user", "accountId": acct})
		forDave := invtInvite(t, s, alice, map[string]any{"emails": []string{"dave@example.com"}, "role": "user", "accountId": acct})
		forErin := invtInvite(t, s, alice, map[string]any{"emails": []string{"erin@example.com"}, "role": "admin", "accountId": acct, "projectIds": []string{p1.ID}})
		alice.as(s, t, "DELETE", "/invitations/"+forDave.ID, nil).want(t, 200)
		s.Clock.Advance(time.Minute)
		now := s.now()
		accepted := invtOf(forBob, map[string]any{"status": "accepted", "acceptedBy": bob.ID, "updatedAt": now})
		accept := func(p person, name, id string, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "POST", path: "/invitations/" + id + "/accept", wantStatus: status, wantJSON: wantJSON})
		}
		run(t, s, []scenario{
			accept(carol, "by someone else", forBob.ID, 404, invtErrNotFound),
			{name: "by an access key", method: "POST", path: "/invitations/" + forBob.ID + "/accept", wantStatus: 403, wantJSON: errForbidden},
			{name: "anonymous", as: anonymous, method: "POST", path: "/invitations/" + forBob.ID + "/accept", wantStatus: 401, wantJSON: errUnauthorized},
			accept(alice, "by the inviter", forBob.ID, 404, invtErrNotFound),
			accept(bob, "unknown", "nope", 404, invtErrNotFound),
			invtAs(alice, unchanged("still pending", "/invitations/"+forBob.ID, invtOf(forBob))),
			accept(bob, "by the invitee", forBob.ID, 201, accepted),
			accept(bob, "twice", forBob.ID, 409, invtErrNotPending),
			accept(dave, "a cancelled one", forDave.ID, 409, invtErrNotPending),
			invtAs(alice, unchanged("reads back accepted", "/invitations/"+forBob.ID, accepted)),
			{name: "the info page shows it accepted", as: anonymous, method: "GET", path: "/invitations/" + forBob.ID + "/info", wantStatus: 200,
				wantJSON: invtInfo(forBob, "Founder alice@example.com's account", "Founder alice@example.com", map[string]any{"status": "accepted"})},
			invtAs(bob, scenario{name: "the invitee's roles", method: "GET", path: "/user-roles?accountId=" + acct, wantStatus: 200,
				wantJSON: invtList(invtRole(bob.ID, acct, nil, keyway.RoleUser))}),
			invtAs(bob, scenario{name: "the invitee now works in the account", method: "POST", path: "/api-keys",
				body: map[string]any{"name": "bob's", "projectId": p1.ID}, wantStatus: 201, check: func(t *testing.T, r *response) {}}),
			invtAs(bob, scenario{name: "but is no admin there", method: "POST", path: "/projects",
				body: map[string]any{"name": "x", "accountId": acct, "env": "live"}, wantStatus: 403, wantJSON: errForbidden}),
			invtAs(alice, scenario{name: "the admin is told", method: "GET", path: "/notifications", wantStatus: 200,
				wantJSON: invtList(js(map[string]any{"id": "~re:^ntf_", "type": "invitation.accepted", "title": "Invitation accepted",
					"message":   "Founder bob@example.com (bob@example.com) accepted the invitation and joined as user.",
					"accountId": acct, "projectId": nil, "createdAt": now, "readAt": nil}))}),
			invtAs(carol, scenario{name: "other accounts are not", method: "GET", path: "/notifications", wantStatus: 200, wantJSON: "[]"}),
			invtAs(alice, scenario{name: "a member cannot be invited again", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"bob@example.com"}, "role": "admin"}, wantStatus: 409,
				wantJSON: invtConflict("bob@example.com is already a member of this account")}),
			accept(erin, "narrowed to a project", forErin.ID, 201,
				invtOf(forErin, map[string]any{"status": "accepted", "acceptedBy": erin.ID, "updatedAt": now})),
			invtAs(erin, scenario{name: "a project role", method: "GET", path: "/user-roles", wantStatus: 200,
				check: func(t *testing.T, r *response) {
					var roles []keyway.UserRole
					r.decode(t, &roles)
					want := map[string]string{acct + "/" + p1.ID: "admin", erinAcct + "/": "admin"}
					got := map[string]string{}
					for _, ro := range roles {
						got[ro.AccountID+"/"+invtProjectOf(ro)] = string(ro.Role)
					}
					if js(got) != js(want) {
						t.Fatalf("roles %s, want %s", js(got), js(want))
					}
				}}),
		})
		// Both of the invitee's accounts are listed, their own kept.
		if got, want := invtAccountIDs(t, s, bob), invtSorted(acct, bobAcct); !slices.Equal(got, want) {
			t.Fatalf("bob's accounts %v, want %v", got, want)
		}
		var roles []keyway.UserRole
		bob.as(s, t, "GET", "/user-roles", nil).want(t, 200).decode(t, &roles)
		if len(roles) != 2 {
			t.Fatalf("bob's roles %+v", roles)
		}
		for _, r := range roles {
			if r.UserID != bob.ID || r.ProjectID != nil || (r.AccountID == acct) != (r.Role == keyway.RoleUser) || (r.AccountID == bobAcct) != (r.Role == keyway.RoleAdmin) {
				t.Fatalf("bob's roles %+v", roles)
			}
		}
		bob.as(s, t, "GET", "/accounts/"+acct, nil).want(t, 200)
		// The cancelled invitation gave dave nothing.
		dave.as(s, t, "GET", "/accounts/"+acct, nil).want(t, 404).wantJSON(t, errAcctNotFound)
	})
}

func invtProjectOf(r keyway.UserRole) string {
	if r.ProjectID == nil {
		return ""
	}
	return *r.ProjectID
}

func TestInvitationSignup(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, acct := s.founder(t, "alice@example.com")
		p := invtProject(t, s, alice, acct, "p")
		account := string(alice.as(s, t, "GET", "/accounts/"+acct, nil).want(t, 200).Body)
		taken, takenAcct := s.founder(t, "taken@example.com")
		s.Clock.Advance(time.Minute)
		invite := func(email string, role keyway.Role, projectIDs ...string) keyway.Invitation {
			b := map[string]any{"emails": []string{email}, "role": role, "accountId": acct}
			if len(projectIDs) > 0 {
				b["projectIds"] = projectIDs
			}
			return invtInvite(t, s, alice, b)
		}
		forNew := invite("new@example.com", keyway.RoleViewer)
		forProj := invite("proj@example.com", keyway.RoleUser, p.ID)
		forCxl := invite("cxl@example.com", keyway.RoleViewer)
		forTaken := invite("taken@example.com", keyway.RoleViewer)
		alice.as(s, t, "DELETE", "/invitations/"+forCxl.ID, nil).want(t, 200)
		signup := func(name string, body map[string]any, status int, wantJSON string) scenario {
			return scenario{name: name, as: anonymous, method: "POST", path: "/auth/signup", body: body, wantStatus: status, wantJSON: wantJSON, wantEmpty: wantJSON == ""}
		}
		run(t, s, []scenario{
			signup("another address", invtSignup("other@example.com", "Other", forNew.ID), 404, invtErrNotFound),
			signup("an accountId not the invitation's", invtSignup("new@example.com", "Newbie", forNew.ID, "accountId", takenAcct), 400,
				badRequest("accountId does not match the invitation")),
			signup("an accountId without an invitation", invtSignup("new@example.com", "Newbie", "", "accountId", acct), 400,
				badRequest("accountId is accepted only with invitationId")),
			signup("an unknown invitation", invtSignup("new@example.com", "Newbie", "nope"), 404, invtErrNotFound),
			signup("a cancelled invitation", invtSignup("cxl@example.com", "Cxl", forCxl.ID), 409, invtErrNotPending),
			signup("an address already registered", invtSignup("taken@example.com", "Taken", forTaken.ID), 409,
				invtConflict("Email already registered")),
			invtAs(alice, unchanged("that invitation is still pending", "/invitations/"+forTaken.ID, invtOf(forTaken))),
			invtAs(alice, unchanged("so is this one", "/invitations/"+forNew.ID, invtOf(forNew))),
			// Nothing of the refused signups was written.
			signup("the refused addresses sign up alone", invtSignup("other@example.com", "Other", ""), 201, ""),
			signup("also the cancelled one's", invtSignup("cxl@example.com", "Cxl", ""), 201, ""),
		})
		s.Clock.Advance(time.Second)
		t1 := s.now()
		run(t, s, []scenario{
			signup("with the invitation and its account, in another case", invtSignup("NEW@Example.com", "Newbie", forNew.ID, "accountId", acct), 201, ""),
			signup("the same invitation again", invtSignup("new@example.com", "Newbie", forNew.ID), 409, invtErrNotPending),
		})
		s.Clock.Advance(time.Second)
		t2 := s.now()
		run(t, s, []scenario{
			signup("narrowed to a project", invtSignup("proj@example.com", "Proj", forProj.ID), 201, ""),
		})
		newbie := s.signedIn(t, "new@example.com", invtPassword)
		proj := s.signedIn(t, "proj@example.com", invtPassword)
		other := s.signedIn(t, "other@example.com", invtPassword)
		cxl := s.signedIn(t, "cxl@example.com", invtPassword)
		run(t, s, []scenario{
			invtAs(newbie, scenario{name: "no account of their own", method: "GET", path: "/accounts", wantStatus: 200, wantJSON: invtList(account)}),
			invtAs(newbie, scenario{name: "the invited role", method: "GET", path: "/user-roles", wantStatus: 200,
				wantJSON: invtList(invtRole(newbie.ID, acct, nil, keyway.RoleViewer))}),
			invtAs(newbie, scenario{name: "a viewer reads", method: "GET", path: "/projects/" + p.ID, wantStatus: 200, check: func(t *testing.T, r *response) {}}),
			invtAs(newbie, scenario{name: "a viewer does not write", method: "POST", path: "/api-keys", body: map[string]any{"name": "k", "projectId": p.ID},
				wantStatus: 403, wantJSON: errForbidden}),
			invtAs(alice, scenario{name: "the invitation is accepted", method: "GET", path: "/invitations/" + forNew.ID, wantStatus: 200,
				wantJSON: invtOf(forNew, map[string]any{"status": "accepted", "acceptedBy": newbie.ID, "updatedAt": t1})}),
			invtAs(proj, scenario{name: "project invitee: the account", method: "GET", path: "/accounts", wantStatus: 200, wantJSON: invtList(account)}),
			invtAs(proj, scenario{name: "project invitee: the project role", method: "GET", path: "/user-roles", wantStatus: 200,
				wantJSON: invtList(invtRole(proj.ID, acct, p.ID, keyway.RoleUser))}),
			invtAs(alice, scenario{name: "the admin is told, newest first", method: "GET", path: "/notifications", wantStatus: 200, wantJSON: invtList(
				js(map[string]any{"id": "~re:^ntf_", "type": "invitation.accepted", "title": "Invitation accepted",
					"message": "Proj (proj@example.com) accepted the invitation and joined as user.", "accountId": acct, "projectId": nil, "createdAt": t2, "readAt": nil}),
				js(map[string]any{"id": "~re:^ntf_", "type": "invitation.accepted", "title": "Invitation accepted",
					"message": "Newbie (new@example.com) accepted the invitation and joined as viewer.", "accountId": acct, "projectId": nil, "createdAt": t1, "readAt": nil}),
			)}),
			invtAs(taken, scenario{name: "the refused registered address kept its one account", method: "GET", path: "/accounts", wantStatus: 200,
				check: func(t *testing.T, r *response) {
					var as []keyway.Account
					r.decode(t, &as)
					if len(as) != 1 || as[0].ID != takenAcct {
						t.Fatalf("accounts %s", r.Body)
					}
				}}),
			invtAs(other, scenario{name: "the refused address is not in the account", method: "GET", path: "/accounts/" + acct, wantStatus: 404, wantJSON: errAcctNotFound}),
			invtAs(cxl, scenario{name: "nor is the cancelled one", method: "GET", path: "/accounts/" + acct, wantStatus: 404, wantJSON: errAcctNotFound}),
		})
	})
}

// An account run by access keys alone (the bootstrapped one) has no user
// admin; its keys invite people all the same, and the people it invites
// join with the role offered.
func TestInvitationIntoKeyManagedAccount(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		sam, samAcct := s.founder(t, "sam@example.com")
		s.Clock.Advance(time.Minute)
		now := s.now()
		forNew := invtInviteByKey(t, s, map[string]any{"emails": []string{"new@example.com"}, "role": "viewer"})
		forSam := invtInviteByKey(t, s, map[string]any{"emails": []string{"sam@example.com"}, "role": "user"})
		run(t, s, []scenario{
			{name: "signup with a viewer invitation", as: anonymous, method: "POST", path: "/auth/signup",
				body: invtSignup("new@example.com", "Newbie", forNew.ID), wantStatus: 201, wantEmpty: true},
			invtAs(sam, scenario{name: "accepting a user invitation", method: "POST", path: "/invitations/" + forSam.ID + "/accept", wantStatus: 201,
				wantJSON: invtOf(forSam, map[string]any{"status": "accepted", "acceptedBy": sam.ID, "updatedAt": now})}),
			invtAs(sam, scenario{name: "who is now in both accounts", method: "GET", path: "/user-roles", wantStatus: 200,
				check: func(t *testing.T, r *response) {
					var roles []keyway.UserRole
					r.decode(t, &roles)
					got := map[string]keyway.Role{}
					for _, ro := range roles {
						got[ro.AccountID] = ro.Role
					}
					if len(roles) != 2 || got[samAcct] != keyway.RoleAdmin || got[s.AccountID] != keyway.RoleUser {
						t.Fatalf("roles %s", r.Body)
					}
				}}),
		})
		newbie := s.signedIn(t, "new@example.com", invtPassword)
		run(t, s, []scenario{
			invtAs(newbie, scenario{name: "the invitee is in the account", method: "GET", path: "/accounts", wantStatus: 200, wantJSON: invtList(s.accountWant())}),
			invtAs(newbie, scenario{name: "as a viewer", method: "GET", path: "/user-roles", wantStatus: 200,
				wantJSON: invtList(invtRole(newbie.ID, s.AccountID, nil, keyway.RoleViewer))}),
		})
	})
}

func TestInvitationAccountUsers(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, acct := s.founder(t, "alice@example.com")
		p1 := invtProject(t, s, alice, acct, "p1")
		vic := s.member(t, alice, acct, "vic@example.com", keyway.RoleViewer)
		pat := s.member(t, alice, acct, "pat@example.com", keyway.RoleAdmin, p1.ID)
		_, olgaAcct := s.founder(t, "olga@example.com")
		s.Clock.Advance(time.Minute)
		at := s.Clock.Now()
		add := func(p person, name, accountID string, body any, status int, wantJSON string) scenario {
			return invtAs(p, scenario{name: name, method: "POST", path: "/accounts/" + accountID + "/users", body: body,
				wantStatus: status, wantJSON: wantJSON, wantEmpty: wantJSON == ""})
		}
		zed := invtWant("zed@example.com", acct, alice.ID, "USER", at, map[string]any{"role": "user"})
		run(t, s, []scenario{
			add(alice, "invite", acct, map[string]any{"email": " Zed@Example.com"}, 201, ""),
			invtAs(alice, scenario{name: "a pending invitation as a user", method: "GET", path: "/invitations?status=pending", wantStatus: 200, wantJSON: invtList(zed)}),
			add(alice, "again", acct, map[string]any{"email": "zed@example.com"}, 409, invtConflict("An invitation for zed@example.com is already pending")),
			add(alice, "a member", acct, map[string]any{"email": "vic@example.com"}, 409, invtConflict("vic@example.com is already a member of this account")),
			add(alice, "not an email", acct, map[string]any{"email": "zed"}, 400, badRequest("email must be an email")),
			add(alice, "no email", acct, map[string]any{}, 400, badRequest("email should not be empty")),
			add(vic, "as a viewer", acct, map[string]any{"email": "y@example.com"}, 403, errForbidden),
			add(pat, "as a project admin", acct, map[string]any{"email": "y@example.com"}, 403, errForbidden),
			add(alice, "another account", olgaAcct, map[string]any{"email": "y@example.com"}, 404, errAcctNotFound),
			add(alice, "an unknown account", "nope", map[string]any{"email": "y@example.com"}, 404, errAcctNotFound),
			{name: "by an access key of another account", method: "POST", path: "/accounts/" + acct + "/users", body: map[string]any{"email": "y@example.com"},
				wantStatus: 404, wantJSON: errAcctNotFound},
			invtAs(alice, scenario{name: "nothing more", method: "GET", path: "/invitations?status=pending", wantStatus: 200, wantJSON: invtList(zed)}),
			{name: "by an access key of the account", method: "POST", path: "/accounts/" + s.AccountID + "/users", body: map[string]any{"email": "kim@example.com"},
				wantStatus: 201, wantEmpty: true},
			{name: "the key's invitation", method: "GET", path: "/invitations", wantStatus: 200,
				wantJSON: invtList(invtWant("kim@example.com", s.AccountID, actor(s.AccessKey), "ACCESS_KEY", at, map[string]any{"role": "user"}))},
		})
	})
}

func TestAccountsForUsers(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		alice, first := s.founder(t, "alice@example.com")
		bob := s.member(t, alice, first, "bob@example.com", keyway.RoleViewer)
		s.Clock.Advance(time.Minute)
		now := s.now()
		var second keyway.Account
		run(t, s, []scenario{
			invtAs(alice, scenario{name: "create", method: "POST", path: "/accounts", body: map[string]any{"name": "Second ✓"}, wantStatus: 201,
				wantJSON: js(map[string]any{"id": reUUID, "name": "Second ✓", "isActive": true, "createdBy": alice.ID, "createdByType": "USER",
					"createdIn": "self-hosted", "lastChangedBy": alice.ID, "lastChangedByType": "USER", "createdAt": now, "updatedAt": now}),
				check: func(t *testing.T, r *response) { r.decode(t, &second) }}),
			invtAs(alice, scenario{name: "no name", method: "POST", path: "/accounts", body: map[string]any{}, wantStatus: 400, wantJSON: badRequest("name should not be empty")}),
			invtAs(bob, scenario{name: "any user may create one", method: "POST", path: "/accounts", body: map[string]any{"name": "Bob's"}, wantStatus: 201, check: func(t *testing.T, r *response) {}}),
			{name: "not an access key", method: "POST", path: "/accounts", body: map[string]any{"name": "x"}, wantStatus: 403, wantJSON: errForbidden},
		})
		run(t, s, []scenario{
			invtAs(alice, scenario{name: "the creator is its admin", method: "GET", path: "/user-roles?accountId=" + second.ID, wantStatus: 200,
				wantJSON: invtList(invtRole(alice.ID, second.ID, nil, keyway.RoleAdmin))}),
			invtAs(alice, scenario{name: "get", method: "GET", path: "/accounts/" + second.ID, wantStatus: 200, check: func(t *testing.T, r *response) {
				matchJSON(t, r.Body, js(second))
			}}),
			invtAs(alice, scenario{name: "the creator's teammates there", method: "GET", path: "/teammates?accountId=" + second.ID, wantStatus: 200,
				wantJSON: invtList(invtMate(alice, "Founder alice@example.com", keyway.RoleAdmin, nil))}),
			invtAs(alice, scenario{name: "a project in it", method: "POST", path: "/projects", body: map[string]any{"name": "p", "accountId": second.ID, "env": "test"},
				wantStatus: 201, check: func(t *testing.T, r *response) {}}),
			// With two accounts, the account must be named.
			invtAs(alice, scenario{name: "inviting must name the account", method: "POST", path: "/invitations",
				body: map[string]any{"emails": []string{"x@example.com"}, "role": "viewer"}, wantStatus: 400, wantJSON: badRequest("accountId should not be empty")}),
			invtAs(bob, scenario{name: "a member of the first does not see it", method: "GET", path: "/accounts/" + second.ID, wantStatus: 404, wantJSON: errAcctNotFound}),
		})
		if got, want := invtAccountIDs(t, s, alice), invtSorted(first, second.ID); !slices.Equal(got, want) {
			t.Fatalf("alice's accounts %v, want %v", got, want)
		}
		var roles []keyway.UserRole
		alice.as(s, t, "GET", "/user-roles", nil).want(t, 200).decode(t, &roles)
		if len(roles) != 2 || roles[0].Role != keyway.RoleAdmin || roles[1].Role != keyway.RoleAdmin {
			t.Fatalf("alice's roles %+v", roles)
		}
		if got := invtAccountIDs(t, s, bob); len(got) != 2 || !slices.Contains(got, first) || slices.Contains(got, second.ID) {
			t.Fatalf("bob's accounts %v", got)
		}
	})
}
