package verify

import (
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/password"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/usertoken"
	"github.com/keywayhq/keyway/webhook"
)

// NewTestService is the management service these tests create keys with:
// st is what it writes keys through (a counting wrapper, say), all the
// store behind it for everything else. Exported for the verify_test files.
func NewTestService(tb testing.TB, st keyway.Store, all *sqlstore.Store, inv keyway.Invalidator, clock keyway.Clock) *service.Service {
	tb.Helper()
	tokens, err := usertoken.NewIssuer(keycrypt.NewSecret(), usertoken.DefaultTTL, clock)
	if err != nil {
		tb.Fatal(err)
	}
	guard := webhook.NewGuard(nil, nil)
	svc, err := service.New(service.Deps{
		Store: st, Invalidator: inv, Clock: clock, Usage: all,
		People:     service.People{Store: all, Groups: all, Tokens: tokens, Passwords: password.NewHasher(password.Default, 0)},
		Webhooks:   service.Webhooks{Store: all, Guard: guard, Pinger: webhook.Pinger{Sender: webhook.NewSender(guard, time.Second), Clock: clock}},
		MCPServers: service.MCPServers{Store: all, IsTool: func(string) bool { return false }},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}
