package sdk

import (
	"testing"
	"time"
)

func TestAwaitAndResume(t *testing.T) {
	type in struct {
		PromptID string `json:"prompt_id"`
	}
	type out struct {
		Status string `json:"status"`
		Saved  string `json:"saved"`
	}
	tool := Tool[in, out]{
		Name:        "waiter",
		Description: "waits",
		Handler: func(c *Call, a in) (out, error) {
			r := c.Resumed()
			if r == nil {
				return out{}, AwaitJob(a.PromptID, 90*time.Second, map[string]string{"k": "v"})
			}
			var st map[string]string
			if err := r.State(&st); err != nil {
				return out{}, err
			}
			return out{Status: r.Job.Status, Saved: st["k"]}, nil
		},
	}
	inst := newInstance(&fakeHost{t: t}, mustCompile(t, tool))
	got := string(inst.call([]byte(`{"tool":"waiter","arguments":{"prompt_id":"p1"}}`)))
	want := `{"await":{"job":{"prompt_id":"p1","timeout_ms":90000},"state":{"k":"v"}}}`
	if got != want {
		t.Fatalf("first run = %s, want %s", got, want)
	}
	got = string(inst.call([]byte(`{"tool":"waiter","arguments":{"prompt_id":"p1"},"resume":{"job":{"prompt_id":"p1","status":"done","waited_ms":12},"state":{"k":"v"}}}`)))
	want = `{"result":{"structuredContent":{"status":"done","saved":"v"}}}`
	if got != want {
		t.Fatalf("resumed run = %s, want %s", got, want)
	}
}

func TestAwaitWithoutState(t *testing.T) {
	r, err := parseResume(map[string]any{"job": map[string]any{"status": "timed_out", "state": "running"}})
	if err != nil || r.Job.Status != JobTimedOut || r.Job.State != "running" {
		t.Fatalf("parseResume = %+v, %v", r, err)
	}
	var v any
	if err := r.State(&v); err == nil {
		t.Fatal("State without saved state returned no error")
	}
}
