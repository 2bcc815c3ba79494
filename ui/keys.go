package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/service"
)

// keysPageSize is how many keys one page of the table shows.
const keysPageSize = 50

// keysData is the API keys page of a project.
type keysData struct {
	Project              *keyway.Project
	Keys                 []*keyway.APIKey
	Q, CustomAccountID   string
	CustomUserID, Status string
	Next                 string
	Filtered, CanCreate  bool
	New                  *newKey
}

// newKey is a key shown once, after create or rotate, with the snippets
// that use it.
type newKey struct {
	Key  keyway.APIKeySecret
	Base string
}

func (h *handler) keysPage(w http.ResponseWriter, r *http.Request) {
	p, ok := h.project(w, r)
	if !ok {
		return
	}
	h.showKeys(w, r, p, nil)
}

// showKeys renders a project's keys page, with a new key on top when one
// was just created.
func (h *handler) showKeys(w http.ResponseWriter, r *http.Request, p *keyway.Project, nk *newKey) {
	v := visitOf(r)
	q := r.URL.Query()
	d := keysData{Project: p, Q: q.Get("q"), CustomAccountID: q.Get("customAccountId"), CustomUserID: q.Get("customUserId"),
		Status: q.Get("status"), New: nk, CanCreate: v.Caller.Can(keyway.RoleUser, p.AccountID, p.ID)}
	if d.Status != "all" && d.Status != "revoked" {
		d.Status = "active"
	}
	d.Filtered = d.Q != "" || d.CustomAccountID != "" || d.CustomUserID != "" || d.Status != "active"
	// The store lists active or revoked keys; "all" walks the active ones,
	// then the revoked ones, its cursor saying which (a.… or r.…).
	cursor, revoked := q.Get("cursor"), d.Status == "revoked"
	if d.Status == "all" {
		revoked = strings.HasPrefix(cursor, "r.")
		cursor = strings.TrimPrefix(strings.TrimPrefix(cursor, "r."), "a.")
	}
	lq := service.ListAPIKeysQuery{ProjectID: p.ID, IsActive: new(!revoked), Page: keyway.Page{Limit: keysPageSize, Cursor: &cursor}}
	if d.Q != "" {
		lq.Name = &d.Q
	}
	if d.CustomAccountID != "" {
		lq.CustomAccountID = keyway.Optional[string]{Set: true, Value: d.CustomAccountID}
	}
	if d.CustomUserID != "" {
		lq.CustomUserID = keyway.Optional[string]{Set: true, Value: d.CustomUserID}
	}
	keys, next, err := h.svc.ListAPIKeys(r.Context(), v.Caller, lq)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if d.Status == "all" && !revoked && next == "" {
		// The active keys ended on this page: fill it with revoked ones.
		first := ""
		lq.IsActive, lq.Page = new(false), keyway.Page{Limit: keysPageSize - len(keys), Cursor: &first}
		var more []*keyway.APIKey
		if lq.Limit > 0 {
			if more, next, err = h.svc.ListAPIKeys(r.Context(), v.Caller, lq); err != nil {
				h.fail(w, r, v, err)
				return
			}
		}
		keys, revoked = append(keys, more...), true
		if lq.Limit == 0 {
			next = "r."
		}
	}
	d.Keys = keys
	if d.Status == "all" && next != "" {
		next = map[bool]string{false: "a.", true: "r."}[revoked] + strings.TrimPrefix(next, "r.")
	}
	if next != "" {
		nq := url.Values{"cursor": {next}, "status": {d.Status}}
		for _, f := range []string{"q", "customAccountId", "customUserId"} {
			if x := q.Get(f); x != "" {
				nq.Set(f, x)
			}
		}
		d.Next = "/ui/projects/" + url.PathEscape(p.ID) + "/keys?" + nq.Encode()
	}
	h.render(w, r, http.StatusOK, "keys", &page{Title: "API keys · " + p.Name, Data: d})
}

// keyFields are the key form's values as typed, shown back after an error.
type keyFields struct {
	Name, Key, ExpiresAt, RateLimit, RateLimitTTL string
	AllowedDomains, CustomAccountID, CustomUserID string
	Metadata                                      string
}

// keyForm is the data of the create and edit forms.
type keyForm struct {
	Project *keyway.Project
	Key     *keyway.APIKey
	F       keyFields
}

func formFields(r *http.Request) keyFields {
	g := func(n string) string { return strings.TrimSpace(r.PostFormValue(n)) }
	return keyFields{Name: g("name"), Key: g("key"), ExpiresAt: g("expiresAt"), RateLimit: g("rateLimit"),
		RateLimitTTL: g("rateLimitTtl"), AllowedDomains: g("allowedDomains"), CustomAccountID: g("customAccountId"),
		CustomUserID: g("customUserId"), Metadata: g("metadata")}
}

// parsed is a key form read into the service's types; the service
// validates the values, this only turns text into them.
type parsed struct {
	expiry    *keyway.Time
	rateLimit *keyway.RateLimit
	domains   []string
	metadata  json.RawMessage
}

func (f keyFields) parse() (parsed, error) {
	var p parsed
	var problems []string
	if f.ExpiresAt != "" {
		t, err := keyway.ParseTime(f.ExpiresAt)
		if err != nil {
			problems = append(problems, "Expires at is not a date and time")
		} else {
			p.expiry = &t
		}
	}
	if f.RateLimit != "" || f.RateLimitTTL != "" {
		n, err1 := strconv.Atoi(f.RateLimit)
		ttl, err2 := strconv.Atoi(f.RateLimitTTL)
		if err1 != nil || err2 != nil {
			problems = append(problems, "Rate limit and its window must both be whole numbers")
		} else {
			p.rateLimit = &keyway.RateLimit{RateLimit: n, RateLimitTTL: ttl}
		}
	}
	for _, d := range strings.Split(f.AllowedDomains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			p.domains = append(p.domains, d)
		}
	}
	if f.Metadata != "" {
		if !json.Valid([]byte(f.Metadata)) {
			problems = append(problems, "Metadata is not valid JSON")
		} else {
			p.metadata = json.RawMessage(f.Metadata)
		}
	}
	if problems != nil {
		return p, keyway.Invalid(problems...)
	}
	return p, nil
}

func (h *handler) newKeyPage(w http.ResponseWriter, r *http.Request) {
	if p, ok := h.project(w, r); ok {
		h.render(w, r, http.StatusOK, "key_form", &page{Title: "New API key", Data: keyForm{Project: p}})
	}
}

// createKey creates a key and shows it once, on the keys page, in the
// answer to the POST itself: the key string must never travel in a URL
// or a cookie, so there is no redirect to show it after.
func (h *handler) createKey(w http.ResponseWriter, r *http.Request) {
	p, ok := h.project(w, r)
	if !ok {
		return
	}
	f := formFields(r)
	in, err := f.parse()
	if err == nil {
		c := &keyway.APIKeyCreate{Name: f.Name, ProjectID: p.ID, Expiry: in.expiry, RateLimitConfigs: in.rateLimit,
			AllowedDomains: in.domains, CustomMetaData: in.metadata}
		if f.Key != "" {
			c.Key = new(keyway.APIKeySecret(f.Key))
		}
		if f.CustomAccountID != "" {
			c.CustomAccountID = &f.CustomAccountID
		}
		if f.CustomUserID != "" {
			c.CustomUserID = &f.CustomUserID
		}
		var k *keyway.APIKey
		if k, err = h.svc.CreateAPIKey(r.Context(), visitOf(r).Caller, c); err == nil {
			r.URL.RawQuery = ""
			h.showKeys(w, r, p, &newKey{Key: k.Key, Base: h.base(r)})
			return
		}
	}
	h.render(w, r, status(err), "key_form", &page{Title: "New API key", Error: message(err), Data: keyForm{Project: p, F: f}})
}

// base is the URL snippets call Keyway at.
func (h *handler) base(r *http.Request) string {
	if h.origin != "" {
		return h.origin
	}
	return "http://" + r.Host
}

// keyData is the key detail page.
type keyData struct {
	Key      *keyway.APIKey
	CanWrite bool
	New      *newKey
	Action   string
	// Usage and Events are the key's usage chart (analytics.go) and its
	// webhook events (webhooks.go), each rendered by its own partial.
	Usage  any
	Events any
}

// apiKey loads the key of the path, by its internal id (the key string is
// a secret and never goes in a URL), with the caller's role.
func (h *handler) apiKey(w http.ResponseWriter, r *http.Request) (*keyway.APIKey, bool) {
	k, err := h.svc.APIKeyByID(r.Context(), visitOf(r).Caller, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, visitOf(r), err)
		return nil, false
	}
	return k, true
}

func (h *handler) keyPage(w http.ResponseWriter, r *http.Request) {
	if k, ok := h.apiKey(w, r); ok {
		h.showKey(w, r, k, nil)
	}
}

func (h *handler) showKey(w http.ResponseWriter, r *http.Request, k *keyway.APIKey, nk *newKey) {
	d := keyData{Key: k, New: nk, CanWrite: visitOf(r).Caller.Can(keyway.RoleUser, k.AccountID, k.ProjectID),
		Usage: h.keyUsage(r, k), Events: h.keyEvents(r, k)}
	h.render(w, r, http.StatusOK, "key", &page{Title: k.Name, Data: d})
}

func (h *handler) confirmKeyPage(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if k, ok := h.apiKey(w, r); ok {
			h.render(w, r, http.StatusOK, "key_confirm", &page{Title: k.Name, Data: keyData{Key: k, Action: action}})
		}
	}
}

func (h *handler) rotateKey(w http.ResponseWriter, r *http.Request) {
	k, ok := h.apiKey(w, r)
	if !ok {
		return
	}
	nk, err := h.svc.RotateAPIKey(r.Context(), visitOf(r).Caller, k.Key.Reveal())
	if err != nil {
		h.fail(w, r, visitOf(r), err)
		return
	}
	h.showKey(w, r, nk, &newKey{Key: nk.Key, Base: h.base(r)})
}

func (h *handler) revokeKey(w http.ResponseWriter, r *http.Request) {
	k, ok := h.apiKey(w, r)
	if !ok {
		return
	}
	if _, err := h.svc.DeleteAPIKey(r.Context(), visitOf(r).Caller, k.Key.Reveal()); err != nil {
		h.fail(w, r, visitOf(r), err)
		return
	}
	http.Redirect(w, r, "/ui/keys/"+url.PathEscape(k.ID), http.StatusSeeOther)
}

func (h *handler) reactivateKey(w http.ResponseWriter, r *http.Request) {
	k, ok := h.apiKey(w, r)
	if !ok {
		return
	}
	if _, err := h.svc.ReactivateAPIKey(r.Context(), visitOf(r).Caller, k.Key.Reveal(), &keyway.APIKeyReactivate{}); err != nil {
		h.fail(w, r, visitOf(r), err)
		return
	}
	http.Redirect(w, r, "/ui/keys/"+url.PathEscape(k.ID), http.StatusSeeOther)
}

func (h *handler) editKeyPage(w http.ResponseWriter, r *http.Request) {
	k, ok := h.apiKey(w, r)
	if !ok {
		return
	}
	f := keyFields{Name: k.Name, AllowedDomains: strings.Join(k.AllowedDomains, ", "), Metadata: string(k.CustomMetaData)}
	if k.ExpiresAt != nil {
		f.ExpiresAt = k.ExpiresAt.UTC().Format("2006-01-02T15:04")
	}
	if k.RateLimit != nil {
		f.RateLimit, f.RateLimitTTL = strconv.Itoa(k.RateLimit.RateLimit), strconv.Itoa(k.RateLimit.RateLimitTTL)
	}
	if k.CustomAccountID != nil {
		f.CustomAccountID = *k.CustomAccountID
	}
	if k.CustomUserID != nil {
		f.CustomUserID = *k.CustomUserID
	}
	h.render(w, r, http.StatusOK, "key_form", &page{Title: "Edit " + k.Name, Data: keyForm{Project: h.keyProject(r, k), Key: k, F: f}})
}

// editKey saves every field of the form; an emptied field clears it.
func (h *handler) editKey(w http.ResponseWriter, r *http.Request) {
	k, ok := h.apiKey(w, r)
	if !ok {
		return
	}
	f := formFields(r)
	in, err := f.parse()
	if err == nil {
		u := &keyway.APIKeyUpdate{Name: keyway.Optional[string]{Set: true, Value: f.Name},
			Expiry:           optional(in.expiry),
			RateLimitConfigs: optional(in.rateLimit),
			AllowedDomains:   keyway.Optional[[]string]{Set: true, Value: in.domains, Null: in.domains == nil},
			CustomMetaData:   keyway.Optional[json.RawMessage]{Set: true, Value: in.metadata, Null: in.metadata == nil},
			CustomAccountID:  optional(nonEmpty(f.CustomAccountID)),
			CustomUserID:     optional(nonEmpty(f.CustomUserID)),
		}
		if _, err = h.svc.UpdateAPIKey(r.Context(), visitOf(r).Caller, k.Key.Reveal(), u); err == nil {
			http.Redirect(w, r, "/ui/keys/"+url.PathEscape(k.ID), http.StatusSeeOther)
			return
		}
	}
	h.render(w, r, status(err), "key_form", &page{Title: "Edit " + k.Name, Error: message(err),
		Data: keyForm{Project: h.keyProject(r, k), Key: k, F: f}})
}

// keyProject is the project a key form names: the key's, or when the
// caller cannot read it (a deleted project) its id alone.
func (h *handler) keyProject(r *http.Request, k *keyway.APIKey) *keyway.Project {
	if p, err := h.svc.GetProject(r.Context(), visitOf(r).Caller, k.ProjectID); err == nil {
		return p
	}
	return &keyway.Project{ID: k.ProjectID, Name: k.ProjectID, Env: k.Env}
}

// optional sets a field to v, or to null when v is nil.
func optional[T any](v *T) keyway.Optional[T] {
	if v == nil {
		return keyway.Optional[T]{Set: true, Null: true}
	}
	return keyway.Optional[T]{Set: true, Value: *v}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
