// Command signupflood starts a keyway binary on loopback with a fresh
// embedded database, floods it with anonymous sign-ups and logins
// (bench/flood) and prints verification and management latency and the
// node's RSS meanwhile. Building the binary from two commits and running
// this on each gives a before/after pair on one machine:
//
//	go build -o /tmp/keyway ./cmd/keyway
//	go run ./bench/signupflood -bin /tmp/keyway -workers 500 -duration 15s
//
// Settings for the node come from -env (KEY=VALUE, repeatable); the
// node trusts X-Forwarded-For so that each worker is a client address of
// its own, as many clients behind a load balancer are.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/keywayhq/keyway/bench/flood"
	"github.com/keywayhq/keyway/keycrypt"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, " ") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	bin := flag.String("bin", "", "keyway binary to start (required)")
	workers := flag.Int("workers", 500, "concurrent anonymous sign-up/login clients")
	duration := flag.Duration("duration", 15*time.Second, "how long the flood lasts")
	grace := flag.Duration("grace", 10*time.Second, "how long requests still in flight then have")
	pace := flag.Duration("pace", 0, "least time between two requests of one worker (0: back to back)")
	stopRSS := flag.Uint64("stop-rss-mib", 8192, "end the flood early past this RSS (MiB), so an unbounded node cannot exhaust the machine")
	useWrk := flag.Bool("wrk", false, "also measure verification with wrk (one connection, back to back) in a process of its own, so the flood's client does not share its scheduler")
	refused := flag.Bool("refused", false, "baseline: the same flood with bodies validation refuses (400, no hashing)")
	var env envFlags
	flag.Var(&env, "env", "KEY=VALUE for the node (repeatable)")
	flag.Parse()
	if *bin == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*bin, env, *useWrk, flood.Options{Workers: *workers, Duration: *duration, Grace: *grace, Pace: *pace, Refused: *refused, StopRSS: *stopRSS << 20}); err != nil {
		fmt.Fprintln(os.Stderr, "signupflood:", err)
		os.Exit(1)
	}
}

func run(bin string, env []string, useWrk bool, o flood.Options) error {
	dir, err := os.MkdirTemp("", "signupflood")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	access := keycrypt.NewKey("live_access_")
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "KEYWAY_BOOTSTRAP_ACCESS_KEY="+access, "KEYWAY_CLIENT_ADDRESS_HEADER=X-Forwarded-For")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	base := "http://" + addr
	if err := waitReady(base); err != nil {
		return err
	}
	var accounts []struct{ ID string }
	if err := call(base, access, "GET", "/accounts", nil, 200, &accounts); err != nil || len(accounts) != 1 {
		return fmt.Errorf("accounts: %v (%d)", err, len(accounts))
	}
	var project struct{ ID string }
	if err := call(base, access, "POST", "/projects", map[string]string{"name": "flood", "accountId": accounts[0].ID, "env": "live"}, 201, &project); err != nil {
		return err
	}
	var key struct{ Key string }
	if err := call(base, access, "POST", "/api-keys", map[string]string{"name": "probe", "projectId": project.ID}, 201, &key); err != nil {
		return err
	}
	// Once before, so the probe measures the cached path, as in use.
	if err := call(base, access, "POST", "/api-keys/auth/"+key.Key, nil, 200, nil); err != nil {
		return err
	}
	o.URL, o.AccessKey, o.Key, o.AccountID, o.PID = base, access, key.Key, accounts[0].ID, cmd.Process.Pid
	o.AddressHeader = "X-Forwarded-For"
	fmt.Printf("signupflood: %s, %d workers for %v\n", bin, o.Workers, o.Duration)
	var wrkOut bytes.Buffer
	var wrkDone chan error
	if useWrk {
		script := dir + "/post.lua"
		if err := os.WriteFile(script, []byte("wrk.method = \"POST\"\n"), 0o600); err != nil {
			return err
		}
		w := exec.Command("wrk", "-t1", "-c1", "-d"+o.Duration.String(), "--latency", "-s", script, "-H", "x-api-key: "+access, base+"/api-keys/auth/"+key.Key)
		w.Stdout, w.Stderr = &wrkOut, &wrkOut
		if err := w.Start(); err != nil {
			return fmt.Errorf("wrk: %w", err)
		}
		wrkDone = make(chan error, 1)
		go func() { wrkDone <- w.Wait() }()
	}
	res, err := flood.Run(context.Background(), o)
	if err != nil {
		return err
	}
	fmt.Println(res)
	if wrkDone != nil {
		if err := <-wrkDone; err != nil {
			return fmt.Errorf("wrk: %w: %s", err, wrkOut.String())
		}
		fmt.Printf("wrk, verification during the flood:\n%s", wrkOut.String())
	}
	return nil
}

func waitReady(base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the node did not become ready")
}

func call(base, access, method, path string, body any, want int, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("x-api-key", access)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
