package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/easel-mcp/easel/host/bundled"
	"github.com/easel-mcp/easel/host/policy"
)

// fixture makes a folder with one plugin of each kind and a few things that are not
// plugins, and returns it. The configuration file is taken to live in it.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"plugins/a.wasm":              "\x00asm",
		"plugins/b.wasm":              "\x00asm",
		"plugins/UPPER.WASM":          "\x00asm",
		"plugins/src/main.go":         "package main\n",
		"plugins/src/main_test.go":    "package main\n",
		"plugins/testsonly/x_test.go": "package main\n",
		"plugins/notes.txt":           "not a plugin",
		"plugins/empty/.keep":         "",
		"plugins/dir.wasm/README":     "a folder named like a module",
	}
	for name, content := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
	}
	return dir
}

// writeFile creates path and the folders above it.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// base is what Parse returns for a file in dir that sets nothing.
func base(t *testing.T, dir string) *Config {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no user cache folder: %v", err)
	}
	return &Config{
		File: filepath.Join(dir, "tools.yaml"),
		ComfyUI: ComfyUI{
			URL:              DefaultURL,
			Timeout:          DefaultTimeout,
			ConnectTimeout:   DefaultConnectTimeout,
			MaxResponseBytes: DefaultMaxResponseBytes,
		},
		CacheDir: filepath.Join(cache, "easel"),
		Watch:    true,
	}
}

// tool is the Tool Parse makes of an entry at line:col in dir's tools.yaml.
func tool(dir, name, plugin string, kind PluginKind, config string, line, col int) Tool {
	return Tool{
		Name:   name,
		Plugin: plugin,
		Path:   filepath.Join(dir, filepath.FromSlash(plugin)),
		Kind:   kind,
		Config: json.RawMessage(config),
		Pos:    Pos{File: filepath.Join(dir, "tools.yaml"), Line: line, Column: col},

		Permissions: &policy.Permissions{},
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want func(c *Config, dir string) // edits the base config into the expected one
	}{
		{
			name: "minimal",
			yaml: "tools:\n  - name: a\n    plugin: plugins/a.wasm\n",
			want: func(c *Config, dir string) {
				c.Tools = []Tool{tool(dir, "a", "plugins/a.wasm", PluginWasm, `{}`, 2, 5)}
			},
		},
		{
			name: "builtin",
			yaml: "tools:\n  - name: status\n    plugin: builtin:get_job_status\n",
			want: func(c *Config, dir string) {
				t := tool(dir, "status", "builtin:get_job_status", PluginBuiltin, `{}`, 2, 5)
				t.Path = "get_job_status"
				c.Tools = []Tool{t}
			},
		},
		{
			name: "no tools",
			yaml: "comfyui:\n  url: http://comfy:8188\n",
			want: func(c *Config, dir string) { c.ComfyUI.URL = "http://comfy:8188" },
		},
		{
			name: "watch off",
			yaml: "watch: false\n",
			want: func(c *Config, dir string) { c.Watch = false },
		},
		{
			name: "watch from the environment",
			yaml: "watch: ${EASEL_WATCH:-true}\n",
			env:  map[string]string{"EASEL_WATCH": "false"},
			want: func(c *Config, dir string) { c.Watch = false },
		},
		{
			name: "empty sections",
			yaml: "comfyui:\ntools:\ncache_dir:\n",
			want: func(c *Config, dir string) {},
		},
		{
			name: "everything",
			yaml: `# yaml-language-server: $schema=./docs/tools.schema.json
comfyui:
  url: https://comfy.example.com/api/
  auth:
    header: X-Api-Key
    scheme: ""
    token_env: COMFYUI_TOKEN
  timeout: 1m30s
  connect_timeout: 2s
  max_response_bytes: 512KiB
cache_dir: cache
tools:
  - name: get_job_status
    plugin: plugins/a.wasm
    config:
      any: thing
    sha256: sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef
    permissions:
      comfyui: [GET /queue, "GET /history/*"]
      jobs: true
      http: ["api.example.com:443", "127.0.0.1:9000"]
      sampling: false
      elicitation: true
  - name: Build-From-Source
    plugin: plugins/src
`,
			env: map[string]string{"COMFYUI_TOKEN": "s3cret"},
			want: func(c *Config, dir string) {
				c.ComfyUI = ComfyUI{
					URL:              "https://comfy.example.com/api",
					Auth:             &Auth{Header: "X-Api-Key", Scheme: "", TokenEnv: "COMFYUI_TOKEN", Token: "s3cret"},
					Timeout:          90 * time.Second,
					ConnectTimeout:   2 * time.Second,
					MaxResponseBytes: 512 << 10,
				}
				c.CacheDir = filepath.Join(dir, "cache")
				c.Tools = []Tool{
					tool(dir, "get_job_status", "plugins/a.wasm", PluginWasm, `{"any":"thing"}`, 13, 5),
					tool(dir, "Build-From-Source", "plugins/src", PluginGoSource, `{}`, 24, 5),
				}
				c.Tools[0].SHA256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
				c.Tools[0].Permissions = &policy.Permissions{
					ComfyUI:     []policy.Route{mustRoute("GET /queue"), mustRoute("GET /history/*")},
					Jobs:        true,
					HTTP:        []policy.Endpoint{{Host: "api.example.com", Port: 443}, {Host: "127.0.0.1", Port: 9000, Private: true}},
					Elicitation: true,
				}
			},
		},
		{
			name: "auth defaults",
			yaml: "comfyui:\n  auth:\n    token_env: TOK\n",
			env:  map[string]string{"TOK": "t"},
			want: func(c *Config, dir string) {
				c.ComfyUI.Auth = &Auth{Header: "Authorization", Scheme: "Bearer", TokenEnv: "TOK", Token: "t"}
			},
		},
		{
			name: "COMFYUI_URL overrides the file",
			yaml: "comfyui:\n  url: not a url\n",
			env:  map[string]string{"COMFYUI_URL": "http://10.0.0.2:8188/"},
			want: func(c *Config, dir string) { c.ComfyUI.URL = "http://10.0.0.2:8188" },
		},
		{
			name: "empty COMFYUI_URL is ignored",
			yaml: "comfyui:\n  url: http://a:1\n",
			env:  map[string]string{"COMFYUI_URL": ""},
			want: func(c *Config, dir string) { c.ComfyUI.URL = "http://a:1" },
		},
		{
			name: "EASEL_CACHE_DIR overrides the file",
			yaml: "cache_dir: ignored\n",
			env:  map[string]string{"EASEL_CACHE_DIR": "/var/cache/easel"},
			want: func(c *Config, dir string) { c.CacheDir = filepath.FromSlash("/var/cache/easel") },
		},
		{
			name: "absolute cache_dir",
			yaml: "cache_dir: /srv/easel\n",
			want: func(c *Config, dir string) { c.CacheDir = filepath.FromSlash("/srv/easel") },
		},
		{
			name: "byte sizes",
			yaml: "comfyui:\n  max_response_bytes: 1048576\n",
			want: func(c *Config, dir string) { c.ComfyUI.MaxResponseBytes = 1 << 20 },
		},
		{
			name: "byte size with space and GiB",
			yaml: "comfyui:\n  max_response_bytes: 2 GiB\n",
			want: func(c *Config, dir string) { c.ComfyUI.MaxResponseBytes = 2 << 30 },
		},
		{
			name: "substitution before type checks",
			yaml: "comfyui:\n  url: http://${HOST}:${PORT:-8188}\n  timeout: ${T:-45s}\ncache_dir: $${literal}\n",
			env:  map[string]string{"HOST": "gpu-box"},
			want: func(c *Config, dir string) {
				c.ComfyUI.URL = "http://gpu-box:8188"
				c.ComfyUI.Timeout = 45 * time.Second
				c.CacheDir = filepath.Join(dir, "${literal}")
			},
		},
		{
			name: "substitution in a plugin path and a name",
			yaml: "tools:\n  - name: ${PREFIX}_status\n    plugin: ${PLUGINS:-plugins}/a.wasm\n",
			env:  map[string]string{"PREFIX": "comfy"},
			want: func(c *Config, dir string) {
				c.Tools = []Tool{tool(dir, "comfy_status", "plugins/a.wasm", PluginWasm, `{}`, 2, 5)}
			},
		},
		{
			name: "config keeps YAML types and key order",
			yaml: `tools:
  - name: a
    plugin: plugins/a.wasm
    config:
      z: 1
      a: "1"
      f: 1.5
      big: 18446744073709551615
      hex: 0x10
      yes: true
      no: no
      nothing: ~
      when: 2024-01-02
      html: <b>&</b>
      list: [1, two, {three: 3}]
      nested: {deep: {er: []}}
      7: seven
`,
			want: func(c *Config, dir string) {
				c.Tools = []Tool{tool(dir, "a", "plugins/a.wasm", PluginWasm,
					`{"z":1,"a":"1","f":1.5,"big":18446744073709551615,"hex":16,"yes":true,"no":"no","nothing":null,"when":"2024-01-02","html":"<b>&</b>","list":[1,"two",{"three":3}],"nested":{"deep":{"er":[]}},"7":"seven"}`,
					2, 5)}
			},
		},
		{
			name: "config substitution is typed unless quoted",
			yaml: `tools:
  - name: a
    plugin: plugins/a.wasm
    config:
      steps: ${STEPS:-20}
      quoted: "${STEPS:-20}"
      flag: ${FLAG}
      empty: ${EMPTY}
      money: $$5 and $HOME
`,
			env: map[string]string{"FLAG": "true", "EMPTY": ""},
			want: func(c *Config, dir string) {
				c.Tools = []Tool{tool(dir, "a", "plugins/a.wasm", PluginWasm,
					`{"steps":20,"quoted":"20","flag":true,"empty":null,"money":"$5 and $HOME"}`, 2, 5)}
			},
		},
		{
			name: "anchors and aliases",
			yaml: `tools:
  - name: a
    plugin: &p plugins/a.wasm
    config: &shared {model: sdxl, steps: 30}
  - name: b
    plugin: *p
    config: *shared
`,
			want: func(c *Config, dir string) {
				c.Tools = []Tool{
					tool(dir, "a", "plugins/a.wasm", PluginWasm, `{"model":"sdxl","steps":30}`, 2, 5),
					tool(dir, "b", "plugins/a.wasm", PluginWasm, `{"model":"sdxl","steps":30}`, 5, 5),
				}
			},
		},
		{
			name: "plugin kinds",
			yaml: `tools:
  - {name: upper, plugin: plugins/UPPER.WASM}
  - {name: src, plugin: ./plugins/src/}
  - {name: config-null, plugin: plugins/b.wasm, config: ~}
`,
			want: func(c *Config, dir string) {
				src := tool(dir, "src", "./plugins/src/", PluginGoSource, `{}`, 3, 5)
				src.Path = filepath.Join(dir, "plugins", "src")
				c.Tools = []Tool{
					tool(dir, "upper", "plugins/UPPER.WASM", PluginWasm, `{}`, 2, 5),
					src,
					tool(dir, "config-null", "plugins/b.wasm", PluginWasm, `{}`, 4, 5),
				}
			},
		},
		{
			name: "longest tool name",
			yaml: "tools:\n  - name: " + strings.Repeat("x", 64) + "\n    plugin: plugins/a.wasm\n",
			want: func(c *Config, dir string) {
				c.Tools = []Tool{tool(dir, strings.Repeat("x", 64), "plugins/a.wasm", PluginWasm, `{}`, 2, 5)}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			got, err := Parse([]byte(tt.yaml), filepath.Join(dir, "tools.yaml"), MapEnv(tt.env))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := base(t, dir)
			tt.want(want, dir)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse:\n got %s\nwant %s", dump(got), dump(want))
			}
		})
	}
}

// dump shows a Config with its token and its tool configs readable.
func dump(c *Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "File=%s ComfyUI=%+v", c.File, c.ComfyUI)
	if a := c.ComfyUI.Auth; a != nil {
		fmt.Fprintf(&b, " Token=%q", a.Token)
	}
	fmt.Fprintf(&b, " CacheDir=%s", c.CacheDir)
	for _, t := range c.Tools {
		fmt.Fprintf(&b, "\n  %s %s %s %v %s %s", t.Name, t.Plugin, t.Path, t.Kind, t.Config, t.Pos)
	}
	return b.String()
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string // the lines of the error, with the fixture folder removed
	}{
		// The file as a whole.
		{"empty file", "", nil, []string{`tools.yaml: the file is empty (expected comfyui: and tools:)`}},
		{"only comments", "# nothing here\n", nil, []string{`tools.yaml: the file is empty (expected comfyui: and tools:)`}},
		{"only null", "---\n~\n", nil, []string{`tools.yaml: the file is empty (expected comfyui: and tools:)`}},
		{"not a mapping", "- a\n- b\n", nil, []string{`tools.yaml:1: expected a mapping, got a list`}},
		{"a scalar", "hello\n", nil, []string{`tools.yaml:1: expected a mapping, got "hello"`}},
		{"syntax error", "comfyui:\n  url: a\n  timeout: b: c\n", nil, []string{`tools.yaml:3: invalid YAML: mapping values are not allowed in this context`}},
		{"tab indentation", "comfyui:\n\turl: a\n", nil, []string{`tools.yaml:2: invalid YAML: found character that cannot start any token`}},
		{"unknown anchor", "tools: *nope\n", nil, []string{`tools.yaml: invalid YAML: unknown anchor 'nope' referenced`}},
		{"two documents", "tools: []\n---\ntools: []\n", nil, []string{`tools.yaml:2: a second YAML document (after ---) is not allowed: put everything in one`}},

		{"watch is true or false", "watch: yes\n", nil, []string{`tools.yaml:1: watch: "yes" is not true or false`}},
		// Permissions and pins.
		{"bad permissions", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    permissions:\n      comfyui: [GET /queue, /history, FETCH /x]\n      jobs: yes\n      http: [example.com]\n      network: true\n", nil, []string{
			`tools.yaml:5: tools[0].permissions.comfyui[1]: "/history" is not a route: write METHOD /path, e.g. "GET /history/*"`,
			`tools.yaml:5: tools[0].permissions.comfyui[2]: "FETCH /x": "FETCH" is not an HTTP method (GET, POST, PUT, PATCH, DELETE, HEAD or *)`,
			`tools.yaml:6: tools[0].permissions.jobs: "yes" is not true or false`,
			`tools.yaml:7: tools[0].permissions.http[0]: "example.com" is not host:port, e.g. "api.example.com:443"`,
			`tools.yaml:8: tools[0].permissions: unknown key "network" (known keys: comfyui, elicitation, http, jobs, sampling)`,
		}},
		{"bad pin", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    sha256: abc\n", nil, []string{
			"tools.yaml:4: tools[0].sha256: \"abc\" is not a SHA-256 digest (64 hex digits; `easel build` prints it)",
		}},
		{"unknown builtin", "tools:\n  - name: a\n    plugin: builtin:nope\n", nil,
			[]string{`tools.yaml:3: tools[0].plugin: builtin:nope is not a bundled plugin (bundled: ` + strings.Join(bundled.Names(), ", ") + `)`}},

		// Keys.
		{"unknown top-level key", "tool: []\n", nil, []string{`tools.yaml:1: unknown key "tool" (did you mean "tools"?)`}},
		{"unknown key without suggestion", "comfyui:\n  frobnicate: 1\n", nil,
			[]string{`tools.yaml:2: comfyui: unknown key "frobnicate" (known keys: auth, connect_timeout, max_response_bytes, timeout, url)`}},
		{"unknown key in a tool", "tools:\n  - name: a\n    plugn: plugins/a.wasm\n", nil,
			[]string{`tools.yaml:3: tools[0]: unknown key "plugn" (did you mean "plugin"?)`}},
		{"wrong case", "comfyui:\n  URL: http://a\n", nil, []string{`tools.yaml:2: comfyui: unknown key "URL" (did you mean "url"?)`}},
		{"unknown key in auth", "comfyui:\n  auth:\n    token_env: T\n    tokn: x\n", map[string]string{"T": "x"},
			[]string{`tools.yaml:4: comfyui.auth: unknown key "tokn" (known keys: header, scheme, token_env)`}},
		{"keys are not substituted", "${X}: 1\n", map[string]string{"X": "tools"},
			[]string{`tools.yaml:1: unknown key "${X}" (known keys: backends, cache_dir, comfyui, http, tools, watch)`}},
		{"duplicate key", "comfyui:\n  timeout: 1s\n  timeout: 2s\n", nil,
			[]string{`tools.yaml:3: comfyui: duplicate key "timeout" (first declared at tools.yaml:2)`}},
		{"duplicate top-level key", "tools: []\ncomfyui: {}\ntools: []\n", nil,
			[]string{`tools.yaml:3: duplicate key "tools" (first declared at tools.yaml:1)`}},
		{"duplicate key in config", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    config:\n      k: 1\n      k: 2\n", nil,
			[]string{`tools.yaml:6: tools[0].config: duplicate key "k" (first declared at tools.yaml:5)`}},
		{"merge key", "base: &b {timeout: 1s}\ncomfyui:\n  <<: *b\n", nil, []string{
			`tools.yaml:1: unknown key "base" (known keys: backends, cache_dir, comfyui, http, tools, watch)`,
			`tools.yaml:3: comfyui: merge keys (<<) are not supported: write the values out, or alias a whole mapping`,
		}},
		{"merge key in config", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    config: {<<: {a: 1}}\n", nil,
			[]string{`tools.yaml:4: tools[0].config: merge keys (<<) are not supported: write the values out, or alias a whole mapping`}},
		{"list as key", "? [a]\n: 1\n", nil, []string{`tools.yaml:1: a key must be a string, got a list`}},
		{"list as key in config", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    config: {[a]: 1}\n", nil,
			[]string{`tools.yaml:4: tools[0].config: a key must be a string, got a list`}},

		// Types.
		{"list for a mapping", "comfyui:\n  - url: http://a\n", nil, []string{`tools.yaml:2: comfyui: expected a mapping, got a list`}},
		{"mapping for a list", "tools:\n  name: a\n", nil, []string{`tools.yaml:2: tools: expected a list, got a mapping`}},
		{"list for a value", "comfyui:\n  url: [http://a]\n", nil, []string{`tools.yaml:2: comfyui.url: expected a single value, got a list`}},
		{"list for config", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    config: [1]\n", nil,
			[]string{`tools.yaml:4: tools[0].config: expected a mapping, got a list`}},
		{"scalar for auth", "comfyui:\n  auth: COMFYUI_TOKEN\n", nil, []string{`tools.yaml:2: comfyui.auth: expected a mapping, got "COMFYUI_TOKEN"`}},
		{"long scalar", "tools: " + strings.Repeat("abcdefghij", 5) + "\n", nil,
			[]string{`tools.yaml:1: tools: expected a list, got "abcdefghijabcdefghijabcdefghijabcdefg..."`}},
		{"tool is a string", "tools:\n  - get_job_status\n", nil, []string{`tools.yaml:2: tools[0]: expected a mapping, got "get_job_status"`}},
		{"empty tool entry", "tools:\n  -\n", nil, []string{`tools.yaml:2: tools[0]: empty entry (expected name: and plugin:)`}},
		{"infinity in config", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    config: {x: .inf}\n", nil,
			[]string{`tools.yaml:4: tools[0].config.x: .inf cannot be represented in JSON`}},
		{"bad explicit tag in config", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    config: {x: !!int abc}\n", nil,
			[]string{`tools.yaml:4: tools[0].config.x: "abc" is not a valid !!int`}},

		// Aliases.
		{"alias cycle", "tools: &t [*t]\n", nil, []string{`tools.yaml:1: alias *t refers to a value that contains it`}},
		{"billion laughs", laughs(), nil, []string{`tools.yaml:5: aliases expand this value to more than 100000 values`}},

		// Plugins.
		{"missing plugin", "tools:\n  - name: a\n    plugin: plugins/nope\n", nil, []string{`tools.yaml:3: tools[0].plugin: plugins/nope does not exist`}},
		{"plugin is another file", "tools:\n  - name: a\n    plugin: plugins/notes.txt\n", nil,
			[]string{`tools.yaml:3: tools[0].plugin: plugins/notes.txt is neither a .wasm file nor a folder of Go source`}},
		{"folder named .wasm", "tools:\n  - name: a\n    plugin: plugins/dir.wasm\n", nil,
			[]string{`tools.yaml:3: tools[0].plugin: plugins/dir.wasm is a folder without .go files (expected a .wasm file or a folder of Go source)`}},
		{"folder without Go", "tools:\n  - name: a\n    plugin: plugins/empty\n", nil,
			[]string{`tools.yaml:3: tools[0].plugin: plugins/empty is a folder without .go files (expected a .wasm file or a folder of Go source)`}},
		{"folder with only tests", "tools:\n  - name: a\n    plugin: plugins/testsonly\n", nil,
			[]string{`tools.yaml:3: tools[0].plugin: plugins/testsonly is a folder without .go files (expected a .wasm file or a folder of Go source)`}},
		{"plugin under a file", "tools:\n  - name: a\n    plugin: plugins/a.wasm/x.wasm\n", nil,
			[]string{`tools.yaml:3: tools[0].plugin: cannot read plugins/a.wasm/x.wasm: not a directory`}},
		{"plugin path with a line break", "tools:\n  - name: a\n    plugin: \"plugins/\\nx\"\n", nil,
			[]string{`tools.yaml:3: tools[0].plugin: "plugins/\nx" does not exist`}},
		{"empty plugin", "tools:\n  - name: a\n    plugin: \"\"\n", nil, []string{`tools.yaml:3: tools[0].plugin: plugin path is empty`}},
		{"missing plugin key", "tools:\n  - name: a\n", nil, []string{`tools.yaml:2: tools[0]: missing required key "plugin"`}},
		{"missing name key", "tools:\n  - plugin: plugins/a.wasm\n", nil, []string{`tools.yaml:2: tools[0]: missing required key "name"`}},

		// Names.
		{"empty name", "tools:\n  - name: \"\"\n    plugin: plugins/a.wasm\n", nil, []string{`tools.yaml:2: tools[0].name: tool name is empty`}},
		{"null name", "tools:\n  - name:\n    plugin: plugins/a.wasm\n", nil, []string{`tools.yaml:2: tools[0].name: tool name is empty`}},
		{"name with a space", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n  - name: get job\n    plugin: plugins/a.wasm\n", nil,
			[]string{`tools.yaml:4: tools[1].name: "get job" is not a valid tool name (allowed: letters, digits, _ and -, at most 64)`}},
		{"name too long", "tools:\n  - name: " + strings.Repeat("x", 65) + "\n    plugin: plugins/a.wasm\n", nil,
			[]string{`tools.yaml:2: tools[0].name: "` + strings.Repeat("x", 65) + `" is not a valid tool name (allowed: letters, digits, _ and -, at most 64)`}},
		{"duplicate name", `tools:
  - name: get_queue
    plugin: plugins/a.wasm
  - name: other
    plugin: plugins/a.wasm
  - name: get_queue
    plugin: plugins/b.wasm
  - name: get_queue
    plugin: plugins/b.wasm
`, nil, []string{
			`tools.yaml:6: tools[2].name: duplicate tool name "get_queue" (first declared at tools.yaml:2)`,
			`tools.yaml:8: tools[3].name: duplicate tool name "get_queue" (first declared at tools.yaml:2)`,
		}},

		// URL.
		{"url without scheme", "comfyui:\n  url: localhost:8188\n", nil,
			[]string{`tools.yaml:2: comfyui.url: "localhost:8188" is not an absolute http or https URL (use e.g. http://127.0.0.1:8188)`}},
		{"url with another scheme", "comfyui:\n  url: ws://a:8188\n", nil,
			[]string{`tools.yaml:2: comfyui.url: "ws://a:8188" is not an absolute http or https URL (use e.g. http://127.0.0.1:8188)`}},
		{"url without host", "comfyui:\n  url: http:///x\n", nil,
			[]string{`tools.yaml:2: comfyui.url: "http:///x" is not an absolute http or https URL (use e.g. http://127.0.0.1:8188)`}},
		{"empty url", "comfyui:\n  url:\n", nil,
			[]string{`tools.yaml:2: comfyui.url: "" is not an absolute http or https URL (use e.g. http://127.0.0.1:8188)`}},
		{"url with query", "comfyui:\n  url: http://a/?x=1\n", nil, []string{`tools.yaml:2: comfyui.url: "http://a/?x=1" must not have a query or fragment`}},
		{"url with credentials", "comfyui:\n  url: http://me:hunter2@a/\n", nil,
			[]string{`tools.yaml:2: comfyui.url: "http://me:xxxxx@a/" must not carry credentials: use comfyui.auth with token_env`}},
		{"bad COMFYUI_URL", "comfyui:\n  url: http://fine:8188\n", map[string]string{"COMFYUI_URL": "comfy:8188"},
			[]string{`tools.yaml:2: comfyui.url: "comfy:8188" (from COMFYUI_URL) is not an absolute http or https URL (use e.g. http://127.0.0.1:8188)`}},
		{"bad COMFYUI_URL, no url in file", "tools: []\n", map[string]string{"COMFYUI_URL": "comfy:8188"},
			[]string{`tools.yaml: comfyui.url: "comfy:8188" (from COMFYUI_URL) is not an absolute http or https URL (use e.g. http://127.0.0.1:8188)`}},

		// Durations and sizes.
		{"number for a duration", "comfyui:\n  timeout: 30\n", nil, []string{`tools.yaml:2: comfyui.timeout: "30" is not a duration (use e.g. 30s)`}},
		{"zero duration", "comfyui:\n  connect_timeout: 0s\n", nil, []string{`tools.yaml:2: comfyui.connect_timeout: "0s" is not a positive duration (use e.g. 30s)`}},
		{"negative duration", "comfyui:\n  timeout: -1s\n", nil, []string{`tools.yaml:2: comfyui.timeout: "-1s" is not a positive duration (use e.g. 30s)`}},
		{"decimal size", "comfyui:\n  max_response_bytes: 64MB\n", nil,
			[]string{`tools.yaml:2: comfyui.max_response_bytes: "64MB" is not a byte size (use a number of bytes or a KiB, MiB or GiB suffix, e.g. 64MiB)`}},
		{"zero size", "comfyui:\n  max_response_bytes: 0\n", nil, []string{`tools.yaml:2: comfyui.max_response_bytes: "0" is not a positive byte size`}},
		{"huge size", "comfyui:\n  max_response_bytes: 9999999999GiB\n", nil, []string{`tools.yaml:2: comfyui.max_response_bytes: "9999999999GiB" is too large a byte size`}},

		// Auth.
		{"auth without token_env", "comfyui:\n  auth:\n    header: X-Key\n", nil,
			[]string{`tools.yaml:3: comfyui.auth: missing token_env: the environment variable that holds the token (the token itself never goes in the file)`}},
		{"empty auth", "comfyui:\n  auth:\n", nil,
			[]string{`tools.yaml:2: comfyui.auth: missing token_env: the environment variable that holds the token (the token itself never goes in the file)`}},
		{"misspelt token_env", "comfyui:\n  auth:\n    token_nev: T\n", nil,
			[]string{`tools.yaml:3: comfyui.auth: unknown key "token_nev" (did you mean "token_env"?)`}},
		{"token not set", "comfyui:\n  auth:\n    token_env: COMFYUI_TOKEN\n", nil,
			[]string{`tools.yaml:3: comfyui.auth.token_env: environment variable COMFYUI_TOKEN is not set (it must hold the ComfyUI token)`}},
		{"token empty", "comfyui:\n  auth:\n    token_env: COMFYUI_TOKEN\n", map[string]string{"COMFYUI_TOKEN": ""},
			[]string{`tools.yaml:3: comfyui.auth.token_env: environment variable COMFYUI_TOKEN is empty (it must hold the ComfyUI token)`}},
		{"token with a line break", "comfyui:\n  auth:\n    token_env: T\n", map[string]string{"T": "abc\r\nX-Evil: 1"},
			[]string{`tools.yaml:3: comfyui.auth.token_env: environment variable T contains a control character such as a line break, which cannot go in an HTTP header`}},
		{"token_env not a name", "comfyui:\n  auth:\n    token_env: my token\n", nil,
			[]string{`tools.yaml:3: comfyui.auth.token_env: "my token" is not an environment variable name`}},
		{"bad header and scheme", "comfyui:\n  auth:\n    header: \"X Key\"\n    scheme: Bearer token\n    token_env: T\n", map[string]string{"T": "x"}, []string{
			`tools.yaml:3: comfyui.auth.header: "X Key" is not an HTTP header name`,
			`tools.yaml:4: comfyui.auth.scheme: "Bearer token" is not an auth scheme (one word such as Bearer; "" sends the token alone)`,
		}},
		{"empty header", "comfyui:\n  auth:\n    header: \"\"\n    token_env: T\n", map[string]string{"T": "x"},
			[]string{`tools.yaml:3: comfyui.auth.header: "" is not an HTTP header name`}},

		// Substitution.
		{"unset variable", "comfyui:\n  url: http://a\n  timeout: ${TIMEOUT}\n", nil,
			[]string{`tools.yaml:3: comfyui.timeout: environment variable TIMEOUT is not set (write ${TIMEOUT:-default} to give a default)`}},
		{"unset variable in config", "tools:\n  - name: a\n    plugin: plugins/a.wasm\n    config:\n      list: [ok, '${NOPE}']\n", nil,
			[]string{`tools.yaml:5: tools[0].config.list[1]: environment variable NOPE is not set (write ${NOPE:-default} to give a default)`}},
		{"unterminated reference", "cache_dir: ${HOME\n", nil, []string{`tools.yaml:1: cache_dir: unterminated ${ in "${HOME" (write $$ for a literal $)`}},
		{"bad variable name", "cache_dir: ${1X}\n", nil,
			[]string{`tools.yaml:1: cache_dir: ${1X}: "1X" is not a variable name (letters, digits and _, not starting with a digit; a fallback is written ${NAME:-default})`}},
		{"substituted value is checked", "comfyui:\n  timeout: ${T}\n", map[string]string{"T": "soon"},
			[]string{`tools.yaml:2: comfyui.timeout: "soon" is not a duration (use e.g. 30s)`}},

		// Several problems come out sorted by line, whatever order they were found in.
		{"sorted", `tools:
  - name: bad name
    plugin: plugins/nope
comfyui:
  timeout: 30
  bogus: 1
`, nil, []string{
			`tools.yaml:2: tools[0].name: "bad name" is not a valid tool name (allowed: letters, digits, _ and -, at most 64)`,
			`tools.yaml:3: tools[0].plugin: plugins/nope does not exist`,
			`tools.yaml:5: comfyui.timeout: "30" is not a duration (use e.g. 30s)`,
			`tools.yaml:6: comfyui: unknown key "bogus" (known keys: auth, connect_timeout, max_response_bytes, timeout, url)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			cfg, err := Parse([]byte(tt.yaml), filepath.Join(dir, "tools.yaml"), MapEnv(tt.env))
			if err == nil {
				t.Fatalf("Parse succeeded, want errors:\n%s\ngot %s", strings.Join(tt.want, "\n"), dump(cfg))
			}
			if cfg != nil {
				t.Errorf("Parse returned a config with its error")
			}
			got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
			if want := strings.Join(tt.want, "\n"); got != want {
				t.Errorf("Parse error:\n got %s\nwant %s", got, want)
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != len(tt.want) {
				t.Errorf("errors.As(Errors) = %d problems, want %d", len(errs), len(tt.want))
			}
		})
	}
}

// laughs is a "billion laughs" document: each line aliases the one before ten times.
func laughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestErrorsInspectable(t *testing.T) {
	dir := fixture(t)
	file := filepath.Join(dir, "tools.yaml")
	_, err := Parse([]byte("tools:\n  - name: a\n    plugin: plugins/nope\n  - name: a\n    plugin: plugins/a.wasm\n"), file, nil)

	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("errors.As(%v, *Errors) = false", err)
	}
	want := Errors{
		{Pos: Pos{File: file, Line: 3, Column: 13}, Path: "tools[0].plugin", Msg: "plugins/nope does not exist"},
		{Pos: Pos{File: file, Line: 4, Column: 11}, Path: "tools[1].name", Msg: `duplicate tool name "a" (first declared at ` + file + `:2)`},
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d problems, want %d: %v", len(errs), len(want), err)
	}
	for i, e := range errs {
		if e.Pos != want[i].Pos || e.Path != want[i].Path || e.Msg != want[i].Msg {
			t.Errorf("problem %d = {%v %q %q}, want {%v %q %q}", i, e.Pos, e.Path, e.Msg, want[i].Pos, want[i].Path, want[i].Msg)
		}
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false; the missing plugin's cause should be reachable")
	}
	var first *Error
	if !errors.As(err, &first) || first != errs[0] {
		t.Errorf("errors.As(err, **Error) did not find the first problem")
	}
}

func TestLoad(t *testing.T) {
	dir := fixture(t)
	file := filepath.Join(dir, "tools.yaml")
	if err := os.WriteFile(file, []byte("tools:\n  - name: a\n    plugin: plugins/a.wasm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // plugin paths are relative to the file, not the working directory

	cfg, err := Load(file, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := filepath.Join(dir, "plugins", "a.wasm"); len(cfg.Tools) != 1 || cfg.Tools[0].Path != want {
		t.Errorf("Load: tools = %+v, want one with Path %s", cfg.Tools, want)
	}
	if cfg.File != file {
		t.Errorf("Load: File = %q, want %q", cfg.File, file)
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) || !IsNotFound(err) || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("Load(missing) = %v, want a NotFoundError naming the file", err)
	}

	// A plugin the file names that does not exist is a problem with the
	// file, not a missing configuration: callers must not replace it.
	if err := os.WriteFile(file, []byte("tools:\n  - name: a\n    plugin: plugins/nope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(file, nil)
	if err == nil || IsNotFound(err) || !strings.Contains(err.Error(), "tools.yaml:3") {
		t.Errorf("Load(missing plugin) = %v (IsNotFound %v), want an error at tools.yaml:3 that is not IsNotFound", err, IsNotFound(err))
	}
}

func TestLoadRelativeFile(t *testing.T) {
	dir := fixture(t)
	if err := os.WriteFile(filepath.Join(dir, "tools.yaml"), []byte("tools:\n  - {name: a, plugin: plugins/nope}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	_, err := Load("tools.yaml", nil)
	if want := `tools.yaml:2: tools[0].plugin: plugins/nope does not exist`; err == nil || err.Error() != want {
		t.Errorf("Load = %v, want %s", err, want)
	}
}

func TestDefaultCacheDirNeedsAHome(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	t.Setenv("LocalAppData", "")
	if _, err := os.UserCacheDir(); err == nil {
		t.Skip("this platform has a cache folder without HOME")
	}
	_, err := Parse([]byte("tools: []\n"), "tools.yaml", nil)
	if err == nil || !strings.HasPrefix(err.Error(), "tools.yaml: cache_dir: no default cache folder") {
		t.Errorf("Parse = %v, want a cache_dir problem", err)
	}
	if _, err := Parse([]byte("tools: []\n"), "tools.yaml", MapEnv(map[string]string{"EASEL_CACHE_DIR": "/c"})); err != nil {
		t.Errorf("Parse with EASEL_CACHE_DIR = %v, want no error", err)
	}
}

func TestAuthNeverPrintsToken(t *testing.T) {
	const secret = "sk-very-secret"
	dir := fixture(t)
	cfg, err := Parse([]byte("comfyui:\n  auth:\n    token_env: T\n"), filepath.Join(dir, "tools.yaml"), MapEnv(map[string]string{"T": secret}))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.ComfyUI.Auth
	if got := a.HeaderValue(); got != "Bearer "+secret {
		t.Fatalf("HeaderValue = %q", got)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "auth", a, "value", *a, "comfyui", cfg.ComfyUI)
	js, _ := json.Marshal(cfg)
	outputs := map[string]string{
		"%v *Auth":     fmt.Sprintf("%v", a),
		"%v Auth":      fmt.Sprintf("%v", *a),
		"%+v Config":   fmt.Sprintf("%+v", cfg),
		"%#v Auth":     fmt.Sprintf("%#v", *a),
		"%#v *Auth":    fmt.Sprintf("%#v", a),
		"%+v ComfyUI":  fmt.Sprintf("%+v", cfg.ComfyUI),
		"%s Auth":      fmt.Sprintf("%s", *a),
		"slog":         logged.String(),
		"json.Marshal": string(js),
		"String":       a.String(),
		"LogValue":     a.LogValue().String(),
	}
	for how, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("%s leaks the token: %s", how, out)
		}
	}
	if want := "Authorization: Bearer [REDACTED] (from $T)"; a.String() != want {
		t.Errorf("String = %q, want %q", a.String(), want)
	}
}

func TestHeaderValue(t *testing.T) {
	tests := []struct {
		auth Auth
		want string
	}{
		{Auth{Header: "Authorization", Scheme: "Bearer", Token: "t"}, "Bearer t"},
		{Auth{Header: "Authorization", Scheme: "Basic", Token: "dXNlcjpw"}, "Basic dXNlcjpw"},
		{Auth{Header: "X-Api-Key", Scheme: "", Token: "t"}, "t"},
	}
	for _, tt := range tests {
		if got := tt.auth.HeaderValue(); got != tt.want {
			t.Errorf("%v.HeaderValue() = %q, want %q", tt.auth, got, tt.want)
		}
	}
}

func TestPluginKindString(t *testing.T) {
	tests := []struct {
		kind PluginKind
		want string
	}{
		{PluginWasm, "wasm"},
		{PluginGoSource, "go-source"},
		{PluginBuiltin, "builtin"},
		{0, "PluginKind(0)"},
	}
	for _, tt := range tests {
		if got := tt.kind.String(); got != tt.want {
			t.Errorf("PluginKind(%d).String() = %q, want %q", int(tt.kind), got, tt.want)
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "plugins", "p"), 0o755)
	os.WriteFile(filepath.Join(dir, "plugins", "p", "main.go"), []byte("package main\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "flow.json"), []byte("{}"), 0o644)
	good := "tools:\n  - name: t\n    plugin: plugins/p\n    files:\n      workflow: flow.json\n"
	cfg, err := Parse([]byte(good), filepath.Join(dir, "tools.yaml"), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Tools[0].Files["workflow"]; got != filepath.Join(dir, "flow.json") {
		t.Fatalf("files[workflow] = %q", got)
	}
	bad := []struct{ yaml, want string }{
		{"tools:\n  - name: t\n    plugin: plugins/p\n    files:\n      workflow: nope.json\n", `tools.yaml:5: tools[0].files.workflow: nope.json does not exist`},
		{"tools:\n  - name: t\n    plugin: plugins/p\n    files:\n      dir: plugins\n", `tools.yaml:5: tools[0].files.dir: plugins is not a regular file`},
		{"tools:\n  - name: t\n    plugin: plugins/p\n    files:\n      \"a/b\": flow.json\n", `tools.yaml:5: tools[0].files: a/b is not a valid file name`},
		{"tools:\n  - name: t\n    plugin: plugins/p\n    files: [flow.json]\n", `tools.yaml:4: tools[0].files: expected a mapping of file names to paths`},
	}
	for _, tt := range bad {
		_, err := Parse([]byte(tt.yaml), filepath.Join(dir, "tools.yaml"), MapEnv(nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

func mustRoute(s string) policy.Route {
	r, err := policy.ParseRoute(s)
	if err != nil {
		panic(err)
	}
	return r
}
