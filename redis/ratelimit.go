package redis

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/keywayhq/keyway"
)

// window takes up to n hits of one fixed window at once: the window starts
// at its first hit and lasts the TTL; only allowed hits consume it. The
// window's end is stored with its count, so every node reports the same
// ratelimit-reset for it. The key and hash layout are those of the
// one-hit-per-call script this replaced, so nodes of both versions share
// windows during a rolling upgrade.
// ARGV: limit, TTL in ms, hits to take (0 peeks), the caller's clock in
// epoch ms. Returns {hits granted, count after, window end in epoch ms}.
var window = rueidis.NewLuaScript(`
local limit = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
if redis.call("PTTL", KEYS[1]) < 0 then
  local ends = tonumber(ARGV[4]) + ttl
  if want == 0 then return {0, 0, ends} end
  local n = math.min(want, limit)
  redis.call("HSET", KEYS[1], "n", n, "end", ends)
  redis.call("PEXPIRE", KEYS[1], ttl)
  return {n, n, ends}
end
local n = tonumber(redis.call("HGET", KEYS[1], "n"))
local ends = tonumber(redis.call("HGET", KEYS[1], "end"))
local k = math.max(math.min(want, limit - n), 0)
if k > 0 then n = redis.call("HINCRBY", KEYS[1], "n", k) end
return {k, n, ends}
`)

// callTimeout is the fail-fast budget of one script call: a verification
// waits on Redis only as long as a person would not notice, then the
// outage policy decides. The call answers many callers, so it runs under
// this deadline and not under any one caller's context.
const callTimeout = 500 * time.Millisecond

// errSlow replaces the call's own deadline error, which would otherwise
// read as the caller's context expiring (a client that went away) rather
// than as an outage.
var errSlow = fmt.Errorf("no answer within %v", callTimeout)

// RateLimiter is a keyway.RateLimiter shared by every node on one Redis.
//
// Hits on one bucket are coalesced: while a script call for the bucket is
// out, the hits that arrive are gathered and sent as one call when it
// returns, which takes as many as the window allows and hands them out in
// arrival order. Calls for different buckets are pipelined by the client.
// The limit stays exact across nodes (every take is one atomic script run)
// and a bucket never has more than one call out per node.
type RateLimiter struct {
	c *Client
	// fallback answers when Redis does not (fail open); nil refuses
	// instead (fail closed).
	fallback keyway.RateLimiter
	log      *slog.Logger

	// Errors counts hits Redis did not answer.
	Errors  atomic.Uint64
	lastLog atomic.Int64

	shards [shardCount]shard
}

const shardCount = 64

type shard struct {
	mu sync.Mutex
	// next holds the buckets with a call out, each with the batch
	// gathering the hits arrived since (nil until one does).
	next map[batchKey]*batch
}

// batchKey separates hits on one bucket under different limits, which a
// key update can cause for a moment: each kind gets its own script call.
type batchKey struct {
	bucket [32]byte
	lim    keyway.RateLimit
}

// batch is one script call and the hits it answers.
type batch struct {
	now     time.Time
	waiters []*waiter
	done    chan struct{}
	// Set before done is closed.
	granted, count int
	reset          time.Time
	err            error
}

type waiter struct {
	take bool
	// gone: the caller left before the call was sent, so it takes nothing.
	gone bool
	// rank among the batch's takes, set when the call is sent.
	rank int
}

var _ keyway.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter on c. With a fallback it fails open to
// it during a Redis outage (limits then hold per node); without, verifying
// a rate-limited key fails with 503 until Redis is back.
func NewRateLimiter(c *Client, fallback keyway.RateLimiter, log *slog.Logger) *RateLimiter {
	l := &RateLimiter{c: c, fallback: fallback, log: log}
	for i := range l.shards {
		l.shards[i].next = make(map[batchKey]*batch)
	}
	return l
}

// ErrUnavailable answers a rate-limited key's verification when Redis is
// down and the limiter fails closed.
var ErrUnavailable = keyway.Errorf(keyway.CodeUnavailable, "Rate limit store unavailable")

func (l *RateLimiter) Take(ctx context.Context, b [32]byte, lim keyway.RateLimit, now time.Time) (keyway.RateResult, error) {
	return l.hit(ctx, b, lim, now, true)
}

func (l *RateLimiter) Peek(ctx context.Context, b [32]byte, lim keyway.RateLimit, now time.Time) (keyway.RateResult, error) {
	return l.hit(ctx, b, lim, now, false)
}

// hit returns the context's error when the caller leaves first: a client
// that went away is not an outage, so it is neither counted nor logged.
func (l *RateLimiter) hit(ctx context.Context, bucket [32]byte, lim keyway.RateLimit, now time.Time, take bool) (keyway.RateResult, error) {
	if err := ctx.Err(); err != nil {
		return keyway.RateResult{}, err
	}
	k := batchKey{bucket, lim}
	w := &waiter{take: take}
	b := l.join(k, now, w)
	select {
	case <-b.done:
	case <-ctx.Done():
		l.leave(k, b, w)
		return keyway.RateResult{}, ctx.Err()
	}
	if b.err != nil {
		return l.outage(ctx, bucket, lim, now, take, b.err)
	}
	r := keyway.RateResult{Limit: lim.RateLimit, Consumed: b.count, Reset: b.reset}
	switch {
	case !take:
		r.Allowed = b.count < lim.RateLimit
	case w.rank < b.granted:
		r.Allowed = true
		r.Consumed = b.count - b.granted + w.rank + 1
	}
	return r, nil
}

func (l *RateLimiter) shard(k batchKey) *shard { return &l.shards[k.bucket[0]%shardCount] }

// join adds w to the bucket's next call, starting one at once when none is
// out.
func (l *RateLimiter) join(k batchKey, now time.Time, w *waiter) *batch {
	s := l.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	b, out := s.next[k]
	if !out {
		b = &batch{now: now, waiters: []*waiter{w}, done: make(chan struct{})}
		s.next[k] = nil
		go l.run(s, k, b)
		return b
	}
	if b == nil {
		b = &batch{now: now, done: make(chan struct{})}
		s.next[k] = b
	}
	b.waiters = append(b.waiters, w)
	return b
}

// leave withdraws w from a batch not sent yet. Once sent, its hit may be
// consumed already; the caller just does not get the answer.
func (l *RateLimiter) leave(k batchKey, b *batch, w *waiter) {
	s := l.shard(k)
	s.mu.Lock()
	if s.next[k] == b {
		w.gone = true
	}
	s.mu.Unlock()
}

// run sends b, then the batches gathered meanwhile, until the bucket has
// nothing waiting.
func (l *RateLimiter) run(s *shard, k batchKey, b *batch) {
	for ; b != nil; b = s.take(k) {
		l.call(k, b)
	}
}

// take removes the bucket's gathered batch, marking the call out, or
// forgets the bucket when nothing was gathered.
func (s *shard) take(k batchKey) *batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.next[k]
	if b == nil {
		delete(s.next, k)
	} else {
		s.next[k] = nil
	}
	return b
}

func (l *RateLimiter) call(k batchKey, b *batch) {
	defer close(b.done)
	live, takes := 0, 0
	for _, w := range b.waiters {
		if w.gone {
			continue
		}
		live++
		if w.take {
			w.rank = takes
			takes++
		}
	}
	if live == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ttl := int64(k.lim.RateLimitTTL) * 1000
	vals, err := window.Exec(ctx, l.c.rc, []string{"keyway:rl:" + hex.EncodeToString(k.bucket[:])}, []string{
		strconv.Itoa(k.lim.RateLimit), strconv.FormatInt(ttl, 10), strconv.Itoa(takes), strconv.FormatInt(b.now.UnixMilli(), 10),
	}).AsIntSlice()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		b.err = errSlow
	case err != nil:
		b.err = err
	case len(vals) != 3:
		b.err = fmt.Errorf("rate-limit script answered %d values", len(vals))
	default:
		b.granted, b.count, b.reset = int(vals[0]), int(vals[1]), time.UnixMilli(vals[2])
	}
}

func (l *RateLimiter) outage(ctx context.Context, bucket [32]byte, lim keyway.RateLimit, now time.Time, take bool, err error) (keyway.RateResult, error) {
	l.Errors.Add(1)
	l.logOutage(err)
	switch {
	case l.fallback == nil:
		return keyway.RateResult{}, &keyway.Error{Code: keyway.CodeUnavailable, Message: ErrUnavailable.Message, Err: err}
	case take:
		return l.fallback.Take(ctx, bucket, lim, now)
	default:
		return l.fallback.Peek(ctx, bucket, lim, now)
	}
}

// logOutage logs a Redis failure at most every ten seconds: during an
// outage every verification of a limited key fails the same way.
func (l *RateLimiter) logOutage(err error) {
	now := time.Now().UnixNano()
	last := l.lastLog.Load()
	if now-last < int64(10*time.Second) || !l.lastLog.CompareAndSwap(last, now) {
		return
	}
	policy := "failing closed: limited keys answer 503"
	if l.fallback != nil {
		policy = "failing open: limits now hold per node"
	}
	l.log.Error("redis rate limiter unavailable; "+policy, "error", err.Error(), "errors_so_far", l.Errors.Load())
}
