// Command get_history is the easel plugin behind the get_history tool: the
// results of finished ComfyUI jobs (outcome, error, output files and texts),
// for one prompt_id or the most recent jobs.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o get_history.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
	"github.com/easel-mcp/easel/sdk/jsonread"
)

// Input is the tool's arguments.
type Input struct {
	PromptID string `json:"prompt_id,omitempty" maxLength:"256" description:"One job; omit to list recent jobs"`
	MaxItems int    `json:"max_items" default:"5" minimum:"1" maximum:"50" description:"Recent jobs to list"`
}

const description = `Results of finished ComfyUI jobs: one by prompt_id, or the max_items most recent (newest first). Per job: outcome (success, error, interrupted), the error's node and message, and per output node its files (images, video, audio; comfyui:// URIs) and texts. An unfinished prompt_id gives found=false with state pending or running. History is kept in ComfyUI's memory, lost on restart. get_job_status adds tracebacks and timing.`

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
		// With several ComfyUI servers, every request goes to the job's.
		return lookup(c.ComfyUI().ForJob(in.PromptID), in.PromptID)
	}
	// Each server's answer without the jobs' extra data (for a job queued
	// from the web UI, the front end's graph: tens of kilobytes a job),
	// which the tool never shows.
	var answers []sdk.BackendAnswer
	req := sdk.Request{Method: "GET", Path: "/history", Query: map[string]string{"max_items": strconv.Itoa(in.MaxItems)}, Omit: []string{"/*/body/*/prompt/3"}}
	if _, err := c.ComfyUI().OnBackend("*").DoJSON(req, &answers); err != nil {
		return History{}, err
	}
	if len(answers) == 1 {
		var raw json.RawMessage
		if err := answers[0].Decode(&raw); err != nil {
			return History{}, err
		}
		entries, err := recentFirst(raw)
		return History{Entries: entries}, err
	}
	return merged(answers, in.MaxItems), nil
}

// merged lists the most recent jobs of several ComfyUI servers, each
// labelled with its server, most recent first by end time.
func merged(answers []sdk.BackendAnswer, maxItems int) History {
	out := History{Entries: []Entry{}}
	for _, a := range answers {
		var raw json.RawMessage
		err := a.Decode(&raw)
		var entries []Entry
		if err == nil {
			entries, err = recentFirst(raw)
		}
		if err != nil {
			out.BackendErrors = append(out.BackendErrors, a.Backend+": "+err.Error())
			continue
		}
		onBackend(entries, a.Backend)
		out.Entries = append(out.Entries, entries...)
	}
	slices.SortStableFunc(out.Entries, func(a, b Entry) int { return cmp.Compare(b.EndTimestamp, a.EndTimestamp) })
	if len(out.Entries) > maxItems {
		out.Entries = out.Entries[:maxItems]
	}
	return out
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
	entry, backend, err := historyEntry(api, id)
	if err != nil || entry != nil {
		return finished(out, id, entry, backend), err
	}
	q, _, err := comfy.GetJobQueue(api)
	if err != nil {
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
		if entry, backend, err = historyEntry(api, id); err != nil || entry != nil {
			return finished(out, id, entry, backend), err
		}
	}
	out.State = stateUnknown
	return out, nil
}

// finished fills out from the job's history entry (nil: nothing to add).
func finished(out History, id string, entry *comfy.HistoryEntry, backend string) History {
	if entry != nil {
		*out.Found = true
		out.State = stateFinished
		out.Entries = []Entry{newEntry(id, entry)}
		onBackend(out.Entries, backend)
	}
	return out
}

// historyEntry fetches /history/{id}; nil means ComfyUI has no entry for
// it. backend names the server that answered, when there are several.
func historyEntry(api *sdk.ComfyUI, id string) (entry *comfy.HistoryEntry, backend string, err error) {
	entry = &comfy.HistoryEntry{}
	// The entry alone, without the job's extra data (see handle).
	resp, err := api.DoJSON(sdk.Request{Method: "GET", Path: sdk.Path("history", id), Select: jsonread.Pointer(id), Omit: []string{"/prompt/3"}}, entry)
	if err != nil {
		return nil, "", err
	}
	if resp.Missing {
		return nil, resp.Backend, nil
	}
	return entry, resp.Backend, nil
}
