package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBackends(t *testing.T) {
	dir := fixture(t)
	yaml := `backends:
  - name: gpu0
    url: http://10.0.0.5:8188/
    weight: 2
    labels: {gpu: 24gb, vram: 24}
  - name: cloud-1
    url: https://pod.example/comfy
    timeout: 1m
    auth: {token_env: POD_TOKEN}
tools:
  - name: a
    plugin: plugins/a.wasm
    backend_labels: {gpu: 24gb}
`
	cfg, err := Parse([]byte(yaml), filepath.Join(dir, "tools.yaml"), MapEnv(map[string]string{"POD_TOKEN": "s3cret", "COMFYUI_URL": "http://ignored:1"}))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "tools.yaml")
	want := []Backend{
		{Name: "gpu0", Weight: 2, Labels: map[string]string{"gpu": "24gb", "vram": "24"}, Pos: Pos{file, 2, 5},
			ComfyUI: ComfyUI{URL: "http://10.0.0.5:8188", Timeout: DefaultTimeout, ConnectTimeout: DefaultConnectTimeout, MaxResponseBytes: DefaultMaxResponseBytes}},
		{Name: "cloud-1", Weight: 1, Pos: Pos{file, 6, 5},
			ComfyUI: ComfyUI{URL: "https://pod.example/comfy", Timeout: time.Minute, ConnectTimeout: DefaultConnectTimeout, MaxResponseBytes: DefaultMaxResponseBytes,
				Auth: &Auth{Header: DefaultAuthHeader, Scheme: DefaultAuthScheme, TokenEnv: "POD_TOKEN", Token: "s3cret"}}},
	}
	if !reflect.DeepEqual(cfg.BackendList(), want) {
		t.Errorf("backends\n got %+v\nwant %+v", cfg.BackendList(), want)
	}
	if got := cfg.Tools[0].BackendLabels; !reflect.DeepEqual(got, map[string]string{"gpu": "24gb"}) {
		t.Errorf("backend_labels = %v", got)
	}
}

func TestBackendListOfSingleServer(t *testing.T) {
	dir := fixture(t)
	cfg, err := Parse([]byte("comfyui:\n  url: http://h:1\n"), filepath.Join(dir, "tools.yaml"), MapEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.BackendList()
	if len(got) != 1 || got[0].Name != DefaultBackendName || got[0].ComfyUI != cfg.ComfyUI || got[0].Weight != 1 {
		t.Errorf("BackendList() = %+v, want the comfyui: server as one backend", got)
	}
	if len(cfg.Backends) != 0 {
		t.Errorf("Backends = %+v, want none for a comfyui: file", cfg.Backends)
	}
}

func TestBackendErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"missing url and name", "backends:\n  - weight: 1\n", []string{
			`tools.yaml:2: backends[0]: missing required key "name"`,
			`tools.yaml:2: backends[0]: missing required key "url"`,
		}},
		{"bad url", "backends:\n  - name: a\n    url: ftp://x\n", []string{`tools.yaml:3: backends[0].url: "ftp://x" is not an absolute http or https URL (use e.g. http://127.0.0.1:8188)`}},
		{"duplicate name", "backends:\n  - {name: a, url: 'http://x'}\n  - {name: a, url: 'http://y'}\n", []string{
			`tools.yaml:3: backends[1].name: duplicate backend name "a" (first declared at tools.yaml:2)`,
		}},
		{"dotted name", "backends:\n  - {name: a.b, url: 'http://x'}\n", []string{
			`tools.yaml:2: backends[0].name: a.b is not a valid backend name (allowed: letters, digits, _ and -, at most 32)`,
		}},
		{"bad weight", "backends:\n  - {name: a, url: 'http://x', weight: 0}\n", []string{
			`tools.yaml:2: backends[0].weight: 0 is not a weight (a whole number from 1 to 1000; 2 means twice the share of work)`,
		}},
		{"labels not a mapping", "backends:\n  - {name: a, url: 'http://x', labels: [gpu]}\n", []string{
			`tools.yaml:2: backends[0].labels: expected a mapping of label names to values, e.g. {gpu: 24gb}, got a list`,
		}},
		{"unknown key", "backends:\n  - {name: a, url: 'http://x', wieght: 2}\n", []string{
			`tools.yaml:2: backends[0]: unknown key "wieght" (did you mean "weight"?)`,
		}},
		{"empty list", "backends: []\n", []string{`tools.yaml:1: backends: empty list: name at least one ComfyUI server, or use comfyui: for one`}},
		{"both forms", "comfyui: {url: 'http://x'}\nbackends:\n  - {name: a, url: 'http://y'}\n", []string{
			`tools.yaml:1: comfyui: comfyui: and backends: cannot both be set: list every server under backends (each with its own url, auth and timeouts)`,
		}},
		{"labels nobody has", "backends:\n  - {name: a, url: 'http://x', labels: {gpu: 12gb}}\ntools:\n  - name: t\n    plugin: plugins/a.wasm\n    backend_labels: {gpu: 24gb}\n", []string{
			`tools.yaml:4: tools[0].backend_labels: no backend has the labels gpu=24gb (backends: a {gpu=12gb})`,
		}},
		{"labels with one server", "tools:\n  - name: t\n    plugin: plugins/a.wasm\n    backend_labels: {gpu: 24gb}\n", []string{
			`tools.yaml:2: tools[0].backend_labels: no backend has the labels gpu=24gb (backends: comfyui)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := fixture(t)
			_, err := Parse([]byte(tt.yaml), filepath.Join(dir, "tools.yaml"), MapEnv(nil))
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.Split(strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), ""), "\n")
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
