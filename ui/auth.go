package ui

import (
	"net/http"

	"github.com/keywayhq/keyway"
)

// form is a sign-in form's values, shown back after an error (never a
// password or code).
type form struct {
	Email string
	Name  string
	Token string
	Sent  bool
	Valid bool
}

// anon renders a page of the signed-out forms, each with a CSRF token
// keyed by the pre-session cookie.
func (h *handler) anon(w http.ResponseWriter, r *http.Request, st int, name, title string, err error, f form) {
	p := &page{Title: title, CSRF: h.formCSRF(w, r), Data: f}
	if err != nil {
		p.Error = message(err)
	}
	h.render(w, r, st, name, p)
}

func (h *handler) signinPage(w http.ResponseWriter, r *http.Request) {
	h.anon(w, r, http.StatusOK, "signin", "Sign in", nil, form{})
}

func (h *handler) signin(w http.ResponseWriter, r *http.Request) {
	in := &keyway.Login{Email: r.PostFormValue("email"), Password: keyway.Password(r.PostFormValue("password"))}
	tok, _, err := h.svc.StartSessionWithPassword(r.Context(), in)
	if err != nil {
		h.anon(w, r, status(err), "signin", "Sign in", err, form{Email: r.PostFormValue("email")})
		return
	}
	h.startSession(w, r, tok)
}

func (h *handler) codePage(w http.ResponseWriter, r *http.Request) {
	h.anon(w, r, http.StatusOK, "code", "Sign in with a code", nil, form{})
}

func (h *handler) sendCode(w http.ResponseWriter, r *http.Request) {
	f := form{Email: r.PostFormValue("email")}
	if err := h.svc.EmailLoginCode(r.Context(), &keyway.EmailOTC{Email: f.Email}); err != nil {
		h.anon(w, r, status(err), "code", "Sign in with a code", err, f)
		return
	}
	f.Sent = true
	h.anon(w, r, http.StatusOK, "code", "Sign in with a code", nil, f)
}

func (h *handler) verifyCode(w http.ResponseWriter, r *http.Request) {
	tok, _, err := h.svc.StartSessionWithCode(r.Context(), &keyway.LoginCode{Code: keyway.OneTimeCode(r.PostFormValue("code"))})
	if err != nil {
		h.anon(w, r, status(err), "code", "Sign in with a code", err, form{Sent: true})
		return
	}
	h.startSession(w, r, tok)
}

// setupPage shows the first-run form only for a setup link that is still
// valid; any other token gets a page saying so, and no form.
func (h *handler) setupPage(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	if _, err := h.svc.SetupInfo(r.Context(), tok); tok == "" || err != nil {
		h.anon(w, r, http.StatusNotFound, "setup", "Set up Keyway", nil, form{})
		return
	}
	h.anon(w, r, http.StatusOK, "setup", "Set up Keyway", nil, form{Token: tok, Valid: true})
}

func (h *handler) setup(w http.ResponseWriter, r *http.Request) {
	f := form{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Token: r.PostFormValue("token"), Valid: true}
	tok, _, err := h.svc.CompleteSetup(r.Context(), &keyway.Setup{Token: keyway.SetupToken(f.Token), Email: f.Email, Name: f.Name,
		Password: keyway.Password(r.PostFormValue("password"))})
	if err != nil {
		if keyway.ErrorCode(err) == keyway.CodeNotFound || keyway.ErrorCode(err) == keyway.CodeUnauthorized {
			f.Valid = false
		}
		h.anon(w, r, status(err), "setup", "Set up Keyway", err, f)
		return
	}
	h.startSession(w, r, tok)
}

func (h *handler) forgotPage(w http.ResponseWriter, r *http.Request) {
	h.anon(w, r, http.StatusOK, "forgot", "Reset your password", nil, form{})
}

func (h *handler) sendReset(w http.ResponseWriter, r *http.Request) {
	f := form{Email: r.PostFormValue("email")}
	if err := h.svc.RequestPasswordReset(r.Context(), &keyway.EmailOTC{Email: f.Email}); err != nil {
		h.anon(w, r, status(err), "forgot", "Reset your password", err, f)
		return
	}
	f.Sent = true
	h.anon(w, r, http.StatusOK, "forgot", "Reset your password", nil, f)
}

func (h *handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	f := form{Email: r.PostFormValue("email"), Sent: true}
	err := h.svc.ResetPassword(r.Context(), &keyway.PasswordReset{Email: f.Email,
		Code: keyway.OneTimeCode(r.PostFormValue("code")), Password: keyway.Password(r.PostFormValue("password"))})
	if err != nil {
		h.anon(w, r, status(err), "forgot", "Reset your password", err, f)
		return
	}
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}
