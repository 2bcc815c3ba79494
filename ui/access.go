package ui

import "net/http"

// accessService is what the access keys and MCP servers pages call.
type accessService interface{}

// accessRoutes maps the access keys and MCP servers pages.
func (h *handler) accessRoutes(mux *http.ServeMux) {}
