package password

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywayhq/keyway/keywaytest"
)

func TestDefaultSlotsLeaveACore(t *testing.T) {
	want := max(1, runtime.GOMAXPROCS(0)-1)
	if got := DefaultSlots(); got != want {
		t.Fatalf("DefaultSlots = %d, want %d", got, want)
	}
	h := NewHasher(Default, 0)
	if h.Slots() != want || h.Queue() != want*QueuePerSlot {
		t.Fatalf("NewHasher(0): %d slots, %d queue", h.Slots(), h.Queue())
	}
	if got := NewHasher(Default, 3).MaxMemory(); got != 3*19*1024*1024 {
		t.Fatalf("MaxMemory = %d, want 3 × 19 MiB", got)
	}
}

func TestHasherHashesAndChecks(t *testing.T) {
	h := NewHasher(fast, 2)
	ctx := context.Background()
	hash, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "wrong horse battery": false} {
		if ok, err := h.Check(ctx, pw, hash); err != nil || ok != want {
			t.Errorf("Check(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	if _, err := h.Check(ctx, "x", "$2a$10$bcrypt"); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed stored hash: %v", err)
	}
	// Every turn ended: the whole queue is free again.
	for range h.Slots() + h.Queue() {
		if _, err := h.Reserve(); err != nil {
			t.Fatalf("a finished turn kept its place: %v", err)
		}
	}
}

// Slots bound the computations at once, the queue bounds who waits, and
// beyond both a request is refused at once.
func TestHasherBoundsComputationsAndQueue(t *testing.T) {
	const slots = 2
	h := NewHasher(fast, slots)
	places := slots * (1 + QueuePerSlot)

	// Hold every place with turns blocked inside their computation or
	// waiting for a slot.
	release := make(chan struct{})
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, places)
	for range places {
		turn, err := h.Reserve()
		if err != nil {
			t.Fatalf("reserve within the bound: %v", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- turn.run(context.Background(), func() {
				n := running.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				<-release
				running.Add(-1)
			})
		}()
	}
	keywaytest.EventuallyShows(t, fmt.Sprintf("%d computations running", slots), func() (bool, string) {
		n := running.Load()
		return n >= slots, fmt.Sprint(n)
	})
	if _, err := h.Reserve(); !errors.Is(err, ErrBusy) {
		t.Fatalf("reserve past the queue: %v, want ErrBusy", err)
	}
	start := time.Now()
	if _, err := h.Hash(context.Background(), "password123"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash past the queue: %v, want ErrBusy", err)
	}
	if _, err := h.Check(context.Background(), "password123", "$argon2id$"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Check past the queue: %v, want ErrBusy", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a refusal took %v: it must not wait", d)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p != slots {
		t.Fatalf("%d computations ran at once, want at most %d", p, slots)
	}
	if _, err := h.Hash(context.Background(), "password123"); err != nil {
		t.Fatalf("after the burst: %v", err)
	}
}

// A turn whose caller goes away leaves the queue without computing, and
// its place is free again; Release after use does nothing.
func TestHasherWaitEndsWithContext(t *testing.T) {
	h := NewHasher(fast, 1)
	busy, _ := h.Reserve()
	release := make(chan struct{})
	inside := make(chan struct{})
	go busy.run(context.Background(), func() { close(inside); <-release })
	<-inside

	ctx, cancel := context.WithCancel(context.Background())
	waiting, err := h.Reserve()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() {
		_, err := waiting.Hash(ctx, "password123")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
	waiting.Release() // already ended: must not free a second place
	for i := range h.Queue() {
		if _, err := h.Reserve(); err != nil {
			t.Fatalf("place %d of the queue not free after the cancelled turn: %v", i, err)
		}
	}
	if _, err := h.Reserve(); !errors.Is(err, ErrBusy) {
		t.Fatalf("a double Release freed a place: %v", err)
	}
	close(release)
}
