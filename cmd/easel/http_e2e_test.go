package main

// End-to-end tests of `easel serve --http` security and operations
// endpoints: the real binary, a bearer token, mcp-go's client, raw requests
// for what a client library would never send.

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

const e2eToken = "e2e-0123456789abcdef0123456789abcdef"

// serveHTTP starts `easel serve --http 127.0.0.1:0` with extra arguments
// and environment, and returns the server's base URL (http://host:port)
// and a function that stops it and returns all it logged. The test fails
// if the token appears in the log.
func serveHTTP(t *testing.T, env []string, args ...string) (base string, stop func() string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, append([]string{"serve", "--http", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) } // a clean shutdown, logged
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The address line, in text (url=http://...) or JSON ("url":"http://...").
	urlRE := regexp.MustCompile(`"?url"?[=:]"?(http://[^\s"]+)/mcp`)
	found := make(chan string, 1)
	done := make(chan string)
	go func() {
		var log strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		done <- log.String()
	}()
	var once sync.Once
	var log string
	stop = func() string {
		once.Do(func() {
			cancel()
			log = <-done // all of stderr, read before Wait as os/exec requires
			if t.Failed() {
				t.Logf("easel stderr:\n%s", log)
			}
			cmd.Wait()
			if strings.Contains(log, e2eToken) {
				t.Errorf("the token is in the log:\n%s", log)
			}
		})
		return log
	}
	t.Cleanup(func() { stop() })
	select {
	case base = <-found:
		return base, stop
	case <-time.After(60 * time.Second):
		t.Fatal("easel --http did not report its address")
		return "", stop
	}
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// raw sends one request and returns the status, WWW-Authenticate and body.
func raw(t *testing.T, method, url, host, origin, token, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

// mcpClient connects mcp-go's streamable HTTP client, with the token if
// not empty, and initializes.
func mcpClient(t *testing.T, url, token string) (*client.Client, error) {
	t.Helper()
	opts := []transport.StreamableHTTPCOption{transport.WithHTTPTimeout(5 * time.Minute)} // a cold cache builds the plugin during the first call
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	c, err := client.NewStreamableHttpClient(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "easel-e2e", Version: "1"}
	_, err = c.Initialize(ctx, req)
	return c, err
}

// eventually polls check every 50ms until it reports true or 2 minutes
// pass (a cold machine builds the plugin first).
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestHTTPSecurity(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	cfg := writeConfig(t, srv.URL)
	appendFile(t, cfg, "http:\n  allowed_hosts: [easel.example.com]\n")
	base, _ := serveHTTP(t, []string{"EASEL_HTTP_TOKEN=" + e2eToken}, "--config", cfg)
	host := strings.TrimPrefix(base, "http://")

	t.Run("mcp-go client without the token is refused", func(t *testing.T) {
		if _, err := mcpClient(t, base+"/mcp", ""); err == nil {
			t.Fatal("initialize without a token succeeded")
		}
		status, challenge, _ := raw(t, "POST", base+"/mcp", "", "", "", initializeBody)
		if status != 401 || challenge != `Bearer realm="easel"` {
			t.Errorf("no token: %d %q, want 401 with a Bearer challenge", status, challenge)
		}
		status, challenge, _ = raw(t, "POST", base+"/mcp", "", "", "wrong-token-0123456789", initializeBody)
		if status != 401 || !strings.Contains(challenge, `error="invalid_token"`) {
			t.Errorf("wrong token: %d %q, want 401 invalid_token", status, challenge)
		}
	})

	t.Run("mcp-go client with the token calls a tool", func(t *testing.T) {
		c, err := mcpClient(t, base+"/mcp", e2eToken)
		if err != nil {
			t.Fatalf("initialize with the token: %v", err)
		}
		want(t, jobStatus(t, c, "no-such-prompt"), map[string]any{"found": false})
	})

	t.Run("metrics after a tool call", func(t *testing.T) {
		if status, challenge, _ := raw(t, "GET", base+"/metrics", "", "", "", ""); status != 401 || challenge == "" {
			t.Errorf("/metrics without the token: %d %q, want 401", status, challenge)
		}
		var body string
		eventually(t, "/metrics reports the event stream up", func() bool {
			var status int
			status, _, body = raw(t, "GET", base+"/metrics", "", "", e2eToken, "")
			return status == 200 && strings.Contains(body, `easel_comfyui_up{backend="comfyui"} 1`)
		})
		for _, re := range []string{
			`(?m)^easel_tool_calls_total\{outcome="ok",tool="get_job_status"\} 1$`,
			`(?m)^easel_tool_call_duration_seconds_count\{tool="get_job_status"\} 1$`,
			`(?m)^easel_tool_call_duration_seconds_bucket\{tool="get_job_status",le="\+Inf"\} 1$`,
			`(?m)^easel_plugin_instances\{state="idle",tool="get_job_status"\} [1-9]$`,
			`(?m)^easel_plugin_instances\{state="busy",tool="get_job_status"\} 0$`,
			// get_job_status asked /queue and /history/<id> for the unknown prompt
			`(?m)^easel_comfyui_requests_total\{backend="comfyui",code="200",method="GET",route="/queue"\} [1-9]\d*$`,
			`(?m)^easel_comfyui_requests_total\{backend="comfyui",code="200",method="GET",route="/history/\*"\} [1-9]\d*$`,
			`(?m)^easel_comfyui_request_duration_seconds_count\{backend="comfyui",route="/queue"\} [1-9]\d*$`,
			`(?m)^easel_comfyui_queue_remaining\{backend="comfyui"\} 0$`,
			`(?m)^easel_build_info\{version="[^"]+"\} 1$`,
			`(?m)^process_resident_memory_bytes `,
		} {
			if !regexp.MustCompile(re).MatchString(body) {
				t.Errorf("/metrics lacks %s", re)
			}
		}
		if t.Failed() {
			t.Logf("/metrics:\n%s", body)
		}
	})

	t.Run("DNS rebinding and foreign origins", func(t *testing.T) {
		tests := []struct {
			name, host, origin string
			want               int
		}{
			{"rebound host", "evil.example.com", "http://evil.example.com", 403},
			{"rebound host with port", "evil.example.com:" + strings.Split(host, ":")[1], "", 403},
			{"foreign origin", host, "http://evil.example.com", 403},
			{"own host:port", host, "http://" + host, 200},
			{"localhost", "localhost:" + strings.Split(host, ":")[1], "http://localhost:6274", 200},
			{"allowed proxy host", "easel.example.com", "https://easel.example.com", 200},
		}
		for _, tt := range tests {
			status, _, body := raw(t, "POST", base+"/mcp", tt.host, tt.origin, e2eToken, initializeBody)
			if status != tt.want {
				t.Errorf("%s: Host %q Origin %q: %d %q, want %d", tt.name, tt.host, tt.origin, status, body, tt.want)
			}
		}
		if status, _, _ := raw(t, "GET", base+"/healthz", "evil.example.com", "", "", ""); status != 403 {
			t.Errorf("/healthz with a rebound host: %d, want 403", status)
		}
	})

	t.Run("body cap", func(t *testing.T) {
		big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 25<<20) + `"}}`
		if status, _, _ := raw(t, "POST", base+"/mcp", "", "", e2eToken, big); status != 413 {
			t.Errorf("25 MiB body: %d, want 413", status)
		}
	})

	t.Run("healthz and readyz", func(t *testing.T) {
		if status, _, body := raw(t, "GET", base+"/healthz", "", "", "", ""); status != 200 || body != "ok\n" {
			t.Errorf("/healthz: %d %q", status, body)
		}
		var body string
		eventually(t, "/readyz answers 200", func() bool {
			var status int
			status, _, body = raw(t, "GET", base+"/readyz", "", "", "", "")
			return status == 200
		})
		for _, line := range []string{"[+]config ok", "[+]plugins ok", "[+]comfyui ok", "readyz check passed"} {
			if !strings.Contains(body, line) {
				t.Errorf("/readyz body %q lacks %q", body, line)
			}
		}
		srv.Down()
		defer srv.Up()
		eventually(t, "/readyz answers 503 once ComfyUI is down", func() bool {
			var status int
			status, _, body = raw(t, "GET", base+"/readyz", "", "", "", "")
			return status == 503
		})
		if !strings.Contains(body, "[-]comfyui failed: reason withheld") || strings.Contains(body, srv.URL) {
			t.Errorf("/readyz without the token: %q, want the failing check without its reason", body)
		}
		_, _, body = raw(t, "GET", base+"/readyz", "", "", e2eToken, "")
		if !strings.Contains(body, "[-]comfyui failed: ") || !strings.Contains(body, "127.0.0.1") {
			t.Errorf("/readyz with the token: %q, want the reason", body)
		}
	})
}

func TestHTTPRefusesExposedAddressWithoutToken(t *testing.T) {
	cfg := writeConfig(t, "http://127.0.0.1:1")
	r := easel(t, "", nil, "serve", "--config", cfg, "--http", "0.0.0.0:0")
	r.expect(t, exitUsage, nil, []string{"refusing to serve MCP on 0.0.0.0:0 without a bearer token", "--insecure-no-auth"})

	short := filepath.Join(t.TempDir(), "token")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	r = easel(t, "", nil, "serve", "--config", cfg, "--http", "127.0.0.1:0", "--http-token-file", short)
	r.expect(t, exitUsage, nil, []string{"bearer token file " + short + ": the bearer token is 3 characters long"})
}

// TestHTTPLogsAreJSON checks that --log-format json makes every line easel
// writes JSON on stderr, none below the level asked for: the start-up, a
// refused request and the shutdown included.
func TestHTTPLogsAreJSON(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	base, stop := serveHTTP(t, nil, "--config", writeConfig(t, srv.URL), "--log-format", "json", "--log-level", "info")
	if status, _, _ := raw(t, "GET", base+"/healthz", "evil.example.com", "", "", ""); status != 403 {
		t.Fatalf("rebound /healthz: %d", status)
	}
	log := stop()
	var refused bool
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON log line: %q", line)
			continue
		}
		if rec["level"] == "DEBUG" || rec["msg"] == nil || rec["time"] == nil {
			t.Errorf("a debug line at level info, or no msg and time: %q", line)
		}
		refused = refused || rec["msg"] == "HTTP request refused" && rec["status"] == 403.0
	}
	if !refused {
		t.Errorf("the refused request is not logged:\n%s", log)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
