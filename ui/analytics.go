package ui

import "net/http"

// analyticsService is what the analytics pages and charts: project totals, most used keys, CSV export, a key's usage call.
type analyticsService interface{}

// analyticsRoutes maps the analytics pages and charts: project totals, most used keys, CSV export, a key's usage.
func (h *handler) analyticsRoutes(mux *http.ServeMux) {}
