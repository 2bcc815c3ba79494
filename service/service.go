// Package service carries out management operations: it checks the
// caller's scope and role, validates input, applies the change through the
// store, and invalidates what the change affects. Transports (httpapi, mcp)
// only decode input and encode results.
package service

import (
	"errors"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
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

// newID is the id of a new object (keycrypt.NewID: UUIDv7, increasing
// within this process).
func newID() string { return keycrypt.NewID() }

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
