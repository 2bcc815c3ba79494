package webhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
)

// deliveryError carries a message fit for the webhook's owner; the cause,
// which may repeat the URL (and any token in it), is only for errors.Is/As.
type deliveryError struct {
	msg   string
	cause error
}

func (e *deliveryError) Error() string { return e.msg }
func (e *deliveryError) Unwrap() error { return e.cause }

// describe turns a failed round trip into a short, safe explanation.
func (s *Sender) describe(ctx context.Context, err error) error {
	var (
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		recErr   tls.RecordHeaderError
		alertErr tls.AlertError
		netErr   net.Error
	)
	msg := "request failed"
	switch {
	case errors.Is(err, ErrNotAllowed):
		msg = "url host resolves to a private, loopback, link-local or reserved address, which webhooks may not reach"
	case errors.As(err, &dnsErr):
		msg = "url host could not be resolved"
	case errors.Is(ctx.Err(), context.Canceled):
		msg = "delivery canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		msg = fmt.Sprintf("timed out (no complete response within %s)", s.timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		msg = "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		msg = "connection closed by the receiver before it answered"
	case errors.As(err, &certErr):
		msg = "TLS certificate not trusted"
	case errors.As(err, &recErr), errors.As(err, &alertErr):
		msg = "TLS handshake failed (is the receiver speaking https?)"
	}
	return &deliveryError{msg: msg, cause: err}
}
