package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

func recordedSummaries(t *testing.T) []summary {
	t.Helper()
	body := comfyuitest.Recording(t, "get_object_info_full.json")
	ref, refErr := summarizeByEncodingJSON(body)
	all, err := summarize(body)
	if err != nil || refErr != nil || !reflect.DeepEqual(all, ref) {
		t.Fatalf("summarize and encoding/json disagree on the recorded /object_info (%v, %v)", err, refErr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func matchNames(s *Search) string {
	var out []string
	for _, m := range s.Matches {
		out = append(out, m.Name)
	}
	return strings.Join(out, ",")
}

func TestSearch(t *testing.T) {
	all := recordedSummaries(t)
	tests := []struct {
		query     string
		limit     int
		wantFirst string // the first matches, in order
		total     int    // 0: not checked
	}{
		{"KSampler", 3, "KSampler,KSamplerAdvanced,KSamplerSelect", 0},
		{"load image", 3, "LoadImage,LoadImageMask,LoadImageOutput", 0},
		{"LOADIMAGE", 1, "LoadImage", 0},
		{"Save Image", 2, "SaveImage,", 0},
		{"blur", 1, "ImageBlur", 0},
		{"image/postprocessing", 20, "", 0},
		{"zzz no such thing", 20, "", 0},
	}
	for _, tt := range tests {
		s := search(all, tt.query, tt.limit)
		got := matchNames(s)
		if !strings.HasPrefix(got, tt.wantFirst) || len(s.Matches) > tt.limit || s.Truncated != (s.Total > tt.limit) {
			t.Errorf("search(%q) = %s (total %d, truncated %v), want first %s", tt.query, got, s.Total, s.Truncated, tt.wantFirst)
		}
	}
	// Words match by their stem: "upscale" finds what is filed under
	// image/upscaling, whose names say "Scale".
	if got := matchNames(search(all, "upscale", 100)); !strings.Contains(got, "ImageScaleToTotalPixels") || !strings.Contains(got, "LatentUpscale") {
		t.Errorf("search(upscale) = %s, want the image/upscaling classes too", got)
	}
	if got := matchNames(search(all, "samplers", 100)); !strings.Contains(got, "KSampler") {
		t.Errorf("search(samplers) = %s, want KSampler", got)
	}
	// A category search finds the classes filed there.
	s := search(all, "image/postprocessing", 100)
	if s.Total < 4 || !strings.Contains(matchNames(s), "ImageBlur") {
		t.Errorf("category search = %s", matchNames(s))
	}
	for _, m := range s.Matches {
		if !strings.HasPrefix(m.Category, "image/postprocessing") {
			t.Errorf("%s is in %s", m.Name, m.Category)
		}
	}
	if s := search(all, "zzz no such thing", 20); s.Total != 0 || s.Matches == nil || s.Truncated {
		t.Errorf("no match = %+v", s)
	}
	// Display names stand in for null ones.
	for _, m := range search(all, "ImageBlur", 1).Matches {
		if m.DisplayName != "ImageBlur" || m.Category != "image/postprocessing" || m.OutputNode {
			t.Errorf("ImageBlur = %+v", m)
		}
	}
	if m := search(all, "PreviewImage", 1).Matches[0]; !m.OutputNode || m.DisplayName != "Preview Image" {
		t.Errorf("PreviewImage = %+v", m)
	}
}

func TestSuggest(t *testing.T) {
	all := recordedSummaries(t)
	tests := []struct {
		name      string
		wantFirst string
	}{
		{"ksampler", "KSampler"},
		{"KSamplerNode", "KSampler"},
		{"loadimage", "LoadImage"},
		{"Load Image", "LoadImage"},
		{"VAEDecoder", "VAEDecode"},
		{"UpscaleImage", "ImageScale"}, // its display name, "Upscale Image"
		{"xyzzy", ""},
	}
	for _, tt := range tests {
		got := suggest(all, tt.name, maxSuggestions)
		if len(got) > maxSuggestions || tt.wantFirst == "" && len(got) != 0 || tt.wantFirst != "" && (len(got) == 0 || got[0] != tt.wantFirst) {
			t.Errorf("suggest(%q) = %v, want first %q", tt.name, got, tt.wantFirst)
		}
	}
}

func TestSummarizeOddAnswers(t *testing.T) {
	body := `{"A": 5, "B": {"display_name": null, "category": "x", "output_node": true, "input": {"required": {}}},
	          "C": {"display_name": "See", "deprecated": "maybe"}}`
	all, err := summarize([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{{Name: "A", DisplayName: "A"}, {Name: "B", DisplayName: "B", Category: "x", OutputNode: true}, {Name: "C", DisplayName: "See"}}
	if len(all) != 3 || all[0] != want[0] || all[1] != want[1] || all[2] != want[2] {
		t.Errorf("summaries = %+v", all)
	}
	for _, bad := range []string{"<html>", `{"A": {`, `["A"]`, `{"A": {}} trailing`} {
		if _, err := summarize([]byte(bad)); err == nil {
			t.Errorf("summarize(%q) accepted it", bad)
		}
	}
}

// summarizeByEncodingJSON is summarize as encoding/json's streaming decoder
// does it (the plugin's code before session 10): the reference that
// FuzzSummarizeIsEncodingJSON holds summarize to.
func summarizeByEncodingJSON(body []byte) ([]summary, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object of node classes")
	}
	var all []summary
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		s := summary{Name: tok.(string)}
		if err := dec.Decode(&s); err != nil {
			var typeErr *json.UnmarshalTypeError
			if !errors.As(err, &typeErr) {
				return nil, err
			}
		}
		if s.DisplayName == "" {
			s.DisplayName = flexString(s.Name)
		}
		all = append(all, s)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON object")
	}
	return all, nil
}

// memberInOtherCase reports whether a class in body has a member whose
// key has an upper-case letter, which encoding/json may match to a field.
func memberInOtherCase(body []byte) bool {
	var classes map[string]json.RawMessage
	if json.Unmarshal(body, &classes) != nil {
		return false
	}
	for _, c := range classes {
		var members map[string]json.RawMessage
		if json.Unmarshal(c, &members) != nil {
			continue
		}
		for k := range members {
			if strings.ToLower(k) != k {
				return true
			}
		}
	}
	return false
}

// FuzzSummarizeIsEncodingJSON holds summarize to encoding/json's reading
// of the same answer: the same answers accepted, to the same summaries.
// (encoding/json also matches members' keys in other cases,
// which ComfyUI never sends; such inputs are only checked not to crash.)
func FuzzSummarizeIsEncodingJSON(f *testing.F) {
	f.Add([]byte(`{"A": 5, "B": {"display_name": null, "category": "x", "output_node": true, "input": {"required": {}}}, "C": {"display_name": "See", "deprecated": "maybe"}}`))
	f.Add([]byte(`{"KSampler": {"display_name": "KSampler", "category": "sampling", "output_node": false, "display_name": 7}, "X": [], "Y": null, "X": {}}`))
	f.Add([]byte(`{"A": {"category": "\u00e9", "deprecated": true, "output_node": "true"}}`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(`{"A": {}} x`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := summarize(body)
		ref, refErr := summarizeByEncodingJSON(body)
		if memberInOtherCase(body) {
			return
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("%q: summarize %v, encoding/json %v", body, err, refErr)
		}
		if err == nil && !reflect.DeepEqual(got, ref) {
			t.Fatalf("%q: summarize %+v, encoding/json %+v", body, got, ref)
		}
	})
}
