package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

func promptIDs(entries []Entry) string {
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.PromptID[:min(8, len(e.PromptID))])
	}
	return strings.Join(ids, " ")
}

// ComfyUI lists history oldest first, in completion order (the front-queued
// prompt -2 completed third); the tool turns that order around.
func TestRecentFirst(t *testing.T) {
	tests := []struct{ file, want string }{
		{"get_history_all.json", "51cedc1a fb57f34f ee030849 61f5180d 7bc3b0e6 11111111 e0e31d0a 24e8d9f3"},
		{"get_history_max_items_2.json", "51cedc1a fb57f34f"},
		{"get_history_empty.json", ""},
	}
	for _, tt := range tests {
		entries, err := recentFirst(comfyuitest.Recording(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := promptIDs(entries); got != tt.want {
			t.Errorf("%s: order %q, want %q", tt.file, got, tt.want)
		}
		if entries == nil {
			t.Errorf("%s: entries nil, want a list", tt.file)
		}
	}
}

func TestRecentFirstRejectsOtherShapes(t *testing.T) {
	for _, raw := range []string{`[]`, `"x"`, `{"a": [1]}`, `{"a": {"prompt": "nope"}}`} {
		if _, err := recentFirst(json.RawMessage(raw)); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
}

func entryOf(t *testing.T, file, id string) Entry {
	t.Helper()
	var h map[string]*comfy.HistoryEntry
	if err := json.Unmarshal(comfyuitest.Recording(t, file), &h); err != nil {
		t.Fatal(err)
	}
	if h[id] == nil {
		t.Fatalf("%s has no entry %s", file, id)
	}
	return newEntry(id, h[id])
}

// summary renders an entry's outputs compactly: "node(class): uri,uri | ...".
func summary(e Entry) string {
	var parts []string
	for _, n := range e.Outputs {
		var items []string
		for _, f := range n.Files {
			items = append(items, f.Kind+"="+f.URI)
		}
		items = append(items, n.Texts...)
		parts = append(parts, n.NodeID+"("+n.ClassType+"): "+strings.Join(items, ","))
	}
	return strings.Join(parts, " | ")
}

func TestRecordedEntries(t *testing.T) {
	tests := []struct {
		file, id string
		outcome  string
		outputs  string
	}{
		{"get_history_by_id_ok.json", "24e8d9f3-7fbb-42c0-8a3e-1a1b90d26b33", "success",
			"2(SaveImage): images=comfyui://output/test_00001_.png"},
		{"get_history_by_id_preview_and_save.json", "11111111-2222-3333-4444-555555555555", "success",
			"7(PreviewImage): images=comfyui://temp/ComfyUI_temp_lrzye_00001_.png,images=comfyui://temp/ComfyUI_temp_lrzye_00002_.png | " +
				"8(SaveImage): images=comfyui://output/sub/dir_test_00001_.png,images=comfyui://output/sub/dir_test_00002_.png"},
		{"get_history_by_id_cached.json", "e0e31d0a-8d63-4c6c-81d6-c428beec7901", "success",
			"2(SaveImage): images=comfyui://output/test_00001_.png"},
		{"get_history_by_id_runtime_error.json", "61f5180d-b511-4da3-95ce-88ddf2cbff46", "error", ""},
		{"get_history_by_id_interrupted.json", "fb57f34f-b438-46f4-b2a3-6352bbf815d1", "interrupted", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := entryOf(t, tt.file, tt.id)
			if e.PromptID != tt.id || e.Outcome != tt.outcome || e.EndTimestamp == 0 {
				t.Errorf("entry = %+v", e)
			}
			if got := summary(e); got != tt.outputs {
				t.Errorf("outputs:\n got %s\nwant %s", got, tt.outputs)
			}
			if e.Outputs == nil {
				t.Error("outputs nil, want a list")
			}
		})
	}
}

func TestErrorAndInterruption(t *testing.T) {
	e := entryOf(t, "get_history_by_id_runtime_error.json", "61f5180d-b511-4da3-95ce-88ddf2cbff46")
	want := ErrorDigest{NodeID: "2", NodeType: "ImageToMask", ExceptionType: "IndexError",
		ExceptionMessage: "index 3 is out of bounds for dimension 3 with size 3"}
	if e.Error == nil || *e.Error != want || e.InterruptedAtNode != "" {
		t.Errorf("error = %+v, want %+v", e.Error, want)
	}
	e = entryOf(t, "get_history_by_id_interrupted.json", "fb57f34f-b438-46f4-b2a3-6352bbf815d1")
	if e.Error != nil || e.InterruptedAtNode != "3" {
		t.Errorf("interrupted entry = %+v", e)
	}
}

// Output shapes ComfyUI produces without a recording (API.md 2.8): audio,
// custom keys, texts, animated flags and 3D results, with numeric node ids
// in numeric order.
func TestOtherOutputShapes(t *testing.T) {
	raw := `{"prompt": [3, "p", {"10": {"class_type": "SaveAudio"}, "2": {"class_type": "VHS_VideoCombine"}, "9": {"class_type": "PreviewAny"}}, {}, []],
	 "outputs": {
	  "10": {"audio": [{"filename": "a b.flac", "subfolder": "audio", "type": "output"}]},
	  "2": {"gifs": [{"filename": "v.mp4", "subfolder": "", "type": "output", "format": "video/h264-mp4"}], "animated": [true]},
	  "9": {"text": ["hello", "` + strings.Repeat("x", maxText+10) + `"]},
	  "11": {"result": ["mesh.glb", {"camera": 1}]}},
	 "status": {"status_str": "success", "completed": true, "messages": []}}`
	var h comfy.HistoryEntry
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		t.Fatal(err)
	}
	e := newEntry("p", &h)
	if len(e.Outputs) != 3 {
		t.Fatalf("outputs = %+v, want nodes 2, 9, 10", e.Outputs)
	}
	if got := summary(Entry{Outputs: e.Outputs[:1]}) + " | " + summary(Entry{Outputs: e.Outputs[2:]}); got !=
		"2(VHS_VideoCombine): gifs=comfyui://output/v.mp4 | 10(SaveAudio): audio=comfyui://output/audio/a%20b.flac" {
		t.Errorf("files = %s", got)
	}
	texts := e.Outputs[1].Texts
	if e.Outputs[1].NodeID != "9" || len(texts) != 2 || texts[0] != "hello" || !strings.HasSuffix(texts[1], "… [10 more bytes]") {
		t.Errorf("texts = %.80q", texts)
	}
}

func TestHeadString(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want string
		cut  bool
	}{
		{"short", 10, "short", false},
		{"abcdef", 3, "abc… [3 more bytes]", true},
		{"ééé", 3, "é… [4 more bytes]", true}, // never inside a character
	}
	for _, tt := range tests {
		got, cut := headString(tt.s, tt.max)
		if got != tt.want || cut != tt.cut {
			t.Errorf("headString(%q, %d) = %q, %v; want %q, %v", tt.s, tt.max, got, cut, tt.want, tt.cut)
		}
	}
}
