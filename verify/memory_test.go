package verify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/ratelimit"
	"github.com/keywayhq/keyway/verify"
)

// syntheticStore answers verification reads for keys it makes up from the
// key string, so that measuring the cache measures the cache and not a
// database driver's buffers.
type syntheticStore struct {
	keyway.Store
	account, project string
}

func syntheticKey(i int) string {
	return fmt.Sprintf("live_mem_%010d_%s", i, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM")
}

func (s *syntheticStore) APIKeysForVerification(_ context.Context, keys []keyway.AccountKey) ([]keyway.VerificationKey, error) {
	out := make([]keyway.VerificationKey, len(keys))
	created := keyway.NewTime(time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC))
	for i, ak := range keys {
		k := ak.Key
		out[i] = keyway.VerificationKey{OwnersActive: true, Key: &keyway.APIKey{
			ID: fmt.Sprintf("019ac3f2-7a10-7%03x-8%03x-%012x", i%4096, i%4096, i), AccountID: s.account, ProjectID: s.project,
			Key: k, Name: ("customer " + k[9:19]).Reveal(), Env: keyway.EnvLive, CustomMetaData: json.RawMessage(`{"plan":"pro"}`),
			IsActive: true, AllowedDomains: []string{}, CreationContext: json.RawMessage(`{}`), CreatedAt: created, UpdatedAt: created,
		}}
	}
	return out, nil
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A cached, used key costs at most 700 bytes of live heap: its entry, its
// answer, the cache's node for it and a minute of usage counters. A
// million keys then fit in well under a gigabyte.
func TestCachedKeyMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory is part of every allocation")
	}
	const n = 100_000
	clock := keywaytest.NewClock()
	st := &syntheticStore{account: "019ac3f2-0000-7000-8000-00000000acc0", project: "019ac3f2-0000-7000-8000-0000000090e1"}
	caller := &keyway.Caller{Grants: []keyway.Grant{{AccountID: st.account, Role: keyway.RoleAdmin}}}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = syntheticKey(i)
	}
	v := verify.New(st, ratelimit.NewMemory(), clock, nil, verify.Config{})
	defer v.Close()
	ctx := context.Background()
	// One key first, so that what every cache has once (its tables'
	// first allocations, the owner of the project) is not counted per key.
	if r, err := v.Verify(ctx, caller, syntheticKey(n), ""); err != nil || r.Outcome != verify.Valid {
		t.Fatalf("verify: %v %v", r.Outcome, err)
	}
	before := liveHeap()
	for _, k := range keys {
		if r, err := v.Verify(ctx, caller, k, ""); err != nil || r.Outcome != verify.Valid {
			t.Fatalf("verify: %v %v", r.Outcome, err)
		}
	}
	after := liveHeap()
	st2 := v.Stats()
	if st2.KeyEntries < n {
		t.Fatalf("%d keys cached, want %d", st2.KeyEntries, n)
	}
	answer := len(verifyAnswer(t, v, caller, keys[0]))
	perKey := float64(after-before) / n
	t.Logf("%d cached and used keys: %.0f bytes of live heap each (answer %d bytes; the cache weighs them %d bytes each)",
		n, perKey, answer, st2.KeyBytes/uint64(st2.KeyEntries))
	if perKey > 700 {
		t.Errorf("a cached key costs %.0f bytes of live heap, want at most 700", perKey)
	}
	runtime.KeepAlive(keys)
}

func verifyAnswer(t *testing.T, v *verify.Verifier, c *keyway.Caller, key string) []byte {
	t.Helper()
	r, err := v.Verify(context.Background(), c, key, "")
	if err != nil {
		t.Fatal(err)
	}
	return r.Answer()
}
