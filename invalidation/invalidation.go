// Package invalidation carries cache invalidations between Keyway nodes.
// A write invalidates the local caches at once and then publishes the
// change on a Bus (Redis pub/sub, or PostgreSQL LISTEN/NOTIFY); every other
// node drops the same entries when the message arrives. Keys travel as
// digests, never in plaintext: SHA-256 of account and key (the cache's
// key) and SHA-256 of the key alone (the store's, which the key filter
// holds).
package invalidation

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/backoff"
	"github.com/keywayhq/keyway/keycrypt"
)

// Bus is a broadcast channel between nodes. Delivery is at most once while
// connected; Run reports connection state so a node that may have missed
// messages can protect itself.
type Bus interface {
	Publish(ctx context.Context, msg string) error
	// Run receives until ctx ends, reconnecting as needed. up(false) is
	// called when messages may be missed from then on, up(true) once
	// receiving again.
	Run(ctx context.Context, deliver func(msg string), up func(bool))
}

// Local is the node's own cache: the verifier.
type Local interface {
	keyway.Invalidator
	ForgetDigests(digests ...keycrypt.Hash)
	KnowDigests(lookups ...keycrypt.Hash)
	ForgetAccessKeys()
	ForgetProject(id string)
	ForgetAll()
	// LostInvalidations is told when a message could not be read: the
	// keys it named are unknown, so every cached answer and the key
	// filter go.
	LostInvalidations()
	SetDegraded(down bool)
}

// Broadcaster is the keyway.Invalidator of a node in a cluster.
type Broadcaster struct {
	local Local
	bus   Bus
	node  string
	log   *slog.Logger

	// PublishFailures counts publishes that failed (each is resent).
	PublishFailures atomic.Uint64

	syncs  syncer
	unsent unsent
}

// unsent holds the messages whose publish failed, for Run to send again:
// until they reach the bus, other nodes keep serving what they named (a
// revoked key stays valid there), so waiting for the next cache refresh
// is not good enough. Invalidations only ever drop things, so resending
// them late or out of order is safe.
type unsent struct {
	mu   sync.Mutex
	msgs []string
	// lost: more failed than the queue holds; the others are then told
	// to drop everything instead.
	lost bool
	wake chan struct{}
}

// maxUnsent bounds the queue: past it one "drop everything" replaces it.
const maxUnsent = 10_000

var _ keyway.Invalidator = (*Broadcaster)(nil)

// New returns a Broadcaster for the node named node (unique per process).
func New(local Local, bus Bus, node string, log *slog.Logger) *Broadcaster {
	return &Broadcaster{local: local, bus: bus, node: node, log: log, unsent: unsent{wake: make(chan struct{}, 1)}}
}

// publishTimeout bounds how long a write waits to tell the others; past it
// the write still succeeds and the others rely on their bounded TTL.
const publishTimeout = 500 * time.Millisecond

// Messages: "<node>|k|<hex digest>:<hex digest>,…" for changed keys (each
// pair the key's keycrypt.AccountKeyHash, the verifier cache's key, and its
// keycrypt.HashKey, the store's lookup digest the key filter holds),
// "<node>|a" for a changed access key, "<node>|p|<project id>" for a
// deleted project, "<node>|s" for a scope change (an account),
// "<node>|l" when a node could not send all its messages (drop every
// cached answer) and "<node>|y|<n>" for a sync marker (Sync), which
// changes nothing.

func (b *Broadcaster) APIKeyChanged(accountID string, keys ...string) {
	b.local.APIKeyChanged(accountID, keys...)
	var sb strings.Builder
	sb.WriteString(b.node)
	sb.WriteString("|k|")
	for i, k := range keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		h, l := keycrypt.AccountKeyHash(accountID, k), keycrypt.HashKey(k)
		sb.WriteString(hex.EncodeToString(h[:]))
		sb.WriteByte(':')
		sb.WriteString(hex.EncodeToString(l[:]))
	}
	b.publish(sb.String())
}

func (b *Broadcaster) AccessKeyChanged() {
	b.local.AccessKeyChanged()
	b.publish(b.node + "|a")
}

func (b *Broadcaster) ProjectChanged(id string) {
	b.local.ProjectChanged(id)
	b.publish(b.node + "|p|" + id)
}

func (b *Broadcaster) ScopeChanged() {
	b.local.ScopeChanged()
	b.publish(b.node + "|s")
}

func (b *Broadcaster) publish(msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	if err := b.bus.Publish(ctx, msg); err != nil {
		b.PublishFailures.Add(1)
		b.log.Error("could not publish a cache invalidation; other nodes serve the old answer until it is resent", "error", err.Error())
		b.keep(msg)
	}
}

// keep queues msg for resend.
func (b *Broadcaster) keep(msgs ...string) {
	u := &b.unsent
	u.mu.Lock()
	if len(u.msgs)+len(msgs) > maxUnsent {
		u.msgs, u.lost = nil, true
	} else if !u.lost {
		u.msgs = append(u.msgs, msgs...)
	}
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// take empties the queue: the messages to resend, or the one that tells
// the others to drop everything when some were lost.
func (b *Broadcaster) take() []string {
	u := &b.unsent
	u.mu.Lock()
	defer u.mu.Unlock()
	msgs := u.msgs
	if u.lost {
		msgs = []string{b.node + "|l"}
	}
	u.msgs, u.lost = nil, false
	return msgs
}

// Backoff is how long a bus waits before it connects again (Repeat over
// its sessions) and how long resends pause while the bus refuses them:
// short at first, since a node that misses invalidations serves stale
// answers, and capped low for the same reason.
var Backoff = backoff.Policy{Base: 100 * time.Millisecond, Max: 5 * time.Second}

// resend sends the queued messages again until ctx ends, pausing longer
// each time the bus still refuses them.
func (b *Broadcaster) resend(ctx context.Context) {
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.unsent.wake:
		}
		msgs := b.take()
		sent := 0
		for _, m := range msgs {
			pctx, cancel := context.WithTimeout(ctx, publishTimeout)
			err := b.bus.Publish(pctx, m)
			cancel()
			if err != nil {
				break
			}
			sent++
		}
		if sent == len(msgs) {
			if sent > 0 {
				b.log.Info("resent cache invalidations", "messages", sent)
			}
			failures = 0
			continue
		}
		b.keep(msgs[sent:]...)
		failures++
		if !backoff.Wait(ctx, Backoff.Delay(failures)) {
			return
		}
	}
}

// Run applies other nodes' invalidations until ctx ends. The node counts as
// degraded until its first subscription is confirmed.
func (b *Broadcaster) Run(ctx context.Context) {
	b.local.SetDegraded(true)
	go b.resend(ctx)
	b.bus.Run(ctx, b.deliver, func(up bool) {
		if up {
			b.log.Info("invalidation channel up")
		} else {
			b.log.Warn("invalidation channel down; cache entries now live at most the degraded TTL")
		}
		b.local.SetDegraded(!up)
	})
}

func (b *Broadcaster) deliver(msg string) {
	node, rest, ok := strings.Cut(msg, "|")
	if !ok {
		b.log.Warn("ignoring a malformed invalidation message")
		return
	}
	if node == b.node {
		if id, ok := strings.CutPrefix(rest, "y|"); ok {
			b.syncs.echoed(id)
		}
		return // applied locally before it was sent
	}
	switch {
	case rest == "s":
		b.local.ForgetAll()
	case rest == "l":
		b.local.LostInvalidations()
	case rest == "a":
		b.local.ForgetAccessKeys()
	case strings.HasPrefix(rest, "p|") && len(rest) > 2:
		b.local.ForgetProject(rest[2:])
	case strings.HasPrefix(rest, "y|"):
		// Another node's sync marker: nothing changed.
	case strings.HasPrefix(rest, "k|"):
		var digests, lookups []keycrypt.Hash
		for _, pair := range strings.Split(rest[2:], ",") {
			hx, lx, _ := strings.Cut(pair, ":")
			h, okH := decodeDigest(hx)
			l, okL := decodeDigest(lx)
			if !okH || !okL {
				// Unreadable: be safe rather than fast.
				b.local.LostInvalidations()
				return
			}
			digests, lookups = append(digests, h), append(lookups, l)
		}
		// The filter first: once the cached answer is gone, the next
		// verification of a new key must not be refused by it.
		b.local.KnowDigests(lookups...)
		b.local.ForgetDigests(digests...)
	default:
		// A newer node's message: be safe rather than fast.
		b.log.Warn("unknown invalidation message; dropping every cached answer")
		b.local.LostInvalidations()
	}
}

// Sync returns once every message published on the bus before the call,
// by any node, has been delivered here: it publishes a marker of its own
// and waits for it to come back. A bus delivers one channel's messages in
// the order it took them (Redis pub/sub; PostgreSQL NOTIFY, in commit
// order), so the marker comes back after everything published before it.
// The verifier calls it before it trusts its key filter's "no such key":
// a key another node has just created may not have reached it yet.
//
// Calls share markers: one marker is in flight at a time, and it answers
// every call made before it was published, so a flood of unknown keys
// costs one marker per round trip, not one per key.
func (b *Broadcaster) Sync(ctx context.Context) error {
	r := b.syncs.join(b)
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// syncTimeout bounds how long a marker is waited for before its callers
// are told it failed.
const syncTimeout = time.Second

type syncRound struct {
	id   string
	done chan struct{}
	err  error
}

type syncer struct {
	mu sync.Mutex
	// next is the round that callers join, published once the one in
	// flight is answered; running says a goroutine sends rounds.
	next    *syncRound
	flying  *syncRound
	running bool
	seq     uint64
}

func (s *syncer) join(b *Broadcaster) *syncRound {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.seq++
		s.next = &syncRound{id: strconv.FormatUint(s.seq, 36), done: make(chan struct{})}
	}
	r := s.next
	if !s.running {
		s.running = true
		go s.send(b)
	}
	return r
}

// send publishes the rounds one at a time until no caller waits.
func (s *syncer) send(b *Broadcaster) {
	for {
		s.mu.Lock()
		r := s.next
		s.next, s.flying = nil, r
		if r == nil {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
		err := b.bus.Publish(ctx, b.node+"|y|"+r.id)
		if err == nil {
			select {
			case <-r.done:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
		cancel()
		s.mu.Lock()
		if s.flying == r {
			s.flying = nil
			r.err = fmt.Errorf("sync marker: %w", err)
			close(r.done)
		}
		s.mu.Unlock()
	}
}

// echoed answers the round whose marker came back.
func (s *syncer) echoed(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.flying; r != nil && r.id == id {
		s.flying = nil
		close(r.done)
	}
}

func decodeDigest(hx string) (keycrypt.Hash, bool) {
	var h keycrypt.Hash
	n, err := hex.Decode(h[:], []byte(hx))
	return h, err == nil && n == len(h)
}
