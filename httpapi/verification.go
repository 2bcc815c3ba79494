package httpapi

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keywayhq/keyway"
	"github.com/keywayhq/keyway/verify"
)

const verificationPrefix = "/api-keys/auth/"

// verificationKey recognises POST and GET /api-keys/auth/{key}[/] in a
// decoded path.
func verificationKey(method, path string) (string, bool) {
	if (method != http.MethodPost && method != http.MethodGet) || !strings.HasPrefix(path, verificationPrefix) {
		return "", false
	}
	key := strings.TrimSuffix(path[len(verificationPrefix):], "/")
	if key == "" || strings.IndexByte(key, '/') >= 0 {
		return "", false
	}
	return key, true
}

// Bodies of the verification answers, encoded once.
var (
	invalidKeyBody   = mustEncodeError(verify.ErrInvalidKey)
	originDeniedBody = mustEncodeError(verify.ErrOriginDenied)
	tooManyBody      = mustEncodeError(verify.ErrTooManyCalls)
)

func mustEncodeError(err error) []byte {
	_, b := encodeError(err)
	return b
}

// serveVerification answers POST/GET /api-keys/auth/{key}. It writes
// pre-encoded bodies and touches no database in the steady state.
// latencySample is how many verifications share one latency measurement.
// Reading the clock twice costs about a fifth of a cached verification on
// these machines; one in 16 still fills the histogram, and every answer
// is counted.
const latencySample = 16

func (h *Handler) serveVerification(w http.ResponseWriter, r *http.Request, key string) {
	if rand.Uint32()%latencySample != 0 {
		h.verifyOp.Count(h.verify(w, r, key))
		return
	}
	start := time.Now()
	status := h.verify(w, r, key)
	h.verifyOp.Observe(status, time.Since(start))
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request, key string) int {
	ctx := r.Context()
	caller, err := h.authenticate(ctx, credential(r))
	if err != nil {
		return h.fail(w, r, err)
	}
	if caller.MCPServer != nil && !mayRun(caller, h.verifyOps[r.Method]) {
		return h.fail(w, r, keyway.ErrForbidden)
	}
	res, err := h.verifier.Verify(ctx, caller, key, r.Header.Get("X-Origin-Domain"))
	if err != nil {
		return h.fail(w, r, err)
	}
	h.verdictHeaders(w.Header(), res)
	switch res.Outcome {
	case verify.Valid:
		w.Header()["Content-Type"] = jsonContentType
		w.WriteHeader(http.StatusOK)
		res.WriteAnswer(w)
		return http.StatusOK
	case verify.OriginDenied:
		writePrepared(w, http.StatusForbidden, originDeniedBody)
		return http.StatusForbidden
	case verify.RateLimited:
		writePrepared(w, http.StatusTooManyRequests, tooManyBody)
		return http.StatusTooManyRequests
	default:
		writePrepared(w, http.StatusNotFound, invalidKeyBody)
		return http.StatusNotFound
	}
}

// verdictHeaders sets what every verification answer carries for a
// rate-limited key, on every route that verifies.
func (h *Handler) verdictHeaders(hdr http.Header, r verify.Result) {
	if !r.HasRate {
		return
	}
	setRateHeaders(hdr, r.Rate)
	if r.Outcome == verify.RateLimited {
		hdr["Retry-After-Seconds"] = []string{h.retryAfter(r.Rate)}
	}
}

func setRateHeaders(h http.Header, r keyway.RateResult) {
	h["Ratelimit-Limit"] = []string{strconv.Itoa(r.Limit)}
	h["Ratelimit-Remaining"] = []string{strconv.Itoa(r.Remaining())}
	h["Ratelimit-Consumed"] = []string{strconv.Itoa(r.Consumed)}
	h["Ratelimit-Reset"] = []string{keyway.NewTime(r.Reset).String()}
}

// retryAfter is the whole seconds until the window resets, at least 1.
func (h *Handler) retryAfter(r keyway.RateResult) string {
	d := r.Reset.Sub(h.clock.Now())
	return strconv.Itoa(max(int((d+time.Second-1)/time.Second), 1))
}
