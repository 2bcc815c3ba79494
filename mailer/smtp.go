package mailer

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPOptions adjusts NewSMTPWith; the zero value is what NewSMTP uses.
type SMTPOptions struct {
	// TLSConfig is used for STARTTLS and implicit TLS. Nil means the system
	// roots; an empty ServerName is filled in with the URL's host. Tests set
	// it to trust their own server certificate.
	TLSConfig *tls.Config
}

// defaultSMTPTimeout bounds a send whose context has no deadline, since
// go-mail enforces time limits through connection deadlines rather than
// the context once the connection is up.
const defaultSMTPTimeout = 30 * time.Second

type smtpSender struct {
	host     string
	port     int
	implicit bool // smtps://: TLS from the first byte rather than STARTTLS
	user     string
	pass     string
	from     *mail.Address
	// msgIDDomain is the From address's domain: Message-IDs then say who
	// sent them instead of leaking the container's host name, which is what
	// go-mail would use.
	msgIDDomain string
	tls         *tls.Config
}

// NewSMTP returns a Sender for an smtp:// or smtps:// URL; it validates the
// URL (scheme, host, from address) and returns an error that never contains
// the password.
func NewSMTP(rawURL, from string) (Sender, error) {
	return NewSMTPWith(rawURL, from, SMTPOptions{})
}

// NewSMTPWith is NewSMTP with options.
//
// smtp:// (default port 587) upgrades with STARTTLS when the server offers it
// and otherwise stays in plain text; smtps:// (default port 465) uses
// implicit TLS. A user and password in the URL (percent-encoded) enable
// authentication with the best mechanism the server offers. On a connection
// that stayed unencrypted, go-mail will not use PLAIN or LOGIN, so sending
// fails rather than putting the password on the wire in the clear.
func NewSMTPWith(rawURL, from string, o SMTPOptions) (Sender, error) {
	s, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(from, "\r\n") {
		return nil, errors.New("mailer: from address contains CR or LF")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mailer: invalid from address %q: %w", from, err)
	}
	s.from = addr
	s.msgIDDomain = addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]

	if o.TLSConfig != nil {
		s.tls = o.TLSConfig.Clone()
	} else {
		s.tls = &tls.Config{}
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	if s.tls.MinVersion == 0 {
		s.tls.MinVersion = tls.VersionTLS12
	}

	// Build a client once so that option errors surface at startup rather
	// than on the first sign-in.
	if _, err := s.client(defaultSMTPTimeout); err != nil {
		return nil, s.scrub(fmt.Errorf("mailer: configuring SMTP client: %w", err))
	}
	return s, nil
}

// parseSMTPURL never quotes rawURL in its errors: the password is in it, and
// even a parse error's fragment of it can be a piece of the password.
func parseSMTPURL(rawURL string) (*smtpSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("mailer: SMTP URL is not a valid URL (not shown, as it may contain a password); " +
			"percent-encode special characters in the user and password")
	}
	s := &smtpSender{}
	var defaultPort int
	switch u.Scheme {
	case "smtp":
		defaultPort = gomail.DefaultPortTLS
	case "smtps":
		s.implicit, defaultPort = true, gomail.DefaultPortSSL
	default:
		scheme := u.Scheme
		if len(scheme) > 10 {
			scheme = scheme[:10] + "…"
		}
		return nil, fmt.Errorf("mailer: SMTP URL scheme must be smtp or smtps, not %q", scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, errors.New("mailer: SMTP URL has no host; want smtp://[user:password@]host[:port]")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		// Usually an unencoded '/', '?' or '#' in the password, which moved
		// the rest of the URL out of the host part.
		return nil, errors.New("mailer: SMTP URL has a path, query or fragment; " +
			"percent-encode '/', '?' and '#' in the user and password")
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("mailer: SMTP URL has no host; want smtp://[user:password@]host[:port]")
	}
	s.port = defaultPort
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("mailer: SMTP URL port %q is not in 1-65535", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" && s.pass != "" {
			return nil, errors.New("mailer: SMTP URL has a password but no user")
		}
	}
	return s, nil
}

func (s *smtpSender) client(timeout time.Duration) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(s.tls),
	}
	if s.implicit {
		// Not WithSSLPort: its fallback retries on port 25 in plain text.
		opts = append(opts, gomail.WithSSL())
	} else {
		// Not WithTLSPortPolicy, for the same silent port-25 fallback.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.user != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.user),
			gomail.WithPassword(s.pass))
	}
	return gomail.NewClient(s.host, opts...)
}

// Send delivers m over one fresh connection.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	if err := validate(m); err != nil {
		return err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return &invalidMessageError{fmt.Sprintf("recipient %q: %v", m.To, err)}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageIDWithValue(rand.Text() + "@" + s.msgIDDomain)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)

	timeout := defaultSMTPTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if timeout <= 0 {
		return context.DeadlineExceeded
	}
	c, err := s.client(timeout)
	if err != nil {
		return s.scrub(fmt.Errorf("mailer: configuring SMTP client: %w", err))
	}

	// go-mail honours ctx only while dialling; afterwards only its own
	// deadline (set from ctx's above) stops it. Waiting on ctx here as well
	// lets a cancelled send (the Queue shutting down) return at once; the
	// abandoned conversation ends by itself at that deadline.
	done := make(chan error, 1)
	go func() { done <- c.DialAndSendWithContext(ctx, msg) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, gomail.ErrNoSupportedAuthDiscovered) {
		err = fmt.Errorf("%w (PLAIN and LOGIN are only used over TLS: does the server offer STARTTLS, or should the URL be smtps://?)", err)
	}
	return s.scrub(fmt.Errorf("mailer: sending via %s: %w", net.JoinHostPort(s.host, strconv.Itoa(s.port)), err))
}

// scrub is a last line of defence: no error text we know of contains the
// password, but a server echoing it back, or a future go-mail version,
// must not put it into our logs. The original error is dropped rather than
// wrapped, since unwrapping would hand the password back.
func (s *smtpSender) scrub(err error) error {
	if err == nil || s.pass == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, s.pass) && !strings.Contains(msg, url.QueryEscape(s.pass)) {
		return err
	}
	msg = strings.ReplaceAll(msg, s.pass, mask)
	msg = strings.ReplaceAll(msg, url.QueryEscape(s.pass), mask)
	return errors.New(msg)
}
