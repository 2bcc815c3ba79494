package webhook

import (
	"context"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// Pinger answers POST /webhooks/ping: one request now, through the same
// guarded sender as deliveries. The URL may not belong to a webhook yet,
// so the request is signed with a throwaway secret.
type Pinger struct {
	Sender *Sender
	Clock  keyway.Clock
}

var _ keyway.Pinger = Pinger{}

func (p Pinger) Ping(ctx context.Context, method, url string, headers map[string]string, body []byte) keyway.PingResult {
	res := p.Sender.Send(ctx, Request{
		Method: method, URL: url, Headers: headers, Secret: keyway.WebhookSecret(keycrypt.NewWebhookSecret()),
		MessageID: keycrypt.NewEventID(), Timestamp: p.Clock.Now(), Body: body,
	})
	out := keyway.PingResult{OK: res.OK(), Status: res.Status, DurationMs: res.Duration.Milliseconds()}
	if res.Err != nil {
		out.Error = res.Err.Error()
	}
	return out
}
