// Package harness runs Keyway for end-to-end tests: a real server on
// 127.0.0.1:0 over a fresh database, with a bootstrapped account, and the
// one way tests talk JSON to a server, in process or not.
//
// It is apart from keywaytest because it imports app, and packages app is
// built from use keywaytest in their internal tests: keywaytest importing
// app would be an import cycle there.
package harness

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/app"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// Server is a running Keyway with a bootstrapped account.
type Server struct {
	App   *app.App
	URL   string
	DBURL string
	Clock *keywaytest.Clock
	// AccessKey is the account-level key of the bootstrapped account.
	AccessKey string
	AccountID string
	// Secret is the server's KEYWAY_SECRET_KEY, for opening its store.
	Secret []byte
}

// Options adjust a server before it starts.
type Options struct {
	// Log receives the server's JSON log at debug level; nil discards it.
	Log io.Writer
	// Tune changes the configuration (webhook settings, for instance).
	Tune func(*app.Config)
}

// Start starts a server on dbURL, closed when t ends, and reads the
// bootstrapped account.
func Start(t testing.TB, dbURL string, o Options) *Server {
	t.Helper()
	s := &Server{DBURL: dbURL, Clock: keywaytest.NewClock(), Secret: keycrypt.NewSecret(),
		AccessKey: keycrypt.NewKey("live_access_")}
	cfg := app.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.DatabaseURL = dbURL
	cfg.LogLevel = "error"
	cfg.SecretKey = base64.StdEncoding.EncodeToString(s.Secret)
	cfg.BootstrapAccessKey = s.AccessKey
	// Test receivers listen on loopback, which webhooks may not reach by
	// default.
	cfg.WebhookAllowNetworks = "127.0.0.0/8,::1/128"
	// Every test client signs in from 127.0.0.1; a test of the limit
	// tunes this down.
	cfg.SigninAddressLimit = 10000
	if o.Tune != nil {
		o.Tune(&cfg)
	}
	opts := app.Options{Clock: s.Clock, Stderr: io.Discard, FlushInterval: 20 * time.Millisecond}
	if o.Log != nil {
		log, err := app.NewLogger(o.Log, "debug")
		if err != nil {
			t.Fatal(err)
		}
		opts.Log = log
	}
	s.App = app.New(cfg, opts)
	if err := s.App.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.App.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	s.URL = s.App.URL()
	r, err := Do(http.DefaultClient, "GET", s.URL+"/accounts", s.AccessKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := r.BootstrapAccount()
	if err != nil {
		t.Fatal(err)
	}
	s.AccountID = id
	return s
}

// Response is one answer, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request with credential in x-api-key ("" sends none).
// body is sent as is when it is a string or []byte, else JSON-encoded;
// nil sends none. headers are name, value pairs; a value of "" removes the
// header (Content-Type, say). It fails no test, so any goroutine may call
// it.
func Do(client *http.Client, method, url, credential string, body any, headers ...string) (*Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if credential != "" {
		req.Header.Set("x-api-key", credential)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// BootstrapAccount is the id of the one account of a GET /accounts answer
// read with the bootstrap access key.
func (r *Response) BootstrapAccount() (string, error) {
	var accounts []keyway.Account
	if r.Status != 200 || json.Unmarshal(r.Body, &accounts) != nil || len(accounts) != 1 || accounts[0].ID == "" {
		return "", fmt.Errorf("GET /accounts with the bootstrap key: %d %s, want one account", r.Status, r.Body)
	}
	return accounts[0].ID, nil
}
