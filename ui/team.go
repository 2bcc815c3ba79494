package ui

import "net/http"

// teamService is what the team pages: teammates and roles, invitations, sign-up from an invitation, notifications call.
type teamService interface{}

// teamRoutes maps the team pages: teammates and roles, invitations, sign-up from an invitation, notifications.
func (h *handler) teamRoutes(mux *http.ServeMux) {}
