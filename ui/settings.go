package ui

import "net/http"

// settingsService is what the settings pages (account name, profile, password) and the admins' system page call.
type settingsService interface{}

// settingsRoutes maps the settings pages (account name, profile, password) and the admins' system page.
func (h *handler) settingsRoutes(mux *http.ServeMux) {}
