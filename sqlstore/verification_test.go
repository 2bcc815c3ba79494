package sqlstore_test

import (
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/sqlstore"
)

func TestAPIKeyForVerification(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(1))
		k := fullAPIKey(p, at(2))
		check(t, s.CreateAPIKey(ctx, k))

		got, usable, err := s.APIKeyForVerification(ctx, k.Key)
		check(t, err)
		mustEqual(t, "key", got, readBack(k))
		if !usable {
			t.Fatal("active project and account reported inactive")
		}

		p.IsActive = false
		check(t, s.UpdateProject(ctx, p))
		if _, usable, _ := s.APIKeyForVerification(ctx, k.Key); usable {
			t.Fatal("deleted project reported active")
		}
		p.IsActive = true
		check(t, s.UpdateProject(ctx, p))
		a.IsActive = false
		check(t, s.UpdateAccount(ctx, a))
		if _, usable, _ := s.APIKeyForVerification(ctx, k.Key); usable {
			t.Fatal("deleted account reported active")
		}

		_, _, err = s.APIKeyForVerification(ctx, "live_missing_key_0000")
		mustIs(t, err, keyway.ErrAPIKeyNotFound)
	})
}
