package keyway

import (
	"net/url"
	"strings"
)

// RedactURL is a URL fit for a log line or an error message: the password
// of its user info and the values of query parameters that name a secret
// (password, token, key, …) are replaced by "xxxxx". Database, Redis and
// SMTP URLs carry credentials in either place; every component that
// mentions a URL it was configured with goes through here.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// A parse error's text quotes the URL, password and all.
		return "(unparsable URL)"
	}
	if q := u.Query(); len(q) > 0 {
		changed := false
		for name, values := range q {
			if secretParam(name) {
				for i := range values {
					values[i] = "xxxxx"
				}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

// secretParam reports whether a query parameter's name says it holds a
// credential (password=, sslpassword=, auth_token=, apikey=, …).
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"pass", "secret", "token", "key", "auth"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}
