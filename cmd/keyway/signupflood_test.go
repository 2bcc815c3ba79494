package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywayhq/keyway/bench/flood"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/keywaytest"
)

// 500 anonymous clients, each from an address of its own and each keeping
// a sign-up or a login in flight back to back, flood a real keyway process
// for three rounds of 3 s with the production argon2id parameters (19 MiB
// a hash).
// Password hashing is bounded, so meanwhile key verification and
// management calls keep answering and the process stays small; the
// refused sign-ins get 429 with Retry-After, and some still get through.
//
// RSS is the process's own (/proc), which is why the node is a process
// and not an in-process App; the flood's clients are a third process, so
// that the probes measure the node and not the clients' scheduler. The
// memory bound (600 MiB) holds on any machine. The latency bound follows
// the repository's convention: 50 ms with KEYWAY_TEST_STRICT_TIMING (a
// quiet machine), doubled otherwise, as in CI where other packages' tests
// share the two cores; and since there even a flood that costs no hashing
// at all can take verification past that, the same flood of requests
// refused by validation (400, before any limit or hash) runs in rounds
// alternating with it, and the sign-up flood may take three times its
// p99 (on a machine loaded past its cores the one slot's hashing does
// take a share of the node's CPU: 1 to 2.5 times the baseline's p99 was
// seen at load averages of 6 to 25; the code before the bound took
// seconds). Strict, every
// round's p99 must be under 50 ms. Under the race detector latency is
// only logged.
func TestSignupFloodBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("six 3 s floods")
	}
	keywaytest.ForEachDatabase(t, func(t *testing.T, dbURL string) {
		secret := make([]byte, 32)
		rand.Read(secret)
		access := keycrypt.NewKey("live_access_")
		n := startNode(t, "flood", map[string]string{
			"KEYWAY_DATABASE_URL":          dbURL,
			"KEYWAY_SECRET_KEY":            base64.StdEncoding.EncodeToString(secret),
			"KEYWAY_BOOTSTRAP_ACCESS_KEY":  access,
			"KEYWAY_CLIENT_ADDRESS_HEADER": "X-Forwarded-For",
		}, "warn")
		n.waitReady(t, 30*time.Second)
		var accounts []struct{ ID string }
		decode(t, n.must(t, "GET", "/accounts", access, nil), 200, &accounts)
		var project struct{ ID string }
		decode(t, n.must(t, "POST", "/projects", access, map[string]any{"name": "flood", "accountId": accounts[0].ID, "env": "live"}), 201, &project)
		var key struct{ Key string }
		decode(t, n.must(t, "POST", "/api-keys", access, map[string]any{"name": "probe", "projectId": project.ID}), 201, &key)
		if r := n.must(t, "POST", "/api-keys/auth/"+key.Key, access, nil); r.status != 200 {
			t.Fatalf("verify before the flood: %s", r)
		}

		opts := flood.Options{
			URL: n.url, AccessKey: access, Key: key.Key, AccountID: accounts[0].ID, PID: n.cmd.Process.Pid,
			Workers: 500, Duration: 3 * time.Second, Grace: 10 * time.Second,
			AddressHeader: "X-Forwarded-For", StopRSS: 2 << 30, Generator: floodProcess,
		}
		if raceEnabled {
			// The detector slows argon2 and the clients about tenfold: a
			// smaller flood, with more time for its last answers, still
			// races the same paths.
			opts.Workers, opts.Grace = 100, 30*time.Second
		}
		// Rounds alternate the baseline and the sign-up flood, so both see
		// the same machine noise (bench/load.sh alternates for the same
		// reason); the figure of each is the median of its rounds' p99s.
		const rounds = 3
		var baseP99, floodP99 []time.Duration
		res := &flood.Result{Load: flood.Load{Statuses: map[string]map[int]int{"signup": {}, "login": {}}, RetryAfter: map[string]int{}}}
		for round := range rounds {
			baselineOpts := opts
			baselineOpts.Refused = true
			baseline, err := flood.Run(context.Background(), baselineOpts)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("round %d, baseline, the same flood refused by validation:\n%v", round+1, baseline)
			if len(baseline.Statuses["signup"]) != 1 || len(baseline.Statuses["login"]) != 1 ||
				baseline.Statuses["signup"][400] == 0 || baseline.Statuses["login"][400] == 0 || baseline.Verify.Failed > 0 {
				t.Fatalf("the baseline flood did not run as meant: %v", baseline.Statuses)
			}
			r, err := flood.Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("round %d, %d concurrent sign-ups and logins:\n%v", round+1, opts.Workers, r)
			baseP99, floodP99 = append(baseP99, baseline.Verify.P99), append(floodP99, r.Verify.P99)
			for op, statuses := range r.Statuses {
				for status, count := range statuses {
					res.Statuses[op][status] += count
				}
			}
			for after, count := range r.RetryAfter {
				res.RetryAfter[after] += count
			}
			res.BadBodies += r.BadBodies
			res.Verify.N += r.Verify.N
			res.Verify.Failed += r.Verify.Failed
			res.Manage.Failed += r.Manage.Failed
			res.RSSPeak = max(res.RSSPeak, r.RSSPeak, baseline.RSSPeak)
			res.StoppedAtRSS = res.StoppedAtRSS || r.StoppedAtRSS
		}

		if res.StoppedAtRSS || res.RSSPeak > 600<<20 {
			t.Errorf("RSS peaked at %s, want under 600 MiB", flood.MiB(res.RSSPeak))
		}
		if res.Verify.Failed > 0 || res.Manage.Failed > 0 {
			t.Errorf("probes failed during the flood: verification %d, management %d", res.Verify.Failed, res.Manage.Failed)
		}
		if res.Verify.N < 100 {
			t.Errorf("only %d verifications in %d rounds", res.Verify.N, rounds)
		}
		for op, statuses := range res.Statuses {
			for status, count := range statuses {
				switch {
				case status == 0 || status >= 500:
					t.Errorf("%s: %d answers with status %d", op, count, status)
				case status != 201 && status != 401 && status != 429:
					t.Errorf("%s: %d unexpected answers with status %d", op, count, status)
				}
			}
			if statuses[429] == 0 {
				t.Errorf("%s: no request was refused: the flood did not reach the bound", op)
			}
		}
		// Some get through: sign-ups and logins alike (under the race
		// detector, a few sign-ins in all).
		if served := res.Statuses["signup"][201] + res.Statuses["login"][401]; served == 0 ||
			!raceEnabled && (res.Statuses["signup"][201] == 0 || res.Statuses["login"][401] == 0) {
			t.Errorf("no sign-up or login was served during the flood: %v", res.Statuses)
		}
		if res.BadBodies > 0 {
			t.Errorf("%d 429s without the contract's body %s", res.BadBodies, `{"statusCode":429,"message":"Too many requests"}`)
		}
		if n := res.RetryAfter[""]; n > 0 {
			t.Errorf("%d 429s without Retry-After", n)
		}
		// Retry-After 1 is the full hashing queue's answer (the sign-in
		// limits answer with the rest of their 15-minute window).
		if res.RetryAfter["1"] == 0 {
			t.Errorf("no request was refused by the hashing bound: %v", res.RetryAfter)
		}

		slices.Sort(baseP99)
		slices.Sort(floodP99)
		base, p99 := baseP99[rounds/2], floodP99[rounds/2]
		t.Logf("verification p99, median of %d rounds: %v under the sign-up flood, %v under the baseline flood (rounds: %v and %v)", rounds, p99, base, floodP99, baseP99)
		limit := max(100*time.Millisecond, 3*base)
		if os.Getenv("KEYWAY_TEST_STRICT_TIMING") != "" {
			limit, p99 = 50*time.Millisecond, floodP99[rounds-1]
		}
		if raceEnabled {
			t.Logf("race detector: verification p99 %v not checked against %v", p99, limit)
		} else if p99 > limit {
			t.Errorf("verification p99 %v during the flood, want under %v (baseline flood without hashing: %v)", p99, limit, base)
		}
	})
}

func decode(t *testing.T, r clusterReply, want int, out any) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s, want %d", r, want)
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		t.Fatal(err)
	}
}

// floodEnv carries a flood.Options (JSON) to the test binary run as the
// flood's clients.
const floodEnv = "KEYWAY_TEST_FLOOD"

// floodProcess runs the flood's clients in a process of their own (this
// test binary, see TestMain) and reads back what they were answered.
func floodProcess(ctx context.Context, o flood.Options) (*flood.Load, error) {
	opts, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = []string{floodEnv + "=" + string(opts)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYWAY_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("flood process: %w: %s", err, stderr.String())
	}
	var load flood.Load
	if err := json.Unmarshal(out, &load); err != nil {
		return nil, fmt.Errorf("flood process answered %q: %w", out, err)
	}
	return &load, nil
}

// generateFlood is the flood process's main: it returns the exit code.
func generateFlood(opts string) int {
	var o flood.Options
	if err := json.Unmarshal([]byte(opts), &o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	// Done within half the grace, before Run's deadline kills the process.
	ctx, cancel := context.WithTimeout(context.Background(), o.Duration+o.Grace/2)
	defer cancel()
	load, err := flood.Generate(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(load); err != nil {
		return 1
	}
	return 0
}
