package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keywayhq/keyway"
)

// Dispatcher delivers the queued deliveries of the store. Any number of
// dispatchers (one per node) may share a store: each claims deliveries
// with a lease, so in the normal case each delivery is sent by one of them;
// a dispatcher that dies mid-send only delays its claims until the lease
// ends, after which another sends them again (at least once).
type Dispatcher struct {
	store   keyway.DeliveryStore
	sender  *Sender
	clock   keyway.Clock
	log     *slog.Logger
	backoff Backoff
	// Poll is how often an idle dispatcher looks for due deliveries.
	Poll time.Duration
	// Workers bounds the sends in flight on this node.
	Workers int
	// Lease is how long a claim keeps other dispatchers away; it must
	// outlast a send (the sender's timeout) with room to record it.
	Lease time.Duration
	// FailingAfter is how long a webhook's deliveries may keep failing
	// before it is marked failing and its account notified.
	FailingAfter time.Duration

	wake chan struct{}

	// Delivered, Retried and GaveUp count attempts by their outcome.
	Delivered, Retried, GaveUp atomic.Uint64
}

// DefaultFailingAfter is Dispatcher.FailingAfter unless set: an hour of
// failures is past a receiver's restart or deploy, short of a day's loss.
const DefaultFailingAfter = time.Hour

// NewDispatcher returns a dispatcher; Run starts it.
func NewDispatcher(store keyway.DeliveryStore, sender *Sender, clock keyway.Clock, backoff Backoff, log *slog.Logger) *Dispatcher {
	return &Dispatcher{
		store: store, sender: sender, clock: clock, log: log, backoff: backoff,
		Poll: 250 * time.Millisecond, Workers: 8, Lease: 2 * time.Minute, FailingAfter: DefaultFailingAfter,
		wake: make(chan struct{}, 1),
	}
}

// Wake makes an idle dispatcher look for work now, e.g. after this node
// queued deliveries; other nodes find them at their next poll.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the sends in flight.
func (d *Dispatcher) Run(ctx context.Context) {
	var inFlight sync.WaitGroup
	defer inFlight.Wait()
	slots := make(chan struct{}, d.Workers)
	for ctx.Err() == nil {
		free := d.Workers - len(slots)
		var jobs []keyway.DeliveryJob
		if free > 0 {
			var err error
			jobs, err = d.store.ClaimDeliveries(ctx, d.clock.Now(), d.Lease, free)
			if err != nil && ctx.Err() == nil {
				d.log.Error("claiming webhook deliveries failed; will retry", "error", err.Error())
			}
		}
		for _, job := range jobs {
			slots <- struct{}{}
			inFlight.Add(1)
			go func() {
				// A freed slot is a reason to look for more work now.
				defer func() { <-slots; inFlight.Done(); d.Wake() }()
				// A send is finished even during shutdown: its outcome must
				// be recorded, or the receiver gets it twice.
				d.deliver(context.WithoutCancel(ctx), job)
			}()
		}
		if len(jobs) == free && free > 0 {
			continue // there may be more due right now
		}
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-time.After(d.Poll):
		}
	}
}

// Body is the JSON envelope of an event; the same event always encodes the
// same, so every retry carries an identical body (the signature differs
// only by its timestamp).
func Body(ev keyway.Event) ([]byte, error) {
	return json.Marshal(Envelope{ID: ev.ID, Topic: ev.Topic, CreatedAt: ev.CreatedAt, Data: ev.Data})
}

func (d *Dispatcher) deliver(ctx context.Context, job keyway.DeliveryJob) {
	body, err := Body(job.Event)
	if err != nil {
		d.log.Error("encoding a webhook delivery failed", "delivery", job.Delivery.ID, "error", err.Error())
		return
	}
	now := d.clock.Now()
	res := d.sender.Send(ctx, Request{
		Method: job.Webhook.HTTPMethod, URL: job.Webhook.URL, Headers: job.Webhook.CustomHeaders,
		Secret: job.Webhook.Secret, MessageID: job.Event.ID, Timestamp: now, Body: body,
	})
	attempt := keyway.AttemptResult{At: keyway.NewTime(now), Status: res.Status, Duration: res.Duration, OK: res.OK()}
	if res.Err != nil {
		attempt.Error = res.Err.Error()
	} else if !res.OK() {
		attempt.Error = fmt.Sprintf("answered %d %s", res.Status, http.StatusText(res.Status))
	}
	state, next := keyway.DeliveryDelivered, time.Time{}
	switch n := job.Delivery.Attempts + 1; {
	case attempt.OK:
		d.Delivered.Add(1)
	case n > d.backoff.MaxAttempts:
		// MaxAttempts counts retries: the first send plus that many.
		state = keyway.DeliveryFailed
		d.GaveUp.Add(1)
		d.log.Warn("webhook delivery given up", "webhook", job.Webhook.ID, "delivery", job.Delivery.ID, "attempts", n, "error", attempt.Error)
	default:
		state, next = keyway.DeliveryPending, now.Add(d.backoff.policy().Delay(n))
		d.Retried.Add(1)
	}
	if err := d.store.CompleteAttempt(ctx, job.Delivery.ID, attempt, state, next); err != nil {
		// The lease runs out and the delivery is sent again: at least once.
		d.log.Error("recording a webhook attempt failed", "delivery", job.Delivery.ID, "error", err.Error())
		return
	}
	if !attempt.OK {
		marked, err := d.store.MarkWebhookFailing(ctx, job.Webhook.ID, now.Add(-d.FailingAfter), now)
		if err != nil {
			d.log.Error("marking a webhook failing failed", "webhook", job.Webhook.ID, "error", err.Error())
		} else if marked {
			d.log.Warn("webhook marked failing", "webhook", job.Webhook.ID, "failing_for_at_least", d.FailingAfter.String())
		}
	}
}
