package ui

import (
	"net/http"

	"github.com/keywayhq/keyway"
)

// webhookService is what the webhooks pages: list, create and edit, send test, secret, delivery log and retry call.
type webhookService interface{}

// webhookRoutes maps the webhooks pages: list, create and edit, send test, secret, delivery log and retry.
func (h *handler) webhookRoutes(mux *http.ServeMux) {}

// keyEvents is the webhook events of a key on its page (templates/_key_events.html); nil shows nothing.
func (h *handler) keyEvents(r *http.Request, k *keyway.APIKey) any { return nil }
