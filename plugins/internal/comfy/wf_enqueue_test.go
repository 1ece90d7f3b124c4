package comfy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/sdk"
)

// wfFakeAPI answers POST /prompt and GET /prompt from canned values and
// records the posted body.
type wfFakeAPI struct {
	clientID string
	postBody []byte
	postResp string
	postErr  error
	getResp  string
	getErr   error
}

func (f *wfFakeAPI) ClientID() string { return f.clientID }

func (f *wfFakeAPI) PostJSON(path string, body, out any) error {
	if path != "/prompt" {
		return errors.New("unexpected POST " + path)
	}
	f.postBody, _ = json.Marshal(body)
	if f.postErr != nil {
		return f.postErr
	}
	return json.Unmarshal([]byte(f.postResp), out)
}

func (f *wfFakeAPI) GetJSON(path string, _ map[string]string, out any) error {
	if path != "/prompt" {
		return errors.New("unexpected GET " + path)
	}
	if f.getErr != nil {
		return f.getErr
	}
	return json.Unmarshal([]byte(f.getResp), out)
}

var wfPrompt = map[string]any{
	"1": map[string]any{"class_type": "EmptyImage", "inputs": map[string]any{"width": 8, "height": 8, "batch_size": 1, "color": 0}},
	"2": map[string]any{"class_type": "SaveImage", "inputs": map[string]any{"images": []any{"1", 0}, "filename_prefix": "t"}},
}

func TestEnqueueSendsClientIDAndReadsQueue(t *testing.T) {
	api := &wfFakeAPI{
		clientID: "easel-host-1",
		postResp: `{"prompt_id": "p-1", "number": -2, "node_errors": {}}`,
		getResp:  `{"exec_info": {"queue_remaining": 3}}`,
	}
	out, err := Enqueue(api, wfPrompt, EnqueueOptions{Front: true, ExtraData: map[string]any{"extra_pnginfo": map[string]any{"workflow": "w"}}})
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.Unmarshal(api.postBody, &body)
	if body["client_id"] != "easel-host-1" || body["front"] != true || body["extra_data"] == nil || body["prompt"] == nil {
		t.Errorf("POST /prompt body = %s", api.postBody)
	}
	if out.PromptID != "p-1" || out.Number != -2 || out.QueueRemaining == nil || *out.QueueRemaining != 3 ||
		out.QueueRemainingError != "" || out.DroppedOutputs != nil || !strings.Contains(out.NextStep, "wait_for_job") {
		t.Errorf("enqueued = %+v", out)
	}
}

func TestEnqueueOmitsEmptyFields(t *testing.T) {
	api := &wfFakeAPI{postResp: `{"prompt_id": "p", "number": 5.0, "node_errors": {}}`, getResp: `{"exec_info": {"queue_remaining": 1}}`}
	out, err := Enqueue(api, wfPrompt, EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"client_id", "front", "extra_data"} {
		if strings.Contains(string(api.postBody), `"`+key+`"`) {
			t.Errorf("body has %s: %s", key, api.postBody)
		}
	}
	if out.Number != 5 {
		t.Errorf("number = %v", out.Number)
	}
}

func TestEnqueueReportsDroppedOutputs(t *testing.T) {
	api := &wfFakeAPI{
		postResp: `{"prompt_id": "p", "number": 0, "node_errors": {"2": {"errors": [{"type": "required_input_missing",
			"message": "Required input is missing", "details": "images", "extra_info": {}}], "dependent_outputs": ["2"], "class_type": "SaveImage"}}}`,
		getResp: `{"exec_info": {"queue_remaining": 1}}`,
	}
	out, err := Enqueue(api, wfPrompt, EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.DroppedOutputs) != 1 || out.DroppedOutputs[0].ClassType != "SaveImage" ||
		out.DroppedOutputs[0].Reasons[0] != "node 2 (SaveImage): Required input is missing: images" {
		t.Fatalf("dropped = %+v", out.DroppedOutputs)
	}
}

// The job is queued even when the follow-up GET /prompt fails: the result
// says so instead of failing the call.
func TestEnqueueQueueLengthUnavailable(t *testing.T) {
	tests := []struct {
		getResp string
		getErr  error
		want    string
	}{
		{getErr: &sdk.UnavailableError{Message: "ComfyUI unreachable at http://x/prompt: connection refused"}, want: "connection refused"},
		{getResp: `{"exec_info": {}}`, want: "did not report exec_info.queue_remaining"},
	}
	for _, tt := range tests {
		api := &wfFakeAPI{postResp: `{"prompt_id": "p", "number": 0}`, getResp: tt.getResp, getErr: tt.getErr}
		out, err := Enqueue(api, wfPrompt, EnqueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if out.QueueRemaining != nil || !strings.Contains(out.QueueRemainingError, tt.want) {
			t.Errorf("queue_remaining = %v, error %q; want %q", out.QueueRemaining, out.QueueRemainingError, tt.want)
		}
	}
}

func TestEnqueueErrors(t *testing.T) {
	rejected := `{"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
		"node_errors": {"1": {"errors": [{"type": "required_input_missing", "message": "Required input is missing", "details": "width",
		"extra_info": {"input_name": "width"}}], "dependent_outputs": ["2"], "class_type": "EmptyImage"}}}`
	unavailable := &sdk.UnavailableError{Message: "ComfyUI unreachable at http://127.0.0.1:1/prompt: connection refused"}
	page := &sdk.StatusError{Method: "POST", URL: "http://x/prompt", Status: 500, Body: []byte("500 Internal Server Error\n\nServer got itself in trouble")}
	bad400 := &sdk.StatusError{Method: "POST", URL: "http://x/prompt", Status: 400, Body: []byte("<html>bad request</html>")}
	tests := []struct {
		name     string
		postErr  error
		postResp string
		want     string
		rejected bool
	}{
		{"validation failure", &sdk.StatusError{Method: "POST", URL: "http://x/prompt", Status: 400, Body: []byte(rejected)}, "",
			"- node 1 (EmptyImage): Required input is missing: width [blocks output nodes 2]", true},
		{"unreachable", unavailable, "", unavailable.Message, false},
		{"500 page", page, "", "Server got itself in trouble", false},
		{"400 that is not ComfyUI's error object", bad400, "", "<html>bad request</html>", false},
		{"success without prompt_id", nil, `{"number": 1}`, "no prompt_id", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Enqueue(&wfFakeAPI{postErr: tt.postErr, postResp: tt.postResp}, wfPrompt, EnqueueOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			var re *RejectedError
			if errors.As(err, &re) != tt.rejected {
				t.Errorf("RejectedError = %v, want %v", errors.As(err, &re), tt.rejected)
			}
		})
	}
}

func TestCheckAPIWorkflow(t *testing.T) {
	tests := []struct {
		w    string
		want string // "" for no error
	}{
		{`{"1": {"class_type": "SaveImage", "inputs": {}}}`, ""},
		{`{}`, ""},
		{`{"prompt": {"class_type": "SaveImage", "inputs": {}}}`, ""},
		{`{"prompt": {"1": {"class_type": "SaveImage"}}, "client_id": "x"}`, `pass the value of its "prompt" key`},
		{`{"1": {"class_type": "SaveImage"}, "2": "oops"}`, `node "2" of the workflow is not an object`},
	}
	for _, tt := range tests {
		err := CheckAPIWorkflow(wfDecode(t, tt.w))
		if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("CheckAPIWorkflow(%s) = %v, want %q", tt.w, err, tt.want)
		}
	}
}
