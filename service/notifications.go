package service

import (
	"context"

	"github.com/keywayhq/keyway"
)

// Notifications lists the notifications of the caller's accounts that its
// scope covers (notificationScopes).
func (s *Service) Notifications(ctx context.Context, c *keyway.Caller, page keyway.Page) ([]*keyway.Notification, string, error) {
	h := s.hooks
	return h.Store.Notifications(ctx, notificationScopes(c), page)
}

// MarkNotificationRead marks one of the caller's notifications read; one
// it does not see does not exist for it.
func (s *Service) MarkNotificationRead(ctx context.Context, c *keyway.Caller, id string) (*keyway.Notification, error) {
	h := s.hooks
	n, err := h.Store.Notification(ctx, id)
	if err != nil {
		return nil, err
	}
	if !seesNotification(c, n) {
		return nil, keyway.ErrNotificationNotFound
	}
	if err := h.Store.MarkNotificationRead(ctx, id, s.now()); err != nil {
		return nil, err
	}
	return h.Store.Notification(ctx, id)
}
