package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func newCall(h *fakeHost, tool string) *Call {
	return newInstance(h, &registration{name: tool}).newCall(tool)
}

type toolConfig struct {
	Checkpoint string   `json:"checkpoint"`
	MaxSteps   int      `json:"max_steps" default:"50" maximum:"200"`
	Samplers   []string `json:"samplers,omitempty"`
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  string
		want toolConfig
		err  string
	}{
		{"defaults", `{"tool":"t","config":{"checkpoint":"sd15.safetensors"}}`, toolConfig{Checkpoint: "sd15.safetensors", MaxSteps: 50}, ""},
		{"full", `{"tool":"t","config":{"checkpoint":"c","max_steps":80,"samplers":["euler"]}}`, toolConfig{Checkpoint: "c", MaxSteps: 80, Samplers: []string{"euler"}}, ""},
		{"missing key", `{"tool":"t","config":{}}`, toolConfig{}, `tool t is misconfigured in tools.yaml: config key "checkpoint" is required`},
		{"absent mapping", `{"tool":"t"}`, toolConfig{}, `tool t is misconfigured in tools.yaml: config key "checkpoint" is required`},
		{"typo", `{"tool":"t","config":{"checkpoint":"c","max_step":80}}`, toolConfig{}, `tool t is misconfigured in tools.yaml: unknown config key "max_step" (the config takes: checkpoint, max_steps, samplers)`},
		{"out of range", `{"tool":"t","config":{"checkpoint":"c","max_steps":500}}`, toolConfig{}, `tool t is misconfigured in tools.yaml: config key "max_steps": must be at most 200, got 500`},
		{"not an object", `{"tool":"t","config":[1]}`, toolConfig{}, `tool t is misconfigured in tools.yaml: the config must be a JSON object, got an array`},
		{"host sent garbage", `{"tool":`, toolConfig{}, "sdk: the host's config is not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got toolConfig
			err := newCall(&fakeHost{t: t, cfg: tt.cfg}, "t").Config(&got)
			switch {
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v, want one containing %q", err, tt.err)
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err == "" && !reflect.DeepEqual(got, tt.want):
				t.Errorf("config %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestConfigUntypedAndCached(t *testing.T) {
	h := &fakeHost{t: t, cfg: `{"tool":"t","config":{"seed":18446744073709551615,"nested":{"a":1}}}`}
	c := newCall(h, "t")
	var m map[string]any
	if err := c.Config(&m); err != nil {
		t.Fatal(err)
	}
	if m["seed"] != json.Number("18446744073709551615") {
		t.Errorf("seed = %#v, want a json.Number", m["seed"])
	}
	m["nested"].(map[string]any)["a"] = "changed"
	var again map[string]any
	if err := c.Config(&again); err != nil {
		t.Fatal(err)
	}
	if again["nested"].(map[string]any)["a"] != json.Number("1") {
		t.Errorf("a handler's change to its config leaked into the next Config: %v", again)
	}
	var raw json.RawMessage
	if err := c.Config(&raw); err != nil || string(raw) != `{"nested":{"a":1},"seed":18446744073709551615}` {
		t.Errorf("Config(&raw) = %s, %v", raw, err)
	}
	if h.cfgCalls != 1 {
		t.Errorf("config fetched %d times, want once", h.cfgCalls)
	}
	for _, v := range []any{nil, m, (*toolConfig)(nil)} {
		if err := c.Config(v); err == nil || !strings.Contains(err.Error(), "Config needs a non-nil pointer") {
			t.Errorf("Config(%T): error %v", v, err)
		}
	}
	if err := c.Config(new(chan int)); err == nil || !strings.Contains(err.Error(), "type chan int is not supported") {
		t.Errorf("Config(*chan int): error %v", err)
	}
}

func TestLogger(t *testing.T) {
	h := &fakeHost{t: t}
	log := newCall(h, "t").Logger()
	log.Debug("d")
	log.Info("queued", "prompt_id", "p1", "number", 3)
	log.Warn("slow", "took", 1500*time.Millisecond)
	log.Error("failed", "err", errors.New("connection refused"), "empty", "")
	log.Log(context.Background(), slog.Level(-8), "trace")
	log.Log(context.Background(), slog.Level(12), "fatal")
	log.With("run", 7).WithGroup("req").Info("sent", "path", "/queue", slog.Group("q", "max", 5), "note", `say "hi"`)
	log.WithGroup("").With(slog.Group("", "flat", true)).Info("grouped", "at", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	want := []string{
		"0 d",
		"1 queued prompt_id=p1 number=3",
		"2 slow took=1.5s",
		`3 failed err="connection refused" empty=""`,
		"0 trace",
		"3 fatal",
		`1 sent run=7 req.path=/queue req.q.max=5 req.note="say \"hi\""`,
		"1 grouped flat=true at=2025-01-02T03:04:05Z",
	}
	if !reflect.DeepEqual(h.logs, want) {
		t.Errorf("logs\n got: %q\nwant: %q", h.logs, want)
	}
}

func TestProgress(t *testing.T) {
	h := &fakeHost{t: t}
	c := newCall(h, "t")
	c.Progress(3, 10, "sampling")
	c.Progress(0.5, 0, "")
	c.Progress(1e21, -1, `node "KSampler"`)
	c.Progress(math.NaN(), 10, "ignored")
	c.Progress(1, math.Inf(1), "ignored")
	want := []string{
		`{"progress":3,"total":10,"message":"sampling"}`,
		`{"progress":0.5}`,
		`{"progress":1e+21,"message":"node \"KSampler\""}`,
	}
	if !reflect.DeepEqual(h.progresses, want) {
		t.Errorf("progress\n got: %q\nwant: %q", h.progresses, want)
	}
	for _, p := range h.progresses {
		if !json.Valid([]byte(p)) {
			t.Errorf("progress %s is not JSON", p)
		}
	}
}

func TestCallComfyUIUsesHost(t *testing.T) {
	h := &fakeHost{t: t, respond: answer(t, 200, "application/json", `{"queue_running":[]}`)}
	c := newCall(h, "t")
	if c.ComfyUI() != c.ComfyUI() {
		t.Error("ComfyUI() returns a new client each time")
	}
	if err := c.ComfyUI().GetJSON("/queue", nil, nil); err != nil || len(h.requests) != 1 {
		t.Errorf("GetJSON: %v, %d requests", err, len(h.requests))
	}
}

func TestFileAndClientID(t *testing.T) {
	h := &fakeHost{t: t, cfg: `{"tool":"fake","config":{},"client_id":"easel-abc"}`, files: map[string]string{"workflow": `{"1":{}}`}}
	in := newInstance(h, &registration{name: "fake"})
	c := in.newCall("fake")
	if got := c.ComfyUI().ClientID(); got != "easel-abc" {
		t.Errorf("ClientID = %q", got)
	}
	data, err := c.File("workflow")
	if err != nil || string(data) != `{"1":{}}` {
		t.Errorf("File(workflow) = %q, %v", data, err)
	}
	if _, err := c.File("secrets"); err == nil || !strings.Contains(err.Error(), `file "secrets" is not granted`) {
		t.Errorf("File(secrets) error = %v", err)
	}
}
