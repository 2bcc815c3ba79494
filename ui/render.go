package ui

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/httpapi"
)

//go:embed templates/*.html
var templateFiles embed.FS

// pages holds one template set per page, each the layout plus the page.
type pages struct{ sets map[string]*template.Template }

// page is what every template is given.
type page struct {
	Title string
	// Visit is the signed-in person's; nil on the sign-in pages, which
	// then show no header.
	Visit *visit
	// CSRF is the token of the page's forms.
	CSRF string
	// Error is a message for the person, shown in role="alert".
	Error string
	Data  any
}

var funcs = template.FuncMap{
	"asset": assetPath,
	"mask":  maskKey,
	"when":  when,
}

func parsePages() (*pages, error) {
	// Partials (files starting with "_") are sections several pages share,
	// each owned by the area that fills it; every page set holds them.
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range names {
		name = strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		set, err := template.Must(layout.Clone()).ParseFS(templateFiles, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		p.sets[name] = set
	}
	return p, nil
}

// render writes a page; it renders into a buffer first so that a template
// failure is a clean 500, never half a page.
func (h *handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	if v, ok := r.Context().Value(visitKey{}).(*visit); ok && p.Visit == nil {
		p.Visit = v
	}
	if p.Visit != nil {
		p.CSRF = p.Visit.CSRF
	}
	var buf bytes.Buffer
	if err := h.pages.sets[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.Error("ui: render", "page", name, "err", err)
		http.Error(w, "Keyway could not show this page. Reload it; if it keeps failing, see the server log.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message is what a person is told of a service error: its public message
// (or list of problems); an internal failure says only that it happened.
func message(err error) string {
	e := keyway.AsError(err)
	if e.Code == keyway.CodeInternal {
		return "Something went wrong on our side. Try again; if it keeps failing, the server log says why."
	}
	if e.Message != "" {
		return e.Message
	}
	return strings.Join(e.Details, "; ")
}

// status is the HTTP status of a page showing a service error: the one
// the API answers for it.
func status(err error) int { return httpapi.StatusOf(keyway.ErrorCode(err)) }

// fail shows an error page for a service error; internal causes are
// logged, never shown.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	st := status(err)
	if st == http.StatusInternalServerError {
		h.log.Error("ui: request failed", "path", r.URL.Path, "err", err)
	}
	h.render(w, r, st, "error", &page{Title: http.StatusText(st), Visit: v, Error: message(err), Data: st})
}

// forbidden is the page of a refused request (another site, no CSRF token).
func (h *handler) forbidden(w http.ResponseWriter, r *http.Request, msg string) {
	h.render(w, r, http.StatusForbidden, "error", &page{Title: "Forbidden", Error: msg, Data: http.StatusForbidden})
}

// notFound is the page of an unknown path.
func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "error", &page{Title: "Not found",
		Error: "There is no page here. Check the address, or go back to your projects.", Data: http.StatusNotFound})
}

// maskKey shows enough of a key to tell it apart and not enough to use
// it: its environment prefix, four characters, an ellipsis and the last
// four (live_ab12…yz89).
func maskKey(k keyway.APIKeySecret) string {
	s := k.Reveal()
	prefix := ""
	if i := strings.IndexByte(s, '_'); i > 0 && i < 12 {
		prefix, s = s[:i+1], s[i+1:]
	}
	if len(s) <= 12 {
		return prefix + s[:min(2, len(s))] + "…"
	}
	return prefix + s[:4] + "…" + s[len(s)-4:]
}

// when renders an instant as a <time> element in UTC with the offset
// shown; app.js may localize the text, the datetime attribute stays exact.
func when(t any) template.HTML {
	var v time.Time
	switch x := t.(type) {
	case keyway.Time:
		v = x.Time
	case *keyway.Time:
		if x == nil {
			return "—"
		}
		v = x.Time
	case time.Time:
		v = x
	default:
		return "—"
	}
	v = v.UTC()
	return template.HTML(`<time datetime="` + v.Format(time.RFC3339) + `">` + v.Format("2006-01-02 15:04 UTC+00:00") + `</time>`)
}
