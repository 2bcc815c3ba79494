package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"strings"
)

//go:embed static/app.js static/app.css static/icon.svg
var staticFiles embed.FS

// asset is one embedded file, served under a name that carries its
// content hash so it can be cached for a year and never go stale.
type asset struct {
	hashed string
	body   []byte
	ctype  string
}

// assets maps the plain name (app.js) and the hashed name to the file.
var assets = loadAssets()

func loadAssets() map[string]*asset {
	m := map[string]*asset{}
	for _, name := range []string{"app.js", "app.css", "icon.svg"} {
		body, err := staticFiles.ReadFile("static/" + name)
		if err != nil {
			panic(err) // embedded: cannot fail in a built binary
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		a := &asset{hashed: strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext, body: body,
			ctype: map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}[ext]}
		m[name], m[a.hashed] = a, a
	}
	return m
}

// assetPath is the URL of an asset by its plain name, for templates.
func assetPath(name string) string { return "/ui/static/" + assets[name].hashed }

// serveStatic serves an asset by its hashed name only: the plain name
// would be cached forever under a changing content.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	a, ok := assets[name]
	if !ok || a.hashed != name {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(a.body)
}
