package keyway_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Every package says what it provides in a doc comment ("Package x ..."
// or, for a program, "Command x ..."), so go doc and a newcomer reading
// the tree find the purpose before the code.
func TestEveryPackageHasADocComment(t *testing.T) {
	// Package name and whether a file documents it, by directory.
	type pkg struct {
		name       string
		documented bool
	}
	pkgs := map[string]*pkg{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		p := pkgs[filepath.Dir(path)]
		if p == nil {
			p = &pkg{name: f.Name.Name}
			pkgs[filepath.Dir(path)] = p
		}
		want := "Package " + p.name + " "
		if p.name == "main" {
			want = "Command "
		}
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), want) {
			p.documented = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found only %d package directories", len(pkgs))
	}
	for dir, p := range pkgs {
		if !p.documented {
			t.Errorf("%s: no file of package %s starts with its doc comment", dir, p.name)
		}
	}
}

// domainFiles parses the domain package's own files, tests left out.
func domainFiles(t *testing.T, mode parser.Mode) (*token.FileSet, []*ast.File) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, mode)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no domain files found")
	}
	return fset, files
}

// Every exported type of the domain says what it is: the domain is where
// a newcomer learns the vocabulary, and a type moved between files keeps
// its comment with it.
func TestEveryDomainTypeHasADocComment(t *testing.T) {
	fset, files := domainFiles(t, parser.ParseComments)
	types := 0
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				if !ts.Name.IsExported() {
					continue
				}
				types++
				// A lone spec's comment sits on its declaration.
				if ts.Doc == nil && (g.Doc == nil || len(g.Specs) > 1) {
					t.Errorf("%s: type %s has no doc comment", fset.Position(ts.Pos()), ts.Name.Name)
				}
			}
		}
	}
	if types < 20 {
		t.Fatalf("found only %d exported types", types)
	}
}
