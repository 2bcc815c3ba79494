package verify_test

// Unknown keys are cheap and bounded: the end users of a customer's API
// choose what key strings reach Keyway, so a flood of invented keys must
// cost neither memory nor reads, nor push out the keys in use.

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
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

// Strings no key can be are refused without a read or a cache entry,
// keys and credentials alike; the shortest and odd-charactered keys a
// caller may choose are still looked up.
func TestMalformedKeysAreNotLookedUp(t *testing.T) {
	f := newFixture(t)
	malformed := []string{
		"", "a", "live_ab", // shorter than any key
		strings.Repeat("a", keyway.MaxCustomKeyLen+1),
		"live_" + strings.Repeat("a", 59) + " ", "live_abc/def", "live_abc%2Fdef", "live_abc?x=1",
		"live_clé_unicode", "live_\x00nul_byte", "live_\xff\xfeinvalid", `live_"quoted"`, "live_a+b=c",
	}
	before, unknown := f.store.reads.Load(), f.verifier.Stats().UnknownEntries
	for _, k := range malformed {
		if r := f.verify(t, k, ""); r.Outcome != verify.Invalid || r.Answer() != nil {
			t.Fatalf("%q: %v, want Invalid", k, r.Outcome)
		}
		if _, err := f.verifier.Authenticate(context.Background(), k); err != keyway.ErrUnauthorized {
			t.Fatalf("credential %q: %v, want ErrUnauthorized", k, err)
		}
	}
	if n := f.store.reads.Load() - before; n != 0 {
		t.Fatalf("%d store reads for %d malformed strings, want 0", n, len(malformed))
	}
	if n := f.verifier.Stats().UnknownEntries - unknown; n != 0 {
		t.Fatalf("malformed strings made %d negative cache entries", n)
	}
	// The limits of what a caller may choose are keys, looked up.
	for _, k := range []string{"a-b_c.d~", strings.Repeat("Z", keyway.MaxCustomKeyLen)} {
		before := f.store.reads.Load()
		if r := f.verify(t, k, ""); r.Outcome != verify.Invalid {
			t.Fatalf("unknown %q: %v", k, r.Outcome)
		}
		if n := f.store.reads.Load() - before; n != 1 {
			t.Fatalf("a well-formed unknown key took %d reads, want 1", n)
		}
		created := f.newKey(t, keyway.APIKeyCreate{Key: (*keyway.APIKeySecret)(&k)})
		if r := f.verify(t, created.Key.Reveal(), ""); r.Outcome != verify.Valid {
			t.Fatalf("custom key %q: %v, want Valid", k, r.Outcome)
		}
	}
}

// The store refuses to hold a string the verifier would refuse unread, on
// the bulk path too: what the verifier assumes of every stored key holds.
func TestStoreHoldsOnlyValidKeyStrings(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{})
	k.ID, k.Key = "key-bad", "bad key"
	if err := f.store.Store.CreateAPIKey(context.Background(), k); err == nil {
		t.Fatal("the store took a key string with a space")
	}
}

// runFilter builds the fixture's key filter in the background and waits
// until it is trusted.
func (f *fixture) runFilter(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.verifier.RunFilter(ctx, verify.FilterConfig{}, slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() { cancel(); <-done })
	keywaytest.Eventually(t, "the key filter", func() bool { return f.verifier.Stats().FilterReady })
}

// The proof: 1,000,000 random unknown keys (fewer under the race
// detector) cost no store read and under 50 MB of live heap, and a busy
// known set stays cached throughout.
//
// Live heap after a full collection (runtime.ReadMemStats) rather than
// RSS: RSS in a test binary holds what earlier tests allocated and freed
// but the runtime has not returned yet, and swings with the scavenger;
// the live heap is what the verifier keeps. RSS is logged too, and the
// figures of a real server are in BENCHMARKS.md.
func TestUnknownKeyFlood(t *testing.T) {
	f := newFixture(t)
	busy := make([]string, 1000)
	for i := range busy {
		busy[i] = (f.newKey(t, keyway.APIKeyCreate{}).Key).Reveal()
	}
	f.runFilter(t)
	for _, k := range busy {
		f.verify(t, k, "")
	}
	n := unknownFlood
	flood := make([]string, n)
	for i := range flood {
		if i%10 == 9 {
			// A tenth malformed: refused before the filter.
			flood[i] = "live_" + keycrypt.RandomString(20) + "!"
		} else {
			flood[i] = keycrypt.NewKey("live_")
		}
	}
	heapBefore, rssBefore := liveHeap(), rss()
	statsBefore, reads := f.verifier.Stats(), f.store.reads.Load()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				r, err := f.verifier.Verify(context.Background(), f.caller, flood[i], "")
				if err != nil || r.Outcome != verify.Invalid {
					t.Errorf("unknown key %d: %v %v", i, r.Outcome, err)
					return
				}
				// The busy set keeps being used meanwhile.
				if i%100 == 0 {
					if r, err := f.verifier.Verify(context.Background(), f.caller, busy[i/100%len(busy)], ""); err != nil || r.Outcome != verify.Valid {
						t.Errorf("busy key: %v %v", r.Outcome, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	floodReads := f.store.reads.Load() - reads
	heapAfter, rssAfter := liveHeap(), rss()
	runtime.KeepAlive(flood) // counted in both, not freed in between
	st := f.verifier.Stats()
	t.Logf("%d unknown keys in %v (%.0f ns each): %d store reads, live heap %+.1f MB (%.1f → %.1f MB), RSS %+.1f MB, "+
		"filter %d KiB, %d refused by it, %d negative entries",
		n, elapsed.Round(time.Millisecond), float64(elapsed.Nanoseconds())/float64(n), floodReads,
		mb(int64(heapAfter)-int64(heapBefore)), mb(int64(heapBefore)), mb(int64(heapAfter)), mb(rssAfter-rssBefore),
		st.FilterBytes/1024, st.FilterRefusals-statsBefore.FilterRefusals, st.UnknownEntries)
	if floodReads != 0 {
		t.Errorf("%d store reads for %d unknown keys, want 0", floodReads, n)
	}
	if grew := int64(heapAfter) - int64(heapBefore); grew > 50<<20 {
		t.Errorf("live heap grew by %.1f MB, want under 50 MB", mb(grew))
	}
	if st.UnknownEntries > statsBefore.UnknownEntries {
		t.Errorf("the flood left %d negative cache entries", st.UnknownEntries-statsBefore.UnknownEntries)
	}
	// Every busy key is still cached: all hits, no read.
	reads, hits := f.store.reads.Load(), st.KeyHits
	for _, k := range busy {
		f.verify(t, k, "")
	}
	if r := f.store.reads.Load() - reads; r != 0 {
		t.Errorf("the busy keys took %d store reads after the flood, want 0", r)
	}
	if h := f.verifier.Stats().KeyHits - hits; h != uint64(len(busy)) {
		t.Errorf("%d cache hits for %d busy keys", h, len(busy))
	}
}

// Without the filter (before it is built, or while the channel to other
// nodes is down) unknown keys are read, and remembered in a bounded cache
// of their own: past its bound it evicts its own entries, never the
// known keys.
func TestUnknownKeysBoundedWithoutFilter(t *testing.T) {
	f := newFixtureWith(t, verify.Config{MaxUnknown: 1000})
	busy := make([]string, 200)
	for i := range busy {
		busy[i] = (f.newKey(t, keyway.APIKeyCreate{}).Key).Reveal()
		f.verify(t, busy[i], "")
	}
	n := int64(30_000)
	if raceEnabled {
		n = 5_000
	}
	reads := f.store.reads.Load()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= n; i = next.Add(1) {
				if r, err := f.verifier.Verify(context.Background(), f.caller, "live_unknown_"+strconv.FormatInt(i, 10), ""); err != nil || r.Outcome != verify.Invalid {
					t.Errorf("unknown key: %v %v", r.Outcome, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("%d unknown keys without a filter: %d store reads (batched)", n, f.store.reads.Load()-reads)
	keywaytest.Eventually(t, "the negative cache to evict down to its bound", func() bool { return f.verifier.Stats().UnknownEntries <= 1000 })
	reads = f.store.reads.Load()
	for _, k := range busy {
		f.verify(t, k, "")
	}
	if r := f.store.reads.Load() - reads; r != 0 {
		t.Fatalf("a flood of unknown keys pushed out known ones: %d reads", r)
	}
	if st := f.verifier.Stats(); st.KeyEntries != len(busy) || st.FilterRefusals != 0 {
		t.Fatalf("%d known entries (want %d), %d filter refusals (no filter)", st.KeyEntries, len(busy), st.FilterRefusals)
	}
}

// A key created, renamed or rotated verifies at once with the filter
// built, including one created while the filter was being built.
func TestFilterHasNewKeys(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old := f.newKey(t, keyway.APIKeyCreate{})
	// The build is held on its first read while a key is created.
	f.store.digestGate = make(chan struct{})
	f.store.digestEntered = make(chan struct{}, 1)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.verifier.RunFilter(runCtx, verify.FilterConfig{}, slog.New(slog.DiscardHandler))
	}()
	defer func() { cancel(); <-done }()
	<-f.store.digestEntered
	during := f.newKey(t, keyway.APIKeyCreate{})
	close(f.store.digestGate)
	keywaytest.Eventually(t, "the key filter", func() bool { return f.verifier.Stats().FilterReady })

	for _, k := range []string{old.Key.Reveal(), during.Key.Reveal()} {
		if r := f.verify(t, k, ""); r.Outcome != verify.Valid {
			t.Fatalf("a key that existed before the filter was built: %v", r.Outcome)
		}
	}
	fresh := f.newKey(t, keyway.APIKeyCreate{})
	if r := f.verify(t, fresh.Key.Reveal(), ""); r.Outcome != verify.Valid {
		t.Fatalf("a key created after the build: %v", r.Outcome)
	}
	renamed, err := f.svc.UpdateAPIKey(ctx, f.caller, fresh.Key.Reveal(), &keyway.APIKeyUpdate{Key: keyway.Optional[keyway.APIKeySecret]{Set: true, Value: "renamed-key-0001"}})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.verify(t, renamed.Key.Reveal(), ""); r.Outcome != verify.Valid {
		t.Fatalf("a renamed key: %v", r.Outcome)
	}
	rotated, err := f.svc.RotateAPIKey(ctx, f.caller, old.Key.Reveal())
	if err != nil {
		t.Fatal(err)
	}
	if r := f.verify(t, rotated.Key.Reveal(), ""); r.Outcome != verify.Valid {
		t.Fatalf("a rotated key: %v", r.Outcome)
	}
	// And unknown keys still cost nothing.
	reads := f.store.reads.Load()
	for range 100 {
		f.verify(t, keycrypt.NewKey("live_"), "")
	}
	if n := f.store.reads.Load() - reads; n != 0 {
		t.Fatalf("%d reads for unknown keys with the filter built", n)
	}
}

// A key another node created reaches this one as a digest; until the
// filter is sure it has every such key (the peer sync), it reads.
func TestFilterWithPeers(t *testing.T) {
	f := newFixture(t)
	f.runFilter(t)
	ctx := context.Background()

	// Another node's key: in the store, not yet in this node's filter.
	other := keycrypt.NewKey("live_")
	k := f.newKey(t, keyway.APIKeyCreate{})
	k.ID, k.Key = k.ID+"-other", keyway.APIKeySecret(other)
	if err := f.store.Store.(*sqlstore.Store).ImportAPIKeys(ctx, []*keyway.APIKey{k}); err != nil {
		t.Fatal(err)
	}
	// The sync brings its invalidation in, as the bus would.
	var syncs atomic.Int64
	f.verifier.SetPeerSync(func(context.Context) error {
		if syncs.Add(1) == 1 {
			f.verifier.KnowDigests(keycrypt.HashKey(other))
			f.verifier.ForgetDigests(keycrypt.AccountKeyHash(k.AccountID, other))
		}
		return nil
	})
	reads := f.store.reads.Load()
	if r := f.verify(t, other, ""); r.Outcome != verify.Valid {
		t.Fatalf("a key whose invalidation arrived during the sync: %v", r.Outcome)
	}
	if n := f.store.reads.Load() - reads; n != 1 {
		t.Fatalf("%d reads, want the 1 load of the key", n)
	}
	reads = f.store.reads.Load()
	f.verify(t, keycrypt.NewKey("live_"), "")
	if n := f.store.reads.Load() - reads; n != 0 || syncs.Load() != 2 {
		t.Fatalf("an unknown key after a good sync: %d reads, %d syncs", n, syncs.Load())
	}

	// A failed sync: not sure, so the store is read.
	f.verifier.SetPeerSync(func(context.Context) error { return errors.New("bus down") })
	reads = f.store.reads.Load()
	f.verify(t, keycrypt.NewKey("live_"), "")
	if n := f.store.reads.Load() - reads; n != 1 {
		t.Fatalf("an unknown key after a failed sync: %d reads, want 1", n)
	}
	f.verifier.SetPeerSync(func(context.Context) error { return nil })

	// While the channel is down the filter is dropped; it is built again
	// once the channel is back.
	builds := f.verifier.Stats().FilterBuilds
	f.verifier.SetDegraded(true)
	if f.verifier.Stats().FilterReady {
		t.Fatal("the filter is still trusted while invalidations may be missed")
	}
	reads = f.store.reads.Load()
	f.verify(t, keycrypt.NewKey("live_"), "")
	if n := f.store.reads.Load() - reads; n != 1 {
		t.Fatalf("an unknown key while degraded: %d reads, want 1", n)
	}
	f.verifier.SetDegraded(false)
	keywaytest.Eventually(t, "the filter to be rebuilt", func() bool {
		st := f.verifier.Stats()
		return st.FilterReady && st.FilterBuilds > builds
	})
	// A message that could not be read: the filter is rebuilt too.
	builds = f.verifier.Stats().FilterBuilds
	f.verifier.LostInvalidations()
	keywaytest.Eventually(t, "the filter to be rebuilt", func() bool {
		st := f.verifier.Stats()
		return st.FilterReady && st.FilterBuilds > builds
	})
	if r := f.verify(t, other, ""); r.Outcome != verify.Valid {
		t.Fatalf("the other node's key after the rebuild: %v", r.Outcome)
	}
}

// A node restarted on many keys answers at once: until the filter is
// built, unknown keys are read; the build itself is timed.
func TestFilterBuildAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds many keys")
	}
	// A schema of its own on PostgreSQL: the fixture bootstraps an empty
	// store.
	dbURL := keywaytest.SQLiteURL(t)
	if base := os.Getenv(keywaytest.PostgresEnv); base != "" {
		dbURL = keywaytest.PostgresURL(t, base)
	}
	sf := newScaleFixture(t, dbURL, scaleKeys)
	v := verify.New(sf.store, ratelimit.NewMemory(), sf.clock, nil, verify.Config{})
	defer v.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	heap := liveHeap()
	go func() {
		defer close(done)
		v.RunFilter(ctx, verify.FilterConfig{}, slog.New(slog.DiscardHandler))
	}()
	defer func() { cancel(); <-done }()
	// Answers while the filter builds.
	if r, err := v.Verify(ctx, sf.caller, sf.keys[0].Key.Reveal(), ""); err != nil || r.Outcome != verify.Valid {
		t.Fatalf("a key during the build: %v %v", r.Outcome, err)
	}
	if took := time.Since(start); took > time.Second && !raceEnabled {
		t.Fatalf("first answer took %v", took)
	}
	keywaytest.Eventually(t, "the key filter", func() bool { return v.Stats().FilterReady })
	built := time.Since(start)
	st := v.Stats()
	t.Logf("filter over %d keys built in %v: %d KiB (live heap %+.1f MB)", len(sf.keys), built.Round(time.Millisecond),
		st.FilterBytes/1024, mb(int64(liveHeap())-int64(heap)))
	for _, k := range sf.keys[:1000] {
		if r, err := v.Verify(ctx, sf.caller, k.Key.Reveal(), ""); err != nil || r.Outcome != verify.Valid {
			t.Fatalf("a seeded key with the filter built: %v %v", r.Outcome, err)
		}
	}
	if bytesPerKey := float64(st.FilterBytes) / float64(len(sf.keys)); bytesPerKey > 8 && len(sf.keys) >= 100_000 {
		t.Fatalf("the filter costs %.1f bytes per key, want at most 8", bytesPerKey)
	}
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// rss is the process's resident set, from /proc (0 where there is none).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(fields[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// BenchmarkVerifyUnknown compares, in one run, a cached known key with a
// malformed key, an unknown well-formed key the filter refuses, and one
// remembered by the negative cache (no filter): ns/op and store reads per
// verification.
func BenchmarkVerifyUnknown(b *testing.B) {
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = keycrypt.NewKey("live_")
	}
	for _, c := range []struct {
		name   string
		filter bool
		key    func(known string, i int) string
	}{
		{"known-cached", false, func(known string, _ int) string { return known }},
		{"malformed", false, func(string, int) string { return "live_not a key" }},
		{"unknown-filter", true, func(_ string, i int) string { return keys[i%len(keys)] }},
		{"unknown-negative-cache", false, func(string, int) string { return keys[0] }},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(b)
			known := f.newKey(b, keyway.APIKeyCreate{}).Key
			if c.filter {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go f.verifier.RunFilter(ctx, verify.FilterConfig{}, slog.New(slog.DiscardHandler))
				keywaytest.Eventually(b, "the key filter", func() bool { return f.verifier.Stats().FilterReady })
			}
			f.verify(b, c.key(known.Reveal(), 0), "")
			ctx := context.Background()
			reads := f.store.reads.Load()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				f.verifier.Verify(ctx, f.caller, c.key(known.Reveal(), i), "")
			}
			b.StopTimer()
			b.ReportMetric(float64(f.store.reads.Load()-reads)/float64(b.N), "reads/op")
		})
	}
}

// A person in many accounts costs one filter question per unknown key, not
// one per account: the filter's "no" holds for all of them, and each
// question may wait for the other nodes.
func TestFilterAskedOncePerVerification(t *testing.T) {
	f := newFixture(t)
	f.runFilter(t)
	var syncs atomic.Int64
	f.verifier.SetPeerSync(func(context.Context) error { syncs.Add(1); return nil })
	person := &keyway.Caller{}
	for i := range 8 {
		person.Grants = append(person.Grants, keyway.Grant{AccountID: "account-" + strconv.Itoa(i), Role: keyway.RoleAdmin})
	}
	refusals := f.verifier.Stats().FilterRefusals
	reads := f.store.reads.Load()
	r, err := f.verifier.Verify(context.Background(), person, keycrypt.NewKey("live_"), "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome == verify.Valid {
		t.Fatal("an invented key verified")
	}
	if n, s, reads := f.verifier.Stats().FilterRefusals-refusals, syncs.Load(), f.store.reads.Load()-reads; n != 1 || s != 1 || reads != 0 {
		t.Fatalf("one unknown key for a person in 8 accounts: %d filter refusals, %d peer syncs, %d reads; want 1, 1, 0", n, s, reads)
	}
}
