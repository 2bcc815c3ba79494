package app_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keywayhq/keyway/keywaytest"
)

// BenchmarkMCP measures one stateless /mcp request through the whole
// handler: listing the tools, and calling one (a project read), each next
// to a REST read of the same project measured in the same run.
func BenchmarkMCP(b *testing.B) {
	s := startServer(b, keywaytest.SQLiteURL(b))
	p := s.newProject("bench", "live")
	h := s.App.Handler()
	rpc := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/mcp", strings.NewReader(body))
		r.Header.Set("x-api-key", s.AccessKey)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", "application/json, text/event-stream")
		return r
	}
	for _, c := range []struct{ name, body, want string }{
		{"tools-list", `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`, `"get_single_the_auth_api_project_by_id"`},
		{"tools-call", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_single_the_auth_api_project_by_id","arguments":{"id":"` + p.ID + `"}}}`, p.ID},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, rpc(c.body))
		if w.Code != 200 || !strings.Contains(w.Body.String(), c.want) || strings.Contains(w.Body.String(), `"isError":true`) {
			b.Fatalf("%s: %d %s", c.name, w.Code, w.Body)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := &discardWriter{h: http.Header{}}
				h.ServeHTTP(w, rpc(c.body))
				if w.status != 0 && w.status != 200 { // 0: a write without WriteHeader
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
	b.Run("rest-get-project", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := httptest.NewRequest("GET", "/projects/"+p.ID, nil)
			r.Header.Set("x-api-key", s.AccessKey)
			w := &discardWriter{h: http.Header{}}
			h.ServeHTTP(w, r)
			if w.status != 200 {
				b.Fatalf("status %d", w.status)
			}
		}
	})
}
