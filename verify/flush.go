package verify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/backoff"
	"github.com/keywayhq/keyway/keycrypt"
)

// FlushConfig tunes how counted usage reaches the store. Zero values take
// the defaults.
type FlushConfig struct {
	// ChunkRows is how many rows (a key's counts in one minute) one chunk,
	// and so one transaction, holds at most.
	ChunkRows int
	// MaxPending bounds the rows kept in memory while the store fails.
	// Past it the oldest minutes are rolled up into hours, then hours into
	// days: counts are never dropped, they lose resolution.
	MaxPending int
	// ChunkTimeout bounds one chunk's transaction: long enough for a
	// database starved of CPU to finish one (about 0.5 s when it is not),
	// short enough to notice one that hangs.
	ChunkTimeout time.Duration
	// FailingAfter is how many flushes in a row must fail before
	// FlushFailing reports it (and /readyz says degraded).
	FailingAfter int
	// OnFlush, when set, is told of every flush that had something to do.
	OnFlush func(FlushReport)
}

// DefaultMaxPending is FlushConfig.MaxPending when not set: about a
// million key-minutes, a few hundred MiB at most.
const DefaultMaxPending = 1 << 20

func (c *FlushConfig) defaults() {
	c.ChunkRows = cmp.Or(c.ChunkRows, 5000)
	c.MaxPending = cmp.Or(c.MaxPending, DefaultMaxPending)
	c.ChunkTimeout = cmp.Or(c.ChunkTimeout, 30*time.Second)
	c.FailingAfter = cmp.Or(c.FailingAfter, 3)
}

// FlushReport describes one flush.
type FlushReport struct {
	Rows, Chunks int
	Duration     time.Duration
	Err          error
}

// FlushStats is a snapshot of the flusher's counters since start.
type FlushStats struct {
	Flushes, Failures uint64
	// Consecutive is how many flushes in a row have failed, 0 after a
	// success.
	Consecutive uint64
	// Pending is how many rows wait for the next flush.
	Pending int
	// RolledUp counts rows merged into coarser ones to bound memory.
	RolledUp uint64
	// Rows counts rows written.
	Rows uint64
}

type flushState struct {
	mu      sync.Mutex // one flush at a time
	cfg     FlushConfig
	pending *pending
	// inDoubt are chunks whose transaction may or may not have committed:
	// settled before anything else, then dropped or merged back.
	inDoubt []keyway.UsageChunk

	flushes, failures, consecutive, rolledUp, rows atomic.Uint64
	pendingLen                                     atomic.Int64
	// loggedRecovery is the failure count when recovery was last logged.
	loggedRecovery atomic.Uint64
}

// pending holds drained counts until a chunk of them is written, merged
// per key, bucket and resolution, so an outage costs memory per key and
// minute rather than per verification.
type pending struct {
	m map[usageKey]*keyway.Usage
}

type usageKey struct {
	accountID, keyID string
	at               int64
	level            keyway.UsageLevel
}

func newPending() *pending { return &pending{m: make(map[usageKey]*keyway.Usage)} }

func (p *pending) add(u keyway.Usage) {
	if u.Level == keyway.UsageByMinute {
		u.Level = ""
	}
	k := usageKey{accountID: u.AccountID, keyID: u.KeyID, at: u.At.Millis(), level: u.Level}
	have := p.m[k]
	if have == nil {
		p.m[k] = &u
		return
	}
	have.Successful += u.Successful
	have.Failed += u.Failed
	have.RateLimited += u.RateLimited
	if u.LastSuccess.After(have.LastSuccess.Time) {
		have.LastSuccess = u.LastSuccess
	}
}

// boundTo rolls up the oldest rows until at most limit remain or nothing
// is left to roll up (one row per key and day), and returns how many rows
// it merged away.
func (p *pending) boundTo(limit int) int {
	before := len(p.m)
	for len(p.m) > limit {
		if !p.rollOldest("", keyway.UsageByHour, time.Hour) && !p.rollOldest(keyway.UsageByHour, keyway.UsageByDay, 24*time.Hour) {
			break
		}
	}
	return before - len(p.m)
}

// rollOldest merges the rows at resolution from that fall in the oldest
// period of width into one row per key at resolution to.
func (p *pending) rollOldest(from, to keyway.UsageLevel, width time.Duration) bool {
	w := width.Milliseconds()
	oldest, found := int64(0), false
	for k := range p.m {
		if at := k.at - k.at%w; k.level == from && (!found || at < oldest) {
			oldest, found = at, true
		}
	}
	if !found {
		return false
	}
	for k, u := range p.m {
		if k.level == from && k.at-k.at%w == oldest {
			delete(p.m, k)
			r := *u
			r.At, r.Level = keyway.TimeFromMillis(oldest), to
			p.add(r)
		}
	}
	return true
}

// cut takes every pending row as chunks of at most size rows, each key's
// rows in one chunk (its first use is decided within the chunk), in key
// order.
func (p *pending) cut(size int, at keyway.Time) []keyway.UsageChunk {
	keys := slices.SortedFunc(maps.Keys(p.m), func(a, b usageKey) int {
		return cmp.Or(cmp.Compare(a.keyID, b.keyID), cmp.Compare(a.accountID, b.accountID), cmp.Compare(a.level, b.level), cmp.Compare(a.at, b.at))
	})
	var chunks []keyway.UsageChunk
	var rows []keyway.Usage
	for i, k := range keys {
		rows = append(rows, *p.m[k])
		last := i == len(keys)-1
		if last || (len(rows) >= size && keys[i+1].keyID != k.keyID) {
			chunks = append(chunks, keyway.UsageChunk{ID: "uc_" + keycrypt.RandomString(20), At: at, Rows: rows})
			rows = nil
		}
	}
	clear(p.m)
	return chunks
}

// Flush writes what was counted since the last flush, and whatever
// earlier flushes could not, in chunks. A chunk the store refuses goes
// back into the pending counts, merged with what comes after it, so it is
// neither lost nor counted twice; the chunks after it wait for the next
// flush. The server calls it on a timer (RunFlusher) and once more on
// shutdown.
func (v *Verifier) Flush(ctx context.Context) error {
	b := v.usage
	if b.store == nil {
		return nil
	}
	f := &b.flush
	f.mu.Lock()
	defer f.mu.Unlock()
	start, now := time.Now(), v.clock.Now()
	err := v.settleInDoubt(ctx)
	b.drainInto(f.pending, now.UnixMilli())
	if n := f.pending.boundTo(f.cfg.MaxPending); n > 0 {
		f.rolledUp.Add(uint64(n))
	}
	if err != nil {
		return f.finish(FlushReport{Rows: len(f.pending.m), Duration: time.Since(start), Err: err})
	}
	chunks := f.pending.cut(f.cfg.ChunkRows, keyway.NewTime(now))
	report := FlushReport{Chunks: len(chunks)}
	for i, c := range chunks {
		if err := v.writeChunk(ctx, c); err != nil {
			for _, rest := range chunks[i+1:] {
				for _, u := range rest.Rows {
					f.pending.add(u)
				}
			}
			report.Err = err
			break
		}
		report.Rows += len(c.Rows)
	}
	f.rows.Add(uint64(report.Rows))
	report.Duration = time.Since(start)
	return f.finish(report)
}

func (f *flushState) finish(r FlushReport) error {
	f.pendingLen.Store(int64(len(f.pending.m)))
	if r.Rows == 0 && r.Chunks == 0 && r.Err == nil {
		return nil // nothing to do: not a flush worth reporting
	}
	f.flushes.Add(1)
	if r.Err != nil {
		f.failures.Add(1)
		f.consecutive.Add(1)
	} else {
		f.consecutive.Store(0)
	}
	if f.cfg.OnFlush != nil {
		f.cfg.OnFlush(r)
	}
	return r.Err
}

// writeChunk records one chunk. When that fails, the chunk is settled:
// recorded after all (the answer to its commit was lost), or refused for
// good and merged back; when even that cannot be told, it is kept aside in
// doubt. Only a chunk that is recorded returns nil.
func (v *Verifier) writeChunk(ctx context.Context, c keyway.UsageChunk) error {
	f := &v.usage.flush
	cctx, cancel := context.WithTimeout(ctx, f.cfg.ChunkTimeout)
	err := v.usage.store.RecordUsage(cctx, c)
	cancel()
	if err == nil {
		return nil
	}
	recorded, serr := v.settle(ctx, c)
	switch {
	case serr != nil:
		f.inDoubt = append(f.inDoubt, c)
	case recorded:
		return nil
	default:
		for _, u := range c.Rows {
			f.pending.add(u)
		}
	}
	return fmt.Errorf("record usage: %w", err)
}

// settle asks the store whether c was recorded, on a context of its own:
// a flush cancelled by shutdown still settles what it began.
func (v *Verifier) settle(ctx context.Context, c keyway.UsageChunk) (bool, error) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.usage.flush.cfg.ChunkTimeout)
	defer cancel()
	return v.usage.store.SettleUsageChunk(sctx, c.ID, c.At)
}

func (v *Verifier) settleInDoubt(ctx context.Context) error {
	f := &v.usage.flush
	var errs []error
	kept := f.inDoubt[:0]
	for _, c := range f.inDoubt {
		recorded, err := v.settle(ctx, c)
		switch {
		case err != nil:
			kept = append(kept, c)
			errs = append(errs, fmt.Errorf("settle usage chunk: %w", err))
		case !recorded:
			for _, u := range c.Rows {
				f.pending.add(u)
			}
		}
	}
	clear(f.inDoubt[len(kept):])
	f.inDoubt = kept
	return errors.Join(errs...)
}

// FlushStats reports the flusher's counters.
func (v *Verifier) FlushStats() FlushStats {
	f := &v.usage.flush
	return FlushStats{Flushes: f.flushes.Load(), Failures: f.failures.Load(), Consecutive: f.consecutive.Load(),
		Pending: int(f.pendingLen.Load()), RolledUp: f.rolledUp.Load(), Rows: f.rows.Load()}
}

// FlushFailing describes a flusher that has failed FailingAfter times in
// a row, "" while it is healthy.
func (v *Verifier) FlushFailing() string {
	f := &v.usage.flush
	if n := f.consecutive.Load(); n >= uint64(f.cfg.FailingAfter) {
		return fmt.Sprintf("%d usage flushes in a row failed; %d rows wait in memory", n, f.pendingLen.Load())
	}
	return ""
}

// maxFlushBackoff bounds the wait between two failing flushes.
const maxFlushBackoff = 2 * time.Minute

// RunFlusher flushes every interval until ctx ends. After a failure it
// waits longer each time (doubling up to two minutes, jittered) so that a
// store in trouble is not hammered; each failed flush is logged once.
func (v *Verifier) RunFlusher(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTimer(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := v.Flush(ctx)
		st := v.FlushStats()
		next := every
		switch {
		case err != nil && ctx.Err() == nil:
			// Jittered around the bound, so nodes whose flushes failed
			// together spread out on both sides of it.
			p := backoff.Policy{Base: every, Max: max(maxFlushBackoff, every), Jitter: backoff.Jitter{Low: 0.8, High: 1.2}}
			next = p.Delay(int(min(st.Consecutive, math.MaxInt32)))
			log.Error("usage flush failed; the counts are kept and retried", "error", err.Error(),
				"consecutive_failures", st.Consecutive, "pending_rows", st.Pending, "retry_in", next.Round(time.Millisecond).String())
		case err == nil && st.Failures > 0 && st.Consecutive == 0 && v.usage.flush.recovered():
			log.Info("usage flush recovered", "rows", st.Rows)
		}
		t.Reset(next)
	}
}

// recovered reports, once, that a flush succeeded after failures.
func (f *flushState) recovered() bool {
	n := f.failures.Load()
	return f.loggedRecovery.Swap(n) != n
}

// finalFlushStall is how long a stopping node keeps retrying its flush
// without a single chunk written before it gives up. It has no overall
// deadline: a node stopped with a large backlog writes it all as long as
// the database takes it, and the HTTP drain's deadline does not cut it.
const finalFlushStall = 30 * time.Second

// finalFlushBackoff spaces the retries of a final flush: short, as the
// process waits on it to exit.
var finalFlushBackoff = backoff.Policy{Base: 100 * time.Millisecond, Max: 2 * time.Second}

// FinalFlush writes every count before the store closes, retrying a store
// that fails; counts are lost only when the store has taken nothing for
// finalFlushStall, and that is logged with how many. ctx's values are
// used, not its end.
func (v *Verifier) FinalFlush(ctx context.Context, log *slog.Logger) error {
	ctx = context.WithoutCancel(ctx)
	failures, progress, written := 0, time.Now(), v.FlushStats().Rows
	for {
		err := v.Flush(ctx)
		if err == nil {
			return nil
		}
		failures++
		st := v.FlushStats()
		if st.Rows > written {
			// A chunk got through: the store is slow, not gone.
			written, progress, failures = st.Rows, time.Now(), 1
		}
		if time.Since(progress) > finalFlushStall {
			log.Error("stopping with usage unwritten: the database took nothing for 30 s", "error", err.Error(), "pending_rows", st.Pending)
			return err
		}
		log.Error("final usage flush failed; retrying", "error", err.Error(), "pending_rows", st.Pending)
		backoff.Wait(ctx, finalFlushBackoff.Delay(failures))
	}
}
