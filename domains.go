package keyway

import "strings"

func (p *problems) domains(v []string) []string {
	if len(v) > MaxAllowedDomains {
		p.add("allowedDomains must contain no more than %d elements", MaxAllowedDomains)
		return nil
	}
	out := make([]string, 0, len(v))
	for _, d := range v {
		n, ok := NormalizeDomainPattern(d)
		if !ok {
			p.add("allowedDomains must contain host names such as example.com or *.example.com, got %q", truncate(d, 64))
			continue
		}
		out = append(out, n)
	}
	return out
}

// NormalizeDomainPattern lower-cases an allowed-domain entry and checks that
// it is a host name, optionally behind a "*." wildcard.
func NormalizeDomainPattern(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	host := strings.TrimPrefix(s, "*.")
	if !validHost(host) {
		return "", false
	}
	return s, true
}

func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// DomainAllowed reports whether origin (a host name as sent in
// x-origin-domain, possibly a full URL or with a port) matches one of the
// patterns. "*.example.com" matches example.com and any subdomain of it.
// An empty pattern list allows every origin.
func DomainAllowed(patterns []string, origin string) bool {
	if len(patterns) == 0 {
		return true
	}
	host := originHost(origin)
	for _, p := range patterns {
		if apex, ok := strings.CutPrefix(p, "*."); ok {
			if host == apex || strings.HasSuffix(host, "."+apex) {
				return true
			}
		} else if host == p {
			return true
		}
	}
	return false
}

// originHost reduces "https://App.Example.com:8443/path" to "app.example.com"
// so callers may send either a bare host or an Origin-style URL.
func originHost(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.Contains(s[i:], "]") {
		s = s[:i]
	}
	return strings.TrimSuffix(s, ".")
}
