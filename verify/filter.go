package verify

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway/backoff"
	"github.com/keywayhq/keyway/keycrypt"
)

// digestFilter is a membership filter of key digests: a blocked Bloom
// filter. has never answers false for a digest that was added; it answers
// true for an absent one with a small probability (well under 1% at its
// capacity), which then costs only the store read it would have cost
// without the filter.
//
// It is a few lines of its own rather than a library's because its input
// is a SHA-256 digest, already uniform: the bit positions are taken from
// the digest's bytes with no hashing, and adds are atomic, so invalidations
// add keys while verifications test them, without a lock. (Libraries'
// Bloom filters hash again and are not safe for concurrent adds; binary
// fuse and xor filters are immutable, so new keys would need a side set.)
type digestFilter struct {
	blocks [][blockWords]atomic.Uint64
	mask   uint64
	// capacity is how many digests keep the false-positive rate at its
	// design point; count how many were added (a digest added twice
	// counts twice: an estimate that errs towards rebuilding early).
	capacity int
	count    atomic.Int64
}

const (
	// A block is one cache line: a test touches one line.
	blockWords = 8
	blockBits  = blockWords * 64
	// bitsPerKey at capacity and the bits set per key: about 0.1% false
	// positives for a 512-bit blocked filter.
	bitsPerKey = 16
	bitsSet    = 8
	// minFilterKeys bounds how small a filter is made: 65,536 keys, 128 KiB.
	minFilterKeys = 1 << 16
)

// newDigestFilter makes a filter with room for twice n digests, so a
// growing store does not need a rebuild soon: 4 MiB for a million keys.
func newDigestFilter(n int) *digestFilter {
	capacity := max(2*n, minFilterKeys)
	nblocks := 1 << bits.Len(uint(capacity*bitsPerKey/blockBits-1))
	return &digestFilter{
		blocks:   make([][blockWords]atomic.Uint64, nblocks),
		mask:     uint64(nblocks - 1),
		capacity: nblocks * blockBits / bitsPerKey,
	}
}

// positions are the block and the bits of h: the block from its first 8
// bytes, each bit from 9 bits of the next 16 (two bytes per bit).
func (f *digestFilter) block(h *keycrypt.Hash) *[blockWords]atomic.Uint64 {
	return &f.blocks[binary.LittleEndian.Uint64(h[:8])&f.mask]
}

func bitOf(h *keycrypt.Hash, i int) uint16 {
	return binary.LittleEndian.Uint16(h[8+2*i:]) % blockBits
}

func (f *digestFilter) add(h keycrypt.Hash) {
	b := f.block(&h)
	for i := range bitsSet {
		p := bitOf(&h, i)
		b[p/64].Or(1 << (p % 64))
	}
	f.count.Add(1)
}

func (f *digestFilter) has(h keycrypt.Hash) bool {
	b := f.block(&h)
	for i := range bitsSet {
		p := bitOf(&h, i)
		if b[p/64].Load()&(1<<(p%64)) == 0 {
			return false
		}
	}
	return true
}

func (f *digestFilter) full() bool { return f.count.Load() > int64(f.capacity) }

// bytes is the filter's memory.
func (f *digestFilter) bytes() int { return len(f.blocks) * blockWords * 8 }

// keyFilter is the verifier's filter and its upkeep. The filter is only
// trusted when it holds every key in the store: it is built from the
// store, and every key created since is added by the invalidation that
// creating it causes, on this node (APIKeyChanged) or from another
// (ForgetDigests). Until it is built, after invalidations may have been
// missed, and when it cannot be sure another node's new key has reached
// it, the verifier reads the store as it would without a filter.
type keyFilter struct {
	mu sync.Mutex
	// cur is the trusted filter, nil when there is none.
	cur atomic.Pointer[digestFilter]
	// pending collects the digests added while a build runs, which the
	// build adds before it publishes its filter; nil when none runs.
	pending []keycrypt.Hash
	// epoch counts the events that make a filter untrustworthy (missed
	// invalidations); a build that saw one meanwhile is thrown away.
	epoch uint64
	// rebuild asks the builder for a new filter.
	rebuild chan struct{}

	builds, refusals atomic.Uint64
	lastBuild        atomic.Int64 // ns
}

// add puts digests in the filter, and in the one being built.
func (kf *keyFilter) add(hs ...keycrypt.Hash) {
	kf.mu.Lock()
	if kf.pending != nil {
		kf.pending = append(kf.pending, hs...)
	}
	f := kf.cur.Load()
	kf.mu.Unlock()
	if f == nil {
		return
	}
	for _, h := range hs {
		f.add(h)
	}
	if f.full() {
		kf.requestRebuild()
	}
}

// lost drops the filter: invalidations may have been missed, so it may
// lack keys. A build running meanwhile is thrown away too.
func (kf *keyFilter) lost() {
	kf.mu.Lock()
	kf.epoch++
	kf.cur.Store(nil)
	kf.mu.Unlock()
}

func (kf *keyFilter) requestRebuild() {
	select {
	case kf.rebuild <- struct{}{}:
	default:
	}
}

// digestPage is how many digests one store read brings: 32 bytes each.
const digestPage = 10_000

// maxPending bounds the digests collected during one build; a build that
// sees more keys created meanwhile gives up and starts over.
const maxPending = 1 << 20

// build reads every key digest from the store into a new filter and
// publishes it, unless invalidations may have been missed meanwhile.
func (v *Verifier) buildFilter(ctx context.Context) error {
	kf := &v.filter
	kf.mu.Lock()
	epoch := kf.epoch
	kf.pending = make([]keycrypt.Hash, 0, 64)
	kf.mu.Unlock()
	defer func() {
		kf.mu.Lock()
		kf.pending = nil
		kf.mu.Unlock()
	}()
	start := time.Now()
	// The digests are held until they are counted, so the filter is sized
	// once: 32 MB at a million keys, for the length of the build.
	var pages [][][32]byte
	var after []byte
	n := 0
	for {
		page, err := v.store.APIKeyDigests(ctx, after, digestPage)
		if err != nil {
			return fmt.Errorf("build key filter: %w", err)
		}
		if len(page) > 0 {
			pages = append(pages, page)
			n += len(page)
			after = page[len(page)-1][:]
		}
		if len(page) < digestPage {
			break
		}
	}
	f := newDigestFilter(n)
	for _, page := range pages {
		for _, h := range page {
			f.add(h)
		}
	}
	kf.mu.Lock()
	defer kf.mu.Unlock()
	if kf.epoch != epoch || len(kf.pending) > maxPending {
		return errFilterStale
	}
	for _, h := range kf.pending {
		f.add(h)
	}
	kf.cur.Store(f)
	kf.builds.Add(1)
	kf.lastBuild.Store(int64(time.Since(start)))
	return nil
}

var errFilterStale = fmt.Errorf("build key filter: invalidations may have been missed meanwhile")

// FilterConfig tunes the membership filter.
type FilterConfig struct {
	// Rebuild is how often the filter is built again from the store. It
	// bounds how long a key created on another node could be refused
	// should its invalidation be lost while the channel stays up (a failed
	// publish); 0 takes the default, 10 minutes.
	Rebuild time.Duration
}

// filterBackoff spaces the builds of a store that fails them.
var filterBackoff = backoff.Policy{Base: time.Second, Max: time.Minute}

// RunFilter builds the membership filter of key digests and keeps it
// built until ctx ends: again every Rebuild, after invalidations may have
// been missed, and when keys outgrow it. Until the first build is done,
// unknown keys are read from the store as without a filter. A failed
// build is retried with backoff.
func (v *Verifier) RunFilter(ctx context.Context, cfg FilterConfig, log *slog.Logger) {
	every := cfg.Rebuild
	if every <= 0 {
		every = 10 * time.Minute
	}
	failures := 0
	for {
		err := v.buildFilter(ctx)
		wait := every
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if err != errFilterStale {
				log.Warn("could not build the key filter; unknown keys are read from the store until it is", "error", err.Error())
				failures++
				wait = filterBackoff.Delay(failures)
			} else {
				wait = 0
			}
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-v.filter.rebuild:
		case <-t.C:
		}
		t.Stop()
	}
}

// filterRefuses reports whether the filter proves key h absent: it is
// built, lacks h, and every key created before now on another node has
// reached it (sync). Any doubt is a no: the caller reads the store.
func (v *Verifier) filterRefuses(ctx context.Context, h keycrypt.Hash) bool {
	f := v.filter.cur.Load()
	if f == nil || f.has(h) || v.degraded.Load() {
		return false
	}
	if sync := v.peerSync.Load(); sync != nil {
		ctx, cancel := context.WithTimeout(ctx, peerSyncTimeout)
		defer cancel()
		if (*sync)(ctx) != nil {
			return false
		}
		// The key may have been added while waiting: that is what the
		// wait was for. Or the filter dropped.
		if f = v.filter.cur.Load(); f == nil || f.has(h) || v.degraded.Load() {
			return false
		}
	}
	v.filter.refusals.Add(1)
	return true
}

// peerSyncTimeout bounds the wait for other nodes' invalidations; past it
// a store read is the quicker answer.
const peerSyncTimeout = 250 * time.Millisecond

// SetPeerSync tells the verifier it shares the store with other nodes and
// how to wait until every invalidation they published before the call has
// been applied here (invalidation.Broadcaster.Sync). Without it the node
// counts as alone: every key is created through its own invalidations.
func (v *Verifier) SetPeerSync(sync func(context.Context) error) {
	v.peerSync.Store(&sync)
}
