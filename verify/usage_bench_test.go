package verify

// Benchmarks of what usage counting costs the hot path.
//
// Counting cannot be switched off from outside: New with a nil UsageStore
// only skips the flush, and every cache entry still points at its key's
// counters, which Verify adds to. So "off" here is verifyUncounted below: a
// copy of (*Verifier).verify with the usage calls deleted and nothing else
// changed, called on the same Verifier and the same cache entries as "on"
// (which calls the real Verify). TestVerifyUncountedMatchesVerify fails
// when verify.go's verify changes and the copy no longer equals it minus
// its usage statements, so the comparison cannot quietly go stale.

import (
	"context"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/sqlstore"
)

// verifyUncounted is verify without counting: see the top of this file.
// Keep it identical to verify minus its usage statements (the test below
// checks).
func (v *Verifier) verifyUncounted(ctx context.Context, caller *keyway.Caller, key, origin string) (Result, error) {
	now := v.clock.Now()
	e, err := v.callerKeyEntry(ctx, caller, key, now)
	if err != nil {
		return Result{}, err
	}
	if e == nil {
		if a := singleAccount(caller); a != "" {
		}
		return Result{Outcome: Invalid}, nil
	}
	if !e.usable || (e.expires != 0 && now.UnixMilli() >= e.expires) {
		return Result{Outcome: Invalid}, nil
	}
	res := Result{Outcome: Valid, key: key, entry: e}
	p := e.policy
	if p == nil {
		return res, nil
	}
	if origin != "" && !keyway.DomainAllowed(p.domains, origin) {
		res.Outcome = OriginDenied
		if p.limit != nil {
			res.Rate, err = v.limiter.Peek(ctx, p.bucket, *p.limit, now)
			res.HasRate = err == nil
		}
		return res, nil
	}
	if p.limit != nil {
		res.Rate, err = v.limiter.Take(ctx, p.bucket, *p.limit, now)
		if err != nil {
			return Result{}, err
		}
		res.HasRate = true
		if !res.Rate.Allowed {
			res.Outcome = RateLimited
			return res, nil
		}
	}
	return res, nil
}

// verifyOff is Verify without counting: the same outcome statistics.
func (v *Verifier) verifyOff(ctx context.Context, caller *keyway.Caller, key, origin string) (Result, error) {
	r, err := v.verifyUncounted(ctx, caller, key, origin)
	if err == nil {
		v.stats.outcomes[r.Outcome].Add(1)
	}
	return r, err
}

// TestVerifyUncountedMatchesVerify keeps the "off" benchmarks honest:
// verify.go's verify with every statement that touches usage removed must
// read like verifyUncounted (whitespace aside). The only other difference
// allowed is the wrapping of the rate-limit error, which the cached path of
// the benchmarks never reaches.
func TestVerifyUncountedMatchesVerify(t *testing.T) {
	prod := funcBody(t, "verify.go", "verify")
	removed := 0
	ast.Inspect(prod, func(n ast.Node) bool {
		b, ok := n.(*ast.BlockStmt)
		if !ok {
			return true
		}
		kept := b.List[:0]
		for _, s := range b.List {
			if es, ok := s.(*ast.ExprStmt); ok && strings.Contains(nodeText(t, es), "v.usage") {
				removed++
				continue
			}
			kept = append(kept, s)
		}
		b.List = kept
		return true
	})
	if removed != 6 {
		t.Errorf("removed %d usage statements from verify, expected 6: update verifyUncounted and this test", removed)
	}
	got := squeeze(nodeText(t, prod))
	got = strings.Replace(got, `fmt.Errorf("ratelimit:%w",err)`, "err", 1)
	want := squeeze(nodeText(t, funcBody(t, "usage_bench_test.go", "verifyUncounted")))
	if got != want {
		t.Fatalf("verifyUncounted is no longer verify minus counting:\nverify minus usage:\n%s\nverifyUncounted:\n%s", got, want)
	}
}

func funcBody(t *testing.T, file, name string) *ast.BlockStmt {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil && fd.Name.Name == name {
			return fd.Body
		}
	}
	t.Fatalf("%s: no method %s", file, name)
	return nil
}

func nodeText(t *testing.T, n ast.Node) string {
	t.Helper()
	var sb strings.Builder
	if err := format.Node(&sb, token.NewFileSet(), n); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

// stillClock is a keyway.Clock that stands still, like keywaytest.Clock,
// but without its mutex: in the parallel benchmarks that mutex would be the
// contended cache line and hide the counters' own contention. A clock that
// never moves never starts a new minute, so the counters never rotate (in
// production they rotate once a minute per key, a negligible cost).
type stillClock struct{ now time.Time }

func (c stillClock) Now() time.Time { return c.now }

type countingFixture struct {
	v      *Verifier
	caller *keyway.Caller
	keys   []string // all cached
	misses uint64   // cache misses once the fixture was built
}

// newCountingFixture makes a verifier on a SQLite store with n keys
// without rate limits (so the limiter is not measured), all cached.
func newCountingFixture(b *testing.B, n int) *countingFixture {
	b.Helper()
	ctx := context.Background()
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlstore.Open(ctx, "sqlite://"+b.TempDir()+"/keyway.db", sealer)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	clock := stillClock{time.Date(2026, 11, 26, 17, 9, 1, 623_000_000, time.UTC)}
	v := New(st, ratelimit.NewMemory(), clock, st, Config{})
	svc := NewTestService(b, st, st, v, clock)
	ak, err := svc.Bootstrap(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	caller, err := v.Authenticate(ctx, ak.Key.Reveal())
	if err != nil {
		b.Fatal(err)
	}
	p, err := svc.CreateProject(ctx, caller, &keyway.ProjectCreate{Name: "p", AccountID: ak.AccountID, Env: keyway.EnvLive})
	if err != nil {
		b.Fatal(err)
	}
	f := &countingFixture{v: v, caller: caller}
	for range n {
		k, err := svc.CreateAPIKey(ctx, caller, &keyway.APIKeyCreate{ProjectID: p.ID, Name: "k"})
		if err != nil {
			b.Fatal(err)
		}
		if r, err := v.Verify(ctx, caller, k.Key.Reveal(), ""); err != nil || r.Outcome != Valid {
			b.Fatalf("warming %s: %v %v", k.ID, r.Outcome, err)
		}
		f.keys = append(f.keys, k.Key.Reveal())
	}
	f.misses = v.keys.misses.Load()
	return f
}

// verifyFunc is Verify ("on") or verifyOff ("off").
type verifyFunc func(v *Verifier, ctx context.Context, caller *keyway.Caller, key, origin string) (Result, error)

var modes = []struct {
	name string
	fn   verifyFunc
}{{"on", (*Verifier).Verify}, {"off", (*Verifier).verifyOff}}

// BenchmarkVerifyCounting: one goroutine, one cached key, counting on and
// off; "interleaved" switches between the two every 1,024 verifications
// within one run (the mode of each block a pseudo-random bit, see
// interleavedParallel) and reports both and their ratio, so both see the
// same noise; "counter-only" is the counting call alone.
func BenchmarkVerifyCounting(b *testing.B) {
	f := newCountingFixture(b, 1)
	ctx, key := context.Background(), f.keys[0]
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.fn(f.v, ctx, f.caller, key, "")
			}
			f.checkNoMisses(b)
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		const block = 1024
		var spent [2]time.Duration
		var count [2]int
		var blocks int64
		mode, i, start := pseudoRandomBit(0), 0, time.Now()
		b.ReportAllocs()
		for b.Loop() {
			modes[mode].fn(f.v, ctx, f.caller, key, "")
			if i++; i == block {
				now := time.Now()
				spent[mode] += now.Sub(start)
				count[mode] += i
				blocks++
				mode, i, start = pseudoRandomBit(blocks), 0, now
			}
		}
		spent[mode] += time.Since(start)
		count[mode] += i
		if count[0] == 0 || count[1] == 0 {
			return // the calibration round with b.N = 1
		}
		on := float64(spent[0].Nanoseconds()) / float64(count[0])
		off := float64(spent[1].Nanoseconds()) / float64(count[1])
		b.ReportMetric(on, "on-ns/op")
		b.ReportMetric(off, "off-ns/op")
		b.ReportMetric(on/off, "on/off")
	})
	b.Run("counter-only", func(b *testing.B) {
		e, _ := f.v.keys.known.GetIfPresent(keycrypt.AccountKeyHash(f.caller.Grants[0].AccountID, key))
		now := f.v.clock.Now()
		b.ReportAllocs()
		for b.Loop() {
			e.success(f.v.usage, now)
		}
	})
}

// BenchmarkVerifyCountingParallel: every goroutine on one key (all adding
// to the same counters: the realistic worst case) or each walking its own
// stretch of 1,000 keys, counting on and off, then both interleaved.
func BenchmarkVerifyCountingParallel(b *testing.B) {
	const many = 1000
	f := newCountingFixture(b, many)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		keys []string
	}{{"one-key", f.keys[:1]}, {"many-keys", f.keys}} {
		for _, m := range modes {
			b.Run(c.name+"/"+m.name, func(b *testing.B) {
				var next atomic.Int64
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					// Goroutines start far apart in the key list.
					i := int(next.Add(1)*7919) % len(c.keys)
					for pb.Next() {
						m.fn(f.v, ctx, f.caller, c.keys[i], "")
						if i++; i == len(c.keys) {
							i = 0
						}
					}
				})
				f.checkNoMisses(b)
			})
		}
		b.Run(c.name+"/interleaved", func(b *testing.B) {
			interleavedParallel(b, f, c.keys)
			f.checkNoMisses(b)
		})
	}
}

// interleavedParallel runs RunParallel switching every goroutine between
// counting on and off together, by the clock: the two modes see the same
// contention and the same noise from the rest of the machine. The clock is
// cut into phases of 1.5 ms, and each phase's mode is a pseudo-random bit
// of its number, not its parity: with strict alternation the kernel's tick
// (say every 4 ms) would preempt the goroutines in the same mode every
// time and charge that mode for it.
// Each goroutine times blocks of 256 verifications against the mode the
// block ran in; the per-mode figures are goroutine time per verification
// divided by the number of goroutines, comparable to ns/op.
func interleavedParallel(b *testing.B, f *countingFixture, keys []string) {
	const (
		block = 256
		phase = 1500 * time.Microsecond
	)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		spent [2]time.Duration
		count [2]int
		next  atomic.Int64
		procs atomic.Int64
	)
	start := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		procs.Add(1)
		var sp [2]time.Duration
		var n [2]int
		i := int(next.Add(1)*7919) % len(keys)
		last := time.Now()
		mode, done := pseudoRandomBit(int64(last.Sub(start)/phase)), 0
		for pb.Next() {
			modes[mode].fn(f.v, ctx, f.caller, keys[i], "")
			if i++; i == len(keys) {
				i = 0
			}
			if done++; done == block {
				now := time.Now()
				sp[mode] += now.Sub(last)
				n[mode] += done
				last, done = now, 0
				mode = pseudoRandomBit(int64(now.Sub(start) / phase))
			}
		}
		sp[mode] += time.Since(last)
		n[mode] += done
		mu.Lock()
		for m := range sp {
			spent[m] += sp[m]
			count[m] += n[m]
		}
		mu.Unlock()
	})
	if count[0] == 0 || count[1] == 0 {
		return // too few iterations to cover both modes
	}
	g := float64(procs.Load())
	on := float64(spent[0].Nanoseconds()) / float64(count[0]) / g
	off := float64(spent[1].Nanoseconds()) / float64(count[1]) / g
	b.ReportMetric(on, "on-ns/op")
	b.ReportMetric(off, "off-ns/op")
	b.ReportMetric(on/off, "on/off")
}

// pseudoRandomBit is the mode of block or phase n (0: on, 1: off): the top
// bit of a multiplicative hash of n.
func pseudoRandomBit(n int64) int { return int(uint64(n) * 0x9E3779B97F4A7C15 >> 63) }

// checkNoMisses fails the benchmark if any verification since the fixture
// was built missed the cache: both modes must measure the cached path only.
func (f *countingFixture) checkNoMisses(b *testing.B) {
	b.Helper()
	if n := f.v.keys.misses.Load() - f.misses; n != 0 {
		b.Fatalf("%d cache misses during the benchmark", n)
	}
}
