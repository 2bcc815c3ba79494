package redis_test

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/redis"
)

var log = slog.New(slog.DiscardHandler)

func open(t testing.TB) *redis.Client {
	t.Helper()
	url := keywaytest.RedisURL(t)
	c, err := redis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// bucket is random, so tests sharing a Redis never share a window.
func bucket() [32]byte {
	var b [32]byte
	rand.Read(b[:])
	return b
}

func TestRateLimiterFixedWindow(t *testing.T) {
	l := redis.NewRateLimiter(open(t), nil, log)
	ctx := context.Background()
	b := bucket()
	lim := keyway.RateLimit{RateLimit: 3, RateLimitTTL: 60}
	now := time.Now()

	if r, err := l.Peek(ctx, b, lim, now); err != nil || !r.Allowed || r.Consumed != 0 {
		t.Fatalf("peek before any hit: %+v, %v", r, err)
	}
	for i := 1; i <= 3; i++ {
		// Later hits, by a clock that moved on, keep the first hit's window.
		r, err := l.Take(ctx, b, lim, now.Add(time.Duration(i-1)*time.Second))
		if err != nil || !r.Allowed || r.Consumed != i || r.Remaining() != 3-i {
			t.Fatalf("take %d: %+v, %v", i, r, err)
		}
		// Every hit reports the same end: 60 s after the first one.
		if want := time.UnixMilli(now.UnixMilli()).Add(60 * time.Second); !r.Reset.Equal(want) {
			t.Fatalf("take %d: window ends %v, want %v", i, r.Reset, want)
		}
	}
	r, err := l.Take(ctx, b, lim, now)
	if err != nil || r.Allowed || r.Consumed != 3 {
		t.Fatalf("take over the limit: %+v, %v", r, err)
	}
	if r, _ := l.Peek(ctx, b, lim, now); r.Allowed || r.Consumed != 3 {
		t.Fatalf("peek over the limit: %+v", r)
	}
}

func TestRateLimiterWindowEnds(t *testing.T) {
	l := redis.NewRateLimiter(open(t), nil, log)
	ctx := context.Background()
	b := bucket()
	lim := keyway.RateLimit{RateLimit: 1, RateLimitTTL: 1}
	if r, _ := l.Take(ctx, b, lim, time.Now()); !r.Allowed {
		t.Fatal("first hit refused")
	}
	if r, _ := l.Take(ctx, b, lim, time.Now()); r.Allowed {
		t.Fatal("second hit in the window allowed")
	}
	// Redis expires the window on its own clock: poll until it has.
	keywaytest.RedisTimePasses(t, 1100*time.Millisecond)
	var r keyway.RateResult
	keywaytest.Eventually(t, "the window to end", func() bool {
		var err error
		if r, err = l.Take(ctx, b, lim, time.Now()); err != nil {
			t.Fatal(err)
		}
		return r.Allowed
	})
	if r.Consumed != 1 {
		t.Fatalf("new window starts at %d", r.Consumed)
	}
}

// Hits from many goroutines (standing in for many nodes) never exceed the
// limit: the script is atomic.
func TestRateLimiterConcurrentExact(t *testing.T) {
	c := open(t)
	ctx := context.Background()
	b := bucket()
	lim := keyway.RateLimit{RateLimit: 25, RateLimitTTL: 60}
	limiters := []*redis.RateLimiter{redis.NewRateLimiter(c, nil, log), redis.NewRateLimiter(open(t), nil, log)}
	var mu sync.Mutex
	allowed := map[int]bool{}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := limiters[i%2].Take(ctx, b, lim, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			if r.Allowed {
				mu.Lock()
				if allowed[r.Consumed] {
					t.Errorf("count %d handed out twice", r.Consumed)
				}
				allowed[r.Consumed] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(allowed) != 25 {
		t.Fatalf("%d hits allowed, want exactly 25", len(allowed))
	}
}

// downClient is a client on a port where nothing listens.
func downClient(t *testing.T) *redis.Client {
	t.Helper()
	url := keywaytest.RedisURL(t)
	c, err := redis.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	// Connect first, then close: every later call fails like an outage.
	c.Close()
	return c
}

func TestRateLimiterOutage(t *testing.T) {
	ctx := context.Background()
	lim := keyway.RateLimit{RateLimit: 1, RateLimitTTL: 60}

	open := redis.NewRateLimiter(downClient(t), ratelimit.NewMemory(), log)
	b := bucket()
	if r, err := open.Take(ctx, b, lim, time.Now()); err != nil || !r.Allowed {
		t.Fatalf("fail open, first hit: %+v, %v", r, err)
	}
	if r, err := open.Take(ctx, b, lim, time.Now()); err != nil || r.Allowed {
		t.Fatalf("fail open keeps the per-node limit: %+v, %v", r, err)
	}
	if open.Errors.Load() != 2 {
		t.Fatalf("errors counted %d, want 2", open.Errors.Load())
	}

	closed := redis.NewRateLimiter(downClient(t), nil, log)
	_, err := closed.Take(ctx, bucket(), lim, time.Now())
	var e *keyway.Error
	if !errors.As(err, &e) || e.Code != keyway.CodeUnavailable {
		t.Fatalf("fail closed: %v, want CodeUnavailable", err)
	}
	if closed.Errors.Load() != 1 {
		t.Fatalf("errors counted %d, want 1", closed.Errors.Load())
	}
}

func TestBusDelivers(t *testing.T) {
	c := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	channel := "keyway:test:" + keycrypt.RandomString(10)
	a, b := redis.NewBus(c, channel, log), redis.NewBus(open(t), channel, log)
	got := make(chan string, 10)
	state := make(chan bool, 10)
	go b.Run(ctx, func(m string) { got <- m }, func(up bool) { state <- up })
	select {
	case up := <-state:
		if !up {
			t.Fatal("first state change is down")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscription never came up")
	}
	if err := a.Publish(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m != "hello" {
			t.Fatalf("got %q", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message never arrived")
	}
	// Idle past a few heartbeats: the subscription stays up.
	select {
	case up := <-state:
		t.Fatalf("state changed to %v while idle", up)
	case <-time.After(2500 * time.Millisecond):
	}
}

// busClient opens a client whose connections carry a unique name, so the
// test can find and kill exactly its own subscription.
func busClient(t *testing.T) (*redis.Client, string) {
	t.Helper()
	base := keywaytest.RealRedisURL(t)
	name := "keywaytest" + keycrypt.RandomString(8)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("client_name", name)
	u.RawQuery = q.Encode()
	c, err := redis.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, name
}

// killClients kills the server-side connections named name.
func killClients(t *testing.T, name string) int {
	t.Helper()
	opt, err := rueidis.ParseURL(os.Getenv(keywaytest.RedisEnv))
	if err != nil {
		t.Fatal(err)
	}
	opt.ForceSingleClient, opt.DisableCache = true, true
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	ctx := context.Background()
	list, err := rc.Do(ctx, rc.B().ClientList().Build()).ToString()
	if err != nil {
		t.Fatal(err)
	}
	// RESP3 answers a verbatim string, which rueidis keeps its "txt:" on.
	list = strings.TrimPrefix(list, "txt:")
	n := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
		if err := rc.Do(ctx, rc.B().Arbitrary("CLIENT", "KILL", "ID", id).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// A killed subscription is reported down, then up again once resubscribed,
// and messages flow again; cancelling the context ends Run promptly.
func TestBusReportsLossAndRecovers(t *testing.T) {
	c, name := busClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	channel := "keyway:test:" + keycrypt.RandomString(10)
	bus := redis.NewBus(c, channel, log)
	pub := redis.NewBus(open(t), channel, log)
	got := make(chan string, 10)
	state := make(chan bool, 10)
	ended := make(chan struct{})
	go func() { bus.Run(ctx, func(m string) { got <- m }, func(up bool) { state <- up }); close(ended) }()
	expect := func(want bool) {
		t.Helper()
		select {
		case up := <-state:
			if up != want {
				t.Fatalf("state %v, want %v", up, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no state change to %v", want)
		}
	}
	expect(true)
	if n := killClients(t, name); n == 0 {
		t.Fatal("found no connection to kill")
	}
	expect(false)
	expect(true)
	keywaytest.Eventually(t, "a delivery after resubscribing", func() bool {
		if err := pub.Publish(ctx, "after"); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-got:
			return m == "after"
		case <-time.After(50 * time.Millisecond):
			return false
		}
	})
	cancel()
	select {
	case <-ended:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not end within 2 s of cancellation")
	}
}

// Thousands of concurrent hits on one bucket share script calls, and the
// window still hands out each count exactly once, in 1..limit, refuses
// the rest, and gives everyone the same end.
func TestRateLimiterCoalescedExact(t *testing.T) {
	l := redis.NewRateLimiter(open(t), nil, log)
	ctx := context.Background()
	b := bucket()
	const hits, limit = 2000, 700
	lim := keyway.RateLimit{RateLimit: limit, RateLimitTTL: 60}
	now := time.Now()
	results := make([]keyway.RateResult, hits)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range hits {
		wg.Go(func() {
			<-start
			r, err := l.Take(ctx, b, lim, now)
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		})
	}
	close(start)
	wg.Wait()
	wantReset := time.UnixMilli(now.UnixMilli()).Add(60 * time.Second)
	seen := make([]bool, limit+1)
	allowed := 0
	for _, r := range results {
		if !r.Reset.Equal(wantReset) {
			t.Fatalf("window ends %v, want %v", r.Reset, wantReset)
		}
		if !r.Allowed {
			if r.Consumed != limit || r.Remaining() != 0 {
				t.Fatalf("refused hit reports %+v", r)
			}
			continue
		}
		if r.Consumed < 1 || r.Consumed > limit || seen[r.Consumed] {
			t.Fatalf("allowed hit reports count %d (seen before: %v)", r.Consumed, r.Consumed <= limit && r.Consumed >= 1 && seen[r.Consumed])
		}
		seen[r.Consumed] = true
		allowed++
	}
	if allowed != limit {
		t.Fatalf("%d hits allowed, want exactly %d", allowed, limit)
	}
	// Refused hits consumed nothing.
	if r, err := l.Peek(ctx, b, lim, now); err != nil || r.Allowed || r.Consumed != limit {
		t.Fatalf("peek after: %+v, %v", r, err)
	}
}

// Concurrent hits on many buckets, from two clients standing in for two
// nodes, stay exact per bucket.
func TestRateLimiterManyBucketsExact(t *testing.T) {
	limiters := []*redis.RateLimiter{redis.NewRateLimiter(open(t), nil, log), redis.NewRateLimiter(open(t), nil, log)}
	ctx := context.Background()
	const buckets, hitsPer, limit = 200, 25, 10
	lim := keyway.RateLimit{RateLimit: limit, RateLimitTTL: 60}
	ids := make([][32]byte, buckets)
	counts := make([][hitsPer]int, buckets)
	for i := range ids {
		ids[i] = bucket()
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range buckets {
		for j := range hitsPer {
			wg.Go(func() {
				<-start
				r, err := limiters[j%2].Take(ctx, ids[i], lim, time.Now())
				if err != nil {
					t.Error(err)
				}
				if r.Allowed {
					counts[i][j] = r.Consumed
				}
			})
		}
	}
	close(start)
	wg.Wait()
	for i, cs := range counts {
		seen := map[int]bool{}
		for _, c := range cs {
			if c == 0 {
				continue
			}
			if c > limit || seen[c] {
				t.Fatalf("bucket %d: count %d out of range or handed out twice", i, c)
			}
			seen[c] = true
		}
		if len(seen) != limit {
			t.Fatalf("bucket %d: %d hits allowed, want exactly %d", i, len(seen), limit)
		}
	}
}

// Peeks, however many and concurrent, neither consume nor open a window:
// the window starts at the first take.
func TestRateLimiterPeekConsumesNothing(t *testing.T) {
	l := redis.NewRateLimiter(open(t), nil, log)
	ctx := context.Background()
	b := bucket()
	lim := keyway.RateLimit{RateLimit: 5, RateLimitTTL: 60}
	t0 := time.Now()
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if r, err := l.Peek(ctx, b, lim, t0); err != nil || !r.Allowed || r.Consumed != 0 || r.Remaining() != 5 {
				t.Errorf("peek before any take: %+v, %v", r, err)
			}
		})
	}
	wg.Wait()
	t1 := t0.Add(5 * time.Second)
	r, err := l.Take(ctx, b, lim, t1)
	if want := time.UnixMilli(t1.UnixMilli()).Add(60 * time.Second); err != nil || !r.Allowed || r.Consumed != 1 || !r.Reset.Equal(want) {
		t.Fatalf("first take: %+v, %v; want count 1 and end %v", r, err, want)
	}
	// Takes and peeks mixed: only the takes count.
	for range 4 {
		wg.Go(func() {
			if r, err := l.Take(ctx, b, lim, t1); err != nil || !r.Allowed || r.Consumed < 2 || r.Consumed > 5 {
				t.Errorf("take: %+v, %v", r, err)
			}
		})
	}
	for range 50 {
		wg.Go(func() {
			if r, err := l.Peek(ctx, b, lim, t1); err != nil || r.Consumed < 1 || r.Consumed > 5 || r.Allowed != (r.Consumed < 5) {
				t.Errorf("peek: %+v, %v", r, err)
			}
		})
	}
	wg.Wait()
	if r, err := l.Peek(ctx, b, lim, t1); err != nil || r.Allowed || r.Consumed != 5 {
		t.Fatalf("peek after five takes: %+v, %v", r, err)
	}
}

// A URL that does not parse is named without its password.
func TestOpenBadURLHidesPassword(t *testing.T) {
	_, err := redis.Open(context.Background(), "redis://:s3cret@cache:port/0")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "redis url") {
		t.Fatalf("error %v", err)
	}
}
