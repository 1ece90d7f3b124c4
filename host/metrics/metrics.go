// Package metrics exports easel's measurements in the Prometheus format, at
// /metrics of `easel serve --http`, with the standard client library.
//
// It is the only package that imports Prometheus. The packages it measures
// know nothing of it: tool calls and ComfyUI requests are pushed through the
// two methods of [Metrics] (which the host/app Observer interface names),
// and gauges (plugin instances, ComfyUI queues) are pulled from a [Source]
// at scrape time, so nothing is counted on a hot path that nobody reads.
//
// # Metrics
//
//	easel_tool_calls_total{tool,outcome}             counter; outcome ok, tool_error (the plugin answered isError) or error (the call failed: trap, timeout, plugin not loaded)
//	easel_tool_call_duration_seconds{tool}           histogram
//	easel_plugin_instances{tool,state}               gauge; state busy or idle
//	easel_comfyui_requests_total{backend,method,route,code}  counter; code is the HTTP status, or "error" when no response came
//	easel_comfyui_request_duration_seconds{backend,route}    histogram
//	easel_comfyui_queue_remaining{backend}           gauge; running plus pending jobs, as ComfyUI last reported
//	easel_comfyui_up{backend}                        gauge; 1 while the backend's event stream is connected or (with several backends) its last probe succeeded
//	easel_build_info{version}                        gauge, always 1
//
// plus the Go runtime and process collectors (go_*, process_*).
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Source is what the gauges read at scrape time. host/app implements it.
type Source interface {
	// PluginInstances calls fn for every loaded plugin.
	PluginInstances(fn func(tool string, busy, idle int))
	// ComfyUIBackends calls fn for every ComfyUI backend.
	ComfyUIBackends(fn func(backend string, queueRemaining int, up bool))
}

// Metrics holds easel's metrics in its own registry. It is safe for
// concurrent use.
type Metrics struct {
	reg           *prometheus.Registry
	toolCalls     *prometheus.CounterVec
	toolDuration  *prometheus.HistogramVec
	comfyRequests *prometheus.CounterVec
	comfyDuration *prometheus.HistogramVec
}

// Buckets of the duration histograms, in seconds. Tool calls range from a
// millisecond (a queue lookup) to many minutes (waiting for a render);
// ComfyUI requests from a millisecond to the 30s request timeout.
var (
	toolBuckets  = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
	comfyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
)

// New registers easel's metrics. Gauges read at scrape time come from the
// sources added with AddSource.
func New(version string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		toolCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "easel_tool_calls_total",
			Help: "MCP tool calls by tool and outcome: ok, tool_error (the tool answered isError) or error (the call failed in the host or plugin).",
		}, []string{"tool", "outcome"}),
		toolDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "easel_tool_call_duration_seconds",
			Help:    "Duration of MCP tool calls, waiting for ComfyUI jobs included.",
			Buckets: toolBuckets,
		}, []string{"tool"}),
		comfyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "easel_comfyui_requests_total",
			Help: "HTTP requests to ComfyUI by backend, method, route and status code (\"error\" when no response came).",
		}, []string{"backend", "method", "route", "code"}),
		comfyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "easel_comfyui_request_duration_seconds",
			Help:    "Latency of HTTP requests to ComfyUI, reading the body included.",
			Buckets: comfyBuckets,
		}, []string{"backend", "route"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "easel_build_info",
		Help:        "Always 1; the version label says which easel is running.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	build.Set(1)
	m.reg.MustRegister(m.toolCalls, m.toolDuration, m.comfyRequests, m.comfyDuration, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// AddSource registers the gauges of src (plugin instances, ComfyUI queues),
// read at every scrape. Add one source once, at start-up.
func (m *Metrics) AddSource(src Source) {
	m.reg.MustRegister(gauges{src})
}

// Handler serves the metrics in the Prometheus text format (or OpenMetrics,
// when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// ToolCall records one tool call; outcome is ok, tool_error or error
// (mcpserver's Outcome constants).
func (m *Metrics) ToolCall(tool, outcome string, d time.Duration) {
	m.toolCalls.WithLabelValues(tool, outcome).Inc()
	m.toolDuration.WithLabelValues(tool).Observe(d.Seconds())
}

// ComfyUIRequest records one HTTP request to a ComfyUI backend; status 0
// means no response came (refused, timed out, cut short).
func (m *Metrics) ComfyUIRequest(backend, method, path string, status int, d time.Duration) {
	code := "error"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	r := Route(path)
	m.comfyRequests.WithLabelValues(backend, method, r, code).Inc()
	m.comfyDuration.WithLabelValues(backend, r).Observe(d.Seconds())
}

// comfyRoutes are the first path segments of ComfyUI's API (API.md). Any
// other path is counted as "other", so that a plugin requesting random
// paths cannot create unbounded label values.
var comfyRoutes = map[string]bool{
	"prompt": true, "queue": true, "history": true, "object_info": true, "view": true,
	"view_metadata": true, "upload": true, "system_stats": true, "interrupt": true,
	"free": true, "models": true, "embeddings": true, "extensions": true, "features": true,
	"settings": true, "userdata": true, "users": true, "internal": true, "ws": true,
	"experiment": true, "jobs": true,
}

// Route reduces a ComfyUI request path to a label of bounded cardinality:
// its first segment, with "/*" when more follows ("/history/*" for
// /history/<id>), and "/api" prefixes dropped; unknown routes are "other".
func Route(path string) string {
	path = strings.TrimPrefix(path, "/api/")
	path = strings.TrimPrefix(path, "/")
	first, rest, more := strings.Cut(path, "/")
	if !comfyRoutes[first] {
		return "other"
	}
	if more && rest != "" {
		return "/" + first + "/*"
	}
	return "/" + first
}

// gauges collects the pulled gauges from a Source at scrape time.
type gauges struct{ src Source }

var (
	instancesDesc = prometheus.NewDesc("easel_plugin_instances",
		"Live WebAssembly instances per tool: busy (running a call) or idle (ready for one).", []string{"tool", "state"}, nil)
	queueDesc = prometheus.NewDesc("easel_comfyui_queue_remaining",
		"Jobs running or pending on a ComfyUI backend, as it last reported.", []string{"backend"}, nil)
	upDesc = prometheus.NewDesc("easel_comfyui_up",
		"1 while a ComfyUI backend's event stream is connected or (with several backends) its last probe succeeded, else 0.", []string{"backend"}, nil)
)

func (g gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- instancesDesc
	ch <- queueDesc
	ch <- upDesc
}

func (g gauges) Collect(ch chan<- prometheus.Metric) {
	g.src.PluginInstances(func(tool string, busy, idle int) {
		ch <- prometheus.MustNewConstMetric(instancesDesc, prometheus.GaugeValue, float64(busy), tool, "busy")
		ch <- prometheus.MustNewConstMetric(instancesDesc, prometheus.GaugeValue, float64(idle), tool, "idle")
	})
	g.src.ComfyUIBackends(func(backend string, queue int, up bool) {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(queue), backend)
		v := 0.0
		if up {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, v, backend)
	})
}
