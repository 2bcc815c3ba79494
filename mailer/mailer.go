// Package mailer delivers Keyway's transactional email: sign-in codes and
// invitations.
//
// Three pieces fit together. NewSMTP builds a [Sender] from KEYWAY_SMTP_URL
// and KEYWAY_MAIL_FROM; without SMTP configured a [LogSender] writes messages
// to the log instead, masking their secrets unless it is the embedded dev
// default, where showing the code is how a local user signs in. A [Queue] sits
// in front of either so that a slow or failing mail server never fails, or
// even delays, the request that wanted the mail sent.
//
// Secrets (sign-in codes, links carrying invitation ids) travel in
// [Message.Secrets] so that every place that logs a message or a failure can
// mask them; the SMTP password never appears in an error or log line.
package mailer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"

	"github.com/keywayhq/keyway"
)

// Message is one plain-text email. It is the domain's, so that the
// service can hand one to any keyway.Mailer without importing this
// package.
type Message = keyway.MailMessage

// Sender delivers one message. A Sender must be safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// mask is what a secret is replaced with wherever a message is logged.
const mask = "****"

// invalidMessageError marks a message that can never be sent as it stands, so
// the Queue does not spend retries on it.
type invalidMessageError struct{ reason string }

func (e *invalidMessageError) Error() string { return "mailer: invalid message: " + e.reason }

func isInvalidMessage(err error) bool {
	var im *invalidMessageError
	return errors.As(err, &im)
}

// validate refuses what would let a caller inject headers. Both Senders call
// it so that a message the log accepts in development is also one SMTP
// accepts in production.
func validate(m Message) error {
	if strings.ContainsAny(m.To, "\r\n") {
		return &invalidMessageError{"recipient contains CR or LF"}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return &invalidMessageError{"subject contains CR or LF"}
	}
	if _, err := mail.ParseAddress(m.To); err != nil {
		return &invalidMessageError{fmt.Sprintf("recipient %q: %v", m.To, err)}
	}
	return nil
}

// maskSecrets replaces every non-empty secret in s with "****".
func maskSecrets(s string, secrets []string) string {
	if len(secrets) == 0 {
		return s
	}
	// Longest first: if one secret contains another, masking the shorter one
	// first would leave the rest of the longer one readable.
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, secret := range sorted {
		// An empty secret would make ReplaceAll insert the mask between
		// every character.
		if secret != "" {
			s = strings.ReplaceAll(s, secret, mask)
		}
	}
	return s
}

// LogSender writes messages to the log instead of sending them. ShowSecrets
// false replaces every Secrets entry in Text with "****" (also in Subject).
type LogSender struct {
	// Log receives one info record per message; nil means slog.Default().
	Log *slog.Logger
	// ShowSecrets is for the embedded dev default only, where the logged
	// code is the only way a local user can sign in.
	ShowSecrets bool
}

// Send logs m at info level. It fails only for a message SMTP would refuse.
func (l LogSender) Send(ctx context.Context, m Message) error {
	if err := validate(m); err != nil {
		return err
	}
	subject, text := m.Subject, m.Text
	if !l.ShowSecrets {
		subject, text = maskSecrets(subject, m.Secrets), maskSecrets(text, m.Secrets)
	}
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "mail not sent: SMTP is not configured (set KEYWAY_SMTP_URL); logging it instead",
		"to", m.To, "subject", subject, "text", text)
	return nil
}
