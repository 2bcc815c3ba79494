package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/keywayhq/keyway"
)

// ToolTag is the area of an operation, by the first segment of its path,
// which MCP server configurations select tools by.
func ToolTag(o Operation) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(o.Path, "/"), "/")
	switch first {
	case "api-keys", "access-keys", "projects", "webhooks", "analytics", "accounts", "auth", "notifications":
		return first
	case "users", "user-roles", "invitations", "teammates":
		return "team"
	}
	return "misc"
}

// Allows reports whether an MCP server's configuration lets it run an
// operation: one of the operation's tools must be selected by method
// ("read" for GET, "write" otherwise) or by name, and be of a selected
// area when areas are given. Operations without tools (Keyway's own
// extensions, the MCP server resource itself) are never allowed.
func Allows(c keyway.MCPConfig, o Operation) bool {
	if len(o.Tools) == 0 {
		return false
	}
	if len(c.Tags) > 0 && !slices.Contains(c.Tags, ToolTag(o)) {
		return false
	}
	read := o.Method == http.MethodGet
	if read && slices.Contains(c.Methods, "read") || !read && slices.Contains(c.Methods, "write") {
		return true
	}
	for _, name := range o.Tools {
		if slices.Contains(c.Methods, name) {
			return true
		}
	}
	return false
}

// IsToolName reports whether name is the tool name of an operation of ops.
func IsToolName(ops []Operation, name string) bool {
	for _, o := range ops {
		if slices.Contains(o.Tools, name) {
			return true
		}
	}
	return false
}
