package sdk

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestResultJSON(t *testing.T) {
	tests := []struct {
		name   string
		result *Result
		want   string
	}{
		{"text", Text("hello\n\"world\""), `{"content":[{"type":"text","text":"hello\n\"world\""}]}`},
		{"textf", Textf("%d images", 3), `{"content":[{"type":"text","text":"3 images"}]}`},
		{"error", Error("no such job"), `{"content":[{"type":"text","text":"no such job"}],"isError":true}`},
		{"errorf", Errorf("job %q failed", "x"), `{"content":[{"type":"text","text":"job \"x\" failed"}],"isError":true}`},
		{"json object", JSON(map[string]any{"b": 1, "a": "<x>"}), `{"content":[{"type":"text","text":"{\"a\":\"\\u003cx\\u003e\",\"b\":1}"}],"structuredContent":{"a":"\u003cx\u003e","b":1}}`},
		{"json array: text only", JSON([]int{1, 2}), `{"content":[{"type":"text","text":"[1,2]"}]}`},
		{"json unencodable", JSON(math.Inf(1)), `{"content":[{"type":"text","text":"the tool's answer could not be encoded as JSON: json: unsupported value: +Inf"}],"isError":true}`},
		{"empty", &Result{}, `{"content":[]}`},
		{"image and audio", Text("preview").WithImage([]byte("png"), "image/png").WithAudio(nil, "audio/wav"),
			`{"content":[{"type":"text","text":"preview"},{"type":"image","data":"cG5n","mimeType":"image/png"},{"type":"audio","data":"","mimeType":"audio/wav"}]}`},
		{"links", Text("2 files").WithResourceLink("http://h/view?filename=a.png", "a.png", "image/png").WithResourceLink("file:///b", "b", ""),
			`{"content":[{"type":"text","text":"2 files"},{"type":"resource_link","uri":"http://h/view?filename=a.png","name":"a.png","mimeType":"image/png"},{"type":"resource_link","uri":"file:///b","name":"b"}]}`},
		{"resources", (&Result{}).WithResourceText("test://doc", "text/plain", "body").WithResourceBlob("test://bin", "", nil).WithText("end"),
			`{"content":[{"type":"resource","resource":{"uri":"test://doc","mimeType":"text/plain","text":"body"}},{"type":"resource","resource":{"uri":"test://bin","blob":""}},{"type":"text","text":"end"}]}`},
		{"structured content is compacted", &Result{StructuredContent: json.RawMessage("{ \"a\" : [ 1 ] }")}, `{"content":[],"structuredContent":{"a":[1]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.result)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("JSON\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestResultJSONErrors(t *testing.T) {
	tests := []struct {
		name   string
		result Result
		want   string
	}{
		{"invalid structured content", Result{StructuredContent: json.RawMessage("{")}, "Result.StructuredContent is not valid JSON"},
		{"structured content not an object", Result{StructuredContent: json.RawMessage(" 1")}, "Result.StructuredContent must be a JSON object, not 1"},
		{"unknown content type", Result{Content: []Content{{Type: "video"}}}, `content item of unknown type "video"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.result.MarshalJSON()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestAppendJSONString checks the hand-written string encoder against
// encoding/json: both must decode to the same string, for text with
// quotes, controls, non-ASCII and invalid UTF-8.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `"quoted" \ back`, "tab\tnl\ncr\r", "\x00\x01\x1f\x7f", "é世界😀",
		"bad \xff byte", "cut \xe4\xb8", "\u2028\u2029", "<html>&amp;</html>",
	} {
		got := appendJSONString(nil, s)
		var dec string
		if err := json.Unmarshal(got, &dec); err != nil {
			t.Errorf("%q encodes as invalid JSON %s: %v", s, got, err)
			continue
		}
		ref, _ := json.Marshal(s)
		var want string
		json.Unmarshal(ref, &want)
		if dec != want {
			t.Errorf("%q round-trips as %q, encoding/json as %q", s, dec, want)
		}
	}
}

// TestAppendOutcome checks when an outcome leaves out the text item that
// the host makes from structuredContent (docs/abi.md): only when the one
// item is that JSON, as a struct answer's is.
func TestAppendOutcome(t *testing.T) {
	edited := structuredResult([]byte(`{"n":1}`))
	edited.Content[0].Text = "one"
	tests := []struct {
		name   string
		result *Result
		want   string
	}{
		{"struct answer", structuredResult([]byte(`{"n":1}`)), `{"structuredContent":{"n":1}}`},
		{"struct answer as an error", func() *Result { r := structuredResult([]byte(`{"n":1}`)); r.IsError = true; return r }(),
			`{"structuredContent":{"n":1},"isError":true}`},
		{"text edited", edited, `{"content":[{"type":"text","text":"one"}],"structuredContent":{"n":1}}`},
		{"more items", structuredResult([]byte(`{"n":1}`)).WithText("and more"),
			`{"content":[{"type":"text","text":"{\"n\":1}"},{"type":"text","text":"and more"}],"structuredContent":{"n":1}}`},
		{"JSON result", JSON(map[string]int{"n": 1}), `{"content":[{"type":"text","text":"{\"n\":1}"}],"structuredContent":{"n":1}}`},
		{"text only", Text("{}"), `{"content":[{"type":"text","text":"{}"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.result.appendOutcome(nil)
			if err != nil || string(got) != tt.want {
				t.Errorf("appendOutcome = %s, %v\nwant %s", got, err, tt.want)
			}
		})
	}
}
