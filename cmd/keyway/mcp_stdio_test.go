package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/keycrypt"
)

// These tests run `keyway mcp --url …` (this test binary as keyway, see
// TestMain) against a real `keyway serve` on the embedded SQLite default,
// so they need no database server.

// stdioCommand is `keyway mcp` with args, whose environment holds no
// KEYWAY_ setting but env, and whose stderr is recorded.
func stdioCommand(ctx context.Context, env map[string]string, args ...string) (*exec.Cmd, *lockedBuffer) {
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"mcp"}, args...)...)
	cmd.Env = clusterEnviron(env)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	return cmd, stderr
}

// stdioSession starts `keyway mcp --url url` with env and connects the
// SDK's client to it over stdio. The session is closed when the test ends
// (a test may close it sooner).
func stdioSession(t *testing.T, url string, env map[string]string) (*sdk.ClientSession, *exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd, stderr := stdioCommand(context.Background(), env, "--url", url)
	client := sdk.NewClient(&sdk.Implementation{Name: "keyway-stdio-test", Version: "0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := client.Connect(ctx, &sdk.CommandTransport{Command: cmd, TerminateDuration: 5 * time.Second}, nil)
	if err != nil {
		t.Fatalf("connect to keyway mcp: %v; stderr:\n%s", err, stderr)
	}
	t.Cleanup(func() {
		cs.Close()
		if cmd.ProcessState == nil && cmd.Process != nil {
			cmd.Process.Kill()
		}
	})
	return cs, cmd, stderr
}

// stdioCall calls a tool; a protocol error fails the test.
func stdioCall(t *testing.T, cs *sdk.ClientSession, name string, args any) *sdk.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error %v, want a tool result", name, err)
	}
	return res
}

// stdioOK calls a tool that must succeed and returns its structured
// content.
func stdioOK(t *testing.T, cs *sdk.ClientSession, name string, args any) map[string]any {
	t.Helper()
	res := stdioCall(t, cs, name, args)
	sc, ok := res.StructuredContent.(map[string]any)
	if res.IsError || !ok {
		b, _ := json.Marshal(res)
		t.Fatalf("%s: %s, want a success", name, b)
	}
	return sc
}

// stdioErr calls a tool that must fail with status; it returns the
// message.
func stdioErr(t *testing.T, cs *sdk.ClientSession, name string, args any, status int) string {
	t.Helper()
	res := stdioCall(t, cs, name, args)
	sc, _ := res.StructuredContent.(map[string]any)
	msg, _ := sc["message"].(string)
	if code, _ := sc["statusCode"].(float64); !res.IsError || int(code) != status || msg == "" || len(sc) != 2 {
		b, _ := json.Marshal(res)
		t.Fatalf("%s: %s, want a %d tool error {statusCode, message}", name, b, status)
	}
	return msg
}

func stdioList(t *testing.T, name string, sc map[string]any) []any {
	t.Helper()
	items, ok := sc["result"].([]any)
	if _, has := sc["next_cursor"]; !ok || !has || len(sc) != 2 {
		t.Fatalf("%s: %v, want {result, next_cursor}", name, sc)
	}
	return items
}

func stdioField(t *testing.T, v any, field string) string {
	t.Helper()
	m, _ := v.(map[string]any)
	s, ok := m[field].(string)
	if !ok || s == "" {
		t.Fatalf("no %s in %v", field, v)
	}
	return s
}

// tableToolNames are the tool names of the operation table, sorted.
func tableToolNames() []string {
	var names []string
	for _, o := range api.Declarations() {
		names = append(names, o.Tools...)
	}
	slices.Sort(names)
	return names
}

// `keyway mcp` serves the 57 tools over stdio as a client of a real
// server: a project and a key made through tools exist on the server and
// verify through the verification tool; failures are tool errors; the
// process ends cleanly when its input closes, and writes nothing of the
// protocol on stderr.
func TestMCPStdio(t *testing.T) {
	access := keycrypt.NewKey("live_access_")
	p := startKeyway(t, t.TempDir(), access)
	cs, cmd, stderr := stdioSession(t, p.url, map[string]string{"KEYWAY_ACCESS_KEY": access})

	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	if want := tableToolNames(); len(names) != 57 || !slices.Equal(names, want) {
		t.Fatalf("%d tools %v, want the table's 57 %v", len(names), names, want)
	}

	accounts := stdioList(t, "accounts", stdioOK(t, cs, "list_all_the_auth_api_accounts", nil))
	if len(accounts) != 1 {
		t.Fatalf("accounts %v", accounts)
	}
	accountID := stdioField(t, accounts[0], "id")
	project := stdioOK(t, cs, "create_a_the_auth_api_project", map[string]any{"body": map[string]any{"name": "stdio", "accountId": accountID, "env": "live"}})
	projectID := stdioField(t, project, "id")
	created := stdioOK(t, cs, "create_a_the_auth_api_api_key", map[string]any{"body": map[string]any{"name": "from stdio", "projectId": projectID, "customUserId": "u-7"}})
	key := stdioField(t, created, "key")
	if !strings.HasPrefix(key, "live_") {
		t.Fatalf("created %v", created)
	}
	verified := stdioOK(t, cs, "create_a_the_auth_api_api_keys_auth", map[string]any{"key": key})
	if verified["key"] != key || verified["isActive"] != true || verified["customUserId"] != "u-7" || verified["projectId"] != projectID {
		t.Fatalf("verified %v", verified)
	}
	// The key is the server's, not the tool's idea of one.
	if status, k := p.call(t, access, "POST", "/api-keys/auth/"+key, nil); status != 200 || k["name"] != "from stdio" {
		t.Fatalf("REST verification of the tool's key: %d %v", status, k)
	}

	// Failures are tool errors with REST's status and messages.
	if msg := stdioErr(t, cs, "create_a_the_auth_api_project", map[string]any{"body": map[string]any{}}, 400); !strings.Contains(msg, "name should not be empty") || !strings.Contains(msg, "; ") {
		t.Fatalf("400 says %q", msg)
	}
	if msg := stdioErr(t, cs, "create_a_the_auth_api_api_keys_auth", map[string]any{"key": "live_unknown"}, 404); msg != "Invalid client key" {
		t.Fatalf("404 says %q", msg)
	}
	if msg := stdioErr(t, cs, "get_single_the_auth_api_api_key_by_id", map[string]any{}, 400); msg != "id should not be empty" {
		t.Fatalf("missing path argument says %q", msg)
	}
	// An access key is not a user: REST's 403.
	stdioErr(t, cs, "create_a_the_auth_api_account", map[string]any{"body": map[string]any{"name": "x"}}, 403)

	// Pages travel over real HTTP: the cursor comes from x-next-cursor.
	for i := range 2 {
		stdioOK(t, cs, "create_a_the_auth_api_api_key", map[string]any{"body": map[string]any{"name": fmt.Sprint("more", i), "projectId": projectID}})
	}
	seen := map[string]bool{}
	var sizes []int
	var cursor any
	for page := 0; ; page++ {
		if page > 3 {
			t.Fatal("still paging")
		}
		sc := stdioOK(t, cs, "list_all_the_auth_api_api_keys", map[string]any{"projectId": projectID, "limit": 2, "next_cursor": cursor})
		items := stdioList(t, "keys", sc)
		sizes = append(sizes, len(items))
		for _, it := range items {
			seen[stdioField(t, it, "key")] = true
		}
		if cursor = sc["next_cursor"]; cursor == nil {
			break
		}
	}
	if !slices.Equal(sizes, []int{2, 1}) || len(seen) != 3 {
		t.Fatalf("pages %v with %d keys, want 2 then 1, 3 keys", sizes, len(seen))
	}
	// Empty and boolean answers.
	if sc := stdioOK(t, cs, "create_a_the_auth_api_auth_signup", map[string]any{"body": map[string]any{"email": "stdio@example.com", "password": "a long enough password", "name": "Stdio"}}); len(sc) != 1 || sc["ok"] != true {
		t.Fatalf("signup answered %v, want {ok: true}", sc)
	}
	if sc := stdioOK(t, cs, "delete_a_the_auth_api_api_key_by_id", map[string]any{"key": key}); len(sc) != 1 || sc["result"] != true {
		t.Fatalf("delete answered %v, want {result: true}", sc)
	}
	if status, _ := p.call(t, access, "POST", "/api-keys/auth/"+key, nil); status != 404 {
		t.Fatalf("the key revoked through the tool still verifies: %d", status)
	}

	// Closing stdin ends the process, cleanly.
	if err := cs.Close(); err != nil {
		t.Fatalf("close: %v; stderr:\n%s", err, stderr)
	}
	if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("keyway mcp exit %v; stderr:\n%s", cmd.ProcessState, stderr)
	}
	if strings.Contains(stderr.String(), "jsonrpc") {
		t.Fatalf("protocol on stderr:\n%s", stderr)
	}
}

// rpcLine is one newline-delimited message on keyway mcp's stdout.
type rpcLine struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// Every byte keyway mcp writes on stdout is the protocol: one JSON-RPC 2.0
// message a line, answering the requests in turn, through successes, tool
// errors, a protocol error and an unreachable backend; what else it has to
// say goes to stderr.
func TestMCPStdioStdoutIsOnlyProtocol(t *testing.T) {
	access := keycrypt.NewKey("live_access_")
	p := startKeyway(t, t.TempDir(), access)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct{ name, url string }{
		{"server", p.url},
		{"unreachable", "http://" + freeAddr(t)},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd, stderr := stdioCommand(ctx, map[string]string{"KEYWAY_ACCESS_KEY": access}, "--url", c.url)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			lines := bufio.NewScanner(stdout)
			lines.Buffer(make([]byte, 0, 1<<20), 16<<20)
			next := func(id int) rpcLine {
				t.Helper()
				if !lines.Scan() {
					t.Fatalf("stdout ended waiting for answer %d: %v; stderr:\n%s", id, lines.Err(), stderr)
				}
				var m rpcLine
				dec := json.NewDecoder(strings.NewReader(lines.Text()))
				dec.UseNumber()
				if err := dec.Decode(&m); err != nil || m.JSONRPC != "2.0" || dec.More() {
					t.Fatalf("stdout line is not one JSON-RPC message: %q", lines.Text())
				}
				if string(m.ID) != fmt.Sprint(id) || m.Method != "" || (m.Result == nil) == (m.Error == nil) {
					t.Fatalf("want the answer to request %d, got %q", id, lines.Text())
				}
				return m
			}
			send := func(msg string) {
				t.Helper()
				if _, err := io.WriteString(stdin, msg+"\n"); err != nil {
					t.Fatal(err)
				}
			}
			send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`)
			next(1)
			send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
			send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
			var list struct {
				Tools []struct{ Name string } `json:"tools"`
			}
			if err := json.Unmarshal(next(2).Result, &list); err != nil || len(list.Tools) != 57 {
				t.Fatalf("tools/list: %d tools, %v", len(list.Tools), err)
			}
			call := func(id int, tool, args string) (isError bool, structured map[string]any) {
				t.Helper()
				send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, tool, args))
				var r struct {
					IsError           bool           `json:"isError"`
					StructuredContent map[string]any `json:"structuredContent"`
				}
				if err := json.Unmarshal(next(id).Result, &r); err != nil {
					t.Fatal(err)
				}
				return r.IsError, r.StructuredContent
			}
			isErr, sc := call(3, "list_all_the_auth_api_misc", `{}`)
			if c.name == "unreachable" {
				// The server cannot be reached: a 502 tool error.
				if !isErr || sc["statusCode"] != float64(502) || sc["message"] != "the Keyway server could not be reached" {
					t.Fatalf("unreachable server: %v %v", isErr, sc)
				}
			} else if isErr || sc["message"] != "Hello World!" {
				t.Fatalf("misc: %v %v", isErr, sc)
			}
			if isErr, sc = call(4, "get_single_the_auth_api_project_by_id", `{"id":"nope"}`); !isErr {
				t.Fatalf("unknown project: %v", sc)
			}
			if isErr, sc = call(5, "create_a_the_auth_api_project", `"not an object"`); !isErr || sc["statusCode"] != float64(400) {
				t.Fatalf("arguments not an object: %v %v", isErr, sc)
			}
			// An unknown tool: a JSON-RPC error, on stdout too.
			send(`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`)
			if m := next(6); m.Error == nil {
				t.Fatalf("unknown tool answered %s", m.Result)
			}
			// End of input: the process exits, and has written nothing more.
			stdin.Close()
			if lines.Scan() {
				t.Fatalf("stdout after the last answer: %q", lines.Text())
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit: %v; stderr:\n%s", err, stderr)
			}
			if strings.Contains(stderr.String(), "jsonrpc") {
				t.Fatalf("protocol on stderr:\n%s", stderr)
			}
		})
	}

	// Input that is not JSON ends the session (the SDK's stdio transport
	// cannot find the next message in it): the process exits with the
	// reason on stderr and still nothing but the protocol on stdout.
	t.Run("input not JSON", func(t *testing.T) {
		cmd, stderr := stdioCommand(ctx, map[string]string{"KEYWAY_ACCESS_KEY": access}, "--url", p.url)
		cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}` + "\nthis is not JSON\n")
		var stdout lockedBuffer
		cmd.Stdout = &stdout
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatal("keyway mcp did not exit on input that is not JSON")
		}
		if err == nil || stderr.String() == "" {
			t.Fatalf("exit %v with stderr %q, want a failure that says why", err, stderr)
		}
		for _, line := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
			var m rpcLine
			if line == "" {
				continue
			}
			if err := json.Unmarshal([]byte(line), &m); err != nil || m.JSONRPC != "2.0" {
				t.Fatalf("stdout line is not JSON-RPC: %q", line)
			}
		}
	})
}

// Which credential the tools carry comes from the environment: with
// KEYWAY_TOKEN a user's access token (Bearer), so the user-only tools
// work; a wrong credential is a 401 tool error on each call.
func TestMCPStdioCredentials(t *testing.T) {
	access := keycrypt.NewKey("live_access_")
	p := startKeyway(t, t.TempDir(), access)
	if status, body := p.call(t, "", "POST", "/auth/signup", map[string]any{"email": "token@example.com", "password": "a long enough password", "name": "Token"}); status != 201 {
		t.Fatalf("signup: %d %v", status, body)
	}
	status, tok := p.call(t, "", "POST", "/auth/login", map[string]any{"email": "token@example.com", "password": "a long enough password"})
	token, _ := tok["access_token"].(string)
	if status != 201 || token == "" {
		t.Fatalf("login: %d %v", status, tok)
	}

	t.Run("user token", func(t *testing.T) {
		// A trailing slash on --url is fine.
		cs, _, _ := stdioSession(t, p.url+"/", map[string]string{"KEYWAY_TOKEN": token})
		made := stdioOK(t, cs, "create_a_the_auth_api_account", map[string]any{"body": map[string]any{"name": "Second"}})
		if made["name"] != "Second" || made["createdByType"] != "USER" {
			t.Fatalf("account %v", made)
		}
		if accounts := stdioList(t, "accounts", stdioOK(t, cs, "list_all_the_auth_api_accounts", nil)); len(accounts) != 2 {
			t.Fatalf("the user has %d accounts, want 2", len(accounts))
		}
	})
	t.Run("access key wins over a token", func(t *testing.T) {
		cs, _, _ := stdioSession(t, p.url, map[string]string{"KEYWAY_ACCESS_KEY": access, "KEYWAY_TOKEN": token})
		stdioErr(t, cs, "create_a_the_auth_api_account", map[string]any{"body": map[string]any{"name": "x"}}, 403)
	})
	for name, env := range map[string]map[string]string{
		"wrong access key": {"KEYWAY_ACCESS_KEY": "live_access_" + strings.Repeat("x", 64)},
		"wrong token":      {"KEYWAY_TOKEN": "not-a-token"},
	} {
		t.Run(name, func(t *testing.T) {
			cs, _, _ := stdioSession(t, p.url, env)
			if msg := stdioErr(t, cs, "list_all_the_auth_api_accounts", nil, 401); msg != "Unauthorized" {
				t.Fatalf("401 says %q", msg)
			}
			// Public operations still answer.
			stdioOK(t, cs, "list_all_the_auth_api_misc", nil)
		})
	}
}

// Without a credential, or without a usable --url, keyway mcp refuses to
// start: a non-zero exit, a message on stderr, nothing on stdout.
func TestMCPStdioRefusesToStart(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no credential", nil, []string{"--url", "http://127.0.0.1:1"}, "KEYWAY_ACCESS_KEY"},
		{"empty credentials", map[string]string{"KEYWAY_ACCESS_KEY": "", "KEYWAY_TOKEN": ""}, []string{"--url", "http://127.0.0.1:1"}, "KEYWAY_TOKEN"},
		{"no url", map[string]string{"KEYWAY_ACCESS_KEY": "live_access_x"}, nil, "--url"},
		{"not an http url", map[string]string{"KEYWAY_ACCESS_KEY": "live_access_x"}, []string{"--url", "ftp://example.com"}, "--url must be an http:// or https:// base URL"},
		{"no host", map[string]string{"KEYWAY_ACCESS_KEY": "live_access_x"}, []string{"--url", "http://"}, "--url must be"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd, stderr := stdioCommand(ctx, c.env, c.args...)
			cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}` + "\n")
			var stdout lockedBuffer
			cmd.Stdout = &stdout
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 || ctx.Err() != nil {
				t.Fatalf("exit: %v, want a non-zero status; stderr:\n%s", err, stderr)
			}
			if !strings.Contains(stderr.String(), c.want) {
				t.Fatalf("stderr %q, want it to mention %q", stderr, c.want)
			}
			if stdout.String() != "" {
				t.Fatalf("stdout %q, want nothing", stdout.String())
			}
		})
	}
}
