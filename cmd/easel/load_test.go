package main

// The load test: the real binary over streamable HTTP, many sessions,
// 1,000 tool calls in flight at once and 200 concurrent wait_for_job calls.
//
//	EASEL_LOAD=1 go test -run TestLoad -v ./cmd/easel
//
// It is not part of the normal suite: it saturates the machine for a while.

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/internal/loadgen"
)

// Load shape.
const (
	loadSessions    = 50
	loadInFlight    = 1000 // tool calls issued at once, per round
	loadRounds      = 5
	loadWaits       = 200 // concurrent wait_for_job calls
	loadMaxPeakRSS  = 1 << 30
	loadCallTimeout = 10 * time.Minute
)

func TestLoad(t *testing.T) {
	if os.Getenv("EASEL_LOAD") == "" {
		t.Skip("set EASEL_LOAD=1 to run 1,000 concurrent tool calls and 200 concurrent wait_for_job calls against the binary")
	}
	srv := comfyuitest.NewServer(t)
	// ComfyUI's default timeout: the emulator shares this machine with
	// the load, and its answers slow down with it.
	hp := startHTTPProcConfig(t, writeBundledConfigTimeout(t, srv.URL, 30*time.Second))
	pid := strconv.Itoa(hp.cmd.Process.Pid)
	ctx, cancel := context.WithTimeout(context.Background(), loadCallTimeout)
	defer cancel()
	hc := loadgen.NewHTTPClient(loadInFlight + loadWaits)
	sessions := make([]*loadgen.Session, loadSessions)
	for i := range sessions {
		s, err := loadgen.Open(ctx, hc, hp.url)
		if err != nil {
			t.Fatal(err)
		}
		sessions[i] = s
		defer s.Close(context.Background())
	}
	// Warm up: every plugin used below loaded and compiled.
	done := srv.Submit(t, testPrompt)
	warm := loadgen.Concurrent(ctx, sessions[:1], []loadgen.Call{
		{Tool: "get_job_status", Args: map[string]any{"prompt_id": done}},
		{Tool: "get_queue", Args: map[string]any{}},
		{Tool: "wait_for_job", Args: map[string]any{"prompt_id": done, "timeout_s": 60}},
	})
	if warm.Errors > 0 {
		t.Fatalf("warm-up: %s", warm.FirstError)
	}
	before, err := loadgen.ReadProc(pid)
	if err != nil {
		t.Fatal(err)
	}

	// 1. Rounds of 1,000 calls issued at once: the plugin pools (four
	// instances per tool on two cores) queue them; none may fail.
	var calls loadgen.Stats
	for range loadRounds {
		batch := make([]loadgen.Call, loadInFlight)
		for i := range batch {
			if i%2 == 0 {
				batch[i] = loadgen.Call{Tool: "get_job_status", Args: map[string]any{"prompt_id": done}, Check: wantText(`"outcome":"success"`)}
			} else {
				batch[i] = loadgen.Call{Tool: "get_queue", Args: map[string]any{}, Check: wantText(`"running_count"`)}
			}
		}
		st := loadgen.Concurrent(ctx, sessions, batch)
		calls = loadgen.Merge(calls, st)
		t.Logf("round: %s", st)
	}
	mid, _ := loadgen.ReadProc(pid)

	// 2. 200 wait_for_job calls waiting at once on 200 queued jobs.
	srv.PauseWorker()
	defer srv.ResumeWorker()
	waits := make([]loadgen.Call, loadWaits)
	for i := range waits {
		prompt := map[string]any{
			"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 64, "height": 64, "batch_size": 1, "color": i + 1}},
			"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "load"}},
		}
		id := srv.Submit(t, prompt)
		waits[i] = loadgen.Call{Tool: "wait_for_job", Args: map[string]any{"prompt_id": id, "timeout_s": 600}, Check: wantText(`"done":true`, `"outcome":"success"`)}
	}
	srv.ResetRequests()
	waited := make(chan loadgen.Stats, 1)
	go func() { waited <- loadgen.Concurrent(ctx, sessions, waits) }()
	// Every wait has looked at the queue once: all 200 are in flight.
	waitForRequests(t, srv, "GET /queue", loadWaits)
	during, _ := loadgen.ReadProc(pid)
	srv.ResumeWorker()
	waitStats := <-waited
	after, _ := loadgen.ReadProc(pid)
	// The client's idle connections closed, easel's side of them must go;
	// what may stay is easel's own pool of keep-alive connections to
	// ComfyUI (at most 64 per backend, see host/comfyui).
	hc.CloseIdleConnections()
	settled := waitFDs(t, pid, before.FDs+64+10)

	t.Logf("machine: %d cores", numCPU())
	t.Logf("%d×%d concurrent tool calls over %d sessions: %s", loadRounds, loadInFlight, loadSessions, calls)
	t.Logf("%d concurrent wait_for_job, all released at once: %s", loadWaits, waitStats)
	t.Logf("easel RSS: %s idle after warm-up, %s after the call rounds, %s with %d waits in flight, %s at the end; peak %s",
		loadgen.MiB(before.RSS), loadgen.MiB(mid.RSS), loadgen.MiB(during.RSS), loadWaits, loadgen.MiB(after.RSS), loadgen.MiB(after.PeakRSS))
	t.Logf("easel open files: %d before, %d with the waits in flight, %d at the end, %d once the client closed its idle connections; threads %d",
		before.FDs, during.FDs, after.FDs, settled, after.Threads)
	if calls.Errors > 0 {
		t.Errorf("%d of %d calls failed; first: %s", calls.Errors, calls.Calls, calls.FirstError)
	}
	if waitStats.Errors > 0 {
		t.Errorf("%d of %d waits failed; first: %s", waitStats.Errors, waitStats.Calls, waitStats.FirstError)
	}
	if after.PeakRSS > loadMaxPeakRSS {
		t.Errorf("peak RSS %s, over the %s bound", loadgen.MiB(after.PeakRSS), loadgen.MiB(loadMaxPeakRSS))
	}
}

// waitFDs waits until the process has at most n open files, and returns
// the last count; more after 30s fails the test (a descriptor leak).
func waitFDs(t *testing.T, pid string, n int) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p, err := loadgen.ReadProc(pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.FDs <= n {
			return p.FDs
		}
		if time.Now().After(deadline) {
			t.Errorf("easel keeps %d open files after the load, want at most %d", p.FDs, n)
			return p.FDs
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wantText checks a successful result containing every substring.
func wantText(subs ...string) func(loadgen.Result) error {
	return func(r loadgen.Result) error {
		if r.IsError {
			return fmt.Errorf("tool error: %.300s", r.Text)
		}
		for _, s := range subs {
			if !strings.Contains(r.Text, s) {
				return fmt.Errorf("result lacks %s: %.300s", s, r.Text)
			}
		}
		return nil
	}
}

// waitForRequests waits until the emulator has received n requests
// starting with prefix.
func waitForRequests(t *testing.T, srv *comfyuitest.Server, prefix string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		got := 0
		for _, r := range srv.Requests() {
			if strings.HasPrefix(r.String(), prefix) {
				got++
			}
		}
		if got >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the emulator never received %d× %s", n, prefix)
}

func numCPU() int { return runtime.NumCPU() }
