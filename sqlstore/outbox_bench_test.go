package sqlstore_test

import (
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// BenchmarkCreateAPIKey measures the write path of a key creation: the
// bare write, the write with its event (outbox), and the write with its
// event fanned out to a subscribed webhook, in the same run.
func BenchmarkCreateAPIKey(b *testing.B) {
	for _, c := range []struct {
		name    string
		event   bool
		webhook bool
	}{{"bare", false, false}, {"with-event", true, false}, {"with-event-and-webhook", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			s, err := sqlstore.Open(ctx, keywaytest.SQLiteURL(b), testSealer)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			a := &keyway.Account{ID: uniqueID("acc"), Name: "a", IsActive: true, CreatedAt: at(0), UpdatedAt: at(0)}
			if err := s.CreateAccount(ctx, a); err != nil {
				b.Fatal(err)
			}
			p := &keyway.Project{ID: uniqueID("prj"), Name: "p", AccountID: a.ID, Env: keyway.EnvLive, IsActive: true, CreatedAt: at(0), UpdatedAt: at(0)}
			if err := s.CreateProject(ctx, p); err != nil {
				b.Fatal(err)
			}
			if c.webhook {
				w := &keyway.Webhook{ID: uniqueID("wh"), Name: "h", URL: "https://example.com/", HTTPMethod: "POST",
					Topics: []string{keyway.TopicAPIKeyCreated}, AccountID: a.ID, Status: keyway.WebhookLive, IsActive: true,
					Secret: keyway.WebhookSecret(keycrypt.NewWebhookSecret()), CreatedAt: at(0), UpdatedAt: at(0)}
				if err := s.CreateWebhook(ctx, w); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				k := minimalAPIKey(p, at(i))
				var events []keyway.Event
				if c.event {
					events = append(events, event(keyway.TopicAPIKeyCreated, k, i))
				}
				if err := s.CreateAPIKey(ctx, k, events...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
