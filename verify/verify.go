// Package verify answers the hot path: is this API key valid for this
// caller, right now, from this origin, within its rate limit? It also
// authenticates management credentials. Both are served from in-process
// caches so that, in the steady state, no request touches the database;
// every write that could change an answer invalidates the cache (Invalidator).
package verify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
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

// Result is the answer to one verification.
type Result struct {
	Outcome Outcome
	// Rate is set when the key has a rate limit.
	Rate    keyway.RateResult
	HasRate bool

	// The answer, when the key was found: written by WriteAnswer.
	key   string
	entry *keyEntry
}

// WriteAnswer writes the ApiKey JSON of a found key to w; it writes
// nothing for a key that was not found.
func (r Result) WriteAnswer(w io.Writer) {
	if r.entry != nil {
		r.entry.writeAnswer(w, r.key)
	}
}

// Answer is the ApiKey JSON of a found key, nil otherwise.
func (r Result) Answer() []byte {
	if r.entry == nil {
		return nil
	}
	return r.entry.appendAnswer(nil, r.key)
}

// APIKey decodes the answer of a found key.
func (r Result) APIKey() (*keyway.APIKey, error) {
	var k keyway.APIKey
	if err := json.Unmarshal(r.Answer(), &k); err != nil {
		return nil, fmt.Errorf("decode verified key: %w", err)
	}
	return &k, nil
}

// Config tunes the caches. Zero values take the defaults.
type Config struct {
	// MaxBytes bounds the memory of cached keys: about 650 bytes for a key
	// with a little custom metadata, more with more.
	MaxBytes int64
	// RefreshInterval is how long after its load a cached key's next use
	// reloads it in the background. Invalidations, local and from other
	// nodes, are what keep answers current; this only bounds how long an
	// answer could be wrong if one were ever missed.
	RefreshInterval time.Duration
	// MaxAge bounds how long an entry is served at all without a reload;
	// keys busy enough to be refreshed never reach it.
	MaxAge time.Duration
	// NegativeTTL is how long an unknown key is remembered as unknown.
	NegativeTTL time.Duration
	// MaxUnknown bounds how many unknown keys are remembered.
	MaxUnknown int
	// DegradedTTL bounds an entry's life while the invalidation channel to
	// other nodes is down, so a missed invalidation is stale at most this long.
	DegradedTTL time.Duration
	// Loaders is how many goroutines read cache misses from the store at
	// once, each a batch of misses per query.
	Loaders int
	// Flush tunes how usage reaches the store.
	Flush FlushConfig
}

// DefaultMaxBytes is the default bound of the key cache: room for about
// 1.6 million typical keys.
const DefaultMaxBytes = 1 << 30

// DefaultRefreshInterval is how long after its load a cached key's next
// use reloads it in the background, when Config does not say.
const DefaultRefreshInterval = 10 * time.Minute

func (c *Config) defaults() {
	c.MaxBytes = cmp.Or(c.MaxBytes, DefaultMaxBytes)
	c.RefreshInterval = cmp.Or(c.RefreshInterval, DefaultRefreshInterval)
	c.MaxAge = cmp.Or(c.MaxAge, 3*c.RefreshInterval)
	c.NegativeTTL = cmp.Or(c.NegativeTTL, 5*time.Second)
	c.MaxUnknown = cmp.Or(c.MaxUnknown, 100_000)
	c.DegradedTTL = cmp.Or(c.DegradedTTL, time.Second)
	c.Loaders = cmp.Or(c.Loaders, 4)
}

// Verifier implements verification and credential checks over a Store.
type Verifier struct {
	store   keyway.Store
	limiter keyway.RateLimiter
	clock   keyway.Clock
	usage   *usageBuffer
	cfg     Config

	keys   *keyCache
	loads  *loader
	owners owners
	gens   generations

	access *otter.Cache[string, *accessEntry]
	// accessGen counts invalidations of access entries, as gens does keys.
	accessGen                atomic.Uint64
	group                    singleflight.Group
	accessHits, accessMisses atomic.Uint64

	// filter holds the digest of every key, once built (RunFilter), so
	// that an unknown key is refused without a store read; peerSync, when
	// set, waits for other nodes' invalidations (SetPeerSync).
	filter   keyFilter
	peerSync atomic.Pointer[func(context.Context) error]

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
	// KeyEntries and KeyBytes are the cached keys and their weight;
	// UnknownEntries the keys remembered as unknown.
	KeyEntries, UnknownEntries int
	KeyBytes                   uint64
	// Outcomes counts verifications by outcome (index: Outcome).
	Outcomes [RateLimited + 1]uint64
	// RemoteInvalidations counts invalidations received from other nodes.
	RemoteInvalidations uint64
	Degraded            bool
	// FilterReady is whether the membership filter is built and trusted;
	// FilterBytes its memory, FilterBuilds how often it was built and
	// FilterRefusals the keys it refused without a read.
	FilterReady                  bool
	FilterBytes                  int
	FilterBuilds, FilterRefusals uint64
}

func (v *Verifier) Stats() Stats {
	st := Stats{
		KeyHits: v.keys.hits.Load(), KeyMisses: v.keys.misses.Load(),
		AccessHits: v.accessHits.Load(), AccessMisses: v.accessMisses.Load(),
		KeyEntries: v.keys.known.EstimatedSize(), UnknownEntries: v.keys.unknown.EstimatedSize(),
		KeyBytes:            v.keys.known.WeightedSize(),
		RemoteInvalidations: v.stats.remoteInvalid.Load(), Degraded: v.degraded.Load(),
	}
	for i := range st.Outcomes {
		st.Outcomes[i] = v.stats.outcomes[i].Load()
	}
	if f := v.filter.cur.Load(); f != nil {
		st.FilterReady, st.FilterBytes = true, f.bytes()
	}
	st.FilterBuilds, st.FilterRefusals = v.filter.builds.Load(), v.filter.refusals.Load()
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

type accessEntry struct {
	caller *keyway.Caller // nil when the credential is not valid
	limit  *keyway.RateLimit
	bucket [32]byte
	// validUntil is the epoch ms past which the entry is loaded again.
	validUntil int64
}

var _ keyway.Invalidator = (*Verifier)(nil)

func New(store keyway.Store, limiter keyway.RateLimiter, clock keyway.Clock, usage keyway.UsageStore, cfg Config) *Verifier {
	cfg.defaults()
	v := &Verifier{
		store:   store,
		limiter: limiter,
		clock:   clock,
		usage:   newUsageBuffer(usage, cfg.Flush),
		cfg:     cfg,
		keys:    newKeyCache(uint64(cfg.MaxBytes), cfg.MaxUnknown, cfg.NegativeTTL),
		access:  otter.Must(&otter.Options[string, *accessEntry]{MaximumSize: 100_000}),
	}
	v.loads = newLoader(v, cfg.Loaders)
	v.filter.rebuild = make(chan struct{}, 1)
	return v
}

// Close stops the caches' background work.
func (v *Verifier) Close() {
	v.keys.close()
	v.access.StopAllGoroutines()
}

// Verify checks key for caller. origin is the x-origin-domain header, ""
// when absent. Only a store failure on a cache miss (or the caller's
// context ending while it waits for one) returns an error.
func (v *Verifier) Verify(ctx context.Context, caller *keyway.Caller, key, origin string) (Result, error) {
	r, err := v.verify(ctx, caller, key, origin)
	if err == nil {
		v.stats.outcomes[r.Outcome].Add(1)
	}
	return r, err
}

func (v *Verifier) verify(ctx context.Context, caller *keyway.Caller, key, origin string) (Result, error) {
	now := v.clock.Now()
	e, err := v.callerKeyEntry(ctx, caller, key, now)
	if err != nil {
		return Result{}, err
	}
	if e == nil {
		// Unknown to the caller: counted for its account, not for a key.
		if a := singleAccount(caller); a != "" {
			v.usage.unknownFor(a, &v.owners).fail(v.usage, now)
		}
		return Result{Outcome: Invalid}, nil
	}
	if !e.usable || (e.expires != 0 && now.UnixMilli() >= e.expires) {
		e.fail(v.usage, now)
		return Result{Outcome: Invalid}, nil
	}
	res := Result{Outcome: Valid, key: key, entry: e}
	p := e.policy
	if p == nil {
		e.success(v.usage, now)
		return res, nil
	}
	if origin != "" && !keyway.DomainAllowed(p.domains, origin) {
		res.Outcome = OriginDenied
		if p.limit != nil {
			res.Rate, err = v.limiter.Peek(ctx, p.bucket, *p.limit, now)
			res.HasRate = err == nil
		}
		e.fail(v.usage, now)
		return res, nil
	}
	if p.limit != nil {
		res.Rate, err = v.limiter.Take(ctx, p.bucket, *p.limit, now)
		if err != nil {
			return Result{}, fmt.Errorf("rate limit: %w", err)
		}
		res.HasRate = true
		if !res.Rate.Allowed {
			res.Outcome = RateLimited
			e.limit(v.usage, now)
			return res, nil
		}
	}
	e.success(v.usage, now)
	return res, nil
}

// plausibleKey rejects, without a lookup or a cache entry, strings no key
// can be: a flood of invented keys must not cost reads or fill the
// negative cache. Every key string the store holds is a valid key string
// (the store refuses others): generated keys are "live_" or "test_" (or
// "live_access_", "test_access_") and 64 of [A-Za-z0-9], and caller-chosen
// ones are 8 to 256 characters of [A-Za-z0-9-_.~]. Generated and chosen
// keys share projects and prefixes, so no narrower shape holds for all.
func plausibleKey(s string) bool { return keyway.ValidKeyString(s) }

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

func inScope(c *keyway.Caller, o *owner) bool {
	return c.Role(o.accountID, o.projectID) != ""
}

// callerKeyEntry finds key among the caller's keys: nil when no account
// the caller holds a grant in has it within the caller's reach. Key strings
// are unique per account, not across accounts, so the key is looked up in
// each of the caller's accounts (one for every access key and MCP token;
// a person's, in the order of their grants) and nowhere else: another
// tenant's key of the same string is never read or cached for this caller.
func (v *Verifier) callerKeyEntry(ctx context.Context, c *keyway.Caller, key string, now time.Time) (*keyEntry, error) {
	// The filter is asked at most once however many accounts the caller
	// is in: a "no" holds for all of them, and asking again would hash the
	// key and maybe wait for the other nodes once per account.
	var f filterAnswer
	for i, g := range c.Grants {
		if seenAccount(c.Grants[:i], g.AccountID) {
			continue
		}
		e, err := v.keyEntry(ctx, g.AccountID, key, now, &f)
		if err != nil {
			return nil, err
		}
		if e != nil && inScope(c, e.owner) {
			return e, nil
		}
	}
	return nil, nil
}

func seenAccount(grants []keyway.Grant, accountID string) bool {
	for _, g := range grants {
		if g.AccountID == accountID {
			return true
		}
	}
	return false
}

// filterAnswer is the key filter's answer for one verification, asked on
// the first cache miss and reused for the caller's other accounts.
type filterAnswer struct{ asked, refused bool }

// keyEntry answers for key in an account from the cache, or loads on a
// miss; nil means the account has no such key. A hit past its refresh
// time queues a background reload.
func (v *Verifier) keyEntry(ctx context.Context, accountID, key string, now time.Time, f *filterAnswer) (*keyEntry, error) {
	if !plausibleKey(key) {
		v.keys.misses.Add(1)
		return nil, nil
	}
	h := keycrypt.AccountKeyHash(accountID, key)
	nowMs := now.UnixMilli()
	if e, ok := v.keys.known.GetIfPresent(h); ok && nowMs < e.validUntil {
		v.keys.hits.Add(1)
		if r := e.refreshAt.Load(); nowMs >= r && e.refreshAt.CompareAndSwap(r, refreshQueued) {
			v.loads.reload(accountID, key, h, e, nowMs)
		}
		return e, nil
	}
	if until, ok := v.keys.unknown.GetIfPresent(h); ok && nowMs < until {
		v.keys.hits.Add(1)
		return nil, nil
	}
	if !f.asked {
		f.asked, f.refused = true, v.filterRefuses(ctx, keycrypt.HashKey(key))
	}
	if f.refused {
		return nil, nil
	}
	v.keys.misses.Add(1)
	return v.loads.load(ctx, accountID, key, h)
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
	a, err := v.Access(ctx, credential)
	return a.Caller, err
}

// Access is an authenticated access key: the caller it stands for, and
// its own rate limit for the management calls made with it, from one
// lookup.
type Access struct {
	Caller *keyway.Caller
	entry  *accessEntry
}

// Access authenticates an access key (keyway.ErrUnauthorized when it is
// not a valid one).
func (v *Verifier) Access(ctx context.Context, credential string) (Access, error) {
	e, err := v.accessEntry(ctx, credential)
	if err != nil {
		return Access{}, err
	}
	if e.caller == nil {
		return Access{}, keyway.ErrUnauthorized
	}
	return Access{Caller: e.caller, entry: e}, nil
}

// Limit consumes one management call from a's own rate limit, if its
// access key has one; limited is false when it has none (or a is not an
// access key's).
func (v *Verifier) Limit(ctx context.Context, a Access) (res keyway.RateResult, limited bool, err error) {
	if a.entry == nil || a.entry.limit == nil {
		return keyway.RateResult{}, false, nil
	}
	res, err = v.limiter.Take(ctx, a.entry.bucket, *a.entry.limit, v.clock.Now())
	return res, true, err
}

// accessEntry answers from the credential cache, or loads on a miss.
// Concurrent misses for one credential share a single load, per
// invalidation generation: a caller arriving after an invalidation must
// not join a load that started before it, nor may such a load fill the
// cache.
func (v *Verifier) accessEntry(ctx context.Context, credential string) (*accessEntry, error) {
	nowMs := v.clock.Now().UnixMilli()
	if e, ok := v.access.GetIfPresent(credential); ok && nowMs < e.validUntil {
		v.accessHits.Add(1)
		return e, nil
	}
	v.accessMisses.Add(1)
	if !plausibleKey(credential) {
		return &accessEntry{}, nil
	}
	gen := v.accessGen.Load()
	r, err, _ := v.group.Do(strconv.FormatUint(gen, 36)+":"+credential, func() (any, error) {
		e, err := v.loadAccess(ctx, credential)
		if err != nil {
			return nil, err
		}
		ttl := v.cfg.NegativeTTL
		if e.caller != nil {
			ttl = v.cfg.MaxAge
		}
		e.validUntil = nowMs + min(ttl, v.positiveTTLDuration()).Milliseconds()
		if v.accessGen.Load() == gen {
			v.access.Set(credential, e)
		}
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return r.(*accessEntry), nil
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

// APIKeyChanged drops the cached answers for the given key strings of an
// account. A new key string among them joins the filter before the write
// that made it answers.
func (v *Verifier) APIKeyChanged(accountID string, keys ...string) {
	lookups := make([]keycrypt.Hash, len(keys))
	for i, k := range keys {
		h := keycrypt.AccountKeyHash(accountID, k)
		lookups[i] = keycrypt.HashKey(k)
		v.gens.bump(h)
		v.keys.delete(h)
	}
	v.filter.add(lookups...)
}

// ForgetDigests drops the cached answers for keys changed on another node,
// which names them by their cache digest (keycrypt.AccountKeyHash).
func (v *Verifier) ForgetDigests(digests ...keycrypt.Hash) {
	v.stats.remoteInvalid.Add(1)
	for _, h := range digests {
		v.gens.bump(h)
		v.keys.delete(h)
	}
}

// KnowDigests adds key strings another node has just written, named by
// their lookup digest (keycrypt.HashKey, the store's key_hash), to the
// filter: the filter is built from the store, where keys of different
// accounts share that digest.
func (v *Verifier) KnowDigests(lookups ...keycrypt.Hash) {
	v.filter.add(lookups...)
}

// AccessKeyChanged drops the cached credentials: API key answers do not
// depend on access keys, so a new or changed access key leaves them be.
func (v *Verifier) AccessKeyChanged() {
	v.accessGen.Add(1)
	v.access.InvalidateAll()
}

// ProjectChanged drops the answers for the keys of a project, and the
// cached credentials (some may be the project's). Loads running meanwhile
// do not fill the cache, whatever their key.
func (v *Verifier) ProjectChanged(id string) {
	v.gens.bumpAll()
	v.AccessKeyChanged()
	var drop []keycrypt.Hash
	for h, e := range v.keys.known.All() {
		if e.owner.projectID == id {
			drop = append(drop, h)
		}
	}
	for _, h := range drop {
		v.keys.known.Invalidate(h)
	}
}

// ForgetAccessKeys is AccessKeyChanged, told by another node.
func (v *Verifier) ForgetAccessKeys() {
	v.stats.remoteInvalid.Add(1)
	v.AccessKeyChanged()
}

// ForgetProject is ProjectChanged, told by another node.
func (v *Verifier) ForgetProject(id string) {
	v.stats.remoteInvalid.Add(1)
	v.ProjectChanged(id)
}

// ForgetAll drops every cached answer after a scope change on another node.
func (v *Verifier) ForgetAll() {
	v.stats.remoteInvalid.Add(1)
	v.ScopeChanged()
}

// LostInvalidations drops every cached answer and the filter, and builds
// the filter again: a message from another node could not be read, so a
// key it named may be missing from both.
func (v *Verifier) LostInvalidations() {
	v.ForgetAll()
	v.filter.lost()
	v.filter.requestRebuild()
}

// SetDegraded is told when the invalidation channel goes down (true) and
// comes back (false). Both drop the whole cache: going down, because
// messages may already have been missed; coming back, to catch up on what
// was missed meanwhile. While degraded, entries live at most DegradedTTL.
//
// The filter is dropped both times too, and built again once the channel
// is back: it may lack keys created meanwhile, and until it is rebuilt
// unknown keys are read from the store.
func (v *Verifier) SetDegraded(down bool) {
	v.degraded.Store(down)
	v.filter.lost()
	if !down {
		v.filter.requestRebuild()
	}
	v.ScopeChanged()
}

// ScopeChanged drops every cached answer: an account change can affect any
// number of keys, and such changes are rare.
func (v *Verifier) ScopeChanged() {
	v.gens.bumpAll()
	v.AccessKeyChanged()
	v.keys.clear()
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
