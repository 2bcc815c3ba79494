// Package service carries out management operations: it checks the
// caller's scope and role, validates input, applies the change through the
// store, and invalidates what the change affects. Transports (httpapi, mcp)
// only decode input and encode results.
package service

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

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
	keyRanks   *keyRanks
	mcpServers *MCPServers
	decoyHash  string
	// Region is recorded as createdIn on new objects.
	Region string
}

// Deps is everything a Service works with. Every operation is on in every
// deployment, so a missing dependency is a mistake in the wiring: New
// refuses it at startup rather than a request finding it out.
type Deps struct {
	Store       keyway.Store
	Invalidator keyway.Invalidator
	Clock       keyway.Clock
	Usage       keyway.UsageStore
	People      People
	Webhooks    Webhooks
	MCPServers  MCPServers
	// Region is recorded as createdIn on new objects; "self-hosted" when
	// empty.
	Region string
}

// New builds the service from its parts, applying the defaults of the
// people settings once.
func New(d Deps) (*Service, error) {
	var missing []string
	for _, m := range []struct {
		name string
		nil  bool
	}{
		{"Store", d.Store == nil},
		{"Invalidator", d.Invalidator == nil},
		{"Clock", d.Clock == nil},
		{"Usage", d.Usage == nil},
		{"People.Store", d.People.Store == nil},
		{"People.Groups", d.People.Groups == nil},
		{"People.Tokens", d.People.Tokens == nil},
		{"People.Passwords", d.People.Passwords == nil},
		{"Webhooks.Store", d.Webhooks.Store == nil},
		{"Webhooks.Guard", d.Webhooks.Guard == nil},
		{"Webhooks.Pinger", d.Webhooks.Pinger == nil},
		{"MCPServers.Store", d.MCPServers.Store == nil},
		{"MCPServers.IsTool", d.MCPServers.IsTool == nil},
	} {
		if m.nil {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("service: missing dependencies: %s", strings.Join(missing, ", "))
	}
	p := d.People.withDefaults()
	s := &Service{
		store: d.Store, invalidate: d.Invalidator, clock: d.Clock, usageStore: d.Usage,
		people: &p, hooks: &d.Webhooks, mcpServers: &d.MCPServers,
		Region: cmp.Or(d.Region, "self-hosted"),
	}
	s.keyRanks = newKeyRanks(d.Usage, d.Clock.Now)
	// A login for an unknown email still checks a password against this
	// hash, so the answer takes as long as for a known one. Nothing else
	// hashes yet, so this turn is never refused.
	var err error
	if s.decoyHash, err = p.Passwords.Hash(context.Background(), keycrypt.RandomString(16)); err != nil {
		return nil, fmt.Errorf("service: decoy password hash: %w", err)
	}
	return s, nil
}

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
