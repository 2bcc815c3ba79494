package app_test

import (
	"testing"

	"github.com/keywayhq/keyway"
)

// person is a signed-up, signed-in user.
type person struct {
	ID     string
	Email  string
	Tokens keyway.Tokens
	// Auth is the header pair that carries the user's access token.
	Auth []string
}

// as calls the API with the person's access token.
func (p person) as(s *server, t testing.TB, method, path string, body any, headers ...string) *response {
	t.Helper()
	return s.withT(t).callAs("", method, path, body, append(append([]string{}, p.Auth...), headers...)...)
}

// signedIn logs a signed-up person in.
func (s *server) signedIn(t testing.TB, email, pw string) person {
	t.Helper()
	var tok keyway.Tokens
	s.withT(t).callAs("", "POST", "/auth/login", map[string]any{"email": email, "password": pw}).want(t, 201).decode(t, &tok)
	p := person{Email: keyway.NormalizeEmail(email), Tokens: tok, Auth: []string{"Authorization", ("Bearer " + tok.AccessToken).Reveal()}}
	// GET /user-roles names the user in each role.
	var roles []keyway.UserRole
	p.as(s, t, "GET", "/user-roles", nil).want(t, 200).decode(t, &roles)
	if len(roles) > 0 {
		p.ID = roles[0].UserID
	}
	return p
}

// founder signs a person up without an invitation: the admin of a new
// account of their own, whose id is returned.
func (s *server) founder(t testing.TB, email string) (person, string) {
	t.Helper()
	const pw = "correct horse battery"
	s.withT(t).callAs("", "POST", "/auth/signup", map[string]any{"email": email, "password": pw, "name": "Founder " + email}).want(t, 201)
	p := s.signedIn(t, email, pw)
	var accounts []keyway.Account
	p.as(s, t, "GET", "/accounts", nil).want(t, 200).decode(t, &accounts)
	if len(accounts) != 1 {
		t.Fatalf("founder %s: %d accounts", email, len(accounts))
	}
	return p, accounts[0].ID
}

// member invites email into accountID with role (narrowed to projectIDs
// when given) as the inviter, then signs the invitee up with the
// invitation and in.
func (s *server) member(t testing.TB, inviter person, accountID, email string, role keyway.Role, projectIDs ...string) person {
	t.Helper()
	body := map[string]any{"emails": []string{email}, "role": role, "accountId": accountID}
	if len(projectIDs) > 0 {
		body["projectIds"] = projectIDs
	}
	var invs []keyway.Invitation
	inviter.as(s, t, "POST", "/invitations", body).want(t, 201).decode(t, &invs)
	if len(invs) != 1 {
		t.Fatalf("invite %s: %d invitations", email, len(invs))
	}
	const pw = "member password 1"
	s.withT(t).callAs("", "POST", "/auth/signup", map[string]any{"email": email, "password": pw, "name": "Member " + email, "invitationId": invs[0].ID}).want(t, 201)
	return s.signedIn(t, email, pw)
}
