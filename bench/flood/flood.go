// Package flood floods a Keyway node with anonymous sign-ups and logins
// and measures, meanwhile, what everyone else sees: the latency of key
// verification and of an authenticated management call, and the node's
// memory (RSS, read from /proc, so the node must be a process of its
// own). bench/signupflood runs it from the command line for figures;
// cmd/keyway's TestSignupFloodBounded asserts on it.
//
// All traffic goes to Options.URL (loopback in every use here), each
// worker sends at most MaxPerWorker requests, and the flood stops after
// Duration (in-flight requests are cut Grace later).
package flood

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options says what to flood and what to measure.
type Options struct {
	URL string
	// AccessKey, Key and AccountID are for the probes: Key is verified
	// with AccessKey, and GET /projects?accountId=AccountID is the
	// authenticated management call.
	AccessKey, Key, AccountID string
	// PID is the node's process, whose RSS is sampled; 0 measures none.
	PID int
	// Workers each keep one anonymous request in flight, alternating
	// sign-ups of fresh emails and logins of unknown ones.
	Workers int
	// Duration is how long new flood requests are sent; Grace how long
	// requests still in flight then have before they are cut.
	Duration, Grace time.Duration
	// MaxPerWorker bounds the requests of one worker (default 2000).
	MaxPerWorker int
	// Pace, when set, is the least time between the starts of two
	// requests of one worker: 0 sends back to back, so refused requests,
	// which are answered at once, make a flood of many thousand requests
	// a second; Pace bounds that rate to Workers/Pace.
	Pace time.Duration
	// Refused, for a baseline, sends requests that validation refuses
	// (a sign-up's password too short, a login's empty: 400 before any
	// limit or hash), so the same request rate costs no hashing at all.
	Refused bool
	// Generator, when set, produces the flood instead of Generate in this
	// process: a process of its own keeps the flood's clients from
	// sharing a scheduler with the probes, whose latency is the figure.
	Generator func(ctx context.Context, o Options) (*Load, error) `json:"-"`
	// AddressHeader, when set, carries each worker's own client address
	// (198.18.x.y, the benchmarking range, only ever written in a header),
	// as a node behind a load balancer sees many clients; the node must
	// be configured to trust it (KEYWAY_CLIENT_ADDRESS_HEADER).
	AddressHeader string
	// ProbeEvery is the pause between two probes of each kind (default 5 ms).
	ProbeEvery time.Duration
	// StopRSS, when set, ends the flood early once the node's RSS passes
	// it (bytes), so a node without bounds cannot take the machine down.
	StopRSS uint64
}

// Latencies summarises one probe's answers.
type Latencies struct {
	N        int
	Failed   int // an error or an unexpected status
	P50, P99 time.Duration
	Max      time.Duration
}

func (l Latencies) String() string {
	return fmt.Sprintf("n=%d failed=%d p50=%v p99=%v max=%v", l.N, l.Failed,
		l.P50.Round(10*time.Microsecond), l.P99.Round(10*time.Microsecond), l.Max.Round(10*time.Microsecond))
}

// Result is what a flood measured.
type Result struct {
	Verify, Manage Latencies
	Load
	// RSSStart is the node's RSS before the flood, RSSPeak the highest
	// sampled during it, HWM the kernel's high-water mark at the end
	// (which covers the node's whole life, start included).
	RSSStart, RSSPeak, HWM uint64
	// StoppedAtRSS is set when StopRSS ended the flood early.
	StoppedAtRSS bool
	Elapsed      time.Duration
}

func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "verification: %v\nmanagement:   %v\n", r.Verify, r.Manage)
	for _, op := range []string{"signup", "login"} {
		codes := make([]int, 0, len(r.Statuses[op]))
		for c := range r.Statuses[op] {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		fmt.Fprintf(&b, "%-13s", op+":")
		for _, c := range codes {
			fmt.Fprintf(&b, " %d×%d", c, r.Statuses[op][c])
		}
		b.WriteString("\n")
	}
	if len(r.RetryAfter) > 0 {
		after := make([]string, 0, len(r.RetryAfter))
		for a := range r.RetryAfter {
			after = append(after, a)
		}
		slices.Sort(after)
		b.WriteString("429 by Retry-After:")
		for _, a := range after {
			fmt.Fprintf(&b, " %q×%d", a, r.RetryAfter[a])
		}
		b.WriteString("\n")
	}
	if r.BadBodies > 0 {
		fmt.Fprintf(&b, "429s without the contract's body: %d\n", r.BadBodies)
	}
	fmt.Fprintf(&b, "rss: start %s, peak %s, high-water mark %s", MiB(r.RSSStart), MiB(r.RSSPeak), MiB(r.HWM))
	if r.StoppedAtRSS {
		b.WriteString(" (flood stopped early: RSS limit reached)")
	}
	fmt.Fprintf(&b, "\nelapsed %v", r.Elapsed.Round(time.Millisecond))
	return b.String()
}

// MiB formats a byte count.
func MiB(n uint64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }

// Load is what the flood's clients were answered.
type Load struct {
	// Statuses counts the answers by operation ("signup", "login") and
	// status; a transport error counts as status 0.
	Statuses map[string]map[int]int
	// RetryAfter counts the 429s by their Retry-After header ("" when
	// missing): 1 s from a full hashing queue, the rest of the window
	// from the sign-in limits.
	RetryAfter map[string]int
	// BadBodies counts 429s whose body is not the contract's
	// {"statusCode":429,"message":"Too many requests"}.
	BadBodies int
}

const tooMany = `{"statusCode":429,"message":"Too many requests"}`

// Generate runs the flood's clients only: Workers of them for Duration,
// requests in flight cut at ctx's end. Run calls it in-process unless
// Options.Generator runs it elsewhere.
func Generate(ctx context.Context, o Options) (*Load, error) {
	if o.Workers <= 0 || o.Duration <= 0 {
		return nil, errors.New("flood: Workers and Duration must be positive")
	}
	if o.MaxPerWorker <= 0 {
		o.MaxPerWorker = 2000
	}
	sending, stopSending := context.WithTimeout(ctx, o.Duration)
	defer stopSending()
	// The flood's own connections, one per worker, kept open.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Workers, DisableCompression: true}}
	defer client.CloseIdleConnections()
	load := &Load{Statuses: map[string]map[int]int{"signup": {}, "login": {}}, RetryAfter: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	for i := range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addr := fmt.Sprintf("198.18.%d.%d", i/250, i%250+1)
			next := time.Now()
			for n := 0; n < o.MaxPerWorker && sending.Err() == nil; n++ {
				if o.Pace > 0 {
					if d := time.Until(next); d > 0 {
						select {
						case <-sending.Done():
							return
						case <-time.After(d):
						}
					}
					next = time.Now().Add(o.Pace)
				}
				op, body := "signup", map[string]string{"email": fmt.Sprintf("flood-%s-%d-%d@example.com", run, i, n), "password": "flood password 1234", "name": "Flood"}
				if n%2 == 1 {
					op, body = "login", map[string]string{"email": fmt.Sprintf("nobody-%s-%d-%d@example.com", run, i, n), "password": "flood password 1234"}
				}
				if o.Refused {
					// Too short for a sign-up, empty for a login: both 400.
					body["password"] = map[string]string{"signup": "short", "login": ""}[op]
				}
				hdr := []string{}
				if o.AddressHeader != "" {
					hdr = append(hdr, o.AddressHeader, addr)
				}
				status, h, answer, err := send(ctx, client, "POST", o.URL+"/auth/"+op, "", body, hdr...)
				if err != nil {
					status = 0
				}
				mu.Lock()
				load.Statuses[op][status]++
				if status == http.StatusTooManyRequests {
					load.RetryAfter[h.Get("Retry-After")]++
					if string(answer) != tooMany {
						load.BadBodies++
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return load, nil
}

// Run floods until Duration has passed (and Grace for the last answers),
// probing and sampling meanwhile, then returns what it measured.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Workers <= 0 || o.Duration <= 0 {
		return nil, errors.New("flood: Workers and Duration must be positive")
	}
	if o.ProbeEvery <= 0 {
		o.ProbeEvery = 5 * time.Millisecond
	}
	generate := o.Generator
	if generate == nil {
		generate = Generate
	}
	res := &Result{}
	if o.PID != 0 {
		rss, _, err := memory(o.PID)
		if err != nil {
			return nil, err
		}
		res.RSSStart, res.RSSPeak = rss, rss
	}
	start := time.Now()
	hard, cut := context.WithTimeout(ctx, o.Duration+o.Grace)
	defer cut()

	// The probes and the memory sampler run until the flood is over.
	floodDone := make(chan struct{})
	var probes sync.WaitGroup
	probe := func(out *Latencies, method, path string, want int) {
		defer probes.Done()
		c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 30 * time.Second}
		defer c.CloseIdleConnections()
		var took []time.Duration
		failed := 0
		for {
			select {
			case <-floodDone:
				*out = summarise(took, failed)
				return
			case <-time.After(o.ProbeEvery):
			}
			t0 := time.Now()
			status, _, _, err := send(ctx, c, method, o.URL+path, o.AccessKey, nil)
			took = append(took, time.Since(t0))
			if err != nil || status != want {
				failed++
			}
		}
	}
	probes.Add(2)
	go probe(&res.Verify, "POST", "/api-keys/auth/"+o.Key, http.StatusOK)
	go probe(&res.Manage, "GET", "/projects?accountId="+o.AccountID, http.StatusOK)
	var mu sync.Mutex
	var stopped atomic.Bool
	if o.PID != 0 {
		probes.Add(1)
		go func() {
			defer probes.Done()
			t := time.NewTicker(20 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-floodDone:
					return
				case <-t.C:
				}
				rss, _, err := memory(o.PID)
				if err != nil {
					continue
				}
				mu.Lock()
				res.RSSPeak = max(res.RSSPeak, rss)
				mu.Unlock()
				if o.StopRSS > 0 && rss > o.StopRSS && !stopped.Swap(true) {
					cut()
				}
			}
		}()
	}
	load, err := generate(hard, o)
	close(floodDone)
	probes.Wait()
	if err != nil {
		return nil, err
	}
	res.Load = *load
	res.Elapsed = time.Since(start)
	res.StoppedAtRSS = stopped.Load()
	if o.PID != 0 {
		rss, hwm, err := memory(o.PID)
		if err != nil {
			return nil, err
		}
		res.RSSPeak, res.HWM = max(res.RSSPeak, rss), hwm
	}
	return res, nil
}

func summarise(took []time.Duration, failed int) Latencies {
	l := Latencies{N: len(took), Failed: failed}
	if len(took) == 0 {
		return l
	}
	slices.Sort(took)
	at := func(q float64) time.Duration { return took[min(len(took)-1, int(q*float64(len(took))))] }
	l.P50, l.P99, l.Max = at(0.50), at(0.99), took[len(took)-1]
	return l
}

// send makes one request and reads its answer.
func send(ctx context.Context, c *http.Client, method, url, accessKey string, body any, hdr ...string) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if accessKey != "" {
		req.Header.Set("x-api-key", accessKey)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, answer, nil
}

// memory reads a process's resident set and its high-water mark.
func memory(pid int) (rss, hwm uint64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("flood: read memory of process %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != "VmRSS" && name != "VmHWM" {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("flood: %s of process %d: %q", name, pid, value)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}
