// Command get_history is the easel plugin behind the get_history tool: the
// results of finished ComfyUI jobs (outcome, error, output files and texts),
// for one prompt_id or the most recent jobs.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o get_history.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	PromptID string `json:"prompt_id,omitempty" maxLength:"256" description:"One job's prompt_id; omit to list the most recent jobs"`
	MaxItems int    `json:"max_items" default:"5" minimum:"1" maximum:"50" description:"How many recent jobs to list when prompt_id is omitted"`
}

const description = `Results of finished ComfyUI jobs: one job by prompt_id, or the max_items most recent (most recent first). Per job: outcome (success, error, interrupted), the error's node and message, and per output node its files (images, video, audio, with a comfyui:// URI) and texts. A prompt_id not finished yet gives found=false with state pending or running. History lives in ComfyUI's memory and is lost on restart. Read-only. Use get_job_status for tracebacks and timing, get_queue for unfinished jobs.`

func init() {
	sdk.Register(sdk.Tool[Input, History]{
		Name:        "get_history",
		Title:       "Get history",
		Description: description,
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (History, error) {
	if in.PromptID != "" {
		return lookup(c.ComfyUI(), in.PromptID)
	}
	var raw json.RawMessage
	q := map[string]string{"max_items": strconv.Itoa(in.MaxItems)}
	if err := c.ComfyUI().GetJSON("/history", q, &raw); err != nil {
		return History{}, err
	}
	entries, err := recentFirst(raw)
	if err != nil {
		return History{}, err
	}
	return History{Entries: entries}, nil
}

// historyRetries are the pauses before asking /history again when a job is
// in neither /queue nor /history: newer ComfyUI versions can show a finished
// job in neither for a moment, and calling it unknown would be false.
var historyRetries = []time.Duration{50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond}

// lookup reports one job: its history entry, or else where it is in the
// queue, since /history/{id} answers {} alike for unknown, pending and
// running jobs (API.md 2.8).
func lookup(api *sdk.ComfyUI, id string) (History, error) {
	out := History{PromptID: id, Found: new(bool), Entries: []Entry{}}
	entry, err := historyEntry(api, id)
	if err != nil || entry != nil {
		return finished(out, id, entry), err
	}
	var q comfy.Queue
	if err := api.GetJSON("/queue", nil, &q); err != nil {
		return out, err
	}
	if running, position, found := q.Find(id); found {
		out.State, out.QueuePosition = statePending, position
		if running {
			out.State = stateRunning
		}
		return out, nil
	}
	for _, d := range historyRetries {
		time.Sleep(d)
		if entry, err = historyEntry(api, id); err != nil || entry != nil {
			return finished(out, id, entry), err
		}
	}
	out.State = stateUnknown
	return out, nil
}

// finished fills out from the job's history entry (nil: nothing to add).
func finished(out History, id string, entry *comfy.HistoryEntry) History {
	if entry != nil {
		*out.Found = true
		out.State = stateFinished
		out.Entries = []Entry{newEntry(id, entry)}
	}
	return out
}

// historyEntry fetches /history/{id}; nil means ComfyUI has no entry for it.
func historyEntry(api *sdk.ComfyUI, id string) (*comfy.HistoryEntry, error) {
	var h map[string]*comfy.HistoryEntry
	if err := api.GetJSON(sdk.Path("history", id), nil, &h); err != nil {
		return nil, err
	}
	return h[id], nil
}
