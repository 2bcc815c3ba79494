package ui

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// webhookService is what the webhooks pages: list, create and edit, send test, secret, delivery log and retry call.
type webhookService interface {
	ListWebhooks(ctx context.Context, c *keyway.Caller, accountID, projectID, topic string, page keyway.Page) ([]*keyway.Webhook, string, error)
	CreateWebhook(ctx context.Context, c *keyway.Caller, in *keyway.WebhookCreate) (*keyway.Webhook, error)
	GetWebhook(ctx context.Context, c *keyway.Caller, id string) (*keyway.Webhook, error)
	UpdateWebhook(ctx context.Context, c *keyway.Caller, id string, in *keyway.WebhookUpdate) (*keyway.Webhook, error)
	DeleteWebhook(ctx context.Context, c *keyway.Caller, id string) (bool, error)
	TestWebhook(ctx context.Context, c *keyway.Caller, id string) (*keyway.Delivery, error)
	WebhookDelivery(ctx context.Context, c *keyway.Caller, webhookID, deliveryID string) (*keyway.Delivery, error)
	DeliveryAttempts(ctx context.Context, c *keyway.Caller, webhookID, deliveryID string) (*keyway.Delivery, []keyway.DeliveryAttempt, error)
	WebhookDeliveries(ctx context.Context, c *keyway.Caller, id string, page keyway.Page) ([]*keyway.Delivery, string, error)
	RetryDelivery(ctx context.Context, c *keyway.Caller, webhookID, deliveryID string) (*keyway.Delivery, error)
	KeyDeliveries(ctx context.Context, c *keyway.Caller, keyID string, limit int) ([]service.KeyDelivery, error)
}

// webhookRoutes maps the webhooks pages: list, create and edit, send test, secret, delivery log and retry.
func (h *handler) webhookRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/webhooks", h.private(h.webhooksPage))
	mux.HandleFunc("GET /ui/webhooks/new", h.private(h.newWebhookPage))
	mux.HandleFunc("POST /ui/webhooks", h.private(h.createWebhook))
	mux.HandleFunc("GET /ui/webhooks/{id}", h.private(h.webhookPage))
	mux.HandleFunc("GET /ui/webhooks/{id}/edit", h.private(h.editWebhookPage))
	mux.HandleFunc("POST /ui/webhooks/{id}/edit", h.private(h.editWebhook))
	mux.HandleFunc("POST /ui/webhooks/{id}/status", h.private(h.setWebhookStatus))
	mux.HandleFunc("POST /ui/webhooks/{id}/test", h.private(h.testWebhook))
	mux.HandleFunc("POST /ui/webhooks/{id}/secret", h.private(h.revealWebhookSecret))
	mux.HandleFunc("GET /ui/webhooks/{id}/delete", h.private(h.deleteWebhookPage))
	mux.HandleFunc("POST /ui/webhooks/{id}/delete", h.private(h.deleteWebhook))
	mux.HandleFunc("GET /ui/webhooks/{id}/deliveries/{delivery}", h.private(h.deliveryPage))
	mux.HandleFunc("POST /ui/webhooks/{id}/deliveries/{delivery}/retry", h.private(h.retryDelivery))
}

// keyEventsShown is how many of a key's latest deliveries its page lists;
// older ones are in each webhook's log.
const keyEventsShown = 20

// keyEventsData is the webhook section of a key's page: the deliveries of
// the latest events about the key, to the webhooks the person can see.
type keyEventsData struct {
	Deliveries []keyDeliveryRow
	More       bool
	Error      string
}

type keyDeliveryRow struct {
	deliveryRow
	Webhook *keyway.Webhook
}

// keyEvents is the webhook events of a key on its page (templates/_key_events.html).
func (h *handler) keyEvents(r *http.Request, k *keyway.APIKey) any {
	ds, err := h.svc.KeyDeliveries(r.Context(), visitOf(r).Caller, k.ID, keyEventsShown+1)
	if err != nil {
		if status(err) == http.StatusInternalServerError {
			h.log.Error("ui: key deliveries", "key", k.ID, "err", err)
		}
		return keyEventsData{Error: "The webhook events of this key cannot be shown: " + message(err)}
	}
	d := keyEventsData{More: len(ds) > keyEventsShown}
	for _, x := range ds[:min(len(ds), keyEventsShown)] {
		d.Deliveries = append(d.Deliveries, keyDeliveryRow{rowOf(x.Delivery), x.Webhook})
	}
	return d
}

// webhooksPageSize is how many webhooks, or deliveries, one page shows.
const webhooksPageSize = 50

// webhookRow is a webhook as the list shows it.
type webhookRow struct {
	*keyway.Webhook
	Scope string
}

// webhooksData is the webhooks page of the current account.
type webhooksData struct {
	Account   *keyway.Account
	Hooks     []webhookRow
	Project   string // the project filter, "" for all
	Next      string
	CanCreate bool
}

// accountProjects is the first page of the current account's projects:
// the names a webhook's scope is shown by, and the create form's choices.
func (h *handler) accountProjects(r *http.Request) []*keyway.Project {
	v := visitOf(r)
	if v.Account == nil {
		return nil
	}
	first := ""
	ps, _, err := h.svc.ListProjects(r.Context(), v.Caller, v.Account.ID, keyway.Page{Limit: keyway.MaxPageLimit, Cursor: &first})
	if err != nil {
		return nil
	}
	return ps
}

func scopeName(ps []*keyway.Project, id *string) string {
	if id == nil {
		return "Whole account"
	}
	if i := slices.IndexFunc(ps, func(p *keyway.Project) bool { return p.ID == *id }); i >= 0 {
		return ps[i].Name + " (" + string(ps[i].Env) + ")"
	}
	return *id
}

// canManageHooks reports whether the caller may create a webhook anywhere
// in the account: the whole account, or one of its projects.
func canManageHooks(c *keyway.Caller, accountID string, ps []*keyway.Project) bool {
	if c.Can(keyway.RoleUser, accountID, "") {
		return true
	}
	return slices.ContainsFunc(ps, func(p *keyway.Project) bool { return c.Can(keyway.RoleUser, accountID, p.ID) })
}

func (h *handler) webhooksPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	q := r.URL.Query()
	d := webhooksData{Account: v.Account, Project: q.Get("project")}
	if v.Account != nil {
		cursor := q.Get("cursor")
		hooks, next, err := h.svc.ListWebhooks(r.Context(), v.Caller, v.Account.ID, d.Project, "", keyway.Page{Limit: webhooksPageSize, Cursor: &cursor})
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		ps := h.accountProjects(r)
		for _, wh := range hooks {
			d.Hooks = append(d.Hooks, webhookRow{Webhook: wh, Scope: scopeName(ps, wh.ProjectID)})
		}
		if next != "" {
			nq := url.Values{"cursor": {next}}
			if d.Project != "" {
				nq.Set("project", d.Project)
			}
			d.Next = "/ui/webhooks?" + nq.Encode()
		}
		d.CanCreate = canManageHooks(v.Caller, v.Account.ID, ps)
	}
	h.render(w, r, http.StatusOK, "webhooks", &page{Title: "Webhooks", Data: d})
}

// hookFields are the webhook form's values as typed, shown back after an
// error.
type hookFields struct {
	Name, URL, Method, Headers, Status, Project string
	Topics                                      []string
}

// Has reports whether the form has topic checked.
func (f hookFields) Has(topic string) bool { return slices.Contains(f.Topics, topic) }

// hookForm is the data of the create and edit forms.
type hookForm struct {
	Hook     *keyway.Webhook
	F        hookFields
	Topics   []string
	Methods  []string
	Projects []*keyway.Project
}

func hookFormFields(r *http.Request) hookFields {
	r.ParseForm()
	g := func(n string) string { return strings.TrimSpace(r.PostFormValue(n)) }
	return hookFields{Name: g("name"), URL: g("url"), Method: g("httpMethod"), Headers: r.PostFormValue("customHeaders"),
		Status: g("status"), Project: g("projectId"),
		Topics: slices.DeleteFunc(slices.Clone(r.PostForm["topics"]), func(t string) bool { return t == "" })}
}

// parseHeaders reads the custom headers textarea: one "Name: value" a
// line, blank lines ignored. The service validates names and values.
func parseHeaders(s string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, keyway.Invalid("Custom headers: line " + strconv.Itoa(i+1) + " is not “Name: value”")
		}
		out[strings.TrimSpace(name)] = strings.TrimSpace(value)
	}
	return out, nil
}

// formatHeaders is the textarea text of a webhook's custom headers.
func formatHeaders(hd map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(hd)) {
		b.WriteString(k + ": " + hd[k] + "\n")
	}
	return b.String()
}

func (h *handler) renderHookForm(w http.ResponseWriter, r *http.Request, st int, errMsg string, hook *keyway.Webhook, f hookFields) {
	title := "New webhook"
	if hook != nil {
		title = "Edit " + hook.Name
	}
	d := hookForm{Hook: hook, F: f, Topics: keyway.Topics, Methods: keyway.WebhookMethods}
	if hook == nil {
		d.Projects = h.accountProjects(r)
	}
	h.render(w, r, st, "webhook_form", &page{Title: title, Error: errMsg, Data: d})
}

func (h *handler) newWebhookPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Account == nil || !canManageHooks(v.Caller, v.Account.ID, h.accountProjects(r)) {
		h.fail(w, r, v, keyway.ErrForbidden)
		return
	}
	h.renderHookForm(w, r, http.StatusOK, "", nil, hookFields{Method: "POST", Status: string(keyway.WebhookLive),
		Project: r.URL.Query().Get("project")})
}

func (h *handler) createWebhook(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Account == nil {
		h.fail(w, r, v, keyway.Errorf(keyway.CodeForbidden, "You are not in any account"))
		return
	}
	f := hookFormFields(r)
	headers, err := parseHeaders(f.Headers)
	if err == nil {
		st := keyway.WebhookStatus(f.Status)
		in := &keyway.WebhookCreate{Name: f.Name, URL: f.URL, Topics: f.Topics, HTTPMethod: f.Method, AccountID: v.Account.ID,
			CustomHeaders: headers, Status: &st}
		if f.Project != "" {
			in.ProjectID = &f.Project
		}
		var hook *keyway.Webhook
		if hook, err = h.svc.CreateWebhook(r.Context(), v.Caller, in); err == nil {
			http.Redirect(w, r, "/ui/webhooks/"+url.PathEscape(hook.ID), http.StatusSeeOther)
			return
		}
		if keyway.ErrorCode(err) == keyway.CodeForbidden || keyway.ErrorCode(err) == keyway.CodeNotFound {
			// A refusal is not a form mistake: the role, not the input, is
			// wrong.
			h.fail(w, r, v, err)
			return
		}
	}
	h.renderHookForm(w, r, status(err), message(err), nil, f)
}

// webhook loads the webhook of the path with the caller's role.
func (h *handler) webhook(w http.ResponseWriter, r *http.Request) (*keyway.Webhook, bool) {
	hook, err := h.svc.GetWebhook(r.Context(), visitOf(r).Caller, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, visitOf(r), err)
		return nil, false
	}
	return hook, true
}

// canManage reports whether the caller may change a webhook (the service
// checks again on every change).
func canManage(c *keyway.Caller, hook *keyway.Webhook) bool {
	return c.Can(keyway.RoleUser, hook.AccountID, keyway.Deref(hook.ProjectID))
}

// testShown is the outcome of "Send test", shown in the POST's answer: the
// test delivery, with its first attempt when it came in time.
type testShown struct {
	deliveryRow
	Paused bool
}

// testWait bounds how long "Send test" waits for the first attempt: the
// sender's default timeout and room to record it.
const testWait = 12 * time.Second

// deliveryRow is a delivery as the log shows it: Tried says whether any
// attempt was made, Status is the last one's HTTP status (0: no answer).
type deliveryRow struct {
	*keyway.Delivery
	Tried  bool
	Status int
}

func rowOf(x *keyway.Delivery) deliveryRow {
	row := deliveryRow{Delivery: x, Tried: x.LastStatus != nil}
	if x.LastStatus != nil {
		row.Status = *x.LastStatus
	}
	return row
}

// webhookData is a webhook's page: its settings and its delivery log.
type webhookData struct {
	Hook       *keyway.Webhook
	Scope      string
	Headers    []string
	Deliveries []deliveryRow
	Next       string
	CanManage  bool
	Test       *testShown
	// Secret is set only in the answer to "Reveal secret".
	Secret string
}

func (h *handler) webhookPage(w http.ResponseWriter, r *http.Request) {
	if hook, ok := h.webhook(w, r); ok {
		h.showWebhook(w, r, http.StatusOK, hook, nil, "")
	}
}

func (h *handler) showWebhook(w http.ResponseWriter, r *http.Request, st int, hook *keyway.Webhook, test *testShown, secret string) {
	v := visitOf(r)
	cursor := r.URL.Query().Get("cursor")
	ds, next, err := h.svc.WebhookDeliveries(r.Context(), v.Caller, hook.ID, keyway.Page{Limit: webhooksPageSize, Cursor: &cursor})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := webhookData{Hook: hook, Scope: scopeName(h.accountProjects(r), hook.ProjectID),
		CanManage: canManage(v.Caller, hook), Test: test, Secret: secret}
	for _, x := range ds {
		d.Deliveries = append(d.Deliveries, rowOf(x))
	}
	for _, k := range slices.Sorted(maps.Keys(hook.CustomHeaders)) {
		d.Headers = append(d.Headers, k+": "+hook.CustomHeaders[k])
	}
	if next != "" {
		d.Next = "/ui/webhooks/" + url.PathEscape(hook.ID) + "?" + url.Values{"cursor": {next}}.Encode()
	}
	h.render(w, r, st, "webhook", &page{Title: "Webhook " + hook.Name, Data: d})
}

func (h *handler) editWebhookPage(w http.ResponseWriter, r *http.Request) {
	hook, ok := h.webhook(w, r)
	if !ok {
		return
	}
	if !canManage(visitOf(r).Caller, hook) {
		h.fail(w, r, visitOf(r), keyway.ErrForbidden)
		return
	}
	h.renderHookForm(w, r, http.StatusOK, "", hook, hookFields{Name: hook.Name, URL: hook.URL, Method: hook.HTTPMethod,
		Headers: formatHeaders(hook.CustomHeaders), Status: string(hook.Status), Topics: hook.Topics})
}

// editWebhook saves every field of the form (a webhook's project cannot
// change).
func (h *handler) editWebhook(w http.ResponseWriter, r *http.Request) {
	hook, ok := h.webhook(w, r)
	if !ok {
		return
	}
	f := hookFormFields(r)
	headers, err := parseHeaders(f.Headers)
	if err == nil {
		in := &keyway.WebhookUpdate{
			Name:          keyway.Optional[string]{Set: true, Value: f.Name},
			URL:           keyway.Optional[string]{Set: true, Value: f.URL},
			Topics:        keyway.Optional[[]string]{Set: true, Value: f.Topics},
			HTTPMethod:    keyway.Optional[string]{Set: true, Value: f.Method},
			CustomHeaders: keyway.Optional[map[string]string]{Set: true, Value: headers},
			Status:        keyway.Optional[keyway.WebhookStatus]{Set: true, Value: keyway.WebhookStatus(f.Status)},
		}
		if _, err = h.svc.UpdateWebhook(r.Context(), visitOf(r).Caller, hook.ID, in); err == nil {
			http.Redirect(w, r, "/ui/webhooks/"+url.PathEscape(hook.ID), http.StatusSeeOther)
			return
		}
		if c := keyway.ErrorCode(err); c == keyway.CodeForbidden || c == keyway.CodeNotFound {
			h.fail(w, r, visitOf(r), err)
			return
		}
	}
	h.renderHookForm(w, r, status(err), message(err), hook, f)
}

// setWebhookStatus pauses or resumes a webhook from its page.
func (h *handler) setWebhookStatus(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	st := keyway.WebhookStatus(r.PostFormValue("status"))
	in := &keyway.WebhookUpdate{Status: keyway.Optional[keyway.WebhookStatus]{Set: true, Value: st}}
	hook, err := h.svc.UpdateWebhook(r.Context(), v.Caller, r.PathValue("id"), in)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/ui/webhooks/"+url.PathEscape(hook.ID), http.StatusSeeOther)
}

// testWebhook queues a test delivery (a webhook.test event for this
// webhook alone, signed with its secret, logged and retryable like any
// delivery) and waits a little for its first attempt, so the answer shows
// the receiver's status; a slow one shows in the log once it answers.
func (h *handler) testWebhook(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	hook, ok := h.webhook(w, r)
	if !ok {
		return
	}
	d, err := h.svc.TestWebhook(r.Context(), v.Caller, hook.ID)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	paused := hook.Status == keyway.WebhookPaused
	deadline := time.NewTimer(testWait)
	defer deadline.Stop()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
wait:
	for !paused && d.Attempts == 0 {
		select {
		case <-r.Context().Done():
			return
		case <-deadline.C:
			break wait
		case <-tick.C:
		}
		if d, err = h.svc.WebhookDelivery(r.Context(), v.Caller, hook.ID, d.ID); err != nil {
			h.fail(w, r, v, err)
			return
		}
	}
	h.showWebhook(w, r, http.StatusOK, hook, &testShown{deliveryRow: rowOf(d), Paused: paused}, "")
}

// revealWebhookSecret shows the signing secret in the answer to the POST,
// to those who may manage the webhook: never in a URL, never on a GET.
func (h *handler) revealWebhookSecret(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	hook, ok := h.webhook(w, r)
	if !ok {
		return
	}
	if !canManage(v.Caller, hook) {
		h.fail(w, r, v, keyway.ErrForbidden)
		return
	}
	h.showWebhook(w, r, http.StatusOK, hook, nil, hook.Secret.Reveal())
}

func (h *handler) deleteWebhookPage(w http.ResponseWriter, r *http.Request) {
	hook, ok := h.webhook(w, r)
	if !ok {
		return
	}
	if !canManage(visitOf(r).Caller, hook) {
		h.fail(w, r, visitOf(r), keyway.ErrForbidden)
		return
	}
	h.render(w, r, http.StatusOK, "webhook_delete", &page{Title: "Delete webhook", Data: hook})
}

func (h *handler) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if _, err := h.svc.DeleteWebhook(r.Context(), v.Caller, r.PathValue("id")); err != nil {
		h.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/ui/webhooks", http.StatusSeeOther)
}

// retryDelivery makes a delivery due now; the dispatcher sends it and the
// log shows the new attempt.
func (h *handler) retryDelivery(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id := r.PathValue("id")
	if _, err := h.svc.RetryDelivery(r.Context(), v.Caller, id, r.PathValue("delivery")); err != nil {
		h.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/ui/webhooks/"+url.PathEscape(id), http.StatusSeeOther)
}

// deliveryData is one delivery's page: every attempt with its answer.
type deliveryData struct {
	Hook      *keyway.Webhook
	D         deliveryRow
	Attempts  []keyway.DeliveryAttempt
	CanManage bool
	// Capped says the attempts shown are the newest of more.
	Capped bool
}

func (h *handler) deliveryPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	hook, ok := h.webhook(w, r)
	if !ok {
		return
	}
	d, attempts, err := h.svc.DeliveryAttempts(r.Context(), v.Caller, hook.ID, r.PathValue("delivery"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "webhook_delivery", &page{Title: "Delivery of " + d.Topic, Data: deliveryData{Hook: hook, D: rowOf(d),
		Attempts: attempts, CanManage: canManage(v.Caller, hook), Capped: d.Attempts > len(attempts)}})
}
