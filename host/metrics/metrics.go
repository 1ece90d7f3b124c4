// Package metrics exports easel's measurements in the Prometheus text format
// (version 0.0.4), at /metrics of `easel serve --http`.
//
// It writes the format itself rather than with the Prometheus client
// library, whose protobuf dependencies weighed 2.3 MB of the static binary
// for a few dozen series. The packages it measures know nothing of it:
// tool calls and ComfyUI requests are pushed through the two methods of
// [Metrics] (which the host/app Observer interface names),
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
// plus the Go runtime metrics (go_goroutines, go_threads, go_info,
// go_gc_duration_seconds, go_memstats_*, ...) and, where /proc exists, the
// process metrics (process_cpu_seconds_total, process_resident_memory_bytes,
// ...), named as the client library's collectors name them so dashboards
// built for those keep working.
package metrics

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Source is what the gauges read at scrape time. host/app implements it.
type Source interface {
	// PluginInstances calls fn for every loaded plugin.
	PluginInstances(fn func(tool string, busy, idle int))
	// ComfyUIBackends calls fn for every ComfyUI backend.
	ComfyUIBackends(fn func(backend string, queueRemaining int, up bool))
}

// Metrics holds easel's metrics. It is safe for concurrent use.
type Metrics struct {
	version       string
	toolCalls     *counterVec
	toolDuration  *histogramVec
	comfyRequests *counterVec
	comfyDuration *histogramVec

	mu      sync.Mutex
	sources []Source
}

// Buckets of the duration histograms, in seconds. Tool calls range from a
// millisecond (a queue lookup) to many minutes (waiting for a render);
// ComfyUI requests from a millisecond to the 30s request timeout.
var (
	toolBuckets  = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
	comfyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
)

// New creates easel's metrics. Gauges read at scrape time come from the
// sources added with AddSource.
func New(version string) *Metrics {
	return &Metrics{
		version: version,
		toolCalls: newCounterVec("easel_tool_calls_total",
			"MCP tool calls by tool and outcome: ok, tool_error (the tool answered isError) or error (the call failed in the host or plugin).",
			"tool", "outcome"),
		toolDuration: newHistogramVec("easel_tool_call_duration_seconds",
			"Duration of MCP tool calls, waiting for ComfyUI jobs included.",
			toolBuckets, "tool"),
		comfyRequests: newCounterVec("easel_comfyui_requests_total",
			"HTTP requests to ComfyUI by backend, method, route and status code (\"error\" when no response came).",
			"backend", "method", "route", "code"),
		comfyDuration: newHistogramVec("easel_comfyui_request_duration_seconds",
			"Latency of HTTP requests to ComfyUI, reading the body included.",
			comfyBuckets, "backend", "route"),
	}
}

// AddSource adds the gauges of src (plugin instances, ComfyUI queues),
// read at every scrape. Add one source once, at start-up.
func (m *Metrics) AddSource(src Source) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sources = append(m.sources, src)
}

// Handler serves the metrics in the Prometheus text format, version 0.0.4,
// which every Prometheus-compatible scraper reads.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		if err := writeFamilies(&buf, m.families()); err != nil {
			http.Error(w, "writing metrics: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		if r.Method != http.MethodHead {
			w.Write(buf.Bytes())
		}
	})
}

// families gathers every family at scrape time.
func (m *Metrics) families() []family {
	fams := []family{
		m.toolCalls.family(), m.toolDuration.family(), m.comfyRequests.family(), m.comfyDuration.family(),
		gauge("easel_build_info", "Always 1; the version label says which easel is running.", 1, label{"version", m.version}),
	}
	m.mu.Lock()
	sources := m.sources
	m.mu.Unlock()
	fams = append(fams, sourceFamilies(sources)...)
	fams = append(fams, goFamilies()...)
	return append(fams, processFamilies("/proc")...)
}

// ToolCall records one tool call; outcome is ok, tool_error or error
// (mcpserver's Outcome constants).
func (m *Metrics) ToolCall(tool, outcome string, d time.Duration) {
	m.toolCalls.inc(tool, outcome)
	m.toolDuration.observe(d.Seconds(), tool)
}

// ComfyUIRequest records one HTTP request to a ComfyUI backend; status 0
// means no response came (refused, timed out, cut short).
func (m *Metrics) ComfyUIRequest(backend, method, path string, status int, d time.Duration) {
	code := "error"
	if status > 0 {
		code = strconv.Itoa(status)
	}
	r := Route(path)
	m.comfyRequests.inc(backend, method, r, code)
	m.comfyDuration.observe(d.Seconds(), backend, r)
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

// sourceFamilies reads the pulled gauges from the sources.
func sourceFamilies(sources []Source) []family {
	instances := family{name: "easel_plugin_instances", typ: "gauge",
		help: "Live WebAssembly instances per tool: busy (running a call) or idle (ready for one)."}
	queue := family{name: "easel_comfyui_queue_remaining", typ: "gauge",
		help: "Jobs running or pending on a ComfyUI backend, as it last reported."}
	up := family{name: "easel_comfyui_up", typ: "gauge",
		help: "1 while a ComfyUI backend's event stream is connected or (with several backends) its last probe succeeded, else 0."}
	for _, src := range sources {
		src.PluginInstances(func(tool string, busy, idle int) {
			instances.samples = append(instances.samples,
				sample{labels: []label{{"state", "busy"}, {"tool", tool}}, value: float64(busy)},
				sample{labels: []label{{"state", "idle"}, {"tool", tool}}, value: float64(idle)})
		})
		src.ComfyUIBackends(func(backend string, remaining int, ok bool) {
			v := 0.0
			if ok {
				v = 1
			}
			b := []label{{"backend", backend}}
			queue.samples = append(queue.samples, sample{labels: b, value: float64(remaining)})
			up.samples = append(up.samples, sample{labels: b, value: v})
		})
	}
	for _, f := range []*family{&instances, &queue, &up} {
		sortSamples(f.samples)
	}
	return []family{instances, queue, up}
}
