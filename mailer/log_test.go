package mailer_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/keywayhq/keyway/mailer"
)

// logBuffer collects JSON log records; it is safe for the Queue's worker to
// write while a test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records decodes every record written so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(b.String()) {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func invitation() mailer.Message {
	link := "https://keyway.example/invitations/inv_7Qm2Xc9/accept"
	return mailer.Message{
		To:      "grace@example.com",
		Subject: "Ada invited you to Keyway (code 771-204)",
		Text:    "Accept here: " + link + "\nor enter code 771-204.\n",
		// The code appears in a longer secret too; an empty entry must not
		// garble the log.
		Secrets: []string{"771-204", link, "inv_7Qm2Xc9", ""},
	}
}

func TestLogSenderMasksSecrets(t *testing.T) {
	log, buf := newLog()
	m := invitation()
	if err := (mailer.LogSender{Log: log}).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, secret := range []string{"771-204", "inv_7Qm2Xc9", "7Qm2Xc9", "/accept"} {
		if strings.Contains(out, secret) {
			t.Errorf("log reveals %q: %s", secret, out)
		}
	}
	recs := buf.records(t)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r["level"] != "INFO" || r["to"] != m.To {
		t.Errorf("record = %v", r)
	}
	if want := "Ada invited you to Keyway (code ****)"; r["subject"] != want {
		t.Errorf("subject = %q, want %q", r["subject"], want)
	}
	if want := "Accept here: ****\nor enter code ****.\n"; r["text"] != want {
		t.Errorf("text = %q, want %q", r["text"], want)
	}
}

func TestLogSenderShowSecrets(t *testing.T) {
	log, buf := newLog()
	m := invitation()
	if err := (mailer.LogSender{Log: log, ShowSecrets: true}).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	r := buf.records(t)[0]
	if r["subject"] != m.Subject || r["text"] != m.Text {
		t.Errorf("record = %v, want the message as is", r)
	}
	if strings.Contains(buf.String(), "****") {
		t.Error("ShowSecrets still masked something")
	}
}

func TestLogSenderRefusesHeaderInjection(t *testing.T) {
	// The dev default must refuse what SMTP refuses, or the bug only shows
	// in production.
	log, buf := newLog()
	m := invitation()
	m.Subject = "Hi\r\nBcc: eve@example.com"
	if err := (mailer.LogSender{Log: log}).Send(t.Context(), m); err == nil {
		t.Error("LogSender accepted CR/LF in the subject")
	}
	if buf.String() != "" {
		t.Errorf("refused message was logged: %s", buf.String())
	}
}
