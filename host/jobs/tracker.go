package jobs

import (
	"encoding/json"
	"fmt"
	"math"
)

// tracker turns ComfyUI's execution events for one prompt into progress:
// nodes finished (cached ones included) plus the fraction of the current
// node's steps, out of the number of nodes in the prompt.
//
// The total must be stable for a call's whole life (MCP), and it is known
// only once /queue has shown the prompt's graph: until then the tracker
// keeps count but reports nothing, and holds the message it would have
// sent, which goes out (naming the nodes) as soon as the graph is known. Its values can still
// stand still or step back (a new node starts where the last step ended);
// each wait's [ladder] makes them strictly increasing.
type tracker struct {
	classes  map[string]string // node id → class_type; nil until the graph is known
	finished map[string]bool
	cached   int
	current  string  // node executing now
	value    float64 // its step progress
	max      float64
	running  bool // ComfyUI has begun executing the prompt
	held     bool // a report was held back because the graph was unknown
}

// setPrompt learns the graph from the /queue item, once; it reports
// whether it learned it now.
func (t *tracker) setPrompt(raw json.RawMessage) bool {
	if t.classes != nil {
		return false
	}
	var graph map[string]struct {
		ClassType string `json:"class_type"`
	}
	if json.Unmarshal(raw, &graph) != nil || len(graph) == 0 {
		return false
	}
	t.classes = make(map[string]string, len(graph))
	for id, n := range graph {
		t.classes[id] = n.ClassType
	}
	return true
}

func (t *tracker) total() float64 { return float64(len(t.classes)) }

// done counts the finished nodes of the graph: ComfyUI also reports nodes
// it expands at run time, which the total does not count.
func (t *tracker) done() int {
	n := 0
	for id := range t.finished {
		if _, ok := t.classes[id]; ok {
			n++
		}
	}
	return n
}

func (t *tracker) markFinished(node string) {
	if t.finished == nil {
		t.finished = map[string]bool{}
	}
	t.finished[node] = true
}

// markCached records execution_cached: the nodes whose cached outputs
// ComfyUI reuses are done before anything runs.
func (t *tracker) markCached(nodes []string) {
	for _, n := range nodes {
		t.markFinished(n)
	}
	t.cached = len(nodes)
}

// queued is the report for a job /queue shows pending. A snapshot taken
// before the job started can arrive after its first event: a running job
// is never reported queued again.
func (t *tracker) queued(position int) (Progress, bool) {
	if t.running {
		return Progress{}, false
	}
	return t.progress(fmt.Sprintf("queued, position %d", position))
}

// seenRunning is the report for a job /queue shows running. Events tell
// more, but ComfyUI sends them only to the client that queued the prompt
// (API.md 5.2): for a job queued by the web UI, this "running" is all a
// waiter learns until the end. learned says the graph was just learned,
// so that a report held back for it goes out now.
func (t *tracker) seenRunning(learned bool) (Progress, bool) {
	switch {
	case !t.running:
		t.running = true
		return t.progress("running")
	case learned && t.held:
		return t.progress(t.describe())
	}
	return Progress{}, false
}

// event updates the tracker from one WebSocket message for this prompt and
// returns the progress to report, if any.
func (t *tracker) event(typ string, data eventData) (Progress, bool) {
	t.running = true
	switch typ {
	case "execution_start":
		return t.progress("started")
	case "execution_cached":
		t.markCached(data.Nodes)
		if t.cached == 0 {
			return Progress{}, false
		}
		return t.progress(fmt.Sprintf("%d nodes cached", t.cached))
	case "executing":
		if data.Node == nil {
			return Progress{}, false
		}
		if t.current != "" && t.current != *data.Node {
			t.markFinished(t.current)
		}
		t.current, t.value, t.max = *data.Node, 0, 0
		return t.progress(t.describe())
	case "progress":
		if data.Node != nil {
			t.current = *data.Node
		}
		t.value, t.max = data.Value, data.Max
		return t.progress(t.describe())
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

// describe says what runs now.
func (t *tracker) describe() string {
	switch {
	case t.current != "" && t.max > 0:
		return fmt.Sprintf("running %s: step %s/%s", t.nodeName(t.current), num(t.value), num(t.max))
	case t.current != "":
		return "running " + t.nodeName(t.current)
	case t.cached > 0:
		return fmt.Sprintf("%d nodes cached", t.cached)
	}
	return "started"
}

func (t *tracker) nodeName(id string) string {
	if c := t.classes[id]; c != "" {
		return "node " + id + " (" + c + ")"
	}
	return "node " + id
}

// progress builds the report for msg, or holds msg back while the graph,
// and so the total, is unknown.
func (t *tracker) progress(msg string) (Progress, bool) {
	if t.classes == nil {
		t.held = true
		return Progress{}, false
	}
	t.held = false
	done := t.done()
	p := float64(done)
	if t.current != "" && !t.finished[t.current] && t.max > 0 {
		p += min(t.value/t.max, 1)
	}
	p = min(p, t.total())
	summary := fmt.Sprintf("%d of %d nodes done", done, len(t.classes))
	if t.cached > 0 {
		summary += fmt.Sprintf(" (%d cached)", t.cached)
	}
	return Progress{Progress: p, Total: t.total(), Message: msg + "; " + summary}, true
}

// ladder makes one call's progress strictly increasing, as MCP requires of
// the notifications for one progress token. A report that would not
// increase is dropped when it says nothing new, and otherwise nudged a
// sixteenth of the way to the next whole node: its message is news (a new
// node started where the last sampler step ended, say), and the nudge
// keeps the whole part equal to the nodes done.
type ladder struct {
	last     float64
	lastMsg  string
	reported bool
}

// next returns p as the call should see it, or false to drop it.
func (l *ladder) next(p Progress) (Progress, bool) {
	if l.reported && p.Progress <= l.last {
		if p.Message == l.lastMsg {
			return Progress{}, false
		}
		limit := math.Min(math.Floor(l.last)+1, p.Total)
		v := l.last + (limit-l.last)/16
		if !(v > l.last) {
			return Progress{}, false // no room left below the next node
		}
		p.Progress = v
	}
	l.last, l.lastMsg, l.reported = p.Progress, p.Message, true
	return p, true
}

func num(f float64) string {
	if f == float64(int64(f)) {
		return fmt.Sprint(int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}
