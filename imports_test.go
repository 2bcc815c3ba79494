package keyway_test

import (
	"strings"
	"testing"

	"github.com/keywayhq/keyway/keywaytest"
)

// The domain package holds types, validation and interfaces only: it
// speaks no transport, touches no database and mints nothing (keycrypt
// does), so every implementation can depend on it and it on none of them.
func TestDomainImportsNoImplementation(t *testing.T) {
	forbidden := []string{"net/http", "crypto/rand", "math/rand", "math/rand/v2", "database/sql", "os", "github.com/keywayhq/keyway/"}
	for name, imports := range keywaytest.Imports(t, ".") {
		for _, path := range imports {
			for _, bad := range forbidden {
				if path == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(path, bad) {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
	}
}
