package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// easel is one easel process, connected.
type easel struct {
	c         *client.Client
	pid       int
	startup   time.Duration // spawn → initialize → tools/list
	listBytes int           // the JSON of tools/list's tools
	tools     int
}

// startEasel spawns `easel serve` with the given cache folder and ComfyUI,
// initializes and lists the tools, timing all of it.
func startEasel(ctx context.Context, c config, cache, comfyURL string) (*easel, error) {
	e := &easel{}
	env := append(os.Environ(), "EASEL_CACHE_DIR="+cache, "COMFYUI_URL="+comfyURL)
	env = append(env, c.env...)
	var cmd *exec.Cmd // the easel process, once the transport started it
	spawn := func(ctx context.Context, command string, env []string, args []string) (*exec.Cmd, error) {
		cmd = exec.CommandContext(ctx, command, args...)
		cmd.Env = env
		return cmd, nil
	}
	start := time.Now()
	t := transport.NewStdioWithOptions(c.easel, env, []string{"serve", "--config", c.tools, "--log-level", "warn"},
		transport.WithCommandFunc(spawn), transport.WithCommandStderrWriter(os.Stderr))
	if err := t.Start(ctx); err != nil {
		return nil, fmt.Errorf("start easel: %w", err)
	}
	e.c = client.NewClient(t)
	if err := e.c.Start(ctx); err != nil {
		return nil, err
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "easelbench", Version: "1"}
	if _, err := e.c.Initialize(ctx, req); err != nil {
		e.c.Close()
		return nil, fmt.Errorf("initialize: %w", err)
	}
	list, err := e.c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		e.c.Close()
		return nil, fmt.Errorf("tools/list: %w", err)
	}
	e.startup = time.Since(start)
	raw, _ := json.Marshal(list.Tools)
	e.listBytes, e.tools = len(raw), len(list.Tools)
	if cmd == nil || cmd.Process == nil {
		e.c.Close()
		return nil, errors.New("start easel: no process")
	}
	e.pid = cmd.Process.Pid
	return e, nil
}

// children are the processes whose parent is ppid.
func children(ppid int) []int {
	// Each thread lists the children it started (CONFIG_PROC_CHILDREN):
	// a handful of small reads, where scanning /proc read every process's
	// stat file every 20 ms, CPU taken from the compilation being timed.
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/task/%d/children", ppid, ppid)); err != nil {
		return childrenByScan(ppid) // a kernel without the children files
	}
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", ppid))
	var pids []int
	for _, t := range tasks {
		list, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", ppid, t.Name())) // the thread may have ended
		for _, f := range strings.Fields(string(list)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// childrenByScan finds ppid's children by reading every process's stat.
func childrenByScan(ppid int) []int {
	entries, _ := os.ReadDir("/proc")
	parent := strconv.Itoa(ppid)
	var pids []int
	for _, d := range entries {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so cut after ')'.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+2:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == parent {
			pids = append(pids, pid)
		}
	}
	return pids
}

// rss is the process's resident set size in bytes.
func (e *easel) rss() int64 { return procStatus(e.pid, "VmRSS:") }

func procStatus(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func (e *easel) close() { e.c.Close() }

// call runs one tool and fails on an error result.
func (e *easel) call(ctx context.Context, name string, args map[string]any) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := e.c.CallTool(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.IsError {
		return res, fmt.Errorf("%s returned an error: %+v", name, res.Content)
	}
	return res, nil
}

// status asks get_job_status about a finished job and checks the answer.
func (e *easel) status(ctx context.Context, id string) error {
	res, err := e.call(ctx, "get_job_status", map[string]any{"prompt_id": id})
	if err != nil {
		return err
	}
	st, _ := res.StructuredContent.(map[string]any)
	if st["done"] != true || st["outcome"] != "success" {
		return fmt.Errorf("get_job_status(%s) = %v, want done and success", id, st)
	}
	return nil
}

// statusLoad measures get_job_status and the floor against emu, in
// alternation (see compare), with easel's RSS sampled during the in-flight
// rounds and a second after them.
func (e *easel) statusLoad(ctx context.Context, c config, emu *emulator, r *report) error {
	id := emu.doneID
	stop := e.sampleRSS(false)
	m, floor, err := compare(c.n, c.inflight, emu.pid(),
		side{call: func() error { return e.status(ctx, id) }, pid: e.pid},
		side{call: func() error { return emu.floorStatus(ctx, id) }})
	r.rssLoad = stop().easel
	if err != nil {
		return err
	}
	r.easelLat, r.easelTput, r.easelCPU = m.lat, m.tput, m.cpu
	r.floorLat, r.floorTput, r.floorCPU = floor.lat, floor.tput, floor.cpu
	time.Sleep(time.Second)
	r.rssAfterLoad = e.rss()
	return nil
}

// rssPeaks are peak resident set sizes: easel's, and easel's together
// with the processes it started (a plugin compiling in `easel
// internal-compile`; pages both map, such as the binary's, count twice).
type rssPeaks struct {
	easel, tree int64
}

// sampleRSS records peak RSS every 20 ms until the returned function is
// called; with tree, easel's child processes' too (a scan of /proc each
// time, so not during the throughput runs).
func (e *easel) sampleRSS(tree bool) (stop func() rssPeaks) {
	var mu sync.Mutex
	var peak rssPeaks
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			own := e.rss()
			all := own
			if tree {
				for _, pid := range children(e.pid) {
					all += procStatus(pid, "VmRSS:")
				}
			}
			mu.Lock()
			peak.easel, peak.tree = max(peak.easel, own), max(peak.tree, all)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() rssPeaks {
		close(done)
		wg.Wait()
		return peak
	}
}

// waiters starts n wait_for_job calls on unfinished jobs (one held
// running, the rest queued behind it), measures RSS once they all wait,
// then lets the jobs finish and checks every call's outcome.
func (e *easel) waiters(ctx context.Context, emu *emulator, n int, r *report) error {
	const jobs = 20
	emu.srv.PauseWorker()
	ids := make([]string, jobs)
	for i := range ids {
		var err error
		if ids[i], err = emu.submit(ctx, 0); err != nil {
			emu.srv.ResumeWorker()
			return err
		}
	}
	emu.srv.HoldJob(ids[0])
	emu.srv.ResumeWorker()
	before := e.rss()
	stop := e.sampleRSS(true)
	var wg sync.WaitGroup
	var failed atomic.Int32
	var firstErr atomic.Value
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.call(ctx, "wait_for_job", map[string]any{"prompt_id": ids[i%jobs], "timeout_s": 120})
			if err == nil {
				if st, _ := res.StructuredContent.(map[string]any); st["done"] != true {
					err = fmt.Errorf("wait_for_job ended without the job done: %v", st)
				}
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	time.Sleep(5 * time.Second) // every call reaches its wait
	peaks := stop()
	r.rssWaiters, r.rssWaitersTree = peaks.easel, peaks.tree
	r.waitersBefore = before
	emu.srv.ReleaseJob(ids[0])
	wg.Wait()
	r.waitersDone = time.Since(start)
	r.waitersFailed = int(failed.Load())
	if err, _ := firstErr.Load().(error); err != nil {
		return fmt.Errorf("%d of %d wait_for_job calls failed, first: %w", failed.Load(), n, err)
	}
	return nil
}
