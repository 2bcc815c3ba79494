package mcp_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/mcp"
)

var update = flag.Bool("update", false, "rewrite testdata/tools.json")

// The tools are derived from the operation table: exactly the contract's
// 57 names, and each tool's description, schema and annotations are
// pinned in a golden file so that a change to the table shows in review.
func TestToolsGolden(t *testing.T) {
	tools, err := mcp.Tools(api.Declarations())
	if err != nil {
		t.Fatal(err)
	}
	if len(tools) != 57 {
		t.Fatalf("%d tools, want 57", len(tools))
	}
	seen := map[string]bool{}
	var defs []any
	for _, tool := range tools {
		if seen[tool.Def.Name] {
			t.Errorf("tool %s twice", tool.Def.Name)
		}
		seen[tool.Def.Name] = true
		defs = append(defs, tool.Def)
	}
	got, err := json.MarshalIndent(defs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "tools.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("tools differ from testdata/tools.json; if the change is intended, run go test ./mcp -update and review the diff")
	}
}
