package comfy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/easel-mcp/easel/sdk"
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

// UnmarshalJSON decodes a /queue answer in one pass (package jsonread),
// as encoding/json would into the struct with keys matched exactly: a
// queue of a few jobs queued from ComfyUI's web UI is hundreds of
// kilobytes of workflows, which encoding/json's scanner reads several
// times slower in WebAssembly.
func (q *Queue) UnmarshalJSON(b []byte) error { return q.unmarshal(b, true) }

// JobQueue is GET /queue read for where a job is: each item's number and
// prompt id. Its prompts and extra data are checked like Queue's but not
// kept. get_job_status reads one on every poll of a job not finished.
type JobQueue Queue

// UnmarshalJSON decodes a /queue answer like Queue.UnmarshalJSON, with
// the items' prompts and extra data skipped.
func (q *JobQueue) UnmarshalJSON(b []byte) error { return (*Queue)(q).unmarshal(b, false) }

// UnmarshalsWholeValue tells sdk.ComfyUI.DoJSON that UnmarshalJSON checks
// the whole answer itself.
func (*Queue) UnmarshalsWholeValue() {}

// UnmarshalsWholeValue: see Queue's.
func (*JobQueue) UnmarshalsWholeValue() {}

// GetJobQueue fetches /queue for where its jobs are: their numbers and
// prompt ids. The host leaves every job's workflow and extra data out of
// the answer (sdk.Request.Omit); for jobs queued from ComfyUI's web UI
// they are tens of kilobytes each, which this plugin would otherwise read
// in WebAssembly on every poll. The response gives the answering server.
func GetJobQueue(api *sdk.ComfyUI) (*Queue, *sdk.Response, error) {
	var q JobQueue
	resp, err := api.DoJSON(sdk.Request{Method: "GET", Path: "/queue", Omit: QueueWorkflows()}, &q)
	return (*Queue)(&q), resp, err
}

// QueueWorkflows are the omit patterns of every queued job's workflow and
// extra data in a /queue answer.
func QueueWorkflows() []string {
	return []string{"/queue_running/*/2", "/queue_running/*/3", "/queue_pending/*/2", "/queue_pending/*/3"}
}

// unmarshal reads a /queue answer; full keeps prompts and extra data.
func (q *Queue) unmarshal(b []byte, full bool) error {
	r := jsonread.New(b)
	if r.Null() {
		return r.End() // nothing, as encoding/json reads it
	}
	if k := r.Kind(); k != jsonread.Object {
		return fmt.Errorf("the queue is a JSON %s, not an object", kindName(k))
	}
	var err error
	items := func(name string) []QueueItem {
		if r.Null() {
			return nil
		}
		if k := r.Kind(); k != jsonread.Array {
			err = fmt.Errorf("%s is a JSON %s, not an array", name, kindName(k))
			return nil
		}
		list := []QueueItem{}
		r.Array(func(int) {
			var it QueueItem
			if err == nil {
				err = it.readAs(r, full)
			}
			list = append(list, it)
		})
		return list
	}
	r.ObjectBytes(func(key []byte) {
		if err != nil {
			return
		}
		switch string(key) {
		case "queue_running":
			q.Running = items("queue_running")
		case "queue_pending":
			q.Pending = items("queue_pending")
		}
	})
	if rerr := r.End(); rerr != nil {
		return rerr
	}
	return err
}

// read reads the array form at r; see UnmarshalJSON.
func (q *QueueItem) read(r *jsonread.Reader) error { return q.readAs(r, true) }

// readAs reads the array form at r, its prompt and extra data only if full.
func (q *QueueItem) readAs(r *jsonread.Reader, full bool) error {
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
			if full {
				q.Prompt = slices.Clone(r.Raw())
			}
		case 3:
			if full {
				q.ExtraData = slices.Clone(r.Raw())
			}
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
