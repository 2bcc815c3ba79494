package service_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The service works with what the domain declares (stores, mailer, token
// issuer, password hasher, Firebase verifier), so any implementation can
// be wired in and a test can build it from fakes. Its one exception is
// keycrypt, the package that mints every id and secret.
func TestServiceImportsNoImplementation(t *testing.T) {
	const module = "github.com/keywayhq/keyway"
	allowed := map[string]bool{module: true, module + "/keycrypt": true}
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
			if (path == module || strings.HasPrefix(path, module+"/")) && !allowed[path] {
				t.Errorf("%s imports %s: declare what it needs in the domain instead", name, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no service files found")
	}
}
