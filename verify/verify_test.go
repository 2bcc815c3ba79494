package verify_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/verify"
)

// countingStore is a real store that counts the reads the verifier makes
// and can hold an API-key read until released.
type countingStore struct {
	keyway.Store
	reads atomic.Int64
	// gate, when set, is waited on by every API-key read.
	gate    chan struct{}
	entered chan struct{}

	digestReads               atomic.Int64
	digestGate, digestEntered chan struct{}
}

func (c *countingStore) APIKeysForVerification(ctx context.Context, keys []keyway.AccountKey) ([]keyway.VerificationKey, error) {
	c.reads.Add(1)
	if c.gate != nil {
		c.entered <- struct{}{}
		<-c.gate
	}
	return c.Store.APIKeysForVerification(ctx, keys)
}

// APIKeyDigests is the filter's build: counted apart from the reads of
// verification, and held at digestGate when set.
func (c *countingStore) APIKeyDigests(ctx context.Context, after []byte, limit int) ([][32]byte, error) {
	c.digestReads.Add(1)
	if c.digestGate != nil {
		c.digestEntered <- struct{}{}
		<-c.digestGate
	}
	return c.Store.APIKeyDigests(ctx, after, limit)
}

func (c *countingStore) AccessKey(ctx context.Context, key string) (*keyway.AccessKey, error) {
	c.reads.Add(1)
	return c.Store.AccessKey(ctx, key)
}

func (c *countingStore) Project(ctx context.Context, id string) (*keyway.Project, error) {
	c.reads.Add(1)
	return c.Store.Project(ctx, id)
}

func (c *countingStore) Account(ctx context.Context, id string) (*keyway.Account, error) {
	c.reads.Add(1)
	return c.Store.Account(ctx, id)
}

type fixture struct {
	store    *countingStore
	verifier *verify.Verifier
	svc      *service.Service
	clock    *keywaytest.Clock
	caller   *keyway.Caller
	project  *keyway.Project
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureOn(t, keywaytest.SQLiteURL(t))
}

func newFixtureOn(t testing.TB, dbURL string) *fixture {
	t.Helper()
	return newFixtureOnWith(t, dbURL, verify.Config{})
}

func newFixtureWith(t testing.TB, cfg verify.Config) *fixture {
	t.Helper()
	return newFixtureOnWith(t, keywaytest.SQLiteURL(t), cfg)
}

func newFixtureOnWith(t testing.TB, dbURL string, cfg verify.Config) *fixture {
	t.Helper()
	sealer, err := keycrypt.NewSealer(keycrypt.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), dbURL, sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{store: &countingStore{Store: st}, clock: keywaytest.NewClock()}
	f.verifier = verify.New(f.store, ratelimit.NewMemory(), f.clock, st, cfg)
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

func (f *fixture) newKey(t testing.TB, in keyway.APIKeyCreate) *keyway.APIKey {
	t.Helper()
	in.ProjectID = f.project.ID
	if in.Name == "" {
		in.Name = "k"
	}
	k, err := f.svc.CreateAPIKey(context.Background(), f.caller, &in)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *fixture) verify(t testing.TB, key, origin string) verify.Result {
	t.Helper()
	r, err := f.verifier.Verify(context.Background(), f.caller, key, origin)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCachedVerificationReadsNothing(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{})
	if r := f.verify(t, k.Key.Reveal(), ""); r.Outcome != verify.Valid {
		t.Fatalf("first verify: %v", r.Outcome)
	}
	before := f.store.reads.Load()
	for range 100 {
		if r := f.verify(t, k.Key.Reveal(), ""); r.Outcome != verify.Valid {
			t.Fatalf("verify: %v", r.Outcome)
		}
	}
	if n := f.store.reads.Load() - before; n != 0 {
		t.Fatalf("100 cached verifications made %d store reads", n)
	}
}

func TestInvalidationIsImmediate(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{})
	f.verify(t, k.Key.Reveal(), "")
	if _, err := f.svc.DeleteAPIKey(context.Background(), f.caller, k.Key.Reveal()); err != nil {
		t.Fatal(err)
	}
	if r := f.verify(t, k.Key.Reveal(), ""); r.Outcome != verify.Invalid {
		t.Fatalf("revoked key: %v, want Invalid", r.Outcome)
	}
	if _, err := f.svc.ReactivateAPIKey(context.Background(), f.caller, k.Key.Reveal(), nil); err != nil {
		t.Fatal(err)
	}
	if r := f.verify(t, k.Key.Reveal(), ""); r.Outcome != verify.Valid {
		t.Fatalf("reactivated key: %v, want Valid", r.Outcome)
	}
	if _, err := f.svc.DeleteProject(context.Background(), f.caller, f.project.ID); err != nil {
		t.Fatal(err)
	}
	if r := f.verify(t, k.Key.Reveal(), ""); r.Outcome != verify.Invalid {
		t.Fatalf("key of deleted project: %v, want Invalid", r.Outcome)
	}
}

func TestNegativeCacheExpires(t *testing.T) {
	f := newFixture(t)
	unknown := keycrypt.NewKey("live_")
	f.verify(t, unknown, "")
	before := f.store.reads.Load()
	f.verify(t, unknown, "")
	if n := f.store.reads.Load() - before; n != 0 {
		t.Fatalf("unknown key re-read within the negative TTL: %d reads", n)
	}
	f.clock.Advance(6 * time.Second)
	f.verify(t, unknown, "")
	if n := f.store.reads.Load() - before; n != 1 {
		t.Fatalf("unknown key after the negative TTL: %d reads, want 1", n)
	}
}

// A load that began before an invalidation must not put its (possibly
// stale) answer in the cache.
func TestLoadRacingInvalidationIsNotCached(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{})
	f.store.gate, f.store.entered = make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.verifier.Verify(context.Background(), f.caller, k.Key.Reveal(), "")
	}()
	<-f.store.entered
	f.verifier.APIKeyChanged(k.AccountID, k.Key.Reveal())
	close(f.store.gate)
	<-done
	f.store.gate = nil
	before := f.store.reads.Load()
	f.verify(t, k.Key.Reveal(), "")
	if f.store.reads.Load() == before {
		t.Fatal("an answer loaded before the invalidation was served from the cache")
	}
}

func TestConcurrentMissesShareOneLoad(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{})
	f.store.gate, f.store.entered = make(chan struct{}), make(chan struct{}, 100)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.verifier.Verify(context.Background(), f.caller, k.Key.Reveal(), "")
		}()
	}
	<-f.store.entered
	// Give the other goroutines every chance to start a second load; with
	// singleflight they wait on the first instead.
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) && len(f.store.entered) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	close(f.store.gate)
	wg.Wait()
	if n := len(f.store.entered); n != 0 {
		t.Fatalf("%d extra loads for one key", n)
	}
}

func TestExpiryAndOrigin(t *testing.T) {
	f := newFixture(t)
	exp := keyway.NewTime(f.clock.Now().Add(time.Hour))
	k := f.newKey(t, keyway.APIKeyCreate{Expiry: &exp, AllowedDomains: []string{"*.example.com", "api.other.org"}})
	for origin, want := range map[string]verify.Outcome{
		"":                         verify.Valid,
		"example.com":              verify.Valid,
		"a.b.example.com":          verify.Valid,
		"https://App.Example.com/": verify.Valid,
		"api.other.org:8443":       verify.Valid,
		"other.org":                verify.OriginDenied,
		"badexample.com":           verify.OriginDenied,
		"example.com.evil.net":     verify.OriginDenied,
	} {
		if r := f.verify(t, k.Key.Reveal(), origin); r.Outcome != want {
			t.Errorf("origin %q: %v, want %v", origin, r.Outcome, want)
		}
	}
	f.clock.Advance(time.Hour)
	if r := f.verify(t, k.Key.Reveal(), ""); r.Outcome != verify.Invalid {
		t.Fatalf("expired key: %v, want Invalid", r.Outcome)
	}
}

func TestVerifyCachedAllocations(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{RateLimitConfigs: &keyway.RateLimit{RateLimit: 1 << 30, RateLimitTTL: 60}})
	plain := f.newKey(t, keyway.APIKeyCreate{})
	f.verify(t, k.Key.Reveal(), "")
	f.verify(t, plain.Key.Reveal(), "")
	for _, c := range []struct {
		name string
		key  string
	}{{"plain", plain.Key.Reveal()}, {"rate-limited", k.Key.Reveal()}} {
		n := testing.AllocsPerRun(1000, func() {
			f.verifier.Verify(context.Background(), f.caller, c.key, "")
		})
		if n >= 5 {
			t.Errorf("%s: %v allocations per cached verification, want under 5", c.name, n)
		}
	}
}

func BenchmarkVerifyCached(b *testing.B) {
	f := newFixture(b)
	k := f.newKey(b, keyway.APIKeyCreate{})
	f.verify(b, k.Key.Reveal(), "")
	before := f.store.reads.Load()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		f.verifier.Verify(ctx, f.caller, k.Key.Reveal(), "")
	}
	b.StopTimer()
	if n := f.store.reads.Load() - before; n != 0 {
		b.Fatalf("%d store reads during the benchmark", n)
	}
}

func BenchmarkVerifyCachedParallel(b *testing.B) {
	f := newFixture(b)
	k := f.newKey(b, keyway.APIKeyCreate{RateLimitConfigs: &keyway.RateLimit{RateLimit: 1 << 30, RateLimitTTL: 3600}})
	f.verify(b, k.Key.Reveal(), "")
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f.verifier.Verify(ctx, f.caller, k.Key.Reveal(), "")
		}
	})
}

func TestImplausibleKeysAreNotLookedUp(t *testing.T) {
	f := newFixture(t)
	huge := strings.Repeat("a", keyway.MaxCustomKeyLen+1)
	before := f.store.reads.Load()
	if r := f.verify(t, huge, ""); r.Outcome != verify.Invalid {
		t.Fatalf("huge key: %v, want Invalid", r.Outcome)
	}
	if r := f.verify(t, "", ""); r.Outcome != verify.Invalid {
		t.Fatalf("empty key: %v, want Invalid", r.Outcome)
	}
	if _, err := f.verifier.Authenticate(context.Background(), huge); err != keyway.ErrUnauthorized {
		t.Fatalf("huge credential: %v, want ErrUnauthorized", err)
	}
	if n := f.store.reads.Load() - before; n != 0 {
		t.Fatalf("%d store reads for strings no key can be", n)
	}
}

// Another node names a changed key by digest; the cached answer goes.
func TestForgetDigests(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{})
	other := f.newKey(t, keyway.APIKeyCreate{})
	f.verify(t, k.Key.Reveal(), "")
	f.verify(t, other.Key.Reveal(), "")
	before := f.store.reads.Load()
	f.verifier.ForgetDigests(keycrypt.AccountKeyHash(k.AccountID, k.Key.Reveal()))
	f.verify(t, other.Key.Reveal(), "")
	if n := f.store.reads.Load() - before; n != 0 {
		t.Fatalf("forgetting one key reloaded another (%d reads)", n)
	}
	f.verify(t, k.Key.Reveal(), "")
	if f.store.reads.Load() == before {
		t.Fatal("the forgotten key was still answered from the cache")
	}
	if st := f.verifier.Stats(); st.RemoteInvalidations != 1 {
		t.Fatalf("remote invalidations %d, want 1", st.RemoteInvalidations)
	}
}

// While the invalidation channel is down, a cached answer lives at most
// the degraded TTL; when it is back, the cache starts over.
func TestDegradedBoundsStaleness(t *testing.T) {
	f := newFixture(t)
	k := f.newKey(t, keyway.APIKeyCreate{})
	f.verifier.SetDegraded(true)
	f.verify(t, k.Key.Reveal(), "")
	before := f.store.reads.Load()
	f.clock.Advance(900 * time.Millisecond)
	f.verify(t, k.Key.Reveal(), "")
	if f.store.reads.Load() != before {
		t.Fatal("reloaded within the degraded TTL")
	}
	f.clock.Advance(200 * time.Millisecond)
	f.verify(t, k.Key.Reveal(), "")
	if f.store.reads.Load() == before {
		t.Fatal("served past the degraded TTL")
	}
	if !f.verifier.Stats().Degraded {
		t.Fatal("stats do not show the degraded state")
	}
	f.verifier.SetDegraded(false)
	before = f.store.reads.Load()
	f.verify(t, k.Key.Reveal(), "")
	if f.store.reads.Load() == before {
		t.Fatal("coming back did not start the cache over")
	}
	before = f.store.reads.Load()
	f.clock.Advance(30 * time.Second)
	f.verify(t, k.Key.Reveal(), "")
	if f.store.reads.Load() != before {
		t.Fatal("after recovery, entries still expire at the degraded TTL")
	}
}

// BenchmarkVerifyCold measures a verification whose answer is not cached:
// every iteration drops the key from the cache first, so it pays the store
// reads (key, project, account) and the JSON encoding, per engine.
func BenchmarkVerifyCold(b *testing.B) {
	engines := map[string]func(b *testing.B) string{"sqlite": func(b *testing.B) string { return keywaytest.SQLiteURL(b) }}
	if base := os.Getenv(keywaytest.PostgresEnv); base != "" {
		engines["postgres"] = func(b *testing.B) string { return keywaytest.PostgresURL(b, base) }
	}
	for _, name := range []string{"sqlite", "postgres"} {
		fresh, ok := engines[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			f := newFixtureOn(b, fresh(b))
			k := f.newKey(b, keyway.APIKeyCreate{})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				f.verifier.APIKeyChanged(k.AccountID, k.Key.Reveal())
				if r, _ := f.verifier.Verify(ctx, f.caller, k.Key.Reveal(), ""); r.Outcome != verify.Valid {
					b.Fatalf("outcome %v", r.Outcome)
				}
			}
		})
	}
}
