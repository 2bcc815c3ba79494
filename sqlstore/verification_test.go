package sqlstore_test

import (
	"fmt"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/sqlstore"
)

func TestAPIKeysForVerification(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(1))
		k := fullAPIKey(p, at(2))
		check(t, s.CreateAPIKey(ctx, k))
		one := func(key string) (*keyway.APIKey, bool) {
			t.Helper()
			got, err := s.APIKeysForVerification(ctx, []keyway.AccountKey{{AccountID: a.ID, Key: keyway.APIKeySecret(key)}})
			check(t, err)
			switch len(got) {
			case 0:
				return nil, false
			case 1:
				return got[0].Key, got[0].OwnersActive
			}
			t.Fatalf("%d keys for one string", len(got))
			return nil, false
		}

		got, usable := one(k.Key.Reveal())
		mustEqual(t, "key", got, readBack(k))
		if !usable {
			t.Fatal("active project and account reported inactive")
		}

		p.IsActive = false
		check(t, s.UpdateProject(ctx, p))
		if _, usable := one(k.Key.Reveal()); usable {
			t.Fatal("deleted project reported active")
		}
		p.IsActive = true
		check(t, s.UpdateProject(ctx, p))
		a.IsActive = false
		check(t, s.UpdateAccount(ctx, a))
		if _, usable := one(k.Key.Reveal()); usable {
			t.Fatal("deleted account reported active")
		}

		if got, _ := one("live_missing_key_0000"); got != nil {
			t.Fatalf("a missing key was found: %+v", got)
		}
	})
}

// One call answers for many keys, found and missing mixed, in any number:
// more strings than one statement binds are split, not refused.
func TestAPIKeysForVerificationBatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a := newAccount(t, s)
		p := newProject(t, s, a.ID, at(1))
		var keys []*keyway.APIKey
		for i := range 300 {
			k := fullAPIKey(p, at(2+i))
			keys = append(keys, k)
		}
		check(t, s.ImportAPIKeys(ctx, keys))
		var ask []keyway.AccountKey
		for i, k := range keys {
			ask = append(ask, keyway.AccountKey{AccountID: a.ID, Key: k.Key},
				keyway.AccountKey{AccountID: a.ID, Key: keyway.APIKeySecret(fmt.Sprintf("live_missing_%05d_xxxxxxxx", i))})
		}
		// Past one statement's bind limit, with duplicates.
		for len(ask) < 40_000 {
			ask = append(ask, keyway.AccountKey{AccountID: a.ID, Key: keys[len(ask)%len(keys)].Key})
		}
		got, err := s.APIKeysForVerification(ctx, ask)
		check(t, err)
		seen := map[string]int{}
		for _, v := range got {
			seen[v.Key.ID]++
			if !v.OwnersActive {
				t.Fatalf("key %s reported with inactive owners", v.Key.ID)
			}
		}
		for _, k := range keys {
			if seen[k.ID] < 1 {
				t.Fatalf("key %s not found", k.ID)
			}
		}
		if len(seen) != len(keys) {
			t.Fatalf("%d distinct keys found, want %d", len(seen), len(keys))
		}
	})
}
