package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"

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
	// CanReveal is whether the person may have a key shown in full: an
	// admin of the project's account (the service decides).
	CanReveal bool
	New       *newKey
	// Gone is set when the page was to show a new key that is no longer
	// held (shown already, expired, or created on another node).
	Gone bool
	// Groups are the keys in the order shown: one group, or with "All"
	// the active keys and then the revoked ones, each under its heading.
	Groups []keyGroup
}

// keyGroup is keys shown under one heading ("" for none).
type keyGroup struct {
	Title string
	Keys  []*keyway.APIKey
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
	nk, gone := h.takeShown(r, "", p.ID)
	h.showKeys(w, r, p, nk, gone)
}

// takeShown takes the new key the page's shown= names, once: it must have
// been kept for this session and for this key or project. gone reports a
// shown= that names nothing (any more).
func (h *handler) takeShown(r *http.Request, keyID, projectID string) (nk *newKey, gone bool) {
	id := r.URL.Query().Get("shown")
	if id == "" {
		return nil, false
	}
	e, ok := h.shown.take(id, sessionOf(r), keyID, projectID, h.clock.Now())
	if !ok {
		return nil, true
	}
	return &newKey{Key: e.key, Base: h.base(r)}, false
}

// sessionOf is the session token of a private request (h.private checked
// the cookie).
func sessionOf(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// showKeys renders a project's keys page, with a new key on top when one
// was just created.
func (h *handler) showKeys(w http.ResponseWriter, r *http.Request, p *keyway.Project, nk *newKey, gone bool) {
	v := visitOf(r)
	q := r.URL.Query()
	d := keysData{Project: p, Q: q.Get("q"), CustomAccountID: q.Get("customAccountId"), CustomUserID: q.Get("customUserId"),
		Status: q.Get("status"), New: nk, Gone: gone, CanCreate: v.Caller.Can(keyway.RoleUser, p.AccountID, p.ID),
		CanReveal: v.Caller.Can(keyway.RoleAdmin, p.AccountID, "")}
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
	d.Groups = groupKeys(keys, d.Status == "all")
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

// groupKeys puts a page of keys under headings: with "All", whose pages
// hold the active keys and then the revoked ones (the store lists one or
// the other), each part under its own; else one group without one.
func groupKeys(keys []*keyway.APIKey, all bool) []keyGroup {
	if !all {
		return []keyGroup{{Keys: keys}}
	}
	var active, revoked []*keyway.APIKey
	for _, k := range keys {
		if k.IsActive {
			active = append(active, k)
		} else {
			revoked = append(revoked, k)
		}
	}
	var gs []keyGroup
	if len(active) > 0 {
		gs = append(gs, keyGroup{Title: "Active keys", Keys: active})
	}
	if len(revoked) > 0 {
		gs = append(gs, keyGroup{Title: "Revoked keys", Keys: revoked})
	}
	return gs
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
	// Was are the values the edit form first showed, posted back with it.
	Was keyFields
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

// createKey creates a key and redirects to the keys page, which shows it
// once: the key string is kept server-side (h.shown) under a random id
// bound to this session, never put in a URL or a cookie, so reloading the
// page creates nothing and shows the key no more.
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
			id := h.shown.put(sessionOf(r), k, h.clock.Now())
			http.Redirect(w, r, "/ui/projects/"+url.PathEscape(p.ID)+"/keys?shown="+url.QueryEscape(id), http.StatusSeeOther)
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
	Gone     bool
	// CanReveal shows the Reveal button (admins of the key's account);
	// Revealed is the key in full, in the answer to that POST only.
	CanReveal bool
	Revealed  keyway.APIKeySecret
	Action    string
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
		d := h.keyData(r, k)
		d.New, d.Gone = h.takeShown(r, k.ID, k.ProjectID)
		h.render(w, r, http.StatusOK, "key", &page{Title: k.Name, Data: d})
	}
}

func (h *handler) keyData(r *http.Request, k *keyway.APIKey) keyData {
	c := visitOf(r).Caller
	return keyData{Key: k, CanWrite: c.Can(keyway.RoleUser, k.AccountID, k.ProjectID), CanReveal: c.Can(keyway.RoleAdmin, k.AccountID, ""),
		Usage: h.keyUsage(r, k), Events: h.keyEvents(r, k)}
}

// revealKey shows a key in full in the answer to the POST (never in a
// URL), for admins of its account; the service records every reveal.
func (h *handler) revealKey(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	k, err := h.svc.RevealAPIKey(r.Context(), v.Caller, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := h.keyData(r, k)
	d.Revealed = k.Key
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
	// As after create: the new string is shown once on the page the
	// redirect opens, so a reload rotates nothing.
	id := h.shown.put(sessionOf(r), nk, h.clock.Now())
	http.Redirect(w, r, "/ui/keys/"+url.PathEscape(nk.ID)+"?shown="+url.QueryEscape(id), http.StatusSeeOther)
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

// currentFields are a key's values as the edit form shows them.
func currentFields(k *keyway.APIKey) keyFields {
	f := keyFields{Name: k.Name, AllowedDomains: strings.Join(k.AllowedDomains, ", ")}
	if m := string(k.CustomMetaData); m != "" && m != "{}" && m != "null" {
		f.Metadata = m
	}
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
	return f
}

func (h *handler) editKeyPage(w http.ResponseWriter, r *http.Request) {
	k, ok := h.apiKey(w, r)
	if !ok {
		return
	}
	f := currentFields(k)
	h.render(w, r, http.StatusOK, "key_form", &page{Title: "Edit " + k.Name, Data: keyForm{Project: h.keyProject(r, k), Key: k, F: f, Was: f}})
}

// wasFields are the values the edit form showed, posted back with it
// (was_… fields), so that only what the person changed is saved; ok is
// false for a form without them.
func wasFields(r *http.Request) (keyFields, bool) {
	if _, ok := r.PostForm["was_name"]; !ok {
		return keyFields{}, false
	}
	g := func(n string) string { return strings.TrimSpace(r.PostFormValue("was_" + n)) }
	return keyFields{Name: g("name"), ExpiresAt: g("expiresAt"), RateLimit: g("rateLimit"),
		RateLimitTTL: g("rateLimitTtl"), AllowedDomains: g("allowedDomains"), CustomAccountID: g("customAccountId"),
		CustomUserID: g("customUserId"), Metadata: g("metadata")}, true
}

// editKey saves what the person changed: a field is sent to the service
// only when the form holds it and its value differs from the one the form
// showed (or, for a form without those, from the key's now). A field
// emptied on purpose clears it; a field left as shown, or absent, stays as
// it is. An empty custom key keeps the key string.
func (h *handler) editKey(w http.ResponseWriter, r *http.Request) {
	k, ok := h.apiKey(w, r)
	if !ok {
		return
	}
	f := formFields(r)
	was, ok := wasFields(r)
	if !ok {
		was = currentFields(k)
	}
	in, err := f.parse()
	if err == nil {
		posted := func(names ...string) bool {
			for _, n := range names {
				if _, ok := r.PostForm[n]; ok {
					return true
				}
			}
			return false
		}
		u := &keyway.APIKeyUpdate{}
		changed := false
		if posted("name") && f.Name != was.Name {
			u.Name, changed = keyway.Optional[string]{Set: true, Value: f.Name}, true
		}
		if f.Key != "" {
			u.Key, changed = keyway.Optional[keyway.APIKeySecret]{Set: true, Value: keyway.APIKeySecret(f.Key)}, true
		}
		if posted("expiresAt") && f.ExpiresAt != was.ExpiresAt {
			u.Expiry, changed = optional(in.expiry), true
		}
		if posted("rateLimit", "rateLimitTtl") && (f.RateLimit != was.RateLimit || f.RateLimitTTL != was.RateLimitTTL) {
			u.RateLimitConfigs, changed = optional(in.rateLimit), true
		}
		if posted("allowedDomains") && f.AllowedDomains != was.AllowedDomains {
			u.AllowedDomains, changed = keyway.Optional[[]string]{Set: true, Value: in.domains, Null: in.domains == nil}, true
		}
		if posted("metadata") && f.Metadata != was.Metadata {
			u.CustomMetaData, changed = keyway.Optional[json.RawMessage]{Set: true, Value: in.metadata, Null: in.metadata == nil}, true
		}
		if posted("customAccountId") && f.CustomAccountID != was.CustomAccountID {
			u.CustomAccountID, changed = optional(nonEmpty(f.CustomAccountID)), true
		}
		if posted("customUserId") && f.CustomUserID != was.CustomUserID {
			u.CustomUserID, changed = optional(nonEmpty(f.CustomUserID)), true
		}
		if !changed {
			http.Redirect(w, r, "/ui/keys/"+url.PathEscape(k.ID), http.StatusSeeOther)
			return
		}
		if _, err = h.svc.UpdateAPIKey(r.Context(), visitOf(r).Caller, k.Key.Reveal(), u); err == nil {
			http.Redirect(w, r, "/ui/keys/"+url.PathEscape(k.ID), http.StatusSeeOther)
			return
		}
	}
	f.Key = "" // a custom key is a secret: typed again, never shown back
	h.render(w, r, status(err), "key_form", &page{Title: "Edit " + k.Name, Error: message(err),
		Data: keyForm{Project: h.keyProject(r, k), Key: k, F: f, Was: was}})
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

// shownKeys holds each new key string (after create or rotate) for the one
// page that shows it, so that page is reached by a redirect and reloading
// it re-posts nothing. An entry is bound to the session that made it (by a
// hash of its token), taken on first view, and gone after shownTTL; at
// most shownMax are held (otter evicts past that). It is in this node's
// memory only: behind a load balancer without sticky sessions the page
// after the redirect may reach another node, which then says the key is no
// longer shown and that rotating it makes a new one.
type shownKeys struct {
	cache *otter.Cache[string, shownKey]
}

type shownKey struct {
	session   [32]byte
	key       keyway.APIKeySecret
	keyID     string
	projectID string
	until     time.Time
}

const (
	shownTTL = 5 * time.Minute
	shownMax = 1000
)

func newShownKeys() *shownKeys {
	return &shownKeys{cache: otter.Must(&otter.Options[string, shownKey]{
		MaximumSize: shownMax,
		// take checks until with the handler's clock; this only frees the
		// memory of keys whose page was never opened.
		ExpiryCalculator: otter.ExpiryWriting[string, shownKey](shownTTL),
	})}
}

// put keeps k's string for session and returns the id its page names.
func (s *shownKeys) put(session string, k *keyway.APIKey, now time.Time) string {
	b := make([]byte, 18)
	rand.Read(b)
	id := base64.RawURLEncoding.EncodeToString(b)
	s.cache.Set(id, shownKey{session: sha256.Sum256([]byte(session)), key: k.Key, keyID: k.ID, projectID: k.ProjectID, until: now.Add(shownTTL)})
	return id
}

// take returns and forgets the entry of id when it belongs to session and
// to the page (keyID, or projectID when keyID is "") and has not expired.
// Another session's request leaves it in place. It is one atomic step, so
// two concurrent views cannot both get the key.
func (s *shownKeys) take(id, session, keyID, projectID string, now time.Time) (shownKey, bool) {
	var got shownKey
	var ok bool
	s.cache.ComputeIfPresent(id, func(e shownKey) (shownKey, otter.ComputeOp) {
		if !now.Before(e.until) {
			return e, otter.InvalidateOp
		}
		if sha256.Sum256([]byte(session)) != e.session || keyID != "" && e.keyID != keyID || keyID == "" && e.projectID != projectID {
			return e, otter.CancelOp
		}
		got, ok = e, true
		return e, otter.InvalidateOp
	})
	return got, ok
}
