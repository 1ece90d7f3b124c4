package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

// emulator is a ComfyUI server with one finished job to ask about: the
// emulator (srv) or, with -comfyui, a real ComfyUI (srv is nil).
type emulator struct {
	srv    *comfyuitest.Server
	url    string
	doneID string
	http   *http.Client

	child *exec.Cmd      // the process serving it, when not this one
	stdin io.WriteCloser // closing it stops the child
}

// benchPrompt is a small real workflow: an empty image, saved.
var benchPrompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 64, "height": 64, "batch_size": 1, "color": 0}},
	"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "bench"}},
}

// startEmulator starts the emulator, answering HTTP requests with the
// given service time (see comfyuitest.WithServiceTime), and runs one job,
// with a web UI graph of graph nodes (see submit).
func startEmulator(ctx context.Context, serviceTime time.Duration, graph int) (*emulator, error) {
	srv, err := comfyuitest.StartServer(comfyuitest.WithServiceTime(serviceTime))
	if err != nil {
		return nil, err
	}
	e := &emulator{srv: srv, url: srv.URL, http: newHTTPClient()}
	if e.doneID, err = e.submit(ctx, graph); err != nil {
		srv.Close()
		return nil, err
	}
	if err := srv.WaitJob(ctx, e.doneID); err != nil {
		srv.Close()
		return nil, err
	}
	return e, nil
}

// useComfyUI runs one job on a real ComfyUI at url and waits until its
// history is written.
func useComfyUI(ctx context.Context, url string, graph int) (*emulator, error) {
	e := &emulator{url: strings.TrimSuffix(url, "/"), http: newHTTPClient()}
	var err error
	if e.doneID, err = e.submit(ctx, graph); err != nil {
		return nil, fmt.Errorf("ComfyUI at %s: %w", e.url, err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		if e.floorStatus(ctx, e.doneID) == nil {
			return e, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("ComfyUI at %s did not finish job %s within a minute", e.url, e.doneID)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// close stops the emulator; a real ComfyUI is left alone.
func (e *emulator) close() {
	if e.srv != nil {
		e.srv.Close()
	}
	if e.child != nil {
		e.stdin.Close()
		e.child.Wait()
	}
}

// startChildEmulator runs the emulator in a process of its own, as
// ComfyUI is: the floor and easel then both cross a process boundary to
// reach it. (Measured from inside the emulator's process, the floor's
// requests are answered without waking another process, which on a busy
// machine is most of a request's cost, and the comparison would be
// between a goroutine hand-off and a process wake-up.)
func startChildEmulator(ctx context.Context, serviceTime time.Duration, graph int) (*emulator, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, "-emulator-child", "-service-time", serviceTime.String(), "-graph", strconv.Itoa(graph))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	e := &emulator{http: newHTTPClient(), child: cmd, stdin: stdin}
	if _, err := fmt.Fscan(stdout, &e.url, &e.doneID); err != nil {
		e.close()
		return nil, fmt.Errorf("emulator process: %w", err)
	}
	return e, nil
}

// serveEmulator is the child's side of startChildEmulator: it prints the
// emulator's URL and finished job, and serves until stdin closes.
func serveEmulator(ctx context.Context, serviceTime time.Duration, graph int) error {
	e, err := startEmulator(ctx, serviceTime, graph)
	if err != nil {
		return err
	}
	defer e.close()
	fmt.Println(e.url, e.doneID)
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// submit queues benchPrompt as a client would (POST /prompt). With graph
// nodes, it sends what ComfyUI's web UI sends with every prompt besides:
// the front end's graph of the workflow (extra_data.extra_pnginfo), which
// ComfyUI keeps in the job's queue item and history entry (60 nodes make
// about 30 KB of history).
func (e *emulator) submit(ctx context.Context, graph int) (string, error) {
	prompt := map[string]any{"prompt": benchPrompt, "client_id": "easelbench"}
	if graph > 0 {
		prompt["extra_data"] = map[string]any{"extra_pnginfo": map[string]any{"workflow": comfyuitest.WebUIGraph(graph)}}
	}
	body, _ := json.Marshal(prompt)
	req, _ := http.NewRequestWithContext(ctx, "POST", e.url+"/prompt", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		PromptID string `json:"prompt_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.PromptID == "" {
		return "", fmt.Errorf("POST /prompt: %s, %v", resp.Status, err)
	}
	return out.PromptID, nil
}

// floorStatus is what a Go program does to learn a job's status without
// easel: GET /queue, then GET /history/{id}, decoding both.
func (e *emulator) floorStatus(ctx context.Context, id string) error {
	var q struct {
		Running [][]any `json:"queue_running"`
		Pending [][]any `json:"queue_pending"`
	}
	if err := e.getJSON(ctx, "/queue", &q); err != nil {
		return err
	}
	var h map[string]json.RawMessage
	if err := e.getJSON(ctx, "/history/"+id, &h); err != nil {
		return err
	}
	if _, ok := h[id]; !ok {
		return fmt.Errorf("job %s has no history", id)
	}
	return nil
}

func (e *emulator) getJSON(ctx context.Context, path string, v any) error {
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+path, nil)
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return json.Unmarshal(body, v)
}

// pid is the emulator's process, or 0 when it is not a child of this one.
func (e *emulator) pid() int {
	if e.child == nil || e.child.Process == nil {
		return 0
	}
	return e.child.Process.Pid
}

// latencies are sorted call durations.
type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[min(len(l)-1, int(float64(len(l))*p))]
}

// sequential runs fn n times, one at a time, after n/10 warm-up calls.
func sequential(n int, fn func() error) (latencies, error) {
	for range n / 10 {
		if err := fn(); err != nil {
			return nil, err
		}
	}
	lat := make(latencies, n)
	for i := range lat {
		start := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		lat[i] = time.Since(start)
	}
	sortDurations(lat)
	return lat, nil
}

// concurrent runs fn n times with inflight calls at once and returns calls
// per second.
func concurrent(n, inflight int, fn func() error) (float64, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan struct{}, n)
	)
	for range n {
		next <- struct{}{}
	}
	close(next)
	start := time.Now()
	for range inflight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				if err := fn(); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds(), firstErr
}
