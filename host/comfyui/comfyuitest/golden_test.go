package comfyuitest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestGoldenResponses replays recorded requests that do not depend on earlier ones against a
// fresh emulator and expects the recorded status and body, byte for byte: Python's
// separators, key order, number forms (1 versus 1.0) and empty bodies included.
func TestGoldenResponses(t *testing.T) {
	recordings(t)
	files := []string{
		"get_system_stats.json",
		"get_features.json",
		"get_prompt_idle.json",
		"get_queue_idle.json",
		"get_history_empty.json",
		"get_object_info_EmptyImage.json",
		"get_object_info_SaveImage.json",
		"get_object_info_EmptyLatentImage.json",
		"get_object_info_PreviewImage.json",
		"get_object_info_LoadImage.json",
		"get_object_info_ImageBlur.json",
		"get_object_info_KSampler.json",
		"get_object_info_unknown.json",
		"get_object_info_full.json",
		"get_embeddings.json",
		"get_extensions.json",
		"get_models.json",
		"get_models_checkpoints.json",
		"get_models_unknown.json",
		"get_api_prefix_queue.json",
		"get_root_index.json",
		"get_history_unknown_id.json",
		"get_view_missing.json",
		"get_view_bad_type.json",
		"post_interrupt_global_idle.json",
		"post_free.json",
		"post_queue_clear.json",
		"extra_get_api_object_info_SaveImage.json",
		"extra_options_prompt_with_foreign_origin.json",
		"extra_get_users.json",
		"extra_get_settings.json",
		"extra_get_workflow_templates.json",
		"extra_get_i18n.json",
	}
	// Every validation failure recorded; the counter they advance is not in their bodies.
	invalid, err := filepath.Glob(filepath.Join(recordingsDir, "post_prompt_invalid_*.json"))
	if err != nil || len(invalid) == 0 {
		t.Fatalf("no post_prompt_invalid_* recordings: %v", err)
	}
	for _, f := range invalid {
		files = append(files, filepath.Base(f))
	}

	s := NewServer(t)
	for _, name := range files {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			e := loadExchange(t, name)
			status, header, body := do(t, e.Request.Method, s.URL+e.Request.Path, e.body(), e.Request.Headers)
			checkResponse(t, e, status, header, body)
		})
	}
}

// checkResponse compares an emulator answer with a recorded one.
func checkResponse(t *testing.T, e exchange, status int, header map[string][]string, body []byte) {
	t.Helper()
	if status != e.Response.Status {
		t.Errorf("status %d, recorded %d (body %q)", status, e.Response.Status, clip(body))
	}
	switch {
	case len(e.Response.JSON) > 0:
		want := encodeJSON(e.responseJSON(t))
		if !bytes.Equal(body, want) {
			t.Errorf("body differs:\n got: %s\nwant: %s", clip(body), clip(want))
		}
		if cl := e.Response.Headers["Content-Length"]; cl != strconv.Itoa(len(body)) {
			t.Errorf("body is %d bytes, recorded Content-Length %s", len(body), cl)
		}
		if ct := strings.Join(header["Content-Type"], ","); ct != e.Response.Headers["Content-Type"] {
			t.Errorf("Content-Type %q, recorded %q", ct, e.Response.Headers["Content-Type"])
		}
	case e.Response.Text != nil:
		if string(body) != *e.Response.Text {
			t.Errorf("body %q, recorded %q", clip(body), *e.Response.Text)
		}
	case e.Response.BodyLength != nil && *e.Response.BodyLength == 0:
		if len(body) != 0 {
			t.Errorf("body %q, recorded an empty body", clip(body))
		}
	}
}

// TestEncoderMatchesPython checks the JSON encoder against every recorded JSON body: the
// recordings state that Python's json.dumps of each body gives exactly its Content-Length,
// so decoding and re-encoding must give that many bytes.
func TestEncoderMatchesPython(t *testing.T) {
	dir := recordings(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(`"response"`)) {
			continue
		}
		e := loadExchange(t, filepath.Base(f))
		if len(e.Response.JSON) == 0 {
			continue
		}
		n++
		got := len(encodeJSON(e.responseJSON(t)))
		if cl := e.Response.Headers["Content-Length"]; cl != strconv.Itoa(got) {
			t.Errorf("%s: encoded %d bytes, Content-Length %s", filepath.Base(f), got, cl)
		}
	}
	if n < 50 {
		t.Errorf("only %d JSON bodies checked", n)
	}
}
