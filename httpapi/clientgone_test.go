package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/keywaytest"
)

// lockedBuffer is a log sink the server writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type statusLog struct {
	mu       sync.Mutex
	statuses []int
}

func (s *statusLog) Op(string) httpapi.OpRecorder { return s }
func (s *statusLog) Observe(status int, _ time.Duration) {
	s.Count(status)
}
func (s *statusLog) Count(status int) {
	s.mu.Lock()
	s.statuses = append(s.statuses, status)
	s.mu.Unlock()
}

// A client that goes away while its request waits (on a cache miss, on
// Redis) is recorded as 499 and logged at debug level: it is not a
// server failure, and must not fill the error log or page anyone. The
// same cancellation error while the client is still there is answered.
func TestClientGoneIsNotAFailure(t *testing.T) {
	entered := make(chan struct{})
	var logs lockedBuffer
	rec := &statusLog{}
	h, err := httpapi.New(httpapi.Config{
		Ops: []api.Operation{{ID: "slow", Method: "GET", Path: "/slow", Public: true, Status: 200,
			Call: func(ctx context.Context, _ *keyway.Caller, _ any) (any, error) {
				close(entered)
				<-ctx.Done()
				return nil, keyway.Internal(ctx.Err())
			}},
			{ID: "cancelled", Method: "GET", Path: "/cancelled", Public: true, Status: 200,
				Call: func(context.Context, *keyway.Caller, any) (any, error) { return nil, keyway.Internal(context.Canceled) }},
		},
		Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})), Clock: keyway.SystemClock{}, Version: "test", Instrument: rec,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("client: %v, want its own cancellation", err)
	}
	keywaytest.Eventually(t, "the abandoned request to be recorded", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.statuses) == 1
	})
	if rec.statuses[0] != 499 {
		t.Fatalf("abandoned request recorded as %d, want 499", rec.statuses[0])
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Fatalf("an abandoned request was logged as an error: %s", logs.String())
	}

	resp, err := http.Get(srv.URL + "/cancelled")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Fatalf("a cancellation with the client still there: %d, want 500", resp.StatusCode)
	}
}
