package service

import (
	"context"
	"errors"
	"maps"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
)

// Webhooks wires the webhook operations: the store of webhooks and
// deliveries, the guard against unsafe targets, and the sender for pings.
type Webhooks struct {
	Store  keyway.DeliveryStore
	Guard  keyway.URLChecker
	Pinger keyway.Pinger
}

// A webhook call names its account and project as a query does (queryTarget):
// the account defaults to the caller's only one, the project to the
// caller's only project when it does not reach the whole account.

func (s *Service) ListWebhooks(ctx context.Context, c *keyway.Caller, accountID, projectID, topic string, page keyway.Page) ([]*keyway.Webhook, string, error) {
	h := s.hooks
	t, err := s.open(ctx, c, prelude{scope: func() resolver { return s.queryTarget(accountID, projectID) }, deleted: "projectId", need: keyway.RoleViewer})
	if err != nil {
		return nil, "", err
	}
	return h.Store.Webhooks(ctx, keyway.WebhookFilter{AccountID: t.accountID, ProjectID: scopeOf(t.project()), Topic: topic, Page: page})
}

func (s *Service) CreateWebhook(ctx context.Context, c *keyway.Caller, in *keyway.WebhookCreate) (*keyway.Webhook, error) {
	h := s.hooks
	t, err := s.open(ctx, c, prelude{guard: keyway.RoleUser, validate: in.Validate,
		scope: func() resolver { return s.queryTarget(in.AccountID, keyway.Deref(in.ProjectID)) }, deleted: "projectId", need: keyway.RoleUser})
	if err != nil {
		return nil, err
	}
	accountID, projectID := t.accountID, scopeOf(t.project())
	if err := h.Guard.CheckURL(ctx, in.URL); err != nil {
		return nil, err
	}
	now := s.now()
	actor, actorType := c.Actor()
	w := &keyway.Webhook{
		ID: newID(), Name: in.Name, URL: in.URL, HTTPMethod: in.HTTPMethod, Topics: keyway.NormalizeTopics(in.Topics),
		AccountID: accountID, CustomHeaders: headersOrEmpty(in.CustomHeaders), Status: *in.Status, IsActive: true,
		Secret: keyway.WebhookSecret(keycrypt.NewWebhookSecret()), CreatedBy: actor, CreatedByType: actorType, CreatedAt: now, UpdatedAt: now,
	}
	if projectID != "" {
		w.ProjectID = &projectID
	}
	if err := h.Store.CreateWebhook(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

// pathWebhook loads a webhook named in the path for a caller that needs
// role over it; anything the caller cannot see, deleted ones included, is
// 404, and what it sees but may not change 403.
func (s *Service) pathWebhook(ctx context.Context, c *keyway.Caller, id string, role keyway.Role) (*Webhooks, *keyway.Webhook, error) {
	h := s.hooks
	w, err := h.Store.Webhook(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if c.Role(w.AccountID, projectOf(w.ProjectID)) == "" || !w.IsActive {
		return nil, nil, keyway.ErrWebhookNotFound
	}
	if err := need(c, role, w.AccountID, projectOf(w.ProjectID)); err != nil {
		return nil, nil, err
	}
	return h, w, nil
}

func (s *Service) GetWebhook(ctx context.Context, c *keyway.Caller, id string) (*keyway.Webhook, error) {
	_, w, err := s.pathWebhook(ctx, c, id, keyway.RoleViewer)
	return w, err
}

func (s *Service) UpdateWebhook(ctx context.Context, c *keyway.Caller, id string, in *keyway.WebhookUpdate) (*keyway.Webhook, error) {
	return retryStale(func() (*keyway.Webhook, error) { return s.updateWebhook(ctx, c, id, in) })
}

func (s *Service) updateWebhook(ctx context.Context, c *keyway.Caller, id string, in *keyway.WebhookUpdate) (*keyway.Webhook, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	h, w, err := s.pathWebhook(ctx, c, id, keyway.RoleUser)
	if err != nil {
		return nil, err
	}
	if in.Name.Set {
		w.Name = in.Name.Value
	}
	if in.URL.Set {
		if err := h.Guard.CheckURL(ctx, in.URL.Value); err != nil {
			return nil, err
		}
		w.URL = in.URL.Value
	}
	if in.Topics.Set {
		w.Topics = keyway.NormalizeTopics(in.Topics.Value)
	}
	if in.HTTPMethod.Set {
		w.HTTPMethod = in.HTTPMethod.Value
	}
	if in.CustomHeaders.Set {
		w.CustomHeaders = headersOrEmpty(in.CustomHeaders.Value)
	}
	if in.Status.Set {
		w.Status = in.Status.Value
	}
	w.UpdatedAt = s.now()
	if err := h.Store.UpdateWebhook(ctx, w); err != nil {
		return nil, err
	}
	return w, nil
}

// DeleteWebhook removes a webhook; its delivery history stays.
func (s *Service) DeleteWebhook(ctx context.Context, c *keyway.Caller, id string) (bool, error) {
	return retryStale(func() (bool, error) { return s.deleteWebhook(ctx, c, id) })
}

func (s *Service) deleteWebhook(ctx context.Context, c *keyway.Caller, id string) (bool, error) {
	h, w, err := s.pathWebhook(ctx, c, id, keyway.RoleUser)
	if err != nil {
		return false, err
	}
	w.IsActive = false
	w.UpdatedAt = s.now()
	if err := h.Store.UpdateWebhook(ctx, w); err != nil {
		return false, err
	}
	return true, nil
}

// PingWebhook sends one request now to a URL the caller may not have
// saved yet; the SSRF guard applies as for a saved webhook.
func (s *Service) PingWebhook(ctx context.Context, c *keyway.Caller, in *keyway.WebhookPing) (keyway.PingResult, error) {
	h := s.hooks
	// A ping is an outbound request on the caller's behalf: managing
	// webhooks, not reading them.
	if err := guard(c, keyway.RoleUser); err != nil {
		return keyway.PingResult{}, err
	}
	if err := in.Validate(); err != nil {
		return keyway.PingResult{}, err
	}
	if err := h.Guard.CheckURL(ctx, in.URL); err != nil {
		return keyway.PingResult{}, err
	}
	headers := maps.Clone(in.Headers)
	if headers == nil {
		headers = map[string]string{}
	}
	maps.Copy(headers, in.CustomHeaders)
	body := []byte(in.Body)
	if len(body) == 0 {
		body = []byte(`{"ping":true}`)
	}
	return h.Pinger.Ping(ctx, in.HTTPMethod, in.URL, headers, body), nil
}

// TestWebhook queues a test delivery to a saved webhook: a webhook.test
// event sent to it alone, signed with its secret and logged, retried and
// retryable like any delivery (unlike PingWebhook, which logs nothing). A
// paused webhook receives it once resumed.
func (s *Service) TestWebhook(ctx context.Context, c *keyway.Caller, id string) (*keyway.Delivery, error) {
	h, w, err := s.pathWebhook(ctx, c, id, keyway.RoleUser)
	if err != nil {
		return nil, err
	}
	ev := must(keyway.WebhookTestEvent(keycrypt.NewEventID(), w, s.now()))
	return h.Store.QueueTestDelivery(ctx, ev, w.ID)
}

// WebhookDelivery is one delivery of a webhook the caller can read.
func (s *Service) WebhookDelivery(ctx context.Context, c *keyway.Caller, webhookID, deliveryID string) (*keyway.Delivery, error) {
	h, w, err := s.pathWebhook(ctx, c, webhookID, keyway.RoleViewer)
	if err != nil {
		return nil, err
	}
	d, err := h.Store.Delivery(ctx, deliveryID)
	if errors.Is(err, keyway.ErrDeliveryNotFound) || (err == nil && d.WebhookID != w.ID) {
		return nil, keyway.ErrDeliveryNotFound
	}
	return d, err
}

// DeliveryAttempts is one delivery of a webhook the caller can read, with
// its attempts, newest first (at most keyway.MaxDeliveryAttemptsShown).
func (s *Service) DeliveryAttempts(ctx context.Context, c *keyway.Caller, webhookID, deliveryID string) (*keyway.Delivery, []keyway.DeliveryAttempt, error) {
	d, err := s.WebhookDelivery(ctx, c, webhookID, deliveryID)
	if err != nil {
		return nil, nil, err
	}
	as, err := s.hooks.Store.DeliveryAttempts(ctx, d.ID, keyway.MaxDeliveryAttemptsShown)
	if err != nil {
		return nil, nil, err
	}
	return d, as, nil
}

func (s *Service) WebhookDeliveries(ctx context.Context, c *keyway.Caller, id string, page keyway.Page) ([]*keyway.Delivery, string, error) {
	h, w, err := s.pathWebhook(ctx, c, id, keyway.RoleViewer)
	if err != nil {
		return nil, "", err
	}
	return h.Store.Deliveries(ctx, w.ID, page)
}

// RetryDelivery sends a delivery again as soon as a dispatcher is free.
func (s *Service) RetryDelivery(ctx context.Context, c *keyway.Caller, webhookID, deliveryID string) (*keyway.Delivery, error) {
	h, w, err := s.pathWebhook(ctx, c, webhookID, keyway.RoleUser)
	if err != nil {
		return nil, err
	}
	d, err := h.Store.Delivery(ctx, deliveryID)
	if errors.Is(err, keyway.ErrDeliveryNotFound) || (err == nil && d.WebhookID != w.ID) {
		return nil, keyway.ErrDeliveryNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := h.Store.RetryDelivery(ctx, d.ID, s.clock.Now()); err != nil {
		return nil, err
	}
	return h.Store.Delivery(ctx, d.ID)
}

func headersOrEmpty(h map[string]string) map[string]string {
	if h == nil {
		return map[string]string{}
	}
	return h
}
