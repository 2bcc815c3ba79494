package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keywaytest"
)

// A request in flight when shutdown begins is finished and answered; only
// then does Close return and the store close.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	s := startServer(t, keywaytest.SQLiteURL(t))
	p := s.newProject("p", "live")

	body, _ := json.Marshal(map[string]any{"name": "in flight", "projectId": p.ID})
	conn, err := net.Dial("tcp", s.App.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Send the headers and half the body, so the server is mid-request.
	fmt.Fprintf(conn, "POST /api-keys HTTP/1.1\r\nHost: x\r\nx-api-key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", s.AccessKey, len(body))
	half := len(body) / 2
	if _, err := conn.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	waitServing(t, s)

	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		closed <- s.App.Close(ctx)
	}()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := conn.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(resp), "HTTP/1.1 201") || !strings.Contains(string(resp), `"name":"in flight"`) {
		t.Fatalf("in-flight request answered %q", resp)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	// New connections are refused once closed.
	if c, err := net.DialTimeout("tcp", s.App.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("server still accepts connections after Close")
	}
}

// waitServing polls until a second connection is answered, so the server
// loop has accepted the first. net/http's Shutdown waits for accepted
// connections that are mid-request (or new for under five seconds).
//
// The probe must use a new connection: the kernel hands connections to
// Accept in order, so the server has taken the first one once it answers
// on a later one. A pooled keep-alive connection would prove nothing.
func waitServing(t *testing.T, s *server) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	keywaytest.Eventually(t, "the server to answer /healthz", func() bool {
		resp, err := client.Get(s.URL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// Usage counted in memory is written to the store when the server closes.
func TestShutdownFlushesUsage(t *testing.T) {
	dbURL := keywaytest.SQLiteURL(t)
	s := startServer(t, dbURL)
	p := s.newProject("p", "live")
	k := s.newKey(p.ID, map[string]any{"rateLimitConfigs": map[string]any{"rateLimit": 3, "rateLimitTtl": 60}})
	for range 5 {
		s.call("POST", "/api-keys/auth/"+k.Key.Reveal(), nil)
	}
	if err := s.App.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(dbURL, "sqlite://")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ok, limited int
	var firstUsed sql.NullInt64
	if err := db.QueryRow(`SELECT COALESCE(SUM(successful),0), COALESCE(SUM(rate_limited),0) FROM usage_hour WHERE key_id <> ''`).Scan(&ok, &limited); err != nil {
		t.Fatal(err)
	}
	if ok != 3 || limited != 2 {
		t.Fatalf("stored usage: %d successful, %d rate limited; want 3 and 2", ok, limited)
	}
	if err := db.QueryRow(`SELECT first_used_at FROM api_keys`).Scan(&firstUsed); err != nil {
		t.Fatal(err)
	}
	if !firstUsed.Valid || firstUsed.Int64 != keyway.NewTime(s.Clock.Now()).Millis() {
		t.Fatalf("first_used_at = %v, want the (injected) time of use", firstUsed)
	}
}
