package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/mailer"
)

// fakeSender fails its first failures attempts (all of them if failures is
// negative) and records the messages it accepts.
type fakeSender struct {
	failures int
	// block, if set, makes each Send wait for a value (or ctx, if
	// honourCtx) after signalling started.
	block     chan struct{}
	started   chan struct{}
	honourCtx bool

	mu        sync.Mutex
	attempts  int
	delivered []mailer.Message
}

var errRelayDown = errors.New("dial tcp 192.0.2.1:587: connect: connection refused")

func (f *fakeSender) Send(ctx context.Context, m mailer.Message) error {
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.block != nil {
		if f.honourCtx {
			select {
			case <-f.block:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else {
			<-f.block
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.failures < 0 || f.attempts <= f.failures {
		return errRelayDown
	}
	f.delivered = append(f.delivered, m)
	return nil
}

func (f *fakeSender) counts() (attempts int, delivered []mailer.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.attempts, append([]mailer.Message(nil), f.delivered...)
}

func fastBackoff(int) time.Duration { return time.Millisecond }

func closeQueue(t *testing.T, q *mailer.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestQueueRetriesUntilDelivered(t *testing.T) {
	log, buf := newLog()
	f := &fakeSender{failures: 2}
	q := mailer.NewQueue(f, mailer.QueueOptions{Backoff: fastBackoff, Log: log})
	m := signInMessage()
	q.Enqueue(m)
	keywaytest.Eventually(t, "delivery", func() bool { _, d := f.counts(); return len(d) > 0 })
	closeQueue(t, q)
	attempts, delivered := f.counts()
	if attempts != 3 || len(delivered) != 1 || delivered[0].Subject != m.Subject {
		t.Errorf("attempts = %d, delivered = %d messages; want 3 and 1", attempts, len(delivered))
	}
	if buf.String() != "" {
		t.Errorf("a delivered message logged: %s", buf.String())
	}
}

func TestQueueGivesUpAfterMaxAttempts(t *testing.T) {
	log, buf := newLog()
	f := &fakeSender{failures: -1}
	var waits []int
	var mu sync.Mutex
	q := mailer.NewQueue(f, mailer.QueueOptions{MaxAttempts: 4, Log: log, Backoff: func(attempt int) time.Duration {
		mu.Lock()
		waits = append(waits, attempt)
		mu.Unlock()
		return time.Millisecond
	}})
	m := invitation()
	q.Enqueue(m)
	keywaytest.Eventually(t, "the give-up log", func() bool { return strings.Contains(buf.String(), "giving up") })
	closeQueue(t, q)

	if attempts, _ := f.counts(); attempts != 4 {
		t.Errorf("attempts = %d, want 4", attempts)
	}
	mu.Lock()
	if fmt.Sprint(waits) != "[1 2 3]" {
		t.Errorf("Backoff called with %v, want [1 2 3]", waits)
	}
	mu.Unlock()
	recs := buf.records(t)
	if len(recs) != 1 {
		t.Fatalf("%d log records, want 1: %s", len(recs), buf.String())
	}
	r := recs[0]
	if r["level"] != "ERROR" || r["to"] != m.To || r["attempts"] != 4.0 || r["error"] != errRelayDown.Error() {
		t.Errorf("record = %v", r)
	}
	if want := "Ada invited you to Keyway (code ****)"; r["subject"] != want {
		t.Errorf("subject = %q, want %q", r["subject"], want)
	}
	out := buf.String()
	for _, leak := range append([]string{"Accept here", m.Text}, m.Secrets[:3]...) {
		if strings.Contains(out, leak) {
			t.Errorf("log reveals %q: %s", leak, out)
		}
	}
}

func TestQueueDoesNotRetryInvalidMessages(t *testing.T) {
	log, buf := newLog()
	var calls int
	var mu sync.Mutex
	s := senderFunc(func(ctx context.Context, m mailer.Message) error {
		mu.Lock()
		calls++
		mu.Unlock()
		return mailer.LogSender{Log: log}.Send(ctx, m)
	})
	q := mailer.NewQueue(s, mailer.QueueOptions{Backoff: fastBackoff, Log: log})
	q.Enqueue(mailer.Message{To: "ada@example.com", Subject: "Hi\nBcc: eve@example.com", Text: "x"})
	closeQueue(t, q)
	if calls != 1 {
		t.Errorf("Send called %d times for a message that can never be sent, want 1", calls)
	}
	if !strings.Contains(buf.String(), `"level":"ERROR"`) {
		t.Errorf("no error logged: %s", buf.String())
	}
}

type senderFunc func(context.Context, mailer.Message) error

func (f senderFunc) Send(ctx context.Context, m mailer.Message) error { return f(ctx, m) }

func TestQueueFullBufferDrops(t *testing.T) {
	log, buf := newLog()
	f := &fakeSender{block: make(chan struct{}), started: make(chan struct{}, 10)}
	q := mailer.NewQueue(f, mailer.QueueOptions{Buffer: 1, Backoff: fastBackoff, Log: log})

	first, second, third := signInMessage(), signInMessage(), invitation()
	first.To, second.To = "first@example.com", "second@example.com"
	q.Enqueue(first)
	<-f.started // the worker holds first; the buffer is empty again
	q.Enqueue(second)

	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Enqueue(third)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Enqueue blocked on a full buffer")
	}

	recs := buf.records(t)
	if len(recs) != 1 || recs[0]["level"] != "ERROR" || recs[0]["to"] != third.To ||
		!strings.Contains(recs[0]["msg"].(string), "full") {
		t.Fatalf("log = %s, want one error about the full queue", buf.String())
	}
	for _, s := range third.Secrets[:3] {
		if strings.Contains(buf.String(), s) {
			t.Errorf("drop log reveals %q", s)
		}
	}

	close(f.block)
	closeQueue(t, q)
	_, delivered := f.counts()
	if len(delivered) != 2 || delivered[0].To != first.To || delivered[1].To != second.To {
		t.Errorf("delivered %v, want first and second", delivered)
	}
}

func TestQueueCloseDrains(t *testing.T) {
	log, _ := newLog()
	f := &fakeSender{failures: 1}
	q := mailer.NewQueue(f, mailer.QueueOptions{Backoff: fastBackoff, Log: log})
	const n = 50
	for i := range n {
		m := signInMessage()
		m.To = fmt.Sprintf("user%d@example.com", i)
		q.Enqueue(m)
	}
	closeQueue(t, q)
	_, delivered := f.counts()
	if len(delivered) != n {
		t.Fatalf("delivered %d of %d after Close", len(delivered), n)
	}
	for i, m := range delivered {
		if want := fmt.Sprintf("user%d@example.com", i); m.To != want {
			t.Errorf("delivered[%d] to %s, want %s", i, m.To, want)
		}
	}

	q.Enqueue(signInMessage())
	if err := q.Close(t.Context()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, d := f.counts(); len(d) != n {
		t.Error("message enqueued after Close was sent")
	}
}

func TestQueueEnqueueAfterCloseLogs(t *testing.T) {
	log, buf := newLog()
	q := mailer.NewQueue(&fakeSender{}, mailer.QueueOptions{Log: log})
	closeQueue(t, q)
	q.Enqueue(signInMessage())
	if !strings.Contains(buf.String(), "closed") {
		t.Errorf("log = %q, want a drop because the queue is closed", buf.String())
	}
}

func TestQueueCloseExpiredContextReturnsPromptly(t *testing.T) {
	for _, honour := range []bool{true, false} {
		t.Run(fmt.Sprintf("sender honours ctx %v", honour), func(t *testing.T) {
			log, buf := newLog()
			f := &fakeSender{block: make(chan struct{}), started: make(chan struct{}, 10), honourCtx: honour}
			t.Cleanup(func() { close(f.block) }) // frees a sender that ignores ctx
			q := mailer.NewQueue(f, mailer.QueueOptions{Backoff: fastBackoff, Log: log})
			for i := range 3 {
				m := signInMessage()
				m.To = fmt.Sprintf("user%d@example.com", i)
				q.Enqueue(m)
			}
			<-f.started

			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			start := time.Now()
			if err := q.Close(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("Close = %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Close took %v with an expired context", d)
			}
			logged := func(to string) bool { return strings.Contains(buf.String(), `"to":"`+to+`"`) }
			if !honour {
				// The worker is stuck in Send, so Close itself must have
				// logged the two still queued: the process may exit next.
				for _, to := range []string{"user1@example.com", "user2@example.com"} {
					if !logged(to) {
						t.Errorf("no drop logged for %s: %s", to, buf.String())
					}
				}
				return
			}
			for i := range 3 {
				to := fmt.Sprintf("user%d@example.com", i)
				keywaytest.Eventually(t, "a drop logged for "+to, func() bool { return logged(to) })
			}
			if _, d := f.counts(); len(d) != 0 {
				t.Errorf("delivered %d after Close with an expired context", len(d))
			}
		})
	}
}

func TestQueueCloseInterruptsRetryWait(t *testing.T) {
	log, buf := newLog()
	f := &fakeSender{failures: -1, started: make(chan struct{}, 10)}
	q := mailer.NewQueue(f, mailer.QueueOptions{Log: log, Backoff: func(int) time.Duration { return time.Hour }})
	q.Enqueue(signInMessage())
	<-f.started // first attempt made; the worker now waits an hour
	keywaytest.Eventually(t, "the first attempt to finish", func() bool { a, _ := f.counts(); return a == 1 })

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := q.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	keywaytest.Eventually(t, "the abandoned retry to be logged", func() bool {
		return strings.Contains(buf.String(), "shut down before the next attempt")
	})
	if a, _ := f.counts(); a != 1 {
		t.Errorf("attempts = %d after Close, want 1", a)
	}
}

func TestQueueConcurrentEnqueueAndClose(t *testing.T) {
	log, _ := newLog()
	f := &fakeSender{}
	q := mailer.NewQueue(f, mailer.QueueOptions{Buffer: 8, Log: log})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				q.Enqueue(signInMessage())
			}
		})
	}
	closeQueue(t, q)
	wg.Wait()
}

func TestQueueDefaultOptionsWork(t *testing.T) {
	f := &fakeSender{}
	q := mailer.NewQueue(f, mailer.QueueOptions{})
	q.Enqueue(signInMessage())
	closeQueue(t, q)
	if _, d := f.counts(); len(d) != 1 {
		t.Errorf("delivered %d, want 1", len(d))
	}
}
