package app_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// resetCodeIn takes the one password reset code out of a text.
func resetCodeIn(t testing.TB, text string) string {
	t.Helper()
	codes := regexp.MustCompile(`Your password reset code is (`+reMailedCode.String()+`)\n`).FindAllStringSubmatch(text, -1)
	if len(codes) != 1 {
		t.Fatalf("want one reset code in %q", text)
	}
	return codes[0][1]
}

// A reset code asked for by email arrives by real SMTP, sets a new
// password once, and ends every sign-in of the person; an unknown email
// gets the same answer and no mail; a sign-in code resets nothing.
func TestForgotAndResetPassword(t *testing.T) {
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		sink := startSMTPSink(t)
		s := startServerWith(t, dbURL, nil, func(c *app.Config) { c.SMTPURL = sink.URL() })
		s.founder(t, "rosa@example.com")
		tok := wantTokens(t, s.callAs("", "POST", "/auth/login", map[string]any{"email": "rosa@example.com", "password": "correct horse battery"}))

		emptyBody(t, s.callAs("", "POST", "/auth/forgot-password", map[string]any{"email": " Rosa@Example.com"}).want(t, 201))
		m := sink.await(t, 1)[0]
		if m.To != "rosa@example.com" || m.Subject != "Reset your Keyway password" {
			t.Fatalf("mail to %q, subject %q", m.To, m.Subject)
		}
		code := resetCodeIn(t, m.Body)
		// The reset code is no sign-in code.
		s.callAs("", "POST", "/auth/validate-login-code", map[string]any{"code": code}).want(t, 401).wantJSON(t, errUnauthorized)

		emptyBody(t, s.callAs("", "POST", "/auth/reset-password", map[string]any{"email": "rosa@example.com", "code": strings.ToLower(code), "password": "a new long password"}).want(t, 201))
		// Spent once, and every sign-in of Rosa is over.
		s.callAs("", "POST", "/auth/reset-password", map[string]any{"email": "rosa@example.com", "code": code, "password": "another long password"}).want(t, 401).wantJSON(t, errUnauthorized)
		s.callAs("", "POST", "/auth/refresh-access-token", map[string]any{"access_token": tok.AccessToken, "refresh_token": tok.RefreshToken}).want(t, 401)
		s.callAs("", "POST", "/auth/login", map[string]any{"email": "rosa@example.com", "password": "correct horse battery"}).want(t, 401)
		wantTokens(t, s.callAs("", "POST", "/auth/login", map[string]any{"email": "rosa@example.com", "password": "a new long password"}))

		// A sign-in code resets nothing.
		s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "rosa@example.com"}).want(t, 201)
		login := codeIn(t, sink.await(t, 2)[1].Body)
		s.callAs("", "POST", "/auth/reset-password", map[string]any{"email": "rosa@example.com", "code": login, "password": "a third long password"}).want(t, 401).wantJSON(t, errUnauthorized)

		// An unknown email: the same empty 201, and no mail (mail goes out
		// in order, so the later one to Rosa arriving shows none was sent).
		emptyBody(t, s.callAs("", "POST", "/auth/forgot-password", map[string]any{"email": "nobody@example.com"}).want(t, 201))
		s.callAs("", "POST", "/auth/forgot-password", map[string]any{"email": "rosa@example.com"}).want(t, 201)
		for _, m := range sink.await(t, 3) {
			if m.To != "rosa@example.com" {
				t.Fatalf("a message went to %s", m.To)
			}
		}
	})
}

// Asking for reset codes is throttled per email, as sign-in codes are.
func TestForgotPasswordPerEmailLimit(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		for range 10 {
			s.callAs("", "POST", "/auth/forgot-password", map[string]any{"email": "flood@example.com"}).want(t, 201)
		}
		wantThrottled(t, s.callAs("", "POST", "/auth/forgot-password", map[string]any{"email": "FLOOD@example.com"}), "11th reset code for one email")
		// Sign-in codes have their own budget.
		s.callAs("", "POST", "/auth/email-otc", map[string]any{"email": "flood@example.com"}).want(t, 201)
	})
}

func TestPasswordResetBadInput(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *server) {
		run(t, s, []scenario{
			{name: "forgot without email", as: anonymous, method: "POST", path: "/auth/forgot-password", body: map[string]any{},
				wantStatus: 400, wantJSON: badRequest("email should not be empty")},
			{name: "forgot with a non-email", as: anonymous, method: "POST", path: "/auth/forgot-password", body: map[string]any{"email": "rosa"},
				wantStatus: 400, wantJSON: badRequest("email must be an email")},
			{name: "forgot with a number", as: anonymous, method: "POST", path: "/auth/forgot-password", body: map[string]any{"email": 5},
				wantStatus: 400, wantJSON: badRequest("email must be a string")},
			{name: "reset with nothing", as: anonymous, method: "POST", path: "/auth/reset-password", body: map[string]any{},
				wantStatus: 400, wantJSON: badRequest("email should not be empty", "code should not be empty", "password must be longer than or equal to 10 characters")},
			{name: "reset with a short password", as: anonymous, method: "POST", path: "/auth/reset-password",
				body:       map[string]any{"email": "rosa@example.com", "code": "ABCDE-FGHJK", "password": "short"},
				wantStatus: 400, wantJSON: badRequest("password must be longer than or equal to 10 characters")},
			{name: "reset with a 65-character code", as: anonymous, method: "POST", path: "/auth/reset-password",
				body:       map[string]any{"email": "rosa@example.com", "code": strings.Repeat("A", 65), "password": "a new long password"},
				wantStatus: 400, wantJSON: badRequest("code must be shorter than or equal to 64 characters")},
			{name: "reset with a code that is a number", as: anonymous, method: "POST", path: "/auth/reset-password",
				body:       map[string]any{"email": "rosa@example.com", "code": 12345, "password": "a new long password"},
				wantStatus: 400, wantJSON: badRequest("code must be a string")},
			{name: "reset with an unknown email", as: anonymous, method: "POST", path: "/auth/reset-password",
				body:       map[string]any{"email": "nobody@example.com", "code": "ABCDE-FGHJK", "password": "a new long password"},
				wantStatus: 401, wantJSON: errUnauthorized},
		})
	})
}
