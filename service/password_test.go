package service_test

import (
	"errors"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

const newPassword = "a brand new password"

func TestPasswordReset(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		email, otherEmail := h.email("founder"), h.email("other")
		h.founder(t, email)
		h.founder(t, otherEmail)
		mine, _ := h.signIn(t, email)
		theirs, _ := h.signIn(t, otherEmail)
		tokens, err := h.svc.Login(h.ctx, &keyway.Login{Email: email, Password: testPassword})
		must(t, err)

		// An unknown email answers alike and mails nothing.
		nobody := h.email("nobody")
		must(t, h.svc.RequestPasswordReset(h.ctx, &keyway.EmailOTC{Email: nobody}))
		if _, ok := h.mail.last(nobody); ok {
			t.Fatal("mailed an unknown address")
		}
		must(t, h.svc.RequestPasswordReset(h.ctx, &keyway.EmailOTC{Email: email}))
		code := mailedCode(t, h, email)

		must(t, h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: email, Code: keyway.OneTimeCode(code), Password: newPassword}))
		if h.live(t, mine) || !h.live(t, theirs) {
			t.Fatal("a reset must end the person's sessions, and only theirs")
		}
		if _, err := h.svc.RefreshTokens(h.ctx, &keyway.TokenRefresh{AccessToken: tokens.AccessToken, RefreshToken: tokens.RefreshToken}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("refresh token after the reset: %v", err)
		}
		if _, err := h.svc.Login(h.ctx, &keyway.Login{Email: email, Password: newPassword}); err != nil {
			t.Fatalf("new password: %v", err)
		}
		// Spent once.
		err = h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: email, Code: keyway.OneTimeCode(code), Password: "yet another password"})
		if !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("code reused: %v", err)
		}
		// Bad input is 400.
		for _, in := range []*keyway.PasswordReset{
			{}, {Email: email, Code: "X", Password: "short"}, {Email: "nope", Code: "X", Password: newPassword},
			{Email: email, Password: newPassword},
		} {
			if err := h.svc.ResetPassword(h.ctx, in); keyway.ErrorCode(err) != keyway.CodeInvalid {
				t.Errorf("ResetPassword(%v): %v, want 400", in, err)
			}
		}
	})
}

// A sign-in code cannot reset a password, a reset code cannot sign in,
// and a reset code is for the email it was mailed to.
func TestResetCodesAreTheirOwnPurpose(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		email, otherEmail := h.email("founder"), h.email("other")
		h.founder(t, email)
		h.founder(t, otherEmail)

		must(t, h.svc.EmailLoginCode(h.ctx, &keyway.EmailOTC{Email: email}))
		login := mailedCode(t, h, email)
		if err := h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: email, Code: keyway.OneTimeCode(login), Password: newPassword}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("a sign-in code reset the password: %v", err)
		}

		must(t, h.svc.RequestPasswordReset(h.ctx, &keyway.EmailOTC{Email: email}))
		reset := keyway.OneTimeCode(mailedCode(t, h, email))
		if _, err := h.svc.ValidateLoginCode(h.ctx, &keyway.LoginCode{Code: reset}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("a reset code gave tokens: %v", err)
		}
		if _, _, err := h.svc.StartSessionWithCode(h.ctx, &keyway.LoginCode{Code: reset}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("a reset code gave a session: %v", err)
		}
		if err := h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: otherEmail, Code: reset, Password: newPassword}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("a reset code of one person reset another's password: %v", err)
		}
		// Nothing above spent either code where it belongs.
		if _, err := h.svc.ValidateLoginCode(h.ctx, &keyway.LoginCode{Code: keyway.OneTimeCode(login)}); err != nil {
			t.Fatalf("the sign-in code: %v", err)
		}
		must(t, h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: email, Code: reset, Password: newPassword}))
		if _, err := h.svc.Login(h.ctx, &keyway.Login{Email: otherEmail, Password: testPassword}); err != nil {
			t.Fatalf("the other person's password changed: %v", err)
		}
	})
}

// Asking for codes and guessing them spend the per-email budget.
func TestPasswordResetThrottled(t *testing.T) {
	forEachStoreWith(t, throttled, func(t *testing.T, h *harness) {
		email := h.email("founder")
		h.founder(t, email)
		for i := range 10 {
			must(t, h.svc.RequestPasswordReset(h.ctx, &keyway.EmailOTC{Email: email}))
			err := h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: email, Code: "WRONG-GUESS", Password: newPassword})
			if !errors.Is(err, keyway.ErrUnauthorized) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		code := keyway.OneTimeCode(mailedCode(t, h, email))
		if err := h.svc.RequestPasswordReset(h.ctx, &keyway.EmailOTC{Email: email}); keyway.ErrorCode(err) != keyway.CodeRateLimited {
			t.Fatalf("11th request: %v, want 429", err)
		}
		// Past the limit even the right code waits: guesses are capped.
		if err := h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: email, Code: code, Password: newPassword}); keyway.ErrorCode(err) != keyway.CodeRateLimited {
			t.Fatalf("11th reset: %v, want 429", err)
		}
		// A new window: the old code has expired by then, a new one works.
		h.clock.Advance(service.SigninWindow*time.Second + time.Millisecond)
		if err := h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: email, Code: code, Password: newPassword}); !errors.Is(err, keyway.ErrUnauthorized) {
			t.Fatalf("expired code: %v", err)
		}
		must(t, h.svc.RequestPasswordReset(h.ctx, &keyway.EmailOTC{Email: email}))
		fresh := keyway.OneTimeCode(mailedCode(t, h, email))
		must(t, h.svc.ResetPassword(h.ctx, &keyway.PasswordReset{Email: email, Code: fresh, Password: newPassword}))
	})
}
