package comfy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/easel-mcp/easel/sdk/jsonread"
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
	*q = QueueItem{}
	r := jsonread.New(b)
	err := q.read(r)
	if rerr := r.End(); rerr != nil {
		return rerr
	}
	return err
}

// read reads the array form at r; see UnmarshalJSON.
func (q *QueueItem) read(r *jsonread.Reader) error {
	if k := r.Kind(); k != jsonread.Array {
		return fmt.Errorf("a queue item is a JSON %s, not an array", kindName(k))
	}
	r.Array(func(i int) {
		switch i {
		case 0:
			if r.Kind() == jsonread.Number {
				q.Number, _ = strconv.ParseFloat(r.Number(), 64)
			}
		case 1:
			q.PromptID = readString(r)
		case 2:
			q.Prompt = slices.Clone(r.Raw())
		case 3:
			q.ExtraData = slices.Clone(r.Raw())
		case 4:
			q.Outputs = readStrings(r)
		}
	})
	return nil
}

// skipQueueItem checks that the value at r has a queue item's shape, as
// QueueItem.read does, and skips it.
func skipQueueItem(r *jsonread.Reader) error {
	if k := r.Kind(); k != jsonread.Array {
		return fmt.Errorf("a queue item is a JSON %s, not an array", kindName(k))
	}
	r.Skip()
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
