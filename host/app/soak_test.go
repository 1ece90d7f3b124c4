package app

// The soak test: steady load on the HTTP transport for a while, checking
// that goroutines, open files and memory stay flat. It runs in-process so
// that it can count goroutines; the short version (25s) runs with every
// `go test`, the long one with EASEL_SOAK=10m.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/internal/loadgen"
)

// Soak shape: each wave opens soakSessions sessions, makes soakCalls calls
// at once (status, queue, history and a wait on a job that runs meanwhile),
// and closes the sessions, so that leaks per session and per call show.
const (
	soakShort    = 25 * time.Second
	soakSessions = 4
	soakCalls    = 16
)

// soakSample is the process at a quiet moment between waves.
type soakSample struct {
	at         time.Duration
	goroutines int
	fds        int
	rss        int64
	heap       uint64
}

func (s soakSample) String() string {
	return fmt.Sprintf("t=%s goroutines=%d fds=%d rss=%s heap=%s", s.at.Round(time.Second), s.goroutines, s.fds, loadgen.MiB(s.rss), loadgen.MiB(int64(s.heap)))
}

func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs steady load for 25s")
	}
	duration := soakShort
	if v := os.Getenv("EASEL_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("EASEL_SOAK=%q: %v", v, err)
		}
		duration = d
	}
	srv := comfyuitest.NewServer(t)
	cfg, err := config.Load(filepath.Join("..", "..", "tools.yaml"), config.MapEnv(map[string]string{
		"COMFYUI_URL": srv.URL, "EASEL_CACHE_DIR": testCacheDir(t)}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := New(ctx, cfg, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	lctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if err := a.WaitLoaded(lctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", a.MCPHandler())
	hs := httptest.NewServer(mux)
	defer hs.Close()
	url := hs.URL + "/mcp"

	var samples []soakSample
	var total loadgen.Stats
	start := time.Now()
	for wave := 0; time.Since(start) < duration; wave++ {
		st := soakWave(t, srv, url, wave)
		total = loadgen.Merge(total, st)
		if st.Errors > 0 {
			t.Fatalf("wave %d: %d errors; first: %s", wave, st.Errors, st.FirstError)
		}
		samples = append(samples, sample(t, time.Since(start)))
	}
	t.Logf("%s of steady load: %d waves, %s", duration, len(samples), total)
	checkFlat(t, samples)
}

// soakWave runs one wave and clears ComfyUI's history after it, so that
// the emulator's own memory (it is in this process) stays flat.
func soakWave(t *testing.T, srv *comfyuitest.Server, url string, wave int) loadgen.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	client := loadgen.NewHTTPClient(soakCalls)
	defer client.CloseIdleConnections()
	sessions := make([]*loadgen.Session, soakSessions)
	for i := range sessions {
		s, err := loadgen.Open(ctx, client, url)
		if err != nil {
			t.Fatal(err)
		}
		sessions[i] = s
	}
	defer func() {
		for _, s := range sessions {
			s.Close(ctx)
		}
	}()
	calls := make([]loadgen.Call, soakCalls)
	for i := range calls {
		switch i % 4 {
		case 0:
			prompt := map[string]any{
				"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 16, "height": 16, "batch_size": 1, "color": wave*soakCalls + i}},
				"2": map[string]any{"class_type": "PreviewImage", "inputs": map[string]any{"images": []any{"1", 0}}},
			}
			id := srv.Submit(t, prompt)
			calls[i] = loadgen.Call{Tool: "wait_for_job", Args: map[string]any{"prompt_id": id, "timeout_s": 120}, Check: outcome("success")}
		case 1:
			calls[i] = loadgen.Call{Tool: "get_job_status", Args: map[string]any{"prompt_id": fmt.Sprint("soak-", i)}}
		case 2:
			calls[i] = loadgen.Call{Tool: "get_queue", Args: map[string]any{}}
		case 3:
			calls[i] = loadgen.Call{Tool: "get_history", Args: map[string]any{"max_items": 5}}
		}
	}
	st := loadgen.Concurrent(ctx, sessions, calls)
	if _, err := sessions[0].Call(ctx, "clear_queue", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	clearHistory(t, srv)
	return st
}

func outcome(want string) func(loadgen.Result) error {
	return func(r loadgen.Result) error {
		if r.IsError || !strings.Contains(r.Text, `"outcome":"`+want+`"`) {
			return fmt.Errorf("want outcome %s: %.300s", want, r.Text)
		}
		return nil
	}
}

// clearHistory empties ComfyUI's history, as POST /history {"clear": true}.
func clearHistory(t *testing.T, srv *comfyuitest.Server) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/history", "application/json", strings.NewReader(`{"clear": true}`))
	if err != nil {
		t.Fatalf("clearing history: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("clearing history: %s", resp.Status)
	}
}

// sample measures the process after a GC, between waves.
func sample(t *testing.T, at time.Duration) soakSample {
	t.Helper()
	runtime.GC()
	// Goroutines of finished requests and closed connections end a moment
	// after their last byte; let them.
	time.Sleep(200 * time.Millisecond)
	p, err := loadgen.ReadProc("self")
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return soakSample{at: at, goroutines: runtime.NumGoroutine(), fds: p.FDs, rss: p.RSS, heap: ms.HeapInuse}
}

// checkFlat compares the last third of the samples with the first third
// after warm-up (the first quarter warms caches, pools and the runtime):
// goroutines and open files may not grow by more than a small constant,
// memory by more than a quarter plus 16 MiB.
func checkFlat(t *testing.T, s []soakSample) {
	t.Helper()
	if len(s) < 6 {
		t.Fatalf("only %d samples; the soak is too short to judge", len(s))
	}
	warm := s[len(s)/4:]
	base, last := warm[:len(warm)/3], warm[len(warm)-len(warm)/3:]
	peak := func(xs []soakSample, f func(soakSample) int64) int64 {
		m := int64(0)
		for _, x := range xs {
			m = max(m, f(x))
		}
		return m
	}
	least := func(xs []soakSample, f func(soakSample) int64) int64 {
		m := f(xs[0])
		for _, x := range xs {
			m = min(m, f(x))
		}
		return m
	}
	checks := []struct {
		name  string
		f     func(soakSample) int64
		slack func(base int64) int64
	}{
		{"goroutines", func(x soakSample) int64 { return int64(x.goroutines) }, func(int64) int64 { return 20 }},
		{"open files", func(x soakSample) int64 { return int64(x.fds) }, func(int64) int64 { return 10 }},
		{"RSS", func(x soakSample) int64 { return x.rss }, func(b int64) int64 { return b/4 + 16<<20 }},
		{"heap in use", func(x soakSample) int64 { return int64(x.heap) }, func(b int64) int64 { return b/4 + 16<<20 }},
	}
	for _, c := range checks {
		b, l := peak(base, c.f), least(last, c.f)
		// The least of the last samples: one wave's garbage must not fail
		// the check, a trend must.
		if l > b+c.slack(b) {
			t.Errorf("%s grew: at most %d early, at least %d late (allowed %d)", c.name, b, l, b+c.slack(b))
		}
	}
	t.Logf("first after warm-up: %s", warm[0])
	t.Logf("last:                %s", s[len(s)-1])
}
