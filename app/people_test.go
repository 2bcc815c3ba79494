package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

func (s *server) signupAndLogin(t *testing.T, email, pw string) keyway.Tokens {
	t.Helper()
	r := s.callAs("", "POST", "/auth/signup", map[string]any{"email": email, "password": pw, "name": "Ada"}).want(t, 201)
	if len(r.Body) != 0 {
		t.Fatalf("signup answered a body: %s", r.Body)
	}
	var tok keyway.Tokens
	s.callAs("", "POST", "/auth/login", map[string]any{"email": email, "password": pw}).want(t, 201).decode(t, &tok)
	return tok
}

func TestSignupLoginAndUseTheAPI(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		tok := s.signupAndLogin(t, "Ada@Example.com ", "correct horse battery")
		if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || !strings.HasPrefix(tok.RefreshToken.Reveal(), "rt_") || strings.Count(tok.AccessToken.Reveal(), ".") != 2 {
			t.Fatalf("tokens %+v", tok)
		}
		bearer := "Bearer " + tok.AccessToken
		// The user is the admin of an account of their own, and only that.
		var accounts []keyway.Account
		s.callAs("", "GET", "/accounts", nil, "Authorization", bearer.Reveal()).want(t, 200).decode(t, &accounts)
		if len(accounts) != 1 || accounts[0].ID == s.AccountID || accounts[0].CreatedByType != keyway.ActorUser {
			t.Fatalf("accounts %+v", accounts)
		}
		var p keyway.Project
		s.callAs("", "POST", "/projects", map[string]any{"name": "p", "accountId": accounts[0].ID, "env": "live"}, "Authorization", bearer.Reveal()).
			want(t, 201).decode(t, &p)
		var k keyway.APIKey
		s.callAs("", "POST", "/api-keys", map[string]any{"name": "k", "projectId": p.ID}, "Authorization", bearer.Reveal()).want(t, 201).decode(t, &k)
		s.callAs("", "POST", "/api-keys/auth/"+k.Key.Reveal(), nil, "Authorization", bearer.Reveal()).want(t, 200)
		// Nothing of the bootstrap account is reachable.
		s.callAs("", "GET", "/accounts/"+s.AccountID, nil, "Authorization", bearer.Reveal()).want(t, 404)
		s.callAs("", "GET", "/projects?accountId="+s.AccountID, nil, "Authorization", bearer.Reveal()).want(t, 403)
		// And the bootstrap key cannot reach the user's.
		s.call("POST", "/api-keys/auth/"+k.Key.Reveal(), nil).want(t, 404)
	})
}

func TestSignupAndLoginRefusals(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		s.signupAndLogin(t, "bob@example.com", "correct horse battery")
		run(t, s, []scenario{
			{name: "duplicate email, other case", as: anonymous, method: "POST", path: "/auth/signup",
				body:       map[string]any{"email": "BOB@example.com", "password": "another password", "name": "Bob"},
				wantStatus: 409, wantJSON: `{"statusCode":409,"message":"Email already registered","error":"Conflict"}`},
			{name: "short password", as: anonymous, method: "POST", path: "/auth/signup",
				body:       map[string]any{"email": "c@example.com", "password": "short", "name": "C"},
				wantStatus: 400, wantJSON: badRequest("password must be longer than or equal to 10 characters")},
			{name: "not an email", as: anonymous, method: "POST", path: "/auth/signup",
				body:       map[string]any{"email": "nope", "password": "long enough password", "name": "C"},
				wantStatus: 400, wantJSON: badRequest("email must be an email")},
			{name: "nothing", as: anonymous, method: "POST", path: "/auth/signup", body: map[string]any{},
				wantStatus: 400, wantJSON: badRequest("email should not be empty", "password must be longer than or equal to 10 characters", "name should not be empty")},
			{name: "wrong password", as: anonymous, method: "POST", path: "/auth/login",
				body: map[string]any{"email": "bob@example.com", "password": "wrong password!"}, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "unknown email", as: anonymous, method: "POST", path: "/auth/login",
				body: map[string]any{"email": "who@example.com", "password": "whatever it is"}, wantStatus: 401, wantJSON: errUnauthorized},
			{name: "login without a password", as: anonymous, method: "POST", path: "/auth/login",
				body: map[string]any{"email": "bob@example.com"}, wantStatus: 400, wantJSON: badRequest("password should not be empty")},
		})
	})
}

func TestRefreshRotationAndReuse(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	tok := s.signupAndLogin(t, "eve@example.com", "correct horse battery")
	var next keyway.Tokens
	s.callAs("", "POST", "/auth/refresh-access-token", map[string]any{"access_token": tok.AccessToken.Reveal(), "refresh_token": tok.RefreshToken.Reveal()}).
		want(t, 201).decode(t, &next)
	if next.RefreshToken == tok.RefreshToken || next.AccessToken == "" {
		t.Fatalf("refresh did not rotate: %+v", next)
	}
	s.callAs("", "GET", "/accounts", nil, "Authorization", "Bearer "+next.AccessToken.Reveal()).want(t, 200)
	// Replaying the spent token is refused and kills the newer one too.
	s.callAs("", "POST", "/auth/refresh-access-token", map[string]any{"access_token": tok.AccessToken.Reveal(), "refresh_token": tok.RefreshToken.Reveal()}).want(t, 401)
	s.callAs("", "POST", "/auth/refresh-access-token", map[string]any{"access_token": next.AccessToken.Reveal(), "refresh_token": next.RefreshToken.Reveal()}).want(t, 401)
	s.callAs("", "POST", "/auth/refresh-access-token", map[string]any{"access_token": next.AccessToken.Reveal(), "refresh_token": "rt_not-a-real-token"}).want(t, 401)
	// Access tokens expire.
	s.Clock.Advance(16 * 60e9)
	s.callAs("", "GET", "/accounts", nil, "Authorization", "Bearer "+next.AccessToken.Reveal()).want(t, 401)
}

func TestUserRolesAndRename(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		tok := s.signupAndLogin(t, "ann@example.com", "correct horse battery")
		bearer := []string{"Authorization", ("Bearer " + tok.AccessToken).Reveal()}
		var accounts []keyway.Account
		s.callAs("", "GET", "/accounts", nil, bearer...).want(t, 200).decode(t, &accounts)
		var roles []keyway.UserRole
		s.callAs("", "GET", "/user-roles", nil, bearer...).want(t, 200).decode(t, &roles)
		if len(roles) != 1 || roles[0].AccountID != accounts[0].ID || roles[0].Role != keyway.RoleAdmin || roles[0].ProjectID != nil {
			t.Fatalf("user roles %+v", roles)
		}
		s.callAs("", "GET", "/user-roles?accountId="+s.AccountID, nil, bearer...).want(t, 403)

		// An access key reports the role it acts with.
		s.call("GET", "/user-roles", nil).want(t, 200).decode(t, &roles)
		if len(roles) != 1 || roles[0].AccountID != s.AccountID || roles[0].Role != keyway.RoleAdmin {
			t.Fatalf("access key roles %+v", roles)
		}
		p := s.newProject("p", "live")
		var ak keyway.AccessKey
		s.call("POST", "/access-keys", map[string]any{"name": "pk", "projectId": p.ID}).want(t, 201).decode(t, &ak)
		s.callAs(ak.Key.Reveal(), "GET", "/user-roles", nil).want(t, 200).decode(t, &roles)
		if len(roles) != 1 || roles[0].Role != keyway.RoleUser || roles[0].ProjectID == nil || *roles[0].ProjectID != p.ID {
			t.Fatalf("project-level access key roles %+v", roles)
		}

		// A user renames themselves; nobody else, and no access key.
		s.callAs("", "GET", "/user-roles", nil, bearer...).want(t, 200).decode(t, &roles)
		userID := roles[0].UserID
		var u keyway.User
		s.callAs("", "PATCH", "/users/"+userID, map[string]any{"name": "Ann B."}, bearer...).want(t, 200).decode(t, &u)
		if u.ID != userID || u.Name != "Ann B." || u.Email != "ann@example.com" {
			t.Fatalf("renamed user %+v", u)
		}
		s.callAs("", "PATCH", "/users/someone-else", map[string]any{"name": "x"}, bearer...).want(t, 404)
		s.callAs("", "PATCH", "/users/"+userID, map[string]any{"name": ""}, bearer...).want(t, 400)
		s.call("PATCH", "/users/"+userID, map[string]any{"name": "x"}).want(t, 403)
	})
}

// Password guessing is throttled per email: 10 attempts per 15 minutes,
// right or wrong, then 429 with the time to wait.
func TestLoginThrottle(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		s.signupAndLogin(t, "zoe@example.com", "correct horse battery") // attempt 1
		for range 9 {
			s.callAs("", "POST", "/auth/login", map[string]any{"email": "zoe@example.com", "password": "wrong guess!"}).want(t, 401)
		}
		r := s.callAs("", "POST", "/auth/login", map[string]any{"email": "ZOE@example.com", "password": "correct horse battery"}).want(t, 429)
		r.wantJSON(t, `{"statusCode":429,"message":"Too many requests"}`)
		if got := r.Header.Get("retry-after-seconds"); got != "900" {
			t.Fatalf("retry-after-seconds %q, want 900", got)
		}
		// Another email is not affected; the window ends.
		s.callAs("", "POST", "/auth/login", map[string]any{"email": "other@example.com", "password": "whatever it is"}).want(t, 401)
		s.Clock.Advance(15 * 60e9)
		s.callAs("", "POST", "/auth/login", map[string]any{"email": "zoe@example.com", "password": "correct horse battery"}).want(t, 201)
	})
}

// Tokens naming a real user but not signed by this server are refused:
// alg none, and HS256 under another secret. (A forged token naming nobody
// would be refused even if signatures were not checked.)
func TestForgedUserTokensRefused(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	tok := s.signupAndLogin(t, "mal@example.com", "correct horse battery")
	var roles []keyway.UserRole
	s.callAs("", "GET", "/user-roles", nil, "Authorization", "Bearer "+tok.AccessToken.Reveal()).want(t, 200).decode(t, &roles)
	claims := jwt.RegisteredClaims{Issuer: "keyway", Subject: roles[0].UserID,
		IssuedAt: jwt.NewNumericDate(s.Clock.Now().Add(-time.Second)), ExpiresAt: jwt.NewNumericDate(s.Clock.Now().Add(time.Hour))}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _ := keycrypt.DeriveKey(keycrypt.NewSecret(), "user-token")
	other, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(otherKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, forged := range map[string]string{"alg none": none, "another secret": other} {
		r := s.callAs("", "GET", "/accounts", nil, "Authorization", "Bearer "+forged)
		if r.Status != 401 {
			t.Errorf("%s: %d %s, want 401", name, r.Status, r.Body)
		}
	}
}

// The page older invitation emails link to sends the invitee on to the
// dashboard's sign-up page, the invitation id kept, with no Referer.
func TestSignupPage(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(s.URL + "/signup?invitationId=x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /signup: %d, want 303", resp.StatusCode)
	}
	r := resp
	for name, want := range map[string]string{
		"Location":        "/ui/signup?invitationId=x",
		"Referrer-Policy": "no-referrer",
		"Cache-Control":   "no-store",
	} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// A member narrowed to projects lists only those, and an empty array (not
// null) once they are all deleted.
func TestNarrowedMemberListsProjects(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		admin, acct := s.founder(t, "nora@example.com")
		var p, q keyway.Project
		admin.as(s, t, "POST", "/projects", map[string]any{"name": "p", "accountId": acct, "env": "live"}).want(t, 201).decode(t, &p)
		admin.as(s, t, "POST", "/projects", map[string]any{"name": "q", "accountId": acct, "env": "live"}).want(t, 201).decode(t, &q)
		viewer := s.member(t, admin, acct, "vic@example.com", keyway.RoleViewer, p.ID)
		var ps []keyway.Project
		viewer.as(s, t, "GET", "/projects?accountId="+acct, nil).want(t, 200).decode(t, &ps)
		if len(ps) != 1 || ps[0].ID != p.ID {
			t.Fatalf("narrowed member lists %+v, want only %s", ps, p.ID)
		}
		admin.as(s, t, "DELETE", "/projects/"+p.ID, nil).want(t, 200)
		viewer.as(s, t, "GET", "/projects?accountId="+acct, nil).want(t, 200).wantJSON(t, "[]")
	})
}
