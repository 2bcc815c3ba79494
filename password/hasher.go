package password

import (
	"context"
	"runtime"
	"sync"

	"github.com/keywayhq/keyway"
)

// ErrBusy means every hashing slot is taken and the queue behind them is
// full: the caller should answer "try again shortly" instead of waiting.
// It is the domain's sentinel, so the service recognises it without
// importing this package.
var ErrBusy = keyway.ErrPasswordBusy

// Hasher runs every argon2id computation of a process through a fixed
// number of slots with a short queue behind them. One computation holds
// Params.Memory of memory and a core for its duration, so the slots bound
// both: the memory hashing can take is Slots × Params.Memory whatever the
// number of sign-ins in flight, and with fewer slots than cores the rest
// of the server (key verification above all) always has a core. Past the
// queue a request is refused at once (ErrBusy) rather than piling up.
type Hasher struct {
	params Params
	// running holds a token per computation in progress (cap: slots);
	// admitted holds one per turn running or waiting (cap: slots+queue).
	running  chan struct{}
	admitted chan struct{}
}

// DefaultSlots leaves one core to everything else: max(1, GOMAXPROCS-1).
func DefaultSlots() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// QueuePerSlot is how many turns may wait per slot. A waiting turn is done
// within about (QueuePerSlot+1) computations (a few tens of milliseconds
// each), so a short burst of sign-ins is absorbed rather than refused,
// and a flood is refused without making anyone wait long.
const QueuePerSlot = 4

// NewHasher returns a Hasher with slots computations at once (DefaultSlots
// when slots <= 0) and QueuePerSlot waiting turns per slot.
func NewHasher(p Params, slots int) *Hasher {
	if slots <= 0 {
		slots = DefaultSlots()
	}
	return &Hasher{params: p, running: make(chan struct{}, slots), admitted: make(chan struct{}, slots*(1+QueuePerSlot))}
}

// Params are the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Slots is how many computations run at once.
func (h *Hasher) Slots() int { return cap(h.running) }

// Queue is how many turns may wait for a slot.
func (h *Hasher) Queue() int { return cap(h.admitted) - cap(h.running) }

// MaxMemory is the most memory the computations of new hashes hold at
// once, in bytes.
func (h *Hasher) MaxMemory() uint64 { return uint64(h.Slots()) * uint64(h.params.Memory) * 1024 }

// Hash hashes password under the Hasher's parameters in its turn.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	t, err := h.Reserve()
	if err != nil {
		return "", err
	}
	return t.Hash(ctx, password)
}

// Check checks password against a stored hash in its turn.
func (h *Hasher) Check(ctx context.Context, password, stored string) (bool, error) {
	t, err := h.Reserve()
	if err != nil {
		return false, err
	}
	return t.Check(ctx, password, stored)
}

// Reserve takes a place among the turns running or waiting, or answers
// ErrBusy at once when there is none. Reserving before other work (a
// login's database read) makes a refused request cost nothing else. The
// turn must end: by its Hash or Check, or by Release.
func (h *Hasher) Reserve() (*Turn, error) {
	select {
	case h.admitted <- struct{}{}:
		return &Turn{h: h}, nil
	default:
		return nil, ErrBusy
	}
}

// ReserveCheck is Reserve for a caller that only checks, as the domain's
// keyway.PasswordHasher declares it.
func (h *Hasher) ReserveCheck() (keyway.PasswordCheck, error) {
	t, err := h.Reserve()
	if err != nil {
		// A nil *Turn in the interface would not compare equal to nil.
		return nil, err
	}
	return t, nil
}

// Turn is a reserved place for one computation. It serves once: after
// Hash, Check or Release it must not be used again.
type Turn struct {
	h    *Hasher
	once sync.Once
}

// Release gives the place back; it does nothing after Hash, Check or an
// earlier Release, so a deferred Release is always safe.
func (t *Turn) Release() { t.once.Do(func() { <-t.h.admitted }) }

// run waits for a slot (or ctx), runs f in it and ends the turn. Nothing
// but the place in the queue is held while waiting.
func (t *Turn) run(ctx context.Context, f func()) error {
	defer t.Release()
	select {
	case t.h.running <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-t.h.running }()
	f()
	return nil
}

// Hash hashes password under the Hasher's parameters once a slot is free.
func (t *Turn) Hash(ctx context.Context, password string) (hash string, err error) {
	if werr := t.run(ctx, func() { hash, err = Hash(password, t.h.params) }); werr != nil {
		return "", werr
	}
	return hash, err
}

// Check checks password against stored once a slot is free.
func (t *Turn) Check(ctx context.Context, password, stored string) (ok bool, err error) {
	if werr := t.run(ctx, func() { ok, err = Check(password, stored) }); werr != nil {
		return false, werr
	}
	return ok, err
}
