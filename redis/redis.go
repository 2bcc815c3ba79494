// Package redis shares state between Keyway nodes through Redis: the
// rate-limit windows (an atomic Lua script per hit) and the invalidation
// bus (pub/sub).
package redis

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/keywayhq/keyway"
)

// Client is a connection pool to one Redis server.
type Client struct {
	rdb *goredis.Client
	db  int
}

// Channel names a pub/sub channel of this deployment. Pub/sub ignores the
// database number, so the channel carries it: deployments on different
// databases of one server do not hear each other.
func (c *Client) Channel(name string) string { return fmt.Sprintf("keyway:%d:%s", c.db, name) }

// Open connects to a redis:// or rediss:// URL and checks it answers.
func Open(ctx context.Context, url string) (*Client, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	// Fail fast: a verification waits on Redis only as long as a person
	// would not notice, then the configured outage policy decides.
	opts.DialTimeout = 2 * time.Second
	opts.ReadTimeout = 500 * time.Millisecond
	opts.WriteTimeout = 500 * time.Millisecond
	opts.MaxRetries = 1
	c := &Client{rdb: goredis.NewClient(opts), db: opts.DB}
	if err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

func (c *Client) Close() error { return c.rdb.Close() }

// window is the fixed-window hit: the window starts at its first hit and
// lasts the TTL; only allowed hits consume it. The window's end is stored
// with its count, so every node reports the same ratelimit-reset for it.
// ARGV: limit, TTL in ms, "1" to consume, the caller's clock in epoch ms.
// Returns {allowed, consumed, window end in epoch ms}.
var window = goredis.NewScript(`
local limit = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local consume = ARGV[3] == "1"
if redis.call("PTTL", KEYS[1]) < 0 then
  local ends = tonumber(ARGV[4]) + ttl
  if not consume then return {1, 0, ends} end
  redis.call("HSET", KEYS[1], "n", 1, "end", ends)
  redis.call("PEXPIRE", KEYS[1], ttl)
  return {1, 1, ends}
end
local n = tonumber(redis.call("HGET", KEYS[1], "n"))
local ends = tonumber(redis.call("HGET", KEYS[1], "end"))
if n < limit then
  if consume then n = redis.call("HINCRBY", KEYS[1], "n", 1) end
  return {1, n, ends}
end
return {0, n, ends}
`)

// RateLimiter is a keyway.RateLimiter shared by every node on one Redis.
type RateLimiter struct {
	c *Client
	// fallback answers when Redis does not (fail open); nil refuses
	// instead (fail closed).
	fallback keyway.RateLimiter
	log      *slog.Logger

	// Errors counts hits Redis did not answer.
	Errors  atomic.Uint64
	lastLog atomic.Int64
}

var _ keyway.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter on c. With a fallback it fails open to
// it during a Redis outage (limits then hold per node); without, verifying
// a rate-limited key fails with 503 until Redis is back.
func NewRateLimiter(c *Client, fallback keyway.RateLimiter, log *slog.Logger) *RateLimiter {
	return &RateLimiter{c: c, fallback: fallback, log: log}
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

func (l *RateLimiter) hit(ctx context.Context, b [32]byte, lim keyway.RateLimit, now time.Time, consume bool) (keyway.RateResult, error) {
	flag := "0"
	if consume {
		flag = "1"
	}
	ttl := int64(lim.RateLimitTTL) * 1000
	vals, err := window.Run(ctx, l.c.rdb, []string{"keyway:rl:" + hex.EncodeToString(b[:])}, lim.RateLimit, ttl, flag, now.UnixMilli()).Int64Slice()
	if err == nil && len(vals) != 3 {
		err = fmt.Errorf("rate-limit script answered %d values", len(vals))
	}
	if err != nil {
		l.Errors.Add(1)
		l.logOutage(err)
		if l.fallback != nil {
			return l.fallback.Take(ctx, b, lim, now)
		}
		return keyway.RateResult{}, &keyway.Error{Code: keyway.CodeUnavailable, Message: ErrUnavailable.Message, Err: err}
	}
	return keyway.RateResult{
		Allowed:  vals[0] == 1,
		Limit:    lim.RateLimit,
		Consumed: int(vals[1]),
		Reset:    time.UnixMilli(vals[2]),
	}, nil
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

// Bus is an invalidation bus over Redis pub/sub.
type Bus struct {
	c       *Client
	channel string
	log     *slog.Logger
}

// NewBus returns a bus on one pub/sub channel.
func NewBus(c *Client, channel string, log *slog.Logger) *Bus {
	return &Bus{c: c, channel: channel, log: log}
}

func (b *Bus) Publish(ctx context.Context, msg string) error {
	return b.c.rdb.Publish(ctx, b.channel, msg).Err()
}

// heartbeat is how often the subscription is pinged; a connection silent
// for three heartbeats (no message, no pong) counts as lost.
const heartbeat = time.Second

// Run subscribes and delivers messages until ctx ends. Any receive error
// ends the subscription (reported as down) and a new one is made, rather
// than letting the client reconnect silently and hide a gap.
func (b *Bus) Run(ctx context.Context, deliver func(string), up func(bool)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		if b.subscribe(ctx, deliver, up) {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
			backoff = min(backoff*2, 5*time.Second)
		}
	}
}

// subscribe runs one subscription; it reports whether it got confirmed.
//
// The client's reads do not end when ctx does (nor reliably at a read
// timeout), so a watchdog goroutine owns the lifetime: it pings every
// heartbeat and closes the subscription when ctx ends or the connection
// has gone quiet, which unblocks the read with an error.
func (b *Bus) subscribe(ctx context.Context, deliver func(string), up func(bool)) bool {
	ps := b.c.rdb.Subscribe(ctx, b.channel)
	var lastSeen atomic.Int64
	lastSeen.Store(time.Now().UnixNano())
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer ps.Close()
		t := time.NewTicker(heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-done:
				return
			case <-t.C:
				if time.Since(time.Unix(0, lastSeen.Load())) > 3*heartbeat {
					b.log.Warn("redis subscription lost: no message or pong for three heartbeats")
					return
				}
				// A failed write surfaces as a read error below.
				_ = ps.Ping(ctx)
			}
		}
	}()
	confirmed := false
	for {
		msg, err := ps.Receive(ctx)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("redis subscription ended", "error", err.Error())
			}
			if confirmed {
				up(false)
			}
			return confirmed
		}
		lastSeen.Store(time.Now().UnixNano())
		switch m := msg.(type) {
		case *goredis.Subscription:
			if !confirmed && m.Kind == "subscribe" {
				confirmed = true
				up(true)
			}
		case *goredis.Message:
			deliver(m.Payload)
		}
	}
}
