package jobs

import (
	"encoding/json"
	"fmt"
	"strings"
)

// tracker turns ComfyUI's execution events for one prompt into monotonic
// progress: nodes finished (cached ones included) plus the fraction of the
// current node's steps, out of the number of nodes in the prompt.
type tracker struct {
	started  bool              // the prompt graph is known
	classes  map[string]string // node id → class_type
	finished map[string]bool
	cached   int
	current  string  // node executing now
	value    float64 // its step progress
	max      float64
	last     float64 // last progress reported, to stay monotonic
}

// setPrompt learns the graph from the /queue item.
func (t *tracker) setPrompt(raw json.RawMessage) {
	var graph map[string]struct {
		ClassType string `json:"class_type"`
	}
	if json.Unmarshal(raw, &graph) != nil || len(graph) == 0 {
		return
	}
	t.started = true
	t.classes = make(map[string]string, len(graph))
	for id, n := range graph {
		t.classes[id] = n.ClassType
	}
}

func (t *tracker) total() float64 { return float64(max(len(t.classes), len(t.finished), 1)) }

func (t *tracker) markFinished(node string) {
	if t.finished == nil {
		t.finished = map[string]bool{}
	}
	t.finished[node] = true
}

func (t *tracker) pendingProgress(position int) Progress {
	return Progress{Progress: t.last, Total: t.total(), Message: fmt.Sprintf("queued, position %d", position)}
}

// event updates the tracker from one WebSocket message for this prompt and
// returns the progress to report, if any.
func (t *tracker) event(typ string, data eventData) (Progress, bool) {
	switch typ {
	case "execution_start":
		return t.progress("started"), true
	case "execution_cached":
		for _, n := range data.Nodes {
			t.markFinished(n)
		}
		t.cached = len(data.Nodes)
		if t.cached == 0 {
			return Progress{}, false
		}
		return t.progress(fmt.Sprintf("%d nodes cached", t.cached)), true
	case "executing":
		if data.Node == nil {
			return Progress{}, false
		}
		if t.current != "" && t.current != *data.Node {
			t.markFinished(t.current)
		}
		t.current, t.value, t.max = *data.Node, 0, 0
		return t.progress("running " + t.nodeName(t.current)), true
	case "progress":
		if data.Node != nil {
			t.current = *data.Node
		}
		t.value, t.max = data.Value, data.Max
		return t.progress(fmt.Sprintf("running %s: step %s/%s", t.nodeName(t.current), num(t.value), num(t.max))), true
	case "executed":
		if data.Node != nil {
			t.markFinished(*data.Node)
		}
	case "progress_state":
		for id, st := range data.NodeStates {
			if st.State == "finished" {
				t.markFinished(id)
			}
		}
	}
	return Progress{}, false
}

func (t *tracker) nodeName(id string) string {
	if c := t.classes[id]; c != "" {
		return "node " + id + " (" + c + ")"
	}
	return "node " + id
}

func (t *tracker) progress(msg string) Progress {
	p := float64(len(t.finished))
	if t.current != "" && !t.finished[t.current] && t.max > 0 {
		p += min(t.value/t.max, 1)
	}
	p = max(p, t.last)
	t.last = p
	done := fmt.Sprintf("%d of %d nodes done", len(t.finished), int(t.total()))
	if t.cached > 0 {
		done += fmt.Sprintf(" (%d cached)", t.cached)
	}
	return Progress{Progress: p, Total: t.total(), Message: strings.TrimSpace(msg + "; " + done)}
}

func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}
