// Package verify answers the hot path: is this API key valid for this
// caller, right now, from this origin, within its rate limit? It also
// authenticates management credentials. Both are served from in-process
// caches so that, in the steady state, no request touches the database;
// every write that could change an answer invalidates the cache (Invalidator).
package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// Outcome is the verdict on one verification.
type Outcome uint8

const (
	// Valid: the key may be used.
	Valid Outcome = iota
	// Invalid covers unknown, revoked, expired, out-of-scope and malformed
	// keys alike, so a caller learns nothing about keys it cannot use.
	Invalid
	// OriginDenied: the origin is not in the key's allowed domains.
	OriginDenied
	// RateLimited: the key's window is used up.
	RateLimited
)

// Result is the answer to one verification. Body is shared and must not be
// modified.
type Result struct {
	Outcome Outcome
	// Body is the pre-encoded ApiKey JSON when the key was found.
	Body []byte
	Key  *keyway.APIKey
	// Rate is set when the key has a rate limit.
	Rate    keyway.RateResult
	HasRate bool
}

// Config tunes the caches. Zero values take the defaults.
type Config struct {
	// PositiveTTL bounds how long a cached answer may live without an
	// invalidation; on one node invalidation is immediate, so this only
	// matters when invalidations can be missed.
	PositiveTTL time.Duration
	// NegativeTTL is how long an unknown key is remembered as unknown.
	NegativeTTL time.Duration
	// DegradedTTL bounds an entry's life while the invalidation channel to
	// other nodes is down, so a missed invalidation is stale at most this long.
	DegradedTTL time.Duration
	MaxEntries  int
}

func (c *Config) defaults() {
	if c.PositiveTTL <= 0 {
		c.PositiveTTL = time.Minute
	}
	if c.NegativeTTL <= 0 {
		c.NegativeTTL = 5 * time.Second
	}
	if c.DegradedTTL <= 0 {
		c.DegradedTTL = time.Second
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = 1 << 20
	}
}

// Verifier implements verification and credential checks over a Store.
type Verifier struct {
	store   keyway.Store
	limiter keyway.RateLimiter
	clock   keyway.Clock
	usage   *usageBuffer
	cfg     Config

	keys   *cache[keyEntry]
	access *cache[accessEntry]
	// gen counts invalidations. A load records it before reading the store
	// and only fills the cache if no invalidation happened meanwhile, so a
	// slow load can never put back an answer a write has just dropped.
	gen   atomic.Uint64
	group singleflight.Group
	// degraded is set while invalidations from other nodes may be missed.
	degraded atomic.Bool
	stats    counters
}

// counters are read by the metrics exporter; the hot path only adds.
type counters struct {
	outcomes      [RateLimited + 1]atomic.Uint64
	remoteInvalid atomic.Uint64
}

// Stats is a snapshot of the verifier's counters since start.
type Stats struct {
	// Key cache (API keys) and credential cache (access keys).
	KeyHits, KeyMisses       uint64
	AccessHits, AccessMisses uint64
	// Outcomes counts verifications by outcome (index: Outcome).
	Outcomes [RateLimited + 1]uint64
	// RemoteInvalidations counts invalidations received from other nodes.
	RemoteInvalidations uint64
	Degraded            bool
}

func (v *Verifier) Stats() Stats {
	st := Stats{
		KeyHits: v.keys.hits.Load(), KeyMisses: v.keys.misses.Load(),
		AccessHits: v.access.hits.Load(), AccessMisses: v.access.misses.Load(),
		RemoteInvalidations: v.stats.remoteInvalid.Load(), Degraded: v.degraded.Load(),
	}
	for i := range st.Outcomes {
		st.Outcomes[i] = v.stats.outcomes[i].Load()
	}
	return st
}

// String names an outcome for logs and metrics.
func (o Outcome) String() string {
	switch o {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	case OriginDenied:
		return "origin_denied"
	case RateLimited:
		return "rate_limited"
	}
	return "unknown"
}

// keyEntry is everything needed to answer for one key string.
type keyEntry struct {
	found bool
	// usable folds in the key's, its project's and its account's active
	// state; expiry is checked per request against the clock.
	usable bool
	key    *keyway.APIKey
	body   []byte
	// bucket identifies the key's rate-limit window by its stable row id,
	// so rotating a key does not hand it a fresh window.
	bucket [32]byte
	usage  *usageCounters
}

type accessEntry struct {
	caller *keyway.Caller // nil when the credential is not valid
	limit  *keyway.RateLimit
	bucket [32]byte
}

var _ keyway.Invalidator = (*Verifier)(nil)

func New(store keyway.Store, limiter keyway.RateLimiter, clock keyway.Clock, usage keyway.UsageStore, cfg Config) *Verifier {
	cfg.defaults()
	return &Verifier{
		store:   store,
		limiter: limiter,
		clock:   clock,
		usage:   newUsageBuffer(usage),
		cfg:     cfg,
		keys:    newCache[keyEntry](cfg.MaxEntries),
		access:  newCache[accessEntry](cfg.MaxEntries),
	}
}

// Verify checks key for caller. origin is the x-origin-domain header, ""
// when absent. Only a store failure on a cache miss returns an error.
func (v *Verifier) Verify(ctx context.Context, caller *keyway.Caller, key, origin string) (Result, error) {
	r, err := v.verify(ctx, caller, key, origin)
	if err == nil {
		v.stats.outcomes[r.Outcome].Add(1)
	}
	return r, err
}

func (v *Verifier) verify(ctx context.Context, caller *keyway.Caller, key, origin string) (Result, error) {
	now := v.clock.Now()
	e, err := v.keyEntry(ctx, key, now)
	if err != nil {
		return Result{}, err
	}
	if !e.found || !inScope(caller, e.key) {
		// Unknown to the caller: counted for its account, not for a key.
		if a := singleAccount(caller); a != "" {
			v.usage.unknownFor(a).fail(now)
		}
		return Result{Outcome: Invalid}, nil
	}
	if !e.usable || e.key.Expired(keyway.Time{Time: now}) {
		e.usage.fail(now)
		return Result{Outcome: Invalid}, nil
	}
	res := Result{Outcome: Valid, Body: e.body, Key: e.key}
	lim := e.key.RateLimit
	if origin != "" && !keyway.DomainAllowed(e.key.AllowedDomains, origin) {
		res.Outcome = OriginDenied
		if lim != nil {
			res.Rate, err = v.limiter.Peek(ctx, e.bucket, *lim, now)
			res.HasRate = err == nil
		}
		e.usage.fail(now)
		return res, nil
	}
	if lim != nil {
		res.Rate, err = v.limiter.Take(ctx, e.bucket, *lim, now)
		if err != nil {
			return Result{}, fmt.Errorf("rate limit: %w", err)
		}
		res.HasRate = true
		if !res.Rate.Allowed {
			res.Outcome = RateLimited
			e.usage.limit(now)
			return res, nil
		}
	}
	e.usage.success(now)
	return res, nil
}

// plausibleKey rejects, without a lookup or a cache entry, strings no key
// can be: a flood of huge random keys must not fill the negative cache.
func plausibleKey(s string) bool { return s != "" && len(s) <= keyway.MaxCustomKeyLen }

// singleAccount is the account every grant of the caller is in, "" when
// they span several (a person in two accounts): unknown-key attempts are
// counted for an account only when it is unambiguous.
func singleAccount(c *keyway.Caller) string {
	if c == nil || len(c.Grants) == 0 {
		return ""
	}
	a := c.Grants[0].AccountID
	for _, g := range c.Grants[1:] {
		if g.AccountID != a {
			return ""
		}
	}
	return a
}

func inScope(c *keyway.Caller, k *keyway.APIKey) bool {
	return c.Role(k.AccountID, k.ProjectID) != ""
}

func (v *Verifier) keyEntry(ctx context.Context, key string, now time.Time) (*keyEntry, error) {
	return lookup(v, v.keys, "k", key, now, func() (*keyEntry, bool, error) {
		e, err := v.loadKey(ctx, key)
		return e, err == nil && e.found, err
	})
}

// lookup answers from c, or loads on a miss. Concurrent misses for one key
// share a single load (singleflight), and the flight is per invalidation
// generation: a caller arriving after an invalidation must not join a load
// that started before it, nor may such a load fill the cache. load reports
// whether its entry is positive, which decides the entry's TTL. Strings no
// key can be get the zero entry without a load or a cache slot.
func lookup[E any](v *Verifier, c *cache[E], kind, key string, now time.Time, load func() (*E, bool, error)) (*E, error) {
	if e, ok := c.get(key, now); ok {
		c.hits.Add(1)
		return e, nil
	}
	c.misses.Add(1)
	if !plausibleKey(key) {
		return new(E), nil
	}
	gen := v.gen.Load()
	r, err, _ := v.group.Do(kind+strconv.FormatUint(gen, 36)+":"+key, func() (any, error) {
		e, positive, err := load()
		if err != nil {
			return nil, err
		}
		ttl := v.cfg.NegativeTTL
		if positive {
			ttl = v.cfg.PositiveTTL
		}
		if v.degraded.Load() {
			ttl = min(ttl, v.cfg.DegradedTTL)
		}
		if v.gen.Load() == gen {
			c.put(key, e, now.Add(ttl))
		}
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return r.(*E), nil
}

func (v *Verifier) loadKey(ctx context.Context, key string) (*keyEntry, error) {
	k, ownersActive, err := v.store.APIKeyForVerification(ctx, key)
	if errors.Is(err, keyway.ErrAPIKeyNotFound) {
		return &keyEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load api key: %w", err)
	}
	// The cached answer would freeze lastUsedAt, which every flush moves
	// on: verification answers leave it out.
	k.LastUsedAt = nil
	body, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("encode api key: %w", err)
	}
	return &keyEntry{found: true, usable: k.IsActive && ownersActive, key: k, body: body,
		bucket: keycrypt.HashKey("api-key:" + k.ID), usage: v.usage.counters(k)}, nil
}

// ownersActive reports whether an account and (if given) a project are
// both active.
func (v *Verifier) ownersActive(ctx context.Context, accountID, projectID string) (bool, error) {
	if projectID != "" {
		p, err := v.store.Project(ctx, projectID)
		if errors.Is(err, keyway.ErrProjectNotFound) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("load project: %w", err)
		}
		if !p.IsActive || p.AccountID != accountID {
			return false, nil
		}
	}
	a, err := v.store.Account(ctx, accountID)
	if errors.Is(err, keyway.ErrAccountNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load account: %w", err)
	}
	return a.IsActive, nil
}

// Authenticate resolves a management credential to its caller. An unknown
// or inactive credential, or one whose account or project is gone, is
// keyway.ErrUnauthorized.
func (v *Verifier) Authenticate(ctx context.Context, credential string) (*keyway.Caller, error) {
	e, err := v.accessEntry(ctx, credential)
	if err != nil {
		return nil, err
	}
	if e.caller == nil {
		return nil, keyway.ErrUnauthorized
	}
	return e.caller, nil
}

// Limit consumes one management call from the caller's own rate limit, if
// its access key has one. ok is false when the limit is used up.
func (v *Verifier) Limit(ctx context.Context, credential string) (res keyway.RateResult, limited bool, err error) {
	e, err := v.accessEntry(ctx, credential)
	if err != nil || e.limit == nil {
		return keyway.RateResult{}, false, err
	}
	res, err = v.limiter.Take(ctx, e.bucket, *e.limit, v.clock.Now())
	return res, true, err
}

func (v *Verifier) accessEntry(ctx context.Context, credential string) (*accessEntry, error) {
	return lookup(v, v.access, "a", credential, v.clock.Now(), func() (*accessEntry, bool, error) {
		e, err := v.loadAccess(ctx, credential)
		return e, err == nil && e.caller != nil, err
	})
}

func (v *Verifier) loadAccess(ctx context.Context, credential string) (*accessEntry, error) {
	k, err := v.store.AccessKey(ctx, credential)
	if errors.Is(err, keyway.ErrAccessKeyNotFound) {
		return &accessEntry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load access key: %w", err)
	}
	if !k.IsActive {
		return &accessEntry{}, nil
	}
	projectID := ""
	if k.ProjectID != nil {
		projectID = *k.ProjectID
	}
	ok, err := v.ownersActive(ctx, k.AccountID, projectID)
	if err != nil || !ok {
		return &accessEntry{}, err
	}
	return &accessEntry{
		caller: keyway.AccessKeyCaller(k),
		limit:  k.Limit(),
		bucket: keycrypt.HashKey("access-key:" + credential),
	}, nil
}

// APIKeyChanged drops the cached answers for the given key strings.
func (v *Verifier) APIKeyChanged(keys ...string) {
	v.gen.Add(1)
	for _, k := range keys {
		v.keys.delete(k)
	}
}

// ForgetDigests drops the cached answers for keys changed on another node,
// which names them by SHA-256 digest.
func (v *Verifier) ForgetDigests(digests ...keycrypt.Hash) {
	v.stats.remoteInvalid.Add(1)
	v.gen.Add(1)
	for _, h := range digests {
		v.keys.deleteDigest(h)
	}
}

// ForgetAll drops every cached answer after a scope change on another node.
func (v *Verifier) ForgetAll() {
	v.stats.remoteInvalid.Add(1)
	v.ScopeChanged()
}

// SetDegraded is told when the invalidation channel goes down (true) and
// comes back (false). Both drop the whole cache: going down, because
// messages may already have been missed; coming back, to catch up on what
// was missed meanwhile. While degraded, entries live at most DegradedTTL.
func (v *Verifier) SetDegraded(down bool) {
	v.degraded.Store(down)
	v.ScopeChanged()
}

// ScopeChanged drops every cached answer: a project, account or access key
// change can affect any number of keys, and such changes are rare.
func (v *Verifier) ScopeChanged() {
	v.gen.Add(1)
	v.keys.clear()
	v.access.clear()
}

// Public answers for the verification outcomes, shared by every transport.
var (
	ErrInvalidKey   = keyway.Errorf(keyway.CodeNotFound, "Invalid client key")
	ErrOriginDenied = keyway.Errorf(keyway.CodeForbidden, "Origin domain is not allowed for this API key")
	ErrTooManyCalls = keyway.Errorf(keyway.CodeRateLimited, "Too many requests")
)

// Err is the outcome as an error, nil when the key is valid.
func (r Result) Err() error {
	switch r.Outcome {
	case Valid:
		return nil
	case OriginDenied:
		return ErrOriginDenied
	case RateLimited:
		return ErrTooManyCalls
	default:
		return ErrInvalidKey
	}
}
