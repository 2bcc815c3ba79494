package service_test

import (
	"strings"
	"testing"

	"github.com/keywayhq/keyway/keywaytest"
)

// The service works with what the domain declares (stores, mailer, token
// issuer, password hasher, Firebase verifier), so any implementation can
// be wired in and a test can build it from fakes. Its one exception is
// keycrypt, the package that mints every id and secret.
func TestServiceImportsNoImplementation(t *testing.T) {
	const module = "github.com/keywayhq/keyway"
	allowed := map[string]bool{module: true, module + "/keycrypt": true}
	for name, imports := range keywaytest.Imports(t, ".") {
		for _, path := range imports {
			if (path == module || strings.HasPrefix(path, module+"/")) && !allowed[path] {
				t.Errorf("%s imports %s: declare what it needs in the domain instead", name, path)
			}
		}
	}
}
