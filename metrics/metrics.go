// Package metrics exports Keyway's measurements in the Prometheus text
// format on /metrics: requests and latencies by operation, verification
// outcomes, cache hits and misses, invalidations, rate-limit store errors.
package metrics

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keywayhq/keyway/httpapi"
	"github.com/keywayhq/keyway/verify"
)

// Metrics is one node's registry.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

var _ httpapi.Instrument = (*Metrics)(nil)

func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keyway_http_requests_total",
			Help: "Answered HTTP requests by operation and status code.",
		}, []string{"op", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "keyway_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by operation; verifications are sampled one in 16 (counts in keyway_http_requests_total are exact).",
			// From 25 µs (a cached verification) to about 6 s.
			Buckets: prometheus.ExponentialBuckets(25e-6, 2.5, 14),
		}, []string{"op"}),
	}
	m.reg.MustRegister(m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// commonStatuses are resolved once per operation so that recording a
// request does no label lookup.
var commonStatuses = []int{200, 201, 400, 401, 403, 404, 409, 413, 429, 500, 501, 503}

type opRecorder struct {
	id       string
	requests *prometheus.CounterVec
	duration prometheus.Observer
	byStatus map[int]prometheus.Counter
}

// Op returns the recorder of one operation.
func (m *Metrics) Op(id string) httpapi.OpRecorder {
	r := &opRecorder{id: id, requests: m.requests, duration: m.duration.WithLabelValues(id), byStatus: map[int]prometheus.Counter{}}
	for _, s := range commonStatuses {
		r.byStatus[s] = m.requests.WithLabelValues(id, strconv.Itoa(s))
	}
	return r
}

func (r *opRecorder) Observe(status int, d time.Duration) {
	r.duration.Observe(d.Seconds())
	r.Count(status)
}

func (r *opRecorder) Count(status int) {
	if c, ok := r.byStatus[status]; ok {
		c.Inc()
		return
	}
	r.requests.WithLabelValues(r.id, strconv.Itoa(status)).Inc()
}

// counter exports a monotonically increasing value read on each scrape.
func (m *Metrics) counter(name, help string, labels prometheus.Labels, read func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
		func() float64 { return float64(read()) }))
}

// Verifier exports the verifier's counters: they live in the verifier as
// plain atomics so the hot path pays nothing for being measured.
func (m *Metrics) Verifier(v *verify.Verifier) {
	for o := verify.Valid; o <= verify.RateLimited; o++ {
		m.counter("keyway_verifications_total", "Verifications answered, by outcome.", prometheus.Labels{"outcome": o.String()},
			func() uint64 { return v.Stats().Outcomes[o] })
	}
	for _, c := range []struct {
		cache, result string
		read          func(verify.Stats) uint64
	}{
		{"api_key", "hit", func(s verify.Stats) uint64 { return s.KeyHits }},
		{"api_key", "miss", func(s verify.Stats) uint64 { return s.KeyMisses }},
		{"access_key", "hit", func(s verify.Stats) uint64 { return s.AccessHits }},
		{"access_key", "miss", func(s verify.Stats) uint64 { return s.AccessMisses }},
	} {
		m.counter("keyway_cache_lookups_total", "Verification cache lookups, by cache and result.",
			prometheus.Labels{"cache": c.cache, "result": c.result}, func() uint64 { return c.read(v.Stats()) })
	}
	m.counter("keyway_invalidations_received_total", "Cache invalidations received from other nodes.", nil,
		func() uint64 { return v.Stats().RemoteInvalidations })
	m.counter("keyway_key_filter_refusals_total", "Unknown API keys refused by the key filter, without a store read.", nil,
		func() uint64 { return v.Stats().FilterRefusals })
	m.counter("keyway_key_filter_builds_total", "Builds of the key filter from the store.", nil,
		func() uint64 { return v.Stats().FilterBuilds })
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "keyway_key_filter_bytes",
		Help: "Memory of the key filter; 0 while it is not built (unknown keys are then read from the store)."},
		func() float64 { return float64(v.Stats().FilterBytes) }))
	for _, g := range []struct {
		name, help, cache string
		read              func(verify.Stats) float64
	}{
		{"keyway_cache_entries", "Entries in the verification caches: known API keys, and keys remembered as unknown.", "api_key",
			func(s verify.Stats) float64 { return float64(s.KeyEntries) }},
		{"keyway_cache_entries", "Entries in the verification caches: known API keys, and keys remembered as unknown.", "unknown_key",
			func(s verify.Stats) float64 { return float64(s.UnknownEntries) }},
		{"keyway_cache_weight_bytes", "Estimated memory of the cached API keys, which KEYWAY_CACHE_MAX_BYTES bounds.", "api_key",
			func(s verify.Stats) float64 { return float64(s.KeyBytes) }},
	} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help, ConstLabels: prometheus.Labels{"cache": g.cache}},
			func() float64 { return g.read(v.Stats()) }))
	}
	for _, c := range []struct {
		name, help string
		labels     prometheus.Labels
		read       func(verify.FlushStats) uint64
	}{
		{"keyway_usage_flushes_total", "Usage flushes that had counts to write, by result.", prometheus.Labels{"result": "ok"},
			func(s verify.FlushStats) uint64 { return s.Flushes - s.Failures }},
		{"keyway_usage_flushes_total", "Usage flushes that had counts to write, by result.", prometheus.Labels{"result": "failed"},
			func(s verify.FlushStats) uint64 { return s.Failures }},
		{"keyway_usage_rows_written_total", "Usage rows (a key's counts in one minute) written to the store.", nil,
			func(s verify.FlushStats) uint64 { return s.Rows }},
		{"keyway_usage_rolled_up_rows_total", "Pending usage rows merged into hour or day rows to bound memory while flushes failed.", nil,
			func(s verify.FlushStats) uint64 { return s.RolledUp }},
	} {
		m.counter(c.name, c.help, c.labels, func() uint64 { return c.read(v.FlushStats()) })
	}
	for _, g := range []struct {
		name, help string
		read       func(verify.FlushStats) float64
	}{
		{"keyway_usage_pending_rows", "Usage rows counted but not yet written.", func(s verify.FlushStats) float64 { return float64(s.Pending) }},
		{"keyway_usage_flush_consecutive_failures", "Usage flushes failed in a row (0 after a success); /readyz says degraded from 3.",
			func(s verify.FlushStats) float64 { return float64(s.Consecutive) }},
	} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: g.name, Help: g.help},
			func() float64 { return g.read(v.FlushStats()) }))
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "keyway_invalidation_degraded",
		Help: "1 while the invalidation channel to other nodes is down and cache entries live at most the degraded TTL.",
	}, func() float64 {
		if v.Stats().Degraded {
			return 1
		}
		return 0
	}))
}

// UsageFlushes returns what the verifier calls after each usage flush: it
// records the flush's duration.
func (m *Metrics) UsageFlushes() func(verify.FlushReport) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "keyway_usage_flush_duration_seconds",
		Help: "Time to write one usage flush (every chunk), failed ones included.",
		// From 1 ms to about 30 s.
		Buckets: prometheus.ExponentialBuckets(1e-3, 2, 16),
	})
	m.reg.MustRegister(h)
	return func(r verify.FlushReport) { h.Observe(r.Duration.Seconds()) }
}

// Webhooks exports delivery attempts by outcome.
func (m *Metrics) Webhooks(delivered, retried, gaveUp *atomic.Uint64) {
	for outcome, c := range map[string]*atomic.Uint64{"delivered": delivered, "retry": retried, "gave_up": gaveUp} {
		m.counter("keyway_webhook_attempts_total", "Webhook delivery attempts, by outcome.", prometheus.Labels{"outcome": outcome}, c.Load)
	}
}

// PublishFailures exports failed invalidation broadcasts.
func (m *Metrics) PublishFailures(read func() uint64) {
	m.counter("keyway_invalidation_publish_failures_total", "Failed attempts to broadcast an invalidation to the other nodes (each is resent until the bus takes it).", nil, read)
}

// RateLimitStoreErrors exports rate-limit hits the shared store did not answer.
func (m *Metrics) RateLimitStoreErrors(read func() uint64) {
	m.counter("keyway_ratelimit_store_errors_total", "Rate-limit hits the shared store (Redis) did not answer.", nil, read)
}
