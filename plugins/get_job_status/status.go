package main

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// Status is the tool's structured result.
type Status struct {
	PromptID string `json:"prompt_id" description:"The prompt ID asked about"`
	Found    bool   `json:"found" description:"False when ComfyUI has no job with this ID in its queue or history"`
	Running  bool   `json:"running" description:"The job is executing now"`
	Pending  bool   `json:"pending" description:"The job is waiting in the queue"`
	Done     bool   `json:"done" description:"The job has finished (successfully or not); see outcome"`
	// QueuePosition is 1 for the next pending job to run.
	QueuePosition int `json:"queue_position,omitempty" description:"Position among pending jobs in execution order, 1 = runs next"`
	// Outcome is decided from the history messages, which ComfyUI records
	// reliably, not from status_str, which says "error" for interruptions too.
	Outcome        string          `json:"outcome,omitempty" enum:"success,error,interrupted" description:"How the job ended, once done"`
	StatusStr      string          `json:"status_str,omitempty" description:"ComfyUI's own status_str from history"`
	Interrupted    bool            `json:"interrupted,omitempty" description:"ComfyUI recorded an interruption"`
	Error          *ExecError      `json:"error,omitempty" description:"The execution error ComfyUI recorded, if any"`
	ExecutionStats *ExecutionStats `json:"execution_stats,omitempty" description:"Timing and caching of the finished job"`
}

// ExecError is ComfyUI's execution_error message, trimmed for an agent.
type ExecError struct {
	NodeID             string `json:"node_id"`
	NodeType           string `json:"node_type"`
	ExceptionType      string `json:"exception_type"`
	ExceptionMessage   string `json:"exception_message"`
	Traceback          string `json:"traceback,omitempty" description:"The Python traceback, cut to its last 4000 characters"`
	TracebackTruncated bool   `json:"traceback_truncated,omitempty"`
}

// ExecutionStats are derived from the timestamps of history messages;
// ComfyUI 0.3.64 records no duration of its own.
type ExecutionStats struct {
	StartTimestamp  int64    `json:"start_timestamp,omitempty" description:"execution_start, epoch milliseconds"`
	EndTimestamp    int64    `json:"end_timestamp,omitempty" description:"the terminal message, epoch milliseconds"`
	TotalDurationMS int64    `json:"total_duration_ms,omitempty"`
	CachedNodes     []string `json:"cached_nodes" description:"Nodes whose cached outputs were reused"`
}

// maxTraceback bounds the traceback handed to an agent: the useful part of a
// Python traceback is its end.
const maxTraceback = 4000

// queue is GET /queue: 5-element items [number, prompt_id, prompt, extra_data, outputs].
type queue struct {
	Running [][]json.RawMessage `json:"queue_running"`
	Pending [][]json.RawMessage `json:"queue_pending"`
}

type queueItem struct {
	number float64
	id     string
}

func parseItems(raw [][]json.RawMessage) []queueItem {
	items := make([]queueItem, 0, len(raw))
	for _, r := range raw {
		if len(r) < 2 {
			continue
		}
		var it queueItem
		json.Unmarshal(r[0], &it.number)
		json.Unmarshal(r[1], &it.id)
		items = append(items, it)
	}
	return items
}

// find reports whether id is running or pending and fills st accordingly.
// Pending items come as ComfyUI's raw heap array; execution order is
// (number, prompt_id).
func (q *queue) find(id string, st *Status) bool {
	for _, it := range parseItems(q.Running) {
		if it.id == id {
			st.Found, st.Running = true, true
			return true
		}
	}
	pending := parseItems(q.Pending)
	slices.SortFunc(pending, func(a, b queueItem) int {
		if a.number != b.number {
			if a.number < b.number {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	for i, it := range pending {
		if it.id == id {
			st.Found, st.Pending, st.QueuePosition = true, true, i+1
			return true
		}
	}
	return false
}

// historyEntry is the part of a /history entry this tool reads.
type historyEntry struct {
	Status *struct {
		StatusStr string              `json:"status_str"`
		Completed bool                `json:"completed"`
		Messages  [][]json.RawMessage `json:"messages"`
	} `json:"status"`
}

type message struct {
	Timestamp        int64    `json:"timestamp"`
	Nodes            []string `json:"nodes"`
	NodeID           string   `json:"node_id"`
	NodeType         string   `json:"node_type"`
	ExceptionType    string   `json:"exception_type"`
	ExceptionMessage string   `json:"exception_message"`
	Traceback        []string `json:"traceback"`
}

// fill decides the outcome from the messages: any execution_error means
// failed (even when status_str says success), any execution_interrupted
// means interrupted, execution_success means success; status_str is only the
// fallback.
func (e *historyEntry) fill(st *Status) {
	st.Found, st.Done = true, true
	if e.Status == nil {
		st.Outcome = "success" // ComfyUI writes no status only for prompts that did not go through the worker
		return
	}
	st.StatusStr = e.Status.StatusStr
	stats := &ExecutionStats{CachedNodes: []string{}}
	var success bool
	for _, m := range e.Status.Messages {
		if len(m) < 2 {
			continue
		}
		var name string
		var data message
		json.Unmarshal(m[0], &name)
		json.Unmarshal(m[1], &data)
		switch name {
		case "execution_start":
			stats.StartTimestamp = data.Timestamp
		case "execution_cached":
			stats.CachedNodes = append(stats.CachedNodes, data.Nodes...)
		case "execution_success":
			success = true
			stats.EndTimestamp = data.Timestamp
		case "execution_error":
			st.Error = newExecError(data)
			stats.EndTimestamp = data.Timestamp
		case "execution_interrupted":
			st.Interrupted = true
			stats.EndTimestamp = data.Timestamp
		}
	}
	switch {
	case st.Error != nil:
		st.Outcome = "error"
	case st.Interrupted:
		st.Outcome = "interrupted"
	case success || st.StatusStr == "success":
		st.Outcome = "success"
	default:
		st.Outcome = "error"
	}
	if stats.StartTimestamp > 0 && stats.EndTimestamp >= stats.StartTimestamp {
		stats.TotalDurationMS = stats.EndTimestamp - stats.StartTimestamp
	}
	st.ExecutionStats = stats
}

func newExecError(m message) *ExecError {
	e := &ExecError{
		NodeID:           m.NodeID,
		NodeType:         m.NodeType,
		ExceptionType:    m.ExceptionType,
		ExceptionMessage: strings.TrimRight(m.ExceptionMessage, "\n"),
		Traceback:        strings.Join(m.Traceback, ""),
	}
	if len(e.Traceback) > maxTraceback {
		cut := len(e.Traceback) - maxTraceback
		for cut < len(e.Traceback) && !utf8.RuneStart(e.Traceback[cut]) {
			cut++
		}
		e.Traceback = "…" + e.Traceback[cut:]
		e.TracebackTruncated = true
	}
	return e
}
