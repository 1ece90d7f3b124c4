package metrics_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/easel-mcp/easel/host/metrics"
)

// Recording a tool call and a ComfyUI request, then scraping: the request
// path is reduced to its route, so prompt ids never become label values.
func ExampleMetrics() {
	m := metrics.New("dev")
	m.ToolCall("get_job_status", "ok", 12*time.Millisecond)
	m.ComfyUIRequest("default", "GET", "/history/4b1c0e7a", 200, 3*time.Millisecond)

	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(w.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "easel_tool_calls_total") || strings.HasPrefix(line, "easel_comfyui_requests_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// easel_comfyui_requests_total{backend="default",code="200",method="GET",route="/history/*"} 1
	// easel_tool_calls_total{outcome="ok",tool="get_job_status"} 1
}
