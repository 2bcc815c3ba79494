// Package webhook is the outbound side of webhook delivery: an SSRF guard for
// target URLs, Standard Webhooks signing, an HTTP sender, retry backoff and
// the event envelope. It knows nothing about storage; the dispatcher that
// reads the outbox drives it.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/keywayhq/keyway"
)

// lookupTimeout bounds a DNS lookup made to validate a URL, so an API request
// creating a webhook cannot hang on a slow or hostile name server.
const lookupTimeout = 5 * time.Second

// ErrNotAllowed is wrapped by every error the guard returns for an address
// that webhooks may not reach; test for it with errors.Is.
var ErrNotAllowed = errors.New("address not allowed for webhooks")

// deniedError names the refused address. It is for logs: what a webhook owner
// sees is the Sender's summary, which leaves the address out.
type deniedError struct{ addr netip.Addr }

func (e *deniedError) Error() string {
	return fmt.Sprintf("webhook: address %s is not allowed for webhooks", e.addr)
}

func (e *deniedError) Is(target error) bool { return target == ErrNotAllowed }

// Guard keeps webhook requests away from the server's own network: loopback,
// private, link-local (cloud metadata lives at 169.254.169.254) and other
// non-public addresses are refused unless an operator allowed them.
//
// It checks twice: CheckURL when a webhook is saved, to give the user a clear
// 400, and DialContext on every delivery, because DNS answers can change
// between the two (DNS rebinding). DialContext connects only to an address it
// has just checked, never to a name, so no second lookup can slip through.
type Guard struct {
	allow []netip.Prefix
	// lookup resolves a host name; tests replace it to simulate DNS.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	dialer net.Dialer
}

// NewGuard returns a guard that refuses non-public addresses except those in
// allow. A nil resolver means net.DefaultResolver.
func NewGuard(allow []netip.Prefix, resolver *net.Resolver) *Guard {
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	g := &Guard{}
	for _, p := range allow {
		g.allow = append(g.allow, normalizePrefix(p))
	}
	g.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		return resolver.LookupNetIP(ctx, "ip", host)
	}
	g.dialer = net.Dialer{
		Timeout:   30 * time.Second, // a backstop; the Sender's deadline is shorter
		KeepAlive: 30 * time.Second,
		// The last line of defence: whatever address the dialer is about to
		// connect to is checked once more at the socket level.
		ControlContext: g.control,
	}
	return g
}

// ParseAllowNetworks parses KEYWAY_WEBHOOK_ALLOW_NETWORKS: comma-separated
// CIDR prefixes or bare addresses (a single host), spaces allowed. An empty
// string allows nothing extra.
func ParseAllowNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(item, "/") {
			p, err = netip.ParsePrefix(item)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(item); err == nil {
				if a.Zone() != "" {
					err = errors.New("zone not allowed")
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("invalid network %q: want an IP address or a CIDR prefix such as 10.0.0.0/8", item)
		}
		out = append(out, normalizePrefix(p))
	}
	return out, nil
}

// normalizePrefix masks the host bits and turns an IPv4-mapped IPv6 prefix
// (::ffff:10.0.0.0/104) into its IPv4 form, because addresses are unmapped
// before they are compared.
func normalizePrefix(p netip.Prefix) netip.Prefix {
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked()
}

// Allowed reports whether webhooks may connect to a.
func (g *Guard) Allowed(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if !a.IsValid() {
		return false
	}
	for _, p := range g.allow {
		if p.Contains(a) {
			return true
		}
	}
	if reserved(a) {
		return false
	}
	// An IPv6 address that routes to an embedded IPv4 one (NAT64, 6to4) is
	// only as reachable as that IPv4 address.
	if v4, ok := embeddedIPv4(a); ok {
		return g.Allowed(v4)
	}
	return true
}

// CheckURL validates a webhook target: http or https, a host, no user
// information, and every address the host resolves to allowed. Its errors are
// keyway validation errors whose messages can be shown to the user as they are.
func (g *Guard) CheckURL(ctx context.Context, rawURL string) error {
	u, err := parseTarget(rawURL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	addrs, literal, err := g.resolve(ctx, host)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the caller gave up; the URL is not at fault
		}
		e := keyway.Invalid("url host could not be resolved")
		e.Err = err
		return e
	}
	for _, a := range addrs {
		if g.Allowed(a) {
			continue
		}
		if literal {
			return keyway.Invalid(fmt.Sprintf("url host is a private, loopback, link-local or reserved address (%s), which webhooks may not reach", a))
		}
		// The resolved address stays out of the public message: it would let
		// a user map the server's internal DNS.
		e := keyway.Invalid("url host resolves to a private, loopback, link-local or reserved address, which webhooks may not reach")
		e.Err = &deniedError{addr: a}
		return e
	}
	return nil
}

// parseTarget makes the checks that need no DNS.
func parseTarget(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's message repeats the URL, which may hold a token.
		return nil, keyway.Invalid("url must be a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, keyway.Invalid("url must use http or https")
	}
	if u.User != nil {
		return nil, keyway.Invalid("url must not include a username or password")
	}
	if u.Hostname() == "" {
		return nil, keyway.Invalid("url must include a host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return nil, keyway.Invalid("url port must be between 1 and 65535")
		}
	}
	return u, nil
}

// resolve returns the addresses of host, unmapped; an IP literal is its own
// answer. An empty answer is reported as a not-found DNS error.
func (g *Guard) resolve(ctx context.Context, host string) (addrs []netip.Addr, literal bool, err error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err = g.lookup(ctx, host)
	if err != nil {
		return nil, false, err
	}
	if len(addrs) == 0 {
		return nil, false, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for i, a := range addrs {
		addrs[i] = a.Unmap()
	}
	return addrs, false, nil
}

// DialContext is an http.Transport dialer. It resolves the host itself,
// refuses the connection if any answer is not allowed (a mixed answer is the
// shape of a rebinding attack), and dials the allowed addresses in order.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("webhook: network %q not supported", network)
	}
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("webhook: dial: %w", err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("webhook: dial: invalid port %q", portStr)
	}
	addrs, _, err := g.resolve(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("webhook: dial: %w", err)
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			return nil, &deniedError{addr: a}
		}
	}
	var firstErr error
	for _, a := range addrs {
		if network == "tcp4" && !a.Is4() || network == "tcp6" && !a.Is6() {
			continue
		}
		c, err := g.dialer.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if firstErr == nil {
		firstErr = &net.AddrError{Err: "no address of the requested family", Addr: host}
	}
	return nil, firstErr
}

// control runs just before connect(2) with the literal address being dialed.
func (g *Guard) control(_ context.Context, _, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: dial: unexpected address %q", address)
	}
	if !g.Allowed(ap.Addr()) {
		return &deniedError{addr: ap.Addr()}
	}
	return nil
}
