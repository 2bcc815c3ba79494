package service_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// firstStart bootstraps the harness's empty store and returns the setup
// token and the bootstrapped account.
func (h *harness) firstStart(t *testing.T) (keyway.SetupToken, string) {
	t.Helper()
	k, setup, err := h.svc.FirstStart(h.ctx, "")
	must(t, err)
	if k == nil || setup == "" {
		t.Fatalf("first start on an empty store: key %v, setup %v", k, setup)
	}
	return setup, k.AccountID
}

func (h *harness) setup(token keyway.SetupToken, email string) *keyway.Setup {
	return &keyway.Setup{Token: token, Email: email, Name: "First Person", Password: testPassword}
}

func TestSetupCreatesTheAdminOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		setup, accountID := h.firstStart(t)
		// A second start makes and shows nothing.
		if k, again, err := h.svc.FirstStart(h.ctx, ""); err != nil || k != nil || again != "" {
			t.Fatalf("second start: %v %v %v", k, again, err)
		}
		a, err := h.svc.SetupInfo(h.ctx, setup.Reveal())
		must(t, err)
		if a.ID != accountID {
			t.Fatalf("setup link is for %s, want %s", a.ID, accountID)
		}
		email := h.email("first")
		tok, se, err := h.svc.CompleteSetup(h.ctx, h.setup(setup, email))
		must(t, err)
		c, _, err := h.svc.SessionCaller(h.ctx, tok.Reveal())
		must(t, err)
		if c.User.Email != email || se.UserID != c.User.ID || len(c.Grants) != 1 ||
			c.Grants[0] != (keyway.Grant{AccountID: accountID, Role: keyway.RoleAdmin}) {
			t.Fatalf("set up %+v with grants %+v", c.User, c.Grants)
		}
		// The admin can act as one, and sign in with the password.
		h.project(t, c, accountID)
		if _, err := h.svc.Login(h.ctx, &keyway.Login{Email: email, Password: testPassword}); err != nil {
			t.Fatal(err)
		}
		// The link is spent.
		if _, err := h.svc.SetupInfo(h.ctx, setup.Reveal()); !errors.Is(err, keyway.ErrSetupNotFound) {
			t.Fatalf("used link's info: %v", err)
		}
		if _, _, err := h.svc.CompleteSetup(h.ctx, h.setup(setup, h.email("second"))); !errors.Is(err, keyway.ErrSetupNotFound) {
			t.Fatalf("used link completed again: %v", err)
		}
	})
}

func TestSetupRefusesWhatIsNotALink(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		setup, _ := h.firstStart(t)
		unknown, _ := keycrypt.NewSetupToken()
		for _, tok := range []string{unknown, "kwsetup_short", setup.Reveal() + "x", "kws_" + keycrypt.RandomString(48)} {
			if _, err := h.svc.SetupInfo(h.ctx, tok); !errors.Is(err, keyway.ErrSetupNotFound) {
				t.Errorf("SetupInfo(%.20q): %v", tok, err)
			}
			email := h.email("guess")
			if _, _, err := h.svc.CompleteSetup(h.ctx, h.setup(keyway.SetupToken(tok), email)); !errors.Is(err, keyway.ErrSetupNotFound) {
				t.Errorf("CompleteSetup(%.20q): %v", tok, err)
			}
			if _, err := h.store.UserByEmail(h.ctx, email); !errors.Is(err, keyway.ErrUserNotFound) {
				t.Errorf("a user was made without a link: %v", err)
			}
		}
		// Bad input is 400 before the token is looked at.
		for _, in := range []*keyway.Setup{
			{},
			{Token: setup, Email: "not an email", Name: "x", Password: testPassword},
			{Token: setup, Email: h.email("short"), Name: "x", Password: "short"},
			{Token: keyway.SetupToken(make([]byte, keyway.MaxTokenLen+1)), Email: h.email("long"), Name: "x", Password: testPassword},
		} {
			if _, _, err := h.svc.CompleteSetup(h.ctx, in); keyway.ErrorCode(err) != keyway.CodeInvalid {
				t.Errorf("CompleteSetup(%v): %v, want 400", in, err)
			}
		}
		// A taken email is a conflict that leaves the link unspent.
		taken := h.email("taken")
		h.founder(t, taken)
		if _, _, err := h.svc.CompleteSetup(h.ctx, h.setup(setup, taken)); keyway.ErrorCode(err) != keyway.CodeConflict {
			t.Fatalf("taken email: %v", err)
		}
		if _, _, err := h.svc.CompleteSetup(h.ctx, h.setup(setup, h.email("first"))); err != nil {
			t.Fatalf("after the conflict: %v", err)
		}
	})
}

// Of completions racing with one link, exactly one creates its person.
func TestSetupConcurrentCompletionsOneWins(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		setup, _ := h.firstStart(t)
		const n = 8
		emails := make([]string, n)
		errs := make([]error, n)
		for i := range emails {
			emails[i] = h.email("racer")
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, errs[i] = h.svc.CompleteSetup(h.ctx, h.setup(setup, emails[i]))
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			_, userErr := h.store.UserByEmail(h.ctx, emails[i])
			switch {
			case err == nil && userErr == nil:
				won++
			case errors.Is(err, keyway.ErrSetupNotFound) && errors.Is(userErr, keyway.ErrUserNotFound):
			default:
				t.Errorf("racer %d: %v, user %v", i, err, userErr)
			}
		}
		if won != 1 {
			t.Fatalf("%d completions won, want exactly 1", won)
		}
	})
}

// Setup is anonymous: it spends the client address's sign-in budget, and
// a refused attempt costs no lookup.
func TestSetupThrottled(t *testing.T) {
	forEachStoreWith(t, throttled, func(t *testing.T, h *harness) {
		setup, _ := h.firstStart(t)
		ctx := keyway.WithClientAddress(h.ctx, "203.0.113.9")
		unknown, _ := keycrypt.NewSetupToken()
		limited := 0
		for range 40 {
			_, err := h.svc.SetupInfo(ctx, unknown)
			if keyway.ErrorCode(err) == keyway.CodeRateLimited {
				limited++
			} else if !errors.Is(err, keyway.ErrSetupNotFound) {
				t.Fatal(err)
			}
		}
		if limited != 10 {
			t.Fatalf("%d of 40 refused, want 10 past the address limit of 30", limited)
		}
		if _, _, err := h.svc.CompleteSetup(ctx, h.setup(setup, h.email("first"))); keyway.ErrorCode(err) != keyway.CodeRateLimited {
			t.Fatalf("completion past the limit: %v", err)
		}
		// Another address still may.
		if _, _, err := h.svc.CompleteSetup(keyway.WithClientAddress(h.ctx, "203.0.113.10"), h.setup(setup, h.email("first"))); err != nil {
			t.Fatal(err)
		}
	})
}
