package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are accord's Prometheus metrics, on a registry of their own (no
// global state): appends (count, events, latency, conflicts), HTTP
// requests, scenario run time, and, once a ProjectionStatus is attached,
// the log's head and each projection's position and lag, read at scrape
// time. The Go runtime and process collectors are registered too.
type Metrics struct {
	// Registry holds every metric; more collectors (such as watermill's)
	// may be registered on it.
	Registry *prometheus.Registry

	appends        *prometheus.CounterVec
	appendedEvents prometheus.Counter
	appendDuration prometheus.Histogram
	conflicts      prometheus.Counter
	scenarioRuns   *prometheus.HistogramVec
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
}

// NewMetrics creates the metrics on reg (a new registry when nil).
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		Registry: reg,
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_appends_total",
			Help: "Append requests (POST /v1/events) by outcome: ok, invalid, conflict, unavailable, internal.",
		}, []string{"outcome"}),
		appendedEvents: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accord_appended_events_total",
			Help: "Events written to the log by append requests (duplicates not counted).",
		}),
		appendDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "accord_append_duration_seconds",
			Help:    "Latency of appends to the event log.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}),
		conflicts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "accord_append_conflicts_total",
			Help: "Appends refused because the stream was not at the expected version.",
		}),
		scenarioRuns: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accord_scenario_run_duration_seconds",
			Help:    "Run time of scenario runs, forecasts and backtests, by kind (scenario, forecast, backtest) and outcome.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"kind", "outcome"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accord_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accord_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.appends, m.appendedEvents, m.appendDuration, m.conflicts, m.scenarioRuns, m.httpRequests, m.httpDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, o := range []string{"ok", "invalid", "conflict", "unavailable", "internal"} {
		m.appends.WithLabelValues(o)
	}
	for _, k := range []string{"scenario", "forecast"} {
		m.scenarioRuns.WithLabelValues(k, "ok")
	}
	return m
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

func (m *Metrics) appendOutcome(outcome string) { m.appends.WithLabelValues(outcome).Inc() }

func (m *Metrics) observeHTTP(method, route string, code int, d time.Duration) {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions:
	default:
		method = "other"
	}
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(d.Seconds())
}

// ObserveScenarioRun records the run time of a scenario run, forecast or
// backtest.
func (m *Metrics) ObserveScenarioRun(kind, outcome string, d time.Duration) {
	m.scenarioRuns.WithLabelValues(kind, outcome).Observe(d.Seconds())
}

// watchProjections registers the collector of the log head and the
// projections' positions and lag.
func (m *Metrics) watchProjections(log headReader, st ProjectionStatus) error {
	return m.Registry.Register(&projectionCollector{log: log, status: st})
}

type headReader interface {
	Head(ctx context.Context) (int64, error)
}

var (
	descHead     = prometheus.NewDesc("accord_log_head_position", "Highest position of the event log.", nil, nil)
	descPosition = prometheus.NewDesc("accord_projection_position", "Position of the last event a read-model projection has committed.", []string{"projection"}, nil)
	descLag      = prometheus.NewDesc("accord_projection_lag_events", "Events in the log that a read-model projection has not committed yet.", []string{"projection"}, nil)
	descUp       = prometheus.NewDesc("accord_store_up", "1 when the event store answered the last scrape, else 0.", nil, nil)
)

// projectionCollector reads the head and the checkpoints at scrape time.
type projectionCollector struct {
	log    headReader
	status ProjectionStatus
}

func (c *projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descHead
	ch <- descPosition
	ch <- descLag
	ch <- descUp
}

func (c *projectionCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	head, err := c.log.Head(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	positions, err := c.status.Positions(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descHead, prometheus.GaugeValue, float64(head))
	for _, p := range positions {
		ch <- prometheus.MustNewConstMetric(descPosition, prometheus.GaugeValue, float64(p.Position), p.Name)
		ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(max(0, head-p.Position)), p.Name)
	}
}
