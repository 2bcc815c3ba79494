package keyway_test

import (
	"strings"
	"testing"

	"github.com/keywayhq/keyway"
)

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://app:s3cret@db:5432/keyway?sslmode=disable", "postgres://app:xxxxx@db:5432/keyway?sslmode=disable"},
		{"postgres://db/keyway?user=app&password=s3cret", "postgres://db/keyway?password=xxxxx&user=app"},
		{"redis://:s3cret@cache:6379/0", "redis://:xxxxx@cache:6379/0"},
		{"smtp://mailer:s3cret@smtp.example.com:587?auth=plain", "smtp://mailer:xxxxx@smtp.example.com:587?auth=xxxxx"},
		{"https://hooks.example.com/in?token=s3cret&x=1", "https://hooks.example.com/in?token=xxxxx&x=1"},
		{"sqlite:///var/lib/keyway/keyway.db", "sqlite:///var/lib/keyway/keyway.db"},
		{"postgres://app@db/keyway", "postgres://app@db/keyway"},
		{"postgres://app:s3cret@db:bad port/x", "(unparsable URL)"},
	} {
		got := keyway.RedactURL(tc.in)
		if got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("RedactURL(%q) shows the secret: %q", tc.in, got)
		}
	}
}
