package service_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/service"
)

// signIn starts a dashboard session for a person with testPassword.
func (h *harness) signIn(t *testing.T, email string) (keyway.SessionToken, *keyway.Session) {
	t.Helper()
	tok, se, err := h.svc.StartSessionWithPassword(h.ctx, &keyway.Login{Email: email, Password: testPassword})
	must(t, err)
	return tok, se
}

// live reports whether a session token still resolves; any error but
// ErrUnauthorized fails the test.
func (h *harness) live(t *testing.T, tok keyway.SessionToken) bool {
	t.Helper()
	_, _, err := h.svc.SessionCaller(h.ctx, tok.Reveal())
	if err != nil && !errors.Is(err, keyway.ErrUnauthorized) {
		t.Fatalf("SessionCaller: %v", err)
	}
	return err == nil
}

// sessionLifetimes is a harness setting: idle and absolute expiry.
func sessionLifetimes(idle, max time.Duration) func(p *service.People) {
	return func(p *service.People) { p.SessionIdle, p.SessionMax = idle, max }
}

// throttled is a harness setting: the sign-in limits on, in memory.
func throttled(p *service.People) {
	p.Limiter = ratelimit.NewMemory()
	p.AddressLimit = keyway.RateLimit{RateLimit: 30, RateLimitTTL: service.SigninWindow}
}

func TestSessionStartResolveEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		email := h.email("founder")
		h.founder(t, email)
		tok, se := h.signIn(t, email)
		if strings.Contains(fmt.Sprint(tok, se), tok.Reveal()) || !strings.HasPrefix(tok.Reveal(), "kws_") {
			t.Fatalf("token printed or of the wrong shape: %v", tok)
		}
		if se.ID == "" || se.Family == "" || !se.ExpiresAt.Equal(se.CreatedAt.Add(service.DefaultSessionMax)) || !se.LastSeenAt.Equal(se.CreatedAt) {
			t.Fatalf("session %+v", se)
		}
		c, got, err := h.svc.SessionCaller(h.ctx, tok.Reveal())
		must(t, err)
		if !reflect.DeepEqual(got, se) {
			t.Fatalf("resolved %+v, started %+v", got, se)
		}
		// The same caller as the user's access token gives.
		tokens, err := h.svc.Login(h.ctx, &keyway.Login{Email: email, Password: testPassword})
		must(t, err)
		byToken, err := h.svc.UserCaller(h.ctx, tokens.AccessToken.Reveal())
		must(t, err)
		if !reflect.DeepEqual(c.Grants, byToken.Grants) || c.User.ID != byToken.User.ID || len(c.Grants) != 1 {
			t.Fatalf("session caller %+v, token caller %+v", c, byToken)
		}
		// Another session of the same person is its own.
		other, _ := h.signIn(t, email)
		must(t, h.svc.EndSession(h.ctx, tok.Reveal()))
		if h.live(t, tok) || !h.live(t, other) {
			t.Fatal("sign-out did not end exactly its own session")
		}
		// Idempotent, and quiet about tokens that are not sessions.
		for _, s := range []string{tok.Reveal(), "", "kws_short", strings.Repeat("x", 5000), "rt_" + keycrypt.RandomString(48)} {
			must(t, h.svc.EndSession(h.ctx, s))
			if _, _, err := h.svc.SessionCaller(h.ctx, s); !errors.Is(err, keyway.ErrUnauthorized) {
				t.Errorf("SessionCaller(%.20q) = %v, want unauthorized", s, err)
			}
		}
		// A well-formed token that was never issued.
		fresh, _ := keycrypt.NewSessionToken()
		if _, _, err := h.svc.SessionCaller(h.ctx, fresh); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("unknown token: %v", err)
		}
	})
}

// A wrong password and an unknown email answer alike, with Login's answer.
func TestSessionWrongPasswordAndUnknownEmailAlike(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		email := h.email("founder")
		h.founder(t, email)
		_, _, wrong := h.svc.StartSessionWithPassword(h.ctx, &keyway.Login{Email: email, Password: "not the password"})
		_, _, unknown := h.svc.StartSessionWithPassword(h.ctx, &keyway.Login{Email: h.email("nobody"), Password: testPassword})
		_, login := h.svc.Login(h.ctx, &keyway.Login{Email: email, Password: "not the password"})
		if !errors.Is(wrong, keyway.ErrUnauthorized) || !sameError(unknown, wrong) || !sameError(login, wrong) {
			t.Fatalf("wrong password %v, unknown email %v, login %v", wrong, unknown, login)
		}
		_, _, invalid := h.svc.StartSessionWithPassword(h.ctx, &keyway.Login{})
		if keyway.ErrorCode(invalid) != keyway.CodeInvalid {
			t.Fatalf("empty login: %v", invalid)
		}
	})
}

func TestSessionIdleExpiry(t *testing.T) {
	forEachStoreWith(t, sessionLifetimes(10*time.Minute, 24*time.Hour), func(t *testing.T, h *harness) {
		email := h.email("founder")
		h.founder(t, email)
		tok, se := h.signIn(t, email)
		// Activity within a minute is not written: a busy page costs reads.
		h.clock.Advance(30 * time.Second)
		_, got, err := h.svc.SessionCaller(h.ctx, tok.Reveal())
		must(t, err)
		if !got.LastSeenAt.Equal(se.CreatedAt) {
			t.Fatalf("touched after 30s: %v", got.LastSeenAt)
		}
		// Past a minute it is, and the store holds it.
		h.clock.Advance(8*time.Minute + 30*time.Second)
		_, got, err = h.svc.SessionCaller(h.ctx, tok.Reveal())
		must(t, err)
		if !got.LastSeenAt.Equal(h.clock.Now()) {
			t.Fatalf("last seen %v, want %v", got.LastSeenAt, h.clock.Now())
		}
		// Still in use: 9 minutes after the last activity it lives on,
		// though 18 have passed since it started.
		h.clock.Advance(9 * time.Minute)
		if !h.live(t, tok) {
			t.Fatal("ended while in use")
		}
		h.clock.Advance(10*time.Minute + time.Millisecond)
		if h.live(t, tok) {
			t.Fatal("alive after 10 idle minutes")
		}
	})
}

func TestSessionAbsoluteExpiry(t *testing.T) {
	forEachStoreWith(t, sessionLifetimes(time.Hour, 3*time.Hour), func(t *testing.T, h *harness) {
		email := h.email("founder")
		h.founder(t, email)
		tok, se := h.signIn(t, email)
		for h.clock.Now().Before(se.ExpiresAt.Add(-40 * time.Minute)) {
			h.clock.Advance(40 * time.Minute)
			if !h.live(t, tok) {
				t.Fatalf("ended at %v, before its expiry %v", h.clock.Now(), se.ExpiresAt)
			}
		}
		h.clock.Set(se.ExpiresAt.Add(-time.Millisecond))
		if !h.live(t, tok) {
			t.Fatal("ended a millisecond early")
		}
		h.clock.Set(se.ExpiresAt)
		if h.live(t, tok) {
			t.Fatal("alive at its absolute expiry, though in constant use")
		}
	})
}

// Expired sessions are deleted as new ones start, a bounded batch at a
// time; live ones stay.
func TestExpiredSessionsAreDeleted(t *testing.T) {
	forEachStoreWith(t, sessionLifetimes(time.Hour, 2*time.Hour), func(t *testing.T, h *harness) {
		email := h.email("founder")
		h.founder(t, email)
		old, oldSe := h.signIn(t, email)
		h.clock.Advance(90 * time.Minute)
		kept, keptSe := h.signIn(t, email)
		h.clock.Advance(30 * time.Minute) // old: idle 120 minutes; kept: 30
		h.signIn(t, email)
		stored := func(tok keyway.SessionToken, se *keyway.Session) bool {
			d, err := keycrypt.SessionDigest(tok.Reveal())
			must(t, err)
			// As of its start, the row would still be live if it were there.
			_, err = h.store.Session(h.ctx, d, se.CreatedAt, time.Time{})
			return err == nil
		}
		if stored(old, oldSe) || !stored(kept, keptSe) {
			t.Fatalf("expired row kept %v, live row deleted %v", stored(old, oldSe), !stored(kept, keptSe))
		}
	})
}

func TestSessionWithCode(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		email := h.email("founder")
		founder, _ := h.founder(t, email)
		must(t, h.svc.EmailLoginCode(h.ctx, &keyway.EmailOTC{Email: email}))
		code := mailedCode(t, h, email)
		tok, se, err := h.svc.StartSessionWithCode(h.ctx, &keyway.LoginCode{Code: keyway.OneTimeCode(strings.ToLower(code))})
		must(t, err)
		c, _, err := h.svc.SessionCaller(h.ctx, tok.Reveal())
		must(t, err)
		if c.User.ID != founder.User.ID || se.UserID != founder.User.ID {
			t.Fatalf("code signed in %+v", c.User)
		}
		// Spent once, on either path.
		if _, _, err := h.svc.StartSessionWithCode(h.ctx, &keyway.LoginCode{Code: keyway.OneTimeCode(code)}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("code reused for a session: %v", err)
		}
		if _, err := h.svc.ValidateLoginCode(h.ctx, &keyway.LoginCode{Code: keyway.OneTimeCode(code)}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("code reused for tokens: %v", err)
		}
	})
}

// A session and its refresh-token family end together, whichever ends
// first.
func TestSessionFamily(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		email := h.email("founder")
		founder, _ := h.founder(t, email)
		now := h.clock.Now()
		refresh := func(family string) [32]byte {
			_, d := keycrypt.NewRefreshToken()
			must(t, h.store.CreateRefreshToken(h.ctx, d, founder.User.ID, family, now, now.Add(time.Hour)))
			return d
		}
		// A replayed refresh token of the family revokes it: the session ends.
		tok, se := h.signIn(t, email)
		d := refresh(se.Family)
		if _, _, err := h.store.UseRefreshToken(h.ctx, d, now); err != nil {
			t.Fatal(err)
		}
		if !h.live(t, tok) {
			t.Fatal("a normal refresh ended the session")
		}
		if _, _, err := h.store.UseRefreshToken(h.ctx, d, now); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("replay: %v", err)
		}
		if h.live(t, tok) {
			t.Fatal("the session outlived its revoked family")
		}
		// Ending the session revokes its family, and only its own.
		tok2, se2 := h.signIn(t, email)
		mine, others := refresh(se2.Family), refresh("another login")
		must(t, h.svc.EndSession(h.ctx, tok2.Reveal()))
		if _, _, err := h.store.UseRefreshToken(h.ctx, mine, now); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("the family's token after sign-out: %v", err)
		}
		if _, _, err := h.store.UseRefreshToken(h.ctx, others, now); err != nil {
			t.Fatalf("another family's token after sign-out: %v", err)
		}
	})
}

// Changing the password ends every session and refresh-token family of
// the person, and nobody else's.
func TestChangePasswordEndsSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		email, otherEmail := h.email("founder"), h.email("other")
		founder, a := h.founder(t, email)
		h.founder(t, otherEmail)
		one, _ := h.signIn(t, email)
		two, _ := h.signIn(t, email)
		theirs, _ := h.signIn(t, otherEmail)
		tokens, err := h.svc.Login(h.ctx, &keyway.Login{Email: email, Password: testPassword})
		must(t, err)
		theirTokens, err := h.svc.Login(h.ctx, &keyway.Login{Email: otherEmail, Password: testPassword})
		must(t, err)
		c, _, err := h.svc.SessionCaller(h.ctx, one.Reveal())
		must(t, err)

		// A wrong current password changes nothing, and answers as a login.
		err = h.svc.ChangePassword(h.ctx, c, &keyway.PasswordChange{Current: "not the password", New: "a new long password"})
		if !errors.Is(err, keyway.ErrUnauthorized) || !h.live(t, one) {
			t.Fatalf("wrong current password: %v", err)
		}
		if err := h.svc.ChangePassword(h.ctx, c, &keyway.PasswordChange{Current: testPassword, New: "short"}); keyway.ErrorCode(err) != keyway.CodeInvalid {
			t.Fatalf("short new password: %v", err)
		}
		// An access key has no password.
		key := keyway.AccessKeyCaller(h.accessKey(t, founder, a, ""))
		if err := h.svc.ChangePassword(h.ctx, key, &keyway.PasswordChange{Current: testPassword, New: "a new long password"}); !errors.Is(err, keyway.ErrForbidden) {
			t.Fatalf("access key: %v", err)
		}

		must(t, h.svc.ChangePassword(h.ctx, c, &keyway.PasswordChange{Current: testPassword, New: "a new long password"}))
		if h.live(t, one) || h.live(t, two) {
			t.Fatal("a session outlived the password change")
		}
		if _, err := h.svc.RefreshTokens(h.ctx, &keyway.TokenRefresh{AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("refresh token after the password change: %v", err)
		}
		if !h.live(t, theirs) {
			t.Fatal("another person's session ended")
		}
		if _, err := h.svc.RefreshTokens(h.ctx, &keyway.TokenRefresh{AccessToken: theirTokens.AccessToken, RefreshToken: theirTokens.RefreshToken}); err != nil {
			t.Fatalf("another person's refresh token: %v", err)
		}
		if _, err := h.svc.Login(h.ctx, &keyway.Login{Email: email, Password: testPassword}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("old password still works: %v", err)
		}
		if _, _, err := h.svc.StartSessionWithPassword(h.ctx, &keyway.Login{Email: email, Password: "a new long password"}); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})
}

// Dashboard sign-ins spend the login budget: the session path gives no
// guesses beyond Login's.
func TestSessionSignInShareLoginThrottle(t *testing.T) {
	forEachStoreWith(t, throttled, func(t *testing.T, h *harness) {
		email := h.email("founder")
		h.founder(t, email)
		for i := range 10 {
			var err error
			if i%2 == 0 {
				_, err = h.svc.Login(h.ctx, &keyway.Login{Email: email, Password: "wrong password"})
			} else {
				_, _, err = h.svc.StartSessionWithPassword(h.ctx, &keyway.Login{Email: email, Password: "wrong password"})
			}
			if !errors.Is(err, keyway.ErrUnauthorized) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, _, err := h.svc.StartSessionWithPassword(h.ctx, &keyway.Login{Email: email, Password: testPassword}); keyway.ErrorCode(err) != keyway.CodeRateLimited {
			t.Fatalf("11th attempt: %v, want 429", err)
		}
	})
}

// mailedCode is the code of the newest email to an address.
func mailedCode(t *testing.T, h *harness, to string) string {
	t.Helper()
	m, ok := h.mail.last(to)
	if !ok || len(m.Secrets) != 1 || !strings.Contains(m.Text, m.Secrets[0]) {
		t.Fatalf("no code mailed to %s: %+v", to, m)
	}
	return m.Secrets[0]
}
