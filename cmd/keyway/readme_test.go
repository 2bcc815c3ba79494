package main

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"

	"github.com/keywayhq/keyway/app"
)

// The README's configuration table shows each default; it is the one copy
// of app.DefaultConfig outside the code, so it is read back here: every
// setting with a default has a row, and that row's default, given as the
// flag, parses to DefaultConfig's value.
func sizeOf(t *testing.T, s string) uint64 {
	n, err := humanize.ParseBytes(s)
	if err != nil {
		t.Errorf("size %q: %v", s, err)
	}
	return n
}

func TestReadmeDefaults(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "KEYWAY_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// | `--flag` | `KEYWAY_X` | `default` ...
	row := regexp.MustCompile("(?m)^\\| `(--[a-z-]+)` \\| `(KEYWAY_[A-Z_]+)` \\| `([^`]*)`")
	documented := map[string][2]string{} // env -> flag, default
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		documented[m[2]] = [2]string{m[1], m[3]}
	}
	want := reflect.ValueOf(app.DefaultConfig())
	checked := 0
	for i := range want.NumField() {
		f := want.Type().Field(i)
		if _, has := f.Tag.Lookup("default"); !has {
			continue
		}
		env := f.Tag.Get("env")
		doc, ok := documented[env]
		if !ok {
			t.Errorf("README's configuration table has no default for %s (Config.%s)", env, f.Name)
			continue
		}
		_, c, err := parse([]string{"serve", doc[0] + "=" + doc[1]})
		if err != nil {
			t.Errorf("README's default of %s, %q: %v", doc[0], doc[1], err)
			continue
		}
		got, def := reflect.ValueOf(c.Serve.Config).Field(i).Interface(), want.Field(i).Interface()
		if f.Name == "CacheMaxBytes" { // a size: 1GiB and 1.0 GiB are one
			got, def = sizeOf(t, got.(string)), sizeOf(t, def.(string))
		}
		if got != def {
			t.Errorf("README says %s defaults to %q (%v); DefaultConfig().%s is %v", doc[0], doc[1], got, f.Name, want.Field(i).Interface())
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no default checked")
	}
}
