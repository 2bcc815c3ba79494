package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
)

// loopbackAllowed is what tests configure to reach httptest servers.
var loopbackAllowed = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// staticLookup replaces the guard's DNS with a fixed answer.
func staticLookup(g *Guard, answers ...string) {
	g.lookup = func(context.Context, string) ([]netip.Addr, error) {
		var as []netip.Addr
		for _, s := range answers {
			as = append(as, netip.MustParseAddr(s))
		}
		return as, nil
	}
}

func TestAllowedDeniesNonPublicRanges(t *testing.T) {
	g := NewGuard(nil, nil)
	denied := []string{
		// loopback
		"127.0.0.1", "127.255.255.254", "::1",
		// RFC 1918 and unique local
		"10.0.0.5", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fc00::1", "fd12:3456::1",
		// link-local, including cloud metadata
		"169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%eth0", "febf::1",
		// multicast
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff05::2", "ff0e::1",
		// unspecified, "this network", broadcast, reserved
		"0.0.0.0", "0.1.2.3", "::", "255.255.255.255", "240.0.0.1",
		// carrier-grade NAT, documentation, benchmarking
		"100.64.0.1", "100.127.255.255", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "192.0.0.8",
		"2001:db8::1", "3fff::1",
		// IPv4-mapped and IPv4-compatible forms
		"::ffff:127.0.0.1", "::ffff:10.0.0.5", "::ffff:169.254.169.254", "::ffff:192.168.0.1", "::ffff:0.0.0.0",
		"::ffff:100.64.0.1", "::127.0.0.1", "::10.0.0.5",
		// IPv4-translated, NAT64 and 6to4 forms of private targets
		"::ffff:0:7f00:1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:5", "64:ff9b:1::1",
		"2002:7f00:1::1", "2002:a9fe:a9fe::", "2002:c0a8:101::1",
		// Teredo, discard-only, site-local
		"2001:0:4136:e378:8000:63bf:3fff:fdd2", "100::1", "fec0::1",
	}
	for _, s := range denied {
		if g.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("Allowed(%s) = true, want false", s)
		}
	}
	allowed := []string{
		"93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.32.0.1", "11.0.0.1",
		"2606:4700::1", "2a00:1450:4001::1",
		"::ffff:93.184.216.34", "64:ff9b::5db8:d822", "2002:5db8:d822::1",
	}
	for _, s := range allowed {
		if !g.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("Allowed(%s) = false, want true", s)
		}
	}
	if g.Allowed(netip.Addr{}) {
		t.Error("the zero Addr is allowed")
	}
}

func TestAllowListOpensRanges(t *testing.T) {
	allow, err := ParseAllowNetworks("127.0.0.0/8, ::1, ::ffff:10.1.0.0/112")
	if err != nil {
		t.Fatal(err)
	}
	g := NewGuard(allow, nil)
	for _, s := range []string{"127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "10.1.2.3", "::ffff:10.1.0.1", "64:ff9b::7f00:1"} {
		if !g.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("Allowed(%s) = false with the allow list", s)
		}
	}
	for _, s := range []string{"10.0.0.1", "10.2.0.0", "169.254.169.254", "::2", "192.168.0.1"} {
		if g.Allowed(netip.MustParseAddr(s)) {
			t.Errorf("Allowed(%s) = true beyond the allow list", s)
		}
	}
}

func TestParseAllowNetworks(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}},
		{" 10.0.0.0/8 , 192.168.1.7 ,fd00::/8,::1,", []string{"10.0.0.0/8", "192.168.1.7/32", "fd00::/8", "::1/128"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
		{"::ffff:10.0.0.0/104", []string{"10.0.0.0/8"}},
	} {
		got, err := ParseAllowNetworks(tc.in)
		if err != nil {
			t.Errorf("ParseAllowNetworks(%q): %v", tc.in, err)
			continue
		}
		var gs []string
		for _, p := range got {
			gs = append(gs, p.String())
		}
		if strings.Join(gs, " ") != strings.Join(tc.want, " ") {
			t.Errorf("ParseAllowNetworks(%q) = %v, want %v", tc.in, gs, tc.want)
		}
	}
	for _, in := range []string{"junk", "10.0.0.0/33", "10.0.0.0/8,nope", "10.0.0", "fe80::1%eth0", "example.com", "10.0.0.0/8/8"} {
		_, err := ParseAllowNetworks(in)
		if err == nil {
			t.Errorf("ParseAllowNetworks(%q) succeeded", in)
			continue
		}
		if !strings.Contains(err.Error(), "invalid network") {
			t.Errorf("ParseAllowNetworks(%q) error %q is unclear", in, err)
		}
	}
}

// invalidDetail returns the single public detail of a keyway validation error.
func invalidDetail(t *testing.T, err error) string {
	t.Helper()
	var e *keyway.Error
	if !errors.As(err, &e) || e.Code != keyway.CodeInvalid || len(e.Details) != 1 {
		t.Fatalf("error %v is not a keyway validation error with one detail", err)
	}
	return e.Details[0]
}

func TestCheckURL(t *testing.T) {
	g := NewGuard(nil, nil)
	g.lookup = func(context.Context, string) ([]netip.Addr, error) {
		t.Error("IP literals must not be looked up")
		return nil, errors.New("unexpected lookup")
	}
	ctx := context.Background()
	for _, u := range []string{
		"https://93.184.216.34/hook", "http://93.184.216.34:8080/x?y=1", "https://[2606:4700::1]/hook",
		"HTTPS://93.184.216.34/", "https://[::ffff:93.184.216.34]/",
	} {
		if err := g.CheckURL(ctx, u); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", u, err)
		}
	}
	for _, tc := range []struct{ url, want string }{
		{"ftp://93.184.216.34/", "url must use http or https"},
		{"file:///etc/passwd", "url must use http or https"},
		{"javascript:alert(1)", "url must use http or https"},
		{"gopher://93.184.216.34/", "url must use http or https"},
		{"93.184.216.34/hook", "url must use http or https"},
		{"//93.184.216.34/hook", "url must use http or https"},
		{"", "url must use http or https"},
		{"http://user:pass@93.184.216.34/", "url must not include a username or password"},
		{"http://user@93.184.216.34/", "url must not include a username or password"},
		{"http:///hook", "url must include a host"},
		{"http://:8080/hook", "url must include a host"},
		{"http:93.184.216.34", "url must include a host"},
		{"http://93.184.216.34:0/", "url port must be between 1 and 65535"},
		{"http://93.184.216.34:65536/", "url port must be between 1 and 65535"},
		{"http://[::1", "url must be a valid URL"},
		{"http://10.0.0.5/hook", "url host is a private, loopback, link-local or reserved address (10.0.0.5), which webhooks may not reach"},
		{"http://169.254.169.254/latest/meta-data/", "(169.254.169.254)"},
		{"http://127.0.0.1:9000/", "(127.0.0.1)"},
		{"http://[::1]/", "(::1)"},
		{"http://[::ffff:127.0.0.1]/", "(127.0.0.1)"},
		{"http://[::ffff:a9fe:a9fe]/", "(169.254.169.254)"},
		{"http://[fe80::1%25eth0]/", "(fe80::1%eth0)"},
		{"http://0.0.0.0/", "(0.0.0.0)"},
		{"http://[::]/", "(::)"},
		{"http://255.255.255.255/", "(255.255.255.255)"},
		{"http://100.64.1.1/", "(100.64.1.1)"},
		{"http://224.0.0.1/", "(224.0.0.1)"},
		{"http://[64:ff9b::7f00:1]/", "(64:ff9b::7f00:1)"},
	} {
		err := g.CheckURL(ctx, tc.url)
		if err == nil {
			t.Errorf("CheckURL(%q) = nil, want %q", tc.url, tc.want)
			continue
		}
		if got := invalidDetail(t, err); !strings.Contains(got, tc.want) {
			t.Errorf("CheckURL(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func TestCheckURLOpenedByAllowList(t *testing.T) {
	g := NewGuard(loopbackAllowed, nil)
	for _, u := range []string{"http://127.0.0.1:9000/", "http://[::1]:9000/", "http://[::ffff:127.0.0.1]/"} {
		if err := g.CheckURL(context.Background(), u); err != nil {
			t.Errorf("CheckURL(%q) = %v with loopback allowed", u, err)
		}
	}
	if err := g.CheckURL(context.Background(), "http://10.0.0.5/"); err == nil {
		t.Error("allowing loopback opened 10.0.0.5")
	}
}

func TestCheckURLResolvesThroughResolver(t *testing.T) {
	dns := newFakeDNS(t)
	dns.set("public.keyway.test", "93.184.216.34", "2606:4700::1")
	dns.set("internal.keyway.test", "10.0.0.5")
	dns.set("mixed.keyway.test", "93.184.216.34", "169.254.169.254")
	dns.set("mapped.keyway.test", "::ffff:127.0.0.1")
	dns.set("v6only.keyway.test", "fd00::1")
	dns.set("empty.keyway.test")
	g := NewGuard(nil, dns.resolver())
	ctx := context.Background()

	if err := g.CheckURL(ctx, "https://public.keyway.test/hook"); err != nil {
		t.Fatalf("public host: %v", err)
	}
	for _, host := range []string{"internal", "mixed", "mapped", "v6only"} {
		err := g.CheckURL(ctx, "https://"+host+".keyway.test/hook")
		if err == nil {
			t.Errorf("%s: CheckURL = nil, want denied", host)
			continue
		}
		got := invalidDetail(t, err)
		if got != "url host resolves to a private, loopback, link-local or reserved address, which webhooks may not reach" {
			t.Errorf("%s: detail %q", host, got)
		}
		// The internal address is for logs, not for the user.
		if !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%s: error does not wrap ErrNotAllowed", host)
		}
	}
	for _, host := range []string{"nxdomain.keyway.test", "empty.keyway.test"} {
		err := g.CheckURL(ctx, "https://"+host+"/")
		if err == nil {
			t.Fatalf("%s: CheckURL = nil", host)
		}
		if got := invalidDetail(t, err); got != "url host could not be resolved" {
			t.Errorf("%s: detail %q", host, got)
		}
	}
}

func TestCheckURLRealResolverLocalhost(t *testing.T) {
	err := NewGuard(nil, nil).CheckURL(context.Background(), "http://localhost:8080/hook")
	if err == nil {
		t.Fatal("localhost accepted")
	}
	if got := invalidDetail(t, err); !strings.Contains(got, "may not reach") {
		t.Errorf("detail %q", got)
	}
}

func TestCheckURLCanceledContext(t *testing.T) {
	g := NewGuard(nil, nil)
	g.lookup = func(ctx context.Context, _ string) ([]netip.Addr, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.CheckURL(ctx, "https://hook.example.com/")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CheckURL with a canceled context = %v", err)
	}
	if keyway.ErrorCode(err) == keyway.CodeInvalid {
		t.Error("a canceled request was blamed on the URL")
	}
}

// TestDialContextRechecksDNS simulates rebinding: the name passes CheckURL
// with a public answer, then resolves to a private one when delivered.
func TestDialContextRechecksDNS(t *testing.T) {
	g := NewGuard(nil, nil)
	staticLookup(g, "93.184.216.34")
	if err := g.CheckURL(context.Background(), "http://rebind.example.com/"); err != nil {
		t.Fatal(err)
	}
	for _, answer := range [][]string{{"127.0.0.1"}, {"169.254.169.254"}, {"93.184.216.34", "10.0.0.5"}, {"::ffff:10.0.0.5"}} {
		staticLookup(g, answer...)
		conn, err := g.DialContext(context.Background(), "tcp", "rebind.example.com:80")
		if err == nil {
			conn.Close()
			t.Fatalf("dialed %v", answer)
		}
		if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "not allowed") {
			t.Errorf("answer %v: error %v", answer, err)
		}
	}
	// Literal addresses are checked too, without a lookup.
	for _, addr := range []string{"127.0.0.1:80", "[::1]:80", "[::ffff:169.254.169.254]:80", "10.0.0.5:443"} {
		if _, err := g.DialContext(context.Background(), "tcp", addr); !errors.Is(err, ErrNotAllowed) {
			t.Errorf("DialContext(%s) = %v", addr, err)
		}
	}
}

// TestDialContextThroughDNS goes end to end through a real resolver and the
// fake name server: allowed while the name points at the loopback receiver,
// refused once it points elsewhere.
func TestDialContextThroughDNS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	dns := newFakeDNS(t)
	dns.set("receiver.keyway.test", "127.0.0.1")
	g := NewGuard(loopbackAllowed, dns.resolver())
	conn, err := g.DialContext(context.Background(), "tcp", net.JoinHostPort("receiver.keyway.test", port))
	if err != nil {
		t.Fatalf("dial allowed receiver: %v", err)
	}
	conn.Close()

	dns.set("receiver.keyway.test", "10.0.0.5")
	if _, err := g.DialContext(context.Background(), "tcp", net.JoinHostPort("receiver.keyway.test", port)); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("dial after rebinding = %v, want ErrNotAllowed", err)
	}
}

func TestDialContextFamiliesAndNetworks(t *testing.T) {
	g := NewGuard(nil, nil)
	staticLookup(g, "2606:4700::1")
	if _, err := g.DialContext(context.Background(), "tcp4", "v6only.example.com:80"); err == nil || errors.Is(err, ErrNotAllowed) {
		t.Errorf("tcp4 to a v6-only host = %v", err)
	}
	if _, err := g.DialContext(context.Background(), "udp", "93.184.216.34:53"); err == nil {
		t.Error("udp dial allowed")
	}
	if _, err := g.DialContext(context.Background(), "tcp", "93.184.216.34"); err == nil {
		t.Error("address without port accepted")
	}
}

func TestControlChecksSocketAddress(t *testing.T) {
	g := NewGuard(nil, nil)
	for _, addr := range []string{"10.0.0.5:80", "[::1]:443", "[::ffff:127.0.0.1]:80", "not-an-address"} {
		if err := g.control(context.Background(), "tcp", addr, nil); err == nil {
			t.Errorf("control(%s) = nil", addr)
		}
	}
	if err := g.control(context.Background(), "tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("control(public) = %v", err)
	}
}
