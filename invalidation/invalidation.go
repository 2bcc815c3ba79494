// Package invalidation carries cache invalidations between Keyway nodes.
// A write invalidates the local caches at once and then publishes the
// change on a Bus (Redis pub/sub, or PostgreSQL LISTEN/NOTIFY); every other
// node drops the same entries when the message arrives. Keys travel as
// SHA-256 digests of account and key, never in plaintext.
package invalidation

import (
	"context"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway"
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
	ForgetAccessKeys()
	ForgetProject(id string)
	ForgetAll()
	SetDegraded(down bool)
}

// Broadcaster is the keyway.Invalidator of a node in a cluster.
type Broadcaster struct {
	local Local
	bus   Bus
	node  string
	log   *slog.Logger

	// PublishFailures counts changes other nodes may not have heard of.
	PublishFailures atomic.Uint64
}

var _ keyway.Invalidator = (*Broadcaster)(nil)

// New returns a Broadcaster for the node named node (unique per process).
func New(local Local, bus Bus, node string, log *slog.Logger) *Broadcaster {
	return &Broadcaster{local: local, bus: bus, node: node, log: log}
}

// publishTimeout bounds how long a write waits to tell the others; past it
// the write still succeeds and the others rely on their bounded TTL.
const publishTimeout = 500 * time.Millisecond

// Messages: "<node>|k|<hex digest>,<hex digest>…" for changed keys (each
// digest keycrypt.AccountKeyHash, the verifier cache's key),
// "<node>|a" for a changed access key, "<node>|p|<project id>" for a
// deleted project and "<node>|s" for a scope change (an account).

func (b *Broadcaster) APIKeyChanged(accountID string, keys ...string) {
	b.local.APIKeyChanged(accountID, keys...)
	var sb strings.Builder
	sb.WriteString(b.node)
	sb.WriteString("|k|")
	for i, k := range keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		h := keycrypt.AccountKeyHash(accountID, k)
		sb.WriteString(hex.EncodeToString(h[:]))
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
		b.log.Error("could not publish a cache invalidation; other nodes will serve the old answer until their cache entries expire", "error", err.Error())
	}
}

// Run applies other nodes' invalidations until ctx ends. The node counts as
// degraded until its first subscription is confirmed.
func (b *Broadcaster) Run(ctx context.Context) {
	b.local.SetDegraded(true)
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
		return // applied locally before it was sent
	}
	switch {
	case rest == "s":
		b.local.ForgetAll()
	case rest == "a":
		b.local.ForgetAccessKeys()
	case strings.HasPrefix(rest, "p|") && len(rest) > 2:
		b.local.ForgetProject(rest[2:])
	case strings.HasPrefix(rest, "k|"):
		var digests []keycrypt.Hash
		for _, hx := range strings.Split(rest[2:], ",") {
			var h keycrypt.Hash
			if n, err := hex.Decode(h[:], []byte(hx)); err != nil || n != len(h) {
				// Unreadable: be safe rather than fast.
				b.local.ForgetAll()
				return
			}
			digests = append(digests, h)
		}
		b.local.ForgetDigests(digests...)
	default:
		// A newer node's message: be safe rather than fast.
		b.log.Warn("unknown invalidation message; dropping every cached answer")
		b.local.ForgetAll()
	}
}
