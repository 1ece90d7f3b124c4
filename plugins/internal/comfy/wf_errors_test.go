package comfy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

// wfRecording is one recorded HTTP exchange of the shared recordings.
type wfRecording struct {
	Request struct {
		JSON json.RawMessage `json:"json"`
	} `json:"request"`
	Response struct {
		Status int             `json:"status"`
		JSON   json.RawMessage `json:"json"`
		Text   string          `json:"text"`
	} `json:"response"`
}

func wfRecordings(t *testing.T, pattern string) map[string]wfRecording {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "shared", "comfyui", "recordings")
	files, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(files) == 0 {
		t.Skipf("no recordings %s in %s", pattern, dir)
	}
	recs := map[string]wfRecording{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r wfRecording
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		recs[filepath.Base(f)] = r
	}
	return recs
}

// Every recorded 400 of POST /prompt must read well: the top-level message,
// then each failing node with its class, every error's message and
// details, and a hint where the message alone does not say what to do.
func TestExplainRecordedRejections(t *testing.T) {
	hints := map[string]string{
		"post_prompt_invalid_missing_model_file.json":   "node 1 offers no choices at all for ckpt_name",
		"post_prompt_invalid_link_to_missing_node.json": "node 2 has an input linked to node 99, which the workflow lacks",
		"post_prompt_invalid_no_output_node.json":       "The workflow needs at least one output node",
		"post_prompt_invalid_empty_prompt.json":         "The workflow needs at least one output node",
		"post_prompt_invalid_unknown_class_type.json":   "That node class is not installed",
	}
	recs := wfRecordings(t, "post_prompt_invalid_*.json")
	checked := 0
	for name, rec := range recs {
		if rec.Response.Status != 400 {
			continue // the malformed-JSON 500 page is not a PromptError
		}
		checked++
		t.Run(name, func(t *testing.T) {
			var pe PromptError
			if err := json.Unmarshal(rec.Response.JSON, &pe); err != nil {
				t.Fatal(err)
			}
			msg := pe.Explain()
			want := []string{"ComfyUI rejected the workflow: " + pe.Error.Message}
			if len(pe.NodeErrors) == 0 && pe.Error.Details != "" {
				want = append(want, pe.Error.Details)
			}
			for id, ne := range pe.NodeErrors {
				for _, e := range ne.Errors {
					line := "- node " + id + " (" + ne.ClassType + "): " + e.Message
					if e.Details != "" {
						line += ": " + e.Details
					}
					want = append(want, line)
				}
			}
			if h, ok := hints[name]; ok {
				want = append(want, "Hint: "+h)
			}
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("explanation lacks %q:\n%s", w, msg)
				}
			}
			if _, ok := hints[name]; !ok && strings.Contains(msg, "Hint:") {
				t.Errorf("unexpected hint:\n%s", msg)
			}
		})
	}
	if checked < 12 {
		t.Fatalf("only %d recorded 400 answers checked", checked)
	}
}

func TestDroppedOutputs(t *testing.T) {
	// node_errors as a 200 answer carries them when some outputs stay
	// valid: node 2 blocks outputs 4 and 6, node 5 blocks itself.
	nodeErrors := map[string]NodeError{
		"2": {ClassType: "ImageToMask", DependentOutputs: []string{"6", "4"}, Errors: []ErrorDetail{
			{Message: "Value not in list", Details: "channel: 'purple' not in ['red', 'green', 'blue', 'alpha']"}}},
		"5": {ClassType: "SaveImage", Errors: []ErrorDetail{
			{Message: "Required input is missing", Details: "images"}, {Message: "Required input is missing", Details: "filename_prefix"}}},
	}
	prompt := map[string]any{
		"4": map[string]any{"class_type": "SaveImage"},
		"5": map[string]any{"class_type": "SaveImage"},
		"6": map[string]any{"class_type": "PreviewImage"},
	}
	got := DroppedOutputs(nodeErrors, prompt)
	want := []DroppedOutput{
		{NodeID: "4", ClassType: "SaveImage", Reasons: []string{"node 2 (ImageToMask): Value not in list: channel: 'purple' not in ['red', 'green', 'blue', 'alpha']"}},
		{NodeID: "5", ClassType: "SaveImage", Reasons: []string{"node 5 (SaveImage): Required input is missing: images", "node 5 (SaveImage): Required input is missing: filename_prefix"}},
		{NodeID: "6", ClassType: "PreviewImage", Reasons: []string{"node 2 (ImageToMask): Value not in list: channel: 'purple' not in ['red', 'green', 'blue', 'alpha']"}},
	}
	if wfCanon(t, got) != wfCanon(t, want) {
		t.Fatalf("dropped = %s\nwant %s", wfCanon(t, got), wfCanon(t, want))
	}
	text := DescribeDropped(got)
	if !strings.HasPrefix(text, "output node 4 (SaveImage) was dropped: node 2 (ImageToMask): Value not in list") || strings.Count(text, "\n") != 2 {
		t.Errorf("DescribeDropped = %q", text)
	}
	if DroppedOutputs(nil, prompt) != nil {
		t.Error("no node_errors must drop nothing")
	}
}

// A link to a missing node on a node the output node depends on is an
// exception_during_inner_validation, which ComfyUI files under the node
// with the bad link; the hint names it as for an output node.
func TestExplainInnerMissingLink(t *testing.T) {
	srv := comfyuitest.NewServer(t)
	for _, tc := range []struct {
		link []any
		want string
	}{
		{[]any{"9", 0}, "Hint: node 2 has an input linked to node 9, which the workflow lacks"},
		{[]any{1, 0}, `Hint: node 2 has an input linked to node 1 as a number: node ids in links are strings, e.g. ["1", 0]`},
	} {
		prompt := map[string]any{
			"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
			"2": map[string]any{"class_type": "ImageInvert", "inputs": map[string]any{"image": tc.link}},
			"3": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"2", 0}, "filename_prefix": "x"}},
		}
		body, _ := json.Marshal(map[string]any{"prompt": prompt})
		resp, err := http.Post(srv.URL+"/prompt", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var pe PromptError
		err = json.NewDecoder(resp.Body).Decode(&pe)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 400 {
			t.Fatalf("link %v: HTTP %d, %v", tc.link, resp.StatusCode, err)
		}
		if msg := pe.Explain(); !strings.Contains(msg, tc.want) {
			t.Errorf("link %v: explanation lacks %q:\n%s", tc.link, tc.want, msg)
		}
	}
}
