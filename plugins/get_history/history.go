package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

// History is the tool's structured result.
type History struct {
	// PromptID, Found, State and QueuePosition answer a prompt_id lookup
	// and are absent from a listing.
	PromptID      string  `json:"prompt_id,omitempty"`
	Found         *bool   `json:"found,omitempty" description:"ComfyUI has a history entry for prompt_id"`
	State         string  `json:"state,omitempty" enum:"finished,running,pending,unknown" description:"unknown: never queued, deleted from the queue, or lost on restart"`
	QueuePosition int     `json:"queue_position,omitempty" description:"For a pending job: 1 runs next"`
	Entries       []Entry `json:"entries" description:"Finished jobs, most recent first"`
	// BackendErrors is set when easel has several ComfyUI servers and some
	// could not be read: the listing then lacks their jobs.
	BackendErrors []string `json:"backend_errors,omitempty" description:"ComfyUI servers whose history could not be read; their jobs are missing"`
}

// States of a looked-up prompt_id.
const (
	stateFinished = "finished"
	stateRunning  = "running"
	statePending  = "pending"
	stateUnknown  = "unknown"
)

// Entry is one finished job.
type Entry struct {
	PromptID string `json:"prompt_id"`
	Backend  string `json:"backend,omitempty" description:"The ComfyUI server that ran it, when easel has several"`
	// Outcome comes from the history messages, not from status_str, which
	// says "error" for interruptions too (see comfy.HistoryEntry.Summarize).
	Outcome           string       `json:"outcome" enum:"success,error,interrupted"`
	Error             *ErrorDigest `json:"error,omitempty" description:"get_job_status has its traceback"`
	InterruptedAtNode string       `json:"interrupted_at_node,omitempty"`
	EndTimestamp      int64        `json:"end_timestamp,omitempty" description:"Epoch ms"`
	Outputs           []NodeOutput `json:"outputs" description:"By node, in id order; kept for nodes that ran before an error or interrupt"`
}

// ErrorDigest is the part of ComfyUI's execution_error an agent acts on.
type ErrorDigest struct {
	NodeID           string `json:"node_id"`
	NodeType         string `json:"node_type"`
	ExceptionType    string `json:"exception_type"`
	ExceptionMessage string `json:"exception_message"`
	OutOfMemory      bool   `json:"out_of_memory,omitempty" description:"ComfyUI ran out of GPU memory; see advice"`
	Advice           string `json:"advice,omitempty" description:"What to change before retrying"`
}

// NodeOutput is what one node left: files and texts.
type NodeOutput struct {
	NodeID    string       `json:"node_id"`
	ClassType string       `json:"class_type,omitempty"`
	Files     []OutputFile `json:"files,omitempty"`
	Texts     []string     `json:"texts,omitempty"`
}

// OutputFile is one file a node wrote, with the URI the host serves it at.
type OutputFile struct {
	Filename  string `json:"filename"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type"`
	Kind      string `json:"kind" description:"Output key: images, gifs, video, audio…"`
	URI       string `json:"uri" description:"Resource URI to read the file"`
	Backend   string `json:"backend,omitempty" description:"The ComfyUI server holding it, when easel has several; pass it to get_image"`
}

// onBackend labels entries with the ComfyUI server they came from ("" for
// the only one), files and their URIs included.
func onBackend(entries []Entry, backend string) {
	if backend == "" {
		return
	}
	for i := range entries {
		entries[i].Backend = backend
		for _, n := range entries[i].Outputs {
			for j := range n.Files {
				f := &n.Files[j]
				f.Backend = backend
				f.URI = comfy.FileURI(comfy.File{Filename: f.Filename, Subfolder: f.Subfolder, Type: f.Type, Backend: backend})
			}
		}
	}
}

// Bounds on the free text ComfyUI returns, so that one verbose node cannot
// flood the agent's context; the start of a text is its useful part.
const (
	maxText             = 4000
	maxExceptionMessage = 1000
)

// recentFirst decodes GET /history's object, whose key order is completion
// order, oldest first (API.md 2.7), and returns the entries most recent
// first. A Go map would lose that order, so the object is read token by
// token.
func recentFirst(raw json.RawMessage) ([]Entry, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("ComfyUI's /history answer is not a JSON object")
	}
	entries := []Entry{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("decoding ComfyUI's /history answer: %w", err)
		}
		id, _ := tok.(string)
		var e comfy.HistoryEntry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("decoding ComfyUI's history entry %s: %w", id, err)
		}
		entries = append(entries, newEntry(id, &e))
	}
	slices.Reverse(entries)
	return entries, nil
}

// newEntry digests one history entry.
func newEntry(id string, e *comfy.HistoryEntry) Entry {
	sum := e.Summarize()
	out := Entry{PromptID: id, Outcome: sum.Outcome, EndTimestamp: sum.EndTimestamp}
	if m := sum.Error; m != nil {
		msg, _ := headString(strings.TrimRight(m.ExceptionMessage, "\n"), maxExceptionMessage)
		out.Error = &ErrorDigest{NodeID: m.NodeID, NodeType: m.NodeType, ExceptionType: m.ExceptionType, ExceptionMessage: msg}
		if comfy.IsOutOfMemory(m.ExceptionType, m.ExceptionMessage) {
			out.Error.OutOfMemory, out.Error.Advice = true, comfy.OutOfMemoryAdvice
		}
	}
	if m := sum.InterruptedAt; m != nil {
		out.InterruptedAtNode = m.NodeID
	}
	out.Outputs = nodeOutputs(e)
	return out
}

// nodeOutputs groups the entry's files and texts by node, in node id order,
// naming each node's class from the job's prompt graph.
func nodeOutputs(e *comfy.HistoryEntry) []NodeOutput {
	files, texts := e.ParseOutputs()
	byNode := map[string]*NodeOutput{}
	var ids []string
	node := func(id string) *NodeOutput {
		if n, ok := byNode[id]; ok {
			return n
		}
		byNode[id] = &NodeOutput{NodeID: id}
		ids = append(ids, id)
		return byNode[id]
	}
	for _, f := range files {
		n := node(f.NodeID)
		n.Files = append(n.Files, OutputFile{Filename: f.Filename, Subfolder: f.Subfolder, Type: f.Type, Kind: f.Kind, URI: comfy.FileURI(f)})
	}
	for id, ts := range texts {
		n := node(id)
		for _, t := range ts {
			t, _ = headString(t, maxText)
			n.Texts = append(n.Texts, t)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return comfy.NodeIDLess(ids[i], ids[j]) })
	classes := classTypes(e.Prompt.Prompt)
	out := make([]NodeOutput, 0, len(ids))
	for _, id := range ids {
		n := byNode[id]
		n.ClassType = classes[id]
		out = append(out, *n)
	}
	return out
}

// classTypes maps node ids to class_type in a prompt graph.
func classTypes(graph json.RawMessage) map[string]string {
	var nodes map[string]struct {
		ClassType string `json:"class_type"`
	}
	_ = json.Unmarshal(graph, &nodes) // a graph of another shape names no class
	out := make(map[string]string, len(nodes))
	for id, n := range nodes {
		out[id] = n.ClassType
	}
	return out
}

// headString keeps the first max bytes of s, cut at a rune boundary and
// marked with a trailing note of how much was left out; it reports whether
// it cut.
func headString(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… [%d more bytes]", s[:cut], len(s)-cut), true
}
