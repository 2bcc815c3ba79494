package keyway_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The domain package holds types, validation and interfaces only: it
// speaks no transport, touches no database and mints nothing (keycrypt
// does), so every implementation can depend on it and it on none of them.
func TestDomainImportsNoImplementation(t *testing.T) {
	forbidden := []string{"net/http", "crypto/rand", "math/rand", "math/rand/v2", "database/sql", "os", "github.com/keywayhq/keyway/"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasSuffix(bad, "/") && strings.HasPrefix(path, bad) {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no domain files found")
	}
}
