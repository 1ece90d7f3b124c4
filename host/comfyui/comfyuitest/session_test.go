package comfyuitest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGoldenSession replays the recorded main run in order, with WebSocket clients A and B
// connected throughout, and compares every HTTP answer and every frame both clients receive
// with the recording. Holds make the interleaving of the slow prompts (queue events between
// node frames, the interrupt landing on SaveImage) the one recorded, without timing.
//
// Normalised before comparing: prompt ids (the server generates them), timestamps, sids,
// PreviewImage's random prefix, the printed tensor in current_inputs, and the order of
// lists ComfyUI builds from Python sets (executed, current_outputs, outputs_to_execute).
func TestGoldenSession(t *testing.T) {
	dir := recordings(t)
	s := NewServer(t)
	norm := &normalizer{ids: map[string]string{}}
	ctx := ctxT(t)

	a := dialWS(t, s.WebSocketURL("rec-client-a"), nil)
	a.waitFor(t, 0, "A's first status", isType("status"))
	b := dialWS(t, s.WebSocketURL("rec-client-b"), nil)
	b.send(t, newObject("type", "feature_flags", "data", newObject("supports_preview_metadata", true, "max_upload_size", 104857600)))
	b.waitFor(t, 0, "B's feature_flags reply", isType("feature_flags"))

	t.Run("ws_01_connect_plain", func(t *testing.T) {
		want, _ := loadFrames(t, "ws_01_connect_plain.json")
		norm.same(t, "frames", a.frames(0, 1), want)
	})
	t.Run("ws_02_connect_feature_flags", func(t *testing.T) {
		want, _ := loadFrames(t, "ws_02_connect_feature_flags.json")
		norm.same(t, "frames", b.frames(0, 2), want)
	})
	t.Run("ws_03_connect_no_client_id", func(t *testing.T) {
		c := dialWS(t, s.WebSocketURL(""), nil)
		c.waitFor(t, 0, "status", isType("status"))
		first := c.frames(0, 1)[0].(*object)
		sid := first.vals["data"].(*object).str("sid")
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(sid) {
			t.Errorf("generated sid %q is not 32 hex digits", sid)
		}
		want, _ := loadFrames(t, "ws_03_connect_no_client_id.json")
		norm.same(t, "frames", c.frames(0, 1), want)
	})

	// post submits a recorded POST /prompt, checks the answer, and maps the new prompt id
	// to the recorded one.
	post := func(t *testing.T, name string) string {
		t.Helper()
		e := loadExchange(t, name)
		status, header, body := do(t, e.Request.Method, s.URL+e.Request.Path, e.body(), nil)
		v, err := decodeJSON(body)
		if err != nil {
			t.Fatalf("%s: answer %q: %v", name, body, err)
		}
		if o, ok := v.(*object); ok && o.str("prompt_id") != "" {
			want := e.responseJSON(t).(*object).str("prompt_id")
			norm.ids[o.str("prompt_id")] = want
		}
		checkNormalised(t, norm, e, status, header, v)
		if o, ok := v.(*object); ok {
			return o.str("prompt_id")
		}
		return ""
	}
	get := func(t *testing.T, name string) {
		t.Helper()
		e := loadExchange(t, name)
		path := e.Request.Path
		for mine, rec := range norm.ids {
			path = strings.ReplaceAll(path, rec, mine)
		}
		status, header, body := do(t, e.Request.Method, s.URL+path, e.body(), nil)
		if len(e.Response.JSON) == 0 {
			checkResponse(t, e, status, header, body)
			return
		}
		v, err := decodeJSON(body)
		if err != nil {
			t.Fatalf("%s: answer %q: %v", name, body, err)
		}
		checkNormalised(t, norm, e, status, header, v)
	}
	// slice compares A's frames from index `from` up to and including `to` with a capture.
	slice := func(t *testing.T, name string, rec *wsRecorder, from, to int) {
		t.Helper()
		want, _ := loadFrames(t, name)
		norm.same(t, name+" frames", rec.frames(from, to+1), want)
	}

	var idOK string
	t.Run("prompt_ok", func(t *testing.T) {
		from, fromB := a.len(), b.len()
		idOK = post(t, "post_prompt_ok.json")
		end := a.waitFor(t, from, "end of prompt", isDone(idOK))
		slice(t, "ws_10_prompt_ok_client_a.json", a, from, end)
		endB := b.waitFor(t, fromB+2, "status 0", isStatus(0))
		slice(t, "ws_11_prompt_ok_other_client_b.json", b, fromB, endB)
		get(t, "get_queue_after_ok.json")
		get(t, "get_history_by_id_ok.json")
		get(t, "get_history_unknown_id.json")
		checkPNG(t, s, dir, "get_view_output_png.json", true)
		checkPNG(t, s, dir, "get_view_output_channel_rgb.json", false)
		status, _, _ := do(t, http.MethodGet, s.URL+"/view?filename=test_00001_.png&subfolder=&type=output&preview=webp;90", nil, nil)
		if status != http.StatusOK {
			t.Errorf("preview: status %d", status)
		}
	})

	t.Run("prompt_cached", func(t *testing.T) {
		from := a.len()
		id := post(t, "post_prompt_ok_repeat.json")
		end := a.waitFor(t, from, "end of prompt", isDone(id))
		slice(t, "ws_12_prompt_cached_client_a.json", a, from, end)
		get(t, "get_history_by_id_cached.json")
	})

	t.Run("prompt_preview_and_save", func(t *testing.T) {
		from := a.len()
		id := post(t, "post_prompt_with_prompt_id_extra_data.json")
		end := a.waitFor(t, from, "end of prompt", isDone(id))
		slice(t, "ws_13_prompt_preview_and_save.json", a, from, end)
		get(t, "get_history_by_id_preview_and_save.json")
		// The temp file's name is random: take it from the history.
		_, _, body := do(t, http.MethodGet, s.URL+"/history/"+id, nil, nil)
		h, _ := decodeJSON(body)
		images := h.(*object).vals[id].(*object).vals["outputs"].(*object).vals["7"].(*object).vals["images"].([]any)
		name := images[0].(*object).str("filename")
		checkPNGAt(t, s, dir, "get_view_temp_preview.json", "/view?filename="+name+"&subfolder=&type=temp", true)
	})

	t.Run("prompt_without_client_id", func(t *testing.T) {
		from := a.len()
		id := post(t, "post_prompt_no_client_id.json")
		if err := s.WaitJob(ctx, id); err != nil {
			t.Fatal(err)
		}
		end := a.waitFor(t, from+2, "status 0", isStatus(0))
		slice(t, "ws_14_prompt_without_client_id_seen_by_a.json", a, from, end)
	})

	t.Run("prompt_runtime_error", func(t *testing.T) {
		from := a.len()
		id := post(t, "post_prompt_runtime_error.json")
		end := a.waitFor(t, from, "end of prompt", isDone(id))
		slice(t, "ws_15_execution_error.json", a, from, end)
		get(t, "get_history_by_id_runtime_error.json")
	})

	t.Run("queue_delete_interrupt", func(t *testing.T) {
		from, fromB := a.len(), b.len()
		s.PauseWorker()
		id1 := post(t, "post_prompt_slow_1.json")
		id2 := post(t, "post_prompt_slow_2.json")
		s.HoldNode(id1, "1")
		s.HoldNode(id1, "2")
		s.ResumeWorker()
		if node, err := s.WaitHeld(ctx, id1); err != nil || node != "1" {
			t.Fatalf("WaitHeld = %q, %v", node, err)
		}
		id3 := post(t, "post_prompt_slow_3.json")
		get(t, "get_queue_running_and_pending.json")
		get(t, "get_prompt_running.json")
		s.ReleaseNode(id1, "1")
		if node, err := s.WaitHeld(ctx, id1); err != nil || node != "2" {
			t.Fatalf("WaitHeld = %q, %v", node, err)
		}
		e := loadExchange(t, "post_queue_delete.json")
		status, header, body := do(t, http.MethodPost, s.URL+"/queue", []byte(`{"delete": ["`+id3+`"]}`), nil)
		checkResponse(t, e, status, header, body)
		get(t, "get_queue_after_delete.json")
		s.HoldNode(id2, "3")
		s.ReleaseNode(id1, "2")
		if node, err := s.WaitHeld(ctx, id2); err != nil || node != "3" {
			t.Fatalf("WaitHeld = %q, %v", node, err)
		}
		e = loadExchange(t, "post_interrupt_prompt_id.json")
		status, header, body = do(t, http.MethodPost, s.URL+"/interrupt", []byte(`{"prompt_id": "`+id2+`"}`), nil)
		checkResponse(t, e, status, header, body)
		end := a.waitFor(t, from, "end of prompt 2", isDone(id2))
		slice(t, "ws_16_queue_slow_delete_interrupt_client_a.json", a, from, end)
		endB := b.waitFor(t, fromB, "status 0", isStatus(0))
		slice(t, "ws_17_queue_slow_delete_interrupt_other_client_b.json", b, fromB, endB)
		get(t, "get_history_by_id_interrupted.json")
		get(t, "get_history_by_id_deleted_from_queue.json")
		if err := s.WaitJob(ctx, id3); err != nil {
			t.Errorf("WaitJob of a deleted prompt: %v", err)
		}
	})

	t.Run("invalid_prompts", func(t *testing.T) {
		get(t, "post_interrupt_global_idle.json")
		for _, name := range []string{
			"post_prompt_invalid_unknown_class_type.json",
			"post_prompt_invalid_missing_class_type.json",
			"post_prompt_invalid_no_output_node.json",
			"post_prompt_invalid_missing_required_input.json",
			"post_prompt_invalid_value_above_max.json",
			"post_prompt_invalid_value_below_min.json",
			"post_prompt_invalid_value_wrong_type.json",
			"post_prompt_invalid_combo_value_not_in_list.json",
			"post_prompt_invalid_link_type_mismatch.json",
			"post_prompt_invalid_link_to_missing_node.json",
			"post_prompt_invalid_missing_model_file.json",
			"post_prompt_invalid_load_image_missing_file.json",
			"post_prompt_invalid_no_prompt_key.json",
			"post_prompt_invalid_empty_prompt.json",
			"post_prompt_invalid_malformed_json.json",
		} {
			get(t, name)
		}
	})

	t.Run("upload_and_load_image", func(t *testing.T) {
		from := a.len()
		upload, err := os.ReadFile(filepath.Join(dir, "binary", "get_view_input.bin"))
		if err != nil {
			t.Fatal(err)
		}
		status, header, body := postMultipart(t, s.URL+"/upload/image", "rec_upload.png", upload, map[string]string{"type": "input", "overwrite": "true"})
		checkResponse(t, loadExchange(t, "post_upload_image.json"), status, header, body)
		_, _, viewed := do(t, http.MethodGet, s.URL+"/view?filename=rec_upload.png&type=input", nil, nil)
		if !bytes.Equal(viewed, upload) {
			t.Errorf("GET /view of the upload returned %d bytes, not the %d uploaded", len(viewed), len(upload))
		}
		get(t, "get_object_info_LoadImage_after_upload.json")
		id := post(t, "post_prompt_load_image.json")
		end := a.waitFor(t, from, "end of prompt", isDone(id))
		// ws_18: nothing reached A while the invalid prompts were posted.
		if first := a.frames(from, from+1)[0].(*object); !isStatus(1)(first) {
			t.Errorf("A received %s before the LoadImage prompt", encodeJSON(first))
		}
		slice(t, "ws_19_load_image.json", a, from, end)
		get(t, "get_history_by_id_load_image.json")
	})

	t.Run("history", func(t *testing.T) {
		get(t, "get_history_all.json")
		get(t, "get_history_max_items_2.json")
		get(t, "get_queue_final.json")
		e := loadExchange(t, "post_history_delete.json")
		status, header, body := do(t, http.MethodPost, s.URL+"/history", []byte(`{"delete": ["`+idOK+`"]}`), nil)
		checkResponse(t, e, status, header, body)
		get(t, "get_history_by_id_after_delete.json")
		get(t, "post_free.json")
		get(t, "post_queue_clear.json")
	})

	t.Run("full_streams", func(t *testing.T) {
		for _, c := range []struct {
			name string
			rec  *wsRecorder
		}{{"ws_99_full_session_client_a.json", a}, {"ws_99_full_session_client_b.json", b}} {
			want, _ := loadFrames(t, c.name)
			// The last frames (the /queue clear broadcast) may still be on their way.
			c.rec.waitFor(t, len(want)-1, "the recorded number of frames", func(*object) bool { return true })
			norm.same(t, c.name, c.rec.frames(0, -1), want)
		}
	})
}

// checkNormalised compares a JSON answer with a recording after normalisation.
func checkNormalised(t *testing.T, norm *normalizer, e exchange, status int, header http.Header, got any) {
	t.Helper()
	if status != e.Response.Status {
		t.Errorf("status %d, recorded %d", status, e.Response.Status)
	}
	if len(e.Response.JSON) > 0 {
		norm.same(t, "body", got, e.responseJSON(t))
		if ct := header.Get("Content-Type"); ct != e.Response.Headers["Content-Type"] {
			t.Errorf("Content-Type %q, recorded %q", ct, e.Response.Headers["Content-Type"])
		}
	}
}

func checkPNG(t *testing.T, s *Server, dir, name string, withText bool) {
	t.Helper()
	checkPNGAt(t, s, dir, name, loadExchange(t, name).Request.Path, withText)
}

// checkPNGAt compares an image the emulator serves with a recorded one: same pixels, and
// the same text chunks (the prompt, the workflow). The compressed bytes differ (PIL versus
// Go's encoder).
func checkPNGAt(t *testing.T, s *Server, dir, name, path string, withText bool) {
	t.Helper()
	e := loadExchange(t, name)
	status, header, body := do(t, http.MethodGet, s.URL+path, nil, nil)
	if status != e.Response.Status {
		t.Fatalf("%s: status %d, recorded %d", name, status, e.Response.Status)
	}
	for _, h := range []string{"Content-Type", "Content-Disposition"} {
		want := e.Response.Headers[h]
		if h == "Content-Disposition" {
			want = tempName.ReplaceAllString(want, "ComfyUI_temp_XXXXX_")
		}
		if got := tempName.ReplaceAllString(header.Get(h), "ComfyUI_temp_XXXXX_"); got != want {
			t.Errorf("%s: %s %q, recorded %q", name, h, got, want)
		}
	}
	want, err := os.ReadFile(filepath.Join(dir, e.Response.SavedAs))
	if err != nil {
		t.Fatal(err)
	}
	gi, err1 := png.Decode(bytes.NewReader(body))
	wi, err2 := png.Decode(bytes.NewReader(want))
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: decoding: %v, %v", name, err1, err2)
	}
	if !samePixels(gi, wi) {
		t.Errorf("%s: pixels differ from the recording", name)
	}
	gt, wt := pngTexts(body), pngTexts(want)
	if !withText {
		wt = nil
	}
	norm := &normalizer{}
	for k, w := range wt {
		gv, err1 := decodeJSON([]byte(gt[k]))
		wv, err2 := decodeJSON([]byte(w))
		if err1 != nil || err2 != nil {
			t.Errorf("%s: text chunk %q: %v %v", name, k, err1, err2)
			continue
		}
		if gt[k] != w {
			norm.same(t, name+" text chunk "+k, gv, wv)
		}
	}
	if len(gt) != len(wt) {
		t.Errorf("%s: text chunks %v, recorded %v", name, keys(gt), keys(wt))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// pngTexts returns a PNG's tEXt chunks.
func pngTexts(data []byte) map[string]string {
	out := map[string]string{}
	for i := 8; i+8 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if i+12+n > len(data) {
			break
		}
		if typ == "tEXt" {
			k, v, _ := bytes.Cut(data[i+8:i+8+n], []byte{0})
			out[string(k)] = string(v)
		}
		i += 12 + n
	}
	return out
}

func postMultipart(t *testing.T, target, filename string, data []byte, fields map[string]string) (int, http.Header, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("image", filename)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, target, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, out.Bytes()
}
