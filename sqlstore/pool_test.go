package sqlstore_test

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/sqlstore"
)

// TestPostgresPoolReusesConnections runs bursts of 64 concurrent reads
// against a store with an 8-connection pool and checks, in
// pg_stat_database.sessions, that PostgreSQL saw at most 8 backends for the
// store's whole life: the pool hands connections from one query to the next
// instead of closing and reopening them. (With the old settings, 10 idle and
// no cap on open connections, the same load opened about 9,000 backends and
// took 15 to 30 times as long.)
func TestPostgresPoolReusesConnections(t *testing.T) {
	base := os.Getenv(keywaytest.PostgresEnv)
	if base == "" {
		t.Skip(keywaytest.PostgresEnv + " is not set")
	}
	const (
		poolSize = 8
		workers  = 64
		rounds   = 200
	)

	// pg_stat_database counts per database and other tests share the base
	// one, so the store gets a database of its own. The measuring
	// connection stays on the base database: its sessions are counted
	// there, so it adds exactly nothing to the figure below.
	admin, err := sql.Open("pgx", base)
	check(t, err)
	t.Cleanup(func() { admin.Close() })
	name := "keyway_pool_" + strings.ToLower(keycrypt.RandomString(12))
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database: %v", err)
		}
	})
	u, err := url.Parse(base)
	check(t, err)
	u.Path = "/" + name

	sessions := func() int64 {
		t.Helper()
		var n int64
		check(t, admin.QueryRowContext(ctx, `SELECT sessions FROM pg_stat_database WHERE datname = $1`, name).Scan(&n))
		return n
	}
	before := sessions()

	s, err := sqlstore.Open(ctx, u.String(), testSealer, sqlstore.WithMaxConns(poolSize))
	check(t, err)
	closed := false
	t.Cleanup(func() {
		if !closed {
			s.Close()
		}
	})
	a := newAccount(t, s)
	p := newProject(t, s, a.ID, at(0))
	keys := make([]*keyway.APIKey, 100)
	for i := range keys {
		keys[i] = minimalAPIKey(p, at(i))
	}
	check(t, s.ImportAPIKeys(ctx, keys))

	// Bursts of concurrent lookups, as a verifier's cache misses come: every
	// round starts the workers together and waits for all of them, so each
	// round ends with all the pool's connections released at once, the
	// moment a pool that keeps fewer idle than it opens closes the surplus,
	// to open it again in the next round. Known and unknown keys alternate.
	for round := range rounds {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Go(func() {
				var err error
				if (round+w)%2 == 0 {
					_, err = s.APIKey(ctx, a.ID, keys[(round*workers+w)%len(keys)].Key.Reveal())
				} else if _, err = s.APIKey(ctx, a.ID, keycrypt.NewKey("live_")); errors.Is(err, keyway.ErrAPIKeyNotFound) {
					err = nil
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			check(t, err)
		}
	}

	// A backend adds itself to sessions in its pending statistics, which it
	// flushes at most once a second at the end of a transaction and in any
	// case as it exits, before it leaves pg_stat_activity. So once the store
	// is closed and none of its backends is left, every session it ever
	// opened is counted.
	check(t, s.Close())
	closed = true
	keywaytest.EventuallyShows(t, "no backend left connected to "+name+" after the store closed", func() (bool, string) {
		var left int
		check(t, admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = $1 AND backend_type = 'client backend'`, name).Scan(&left))
		return left == 0, fmt.Sprintf("%d backends", left)
	})

	opened := sessions() - before
	t.Logf("%d rounds of %d concurrent reads through a pool of %d: %d backends opened", rounds, workers, poolSize, opened)
	if opened == 0 {
		t.Fatal("pg_stat_database counted no session: the figure proves nothing (track_counts off?)")
	}
	if opened > poolSize {
		t.Fatalf("%d backends opened for a pool of %d: connections were closed and reopened", opened, poolSize)
	}
}
