package app

import (
	"fmt"
	"time"

	"github.com/keywayhq/keyway/service"
	"github.com/keywayhq/keyway/sqlstore"
	"github.com/keywayhq/keyway/webhook"
)

// startWebhooks wires the webhook operations and starts this node's
// dispatcher.
func (a *App) startWebhooks(store *sqlstore.Store) (service.Webhooks, error) {
	allow, err := webhook.ParseAllowNetworks(a.cfg.WebhookAllowNetworks)
	if err != nil {
		return service.Webhooks{}, fmt.Errorf("KEYWAY_WEBHOOK_ALLOW_NETWORKS: %w", err)
	}
	base, maxDelay, timeout := a.cfg.WebhookRetryBase, a.cfg.WebhookRetryMax, a.cfg.WebhookTimeout
	guard := webhook.NewGuard(allow, nil)
	sender := webhook.NewSender(guard, timeout)
	// Backoff counts retries; the setting counts sends.
	backoff := webhook.Backoff{Base: base, Max: maxDelay, MaxAttempts: a.cfg.WebhookMaxAttempts - 1}
	if a.cfg.WebhookMaxAttempts == 0 {
		backoff.MaxAttempts = webhook.AttemptsFor(backoff.Base, backoff.Max, webhook.RetryWindow)
	}
	d := webhook.NewDispatcher(store, sender, a.clock, backoff, a.log)
	// The lease outlasts one send (the timeout) with room to record it; a
	// crashed node's claims come back after it.
	d.Lease = timeout + 10*time.Second
	d.FailingAfter = a.cfg.WebhookFailingAfter
	a.metrics.Webhooks(&d.Delivered, &d.Retried, &d.GaveUp)
	store.OnEvents(d.Wake)
	a.background(d.Run)
	return service.Webhooks{Store: store, Guard: guard, Pinger: webhook.Pinger{Sender: sender, Clock: a.clock}}, nil
}
