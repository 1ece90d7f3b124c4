package comfy

import (
	"bytes"
	"encoding/json"
	"testing"
)

// statuses are JobStatus values of every shape get_job_status and
// wait_for_job answer, and some odd ones.
func statuses() []JobStatus {
	return []JobStatus{
		{},
		{PromptID: "p", Found: true, Pending: true, QueuePosition: 3, Backend: "gpu-1"},
		{PromptID: "p", Found: true, Running: true},
		{PromptID: "p", Found: true, Done: true, Outcome: "success", StatusStr: "success", ExecutionStats: &ExecutionStats{StartTimestamp: 1795794399018, EndTimestamp: 1795794399025, TotalDurationMS: 7, CachedNodes: []string{}}},
		{PromptID: "p", Done: true, Outcome: "interrupted", Interrupted: true, ExecutionStats: &ExecutionStats{CachedNodes: nil}},
		{PromptID: "p", Done: true, Outcome: "error", StatusStr: "error", Error: &ExecError{NodeID: "3", NodeType: "KSampler", ExceptionType: "torch.OutOfMemoryError", ExceptionMessage: "CUDA out of memory <&> \"quoted\"\n", Traceback: "Traceback…\n\tline 1\x00\xff", TracebackTruncated: true, OutOfMemory: true, Advice: "Lower the batch size"}, ExecutionStats: &ExecutionStats{EndTimestamp: -1, CachedNodes: []string{"1", "2\u2028"}}},
		{PromptID: "é\u2029</script>", QueuePosition: -2},
	}
}

func TestJobStatusAppendJSONIsMarshal(t *testing.T) {
	for _, st := range statuses() {
		got, err := st.AppendJSON(nil)
		want, werr := json.Marshal(st)
		if err != nil || werr != nil || !bytes.Equal(got, want) {
			t.Errorf("AppendJSON %s, %v\njson.Marshal %s, %v", got, err, want, werr)
		}
	}
}

func FuzzJobStatusAppendJSON(f *testing.F) {
	f.Add("p", "success", "node", "msg", "tb", int64(7), 3, true)
	f.Fuzz(func(t *testing.T, id, outcome, node, msg, tb string, ts int64, pos int, flag bool) {
		st := JobStatus{PromptID: id, Backend: node, Found: flag, Running: !flag, QueuePosition: pos, Outcome: outcome, StatusStr: msg, Interrupted: flag,
			ExecutionStats: &ExecutionStats{StartTimestamp: ts, TotalDurationMS: -ts, CachedNodes: []string{node, msg}}}
		if flag {
			st.Error = &ExecError{NodeID: node, NodeType: id, ExceptionType: outcome, ExceptionMessage: msg, Traceback: tb, OutOfMemory: flag, Advice: tb}
		}
		got, _ := st.AppendJSON(nil)
		want, _ := json.Marshal(st)
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON %s\njson.Marshal %s", got, want)
		}
	})
}
