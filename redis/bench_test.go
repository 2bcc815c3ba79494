package redis_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/redis"
)

// The limiter's share of a verification under load: 64 concurrent callers
// (bench/load.sh's wrk -c64) on one key, and spread over many keys.
// go test -run X -bench Take -cpuprofile cpu.out ./redis/ shows where it goes.

func BenchmarkTakeOneBucket(b *testing.B) {
	l := redis.NewRateLimiter(open(b), nil, log)
	lim := keyway.RateLimit{RateLimit: 1 << 30, RateLimitTTL: 3600}
	id := bucket()
	b.SetParallelism(max(64/runtime.GOMAXPROCS(0), 1))
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := l.Take(ctx, id, lim, time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkTakeManyBuckets(b *testing.B) {
	l := redis.NewRateLimiter(open(b), nil, log)
	lim := keyway.RateLimit{RateLimit: 1 << 30, RateLimitTTL: 3600}
	ids := make([][32]byte, 1024)
	for i := range ids {
		ids[i] = bucket()
	}
	var next atomic.Uint64
	b.SetParallelism(max(64/runtime.GOMAXPROCS(0), 1))
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := l.Take(ctx, ids[next.Add(1)%uint64(len(ids))], lim, time.Now()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
