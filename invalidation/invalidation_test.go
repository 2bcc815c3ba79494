package invalidation_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway/invalidation"
	"github.com/keywayhq/keyway/keycrypt"
)

// local records what a node's cache was told.
type local struct {
	mu      sync.Mutex
	calls   []string
	digests []keycrypt.Hash
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
func (l *local) ForgetAll() { l.add("all") }
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
	deadline := time.Now().Add(2 * time.Second)
	for !slices.Equal(l.snapshot(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("calls %v, want %v", l.snapshot(), want)
		}
		time.Sleep(time.Millisecond)
	}
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
	waitCalls(t, &lb, []string{"down", "up", "digests"})
	// Keys travel as their digest within their account: the verifier's
	// cache key on every node.
	if want := []keycrypt.Hash{keycrypt.AccountKeyHash("acc-1", "live_old"), keycrypt.AccountKeyHash("acc-1", "live_new")}; !slices.Equal(lb.digests, want) {
		t.Fatalf("digests %x, want %x", lb.digests, want)
	}

	b.ScopeChanged()
	waitCalls(t, &lb, []string{"down", "up", "digests", "scope"})
	waitCalls(t, &la, []string{"down", "up", "key acc-1 live_old", "key acc-1 live_new", "all"})

	// An access key or a project travels as such: the other node drops
	// only what depends on it.
	b.AccessKeyChanged()
	b.ProjectChanged("prj-1")
	waitCalls(t, &lb, []string{"down", "up", "digests", "scope", "access", "project prj-1"})
	waitCalls(t, &la, []string{"down", "up", "key acc-1 live_old", "key acc-1 live_new", "all", "all access", "forget project prj-1"})
	seen := []string{"down", "up", "key acc-1 live_old", "key acc-1 live_new", "all", "all access", "forget project prj-1"}

	// A message that cannot be read, or of a kind this node does not know
	// (a newer node's), flushes everything rather than risk a stale
	// answer; one without a node is ignored.
	bus.Publish(ctx, "node-x|k|nothex")
	bus.Publish(ctx, "node-x|zzz")
	bus.Publish(ctx, "no separator")
	seen = append(seen, "all", "all")
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
