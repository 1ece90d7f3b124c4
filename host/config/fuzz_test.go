package config

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics or hangs, and that what it returns keeps
// its promises: either a config whose values are all valid, or problems that are
// sorted, one line each.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"",
		"tools: []\n",
		"comfyui:\n  url: http://127.0.0.1:8188\n  auth:\n    token_env: T\n  timeout: 30s\n  connect_timeout: 5s\n  max_response_bytes: 64MiB\ncache_dir: \"\"\ntools:\n  - name: a\n    plugin: plugins/a.wasm\n    config:\n      any: thing\n",
		"tools:\n  - name: src\n    plugin: plugins/src\n  - name: src\n    plugin: plugins/nope\n",
		"tools:\n  - {name: a, plugin: plugins/a.wasm, config: {n: 1, f: 1.5, b: true, z: ~, l: [1, {x: y}]}}\n",
		"comfyui: {timeout: ${T:-30s}, url: \"http://${H:-h}:1\"}\ncache_dir: $$x\n",
		"a: &a [x, x]\nb: &b [*a, *a]\ntools: *b\n",
		"tools: &t [*t]\n",
		"comfyui:\n  <<: {url: http://a}\n",
		"? [a]\n: b\n",
		"tool:\n  - nmae: x\n",
		"comfyui:\n\turl: a\n",
		"tools: []\n---\ntools: []\n",
		"tools:\n  - name: a\n    plugin: plugins/a.wasm\n    config: {x: !!int abc, y: .nan, \"k\\nl\": 2}\n",
		"tools:\n  - name: a\n    plugin: plugins/a.wasm\n    limits: {timeout: 1s, memory: 64MiB, max_output_bytes: 1KiB, max_response_bytes: 2GiB, max_instances: 99999}\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	for _, name := range []string{"plugins/a.wasm", "plugins/src/main.go"} {
		writeFile(f, filepath.Join(dir, name), "")
	}
	env := MapEnv(map[string]string{"T": "token", "H": "host", EnvCacheDir: "/cache"})
	file := filepath.Join(dir, "tools.yaml")

	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, file, env)
		if err != nil {
			checkErrors(t, err)
			return
		}
		checkConfig(t, cfg)
	})
}

func checkErrors(t *testing.T, err error) {
	var errs Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		t.Fatalf("error %T %v is not a non-empty Errors", err, err)
	}
	for i, e := range errs {
		if e.Msg == "" || strings.ContainsAny(e.Error(), "\r\n") {
			t.Errorf("problem %d is not one non-empty line: %q", i, e.Error())
		}
		if i > 0 && errs[i-1].Pos.Line > e.Pos.Line {
			t.Errorf("problems not sorted by line: %v before %v", errs[i-1].Pos, e.Pos)
		}
	}
}

func checkConfig(t *testing.T, cfg *Config) {
	if cfg == nil {
		t.Fatal("nil config without an error")
	}
	if _, problem := baseURL(cfg.ComfyUI.URL); problem != "" {
		t.Errorf("URL %q %s", cfg.ComfyUI.URL, problem)
	}
	if cfg.ComfyUI.Timeout <= 0 || cfg.ComfyUI.ConnectTimeout <= 0 || cfg.ComfyUI.MaxResponseBytes <= 0 {
		t.Errorf("non-positive limits: %+v", cfg.ComfyUI)
	}
	if !filepath.IsAbs(cfg.CacheDir) {
		t.Errorf("cache dir %q is not absolute", cfg.CacheDir)
	}
	seen := map[string]bool{}
	for _, tool := range cfg.Tools {
		if !validToolName(tool.Name) || seen[tool.Name] {
			t.Errorf("tool name %q invalid or repeated", tool.Name)
		}
		seen[tool.Name] = true
		if tool.Kind != PluginWasm && tool.Kind != PluginGoSource || !filepath.IsAbs(tool.Path) {
			t.Errorf("tool %s: kind %v, path %q", tool.Name, tool.Kind, tool.Path)
		}
		var obj map[string]any
		if err := json.Unmarshal(tool.Config, &obj); err != nil || obj == nil {
			t.Errorf("tool %s: config %s is not a JSON object: %v", tool.Name, tool.Config, err)
		}
	}
}
