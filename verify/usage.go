package verify

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway"
)

// usageCounters count one key's verification outcomes (or, with an empty
// keyID, an account's verifications of unknown keys) per minute since the
// last flush. The hot path loads the current minute and does atomic adds.
//
// Counters live in the key's cache entry, so a key costs nothing here
// until it is used. A key in use is registered with the buffer (the dirty
// list), and only registered counters are drained: a flush costs the keys
// used since the last one, not every key ever cached. A reloaded entry
// brings fresh counters; the old ones stay registered until drained.
type usageCounters struct {
	keyID string
	owner *owner
	cur   atomic.Pointer[minuteCounts]
	// lastSuccess is the latest successful verification, epoch ms: it is
	// what lastUsedAt and firstUsed (to a flush interval) come from.
	lastSuccess atomic.Int64

	mu sync.Mutex // guards the rotation of cur, retired and the flags below
	// retired are past minutes. A flush drains each twice before dropping
	// it, so an add that loaded the minute just before it retired usually
	// lands before it is dropped; a later one hands it back (handBack).
	// Behind a pointer, as most counters have none and every cached key
	// pays for the field.
	retired *[]retiredMinute
	// registered: on the buffer's dirty list. idleDrains counts drains
	// since the current minute ended; after two the counters leave the
	// list and drop the minute, and their next use registers them again.
	registered bool
	idleDrains uint8
	// reported is the last success handed to a flush (from the stored
	// lastUsedAt at load), epoch ms, and used whether the key's first use
	// is known recorded: a success is handed on only when it is the first
	// or moves lastUsedAt on by lastUseStep, so a key in constant use costs
	// its api_keys row one write a minute, and most flushed keys none.
	reported int64
	used     bool
}

// lastUseStep is how far a key's last use must move on before it is
// written again: lastUsedAt is exact to it.
const lastUseStep = 60_000 // ms

type retiredMinute struct {
	mc      *minuteCounts
	drained bool
}

// minuteCounts are one minute's outcomes of one key.
type minuteCounts struct {
	minute                      int64 // epoch ms of its start
	successful, failed, limited atomic.Int64
	// dropped is set, before its last drain, when the minute leaves the
	// counters: an add that loaded it earlier and lands later sees it and
	// hands the minute back (handBack), so no count is left behind.
	dropped atomic.Bool
}

// at returns the counts of now's minute. A verification whose clock read
// is a hair older than a minute another goroutine already started counts
// in the newer minute: attribution is exact to the minute, not beyond.
func (c *usageCounters) at(b *usageBuffer, now time.Time) *minuteCounts {
	ms := now.UnixMilli()
	m := ms - ms%60_000
	if mc := c.cur.Load(); mc != nil && mc.minute >= m {
		return mc
	}
	return c.rotate(b, m)
}

func (c *usageCounters) rotate(b *usageBuffer, m int64) *minuteCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	mc := c.cur.Load()
	if mc != nil && mc.minute >= m {
		return mc
	}
	if mc != nil {
		if c.retired == nil {
			c.retired = new([]retiredMinute)
		}
		*c.retired = append(*c.retired, retiredMinute{mc: mc})
	}
	n := &minuteCounts{minute: m}
	c.cur.Store(n)
	c.idleDrains = 0
	if !c.registered {
		c.registered = true
		b.register(c)
	}
	return n
}

func (c *usageCounters) success(b *usageBuffer, now time.Time) {
	mc := c.at(b, now)
	mc.successful.Add(1)
	c.handBack(b, mc)
	// Many successes share a millisecond: writing the time only when it
	// moves on keeps the cache line shared (a store on every success cost
	// a third of counting), and the loop keeps the latest time when
	// goroutines race.
	ms := now.UnixMilli()
	for {
		last := c.lastSuccess.Load()
		if last >= ms || c.lastSuccess.CompareAndSwap(last, ms) {
			return
		}
	}
}

func (c *usageCounters) fail(b *usageBuffer, now time.Time) {
	mc := c.at(b, now)
	mc.failed.Add(1)
	c.handBack(b, mc)
}

func (c *usageCounters) limit(b *usageBuffer, now time.Time) {
	mc := c.at(b, now)
	mc.limited.Add(1)
	c.handBack(b, mc)
}

// handBack is the end of every add. A minute is marked dropped before its
// last drain takes its counts, so an add that still sees it unmarked was
// taken by that drain; one that sees it marked may not have been, and
// puts the minute back on the retired list to be drained again (a count
// already taken is not taken twice: every drain swaps the counts out).
func (c *usageCounters) handBack(b *usageBuffer, mc *minuteCounts) {
	if !mc.dropped.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.retired == nil {
		c.retired = new([]retiredMinute)
	}
	*c.retired = append(*c.retired, retiredMinute{mc: mc})
	if !c.registered {
		c.registered = true
		b.register(c)
	}
}

// drain adds what every minute counted since the last drain to p, at
// flush time nowMs, and reports whether the counters stay registered.
func (c *usageCounters) drain(p *pending, nowMs int64) (keep bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var retired []retiredMinute
	if c.retired != nil {
		retired = *c.retired
	}
	kept := retired[:0]
	for _, r := range retired {
		if r.drained {
			// Its second drain: from here an add that lands in it hands
			// it back.
			r.mc.dropped.Store(true)
			c.take(r.mc, p)
			continue
		}
		c.take(r.mc, p)
		r.drained = true
		kept = append(kept, r)
	}
	clear(retired[len(kept):])
	if len(kept) == 0 {
		c.retired = nil
	} else {
		*c.retired = kept
	}
	// Once the current minute is over and drained twice more, the counters
	// leave the list and drop it; an add in a later minute rotates and
	// registers them again.
	mc := c.cur.Load()
	idle := c.retired == nil && (mc == nil || mc.minute+60_000 <= nowMs)
	if idle {
		c.idleDrains++
	}
	drop := idle && (mc == nil || c.idleDrains >= 2)
	if mc != nil {
		if drop {
			mc.dropped.Store(true)
		}
		c.take(mc, p)
	}
	if !drop {
		return true
	}
	c.cur.Store(nil)
	c.registered = false
	return false
}

func (c *usageCounters) take(mc *minuteCounts, p *pending) {
	u := keyway.Usage{KeyID: c.keyID, ProjectID: c.owner.projectID, AccountID: c.owner.accountID, At: keyway.TimeFromMillis(mc.minute),
		Successful: mc.successful.Swap(0), Failed: mc.failed.Swap(0), RateLimited: mc.limited.Swap(0)}
	if u.Successful == 0 && u.Failed == 0 && u.RateLimited == 0 {
		return
	}
	if last := c.lastSuccess.Load(); u.Successful > 0 && (!c.used || last-c.reported >= lastUseStep) {
		u.LastSuccess = keyway.TimeFromMillis(last)
		c.reported, c.used = last, true
	}
	p.add(u)
}

// usageBuffer keeps usage in memory so the hot path never writes to the
// database; the flusher hands it to the store in chunks (flush.go).
type usageBuffer struct {
	store keyway.UsageStore

	mu sync.Mutex
	// dirty are the counters used since their last drain.
	dirty []*usageCounters
	// unknown counts, per account, verifications of keys that do not exist
	// for the caller.
	unknown sync.Map // account id → *usageCounters

	flush flushState
}

func newUsageBuffer(store keyway.UsageStore, cfg FlushConfig) *usageBuffer {
	cfg.defaults()
	return &usageBuffer{store: store, flush: flushState{cfg: cfg, pending: newPending()}}
}

func (b *usageBuffer) register(c *usageCounters) {
	b.mu.Lock()
	b.dirty = append(b.dirty, c)
	b.mu.Unlock()
}

// unknownFor returns the counters of an account's unknown-key attempts.
func (b *usageBuffer) unknownFor(accountID string, o *owners) *usageCounters {
	if c, ok := b.unknown.Load(accountID); ok {
		return c.(*usageCounters)
	}
	c, _ := b.unknown.LoadOrStore(accountID, &usageCounters{owner: o.of(accountID, "")})
	return c.(*usageCounters)
}

// drainInto moves everything counted since the last drain into p.
func (b *usageBuffer) drainInto(p *pending, nowMs int64) {
	b.mu.Lock()
	taken := b.dirty
	b.dirty = nil
	b.mu.Unlock()
	kept := taken[:0]
	for _, c := range taken {
		if c.drain(p, nowMs) {
			kept = append(kept, c)
		}
	}
	clear(taken[len(kept):])
	if len(kept) > 0 {
		b.mu.Lock()
		if len(b.dirty) == 0 {
			b.dirty = kept
		} else {
			b.dirty = append(b.dirty, kept...)
		}
		b.mu.Unlock()
	}
}
