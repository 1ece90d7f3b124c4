package comfyuitest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// RecordingsDir finds the recordings of a real ComfyUI 0.3.64 that the
// project keeps beside the repository (../shared/comfyui/recordings from the
// module root, as CI lays it out), or in $EASEL_RECORDINGS. It returns ""
// when there are none, so that golden tests can skip.
func RecordingsDir() string {
	if dir := os.Getenv("EASEL_RECORDINGS"); dir != "" {
		return dir
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "comfyui", "recordings")
			if _, err := os.Stat(dir); err == nil {
				return dir
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Recording returns the JSON response body of one recorded exchange (e.g.
// "get_queue_running_and_pending.json"), for golden tests. It skips the test
// when the recordings are not there.
func Recording(t testing.TB, name string) json.RawMessage {
	t.Helper()
	dir := RecordingsDir()
	if dir == "" {
		t.Skip("the ComfyUI recordings are not beside the repository")
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Response struct {
			JSON json.RawMessage `json:"json"`
		} `json:"response"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("recording %s: %v", name, err)
	}
	return rec.Response.JSON
}
