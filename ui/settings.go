package ui

import (
	"context"
	"net/http"

	"github.com/keywayhq/keyway"
)

// settingsService is what the settings pages (account name, profile, password) and the admins' system page call.
type settingsService interface {
	RenameAccount(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.Account, error)
	RenameUser(ctx context.Context, c *keyway.Caller, id string, in *keyway.Rename) (*keyway.User, error)
	ChangePassword(ctx context.Context, c *keyway.Caller, in *keyway.PasswordChange) error
}

// SystemInfo is what the admins' system page shows of the node that
// answers: the application fills it (Config.System) from what it runs.
// Nothing in it may hold a secret: URLs come without their userinfo.
type SystemInfo struct {
	Version string
	// Database is the engine ("SQLite (embedded)", "PostgreSQL"),
	// DatabaseURL where it is, without credentials, and DatabaseUp whether
	// it answered a ping just now.
	Database    string
	DatabaseURL string
	DatabaseUp  bool
	// RedisConfigured is whether Keyway uses Redis; RedisUp whether it
	// answered a PING just now.
	RedisConfigured, RedisUp bool
	// Cluster says how nodes share state (rate limits, invalidations).
	Cluster string
	// Invalidation is the channel that tells the other nodes of changes
	// ("" when there is none: one node); InvalidationUp whether it is
	// connected; PublishFailures the publishes that failed (each resent).
	Invalidation    string
	InvalidationUp  bool
	PublishFailures uint64
}

// settingsRoutes maps the settings pages (account name, profile, password) and the admins' system page.
func (h *handler) settingsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /ui/settings", h.private(h.settingsPage))
	mux.HandleFunc("POST /ui/settings/account", h.private(h.renameAccount))
	mux.HandleFunc("POST /ui/settings/profile", h.private(h.renameSelf))
	mux.HandleFunc("POST /ui/settings/password", h.private(h.changePassword))
	mux.HandleFunc("GET /ui/system", h.private(h.systemPage))
}

// settingsData is the settings page: the values shown in its three forms
// (as typed, after an error) and what was just saved.
type settingsData struct {
	AccountName string
	UserName    string
	Email       string
	Saved       string
}

// saved are the confirmations a redirect after a save names.
var saved = map[string]string{
	"account":  "Account name saved.",
	"profile":  "Your name is saved.",
	"password": "Password changed. Every other session of yours is signed out.",
}

func (h *handler) settingsData(r *http.Request) settingsData {
	v := visitOf(r)
	d := settingsData{Saved: saved[r.URL.Query().Get("saved")]}
	if v.Account != nil {
		d.AccountName = v.Account.Name
	}
	if u := v.Caller.User; u != nil {
		d.UserName, d.Email = u.Name, u.Email
	}
	return d
}

func (h *handler) settingsPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "settings", &page{Title: "Settings", Data: h.settingsData(r)})
}

// settingsError re-renders the settings page with the person's input and
// the service's message, at the API's status.
func (h *handler) settingsError(w http.ResponseWriter, r *http.Request, err error, d settingsData) {
	h.render(w, r, status(err), "settings", &page{Title: "Settings", Error: message(err), Data: d})
}

// renameAccount renames the current account; the service refuses anyone
// but its admins.
func (h *handler) renameAccount(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Account == nil {
		h.fail(w, r, v, keyway.ErrAccountNotFound)
		return
	}
	name := r.PostFormValue("name")
	if _, err := h.svc.RenameAccount(r.Context(), v.Caller, v.Account.ID, &keyway.Rename{Name: name}); err != nil {
		if st := status(err); st == http.StatusForbidden || st == http.StatusNotFound {
			h.fail(w, r, v, err)
			return
		}
		d := h.settingsData(r)
		d.AccountName, d.Saved = name, ""
		h.settingsError(w, r, err, d)
		return
	}
	http.Redirect(w, r, "/ui/settings?saved=account", http.StatusSeeOther)
}

// renameSelf renames the signed-in person.
func (h *handler) renameSelf(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Caller.User == nil {
		h.fail(w, r, v, keyway.ErrForbidden)
		return
	}
	name := r.PostFormValue("name")
	if _, err := h.svc.RenameUser(r.Context(), v.Caller, v.Caller.User.ID, &keyway.Rename{Name: name}); err != nil {
		d := h.settingsData(r)
		d.UserName, d.Saved = name, ""
		h.settingsError(w, r, err, d)
		return
	}
	http.Redirect(w, r, "/ui/settings?saved=profile", http.StatusSeeOther)
}

// changePassword sets a new password. The service ends every session of
// the person, this one included; the person typed the new password just
// now, so a new session is started with it and they stay signed in here,
// while every other browser of theirs is signed out. Should that sign-in
// fail (throttled), they are sent to sign in.
func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if v.Caller.User == nil {
		h.fail(w, r, v, keyway.ErrForbidden)
		return
	}
	in := &keyway.PasswordChange{Current: keyway.Password(r.PostFormValue("current")), New: keyway.Password(r.PostFormValue("new"))}
	if err := h.svc.ChangePassword(r.Context(), v.Caller, in); err != nil {
		d := h.settingsData(r)
		d.Saved = ""
		h.settingsError(w, r, err, d)
		return
	}
	tok, _, err := h.svc.StartSessionWithPassword(r.Context(), &keyway.Login{Email: v.Caller.User.Email, Password: in.New})
	if err != nil {
		h.log.Info("ui: no new session after a password change", "err", err)
		http.SetCookie(w, h.cookie(sessionCookie, "", -1))
		http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
		return
	}
	http.SetCookie(w, h.cookie(sessionCookie, tok.Reveal(), 0))
	http.Redirect(w, r, "/ui/settings?saved=password", http.StatusSeeOther)
}

// systemData is the system page.
type systemData struct {
	Info    SystemInfo
	Metrics string
	OpenAPI string
}

// systemPage is for admins of the current account: anyone else gets the
// 403 the service answers a member for an admin's operation.
func (h *handler) systemPage(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	if !v.Admin {
		h.fail(w, r, v, keyway.ErrForbidden)
		return
	}
	d := systemData{Metrics: "/metrics", OpenAPI: "/openapi.json"}
	if h.system != nil {
		d.Info = h.system(r.Context())
	}
	h.render(w, r, http.StatusOK, "system", &page{Title: "System", Data: d})
}
