package httpapi

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/api"
	"github.com/keywayhq/keyway/verify"
)

// fastRoute serves an operation of the table that carries a fast handler
// (api.Operation.Verify): the key is the last segment of its path, matched
// on the decoded path without the generic router or binder, since these
// routes are most of the traffic. A key never holds a slash, and escaping
// the path would cost an allocation.
type fastRoute struct {
	op     api.Operation
	prefix string // the path up to the key, "/api-keys/auth/"
	origin string // the canonical header carrying the caller's origin
	rec    OpRecorder
}

// newFastRoute checks that o's path ends in its one path parameter, the
// key, and reads the origin header's name from o's descriptor.
func newFastRoute(o api.Operation, rec OpRecorder) (*fastRoute, error) {
	f := &fastRoute{op: o, rec: rec}
	var path []api.Param
	for _, p := range o.Params() {
		switch p.In {
		case api.InPath:
			path = append(path, p)
		case api.InHeader:
			f.origin = http.CanonicalHeaderKey(p.Name)
		}
	}
	if len(path) != 1 || !strings.HasSuffix(o.Path, "/{"+path[0].Name+"}") {
		return nil, errNotFast
	}
	f.prefix = strings.TrimSuffix(o.Path, "{"+path[0].Name+"}")
	return f, nil
}

var errNotFast = errors.New("a fast handler's path must end in its one path parameter")

// key is the key of a request's decoded path, false when the path is not
// this route's.
func (f *fastRoute) key(path string) (string, bool) {
	if !strings.HasPrefix(path, f.prefix) {
		return "", false
	}
	key := strings.TrimSuffix(path[len(f.prefix):], "/")
	if key == "" || strings.IndexByte(key, '/') >= 0 {
		return "", false
	}
	return key, true
}

// refusal is the answer of a negative verdict, encoded once.
type refusal struct {
	status int
	body   []byte
}

// refusals answer each outcome but Valid on the fast routes: the error
// verify.Result.Err names for it, encoded once as every other error is
// (the generic path encodes the same error when it answers).
var refusals = func() (r [verify.RateLimited + 1]refusal) {
	for o := range r {
		if err := (verify.Result{Outcome: verify.Outcome(o)}).Err(); err != nil {
			r[o].status, r[o].body = encodeError(err)
		}
	}
	return r
}()

// latencySample is how many verifications share one latency measurement.
// Reading the clock twice costs about a fifth of a cached verification on
// these machines; one in 16 still fills the histogram, and every answer
// is counted.
const latencySample = 16

func (h *Handler) serveFast(w http.ResponseWriter, r *http.Request, f *fastRoute, key string) {
	if rand.Uint32()%latencySample != 0 {
		f.rec.Count(h.verify(w, r, f, key))
		return
	}
	start := time.Now()
	status := h.verify(w, r, f, key)
	f.rec.Observe(status, time.Since(start))
}

// verify answers a fast route. It writes pre-encoded bodies and touches no
// database in the steady state.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request, f *fastRoute, key string) int {
	ctx := r.Context()
	caller, err := h.admit(ctx, w.Header(), credential(r), f.op)
	if err != nil {
		return h.fail(w, r, err)
	}
	var origin string
	if f.origin != "" {
		if v := r.Header[f.origin]; len(v) > 0 {
			origin = v[0]
		}
	}
	res, err := f.op.Verify(ctx, caller, key, origin)
	if err != nil {
		return h.fail(w, r, err)
	}
	if status, refused := h.refuse(w, res); refused {
		return status
	}
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	res.WriteAnswer(w)
	return http.StatusOK
}

// refuse answers a verdict on a fast route: its headers and, for a
// negative one, its pre-encoded answer. refused is false for a valid key,
// whose answer the caller writes.
func (h *Handler) refuse(w http.ResponseWriter, res verify.Result) (status int, refused bool) {
	h.verdictHeaders(w.Header(), res)
	if res.Outcome == verify.Valid {
		return 0, false
	}
	a := refusals[res.Outcome]
	writePrepared(w, a.status, a.body)
	return a.status, true
}

// verdictHeaders sets what every verification answer carries for a
// rate-limited key, on every route that verifies.
func (h *Handler) verdictHeaders(hdr http.Header, res verify.Result) {
	if !res.HasRate {
		return
	}
	setRateHeaders(hdr, res.Rate)
	if res.Outcome == verify.RateLimited {
		setRetryAfter(hdr, res.Rate.Reset.Sub(h.clock.Now()))
	}
}

func setRateHeaders(h http.Header, r keyway.RateResult) {
	h["Ratelimit-Limit"] = []string{strconv.Itoa(r.Limit)}
	h["Ratelimit-Remaining"] = []string{strconv.Itoa(r.Remaining())}
	h["Ratelimit-Consumed"] = []string{strconv.Itoa(r.Consumed)}
	h["Ratelimit-Reset"] = []string{keyway.NewTime(r.Reset).String()}
}

// setRetryAfter is the one place a 429 says when to come back: whole
// seconds, at least 1, in the contract's header and in HTTP's own for
// clients and proxies that know only that one.
func setRetryAfter(h http.Header, d time.Duration) {
	secs := []string{strconv.Itoa(max(int((d+time.Second-1)/time.Second), 1))}
	h["Retry-After-Seconds"] = secs
	h["Retry-After"] = secs
}
