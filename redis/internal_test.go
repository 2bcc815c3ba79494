package redis

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/ratelimit"
)

// proxy forwards TCP connections to the test Redis. Frozen, it holds all
// traffic without closing anything: a server that stopped answering.
type proxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	hold   chan struct{} // non-nil while frozen
	conns  []net.Conn
	closed bool
}

// newProxy starts a proxy and returns it with the Redis URL through it.
func newProxy(t *testing.T) (*proxy, string) {
	t.Helper()
	raw := keywaytest.RedisURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "6379")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go p.accept()
	t.Cleanup(p.close)
	u.Host = ln.Addr().String()
	return p, u.String()
}

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			s.Close()
			return
		}
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.copy(s, c)
		go p.copy(c, s)
	}
}

func (p *proxy) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			hold := p.hold
			p.mu.Unlock()
			if hold != nil {
				<-hold
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				src.Close()
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hold == nil {
		p.hold = make(chan struct{})
	}
}

func (p *proxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hold != nil {
		close(p.hold)
		p.hold = nil
	}
}

// close refuses new connections and drops the open ones: Redis is gone.
func (p *proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.thaw()
}

func openURL(t *testing.T, u string) *Client {
	t.Helper()
	c, err := Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func openDirect(t *testing.T) *Client {
	t.Helper()
	u := keywaytest.RedisURL(t)
	return openURL(t, u)
}

func newBucket() [32]byte {
	var b [32]byte
	rand.Read(b[:])
	return b
}

// spy is a fallback limiter that counts its use.
type spy struct {
	*ratelimit.Memory
	calls atomic.Int32
}

func newSpy() *spy { return &spy{Memory: ratelimit.NewMemory()} }

func (s *spy) Take(ctx context.Context, b [32]byte, l keyway.RateLimit, now time.Time) (keyway.RateResult, error) {
	s.calls.Add(1)
	return s.Memory.Take(ctx, b, l, now)
}

func (s *spy) Peek(ctx context.Context, b [32]byte, l keyway.RateLimit, now time.Time) (keyway.RateResult, error) {
	s.calls.Add(1)
	return s.Memory.Peek(ctx, b, l, now)
}

// logBuffer collects what a logger writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var discard = slog.New(slog.DiscardHandler)

// gathered is how many hits wait for the bucket's next call.
func (l *RateLimiter) gathered(k batchKey) int {
	s := l.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.next[k]; b != nil {
		return len(b.waiters)
	}
	return 0
}

// idle reports whether no call is out.
func (l *RateLimiter) idle() bool {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n := len(s.next)
		s.mu.Unlock()
		if n > 0 {
			return false
		}
	}
	return true
}

// markOut stands in for a call already out for k, so hits gather.
func (l *RateLimiter) markOut(k batchKey) {
	s := l.shard(k)
	s.mu.Lock()
	s.next[k] = nil
	s.mu.Unlock()
}

// returnCall stands in for that call coming back: the gathered hits go.
func (l *RateLimiter) returnCall(k batchKey) {
	s := l.shard(k)
	go l.run(s, k, s.take(k))
}

// A caller whose context ends gets the context's error at once, whether
// before its call or during it: not an outage, so not counted, not
// logged, and the fallback is not asked.
func TestRateLimiterCallerGone(t *testing.T) {
	p, u := newProxy(t)
	fallback := newSpy()
	var logs logBuffer
	l := NewRateLimiter(openURL(t, u), fallback, slog.New(slog.NewTextHandler(&logs, nil)))
	lim := keyway.RateLimit{RateLimit: 10, RateLimitTTL: 60}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Take(ctx, newBucket(), lim, time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("take with a cancelled context: %v", err)
	}

	p.freeze()
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := l.Take(ctx, newBucket(), lim, time.Now()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("take past the caller's deadline: %v", err)
	}
	if d := time.Since(start); d >= callTimeout {
		t.Fatalf("the caller waited %v for a call it had left", d)
	}
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	if _, err := l.Peek(ctx, newBucket(), lim, time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("peek cancelled during the call: %v", err)
	}
	p.thaw()
	keywaytest.Eventually(t, "the abandoned calls to end", l.idle)
	if n := l.Errors.Load(); n != 0 {
		t.Fatalf("%d errors counted for callers that left", n)
	}
	if n := fallback.calls.Load(); n != 0 {
		t.Fatalf("fallback asked %d times for callers that left", n)
	}
	if s := logs.String(); s != "" {
		t.Fatalf("logged for callers that left: %s", s)
	}
}

// A hit whose caller leaves before its call is sent takes nothing.
func TestRateLimiterLeaverTakesNothing(t *testing.T) {
	l := NewRateLimiter(openDirect(t), nil, discard)
	k := batchKey{newBucket(), keyway.RateLimit{RateLimit: 1, RateLimitTTL: 60}}
	l.markOut(k)
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := l.Take(ctx, k.bucket, k.lim, time.Now())
		left <- err
	}()
	keywaytest.Eventually(t, "the first hit to wait", func() bool { return l.gathered(k) == 1 })
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("leaver got %v", err)
	}
	got := make(chan keyway.RateResult, 1)
	go func() {
		r, err := l.Take(context.Background(), k.bucket, k.lim, time.Now())
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	keywaytest.Eventually(t, "the second hit to wait", func() bool { return l.gathered(k) == 2 })
	l.returnCall(k)
	if r := <-got; !r.Allowed || r.Consumed != 1 {
		t.Fatalf("the hit after a leaver: %+v, want the window's only count", r)
	}
}

// A caller leaving while its batch's call is out does not cancel the call:
// the others get their answers, and the leaver's hit was taken.
func TestRateLimiterBatchOutlivesWaiter(t *testing.T) {
	p, u := newProxy(t)
	l := NewRateLimiter(openURL(t, u), nil, discard)
	k := batchKey{newBucket(), keyway.RateLimit{RateLimit: 5, RateLimitTTL: 60}}
	l.markOut(k)
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := l.Take(ctx, k.bucket, k.lim, time.Now())
		left <- err
	}()
	keywaytest.Eventually(t, "the first hit to wait", func() bool { return l.gathered(k) == 1 })
	got := make(chan keyway.RateResult, 1)
	go func() {
		r, err := l.Take(context.Background(), k.bucket, k.lim, time.Now())
		if err != nil {
			t.Error(err)
		}
		got <- r
	}()
	keywaytest.Eventually(t, "the second hit to wait", func() bool { return l.gathered(k) == 2 })
	p.freeze()
	l.returnCall(k)
	cancel()
	if err := <-left; !errors.Is(err, context.Canceled) {
		t.Fatalf("leaver got %v", err)
	}
	p.thaw()
	if r := <-got; !r.Allowed || r.Consumed != 2 {
		t.Fatalf("the hit that stayed: %+v, want count 2", r)
	}
	if r, err := l.Peek(context.Background(), k.bucket, k.lim, time.Now()); err != nil || r.Consumed != 2 {
		t.Fatalf("peek after: %+v, %v", r, err)
	}
	if n := l.Errors.Load(); n != 0 {
		t.Fatalf("%d errors counted", n)
	}
}

// A Redis that stops answering fails a hit within the call's budget,
// open to the fallback or closed with ErrUnavailable, and counts it. The
// closed error does not pass for a caller's expired context.
func TestRateLimiterHungRedis(t *testing.T) {
	p, u := newProxy(t)
	c := openURL(t, u)
	lim := keyway.RateLimit{RateLimit: 1, RateLimitTTL: 60}
	p.freeze()

	open := NewRateLimiter(c, ratelimit.NewMemory(), discard)
	start := time.Now()
	if r, err := open.Take(context.Background(), newBucket(), lim, time.Now()); err != nil || !r.Allowed {
		t.Fatalf("fail open: %+v, %v", r, err)
	}
	if d := time.Since(start); d > 2*callTimeout {
		t.Fatalf("hit took %v with Redis silent, budget %v", d, callTimeout)
	}
	if n := open.Errors.Load(); n != 1 {
		t.Fatalf("errors counted %d, want 1", n)
	}

	closed := NewRateLimiter(c, nil, discard)
	_, err := closed.Take(context.Background(), newBucket(), lim, time.Now())
	var e *keyway.Error
	if !errors.As(err, &e) || e.Code != keyway.CodeUnavailable {
		t.Fatalf("fail closed: %v, want CodeUnavailable", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an outage reads as the caller's deadline: %v", err)
	}
	if n := closed.Errors.Load(); n != 1 {
		t.Fatalf("errors counted %d, want 1", n)
	}
}

// A Redis whose connections drop and whose port refuses fails open or
// closed as configured; a peek during the outage consumes nothing from the
// fallback either.
func TestRateLimiterRedisGone(t *testing.T) {
	p, u := newProxy(t)
	c := openURL(t, u)
	p.close()
	ctx := context.Background()
	lim := keyway.RateLimit{RateLimit: 1, RateLimitTTL: 60}

	open := NewRateLimiter(c, ratelimit.NewMemory(), discard)
	b := newBucket()
	if r, err := open.Peek(ctx, b, lim, time.Now()); err != nil || !r.Allowed || r.Consumed != 0 {
		t.Fatalf("fail open, peek: %+v, %v", r, err)
	}
	if r, err := open.Take(ctx, b, lim, time.Now()); err != nil || !r.Allowed || r.Consumed != 1 {
		t.Fatalf("fail open, first hit: %+v, %v", r, err)
	}
	if r, err := open.Take(ctx, b, lim, time.Now()); err != nil || r.Allowed {
		t.Fatalf("fail open keeps the per-node limit: %+v, %v", r, err)
	}
	if n := open.Errors.Load(); n != 3 {
		t.Fatalf("errors counted %d, want 3", n)
	}

	closed := NewRateLimiter(c, nil, discard)
	_, err := closed.Take(ctx, newBucket(), lim, time.Now())
	var e *keyway.Error
	if !errors.As(err, &e) || e.Code != keyway.CodeUnavailable {
		t.Fatalf("fail closed: %v, want CodeUnavailable", err)
	}
}

// A subscription whose server goes silent, without closing anything, is
// reported down within a few heartbeats, and up again once Redis answers.
func TestBusReportsSilentConnection(t *testing.T) {
	p, u := newProxy(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	channel := "keyway:test:" + keycrypt.RandomString(10)
	bus := NewBus(openURL(t, u), channel, discard)
	pub := NewBus(openDirect(t), channel, discard)
	got := make(chan string, 10)
	state := make(chan bool, 10)
	go bus.Run(ctx, func(m string) { got <- m }, func(up bool) { state <- up })
	expect := func(want bool, within time.Duration) {
		t.Helper()
		select {
		case up := <-state:
			if up != want {
				t.Fatalf("state %v, want %v", up, want)
			}
		case <-time.After(within):
			t.Fatalf("no state change to %v within %v", want, within)
		}
	}
	expect(true, 5*time.Second)
	p.freeze()
	// One heartbeat without a reply, then three waiting for the ping's.
	expect(false, 4*heartbeat+2*time.Second)
	p.thaw()
	expect(true, 5*time.Second)
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
}
