package ui

import (
	"net/http"

	"github.com/keywayhq/keyway"
)

// analyticsService is what the analytics pages and charts: project totals, most used keys, CSV export, a key's usage call.
type analyticsService interface{}

// analyticsRoutes maps the analytics pages and charts: project totals, most used keys, CSV export, a key's usage.
func (h *handler) analyticsRoutes(mux *http.ServeMux) {}

// keyUsage is the key usage chart on a key's page (templates/_key_usage.html); nil shows nothing.
func (h *handler) keyUsage(r *http.Request, k *keyway.APIKey) any { return nil }
