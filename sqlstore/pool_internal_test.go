package sqlstore

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// TestPoolSizes checks the pool limits each engine gets by default and with
// WithMaxConns, and that bursts of reads larger than the pool close no
// connection, for being surplus idle or for age, on either engine.
// (TestPostgresPoolReusesConnections checks the same from PostgreSQL's side.)
func TestPoolSizes(t *testing.T) {
	ctx := context.Background()
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	engines := []struct {
		name        string
		url         func(t *testing.T) string
		defaultSize int
	}{{"sqlite", func(t *testing.T) string { return keywaytest.SQLiteURL(t) }, max(4, runtime.GOMAXPROCS(0))}}
	if base := os.Getenv(keywaytest.PostgresEnv); base != "" {
		engines = append(engines, struct {
			name        string
			url         func(t *testing.T) string
			defaultSize int
		}{"postgres", func(t *testing.T) string { return keywaytest.PostgresURL(t, base) }, defaultPostgresConns})
	}
	for _, e := range engines {
		for _, tc := range []struct {
			name string
			opts []Option
			want int
		}{
			{"default", nil, e.defaultSize},
			{"zero is the default", []Option{WithMaxConns(0)}, e.defaultSize},
			{"three", []Option{WithMaxConns(3)}, 3},
		} {
			t.Run(e.name+"/"+tc.name, func(t *testing.T) {
				s, err := Open(ctx, e.url(t), sealer, tc.opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if got := s.r.Stats().MaxOpenConnections; got != tc.want {
					t.Fatalf("reader pool allows %d connections, want %d", got, tc.want)
				}
				if e.name == "sqlite" {
					if got := s.w.Stats().MaxOpenConnections; got != 1 {
						t.Fatalf("writer pool allows %d connections, want 1", got)
					}
				}
				for range 20 {
					var wg sync.WaitGroup
					errs := make(chan error, 4*tc.want)
					for range cap(errs) {
						wg.Go(func() {
							if _, err := s.APIKey(ctx, "acc-none", keycrypt.NewKey("live_")); !errors.Is(err, keyway.ErrAPIKeyNotFound) {
								errs <- err
							}
						})
					}
					wg.Wait()
					close(errs)
					for err := range errs {
						t.Fatal(err)
					}
				}
				st := s.r.Stats()
				if st.OpenConnections > tc.want {
					t.Fatalf("%d connections open, want at most %d", st.OpenConnections, tc.want)
				}
				if n := st.MaxIdleClosed + st.MaxIdleTimeClosed + st.MaxLifetimeClosed; n != 0 {
					t.Fatalf("the pool closed %d connections under load (%+v)", n, st)
				}
			})
		}
	}
}
