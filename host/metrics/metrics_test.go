package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
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
