package main

import (
	"strings"
	"testing"

	"github.com/easel-mcp/easel/host/comfyui/comfyuitest"
)

func recordedSummaries(t *testing.T) []summary {
	t.Helper()
	all, _, err := summarize(comfyuitest.Recording(t, "get_object_info_full.json"), "")
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
	all, raw, err := summarize([]byte(body), "C")
	if err != nil {
		t.Fatal(err)
	}
	want := []summary{{Name: "A", DisplayName: "A"}, {Name: "B", DisplayName: "B", Category: "x", OutputNode: true}, {Name: "C", DisplayName: "See"}}
	if len(all) != 3 || all[0] != want[0] || all[1] != want[1] || all[2] != want[2] {
		t.Errorf("summaries = %+v", all)
	}
	if !strings.HasPrefix(string(raw), `{"display_name": "See"`) {
		t.Errorf("wanted class = %s", raw)
	}
	for _, bad := range []string{"<html>", `{"A": {`, `["A"]`, `{"A": {}} trailing`} {
		if _, _, err := summarize([]byte(bad), ""); err == nil {
			t.Errorf("summarize(%q) accepted it", bad)
		}
	}
}
