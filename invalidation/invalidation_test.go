package invalidation_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway/invalidation"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// local records what a node's cache was told.
type local struct {
	mu      sync.Mutex
	calls   []string
	digests []keycrypt.Hash
	lookups []keycrypt.Hash
}

func (l *local) add(s string) { l.mu.Lock(); l.calls = append(l.calls, s); l.mu.Unlock() }
func (l *local) APIKeyChanged(accountID string, keys ...string) {
	for _, k := range keys {
		l.add("key " + accountID + " " + k)
	}
}
func (l *local) ScopeChanged()            { l.add("scope") }
func (l *local) AccessKeyChanged()        { l.add("access") }
func (l *local) ProjectChanged(id string) { l.add("project " + id) }
func (l *local) ForgetAccessKeys()        { l.add("all access") }
func (l *local) ForgetProject(id string)  { l.add("forget project " + id) }
func (l *local) ForgetDigests(d ...keycrypt.Hash) {
	l.mu.Lock()
	l.digests = append(l.digests, d...)
	l.mu.Unlock()
	l.add("digests")
}
func (l *local) KnowDigests(d ...keycrypt.Hash) {
	l.mu.Lock()
	l.lookups = append(l.lookups, d...)
	l.mu.Unlock()
	l.add("lookups")
}
func (l *local) ForgetAll()         { l.add("all") }
func (l *local) LostInvalidations() { l.add("lost") }
func (l *local) SetDegraded(down bool) {
	if down {
		l.add("down")
	} else {
		l.add("up")
	}
}

func (l *local) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

// hub is an in-process bus: every Run subscriber gets every message.
type hub struct {
	mu   sync.Mutex
	subs []func(string)
	fail error
}

func (h *hub) Publish(_ context.Context, msg string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail != nil {
		return h.fail
	}
	for _, s := range h.subs {
		s(msg)
	}
	return nil
}

func (h *hub) Run(ctx context.Context, deliver func(string), up func(bool)) {
	h.mu.Lock()
	h.subs = append(h.subs, deliver)
	h.mu.Unlock()
	up(true)
	<-ctx.Done()
	up(false)
}

func waitCalls(t *testing.T, l *local, want []string) {
	t.Helper()
	keywaytest.EventuallyShows(t, fmt.Sprintf("calls %v", want), func() (bool, string) {
		got := l.snapshot()
		return slices.Equal(got, want), fmt.Sprint(got)
	})
}

func TestBroadcast(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var bus hub
	log := slog.New(slog.DiscardHandler)
	var la, lb local
	a := invalidation.New(&la, &bus, "node-a", log)
	b := invalidation.New(&lb, &bus, "node-b", log)
	done := make(chan struct{}, 2)
	for _, n := range []*invalidation.Broadcaster{a, b} {
		go func() { n.Run(ctx); done <- struct{}{} }()
	}
	// Each node starts degraded and is restored once subscribed.
	waitCalls(t, &la, []string{"down", "up"})
	waitCalls(t, &lb, []string{"down", "up"})

	a.APIKeyChanged("acc-1", "live_old", "live_new")
	waitCalls(t, &la, []string{"down", "up", "key acc-1 live_old", "key acc-1 live_new"})
	waitCalls(t, &lb, []string{"down", "up", "lookups", "digests"})
	// Keys travel as their digest within their account: the verifier's
	// cache key on every node.
	if want := []keycrypt.Hash{keycrypt.AccountKeyHash("acc-1", "live_old"), keycrypt.AccountKeyHash("acc-1", "live_new")}; !slices.Equal(lb.digests, want) {
		t.Fatalf("digests %x, want %x", lb.digests, want)
	}
	// And as their store digest, which the key filter holds.
	if want := []keycrypt.Hash{keycrypt.HashKey("live_old"), keycrypt.HashKey("live_new")}; !slices.Equal(lb.lookups, want) {
		t.Fatalf("lookups %x, want %x", lb.lookups, want)
	}

	b.ScopeChanged()
	waitCalls(t, &lb, []string{"down", "up", "lookups", "digests", "scope"})
	waitCalls(t, &la, []string{"down", "up", "key acc-1 live_old", "key acc-1 live_new", "all"})

	// An access key or a project travels as such: the other node drops
	// only what depends on it.
	b.AccessKeyChanged()
	b.ProjectChanged("prj-1")
	waitCalls(t, &lb, []string{"down", "up", "lookups", "digests", "scope", "access", "project prj-1"})
	waitCalls(t, &la, []string{"down", "up", "key acc-1 live_old", "key acc-1 live_new", "all", "all access", "forget project prj-1"})
	seen := []string{"down", "up", "key acc-1 live_old", "key acc-1 live_new", "all", "all access", "forget project prj-1"}

	// A message that cannot be read, or of a kind this node does not know
	// (a newer node's), flushes everything (the key filter too) rather
	// than risk a stale answer; one without a node is ignored, and so is
	// another node's sync marker.
	bus.Publish(ctx, "node-x|k|nothex")
	bus.Publish(ctx, "node-x|k|"+strings.Repeat("ab", 32)) // no lookup digest
	bus.Publish(ctx, "node-x|zzz")
	bus.Publish(ctx, "no separator")
	bus.Publish(ctx, "node-x|y|1")
	seen = append(seen, "lost", "lost", "lost")
	waitCalls(t, &la, seen)

	// A failed publish still invalidates locally and is counted.
	bus.fail = errors.New("bus down")
	a.ScopeChanged()
	if a.PublishFailures.Load() != 1 {
		t.Fatalf("publish failures %d, want 1", a.PublishFailures.Load())
	}
	waitCalls(t, &la, append(seen, "scope"))

	cancel()
	<-done
	<-done
	if got := la.snapshot(); got[len(got)-1] != "down" {
		t.Fatalf("stopping did not report the channel down: %v", got)
	}
}

// slowHub delivers every message to every subscriber in publish order,
// each after a delay: a bus with latency.
type slowHub struct {
	mu        sync.Mutex
	subs      []chan string
	published []string
}

func (h *slowHub) Publish(_ context.Context, msg string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.published = append(h.published, msg)
	for _, s := range h.subs {
		s <- msg
	}
	return nil
}

func (h *slowHub) Run(ctx context.Context, deliver func(string), up func(bool)) {
	ch := make(chan string, 10_000)
	h.mu.Lock()
	h.subs = append(h.subs, ch)
	h.mu.Unlock()
	up(true)
	for {
		select {
		case <-ctx.Done():
			up(false)
			return
		case m := <-ch:
			time.Sleep(5 * time.Millisecond)
			deliver(m)
		}
	}
}

func (h *slowHub) markers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.published {
		if strings.Contains(m, "|y|") {
			n++
		}
	}
	return n
}

// Sync returns only once what other nodes published before it has been
// applied, and concurrent calls share markers.
func TestSync(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bus slowHub
	log := slog.New(slog.DiscardHandler)
	var la, lb local
	a := invalidation.New(&la, &bus, "node-a", log)
	b := invalidation.New(&lb, &bus, "node-b", log)
	for _, n := range []*invalidation.Broadcaster{a, b} {
		go n.Run(ctx)
	}
	waitCalls(t, &la, []string{"down", "up"})
	waitCalls(t, &lb, []string{"down", "up"})

	a.APIKeyChanged("acc-1", "live_new")
	// Not yet delivered to b (5 ms latency); Sync waits for it.
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := lb.snapshot(); !slices.Equal(got, []string{"down", "up", "lookups", "digests"}) {
		t.Fatalf("after Sync, b had applied %v", got)
	}

	// 200 calls at once: each waits for a marker published after it
	// began, and they share a few markers (one in flight at a time).
	before := bus.markers()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for range 200 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- b.Sync(ctx) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := bus.markers() - before; n < 1 || n > 10 {
		t.Fatalf("200 concurrent syncs published %d markers, want a few", n)
	}

	// The caller's deadline ends its wait.
	short, stop := context.WithTimeout(ctx, time.Millisecond)
	defer stop()
	if err := b.Sync(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("sync past its deadline: %v", err)
	}
}

// A marker that cannot be published fails the sync: the verifier then
// reads the store.
func TestSyncPublishFails(t *testing.T) {
	bus := &hub{fail: errors.New("bus down")}
	var la local
	a := invalidation.New(&la, bus, "node-a", slog.New(slog.DiscardHandler))
	if err := a.Sync(context.Background()); err == nil {
		t.Fatal("sync over a failing bus succeeded")
	}
}

func (h *hub) setFail(err error) { h.mu.Lock(); h.fail = err; h.mu.Unlock() }

// A change whose publish fails is resent until the bus takes it, so a key
// revoked during a blip is not served by the other nodes until their next
// refresh; more failures than the queue holds become one "drop
// everything".
func TestFailedPublishIsResent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bus hub
	log := slog.New(slog.DiscardHandler)
	var la, lb local
	a := invalidation.New(&la, &bus, "node-a", log)
	b := invalidation.New(&lb, &bus, "node-b", log)
	for _, n := range []*invalidation.Broadcaster{a, b} {
		go n.Run(ctx)
	}
	waitCalls(t, &lb, []string{"down", "up"})

	bus.setFail(errors.New("bus down"))
	a.APIKeyChanged("acc-1", "live_revoked")
	a.ProjectChanged("prj-1")
	if n := a.PublishFailures.Load(); n != 2 {
		t.Fatalf("publish failures %d, want 2", n)
	}
	if got := lb.snapshot(); len(got) != 2 {
		t.Fatalf("the other node heard %v while the bus refused", got)
	}
	bus.setFail(nil)
	waitCalls(t, &lb, []string{"down", "up", "lookups", "digests", "forget project prj-1"})
	if want := []keycrypt.Hash{keycrypt.AccountKeyHash("acc-1", "live_revoked")}; !slices.Equal(lb.digests, want) {
		t.Fatalf("digests %x, want %x", lb.digests, want)
	}

	// Past the queue's bound the other node drops everything instead.
	bus.setFail(errors.New("bus down"))
	for range 10_001 {
		a.AccessKeyChanged()
	}
	bus.setFail(nil)
	// (A batch the resender took out just before the bus came back may
	// still arrive as itself, before the "drop everything".)
	keywaytest.Eventually(t, "the other node to drop everything", func() bool {
		got := lb.snapshot()
		return got[len(got)-1] == "lost"
	})
}
