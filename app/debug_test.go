package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keywaytest"
)

// The profiler is served on its own listener, only when asked for, on
// loopback when the address names no host; never on the API's.
func TestDebugListener(t *testing.T) {
	s := startServerWith(t, keywaytest.SQLiteURL(t), nil, func(c *app.Config) { c.DebugAddr = ":0" })
	addr := s.App.DebugAddr()
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("debug listener on %q, want loopback for an address without a host", addr)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "HeapAlloc") {
		t.Fatalf("heap profile: %d %.200s", resp.StatusCode, body)
	}
	resp, err = http.Get(s.URL + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("/debug/pprof/ on the API listener: %d, want 404", resp.StatusCode)
	}

	plain := startServer(t, keywaytest.SQLiteURL(t))
	if a := plain.App.DebugAddr(); a != "" {
		t.Fatalf("a debug listener (%s) without one configured", a)
	}
}
