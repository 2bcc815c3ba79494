package api_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/keywayhq/keyway/api"
)

var update = flag.Bool("update", false, "rewrite docs/api.md from the operation table")

// docs/api.md is the reference the code comments point to; it must say
// what the table declares.
func TestReferenceIsCurrent(t *testing.T) {
	got := api.Reference(api.Declarations())
	path := filepath.Join("..", "docs", "api.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./api -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/api.md differs from the operation table; run go test ./api -update and review the diff")
	}
}

// The reference names every operation's route and its parameters as the
// descriptors declare them.
func TestReferenceListsDescriptors(t *testing.T) {
	doc := api.Reference(api.Declarations())
	for _, want := range []string{
		"## GET /analytics/project-totals\n",
		"| `dateGrouping` | query | yes | hour, day, week, month |",
		"| `status` | query |  | pending, accepted, cancelled, expired |",
		"- MCP tools: `create_a_the_auth_api_api_key`",
	} {
		if !bytes.Contains(doc, []byte(want)) {
			t.Errorf("reference lacks %q", want)
		}
	}
}
