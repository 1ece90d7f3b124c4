package metrics

import (
	"io"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeSource struct{}

func (fakeSource) PluginInstances(fn func(string, int, int)) {
	fn("get_queue", 1, 2)
	fn("run_workflow", 0, 1)
}

func (fakeSource) ComfyUIBackends(fn func(string, int, bool)) {
	fn("default", 3, true)
	fn("gpu1", 0, false)
}

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("scrape: %d", w.Code)
	}
	b, _ := io.ReadAll(w.Body)
	return string(b)
}

func TestMetrics(t *testing.T) {
	m := New("v1.2.3")
	m.AddSource(fakeSource{})
	m.ToolCall("get_queue", "ok", 20*time.Millisecond)
	m.ToolCall("get_queue", "ok", 3*time.Second)
	m.ToolCall("get_queue", "tool_error", time.Millisecond)
	m.ToolCall("run_workflow", "error", time.Minute)
	m.ComfyUIRequest("default", "GET", "/history/abc-123", 200, 4*time.Millisecond)
	m.ComfyUIRequest("default", "GET", "/history/def-456", 200, 4*time.Millisecond)
	m.ComfyUIRequest("default", "POST", "/prompt", 400, 10*time.Millisecond)
	m.ComfyUIRequest("default", "GET", "/queue", 0, 5*time.Second)
	m.ComfyUIRequest("default", "GET", "/random/1", 404, time.Millisecond)
	out := scrape(t, m)
	for _, want := range []string{
		`easel_tool_calls_total{outcome="ok",tool="get_queue"} 2`,
		`easel_tool_calls_total{outcome="tool_error",tool="get_queue"} 1`,
		`easel_tool_calls_total{outcome="error",tool="run_workflow"} 1`,
		`easel_tool_call_duration_seconds_bucket{tool="get_queue",le="0.025"} 2`,
		`easel_tool_call_duration_seconds_bucket{tool="get_queue",le="5"} 3`,
		`easel_tool_call_duration_seconds_count{tool="get_queue"} 3`,
		`easel_comfyui_requests_total{backend="default",code="200",method="GET",route="/history/*"} 2`,
		`easel_comfyui_requests_total{backend="default",code="400",method="POST",route="/prompt"} 1`,
		`easel_comfyui_requests_total{backend="default",code="error",method="GET",route="/queue"} 1`,
		`easel_comfyui_requests_total{backend="default",code="404",method="GET",route="other"} 1`,
		`easel_comfyui_request_duration_seconds_count{backend="default",route="/history/*"} 2`,
		`easel_plugin_instances{state="busy",tool="get_queue"} 1`,
		`easel_plugin_instances{state="idle",tool="get_queue"} 2`,
		`easel_plugin_instances{state="idle",tool="run_workflow"} 1`,
		`easel_comfyui_queue_remaining{backend="default"} 3`,
		`easel_comfyui_up{backend="default"} 1`,
		`easel_comfyui_up{backend="gpu1"} 0`,
		`easel_build_info{version="v1.2.3"} 1`,
		`go_goroutines `,
		`# HELP easel_tool_calls_total MCP tool calls by tool and outcome`,
		`# TYPE easel_tool_call_duration_seconds histogram`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	if strings.Contains(out, "abc-123") {
		t.Error("a prompt id became a label value")
	}
}

func TestRoute(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/prompt", "/prompt"},
		{"/api/prompt", "/prompt"},
		{"/history", "/history"},
		{"/history/0f1e-22", "/history/*"},
		{"/object_info/KSampler", "/object_info/*"},
		{"/upload/image", "/upload/*"},
		{"/view", "/view"},
		{"/system_stats", "/system_stats"},
		{"/queue/", "/queue"},
		{"/", "other"},
		{"", "other"},
		{"/secret-admin", "other"},
		{"/../prompt", "other"},
	}
	for _, tt := range tests {
		if got := Route(tt.path); got != tt.want {
			t.Errorf("Route(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestNoSource(t *testing.T) {
	out := scrape(t, New("dev"))
	if strings.Contains(out, "easel_plugin_instances") || !strings.Contains(out, `easel_build_info{version="dev"} 1`) {
		t.Errorf("without a source: %s", out)
	}
}

// TestExposition reads a full scrape back with the strict checker and
// checks that every family easel promises is there with its type and
// label names.
func TestExposition(t *testing.T) {
	m := New("v1.2.3")
	m.AddSource(fakeSource{})
	m.ToolCall("get_queue", "ok", 20*time.Millisecond)
	m.ComfyUIRequest("default", "GET", "/history/abc", 200, 4*time.Millisecond)
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if got := w.Header().Get("Content-Type"); got != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	fams, err := checkText(w.Body.String())
	if err != nil {
		t.Fatalf("malformed exposition: %v\n%s", err, w.Body.String())
	}
	tests := []struct {
		name, typ string
		labels    []string // of the family's first sample, sorted
	}{
		{"easel_tool_calls_total", "counter", []string{"outcome", "tool"}},
		{"easel_tool_call_duration_seconds", "histogram", []string{"le", "tool"}},
		{"easel_comfyui_requests_total", "counter", []string{"backend", "code", "method", "route"}},
		{"easel_comfyui_request_duration_seconds", "histogram", []string{"backend", "le", "route"}},
		{"easel_plugin_instances", "gauge", []string{"state", "tool"}},
		{"easel_comfyui_queue_remaining", "gauge", []string{"backend"}},
		{"easel_comfyui_up", "gauge", []string{"backend"}},
		{"easel_build_info", "gauge", []string{"version"}},
		{"go_goroutines", "gauge", nil},
		{"go_threads", "gauge", nil},
		{"go_info", "gauge", []string{"version"}},
		{"go_gc_duration_seconds", "summary", []string{"quantile"}},
		{"go_memstats_last_gc_time_seconds", "gauge", nil},
		{"go_memstats_alloc_bytes_total", "counter", nil},
		{"go_memstats_heap_alloc_bytes", "gauge", nil},
		{"go_memstats_heap_sys_bytes", "gauge", nil},
		{"go_memstats_heap_objects", "gauge", nil},
		{"go_memstats_next_gc_bytes", "gauge", nil},
		{"go_gc_gogc_percent", "gauge", nil},
		{"go_sched_gomaxprocs_threads", "gauge", nil},
		{"process_cpu_seconds_total", "counter", nil},
		{"process_resident_memory_bytes", "gauge", nil},
		{"process_virtual_memory_bytes", "gauge", nil},
		{"process_open_fds", "gauge", nil},
		{"process_max_fds", "gauge", nil},
		{"process_start_time_seconds", "gauge", nil},
	}
	for _, tt := range tests {
		if strings.HasPrefix(tt.name, "process_") && runtime.GOOS != "linux" {
			continue
		}
		f := fams[tt.name]
		if f == nil {
			t.Errorf("family %s missing", tt.name)
			continue
		}
		var got []string
		for l := range f.samples[0].labels {
			got = append(got, l)
		}
		slices.Sort(got)
		if f.typ != tt.typ || f.help == "" || !slices.Equal(got, tt.labels) {
			t.Errorf("%s: type %q labels %v help %q; want type %q labels %v", tt.name, f.typ, got, f.help, tt.typ, tt.labels)
		}
	}
	buckets := 0
	for _, s := range fams["easel_tool_call_duration_seconds"].samples {
		if strings.HasSuffix(s.name, "_bucket") {
			buckets++
		}
	}
	if buckets != len(toolBuckets)+1 {
		t.Errorf("%d tool duration buckets, want %d and +Inf", buckets, len(toolBuckets))
	}
}

// TestLabelEscaping: a label value with a backslash, quote and newline
// is escaped so that it reads back unchanged, as is a HELP text.
func TestLabelEscaping(t *testing.T) {
	tests := []string{`plain`, `back\slash`, `a "quoted" tool`, "two\nlines", `\n literal`, `"\` + "\n", ""}
	for _, v := range tests {
		m := New(v)
		m.ToolCall(v, "ok", time.Millisecond)
		fams, err := checkText(scrape(t, m))
		if err != nil {
			t.Errorf("value %q: %v", v, err)
			continue
		}
		if got := fams["easel_build_info"].samples[0].labels["version"]; got != v {
			t.Errorf("version %q read back as %q", v, got)
		}
		if got := fams["easel_tool_calls_total"].samples[0].labels["tool"]; got != v {
			t.Errorf("tool %q read back as %q", v, got)
		}
	}
	var b strings.Builder
	writeFamilies(&b, []family{gauge("x", "a \\ b\nc", 1)})
	if want := "# HELP x a \\\\ b\\nc\n"; !strings.HasPrefix(b.String(), want) {
		t.Errorf("HELP escaped as %q, want prefix %q", b.String(), want)
	}
}

// TestDeterministic: families sorted by name and series by label values,
// the same bytes for the same state (runtime families aside).
func TestDeterministic(t *testing.T) {
	m := New("dev")
	for _, tool := range []string{"zeta", "alpha", "mid"} {
		m.ToolCall(tool, "ok", time.Millisecond)
		m.ToolCall(tool, "error", time.Second)
	}
	var a, b strings.Builder
	writeFamilies(&a, []family{m.toolCalls.family(), m.toolDuration.family()})
	writeFamilies(&b, []family{m.toolDuration.family(), m.toolCalls.family()})
	if a.String() != b.String() {
		t.Fatalf("two writes differ:\n%s\n%s", a.String(), b.String())
	}
	var order []string
	for _, line := range strings.Split(a.String(), "\n") {
		if strings.HasPrefix(line, "easel_tool_calls_total") {
			order = append(order, line)
		}
	}
	want := []string{
		`easel_tool_calls_total{outcome="error",tool="alpha"} 1`,
		`easel_tool_calls_total{outcome="error",tool="mid"} 1`,
		`easel_tool_calls_total{outcome="error",tool="zeta"} 1`,
		`easel_tool_calls_total{outcome="ok",tool="alpha"} 1`,
		`easel_tool_calls_total{outcome="ok",tool="mid"} 1`,
		`easel_tool_calls_total{outcome="ok",tool="zeta"} 1`,
	}
	if !slices.Equal(order, want) {
		t.Errorf("series order:\n%s\nwant\n%s", strings.Join(order, "\n"), strings.Join(want, "\n"))
	}
	if strings.Index(a.String(), "# HELP easel_tool_call_duration_seconds") > strings.Index(a.String(), "# HELP easel_tool_calls_total") {
		t.Error("families not sorted by name")
	}
}

// TestConcurrent records from many goroutines while scraping; no update
// may be lost.
func TestConcurrent(t *testing.T) {
	m := New("dev")
	const workers, calls = 8, 200
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				m.ToolCall("t", "ok", time.Duration(i)*time.Millisecond)
				m.ComfyUIRequest("b", "GET", "/queue", 200, time.Millisecond)
			}
		}()
	}
	for range 5 {
		if _, err := checkText(scrape(t, m)); err != nil {
			t.Errorf("scrape during updates: %v", err)
		}
	}
	wg.Wait()
	out := scrape(t, m)
	for _, want := range []string{
		`easel_tool_calls_total{outcome="ok",tool="t"} 1600`,
		`easel_tool_call_duration_seconds_bucket{tool="t",le="+Inf"} 1600`,
		`easel_comfyui_request_duration_seconds_count{backend="b",route="/queue"} 1600`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

// TestHistogramBuckets: le is inclusive and buckets are cumulative.
func TestHistogramBuckets(t *testing.T) {
	h := newHistogramVec("h_seconds", "h", []float64{1, 2, 5})
	for _, v := range []float64{0.5, 1, 1.5, 2, 7} {
		h.observe(v)
	}
	var b strings.Builder
	writeFamilies(&b, []family{h.family()})
	want := `# HELP h_seconds h
# TYPE h_seconds histogram
h_seconds_bucket{le="1"} 2
h_seconds_bucket{le="2"} 4
h_seconds_bucket{le="5"} 4
h_seconds_bucket{le="+Inf"} 5
h_seconds_sum 12
h_seconds_count 5
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestCheckText makes sure the checker the other tests rely on refuses
// malformed expositions.
func TestCheckText(t *testing.T) {
	const ok = "# HELP a_total x\n# TYPE a_total counter\na_total{l=\"v\"} 1\n"
	if _, err := checkText(ok); err != nil {
		t.Fatalf("valid text refused: %v", err)
	}
	tests := []struct{ name, text string }{
		{"no newline", strings.TrimSuffix(ok, "\n")},
		{"no TYPE", "# HELP a_total x\na_total 1\n"},
		{"no samples", "# HELP a_total x\n# TYPE a_total counter\n"},
		{"foreign sample", "# HELP a_total x\n# TYPE a_total counter\nb_total 1\n"},
		{"unsorted", "# HELP b x\n# TYPE b gauge\nb 1\n# HELP a x\n# TYPE a gauge\na 1\n"},
		{"bad escape", "# HELP a x\n# TYPE a gauge\na{l=\"\\t\"} 1\n"},
		{"unterminated", "# HELP a x\n# TYPE a gauge\na{l=\"v} 1\n"},
		{"duplicate", "# HELP a x\n# TYPE a gauge\na 1\na 2\n"},
		{"bad value", "# HELP a x\n# TYPE a gauge\na one\n"},
		{"negative counter", "# HELP a_total x\n# TYPE a_total counter\na_total -1\n"},
		{"no +Inf", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"},
		{"not cumulative", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"},
		{"count mismatch", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n"},
	}
	for _, tt := range tests {
		if _, err := checkText(tt.text); err == nil {
			t.Errorf("%s: accepted\n%s", tt.name, tt.text)
		}
	}
}

func TestParseStat(t *testing.T) {
	// A real /proc/self/stat, with a command name holding ") (".
	const stat = "4242 (easel) (x) S 1 4242 4242 0 -1 4194560 1200 0 0 0 150 50 0 0 20 0 9 0 123456 1597919232 1770 18446744073709551615 1 1 0 0 0 0 0 0 2143420159 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	st, err := parseStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{cpuTicks: 200, startTicks: 123456, vsize: 1597919232, rssPages: 1770}
	if st != want {
		t.Errorf("parseStat = %+v, want %+v", st, want)
	}
	for _, bad := range []string{"", "4242 (easel", "4242 (easel) S 1 2 3", strings.Replace(stat, " 150 ", " x ", 1)} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

// Without /proc (not Linux, or a sandbox) the process families are left
// out, not reported as zeros.
func TestNoProc(t *testing.T) {
	if fams := processFamilies(t.TempDir()); len(fams) != 0 {
		t.Errorf("without /proc: %d families", len(fams))
	}
}
