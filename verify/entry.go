package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// keyEntry is everything needed to answer for one existing key, and no
// more: a node caches it for every key in use, so each field is paid a
// million times over (the target is at most 700 bytes of live heap per
// cached key, TestCachedKeyMemory). Entries are immutable once cached but
// for their usage counters and refresh time.
type keyEntry struct {
	// usageCounters count the key's verifications; keyID and owner there
	// are the key's.
	usageCounters

	// tail is the verification answer after `{"key":"<key>`: the caller
	// sends the key string, so the cached answer need not hold it twice.
	// When the key would need escaping in JSON, whole is set and tail is
	// the whole answer.
	tail  string
	whole bool
	// usable folds in the key's, its project's and its account's active
	// state; expiry is checked per request against the clock.
	usable  bool
	expires int64 // epoch ms; 0: never
	policy  *policy
	// validUntil is the epoch ms after which the entry must be loaded
	// again before it is served: a bound on staleness should an
	// invalidation ever be missed, and the short trust window while the
	// channel to other nodes is down.
	validUntil int64
	// refreshAt is the epoch ms after which a use queues a background
	// reload, so busy keys are reloaded before validUntil without making
	// anyone wait; refreshQueued once one is queued.
	refreshAt atomic.Int64
}

const refreshQueued = 1<<63 - 1

// owner is the account and project of a key. Keys of one project share a
// single owner value (owners), so cached keys do not each hold copies of
// two ids.
type owner struct{ accountID, projectID string }

// policy is what a key restricts besides its own state. Most keys have
// neither a rate limit nor allowed domains and share no policy at all.
type policy struct {
	limit   *keyway.RateLimit
	domains []string
	// bucket identifies the key's rate-limit window by its stable row id,
	// so rotating a key does not hand it a fresh window.
	bucket [32]byte
}

// owners interns owner values. It only grows with the number of projects,
// which the stores bound far below the number of keys.
type owners struct {
	mu sync.Mutex
	m  map[owner]*owner
}

func (o *owners) of(accountID, projectID string) *owner {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := owner{accountID, projectID}
	if p := o.m[k]; p != nil {
		return p
	}
	if o.m == nil {
		o.m = make(map[owner]*owner)
	}
	p := &k
	o.m[k] = p
	return p
}

// answerHead is how every answer starts, before the key string.
const answerHead = `{"key":"`

// newKeyEntry builds the cache entry of a key read from the store. ttl
// bounds how long it is served; refresh, when positive, is when a use
// queues its reload.
func (v *Verifier) newKeyEntry(vk keyway.VerificationKey, nowMs, ttl, refresh int64) (*keyEntry, error) {
	k := vk.Key
	// The cached answer would freeze lastUsedAt, which every flush moves
	// on: verification answers leave it out.
	lastUsed := k.LastUsedAt
	k.LastUsedAt = nil
	body, err := json.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("encode api key: %w", err)
	}
	e := &keyEntry{usable: k.IsActive && vk.OwnersActive, validUntil: nowMs + ttl}
	e.owner = v.owners.of(k.AccountID, k.ProjectID)
	e.used = vk.Used
	if lastUsed != nil {
		e.reported = lastUsed.Millis()
	}
	// A key that JSON writes as is (every key a caller may choose is
	// such) is spliced back in from the request.
	answer := body
	if bytes.HasPrefix(body, []byte(answerHead+k.Key+`"`)) {
		answer = body[len(answerHead)+len(k.Key):]
	} else {
		e.whole = true
	}
	// The key's id and its answer share one allocation.
	text := k.ID + string(answer)
	e.keyID, e.tail = text[:len(k.ID)], text[len(k.ID):]
	if k.ExpiresAt != nil {
		e.expires = k.ExpiresAt.Millis()
	}
	if k.RateLimit != nil || len(k.AllowedDomains) > 0 {
		e.policy = &policy{limit: k.RateLimit, domains: k.AllowedDomains, bucket: keycrypt.HashKey("api-key:" + k.ID)}
	}
	if refresh > 0 {
		e.refreshAt.Store(nowMs + refresh)
	} else {
		e.refreshAt.Store(refreshQueued)
	}
	return e, nil
}

// weight is what the cache counts an entry as, in bytes: its variable
// parts plus the measured fixed cost of an entry, its cache node and its
// usage counters.
func (e *keyEntry) weight() uint32 {
	w := entryOverhead + len(e.tail) + len(e.keyID)
	if e.policy != nil {
		w += 96 + 16*len(e.policy.domains)
		for _, d := range e.policy.domains {
			w += len(d)
		}
	}
	return uint32(min(w, 1<<31))
}

// entryOverhead is the fixed part of a cached key's memory: the entry, the
// cache's node and table slot for it, a minute of usage counters and
// allocation rounding (TestCachedKeyMemory measures the whole: 657 bytes
// for a typical key, of which its id and answer are 387).
const entryOverhead = 272

// writeAnswer writes the verification answer of e for key.
func (e *keyEntry) writeAnswer(w io.Writer, key string) {
	if !e.whole {
		io.WriteString(w, answerHead)
		io.WriteString(w, key)
	}
	io.WriteString(w, e.tail)
}

// appendAnswer appends the verification answer of e for key to dst.
func (e *keyEntry) appendAnswer(dst []byte, key string) []byte {
	if !e.whole {
		dst = append(append(dst, answerHead...), key...)
	}
	return append(dst, e.tail...)
}
