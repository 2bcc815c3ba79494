package verify_test

// Usage counting: what Verify counts reaches the keyway.UsageStore through
// Flush exactly once, in the minute it happened, even under concurrency,
// across minute boundaries and through store failures.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/verify"
)

// recordingUsage is an in-memory keyway.UsageStore that keeps every chunk
// it accepted, as the SQL store does: by id, each once. While failing is
// set it refuses chunks (and settles nothing), recording nothing, as a
// store whose transaction rolled back would.
type recordingUsage struct {
	mu      sync.Mutex
	batches [][]keyway.Usage
	calls   int
	refused int
	settles int
	failing atomic.Bool
	// failEvery, when > 0, refuses every failEvery-th call.
	failEvery int
	// loseAnswers, when > 0, records that many chunks but answers each
	// with an error, as a commit whose reply never arrived.
	loseAnswers int
	// ids are the chunks recorded (true) or settled as never (false).
	ids map[string]bool
}

var errUsageStoreDown = errors.New("usage store down")

func (r *recordingUsage) RecordUsage(_ context.Context, c keyway.UsageChunk) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failing.Load() || (r.failEvery > 0 && r.calls%r.failEvery == 0) {
		r.refused++
		return errUsageStoreDown
	}
	if r.ids == nil {
		r.ids = map[string]bool{}
	}
	if _, seen := r.ids[c.ID]; seen {
		return fmt.Errorf("chunk %s written twice", c.ID)
	}
	r.ids[c.ID] = true
	r.batches = append(r.batches, append([]keyway.Usage(nil), c.Rows...))
	if r.loseAnswers > 0 {
		r.loseAnswers--
		return errors.New("connection lost during commit")
	}
	return nil
}

func (r *recordingUsage) SettleUsageChunk(_ context.Context, id string, _ keyway.Time) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.settles++
	if r.failing.Load() {
		return false, errUsageStoreDown
	}
	if r.ids == nil {
		r.ids = map[string]bool{}
	}
	recorded, seen := r.ids[id]
	if !seen {
		r.ids[id] = false
	}
	return recorded, nil
}

func (r *recordingUsage) ProjectUsage(context.Context, keyway.UsageLevel, string, time.Time, time.Time) ([]keyway.UsageRow, error) {
	return nil, nil
}

func (r *recordingUsage) KeyTotals(context.Context, keyway.UsageLevel, string, time.Time, time.Time) ([]keyway.KeyUsageTotal, error) {
	return nil, nil
}

func (r *recordingUsage) KeysUsage(context.Context, keyway.UsageLevel, string, []string, time.Time, time.Time) ([]keyway.UsageRow, error) {
	return nil, nil
}

func (r *recordingUsage) PruneUsage(context.Context, keyway.UsageLevel, time.Time) (int64, error) {
	return 0, nil
}

var _ keyway.UsageStore = (*recordingUsage)(nil)

// all is every accepted row, in order.
func (r *recordingUsage) all() []keyway.Usage {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []keyway.Usage
	for _, b := range r.batches {
		out = append(out, b...)
	}
	return out
}

// usageCounts are outcomes added up.
type usageCounts struct{ successful, failed, rateLimited int64 }

func (c usageCounts) String() string {
	return fmt.Sprintf("{successful %d, failed %d, rateLimited %d}", c.successful, c.failed, c.rateLimited)
}

func (c *usageCounts) add(u keyway.Usage) {
	c.successful += u.Successful
	c.failed += u.Failed
	c.rateLimited += u.RateLimited
}

// usageOwner is who a row counts for: a key, or (KeyID "") an account's
// verifications of unknown keys.
type usageOwner struct{ accountID, projectID, keyID string }

func usageOwnerOf(u keyway.Usage) usageOwner { return usageOwner{u.AccountID, u.ProjectID, u.KeyID} }

// totals adds the accepted rows up per owner.
func (r *recordingUsage) totals() map[usageOwner]usageCounts {
	out := map[usageOwner]usageCounts{}
	for _, u := range r.all() {
		c := out[usageOwnerOf(u)]
		c.add(u)
		out[usageOwnerOf(u)] = c
	}
	return out
}

// perMinute adds the accepted rows up per owner and minute.
func (r *recordingUsage) perMinute() map[usageOwner]map[time.Time]usageCounts {
	out := map[usageOwner]map[time.Time]usageCounts{}
	for _, u := range r.all() {
		o := usageOwnerOf(u)
		if out[o] == nil {
			out[o] = map[time.Time]usageCounts{}
		}
		c := out[o][u.At.Time]
		c.add(u)
		out[o][u.At.Time] = c
	}
	return out
}

// newUsageFixture is newFixture with the verifier's usage going to us
// instead of the SQL store.
func newUsageFixture(t testing.TB, us keyway.UsageStore) *fixture {
	t.Helper()
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), keywaytest.SQLiteURL(t), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: &countingStore{Store: st}, clock: keywaytest.NewClock()}
	f.verifier = verify.New(f.store, ratelimit.NewMemory(), f.clock, us, verify.Config{})
	f.svc = verify.NewTestService(t, f.store, st, f.verifier, f.clock)
	ak, err := f.svc.Bootstrap(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	f.caller, err = f.verifier.Authenticate(context.Background(), ak.Key.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	f.project, err = f.svc.CreateProject(context.Background(), f.caller, &keyway.ProjectCreate{Name: "p", AccountID: ak.AccountID, Env: keyway.EnvLive})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func usageKeyOwner(k *keyway.APIKey) usageOwner { return usageOwner{k.AccountID, k.ProjectID, k.ID} }

func usageMinuteOf(t time.Time) time.Time { return t.UTC().Truncate(time.Minute) }

// 16 goroutines verify 5,000 times each while another goroutine moves the
// clock across several minute boundaries and another flushes now and then
// (through a store that refuses some batches, in one variant). After a
// final Flush the store holds, per key, exactly the outcomes Verify
// returned, each in a minute that was current during the run.
func TestUsageExactUnderConcurrency(t *testing.T) {
	const (
		workers  = 16
		perGo    = 5000
		total    = workers * perGo
		advances = 12               // clock moves during the run
		step     = 23 * time.Second // so boundaries fall at varying offsets
		flushes  = 5                // concurrent flushes during the run
	)
	for _, tc := range []struct {
		name      string
		several   bool
		failEvery int
	}{
		{"one-key", false, 0},
		{"several-keys", true, 0},
		{"several-keys-flaky-store", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			us := &recordingUsage{failEvery: tc.failEvery}
			f := newUsageFixture(t, us)
			account := f.project.AccountID

			type target struct {
				key    string
				origin string
				owner  usageOwner
			}
			var targets []target
			plain := f.newKey(t, keyway.APIKeyCreate{Name: "plain"})
			targets = append(targets, target{plain.Key.Reveal(), "", usageKeyOwner(plain)})
			unknownOwner := usageOwner{accountID: account}
			if tc.several {
				second := f.newKey(t, keyway.APIKeyCreate{Name: "second"})
				domains := f.newKey(t, keyway.APIKeyCreate{Name: "domains", AllowedDomains: []string{"good.example.com"}})
				// A limit the run exceeds within a minute, so some answers
				// are RateLimited, and windows that restart with minutes.
				limited := f.newKey(t, keyway.APIKeyCreate{Name: "limited", RateLimitConfigs: &keyway.RateLimit{RateLimit: 1500, RateLimitTTL: 60}})
				targets = append(targets,
					target{second.Key.Reveal(), "", usageKeyOwner(second)},
					target{domains.Key.Reveal(), "good.example.com", usageKeyOwner(domains)},
					target{domains.Key.Reveal(), "evil.example.net", usageKeyOwner(domains)},
					target{limited.Key.Reveal(), "", usageKeyOwner(limited)},
					target{keycrypt.NewKey("live_"), "", unknownOwner},
				)
			}

			start := f.clock.Now()
			var (
				done     atomic.Int64
				wg       sync.WaitGroup
				mu       sync.Mutex
				expected = map[usageOwner]usageCounts{}
				errs     []error
			)
			// awaitProgress waits until the workers have done n verifications.
			// It runs in goroutines of their own, so it reports and goes on
			// rather than failing there; a fine pause keeps the stretches
			// of the clock even.
			awaitProgress := func(n int64) {
				_, err := keywaytest.Poll{MaxPause: 50 * time.Microsecond}.Until(fmt.Sprintf("%d verifications", n), func() (bool, string, error) {
					return done.Load() >= n, "", nil
				})
				if err != nil {
					t.Error(err)
				}
			}
			// The clock moves only while the workers run: the k-th advance
			// waits for k chunks of the work, and workers do not start the
			// chunk after the next one before it, so every stretch of the
			// clock gets its share of verifications however the goroutines
			// are scheduled.
			const chunk = total / (advances + 1)
			var advanced atomic.Int64
			for w := range workers {
				wg.Go(func() {
					local := map[usageOwner]usageCounts{}
					for i := range perGo {
						for {
							a := advanced.Load()
							if a >= advances || done.Load() < (a+1)*chunk {
								break
							}
							runtime.Gosched()
						}
						tg := targets[(w+i)%len(targets)]
						r, err := f.verifier.Verify(context.Background(), f.caller, tg.key, tg.origin)
						done.Add(1)
						if err != nil {
							mu.Lock()
							errs = append(errs, err)
							mu.Unlock()
							continue
						}
						c := local[tg.owner]
						switch r.Outcome {
						case verify.Valid:
							c.successful++
						case verify.RateLimited:
							c.rateLimited++
						default:
							c.failed++
						}
						local[tg.owner] = c
					}
					mu.Lock()
					for o, c := range local {
						e := expected[o]
						e.successful += c.successful
						e.failed += c.failed
						e.rateLimited += c.rateLimited
						expected[o] = e
					}
					mu.Unlock()
				})
			}
			wg.Go(func() {
				for k := int64(1); k <= advances; k++ {
					awaitProgress(k * chunk)
					f.clock.Advance(step)
					advanced.Store(k)
				}
			})
			var flushErrs atomic.Int64
			wg.Go(func() {
				for k := 1; k <= flushes; k++ {
					awaitProgress(int64(k * total / (flushes + 1)))
					if err := f.verifier.Flush(context.Background()); err != nil {
						if !errors.Is(err, errUsageStoreDown) {
							t.Errorf("flush %d: %v", k, err)
						}
						flushErrs.Add(1)
					}
				}
			})
			wg.Wait()
			end := f.clock.Now()
			for _, err := range errs[:min(len(errs), 5)] {
				t.Errorf("verify: %v", err)
			}
			// Final flushes: the flaky store may refuse one, never two in a row.
			for i := 0; ; i++ {
				err := f.verifier.Flush(context.Background())
				if err == nil {
					break
				}
				if !errors.Is(err, errUsageStoreDown) || i >= 3 {
					t.Fatalf("final flush: %v", err)
				}
			}
			// Nothing is left over to write twice.
			nBatches := len(us.all())
			if err := f.verifier.Flush(context.Background()); err != nil {
				t.Fatalf("extra flush: %v", err)
			}
			if n := len(us.all()); n != nBatches {
				t.Errorf("a flush after the final one wrote %d more rows", n-nBatches)
			}

			if n := end.Sub(start); n != advances*step {
				t.Fatalf("the clock moved %v, want %v", n, advances*step)
			}
			got := us.totals()
			var sum int64
			for o, want := range expected {
				sum += want.successful + want.failed + want.rateLimited
				if got[o] != want {
					t.Errorf("key %q (account %s, project %q): store has %v, Verify answered %v", o.keyID, o.accountID, o.projectID, got[o], want)
				}
			}
			for o, c := range got {
				if _, ok := expected[o]; !ok {
					t.Errorf("store has usage for an owner never verified: %+v %v", o, c)
				}
			}
			if sum != total {
				t.Fatalf("counted %d verifications, want %d", sum, total)
			}
			if tc.several {
				// The variants really exercised every kind of outcome.
				var all usageCounts
				for _, c := range expected {
					all.successful += c.successful
					all.failed += c.failed
					all.rateLimited += c.rateLimited
				}
				if all.successful == 0 || all.failed == 0 || all.rateLimited == 0 {
					t.Errorf("outcomes %v: want some of each", all)
				}
			}
			if tc.failEvery > 0 && us.refused == 0 {
				t.Errorf("the flaky store refused no batch (%d flush errors)", flushErrs.Load())
			}

			// Every row is a minute that was current during the run.
			first, last := usageMinuteOf(start), usageMinuteOf(end)
			minutes := map[time.Time]bool{}
			for _, u := range us.all() {
				m := u.At.Time.UTC()
				minutes[m] = true
				if !m.Equal(usageMinuteOf(m)) || m.Before(first) || m.After(last) {
					t.Errorf("row in minute %v, outside the run's minutes %v..%v", m, first, last)
				}
				if u.Successful > 0 && !u.LastSuccess.IsZero() {
					ls := u.LastSuccess.Time
					if ls.Before(start) || ls.After(end) {
						t.Errorf("lastSuccess %v outside the run %v..%v", ls, start, end)
					}
				} else if !u.LastSuccess.IsZero() {
					t.Errorf("row without successes has lastSuccess %v", u.LastSuccess)
				}
				if u.Successful < 0 || u.Failed < 0 || u.RateLimited < 0 {
					t.Errorf("negative counts in %+v", u)
				}
			}
			if len(minutes) < 3 {
				t.Errorf("usage landed in %d minutes, want the run's boundaries to split it (>= 3)", len(minutes))
			}
			t.Logf("%d verifications over minutes %v..%v, %d rows in %d accepted batches, %d refused",
				total, first.Format("15:04"), last.Format("15:04"), len(us.all()), len(us.batches), us.refused)
		})
	}
}

// Counts land in the minute of their verification: the last millisecond of
// a minute still counts in it, the first of the next in the next, across
// flushes and for every outcome.
func TestUsageAttributionToMinutes(t *testing.T) {
	us := &recordingUsage{}
	f := newUsageFixture(t, us)
	k := f.newKey(t, keyway.APIKeyCreate{AllowedDomains: []string{"good.example.com"}, RateLimitConfigs: &keyway.RateLimit{RateLimit: 3, RateLimitTTL: 3600}})
	m0 := usageMinuteOf(f.clock.Now()) // 17:09
	m1 := m0.Add(time.Minute)
	m2 := m0.Add(2 * time.Minute)

	expect := func(key string, origin string, want verify.Outcome) {
		t.Helper()
		if r := f.verify(t, key, origin); r.Outcome != want {
			t.Fatalf("at %v: %v, want %v", f.clock.Now().Format("15:04:05.000"), r.Outcome, want)
		}
	}
	// Minute 0: 2 successes, 1 origin denial, flushed; then one more
	// success in its last millisecond, flushed with minute 1.
	firstUse := f.clock.Now()
	expect(k.Key.Reveal(), "", verify.Valid)
	expect(k.Key.Reveal(), "good.example.com", verify.Valid)
	expect(k.Key.Reveal(), "evil.example.net", verify.OriginDenied)
	if err := f.verifier.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(m1.Add(-time.Millisecond))
	lastInM0 := f.clock.Now()
	expect(k.Key.Reveal(), "", verify.Valid) // the limit (3) is now used up
	// Minute 1, from its first millisecond: 2 rate-limited, 1 denial.
	f.clock.Set(m1)
	expect(k.Key.Reveal(), "", verify.RateLimited)
	expect(k.Key.Reveal(), "evil.example.net", verify.OriginDenied)
	f.clock.Advance(30 * time.Second)
	expect(k.Key.Reveal(), "", verify.RateLimited)
	// Minute 2 after a flush: nothing until the key is rate limited again.
	if err := f.verifier.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(m2.Add(59 * time.Second))
	expect(k.Key.Reveal(), "", verify.RateLimited)
	if err := f.verifier.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	got := us.perMinute()[usageKeyOwner(k)]
	want := map[time.Time]usageCounts{
		m0: {successful: 3, failed: 1},
		m1: {failed: 1, rateLimited: 2},
		m2: {rateLimited: 1},
	}
	if len(got) != len(want) {
		t.Errorf("usage in %d minutes, want %d: %v", len(got), len(want), got)
	}
	for m, w := range want {
		if got[m] != w {
			t.Errorf("minute %s: %v, want %v", m.Format("15:04"), got[m], w)
		}
	}
	// The success reported for minute 0 is its first, the key's first
	// use: lastUsedAt moves on by whole minutes, and 17:09:59.999 is
	// within one of it.
	var last keyway.Time
	for _, u := range us.all() {
		if u.At.Equal(m0) && u.LastSuccess.After(last.Time) {
			last = u.LastSuccess
		}
		if u.At.Time.Before(m0) || u.At.Time.After(m2) {
			t.Errorf("row in minute %v", u.At)
		}
	}
	if !last.Equal(firstUse) || lastInM0.Sub(firstUse) >= time.Minute {
		t.Errorf("minute %s: lastSuccess %v, want the first use %v", m0.Format("15:04"), last, firstUse)
	}
}

// A batch the store refuses stays buffered, merged with what comes after
// it, and a later Flush delivers it exactly once: no loss, no double count.
func TestUsageFailingStoreKeepsBatch(t *testing.T) {
	us := &recordingUsage{}
	f := newUsageFixture(t, us)
	a := f.newKey(t, keyway.APIKeyCreate{Name: "a"})
	b := f.newKey(t, keyway.APIKeyCreate{Name: "b"})
	m0 := usageMinuteOf(f.clock.Now())
	verifyN := func(k *keyway.APIKey, n int) {
		t.Helper()
		for range n {
			if r := f.verify(t, k.Key.Reveal(), ""); r.Outcome != verify.Valid {
				t.Fatalf("verify: %v", r.Outcome)
			}
		}
	}

	us.failing.Store(true)
	verifyN(a, 10)
	if err := f.verifier.Flush(context.Background()); !errors.Is(err, errUsageStoreDown) {
		t.Fatalf("flush to a failing store: %v, want the store's error", err)
	}
	verifyN(a, 5)
	verifyN(b, 2)
	f.clock.Advance(time.Minute)
	verifyN(a, 3)
	for range 3 {
		if err := f.verifier.Flush(context.Background()); !errors.Is(err, errUsageStoreDown) {
			t.Fatalf("flush to a failing store: %v, want the store's error", err)
		}
	}
	// A cancelled flush is a failed one too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.verifier.Flush(ctx)
	if n := len(us.all()); n != 0 {
		t.Fatalf("a failing store recorded %d rows", n)
	}
	// The first flush's chunk could not be settled either (the store is
	// down), so each later flush asks about it again before writing.
	if us.refused < 1 || us.refused+us.settles < 5 {
		t.Fatalf("store saw %d refused chunks and %d settles, want every flush to try it", us.refused, us.settles)
	}

	us.failing.Store(false)
	if err := f.verifier.Flush(context.Background()); err != nil {
		t.Fatalf("flush after recovery: %v", err)
	}
	if len(us.batches) != 1 {
		t.Fatalf("recovery wrote %d batches, want the retained one as one batch", len(us.batches))
	}
	for range 2 {
		if err := f.verifier.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(us.batches) != 1 {
		t.Errorf("flushes after recovery wrote %d more batches, want none (nothing new)", len(us.batches)-1)
	}
	got := us.perMinute()
	for _, c := range []struct {
		k    *keyway.APIKey
		m    time.Time
		want int64
	}{{a, m0, 15}, {a, m0.Add(time.Minute), 3}, {b, m0, 2}} {
		if g := got[usageKeyOwner(c.k)][c.m]; g != (usageCounts{successful: c.want}) {
			t.Errorf("key %s, minute %s: %v, want %d successful", c.k.Name, c.m.Format("15:04"), g, c.want)
		}
	}
	if tot := us.totals(); len(tot) != 2 || tot[usageKeyOwner(a)].successful != 18 || tot[usageKeyOwner(b)].successful != 2 {
		t.Errorf("totals %v, want a: 18, b: 2", tot)
	}
	// One row per key and minute: the retries were merged, not queued.
	if n := len(us.batches[0]); n != 3 {
		t.Errorf("retained batch has %d rows, want 3 (a×2 minutes, b)", n)
	}

	// After recovery, new counts flush normally.
	verifyN(b, 4)
	if err := f.verifier.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tot := us.totals(); tot[usageKeyOwner(b)].successful != 6 || tot[usageKeyOwner(a)].successful != 18 {
		t.Errorf("totals after more verifications %v, want a: 18, b: 6", tot)
	}
}

// Verifications of keys unknown to the caller count as failures of the
// caller's account, with no key and no project: keys that do not exist,
// and keys of a project outside the caller's scope (which must not count
// for that key). A caller spanning several accounts counts for none.
func TestUsageUnknownKeysCountForAccount(t *testing.T) {
	us := &recordingUsage{}
	f := newUsageFixture(t, us)
	account := f.project.AccountID
	other, err := f.svc.CreateProject(context.Background(), f.caller, &keyway.ProjectCreate{Name: "other", AccountID: account, Env: keyway.EnvLive})
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := f.svc.CreateAPIKey(context.Background(), f.caller, &keyway.APIKeyCreate{Name: "other", ProjectID: other.ID})
	if err != nil {
		t.Fatal(err)
	}
	ak, err := f.svc.CreateAccessKey(context.Background(), f.caller, &keyway.AccessKeyCreate{Name: "scoped", AccountID: account, ProjectID: &f.project.ID})
	if err != nil {
		t.Fatal(err)
	}
	scoped, err := f.verifier.Authenticate(context.Background(), ak.Key.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	mine := f.newKey(t, keyway.APIKeyCreate{Name: "mine"})

	run := func(c *keyway.Caller, key string, want verify.Outcome) {
		t.Helper()
		r, err := f.verifier.Verify(context.Background(), c, key, "")
		if err != nil {
			t.Fatal(err)
		}
		if r.Outcome != want {
			t.Fatalf("verify: %v, want %v", r.Outcome, want)
		}
	}
	unknown := keycrypt.NewKey("live_")
	for range 3 {
		run(f.caller, unknown, verify.Invalid) // a load, then the negative cache
	}
	run(f.caller, "", verify.Invalid)                  // implausible: never looked up
	run(scoped, otherKey.Key.Reveal(), verify.Invalid) // exists, but not for this caller
	run(scoped, otherKey.Key.Reveal(), verify.Invalid)
	run(scoped, mine.Key.Reveal(), verify.Valid)
	// A caller in two accounts: its unknown keys count for neither.
	twoAccounts := &keyway.Caller{Grants: []keyway.Grant{
		{AccountID: account, Role: keyway.RoleAdmin},
		{AccountID: "another-account", Role: keyway.RoleAdmin},
	}}
	run(twoAccounts, keycrypt.NewKey("live_"), verify.Invalid)
	if err := f.verifier.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}

	got := us.totals()
	want := map[usageOwner]usageCounts{
		{accountID: account}: {failed: 6},
		usageKeyOwner(mine):  {successful: 1},
	}
	if len(got) != len(want) {
		t.Errorf("usage for %d owners, want %d: %v", len(got), len(want), got)
	}
	for o, w := range want {
		if got[o] != w {
			t.Errorf("owner %+v: %v, want %v", o, got[o], w)
		}
	}
	if c, ok := got[usageKeyOwner(otherKey)]; ok {
		t.Errorf("a key out of the caller's scope got usage %v", c)
	}
	for _, u := range us.all() {
		if u.KeyID == "" && (u.ProjectID != "" || u.AccountID != account || u.Successful != 0 || !u.LastSuccess.IsZero()) {
			t.Errorf("unknown-key row %+v, want only failures for account %s with no project", u, account)
		}
		if !u.At.Equal(usageMinuteOf(f.clock.Now())) {
			t.Errorf("row in minute %v, want %v", u.At, usageMinuteOf(f.clock.Now()))
		}
	}
}
