package jobs

import (
	"encoding/json"
	"strings"
	"testing"
)

func node(id string) *string { return &id }

// The reviewer's sequences: each call's reports must strictly increase
// (MCP), whatever the raw values do.
func TestLadderStrictlyIncreases(t *testing.T) {
	tests := []struct {
		name string
		in   []Progress
		want []float64 // the values sent; fewer than in when some are dropped
	}{
		{"queued twice, started, first node",
			[]Progress{{0, 3, "queued, position 1"}, {0, 3, "queued, position 1"}, {0, 3, "started"}, {0, 3, "running node 1"}, {1, 3, "running node 2"}},
			[]float64{0, 0.0625, 0.0625 + 0.9375/16, 1}},
		{"last step then the next node at the same value",
			[]Progress{{1, 3, "step 1/1"}, {1, 3, "running node 8"}, {2, 3, "running node 9"}},
			[]float64{1, 1.0625, 2}},
		{"a value that steps back is nudged up, not sent back",
			[]Progress{{2.5, 3, "step 3/6"}, {2, 3, "running node 4"}},
			[]float64{2.5, 2.53125}},
		{"nothing left at the total: dropped",
			[]Progress{{3, 3, "step 1/1"}, {3, 3, "running node 9"}},
			[]float64{3}},
		{"a repeat says nothing new: dropped",
			[]Progress{{0, 3, "queued, position 2"}, {0, 3, "queued, position 2"}, {0, 3, "queued, position 1"}},
			[]float64{0, 0.0625}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l ladder
			var got []float64
			for _, p := range tt.in {
				if q, ok := l.next(p); ok {
					got = append(got, q.Progress)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("sent %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] || i > 0 && got[i] <= got[i-1] {
					t.Fatalf("sent %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// The tracker reports nothing until the graph gives it a stable total,
// then what it held back; cached nodes count as done.
func TestTrackerTotalAndCachedNodes(t *testing.T) {
	var tr tracker
	tr.markCached([]string{"4", "5", "6", "7"}) // execution_cached, before the wait began
	if _, ok := tr.event("executing", eventData{Node: node("3")}); ok {
		t.Fatal("reported before the graph was known: the total would change later")
	}
	graph := json.RawMessage(`{"3":{"class_type":"KSampler"},"4":{"class_type":"CheckpointLoaderSimple"},"5":{"class_type":"EmptyLatentImage"},
		"6":{"class_type":"CLIPTextEncode"},"7":{"class_type":"CLIPTextEncode"},"8":{"class_type":"VAEDecode"},"9":{"class_type":"SaveImage"}}`)
	if !tr.setPrompt(graph) {
		t.Fatal("graph not learned")
	}
	p, ok := tr.seenRunning(true)
	if !ok || p.Total != 7 || p.Progress != 4 || !strings.HasPrefix(p.Message, "running node 3 (KSampler); 4 of 7 nodes done (4 cached)") {
		t.Fatalf("held report = %+v, %v; want node 3 running, 4 of 7 done", p, ok)
	}
	p, _ = tr.event("progress", eventData{Node: node("3"), Value: 1, Max: 4})
	if p.Progress != 4.25 || p.Total != 7 || !strings.Contains(p.Message, "step 1/4; 4 of 7") {
		t.Fatalf("step report = %+v", p)
	}
	// Nodes ComfyUI expands at run time are not in the total.
	tr.event("progress_state", eventData{NodeStates: map[string]struct {
		State string `json:"state"`
	}{"3.0.1": {"finished"}}})
	if p, _ = tr.event("executing", eventData{Node: node("8")}); p.Progress != 5 || p.Total != 7 {
		t.Fatalf("next node = %+v, want 5 of 7", p)
	}
}

// A job queued by someone else sends us no events: /queue showing it
// running is reported once, and a stale snapshot never says "queued"
// after the job started.
func TestTrackerForeignJobRunningOnce(t *testing.T) {
	var tr tracker
	tr.setPrompt(json.RawMessage(`{"1":{"class_type":"EmptyImage"}}`))
	if p, ok := tr.queued(1); !ok || !strings.HasPrefix(p.Message, "queued, position 1") {
		t.Fatalf("queued = %+v, %v", p, ok)
	}
	if p, ok := tr.seenRunning(false); !ok || !strings.HasPrefix(p.Message, "running;") {
		t.Fatalf("running = %+v, %v", p, ok)
	}
	if p, ok := tr.seenRunning(false); ok {
		t.Fatalf("running reported twice: %+v", p)
	}
	if p, ok := tr.queued(1); ok {
		t.Fatalf("queued after running: %+v", p)
	}
}
