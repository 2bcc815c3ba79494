// Command scale is the Go half of bench/scale/run.sh: the parts of a
// verification benchmark over many keys that are easier in Go than in
// bash. It seeds a store through the bulk path, writes the wrk script,
// warms a node's cache, times a restart, and reads the figures (metrics,
// live heap, PostgreSQL sessions, analytics) the script reports.
//
//	scale seed -n 1000000            # KEYWAY_DATABASE_URL, KEYWAY_SECRET_KEY, KEYWAY_BOOTSTRAP_ACCESS_KEY
//	scale lua > random.lua            # wrk -s random.lua URL -- <lo> <count> <active seconds>
//	scale warm -url http://127.0.0.1:8080 -n 1000000
//	scale metrics -url http://127.0.0.1:8080 'keyway_cache_lookups_total{cache="api_key",result="hit"}'
//
// Every key is key(i) for i in [0, n): wrk and the warmer generate them
// from the index, so a million keys need no file.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/keycrypt"
	"github.com/keywayhq/keyway/sqlstore"
)

// keyFormat makes key(i): 64 characters like a generated key, the index
// in the middle and a fixed filler after it. The same format goes into the
// wrk script (Lua's string.format reads %010d as Go does).
const keyFormat = "live_scale_%010d_Qm7vR2xK9pLw4tZs8nYc3bHf6jDg1uEa5oWiTrXqNc"

func key(i int) string { return fmt.Sprintf(keyFormat, i) }

func main() {
	if len(key(0)) != 64 {
		panic("keyFormat must make 64-character keys")
	}
	cmds := map[string]func([]string) error{
		"seed": seed, "key": printKey, "lua": writeLua, "warm": warm, "probe": probe,
		"metrics": printMetrics, "histogram": histogram, "heap": heap,
		"pgdb": pgdb, "pgsessions": pgSessions, "totals": totals,
	}
	if len(os.Args) < 2 || cmds[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: scale seed|key|lua|warm|probe|metrics|histogram|heap|pgdb|pgsessions|totals [flags]")
		os.Exit(2)
	}
	if err := cmds[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "scale %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// accessKey is the bench's management credential: the node is started
// with the same variable, so seed and node agree on it.
func accessKey() string { return os.Getenv("KEYWAY_BOOTSTRAP_ACCESS_KEY") }

// seed bootstraps an empty store (or finds the account of the access key
// in one bootstrapped before), creates a project and imports n keys into
// it through ImportAPIKeys, one call per slice so memory stays flat.
func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	dbURL := fs.String("db", os.Getenv("KEYWAY_DATABASE_URL"), "database URL (default: $KEYWAY_DATABASE_URL)")
	n := fs.Int("n", 100_000, "keys to create")
	slice := fs.Int("slice", 10_000, "keys per ImportAPIKeys call")
	fs.Parse(args)
	access := accessKey()
	if *dbURL == "" || access == "" {
		return errors.New("need -db (or KEYWAY_DATABASE_URL) and KEYWAY_BOOTSTRAP_ACCESS_KEY")
	}
	secret, err := keycrypt.ParseSecret(os.Getenv("KEYWAY_SECRET_KEY"))
	if err != nil {
		return fmt.Errorf("KEYWAY_SECRET_KEY: %w", err)
	}
	sealer, err := keycrypt.NewSealer(secret)
	if err != nil {
		return err
	}
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, *dbURL, sealer)
	if err != nil {
		return err
	}
	defer store.Close()

	now := keyway.NewTime(time.Now())
	audit := keyway.Audit{CreatedBy: "bench/scale", CreatedByType: keyway.ActorAccessKey, LastChangedBy: "bench/scale", LastChangedByType: keyway.ActorAccessKey}
	account := &keyway.Account{ID: newID(), Name: "Scale bench", IsActive: true, Audit: audit, CreatedAt: now, UpdatedAt: now}
	ak := &keyway.AccessKey{Key: keyway.AccessKeySecret(access), Name: "Scale bench access key", AccountID: account.ID, IsActive: true, CreatedAt: now, UpdatedAt: now}
	created, err := store.Bootstrap(ctx, account, ak)
	if err != nil {
		return err
	}
	accountID := account.ID
	if !created {
		have, err := store.AccessKey(ctx, access)
		if err != nil {
			return fmt.Errorf("the store was bootstrapped before and does not know this access key: %w", err)
		}
		accountID = have.AccountID
	}
	project := &keyway.Project{ID: newID(), Name: fmt.Sprintf("scale %d keys", *n), AccountID: accountID, Env: keyway.EnvLive, IsActive: true, Audit: audit, CreatedAt: now, UpdatedAt: now}
	if err := store.CreateProject(ctx, project); err != nil {
		return err
	}

	meta := json.RawMessage(`{"plan":"pro"}`)
	start, lastReport := time.Now(), time.Now()
	keys := make([]*keyway.APIKey, 0, *slice)
	for lo := 0; lo < *n; lo += *slice {
		keys = keys[:0]
		for i := lo; i < min(lo+*slice, *n); i++ {
			keys = append(keys, &keyway.APIKey{
				ID: newID(), AccountID: accountID, Key: keyway.APIKeySecret(key(i)), Name: fmt.Sprintf("customer %d", i),
				ProjectID: project.ID, Env: keyway.EnvLive, CustomMetaData: meta, IsActive: true,
				AllowedDomains: []string{}, CreationContext: json.RawMessage(`{}`), CreatedAt: now, UpdatedAt: now,
			})
		}
		if err := store.ImportAPIKeys(ctx, keys); err != nil {
			return fmt.Errorf("after %d keys: %w", lo, err)
		}
		if time.Since(lastReport) > 10*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(os.Stderr, "seed: %d of %d keys\n", lo+len(keys), *n)
		}
	}
	elapsed := time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "seed: %d keys in %.1f s (%.0f keys/s)\n", *n, elapsed, float64(*n)/elapsed)
	// Shell-friendly: ids and the key charset need no quoting.
	fmt.Printf("ACCESS_KEY=%s\nACCOUNT_ID=%s\nPROJECT_ID=%s\nSEED_SECONDS=%.1f\n", access, accountID, project.ID, elapsed)
	return nil
}

// newID is a UUIDv7, as the service gives every object.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// luaScript is the wrk script. It draws i uniformly from [lo, lo+count)
// and verifies key(i). Each thread stops sending after `active` seconds
// (delay() parks every connection once its answer is in), so nothing is
// in flight when wrk stops at -d: wrk drops the answers it still awaits
// then, which the node may have counted, and the bench compares wrk's
// count with the analytics exactly. Run wrk with -d longer than active
// (a second is plenty) and divide its request count by active.
const luaScript = `-- Written by bench/scale: scale lua. Arguments: lo count active_seconds.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } scale_timespec;
int clock_gettime(int clock, scale_timespec *ts);
]]
local ts = ffi.new("scale_timespec")
local function now()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local format = %q
local lo, count, stop_at = 0, 1, 0
local threads = 0

-- setup runs in wrk's main state, before each thread's init.
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  lo, count = tonumber(args[1]), tonumber(args[2])
  stop_at = now() + tonumber(args[3])
  -- Each thread its own sequence.
  math.randomseed(os.time() * 1000 + thread_id)
end

function delay()
  if now() >= stop_at then return 3600 * 1000 end
  return 0
end

function request()
  return wrk.format("POST", string.format(format, lo + math.random(0, count - 1)))
end
`

// printKey prints key(i), for a curl in the script.
func printKey(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: scale key <index>")
	}
	i, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	fmt.Println(key(i))
	return nil
}

func writeLua([]string) error {
	_, err := fmt.Printf(luaScript, "/api-keys/auth/"+keyFormat)
	return err
}

// warm verifies key(lo) … key(lo+n-1) once each with bounded concurrency,
// which puts every key in the node's cache, and prints
// "<2xx> <other statuses> <transport errors> <seconds>".
func warm(args []string) error {
	fs := flag.NewFlagSet("warm", flag.ExitOnError)
	base := fs.String("url", "", "node base URL")
	lo := fs.Int("lo", 0, "first key index")
	n := fs.Int("n", 0, "keys to verify")
	conc := fs.Int("c", 32, "concurrent requests")
	fs.Parse(args)
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}}
	var next, ok, bad, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	done := make(chan struct{})
	go func() { // progress: warming a million keys takes minutes
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(os.Stderr, "warm: %d of %d keys\n", ok.Load()+bad.Load()+errs.Load(), *n)
			}
		}
	}()
	for range *conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				code, err := verify(client, *base, key(*lo+i))
				switch {
				case err != nil:
					if errs.Add(1) <= 3 {
						fmt.Fprintf(os.Stderr, "warm: %v\n", err)
					}
				case code/100 == 2:
					ok.Add(1)
				default:
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	fmt.Printf("%d %d %d %.3f\n", ok.Load(), bad.Load(), errs.Load(), time.Since(start).Seconds())
	return nil
}

// verify sends POST /api-keys/auth/{key} and reads the whole answer, so
// the connection is reused.
func verify(c *http.Client, base, k string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/api-keys/auth/"+k, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("x-api-key", accessKey())
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// probe times a node's start: from -since (when the script spawned it)
// until GET /readyz answers 200, then until a verification of key(-key)
// does. It prints both in seconds and the number of 200 verifications
// (1), which the analytics check counts.
func probe(args []string) error {
	fs := flag.NewFlagSet("probe", flag.ExitOnError)
	base := fs.String("url", "", "node base URL")
	since := fs.Int64("since", 0, "when the node was started, Unix nanoseconds")
	k := fs.Int("key", 0, "index of the key to verify")
	fs.Parse(args)
	start := time.Unix(0, *since)
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	poll := func(try func() (int, error)) (float64, error) {
		for time.Now().Before(deadline) {
			if code, err := try(); err == nil && code == http.StatusOK {
				return time.Since(start).Seconds(), nil
			}
			time.Sleep(2 * time.Millisecond)
		}
		return 0, errors.New("no 200 within 2 minutes")
	}
	ready, err := poll(func() (int, error) {
		resp, err := client.Get(*base + "/readyz")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	})
	if err != nil {
		return fmt.Errorf("readyz: %w", err)
	}
	first, err := poll(func() (int, error) { return verify(client, *base, key(*k)) })
	if err != nil {
		return fmt.Errorf("first verification: %w", err)
	}
	fmt.Printf("%.3f %.3f 1\n", ready, first)
	return nil
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape reads base/metrics. The parser knows what client_golang writes:
// name{label="value",…} value, values quoted with \-escapes.
func scrape(base string) ([]sample, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	var out []sample
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// parseSample parses `name{a="x",b="y"} value` (labels optional); it is
// also how a wanted series is named on the command line (without value).
func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end < 0 {
		s.name = line
		return s, nil
	}
	s.name, line = line[:end], line[end:]
	if line[0] == '{' {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, ", ")
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.Index(line, `="`)
			if eq < 0 {
				return s, errors.New("bad labels")
			}
			name := line[:eq]
			line = line[eq+2:]
			var val strings.Builder
			for {
				if line == "" {
					return s, errors.New("unterminated label value")
				}
				c := line[0]
				line = line[1:]
				if c == '"' {
					break
				}
				if c == '\\' && line != "" {
					c, line = line[0], line[1:]
					if c == 'n' {
						c = '\n'
					}
				}
				val.WriteByte(c)
			}
			s.labels[name] = val.String()
		}
	}
	fields := strings.Fields(line)
	if len(fields) > 0 {
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return s, err
		}
		s.value = v
	}
	return s, nil
}

// find sums the series named want (a name with a subset of its labels).
func find(samples []sample, want sample) (float64, bool) {
	var sum float64
	found := false
next:
	for _, s := range samples {
		if s.name != want.name {
			continue
		}
		for k, v := range want.labels {
			if s.labels[k] != v {
				continue next
			}
		}
		sum, found = sum+s.value, true
	}
	return sum, found
}

// number prints a value as an integer when it is one (counters come as
// 1.234567e+06).
func number(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// printMetrics prints the values of the series named on the command line,
// space-separated, "n/a" for each the node does not export (yet).
func printMetrics(args []string) error {
	fs := flag.NewFlagSet("metrics", flag.ExitOnError)
	base := fs.String("url", "", "node base URL")
	fs.Parse(args)
	samples, err := scrape(*base)
	if err != nil {
		return err
	}
	var out []string
	for _, name := range fs.Args() {
		want, err := parseSample(name)
		if err != nil {
			return fmt.Errorf("series %q: %w", name, err)
		}
		if v, ok := find(samples, want); ok {
			out = append(out, number(v))
		} else {
			out = append(out, "n/a")
		}
	}
	fmt.Println(strings.Join(out, " "))
	return nil
}

// histogram prints "<count> <sum> <max bucket>" of a histogram since the
// node started: the max bucket is the smallest upper bound that holds
// every observation. "n/a n/a n/a" when the node does not export it.
func histogram(args []string) error {
	fs := flag.NewFlagSet("histogram", flag.ExitOnError)
	base := fs.String("url", "", "node base URL")
	fs.Parse(args)
	if fs.NArg() != 1 {
		return errors.New("name one histogram")
	}
	name := fs.Arg(0)
	samples, err := scrape(*base)
	if err != nil {
		return err
	}
	count, ok := find(samples, sample{name: name + "_count"})
	sum, _ := find(samples, sample{name: name + "_sum"})
	if !ok {
		fmt.Println("n/a n/a n/a")
		return nil
	}
	maxLE := math.Inf(1)
	for _, s := range samples {
		if s.name != name+"_bucket" || s.value < count {
			continue
		}
		if le, err := strconv.ParseFloat(s.labels["le"], 64); err == nil && le < maxLE {
			maxLE = le
		}
	}
	fmt.Printf("%s %s %s\n", number(count), number(sum), strconv.FormatFloat(maxLE, 'g', -1, 64))
	return nil
}

// heap prints HeapAlloc right after a forced GC, i.e. the live heap, from
// the pprof listener (-url is the debug address).
func heap(args []string) error {
	fs := flag.NewFlagSet("heap", flag.ExitOnError)
	base := fs.String("url", "", "debug listener base URL")
	fs.Parse(args)
	resp, err := http.Get(*base + "/debug/pprof/heap?gc=1&debug=1")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "# HeapAlloc = "); ok {
			fmt.Println(v)
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("no HeapAlloc in the heap profile")
}

// pgdb creates a fresh database next to the one -db names and prints
// "<name> <url>", or drops one (-drop name) again, closing its sessions.
// A database of its own keeps the bench's pg_stat_database.sessions and
// LISTEN/NOTIFY channel apart from anyone else's.
func pgdb(args []string) error {
	fs := flag.NewFlagSet("pgdb", flag.ExitOnError)
	dbURL := fs.String("db", os.Getenv("KEYWAY_DATABASE_URL"), "an existing PostgreSQL database to connect through")
	drop := fs.String("drop", "", "drop this database instead of creating one")
	fs.Parse(args)
	u, err := url.Parse(*dbURL)
	if err != nil {
		return err
	}
	db, err := sql.Open("pgx", *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	if *drop != "" {
		if !strings.HasPrefix(*drop, "keyway_scale_") {
			return fmt.Errorf("refusing to drop %q: not a bench database", *drop)
		}
		_, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{*drop}.Sanitize()+" WITH (FORCE)")
		return err
	}
	name := fmt.Sprintf("keyway_scale_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return err
	}
	u.Path = "/" + name
	fmt.Println(name, u.String())
	return nil
}

// pgSessions prints pg_stat_database.sessions of the database. Backends
// report their stats up to about a second late, and this read's own
// session is counted once it ends: the script waits a second before each
// read and subtracts one per interval.
func pgSessions(args []string) error {
	fs := flag.NewFlagSet("pgsessions", flag.ExitOnError)
	dbURL := fs.String("db", os.Getenv("KEYWAY_DATABASE_URL"), "PostgreSQL URL")
	fs.Parse(args)
	db, err := sql.Open("pgx", *dbURL)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(`SELECT sessions FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		return err
	}
	fmt.Println(n)
	return nil
}

// totals prints the project's analytics totals "<successful> <failed>
// <rate limited>" over the hours from -from until the hour after now.
func totals(args []string) error {
	fs := flag.NewFlagSet("totals", flag.ExitOnError)
	base := fs.String("url", "", "node base URL")
	project := fs.String("project", "", "project id")
	from := fs.Int64("from", 0, "start of the window, Unix seconds (truncated to the hour)")
	fs.Parse(args)
	const iso = "2006-01-02T15:04:05.000Z"
	q := url.Values{
		"projectId":    {*project},
		"dateGrouping": {"hour"},
		"from":         {time.Unix(*from, 0).UTC().Truncate(time.Hour).Format(iso)},
		"to":           {time.Now().UTC().Truncate(time.Hour).Add(time.Hour).Format(iso)},
	}
	req, err := http.NewRequest(http.MethodGet, *base+"/analytics/project-totals?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("x-api-key", accessKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("project-totals: %s: %s", resp.Status, body)
	}
	var t struct {
		Total struct{ Successful, Failed, RateLimited int64 }
	}
	if err := json.Unmarshal(body, &t); err != nil {
		return err
	}
	fmt.Println(t.Total.Successful, t.Total.Failed, t.Total.RateLimited)
	return nil
}
