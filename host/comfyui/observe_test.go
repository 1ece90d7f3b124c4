package comfyui_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

func TestObserve(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	var mu sync.Mutex
	var seen []string
	observe := func(method, path string, status int, d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if d <= 0 {
			t.Errorf("%s %s: duration %v", method, path, d)
		}
		seen = append(seen, fmt.Sprintf("%s %s %d", method, path, status))
	}
	up := newClient(t, comfyui.Config{BaseURL: srv.URL, Observe: observe})
	down := newClient(t, comfyui.Config{BaseURL: "http://127.0.0.1:1", Observe: observe})
	ctx := context.Background()
	up.Do(ctx, comfyui.Request{Path: "/system_stats"})
	up.Do(ctx, comfyui.Request{Method: "POST", Path: "/prompt", Body: []byte(`{}`), ContentType: "application/json"})
	if _, err := down.Do(ctx, comfyui.Request{Path: "/queue"}); err == nil {
		t.Fatal("a request to a closed port succeeded")
	}
	want := []string{"GET /system_stats 200", "POST /prompt 400", "GET /queue 0"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("observed %q, want %q", seen, want)
	}
}
