package comfy

import "strings"

// JobStatus is the status of one job, as get_job_status and wait_for_job
// report it.
type JobStatus struct {
	PromptID string `json:"prompt_id" description:"The prompt ID asked about"`
	// Backend is set when easel spreads jobs over several ComfyUI servers.
	Backend string `json:"backend,omitempty" description:"The ComfyUI server that holds the job, when easel has several"`
	Found   bool   `json:"found" description:"False when ComfyUI has no job with this ID in its queue or history"`
	Running bool   `json:"running" description:"The job is executing now"`
	Pending bool   `json:"pending" description:"The job is waiting in the queue"`
	Done    bool   `json:"done" description:"The job has finished (successfully or not); see outcome"`
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
	// OutOfMemory flags a failure that will repeat unless the workflow
	// needs less memory; Advice says how.
	OutOfMemory bool   `json:"out_of_memory,omitempty" description:"ComfyUI ran out of GPU memory; see advice"`
	Advice      string `json:"advice,omitempty" description:"What to change before retrying"`
}

// ExecutionStats are derived from the timestamps of history messages;
// ComfyUI 0.3.64 records no duration of its own.
type ExecutionStats struct {
	StartTimestamp  int64    `json:"start_timestamp,omitempty" description:"execution_start, epoch milliseconds"`
	EndTimestamp    int64    `json:"end_timestamp,omitempty" description:"the terminal message, epoch milliseconds"`
	TotalDurationMS int64    `json:"total_duration_ms,omitempty"`
	CachedNodes     []string `json:"cached_nodes" description:"Nodes whose cached outputs were reused"`
}

// MaxTraceback bounds the traceback handed to an agent: the useful part of a
// Python traceback is its end.
const MaxTraceback = 4000

// FromQueue fills st when id is running or pending in q.
func (st *JobStatus) FromQueue(q *Queue, id string) bool {
	running, position, found := q.Find(id)
	if !found {
		return false
	}
	st.Found, st.Running, st.Pending, st.QueuePosition = true, running, !running, position
	return true
}

// FromHistory fills st from a history entry. The outcome comes from the
// messages, not from status_str (see HistoryEntry.Summarize).
func (st *JobStatus) FromHistory(e *HistoryEntry) {
	sum := e.Summarize()
	st.Found, st.Done = true, true
	st.Outcome, st.StatusStr, st.Interrupted = sum.Outcome, sum.StatusStr, sum.Interrupted
	if sum.Error != nil {
		st.Error = NewExecError(sum.Error)
	}
	if e.Status == nil {
		return
	}
	st.ExecutionStats = &ExecutionStats{
		StartTimestamp:  sum.StartTimestamp,
		EndTimestamp:    sum.EndTimestamp,
		TotalDurationMS: sum.DurationMS(),
		CachedNodes:     sum.CachedNodes,
	}
}

// NewExecError trims an execution_error message for an agent.
func NewExecError(m *Message) *ExecError {
	e := &ExecError{
		NodeID:           m.NodeID,
		NodeType:         m.NodeType,
		ExceptionType:    m.ExceptionType,
		ExceptionMessage: strings.TrimRight(m.ExceptionMessage, "\n"),
	}
	e.Traceback, e.TracebackTruncated = TailString(JoinTraceback(m.Traceback), MaxTraceback)
	if IsOutOfMemory(m.ExceptionType, m.ExceptionMessage) {
		e.OutOfMemory, e.Advice = true, OutOfMemoryAdvice
	}
	return e
}
