package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Cleared is the tool's structured result.
type Cleared struct {
	RemovedCount int      `json:"removed_count"`
	Removed      []string `json:"removed" description:"prompt_ids removed, in queue order; the first 100"`
	Running      string   `json:"running_prompt_id,omitempty" description:"The running job, left alone"`
	Started      []string `json:"started,omitempty" description:"Pending jobs that started running before the clear reached them"`
	StillPending []string `json:"still_pending,omitempty" description:"Jobs pending after the clear: queued meanwhile"`
	Message      string   `json:"message"`
}

// maxListed bounds the prompt_ids listed; the count is always exact.
const maxListed = 100

// snapshot is what /queue showed at one moment.
type snapshot struct {
	running string   // "" when idle
	pending []string // in execution order
}

func readQueue(api *sdk.ComfyUI) (snapshot, error) {
	q, _, err := comfy.GetJobQueue(api)
	if err != nil {
		return snapshot{}, err
	}
	var s snapshot
	if len(q.Running) > 0 {
		s.running = q.Running[0].PromptID
	}
	for _, it := range q.SortedPending() {
		s.pending = append(s.pending, it.PromptID)
	}
	return s, nil
}

// clearQueue clears the pending jobs and accounts for each job it saw
// pending: removed, started meanwhile, or (if ComfyUI ignored the clear)
// still pending. A job queued between the first look and the clear is
// removed without being counted: ComfyUI reports nothing about it.
func clearQueue(api *sdk.ComfyUI) (Cleared, error) {
	before, err := readQueue(api)
	if err != nil {
		return Cleared{}, err
	}
	if len(before.pending) == 0 {
		out := Cleared{Removed: []string{}, Running: before.running}
		out.Message = "The queue had no pending jobs; nothing was removed." + runningNote(before.running)
		return out, nil
	}
	if err := api.PostJSON("/queue", map[string]bool{"clear": true}, nil); err != nil {
		return Cleared{}, err
	}
	after, err := readQueue(api)
	if err != nil {
		return Cleared{}, err
	}
	var ignored []string
	for _, id := range before.pending {
		if slices.Contains(after.pending, id) {
			ignored = append(ignored, id)
		}
	}
	if len(ignored) > 0 {
		return Cleared{}, fmt.Errorf("ComfyUI still lists %d of the %d pending jobs after POST /queue cleared the queue (%s); they were not removed",
			len(ignored), len(before.pending), strings.Join(ignored[:min(len(ignored), 5)], ", "))
	}
	started, err := startedMeanwhile(api, before, after)
	if err != nil {
		return Cleared{}, err
	}
	return account(before, after, started), nil
}

// startedMeanwhile lists the jobs, among those seen pending, that the
// worker took before the clear reached them. ComfyUI runs one job at a time
// in execution order, so those jobs are a prefix of before.pending, and
// there can be any only if the running job changed or none was running: a
// job that left the queue and has a history entry ran, the first without
// one was removed, and so were all after it.
func startedMeanwhile(api *sdk.ComfyUI, before, after snapshot) (map[string]bool, error) {
	started := map[string]bool{}
	if before.running != "" && before.running == after.running {
		return started, nil
	}
	for _, id := range before.pending {
		if id == after.running {
			started[id] = true
			break
		}
		var h map[string]any
		if err := api.GetJSON(sdk.Path("history", id), nil, &h); err != nil {
			return nil, err
		}
		if _, ran := h[id]; !ran {
			break
		}
		started[id] = true
	}
	return started, nil
}

// account builds the result from the two snapshots.
func account(before, after snapshot, started map[string]bool) Cleared {
	out := Cleared{Removed: []string{}, Running: after.running}
	for _, id := range before.pending {
		if started[id] || id == after.running {
			out.Started = append(out.Started, id)
			continue
		}
		out.RemovedCount++
		if len(out.Removed) < maxListed {
			out.Removed = append(out.Removed, id)
		}
	}
	for _, id := range after.pending {
		if !slices.Contains(before.pending, id) {
			out.StillPending = append(out.StillPending, id)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Removed %d pending %s.", out.RemovedCount, plural(out.RemovedCount, "job"))
	if n := len(out.Started); n > 0 {
		fmt.Fprintf(&b, " %d %s started running before the clear reached %s.", n, plural(n, "job"), pronoun(n))
	}
	if n := len(out.StillPending); n > 0 {
		fmt.Fprintf(&b, " %d %s queued meanwhile %s still pending.", n, plural(n, "job"), verb(n))
	}
	b.WriteString(runningNote(after.running))
	out.Message = b.String()
	return out
}

func runningNote(id string) string {
	if id == "" {
		return " No job is running."
	}
	return " The running job " + id + " was left alone; use cancel_job to stop it."
}

func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func verb(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
