package app

import (
	"context"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/invalidation"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/pgnotify"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/redis"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/verify"
)

// cluster connects what nodes share besides the store: with Redis, the
// rate limits and the invalidation bus; on PostgreSQL without it, the bus
// over LISTEN/NOTIFY. The embedded database has one node and no bus.
func (a *App) cluster(ctx context.Context, dbURL string, embedded bool, checks *[]httpapi.Check) (keyway.RateLimiter, invalidation.Bus, error) {
	a.limiter = ratelimit.NewMemory()
	if a.cfg.RedisURL != "" {
		rc, err := redis.Open(ctx, a.cfg.RedisURL)
		if err != nil {
			return nil, nil, err
		}
		a.closers = append(a.closers, rc.Close)
		*checks = append(*checks, httpapi.Check{Name: "redis", Pinger: rc})
		var fallback keyway.RateLimiter
		if a.cfg.RedisOutage == "open" {
			fallback = a.limiter
		}
		rl := redis.NewRateLimiter(rc, fallback, a.log)
		a.metrics.RateLimitStoreErrors(rl.Errors.Load)
		return rl, redis.NewBus(rc, rc.Channel("invalidate"), a.log), nil
	}
	if embedded {
		return a.limiter, nil, nil
	}
	pb, err := pgnotify.Open(ctx, dbURL, a.log)
	if err != nil {
		return nil, nil, err
	}
	a.closers = append(a.closers, func() error { pb.Close(); return nil })
	return a.limiter, pb, nil
}

// startVerifier builds the verifier and starts its background work; it
// returns what the service tells of changes: the verifier itself, or with
// a bus the broadcaster that also tells the other nodes.
func (a *App) startVerifier(store *sqlstore.Store, limiter keyway.RateLimiter, bus invalidation.Bus, checks *[]httpapi.Check) keyway.Invalidator {
	cacheBytes, _ := a.cfg.cacheBytes() // checked at start
	a.verifier = verify.New(store, limiter, a.clock, store, verify.Config{
		MaxBytes: int64(cacheBytes), RefreshInterval: a.cfg.CacheRefresh,
		Flush: verify.FlushConfig{MaxPending: a.cfg.UsageMaxPending, OnFlush: a.metrics.UsageFlushes()},
	})
	a.closers = append(a.closers, func() error { a.verifier.Close(); return nil })
	*checks = append(*checks, httpapi.Check{Name: "usage", Degraded: a.verifier.FlushFailing})
	a.metrics.Verifier(a.verifier)
	var invalidator keyway.Invalidator = a.verifier
	if bus != nil {
		// Several nodes share the store: changes travel to the others.
		b := invalidation.New(a.verifier, bus, newNodeID(), a.log)
		a.metrics.PublishFailures(b.PublishFailures.Load)
		a.verifier.SetPeerSync(b.Sync)
		invalidator, a.broadcaster = b, b
		a.background(b.Run)
	}
	// The key filter is built in the background: until it is, unknown
	// keys are read from the store, so a node with many keys is ready at
	// once.
	a.background(func(ctx context.Context) { a.verifier.RunFilter(ctx, verify.FilterConfig{}, a.log) })
	return invalidator
}

// newNodeID names this process on the invalidation bus, so it can skip its
// own messages.
func newNodeID() string { return keycrypt.RandomString(12) }
