package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/easel-mcp/easel/host/app"
	"github.com/easel-mcp/easel/host/comfyui"
	"github.com/easel-mcp/easel/host/config"
)

var doctorCommand = manPage{
	name:     "doctor",
	summary:  "check the configuration, ComfyUI and every plugin, and say how to fix what is wrong",
	synopsis: []string{"doctor [--config FILE]"},
	description: `
Checks, in order, everything 'easel serve' depends on and prints a
checklist: ✓ for what works, ✗ for what does not with a line starting
with → that says how to fix it, ! for what works in a degraded way.

  configuration   tools.yaml parses and validates (problems name file:line);
                  without --config and with no tools.yaml here, the bundled
                  tool set, as serve uses it
  ComfyUI         GET /system_stats answers as ComfyUI does: its version,
                  Python and PyTorch versions, and each device with its
                  memory; a wrong URL is named with the cause (nothing
                  listening, a name that does not resolve, a firewall, TLS
                  on a plain-HTTP server, a login page, a proxy asking for
                  credentials) and where the URL came from
  queue           GET /queue: running and pending jobs
  event stream    the /ws WebSocket that tools waiting on jobs follow
  Go toolchain    present when tools.yaml names Go-source plugins
  cache           the cache folder is writable
  plugins         each plugin builds, compiles and describes itself under
                  its tools.yaml name

Nothing is queued or changed on the ComfyUI server.`,
	exitStatus: [3]string{
		"every check passed (warnings allowed)",
		"at least one check failed",
		"usage error",
	},
	examples: `
easel doctor
easel doctor --config ~/easel/tools.yaml
COMFYUI_URL=http://gpu-box:8188 easel doctor`,
}

func runDoctor(ctx context.Context, io stdio, args []string) int {
	fs := newFlags(doctorCommand)
	configPath := configFlag(fs)
	pos, code, ok := parse(doctorCommand, fs, args, io)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(doctorCommand, io, fmt.Sprintf("unexpected argument %q", pos[0]))
	}
	c := &checklist{w: io.out}
	cfg := doctorConfig(c, *configPath)
	if cfg != nil {
		for _, b := range cfg.BackendList() {
			doctorComfyUI(ctx, c, cfg, b)
		}
		doctorToolchain(ctx, c, cfg)
		doctorCache(c, cfg)
		doctorPlugins(ctx, c, cfg)
	}
	return c.finish()
}

// checklist prints checks as they finish and counts the failures.
type checklist struct {
	w              io.Writer
	passed, failed int
}

func (c *checklist) pass(format string, args ...any) {
	c.passed++
	fmt.Fprintf(c.w, "✓ %s\n", fmt.Sprintf(format, args...))
}

func (c *checklist) fail(what, fix string) {
	c.failed++
	c.line("✗", what, fix)
}

func (c *checklist) warn(what, fix string) { c.line("!", what, fix) }

func (c *checklist) line(mark, what, fix string) {
	fmt.Fprintf(c.w, "%s %s\n", mark, strings.ReplaceAll(what, "\n", "\n    "))
	if fix != "" {
		fmt.Fprintf(c.w, "  → %s\n", fix)
	}
}

func (c *checklist) finish() int {
	if c.failed > 0 {
		fmt.Fprintf(c.w, "\n%d of %d checks failed.\n", c.failed, c.failed+c.passed)
		return exitFailure
	}
	fmt.Fprintf(c.w, "\nAll %d checks passed.\n", c.passed)
	return exitOK
}

func doctorConfig(c *checklist, path string) *config.Config {
	cfg, usedBundled, err := loadOrBundled(path)
	if usedBundled && err == nil {
		// As serve does here: the rest of the checks are about these tools.
		c.pass("configuration: no %s here, so the bundled tool set (%s), as serve uses it", defaultConfig, count(len(cfg.Tools), "tool"))
		return cfg
	}
	switch {
	case config.IsNotFound(err):
		c.fail(fmt.Sprintf("configuration: %s does not exist", path),
			"run easel in the folder that holds tools.yaml, pass --config FILE, or start from the repository's tools.yaml")
		return nil
	case err != nil:
		c.fail("configuration is invalid:\n"+err.Error(), "fix the lines named above; docs/configuration.md documents every key")
		return nil
	}
	c.pass("configuration %s: %s", cfg.File, count(len(cfg.Tools), "tool"))
	return cfg
}

// systemStats is the part of ComfyUI's GET /system_stats that doctor shows.
type systemStats struct {
	System struct {
		ComfyUIVersion  string `json:"comfyui_version"`
		PythonVersion   string `json:"python_version"`
		PytorchVersion  string `json:"pytorch_version"`
		FrontendVersion string `json:"required_frontend_version"`
		RAMTotal        int64  `json:"ram_total"`
		RAMFree         int64  `json:"ram_free"`
	} `json:"system"`
	Devices []struct {
		Name      string `json:"name"`
		Type      string `json:"type"`
		VRAMTotal int64  `json:"vram_total"`
		VRAMFree  int64  `json:"vram_free"`
	} `json:"devices"`
}

// doctorComfyUI checks one ComfyUI server: the comfyui: mapping, or one
// entry of backends:.
func doctorComfyUI(ctx context.Context, c *checklist, cfg *config.Config, b config.Backend) {
	src := urlSource(cfg, b)
	client, err := app.NewComfyUIClient(b.ComfyUI)
	if err != nil {
		c.fail(fmt.Sprintf("ComfyUI URL %s: %v", b.ComfyUI.URL, err), "fix "+src)
		return
	}
	var stats systemStats
	if !getJSON(ctx, c, client, "/system_stats", &stats, cfg, b) {
		return
	}
	if stats.System.ComfyUIVersion == "" {
		c.fail(fmt.Sprintf("%s/system_stats answers JSON without a comfyui_version: this is not ComfyUI (or one older than 0.3)", client.BaseURL()),
			"point "+src+" at ComfyUI's address")
		return
	}
	c.pass("ComfyUI %s at %s (Python %s, PyTorch %s, frontend %s)", stats.System.ComfyUIVersion, client.BaseURL(),
		firstWord(stats.System.PythonVersion), stats.System.PytorchVersion, stats.System.FrontendVersion)
	for _, d := range stats.Devices {
		c.pass("device %s (%s): %s memory, %s free", d.Name, d.Type, gib(d.VRAMTotal), gib(d.VRAMFree))
	}
	var queue struct {
		Running []json.RawMessage `json:"queue_running"`
		Pending []json.RawMessage `json:"queue_pending"`
	}
	if getJSON(ctx, c, client, "/queue", &queue, cfg, b) {
		c.pass("queue: %d running, %d pending", len(queue.Running), len(queue.Pending))
	}
	doctorEvents(ctx, c, client)
}

// getJSON fetches path and decodes it, failing the check with the cause and
// a fix when it cannot.
func getJSON(ctx context.Context, c *checklist, client *comfyui.Client, path string, v any, cfg *config.Config, b config.Backend) bool {
	resp, err := client.Do(ctx, comfyui.Request{Path: path})
	if err != nil {
		c.fail(err.Error(), unreachableFix(err, cfg, b))
		return false
	}
	src := urlSource(cfg, b)
	switch {
	case resp.Status == 401 || resp.Status == 403:
		fix := "ComfyUI sits behind a proxy that wants credentials: set comfyui.auth in tools.yaml (docs/configuration.md)"
		if b.ComfyUI.Auth != nil {
			fix = fmt.Sprintf("the proxy refused the token from $%s: check that it is current", b.ComfyUI.Auth.TokenEnv)
		}
		c.fail(fmt.Sprintf("%s answered %d %s", resp.URL, resp.Status, statusText(resp.Status)), fix)
	case resp.Status == 404:
		c.fail(fmt.Sprintf("%s answered 404: no such route", resp.URL),
			"something serves HTTP there but not ComfyUI's API: check the port and any path prefix in "+src)
	case resp.Status != 200:
		c.fail(fmt.Sprintf("%s answered %d %s", resp.URL, resp.Status, statusText(resp.Status)), "look at ComfyUI's console for the error")
	case !strings.HasPrefix(resp.ContentType, "application/json"):
		c.fail(fmt.Sprintf("%s answered %s, not JSON: this is not ComfyUI's API (a login page, a router, another web server?)", resp.URL, orUnknown(resp.ContentType)),
			"point "+src+" at ComfyUI's address")
	default:
		if err := json.Unmarshal(resp.Body, v); err != nil {
			c.fail(fmt.Sprintf("%s answered JSON that is not ComfyUI's: %v", resp.URL, err), "point "+src+" at ComfyUI's address")
			return false
		}
		return true
	}
	return false
}

// urlSource says where the ComfyUI URL came from, for fixes.
func urlSource(cfg *config.Config, b config.Backend) string {
	if len(cfg.Backends) > 0 {
		return fmt.Sprintf("the url of backend %s in %s", b.Name, cfg.File)
	}
	if v := os.Getenv(config.EnvComfyUIURL); v != "" {
		return "the " + config.EnvComfyUIURL + " environment variable"
	}
	return "comfyui.url in " + cfg.File
}

// unreachableFix turns a failed request into what to do about it.
func unreachableFix(err error, cfg *config.Config, b config.Backend) string {
	src := urlSource(cfg, b)
	host := b.ComfyUI.URL
	if u, perr := url.Parse(b.ComfyUI.URL); perr == nil {
		host = u.Host
	}
	msg := err.Error()
	switch {
	case comfyui.KindOf(err) == comfyui.Timeout:
		return fmt.Sprintf("ComfyUI accepted the connection but did not answer within %s: it may be busy loading a model; retry, or raise comfyui.timeout", b.ComfyUI.Timeout)
	case strings.Contains(msg, "connection refused"):
		return fmt.Sprintf("nothing listens at %s: start ComfyUI (python main.py --listen HOST --port PORT), or set %s to the address ComfyUI prints at start (\"To see the GUI go to: ...\"); its default is %s", host, src, config.DefaultURL)
	case strings.Contains(msg, "cannot resolve"):
		return fmt.Sprintf("the host name in %s does not resolve: check its spelling, or use an IP address", src)
	case strings.Contains(msg, "timed out"):
		return fmt.Sprintf("no answer from %s within %s: the host is down, a firewall drops the packets, or ComfyUI listens on 127.0.0.1 only (start it with --listen 0.0.0.0 to reach it from elsewhere)", host, b.ComfyUI.ConnectTimeout)
	case strings.Contains(msg, "HTTP response to HTTPS client"):
		return fmt.Sprintf("%s answers plain HTTP: write http://, not https://, in %s (ComfyUI serves plain HTTP unless started with --tls-keyfile)", host, src)
	case strings.Contains(msg, "malformed HTTP response"):
		return fmt.Sprintf("%s does not answer plain HTTP; if it serves TLS, write https:// in %s", host, src)
	case strings.Contains(msg, "tls") || strings.Contains(msg, "TLS") || strings.Contains(msg, "certificate"):
		return fmt.Sprintf("a TLS problem: ComfyUI serves plain http:// unless started with --tls-keyfile; check the scheme in %s", src)
	}
	return fmt.Sprintf("check that ComfyUI runs and that %s points at it", src)
}

// doctorEvents opens the WebSocket the job watcher follows. Without it,
// tools that wait still work, by polling, so a failure is a warning.
func doctorEvents(ctx context.Context, c *checklist, client *comfyui.Client) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	u := client.WebSocketURL("")
	conn, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: client.Header()})
	if err != nil {
		c.warn(fmt.Sprintf("event stream %s: %v", u, err),
			"tools that wait for jobs poll /queue and /history instead, with less progress; if a proxy sits in front of ComfyUI, let it pass WebSocket upgrades")
		return
	}
	conn.Close(websocket.StatusNormalClosure, "")
	c.pass("event stream %s", u)
}

func doctorToolchain(ctx context.Context, c *checklist, cfg *config.Config) {
	n := 0
	for _, t := range cfg.Tools {
		if t.Kind == config.PluginGoSource {
			n++
		}
	}
	if n == 0 {
		return
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		c.fail(fmt.Sprintf("Go toolchain: %v; %d plugins in tools.yaml are Go source", err, n),
			"install Go (https://go.dev/dl) and put it in PATH, or build the plugins elsewhere with 'easel build' and name the .wasm files in tools.yaml")
		return
	}
	c.pass("Go toolchain %s, for %d Go-source plugins", strings.TrimSpace(string(out)), n)
}

func doctorCache(c *checklist, cfg *config.Config) {
	err := os.MkdirAll(cfg.CacheDir, 0o755)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(cfg.CacheDir, ".doctor-*"); err == nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
	if err != nil {
		c.fail(fmt.Sprintf("cache folder %s is not writable: %v", cfg.CacheDir, err),
			"set cache_dir in tools.yaml or "+config.EnvCacheDir+" to a writable folder")
		return
	}
	c.pass("cache folder %s", cfg.CacheDir)
}

func doctorPlugins(ctx context.Context, c *checklist, cfg *config.Config) {
	l, err := newLoader(ctx, cfg.CacheDir, nil)
	if err != nil {
		c.fail("plugin runtime: "+err.Error(), "")
		return
	}
	defer l.close()
	l.loadAll(ctx, cfg.Tools, func(r loaded) {
		if r.err != nil {
			c.fail("plugin "+r.failure(), pluginFix(r))
			return
		}
		c.pass("plugin %s (%s): %s, loaded in %s", r.tool.Name, r.tool.Pos, r.from, r.loadTime.Round(time.Millisecond))
	})
}

func pluginFix(r loaded) string {
	switch r.stage {
	case "build":
		return fmt.Sprintf("fix the Go errors above; 'easel build %s' repeats the build", r.tool.Plugin)
	case "read":
		return fmt.Sprintf("plugin: at %s names no readable file; 'easel build' writes .wasm files", r.tool.Pos)
	}
	return "the module is not a working easel plugin for this entry: its description must name the tool as tools.yaml does (docs/abi.md)"
}

func statusText(code int) string {
	switch code {
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 500:
		return "Internal Server Error"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	}
	return ""
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}

// count is "1 tool" or "2 tools".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func gib(n int64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }
