package comfy

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Number is a JSON number that ComfyUI may write as an integer or a float
// (Python writes 1024.0 for a float; API.md section 9), or as null. A
// value of another type reads as absent rather than failing the whole
// answer over one odd field.
type Number struct{ json.Number }

// UnmarshalJSON keeps any JSON number exactly and ignores everything else.
func (n *Number) UnmarshalJSON(b []byte) error {
	var v json.Number
	if json.Unmarshal(b, &v) == nil {
		n.Number = v
	}
	return nil
}

// Int64 returns the value, a float rounded to the nearest integer; 0 when
// absent or out of range.
func (n Number) Int64() int64 {
	if i, err := strconv.ParseInt(string(n.Number), 10, 64); err == nil {
		return i
	}
	f, err := strconv.ParseFloat(string(n.Number), 64)
	if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return 0
	}
	return int64(math.Round(f))
}

// PromptInfo is GET /prompt. QueueRemaining counts running and pending
// jobs together; it is much cheaper than GET /queue, which carries every
// queued workflow.
type PromptInfo struct {
	ExecInfo struct {
		QueueRemaining Number `json:"queue_remaining"`
	} `json:"exec_info"`
}

// Snippet is the start of an answer that is not what ComfyUI's API gives,
// as one line for an error message (sdk.NotAPIError's Snippet).
func Snippet(b []byte) string {
	const max = 200
	cut := b[:min(len(b), max)]
	for len(cut) > 0 && len(cut) < len(b) && !utf8.Valid(cut) {
		cut = cut[:len(cut)-1] // do not split a character
	}
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(cut), "\uFFFD")), " ")
	if len(cut) < len(b) {
		s += "…"
	}
	return s
}
