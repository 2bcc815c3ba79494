// Package service carries out management operations: it checks the
// caller's scope and role, validates input, applies the change through the
// store, and invalidates what the change affects. Transports (httpapi, mcp)
// only decode input and encode results.
package service

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/keywayhq/keyway"
)

// Service is the management API over one store.
type Service struct {
	store      keyway.Store
	invalidate keyway.Invalidator
	clock      keyway.Clock
	hooks      *Webhooks
	people     *People
	usageStore keyway.UsageStore
	mcpServers *MCPServers
	decoyHash  string
	// Region is recorded as createdIn on new objects.
	Region string
}

func New(store keyway.Store, inv keyway.Invalidator, clock keyway.Clock) *Service {
	return &Service{store: store, invalidate: inv, clock: clock, Region: "self-hosted"}
}

// EnableAnalytics turns the usage analytics operations on.
func (s *Service) EnableAnalytics(us keyway.UsageStore) { s.usageStore = us }

func (s *Service) now() keyway.Time { return keyway.NewTime(s.clock.Now()) }

// ids hands out UUIDv7 ids (RFC 9562) that increase strictly within this
// process, using the 12-bit counter after the millisecond timestamp. Lists
// break ties of equal creation times by id, so objects created in the same
// millisecond keep their creation order.
var ids struct {
	sync.Mutex
	ms  int64
	seq uint16
}

func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("service: crypto/rand failed: " + err.Error())
	}
	ids.Lock()
	ms := time.Now().UnixMilli()
	if ms <= ids.ms {
		ms, ids.seq = ids.ms, ids.seq+1
		if ids.seq > 0x0fff {
			// 4096 ids in one millisecond: borrow the next one.
			ms, ids.seq = ms+1, 0
		}
	} else {
		ids.seq = 0
	}
	ids.ms = ms
	seq := ids.seq
	ids.Unlock()
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	b[6] = 0x70 | byte(seq>>8)
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// Hello is GET /.
type Hello struct {
	Message string `json:"message"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Version is set by the build (main) for GET /.
var Version = "dev"

func (s *Service) Hello() Hello {
	return Hello{Message: "Hello World!", Name: "keyway", Version: Version}
}

// retryStale runs a read-modify-write again when the object changed
// between its read and its write (keyway.ErrStale): the next round reads
// the other request's result and applies this one on top. A few rounds
// settle any realistic contention; past them the caller gets the 409.
func retryStale[T any](f func() (T, error)) (T, error) {
	for round := 1; ; round++ {
		v, err := f()
		if !errors.Is(err, keyway.ErrStale) || round == 5 {
			return v, err
		}
	}
}
