package ui

import (
	"context"
	"net/http"
	"slices"

	"github.com/keywayhq/keyway"
)

// visit is a signed-in request: the person's caller, the account the pages
// show (one the caller holds a role in, checked on every request) and the
// CSRF token its forms carry.
type visit struct {
	Caller   *keyway.Caller
	Accounts []*keyway.Account
	Account  *keyway.Account
	CSRF     string
	// Admin is whether the person is an admin of Account: the pages only
	// admins may use are linked for them alone (the service still checks).
	Admin bool
	// Unread is the count of the person's unread notifications, shown in
	// the header; UnreadMore says there may be more than Unread (team.go's
	// unread reads the newest page only).
	Unread     int
	UnreadMore bool
}

type visitKey struct{}

// visitOf is the visit of a request that went through h.private.
func visitOf(r *http.Request) *visit { return r.Context().Value(visitKey{}).(*visit) }

// private resolves the session of a private page: without a valid one the
// person is sent to sign in.
func (h *handler) private(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
			return
		}
		caller, _, err := h.svc.SessionCaller(r.Context(), c.Value)
		if keyway.ErrorCode(err) == keyway.CodeUnauthorized {
			http.SetCookie(w, h.cookie(sessionCookie, "", -1))
			http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
			return
		}
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		v := &visit{Caller: caller, CSRF: csrfToken(c.Value)}
		if v.Accounts, err = h.svc.ListAccounts(r.Context(), caller); err != nil {
			h.fail(w, r, nil, err)
			return
		}
		v.Account = chooseAccount(v.Accounts, r)
		v.Admin = v.Account != nil && caller.Can(keyway.RoleAdmin, v.Account.ID, "")
		v.Unread, v.UnreadMore = h.unread(r.Context(), caller)
		next(w, r.WithContext(context.WithValue(r.Context(), visitKey{}, v)))
	}
}

// chooseAccount is the account the account cookie names when the caller
// may see it, else the caller's first; nil for a person in no account.
func chooseAccount(accounts []*keyway.Account, r *http.Request) *keyway.Account {
	if len(accounts) == 0 {
		return nil
	}
	if c, err := r.Cookie(accountCookie); err == nil {
		if i := slices.IndexFunc(accounts, func(a *keyway.Account) bool { return a.ID == c.Value }); i >= 0 {
			return accounts[i]
		}
	}
	return accounts[0]
}

// switchAccount remembers the chosen account, refusing one the caller
// cannot see.
func (h *handler) switchAccount(w http.ResponseWriter, r *http.Request) {
	v := visitOf(r)
	id := r.PostFormValue("account")
	if !slices.ContainsFunc(v.Accounts, func(a *keyway.Account) bool { return a.ID == id }) {
		h.fail(w, r, v, keyway.Errorf(keyway.CodeNotFound, "Account not found"))
		return
	}
	http.SetCookie(w, h.cookie(accountCookie, id, 0))
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// startSession sets the session cookie after a sign-in and sends the
// person to their projects.
func (h *handler) startSession(w http.ResponseWriter, r *http.Request, token keyway.SessionToken) {
	http.SetCookie(w, h.cookie(sessionCookie, token.Reveal(), 0))
	http.SetCookie(w, h.cookie(preSessionCookie, "", -1))
	http.Redirect(w, r, "/ui/", http.StatusSeeOther)
}

// signout ends the session and clears the cookies.
func (h *handler) signout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := h.svc.EndSession(r.Context(), c.Value); err != nil && keyway.ErrorCode(err) != keyway.CodeUnauthorized {
			h.fail(w, r, nil, err)
			return
		}
	}
	http.SetCookie(w, h.cookie(sessionCookie, "", -1))
	http.SetCookie(w, h.cookie(accountCookie, "", -1))
	http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
}
