package mailer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/keywayhq/keyway/backoff"
)

// QueueOptions configures a Queue; zero fields take the defaults.
type QueueOptions struct {
	// MaxAttempts counts every send of a message, the first included;
	// default 5.
	MaxAttempts int
	// Backoff is the wait after failed attempt number attempt (1 after the
	// first failure); default 1s, 2s, 4s… capped at 1 min, with jitter.
	Backoff func(attempt int) time.Duration
	// Buffer is how many messages may wait; default 1024.
	Buffer int
	// Log receives failures; nil means slog.Default().
	Log *slog.Logger
	// Timeout bounds each send; default 30s.
	Timeout time.Duration
}

// Queue sends asynchronously: Enqueue never blocks the request and never
// fails it; failed sends are retried with exponential backoff (with jitter)
// up to MaxAttempts, then logged at error level (recipient and subject only,
// never Text or secrets).
//
// One worker sends one message at a time: transactional mail is low volume,
// and a single connection at a time is gentle on rate-limited relays.
type Queue struct {
	s           Sender
	maxAttempts int
	backoff     func(int) time.Duration
	timeout     time.Duration
	log         *slog.Logger

	// mu makes "closed" and "send on ch" atomic with respect to Close, so
	// that Enqueue never sends on a closed channel.
	mu     sync.RWMutex
	closed bool
	ch     chan Message

	// ctx is cancelled when Close gives up waiting: the worker then abandons
	// the send in flight and any retry wait instead of outliving shutdown.
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
	done   chan struct{} // closed when the worker exits
}

// NewQueue starts one worker goroutine sending through s.
func NewQueue(s Sender, o QueueOptions) *Queue {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff == nil {
		o.Backoff = defaultBackoff
	}
	if o.Buffer <= 0 {
		o.Buffer = 1024
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &Queue{
		s:           s,
		maxAttempts: o.MaxAttempts,
		backoff:     o.Backoff,
		timeout:     o.Timeout,
		log:         o.Log,
		ch:          make(chan Message, o.Buffer),
		ctx:         ctx,
		cancel:      cancel,
		done:        make(chan struct{}),
	}
	go q.run()
	return q
}

// defaultBackoff doubles from 1s to a 1 min cap with equal jitter, so that
// instances that failed together against the same relay do not retry in
// lockstep.
var defaultBackoff = backoff.Policy{Base: time.Second, Max: time.Minute, Jitter: backoff.Equal}.Delay

// Enqueue queues m for sending. When the buffer is full, or the queue is
// closed, it logs an error (no secrets) and drops m; it never blocks.
func (q *Queue) Enqueue(m Message) {
	q.mu.RLock()
	closed, queued := q.closed, false
	if !closed {
		select {
		case q.ch <- m:
			queued = true
		default:
		}
	}
	q.mu.RUnlock()
	switch {
	case closed:
		q.logDrop(m, "mail queue is closed; dropping message")
	case !queued:
		q.logDrop(m, "mail queue is full; dropping message")
	}
}

// Close stops accepting, lets the worker finish what is queued (including
// pending retries' next attempts only while ctx allows), and returns when the
// worker exits or ctx is done. If ctx ends first, Close returns ctx's error;
// the send in flight is cancelled and every message not delivered is logged
// as dropped (those still queued before Close returns, unless the worker
// takes them first).
func (q *Queue) Close(ctx context.Context) error {
	q.once.Do(func() {
		q.mu.Lock()
		q.closed = true
		close(q.ch)
		q.mu.Unlock()
	})
	// Checked alone first so that a drained queue reports success even when
	// ctx has also expired.
	select {
	case <-q.done:
		return nil
	default:
	}
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
	}
	q.cancel()
	// Drained here rather than left to the worker, which may still be stuck
	// in a send that ignores cancellation: the process is likely about to
	// exit and these lines are the only record of who missed their email.
	for m := range q.ch {
		q.logDrop(m, "mail queue shut down before sending; dropping message")
	}
	return ctx.Err()
}

func (q *Queue) run() {
	defer close(q.done)
	defer q.cancel() // releases the context once nothing can use it
	for m := range q.ch {
		if q.ctx.Err() != nil {
			q.logDrop(m, "mail queue shut down before sending; dropping message")
			continue
		}
		q.deliver(m)
	}
}

func (q *Queue) deliver(m Message) {
	for attempt := 1; ; attempt++ {
		err := q.sendOnce(m)
		if err == nil {
			return
		}
		switch {
		case isInvalidMessage(err):
			q.logFailure(m, attempt, err, "mail can never be sent as it stands; dropping message")
			return
		case attempt >= q.maxAttempts:
			q.logFailure(m, attempt, err, "mail send failed; giving up")
			return
		}
		// Close cuts the wait short.
		if !backoff.Wait(q.ctx, q.backoff(attempt)) {
			q.logFailure(m, attempt, err, "mail queue shut down before the next attempt; dropping message")
			return
		}
	}
}

func (q *Queue) sendOnce(m Message) (err error) {
	// The worker is the only one: a panicking Sender would otherwise take the
	// whole server down, and silently stop all later mail if recovered
	// elsewhere.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mailer: sender panicked: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(q.ctx, q.timeout)
	defer cancel()
	return q.s.Send(ctx, m)
}

// logDrop and logFailure carry the recipient and the masked subject only:
// Text is where the sign-in codes and invitation links are.
func (q *Queue) logDrop(m Message, msg string) {
	q.log.Error(msg, "to", m.To, "subject", maskSecrets(m.Subject, m.Secrets))
}

func (q *Queue) logFailure(m Message, attempts int, err error, msg string) {
	q.log.Error(msg, "to", m.To, "subject", maskSecrets(m.Subject, m.Secrets),
		"attempts", attempts, "error", maskSecrets(err.Error(), m.Secrets))
}
