package ui

import "net/http"

// webhookService is what the webhooks pages: list, create and edit, send test, secret, delivery log and retry call.
type webhookService interface{}

// webhookRoutes maps the webhooks pages: list, create and edit, send test, secret, delivery log and retry.
func (h *handler) webhookRoutes(mux *http.ServeMux) {}
