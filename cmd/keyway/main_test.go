package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
	"github.com/keywayhq/keyway/keywaytest/harness"
)

// The test binary doubles as keyway: with KEYWAY_TEST_MAIN set it runs
// main, so tests can start, kill and restart real server processes without
// a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("KEYWAY_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	if o := os.Getenv(floodEnv); o != "" {
		os.Exit(generateFlood(o))
	}
	os.Exit(m.Run())
}

type proc struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startKeyway runs `keyway serve` on dataDir and waits for /readyz.
func startKeyway(t *testing.T, dataDir, accessKey string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], "serve", "--addr", addr, "--data-dir", dataDir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "KEYWAY_TEST_MAIN=1", "KEYWAY_BOOTSTRAP_ACCESS_KEY="+accessKey)
	p := &proc{cmd: cmd, url: "http://" + addr, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	_, err := keywaytest.Poll{Timeout: 15 * time.Second}.Until("keyway to become ready", func() (bool, string, error) {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false, err.Error(), nil
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status, nil
	})
	if err != nil {
		t.Fatalf("%v; stderr:\n%s", err, p.stderr)
	}
	return p
}

func (p *proc) call(t *testing.T, accessKey, method, path string, body any) (int, map[string]any) {
	t.Helper()
	resp, err := harness.Do(http.DefaultClient, method, p.url+path, accessKey, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	var out any
	json.Unmarshal(resp.Body, &out)
	m, _ := out.(map[string]any)
	if list, ok := out.([]any); ok && len(list) > 0 {
		m, _ = list[0].(map[string]any)
	}
	return resp.Status, m
}

// A key acknowledged with 201 survives kill -9 of the server right after.
func TestCreatedKeySurvivesKill9(t *testing.T) {
	dataDir := t.TempDir()
	access := keycrypt.NewKey("live_access_")
	p := startKeyway(t, dataDir, access)
	_, acct := p.call(t, access, "GET", "/accounts", nil)
	_, proj := p.call(t, access, "POST", "/projects", map[string]any{"name": "p", "accountId": acct["id"], "env": "live"})

	var keys []string
	for i := range 20 {
		status, k := p.call(t, access, "POST", "/api-keys", map[string]any{"name": fmt.Sprint("k", i), "projectId": proj["id"]})
		if status != 201 {
			t.Fatalf("create: %d", status)
		}
		keys = append(keys, k["key"].(string))
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	p2 := startKeyway(t, dataDir, "")
	for _, k := range keys {
		if status, _ := p2.call(t, access, "POST", "/api-keys/auth/"+k, nil); status != 200 {
			t.Fatalf("key %s after kill -9: verification %d, want 200", keyway.Fingerprint(k), status)
		}
	}
	if strings.Contains(p2.stderr.String(), "first access key") {
		t.Fatal("a restart bootstrapped again")
	}
}

// SIGTERM shuts down cleanly: exit status 0 and no error logged.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	access := keycrypt.NewKey("live_access_")
	p := startKeyway(t, t.TempDir(), access)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, p.stderr)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("keyway did not exit within 15 s of SIGTERM")
	}
	if strings.Contains(p.stderr.String(), `"level":"ERROR"`) {
		t.Fatalf("error logged during shutdown:\n%s", p.stderr)
	}
}

// Without KEYWAY_BOOTSTRAP_ACCESS_KEY the first start prints a generated
// access key once, in a framed block of its own on stderr (not a JSON log
// line), and keeps a copy in <data dir>/first-start.txt (0600) until the
// key is first used; it works, and a restart prints nothing.
func TestBootstrapPrintsGeneratedKeyOnce(t *testing.T) {
	dataDir := t.TempDir()
	p := startKeyway(t, dataDir, "")
	out := p.stderr.String()
	var key string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "live_access_") {
			key = strings.Trim(f, `"`)
			break
		}
	}
	if len(key) != len("live_access_")+64 {
		t.Fatalf("no generated access key on stderr:\n%s", out)
	}
	// The block: between two rules, on lines of its own, none of them
	// JSON; the key on its "Access key:" line.
	start := strings.Index(out, "\n=====")
	end := strings.LastIndex(out, "=====\n")
	if start < 0 || end <= start {
		t.Fatalf("no framed block on stderr:\n%s", out)
	}
	block := out[start : end+len("=====\n")]
	for _, line := range strings.Split(block, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "{") {
			t.Fatalf("a JSON line inside the block:\n%s", block)
		}
	}
	if !strings.Contains(block, "Access key:  "+key+"\n") || !strings.Contains(block, "first-start.txt") {
		t.Fatalf("block without the key line or the file's name:\n%s", block)
	}
	file := filepath.Join(dataDir, "first-start.txt")
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("first-start.txt: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	if data, _ := os.ReadFile(file); !strings.Contains(string(data), key) {
		t.Fatalf("first-start.txt does not hold the key:\n%s", data)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()
	info, err = os.Stat(dataDir + "/secret.key")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key: %v, mode %v; want 0600", err, info.Mode().Perm())
	}

	// A restart before the key is used prints nothing and keeps the file;
	// the key's first use removes it.
	p2 := startKeyway(t, dataDir, "")
	if strings.Contains(p2.stderr.String(), "live_access_") {
		t.Fatalf("restart printed an access key:\n%s", p2.stderr)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("first-start.txt gone before the key was used: %v", err)
	}
	if status, _ := p2.call(t, "live_access_wrong", "GET", "/accounts", nil); status != 401 {
		t.Fatalf("wrong key: GET /accounts %d", status)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("first-start.txt gone after a wrong key: %v", err)
	}
	if status, _ := p2.call(t, key, "GET", "/accounts", nil); status != 200 {
		t.Fatalf("generated key after restart: GET /accounts %d", status)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("first-start.txt after the key's first use: %v, want it gone", err)
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	p2.cmd.Wait()
	p3 := startKeyway(t, dataDir, "")
	if strings.Contains(p3.stderr.String(), "live_access_") {
		t.Fatalf("third start printed an access key:\n%s", p3.stderr)
	}
	if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("first-start.txt back after a restart: %v", err)
	}
}
