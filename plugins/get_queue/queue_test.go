package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

func decodeQueue(t *testing.T, raw []byte) *comfy.Queue {
	t.Helper()
	var q comfy.Queue
	if err := json.Unmarshal(raw, &q); err != nil {
		t.Fatal(err)
	}
	return &q
}

// ids lists the jobs as "id:running" or "id@position".
func ids(q Queue) string {
	var s []string
	for _, j := range q.Jobs {
		if j.State == "running" {
			s = append(s, j.PromptID+":running")
		} else {
			s = append(s, fmt.Sprintf("%s@%d", j.PromptID, j.Position))
		}
	}
	return strings.Join(s, " ")
}

func TestFromRecordedQueues(t *testing.T) {
	tests := []struct {
		file             string
		running, pending int
		jobs             string
	}{
		{"get_queue_idle.json", 0, 0, ""},
		{"get_queue_running_and_pending.json", 1, 2, "ee030849-4f9a-435b-8ab7-74f049cb7433:running " +
			"fb57f34f-b438-46f4-b2a3-6352bbf815d1@1 60918eac-f65b-43a2-b580-81c7f765065c@2"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out := fromQueue(decodeQueue(t, comfyuitest.Recording(t, tt.file)), false)
			if got := ids(out); got != tt.jobs {
				t.Errorf("jobs = %q, want %q", got, tt.jobs)
			}
			if out.RunningCount != tt.running || out.PendingCount != tt.pending {
				t.Errorf("counts = %d running, %d pending; want %d, %d", out.RunningCount, out.PendingCount, tt.running, tt.pending)
			}
		})
	}
}

func TestJobSummary(t *testing.T) {
	q := decodeQueue(t, comfyuitest.Recording(t, "get_queue_running_and_pending.json"))
	j := fromQueue(q, false).Jobs[0]
	if j.Number != 5 || j.NodeCount != 3 || strings.Join(j.OutputNodes, ",") != "3" || j.ClientID != "rec-client-a" || j.Workflow != nil {
		t.Errorf("summary = %+v", j)
	}
	j = fromQueue(q, true).Jobs[0]
	var graph map[string]struct {
		ClassType string `json:"class_type"`
	}
	if err := json.Unmarshal(j.Workflow, &graph); err != nil || graph["2"].ClassType != "ImageBlur" {
		t.Errorf("workflow = %s (%v)", j.Workflow, err)
	}
}

// Pending items arrive as ComfyUI's unsorted heap; positions follow
// (number, prompt_id), front-of-queue (negative) numbers first.
func TestPendingInExecutionOrder(t *testing.T) {
	raw := `{"queue_running": [], "queue_pending": [[7, "b", {}, {}, []], [-2, "z", {}, {}, []], [7, "a", {}, {}, []], [5.0, "c", {}, {}, []]]}`
	out := fromQueue(decodeQueue(t, []byte(raw)), false)
	if got, want := ids(out), "z@1 c@2 a@3 b@4"; got != want {
		t.Errorf("pending = %q, want %q", got, want)
	}
}

// ComfyUI keeps comfy.org credentials in extra_data while a job is queued;
// the tool must show client_id and nothing else of it, even with workflows.
func TestNoSecretsFromExtraData(t *testing.T) {
	raw := `{"queue_running": [[1, "p", {"1": {}}, {"client_id": "c", "auth_token_comfy_org": "SECRET1", "api_key_comfy_org": "SECRET2"}, ["1"]]], "queue_pending": []}`
	out := fromQueue(decodeQueue(t, []byte(raw)), true)
	b, _ := json.Marshal(out)
	if strings.Contains(string(b), "SECRET") || out.Jobs[0].ClientID != "c" {
		t.Fatalf("result leaks extra_data or loses client_id: %s", b)
	}
}

// Short items (a tolerant decode leaves missing elements zero) and odd
// extra_data still give a well-formed job, with lists never null.
func TestTolerantItems(t *testing.T) {
	raw := `{"queue_running": [[3, "short"]], "queue_pending": [[4, "odd", [], {"client_id": 12}, ["9"]]]}`
	out := fromQueue(decodeQueue(t, []byte(raw)), true)
	r, p := out.Jobs[0], out.Jobs[1]
	if r.OutputNodes == nil || r.NodeCount != 0 || r.Workflow != nil || r.ClientID != "" {
		t.Errorf("short item = %+v", r)
	}
	if p.NodeCount != 0 || p.ClientID != "" || strings.Join(p.OutputNodes, ",") != "9" {
		t.Errorf("odd item = %+v", p)
	}
}
