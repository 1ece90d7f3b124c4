package comfy

import (
	"encoding/json"
	"slices"
	"strings"
)

// Queue is GET /queue. Items are ComfyUI's 5-element arrays
// [number, prompt_id, prompt, extra_data, outputs_to_execute].
type Queue struct {
	Running []QueueItem `json:"queue_running"`
	Pending []QueueItem `json:"queue_pending"`
}

// QueueItem is one queued or running prompt.
type QueueItem struct {
	Number    float64
	PromptID  string
	Prompt    json.RawMessage
	ExtraData json.RawMessage
	Outputs   []string
}

// UnmarshalJSON decodes the 5-element array form; missing trailing
// elements are left zero rather than failing, for tolerance.
func (q *QueueItem) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	fields := []any{&q.Number, &q.PromptID, &q.Prompt, &q.ExtraData, &q.Outputs}
	for i := 0; i < len(raw) && i < len(fields); i++ {
		if err := json.Unmarshal(raw[i], fields[i]); err != nil {
			return err
		}
	}
	return nil
}

// SortedPending returns the pending items in execution order: ComfyUI sends
// its raw heap array, and runs by (number, prompt_id).
func (q *Queue) SortedPending() []QueueItem {
	items := slices.Clone(q.Pending)
	slices.SortStableFunc(items, func(a, b QueueItem) int {
		switch {
		case a.Number < b.Number:
			return -1
		case a.Number > b.Number:
			return 1
		}
		return strings.Compare(a.PromptID, b.PromptID)
	})
	return items
}

// Find reports where id is: running, or pending at a 1-based position in
// execution order.
func (q *Queue) Find(id string) (running bool, position int, found bool) {
	for _, it := range q.Running {
		if it.PromptID == id {
			return true, 0, true
		}
	}
	for i, it := range q.SortedPending() {
		if it.PromptID == id {
			return false, i + 1, true
		}
	}
	return false, 0, false
}
