package app

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/host/config"
	"github.com/easel-mcp/easel/internal/benchtest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// BenchmarkStatusOverMCP is get_job_status end to end in one process — an
// mcp-go client, the stdio MCP server over pipes, the wasm plugin, HTTP to
// the emulator — against the direct-HTTP floor (GET /queue, then GET
// /history/{id}) in the same run, reported as floor-ns/op and x-floor. It is
// the benchmark to profile: unlike `go run ./cmd/easelbench`, everything
// runs under -cpuprofile.
//
//	go test ./host/app -run xxx -bench StatusOverMCP -benchmem -cpuprofile cpu.out
func BenchmarkStatusOverMCP(b *testing.B) {
	srv, err := comfyuitest.StartServer()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	id := srv.Submit(b, map[string]any{
		"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
		"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "b"}},
	})
	ctx := context.Background()
	if err := srv.WaitJob(ctx, id); err != nil {
		b.Fatal(err)
	}
	floor := benchtest.Measure(time.Second, func() {
		for _, path := range []string{"/queue", "/history/" + id} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})

	cfgPath := filepath.Join(b.TempDir(), "tools.yaml")
	plugin, _ := filepath.Abs(filepath.Join("..", "..", "plugins", "get_job_status"))
	os.WriteFile(cfgPath, []byte("tools:\n  - name: get_job_status\n    plugin: "+plugin+"\n    permissions:\n      comfyui: [GET /queue, \"GET /history/*\"]\n"), 0o600)
	cfg := loadConfigB(b, cfgPath, srv.URL)
	a, err := New(ctx, cfg, Options{Logger: quietLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close(context.Background()) })
	c := mcpOverPipes(b, a)
	req := mcp.CallToolRequest{}
	req.Params.Name = "get_job_status"
	req.Params.Arguments = map[string]any{"prompt_id": id}
	call := func() {
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("get_job_status: %+v, %v", res, err)
		}
	}
	call() // loads the plugin
	b.ReportAllocs()
	for b.Loop() {
		call()
	}
	benchtest.Report(b, floor, "floor")
}

func loadConfigB(b *testing.B, path, url string) *config.Config {
	cfg, err := config.Load(path, config.MapEnv(map[string]string{"COMFYUI_URL": url, "EASEL_CACHE_DIR": testCacheDir(b)}))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

// mcpOverPipes serves a over a pair of pipes, as `easel serve` serves
// stdin and stdout, and returns an initialized client.
func mcpOverPipes(b *testing.B, a *App) *client.Client {
	ctx, cancel := context.WithCancel(context.Background())
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go a.mcp.ServeStdio(ctx, inR, outW)
	c := client.NewClient(transport.NewIO(outR, inW, io.NopCloser(&io.LimitedReader{})))
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(); cancel(); inW.Close(); outW.Close() })
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "bench", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		b.Fatal(err)
	}
	return c
}
