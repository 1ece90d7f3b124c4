package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/internal/benchtest"
)

// BenchmarkStartup is what an MCP client waits for before it can show
// easel's tools: spawn `easel serve` with the repository's tools.yaml
// (every bundled tool, named as plugins/NAME folders), initialize, and
// list the tools, on a warm cache. The baseline in the same run is
// spawning `easel version` until it exits: the same binary's exec, Go
// runtime start and package initialisation, which serve cannot avoid, so
// x-version is what serving adds on top of starting at all, and serve-ms
// the same in milliseconds. Shutting the server down afterwards is not
// timed.
//
//	go test ./cmd/easel -run xxx -bench Startup
func BenchmarkStartup(b *testing.B) {
	srv, err := comfyuitest.StartServer()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	env := append(os.Environ(), "EASEL_CACHE_DIR="+b.TempDir(), "COMFYUI_URL="+srv.URL)
	path := repoPath(b, "tools.yaml")
	cfg, err := config.Load(path, config.MapEnv(nil))
	if err != nil {
		b.Fatal(err)
	}
	want := len(cfg.Tools)

	var versionCPU, serveCPU time.Duration
	versions := 0
	floor := benchtest.Measure(2*time.Second, func() {
		versions++
		cmd := exec.Command(binary, "version")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("easel version: %v\n%s", err, out)
		}
		versionCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	})
	start := func() {
		n, cpu, stop, err := startAndList(binary, env, path)
		b.StopTimer()
		stop()
		if err == nil && n != want {
			err = fmt.Errorf("tools/list has %d tools, want %d", n, want)
		}
		if err != nil {
			b.Fatal(err)
		}
		serveCPU += cpu
		b.StartTimer()
	}
	start() // fills the cache: source stamps, descriptions
	serveCPU = 0
	for b.Loop() {
		start()
	}
	benchtest.Report(b, floor, "version")
	b.ReportMetric((benchtest.PerOp(b)-floor.NsPerOp)/1e6, "serve-ms")
	// CPU time is steadier than wall time on a shared machine; serve's is
	// taken at the tools/list answer, where /proc shows it.
	b.ReportMetric(float64(versionCPU.Microseconds())/1e3/float64(versions), "version-cpu-ms")
	if serveCPU > 0 {
		b.ReportMetric(float64(serveCPU.Microseconds())/1e3/float64(b.N), "serve-cpu-ms")
	}
}

// startAndList starts `easel serve`, initializes over stdio and lists the
// tools, returning how many there are, the CPU time the process had used
// by then (0 where /proc does not tell) and a function that ends the
// process.
func startAndList(bin string, env []string, configPath string) (tools int, cpu time.Duration, stop func(), err error) {
	cmd := exec.Command(bin, "serve", "--config", configPath, "--log-level", "warn")
	cmd.Env = env
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return 0, 0, func() {}, err
	}
	stop = func() {
		stdin.Close()
		io.Copy(io.Discard, stdout)
		cmd.Wait()
	}
	r := bufio.NewReaderSize(stdout, 1<<20)
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`+"\n")
	if _, err := r.ReadBytes('\n'); err != nil {
		return 0, 0, stop, fmt.Errorf("initialize: %w", err)
	}
	io.WriteString(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`+"\n")
	line, err := r.ReadBytes('\n')
	if err != nil {
		return 0, 0, stop, fmt.Errorf("tools/list: %w", err)
	}
	cpu = cpuTime(cmd.Process.Pid)
	var list struct {
		Result struct {
			Tools []json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &list); err != nil {
		return 0, 0, stop, fmt.Errorf("tools/list answer %.200q: %w", line, err)
	}
	return len(list.Result.Tools), cpu, stop, nil
}

// cpuTime is the CPU time of a running process, from the scheduler
// statistics of its threads (Linux); 0 elsewhere.
func cpuTime(pid int) time.Duration {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var total time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, t.Name()))
		if err != nil {
			continue
		}
		var ns int64
		if _, err := fmt.Sscan(string(data), &ns); err == nil {
			total += time.Duration(ns)
		}
	}
	return total
}
