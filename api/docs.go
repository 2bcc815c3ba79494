package api

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
)

// Reference renders the Markdown API reference (docs/api.md) of ops: one
// section per operation with its route, MCP tools, parameters, body and
// output types and success status. It is generated so it cannot fall
// behind the table; the golden test in this package keeps the file current.
func Reference(ops []Operation) []byte {
	var b bytes.Buffer
	b.WriteString("# Keyway API reference\n\n")
	b.WriteString("Generated from the operation table in `api/` by `go test ./api -update`; do not edit by hand.\n\n")
	b.WriteString(preamble)
	for _, o := range ops {
		fmt.Fprintf(&b, "## %s %s\n\n", o.Method, o.Path)
		fmt.Fprintf(&b, "%s.\n\n", strings.TrimSuffix(o.Summary, "."))
		fmt.Fprintf(&b, "- operationId: `%s`\n", o.ID)
		if len(o.Tools) > 0 {
			fmt.Fprintf(&b, "- MCP tools: `%s`\n", strings.Join(o.Tools, "`, `"))
		}
		if o.Public {
			b.WriteString("- public: no credential\n")
		}
		if o.Verification {
			b.WriteString("- verification: answers for a customer's API key, outside the access key's own rate limit\n")
		}
		if body, ok := o.Body(); ok {
			fmt.Fprintf(&b, "- body: `%s`\n", typeName(body.Type))
		}
		if o.Output != nil {
			fmt.Fprintf(&b, "- output: `%s`\n", typeName(o.Output))
		}
		fmt.Fprintf(&b, "- status: %d\n", o.Status)
		var rows []Param
		for _, p := range o.Params() {
			if p.In != InBody {
				rows = append(rows, p)
			}
		}
		if len(rows) > 0 {
			b.WriteString("\n| parameter | in | required | values | doc |\n|---|---|---|---|---|\n")
			for _, p := range rows {
				var values []string
				for _, v := range p.Enum {
					values = append(values, fmt.Sprint(v))
				}
				required := ""
				if p.Required {
					required = "yes"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", p.Name, p.In, required, strings.Join(values, ", "), strings.ReplaceAll(p.Doc, "|", `\|`))
			}
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}

func typeName(t reflect.Type) string { return t.String() }

// preamble is the part of the reference that no operation declares: how
// callers authenticate and what an error looks like.
const preamble = `## Errors

An error is NestJS-shaped: ` + "`{\"statusCode\": 400, \"message\": [\"…\"], \"error\": \"Bad Request\"}`" + `.
A 400 lists every problem of the input in ` + "`message`" + `; a required parameter
that is missing, or a value outside a parameter's values, is a 400 before the
operation runs.

## Management authentication

A management call carries an access key (header ` + "`x-api-key`" + `; also ` + "`api-key`" + `,
` + "`api_key`" + `, ` + "`access_key`" + ` or ` + "`Authorization`" + `) or a user token
(` + "`Authorization: Bearer <JWT>`" + ` from ` + "`/auth/login`" + `). A missing or wrong credential
is a 401; a known credential without the right is a 403. An account-level access
key acts as an admin of its account, a project-level one as a user of its project.
User roles, per account and optionally narrowed to projects: admin, user, viewer.
Objects outside the caller's scope answer 404 on a path and 403 when named in a
query. Operations marked public need no credential.

`
