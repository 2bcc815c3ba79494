package sqlstore_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/sqlstore"
)

func bootstrapObjects(n int) (*keyway.Account, *keyway.AccessKey) {
	a := &keyway.Account{ID: uniqueID("boot"), Name: fmt.Sprint("boot ", n), IsActive: true, CreatedAt: at(n), UpdatedAt: at(n)}
	k := &keyway.AccessKey{Key: keyway.AccessKeySecret(keycrypt.NewKey("live_access_")), Name: "boot", AccountID: a.ID, IsActive: true, CreatedAt: at(n), UpdatedAt: at(n)}
	return a, k
}

func TestBootstrapOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		a, k := bootstrapObjects(1)
		created, err := s.Bootstrap(ctx, a, k)
		check(t, err)
		if !created {
			t.Fatal("empty store not bootstrapped")
		}
		got, err := s.AccessKey(ctx, k.Key.Reveal())
		check(t, err)
		mustEqual(t, "access key", got.AccountID, a.ID)

		a2, k2 := bootstrapObjects(2)
		created, err = s.Bootstrap(ctx, a2, k2)
		check(t, err)
		if created {
			t.Fatal("bootstrapped twice")
		}
		_, err = s.Account(ctx, a2.ID)
		mustIs(t, err, keyway.ErrAccountNotFound)
		_, err = s.AccessKey(ctx, k2.Key.Reveal())
		mustIs(t, err, keyway.ErrAccessKeyNotFound)
	})
}

func TestBootstrapSkipsStoreWithAccounts(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *sqlstore.Store) {
		newAccount(t, s)
		a, k := bootstrapObjects(1)
		created, err := s.Bootstrap(ctx, a, k)
		check(t, err)
		if created {
			t.Fatal("a store with accounts was bootstrapped")
		}
		_, err = s.Account(ctx, a.ID)
		mustIs(t, err, keyway.ErrAccountNotFound)
	})
}

// Nodes starting together on one empty database bootstrap exactly once.
func TestBootstrapConcurrent(t *testing.T) {
	forEachURL(t, func(t *testing.T, dbURL string) {
		const nodes = 4
		stores := make([]*sqlstore.Store, nodes)
		for i := range stores {
			stores[i] = openStore(t, dbURL)
		}
		var wg sync.WaitGroup
		results := make([]bool, nodes)
		errs := make([]error, nodes)
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, k := bootstrapObjects(i)
				results[i], errs[i] = s.Bootstrap(ctx, a, k)
			}()
		}
		wg.Wait()
		n := 0
		for i := range results {
			check(t, errs[i])
			if results[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d of %d nodes bootstrapped, want 1", n, nodes)
		}
	})
}
