package comfy

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
	"github.com/easel-mcp/easel/sdk"
	"github.com/easel-mcp/easel/sdk/jsonread"
)

// recordings is where the shared ComfyUI 0.3.64 recordings live, beside the
// repository (as in CI's clone).
func TestHistoryOutcomes(t *testing.T) {
	tests := []struct {
		file, id    string
		want        JobStatus
		wantErrType string
		wantCached  []string
		wantMS      int64
	}{
		{
			file: "get_history_by_id_ok.json", id: "24e8d9f3-7fbb-42c0-8a3e-1a1b90d26b33",
			want:   JobStatus{Found: true, Done: true, Outcome: "success", StatusStr: "success"},
			wantMS: 7, wantCached: []string{},
		},
		{
			file: "get_history_by_id_cached.json", id: "e0e31d0a-8d63-4c6c-81d6-c428beec7901",
			want:   JobStatus{Found: true, Done: true, Outcome: "success", StatusStr: "success"},
			wantMS: 5, wantCached: []string{"1", "2"},
		},
		{
			file: "get_history_by_id_runtime_error.json", id: "61f5180d-b511-4da3-95ce-88ddf2cbff46",
			want:        JobStatus{Found: true, Done: true, Outcome: "error", StatusStr: "error"},
			wantErrType: "IndexError", wantMS: 5, wantCached: []string{},
		},
		{
			file: "get_history_by_id_interrupted.json", id: "fb57f34f-b438-46f4-b2a3-6352bbf815d1",
			want:   JobStatus{Found: true, Done: true, Outcome: "interrupted", StatusStr: "error", Interrupted: true},
			wantMS: 1926, wantCached: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var h map[string]*HistoryEntry
			if err := json.Unmarshal(comfyuitest.Recording(t, tt.file), &h); err != nil {
				t.Fatal(err)
			}
			var st JobStatus
			st.FromHistory(h[tt.id])
			if st.Found != tt.want.Found || st.Done != tt.want.Done || st.Outcome != tt.want.Outcome ||
				st.StatusStr != tt.want.StatusStr || st.Interrupted != tt.want.Interrupted {
				t.Errorf("status = %+v, want %+v", st, tt.want)
			}
			if got := st.ExecutionStats.TotalDurationMS; got != tt.wantMS {
				t.Errorf("total_duration_ms = %d, want %d", got, tt.wantMS)
			}
			if got := strings.Join(st.ExecutionStats.CachedNodes, ","); got != strings.Join(tt.wantCached, ",") {
				t.Errorf("cached_nodes = %q, want %q", got, tt.wantCached)
			}
			if tt.wantErrType == "" {
				if st.Error != nil {
					t.Errorf("unexpected error %+v", st.Error)
				}
				return
			}
			if st.Error == nil || st.Error.ExceptionType != tt.wantErrType || st.Error.NodeID != "2" || st.Error.NodeType != "ImageToMask" {
				t.Fatalf("error = %+v, want %s at node 2 (ImageToMask)", st.Error, tt.wantErrType)
			}
			if st.Error.ExceptionMessage != "index 3 is out of bounds for dimension 3 with size 3" {
				t.Errorf("exception_message = %q", st.Error.ExceptionMessage)
			}
			if !strings.Contains(st.Error.Traceback, "execution.py") || st.Error.TracebackTruncated {
				t.Errorf("traceback = %q (truncated %v)", st.Error.Traceback, st.Error.TracebackTruncated)
			}
		})
	}
}

// An execution_error in the messages wins over status_str "success", which
// ComfyUI can record after a dependency cycle (API.md section 6).
func TestErrorMessageBeatsSuccessStatus(t *testing.T) {
	entry := `{"status": {"status_str": "success", "completed": true, "messages": [
		["execution_start", {"prompt_id": "p", "timestamp": 100}],
		["execution_error", {"prompt_id": "p", "node_id": "4", "node_type": "KSampler", "exception_message": "cycle\n",
		 "exception_type": "graph.DependencyCycleError", "traceback": [], "timestamp": 130}]]}}`
	var e HistoryEntry
	if err := json.Unmarshal([]byte(entry), &e); err != nil {
		t.Fatal(err)
	}
	var st JobStatus
	st.FromHistory(&e)
	if st.Outcome != "error" || st.Error == nil || st.Error.ExceptionType != "graph.DependencyCycleError" {
		t.Fatalf("got %+v, want outcome error with the cycle error", st)
	}
}

func TestTracebackIsBounded(t *testing.T) {
	long := strings.Repeat("  File \"x.py\", line 1, in f\n", 1000)
	e := NewExecError(&Message{Traceback: []string{long, "Final line\n"}})
	if !e.TracebackTruncated || len(e.Traceback) > MaxTraceback+len("…") || !strings.HasSuffix(e.Traceback, "Final line\n") {
		t.Fatalf("traceback not cut to its end: %d bytes, truncated=%v", len(e.Traceback), e.TracebackTruncated)
	}
}

func TestQueuePositions(t *testing.T) {
	var q Queue
	if err := json.Unmarshal(comfyuitest.Recording(t, "get_queue_running_and_pending.json"), &q); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id   string
		want JobStatus
	}{
		{"ee030849-4f9a-435b-8ab7-74f049cb7433", JobStatus{Found: true, Running: true}},
		{"fb57f34f-b438-46f4-b2a3-6352bbf815d1", JobStatus{Found: true, Pending: true, QueuePosition: 1}},
		{"60918eac-f65b-43a2-b580-81c7f765065c", JobStatus{Found: true, Pending: true, QueuePosition: 2}},
		{"nope", JobStatus{}},
	}
	for _, tt := range tests {
		var st JobStatus
		found := st.FromQueue(&q, tt.id)
		if found != tt.want.Found || st != tt.want {
			t.Errorf("find(%s) = %v %+v, want %+v", tt.id, found, st, tt.want)
		}
	}
}

// Pending items arrive as ComfyUI's unsorted heap; position follows
// (number, prompt_id), with front-of-queue (negative) numbers first.
func TestQueuePositionsFollowExecutionOrder(t *testing.T) {
	raw := `{"queue_running": [], "queue_pending": [[7, "b", {}, {}, []], [-2, "z", {}, {}, []], [7, "a", {}, {}, []], [5.0, "c", {}, {}, []]]}`
	var q Queue
	if err := json.Unmarshal([]byte(raw), &q); err != nil {
		t.Fatal(err)
	}
	for id, pos := range map[string]int{"z": 1, "c": 2, "a": 3, "b": 4} {
		var st JobStatus
		if !st.FromQueue(&q, id) || st.QueuePosition != pos {
			t.Errorf("%s: position %d, want %d", id, st.QueuePosition, pos)
		}
	}
}

// TestHistoryShapes checks what the one-pass decoder refuses: anything but
// an object of entries, and entries, prompts, outputs or statuses of the
// wrong JSON type. null members are absent members.
func TestHistoryShapes(t *testing.T) {
	tests := []struct {
		body, wantErr string
	}{
		{`[]`, "history is a JSON array, not an object"},
		{`{"a": [1]}`, "history entry a: a history entry is a JSON array, not an object"},
		{`{"a": {"prompt": "nope"}}`, "history entry a: a queue item is a JSON string, not an array"},
		{`{"a": {"outputs": []}}`, "history entry a: outputs is a JSON array, not an object"},
		{`{"a": {"status": 1}}`, "history entry a: status is a JSON number, not an object"},
		{`{"a": {`, "unexpected end of JSON input"},
		{`{"a": {"prompt": null, "outputs": null, "status": null}}`, ""},
		{`{}`, ""},
	}
	for _, tt := range tests {
		var h History
		var jh JobHistory
		for _, v := range []any{&h, &jh} {
			err := json.Unmarshal([]byte(tt.body), v)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("%T %s: error %v, want %q", v, tt.body, err, tt.wantErr)
			}
		}
	}
}

// TestHistoryDecodesRecordings decodes every recorded history answer and
// checks each entry's prompt against the recording's own words.
func TestHistoryDecodesRecordings(t *testing.T) {
	for _, file := range []string{"get_history_all.json", "get_history_by_id_load_image.json", "get_history_by_id_preview_and_save.json", "get_history_max_items_2.json"} {
		body := comfyuitest.Recording(t, file)
		var h History
		if err := json.Unmarshal(body, &h); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var ref map[string]struct {
			Prompt  []json.RawMessage          `json:"prompt"`
			Outputs map[string]json.RawMessage `json:"outputs"`
			Status  struct {
				StatusStr string              `json:"status_str"`
				Messages  [][]json.RawMessage `json:"messages"`
			} `json:"status"`
		}
		if err := json.Unmarshal(body, &ref); err != nil {
			t.Fatal(err)
		}
		if len(h) != len(ref) || len(h) == 0 {
			t.Fatalf("%s: %d entries, want %d", file, len(h), len(ref))
		}
		for id, want := range ref {
			got := h[id]
			if got == nil || got.Prompt.PromptID != id || len(got.Outputs) != len(want.Outputs) ||
				got.Status.StatusStr != want.Status.StatusStr || len(got.Status.Messages) != len(want.Status.Messages) {
				t.Errorf("%s: entry %s = %+v", file, id, got)
				continue
			}
			if !json.Valid(got.Prompt.Prompt) || string(got.Prompt.Prompt) != compactJSON(t, want.Prompt[2]) && string(got.Prompt.Prompt) != string(want.Prompt[2]) {
				t.Errorf("%s: entry %s prompt %s, want %s", file, id, got.Prompt.Prompt, want.Prompt[2])
			}
		}
	}
}

// TestJobHistoryKeepsOnlyStatus reads every recorded history answer both
// ways: a JobHistory has History's entries and statuses, and no prompts or
// outputs.
func TestJobHistoryKeepsOnlyStatus(t *testing.T) {
	for _, file := range []string{"get_history_all.json", "get_history_by_id_load_image.json", "get_history_by_id_preview_and_save.json",
		"get_history_max_items_2.json", "get_history_by_id_runtime_error.json", "get_history_by_id_interrupted.json"} {
		body := comfyuitest.Recording(t, file)
		var full History
		var jobs JobHistory
		if err := json.Unmarshal(body, &full); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := json.Unmarshal(body, &jobs); err != nil {
			t.Fatalf("%s: JobHistory: %v", file, err)
		}
		if len(jobs) != len(full) {
			t.Fatalf("%s: %d entries, want %d", file, len(jobs), len(full))
		}
		for id, want := range full {
			got := jobs[id]
			if got == nil || !reflect.DeepEqual(got.Status, want.Status) {
				t.Errorf("%s: entry %s status %+v, want %+v", file, id, got, want.Status)
				continue
			}
			if got.Prompt.PromptID != "" || got.Prompt.Prompt != nil || got.Outputs != nil {
				t.Errorf("%s: entry %s kept its prompt or outputs: %+v", file, id, got)
			}
			var a, b JobStatus
			a.FromHistory(want)
			b.FromHistory(got)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s: entry %s: status from JobHistory %+v, from History %+v", file, id, b, a)
			}
			// What get_job_status asks the host for: the status alone.
			value, found, err := jsonread.Select(body, jsonread.Pointer(id, "status"))
			var sel EntryStatus
			if err != nil || !found || sel.UnmarshalJSON(value) != nil || !reflect.DeepEqual(sel.Status, want.Status) {
				t.Errorf("%s: entry %s: selected status %+v (%v, %v), want %+v", file, id, sel.Status, found, err, want.Status)
			}
		}
	}
}

func compactJSON(t *testing.T, raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// History and JobHistory promise sdk.WholeValueUnmarshaler's contract:
// their UnmarshalJSON, called directly (DoJSON no longer checks the answer
// first), refuses anything but exactly one JSON value, wherever the
// fault is, in members they read, skip or give up on.
func TestHistoryRefusesAnythingButOneValue(t *testing.T) {
	var _ sdk.WholeValueUnmarshaler = (*History)(nil)
	var _ sdk.WholeValueUnmarshaler = (*JobHistory)(nil)
	for _, body := range []string{
		``,
		`{"a": {}} x`,
		`{"a": {}}{}`,
		`{"a": {`,
		`{"a": {"prompt": [0, "a", {"1": {"inputs": {"x": tru}}}]}}`,
		`{"a": {"outputs": {"9": {"images": [{"filename": "x.png",}]}}}}`,
		`{"a": {"meta": {"9": {"node_id": "9" "display_node": "9"}}}}`,
		`{"a": {"status": {"messages": [["execution_start", {"timestamp": 1e}]]}}}`,
		`{"a": {"status": 1, "outputs": {"x": [}}}`,
		`{"a": {"prompt": "nope", "extra": "\x01"}}`,
		"{\"a\": {\"status\": {\"status_str\": \"ok\\q\"}}}",
	} {
		var h History
		var jh JobHistory
		if err := h.UnmarshalJSON([]byte(body)); err == nil {
			t.Errorf("History accepted %q", body)
		}
		if err := jh.UnmarshalJSON([]byte(body)); err == nil {
			t.Errorf("JobHistory accepted %q", body)
		}
	}
}

// TestEntryStatus reads a selected status: an object, null (a status
// ComfyUI recorded as None), and never anything but one status value.
func TestEntryStatus(t *testing.T) {
	var _ sdk.WholeValueUnmarshaler = (*EntryStatus)(nil)
	s := EntryStatus{Status: &HistoryStatus{}}
	if err := s.UnmarshalJSON([]byte(` null `)); err != nil || s.Status != nil {
		t.Errorf("null: %+v, %v; want a nil status", s.Status, err)
	}
	body := `{"status_str": "error", "completed": false, "messages": [["execution_error", {"node_id": "3", "exception_type": "RuntimeError"}]]}`
	if err := s.UnmarshalJSON([]byte(body)); err != nil || s.Status == nil || s.Status.StatusStr != "error" || len(s.Status.Messages) != 1 || s.Status.Messages[0].NodeID != "3" {
		t.Errorf("%s: %+v, %v", body, s.Status, err)
	}
	for _, bad := range []string{``, `1`, `[]`, `"success"`, `{} {}`, `{"messages": [tru]}`, `null x`} {
		if err := s.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("EntryStatus accepted %q", bad)
		}
	}
}

// TestParseIntIsStrconv checks the history reader's integer parse against
// strconv: the same value where it answers, and no answer (strconv's
// float path then) for what it leaves to strconv.
func TestParseIntIsStrconv(t *testing.T) {
	for _, s := range []string{"0", "-0", "7", "-42", "1795813612277", "999999999999999999", "-999999999999999999",
		"9223372036854775807", "1e3", "1.5", "-", "", "12a"} {
		got, ok := parseInt([]byte(s))
		want, err := strconv.ParseInt(s, 10, 64)
		if ok && (err != nil || got != want) {
			t.Errorf("parseInt(%q) = %d, strconv %d, %v", s, got, want, err)
		}
		if !ok && err == nil && len(s) <= 18 {
			t.Errorf("parseInt(%q) gave up on an integer strconv reads", s)
		}
	}
}

// Python's column markers (^^^ and ~~~ under the code) are left out of a
// traceback; every other line stays, in order.
func TestJoinTracebackDropsColumnMarkers(t *testing.T) {
	lines := []string{
		"  File \"/opt/ComfyUI/execution.py\", line 277, in process_inputs\n    result = f(**inputs)\n             ^^^^^^^^^^^\n",
		"  File \"/opt/ComfyUI/comfy_extras/nodes_mask.py\", line 137, in image_to_mask\n    mask = image[:, :, :, channels.index(channel)]\n           ~~~~~^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n",
		"ValueError: 'alpha' is not in list ^ here\n",
	}
	want := "  File \"/opt/ComfyUI/execution.py\", line 277, in process_inputs\n    result = f(**inputs)\n" +
		"  File \"/opt/ComfyUI/comfy_extras/nodes_mask.py\", line 137, in image_to_mask\n    mask = image[:, :, :, channels.index(channel)]\n" +
		"ValueError: 'alpha' is not in list ^ here\n"
	if got := JoinTraceback(lines); got != want {
		t.Errorf("JoinTraceback = %q, want %q", got, want)
	}
}
