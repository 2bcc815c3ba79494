package app_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/keywayhq/keyway/keywaytest"
)

// discardWriter is a reusable ResponseWriter, so the benchmark measures the
// handler and not a recorder. Like net/http's own, it takes strings
// without a conversion (io.StringWriter): cached answers are written from
// strings.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header               { return w.h }
func (w *discardWriter) Write(b []byte) (int, error)       { return len(b), nil }
func (w *discardWriter) WriteHeader(s int)                 { w.status = s }
func (w *discardWriter) WriteString(s string) (int, error) { return len(s), nil }

// BenchmarkVerifyHandler measures POST /api-keys/auth/{key} through the
// whole HTTP handler, next to the least a handler can do with a body of the
// same size, measured in the same run.
func BenchmarkVerifyHandler(b *testing.B) {
	s := startServer(b, keywaytest.SQLiteURL(b))
	p := s.newProject("bench", "live")
	k := s.newKey(p.ID, map[string]any{"customMetaData": map[string]any{"plan": "pro"}})
	size := len(s.call("POST", "/api-keys/auth/"+k.Key.Reveal(), nil).want(b, 200).Body)

	req := httptest.NewRequest("POST", "/api-keys/auth/"+k.Key.Reveal(), nil)
	req.Header.Set("x-api-key", s.AccessKey)
	h := s.App.Handler()
	b.Run("keyway", func(b *testing.B) {
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			h.ServeHTTP(w, req)
		}
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	})
	body := make([]byte, size)
	ct := []string{"application/json; charset=utf-8"}
	cl := []string{strconv.Itoa(size)}
	baseline := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = ct
		w.Header()["Content-Length"] = cl
		w.Write(body)
	})
	b.Run("baseline", func(b *testing.B) {
		w := &discardWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			clear(w.h)
			baseline.ServeHTTP(w, req)
		}
	})
}
