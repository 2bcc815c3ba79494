package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
)

// csp allows nothing inline and nothing from another host: every script
// and style is an embedded file under /ui/static/.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Cookie names. The session cookie carries the session token; the
// pre-session one is a random value that keys the CSRF token of the forms
// shown before sign-in (sign-in itself must not be forgeable either).
const (
	sessionCookie    = "keyway_session"
	preSessionCookie = "keyway_presession"
	accountCookie    = "keyway_account"
)

// guard sets the security headers of every /ui/ response and refuses a
// state-changing request that comes from another site or lacks the CSRF
// token of its session: the one place both checks are made.
func (h *handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/ui/static/") {
			// Nothing but the hashed assets may be kept: the back button
			// after sign-out must show nothing private.
			hd.Set("Cache-Control", "no-store")
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !h.sameSite(r) {
				h.forbidden(w, r, "This request came from another site, so it was refused. Open Keyway directly and try again.")
				return
			}
			// A form larger than this is no form of ours.
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if !validCSRF(csrfKey(r), r.PostFormValue("csrf")) {
				h.forbidden(w, r, "This form has expired or did not come from Keyway. Go back, reload the page and try again.")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sameSite reports whether a request comes from Keyway's own pages: its
// Origin is the public URL's (or, behind no proxy, the host it was sent
// to); without Origin, Sec-Fetch-Site must not name another site. A
// request with neither header is a non-browser client, which cannot carry
// the SameSite=Strict cookie from another site anyway.
func (h *handler) sameSite(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o == "null" {
		return r.Header.Get("Sec-Fetch-Site") == "same-origin"
	} else if o != "" {
		o = strings.ToLower(o)
		return (h.origin != "" && o == h.origin) || o == "http://"+strings.ToLower(r.Host) && r.TLS == nil || o == "https://"+strings.ToLower(r.Host) && r.TLS != nil
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// csrfKey is what a request's CSRF token is derived from: its session
// token, or before sign-in its pre-session cookie ("" when it has neither,
// and then no token is valid).
func csrfKey(r *http.Request) string {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		return c.Value
	}
	if c, err := r.Cookie(preSessionCookie); err == nil && c.Value != "" {
		return c.Value
	}
	return ""
}

// csrfToken is the CSRF token for a key: an HMAC of a fixed label under the
// session token, so every node computes the same one with nothing stored,
// and a page of another site cannot compute it without the cookie.
func csrfToken(key string) string {
	if key == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte("keyway csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF compares a posted token with the key's in constant time.
func validCSRF(key, got string) bool {
	want := csrfToken(key)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// formCSRF is the CSRF token of a page that may be shown with or without
// a session (sign-in, sign-up, reset): the one the guard will check, so a
// browser still holding a session cookie can post the form too.
func (h *handler) formCSRF(w http.ResponseWriter, r *http.Request) string {
	if k := csrfKey(r); k != "" {
		return csrfToken(k)
	}
	return csrfToken(h.preSession(w, r))
}

// preSession returns the request's pre-session key, setting a new cookie
// when it has none, so the sign-in forms carry a CSRF token.
func (h *handler) preSession(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preSessionCookie); err == nil && c.Value != "" {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, h.cookie(preSessionCookie, v, 0))
	return v
}

// cookie builds one of the dashboard's cookies: HttpOnly, SameSite=Strict,
// scoped to /ui/, Secure when the public URL is https. maxAge < 0 deletes.
func (h *handler) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/ui/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: h.secure}
}
