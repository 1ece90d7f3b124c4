package main

import (
	"fmt"
	"time"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Cancel is the tool's structured result.
type Cancel struct {
	PromptID string `json:"prompt_id"`
	Result   string `json:"result" enum:"removed,interrupted,interrupt_requested,already_finished,unknown"`
	// Outcome is set with already_finished: the job may have ended in
	// success, in an error, or interrupted by an earlier request.
	Outcome string `json:"outcome,omitempty" enum:"success,error,interrupted" description:"How the job ended, with already_finished"`
	Message string `json:"message"`
}

// Results.
const (
	resultRemoved            = "removed"
	resultInterrupted        = "interrupted"
	resultInterruptRequested = "interrupt_requested"
	resultAlreadyFinished    = "already_finished"
	resultUnknown            = "unknown"
)

// historyRetries are the pauses before asking /history again when a job is
// in neither /queue nor /history: newer ComfyUI versions can show a finished
// job in neither for a moment, and calling it unknown would be false.
var historyRetries = []time.Duration{50 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond}

// Polling of /history while an interrupt lands: quick at first, since most
// nodes end within a moment, then every maxPoll.
const (
	firstPoll = 50 * time.Millisecond
	maxPoll   = 500 * time.Millisecond
)

// job is one cancellation in progress.
type job struct {
	c    *sdk.Call
	api  *sdk.ComfyUI
	id   string
	wait time.Duration // the bound on confirming an interrupt
}

// cancel finds the job and acts on where it is. Every result comes from
// re-reading ComfyUI's state after acting, never from the request alone.
func (j *job) cancel() (Cancel, error) {
	running, found, err := j.inQueue()
	switch {
	case err != nil:
		return Cancel{}, err
	case found && running:
		return j.interrupt("")
	case found:
		return j.remove()
	}
	entry, err := j.history()
	for i := 0; err == nil && entry == nil && i < len(historyRetries); i++ {
		time.Sleep(historyRetries[i])
		entry, err = j.history()
	}
	if err != nil {
		return Cancel{}, err
	}
	if entry != nil {
		return j.finished(entry, "Job %s had already finished; nothing was cancelled"), nil
	}
	return j.result(resultUnknown, "ComfyUI has no job %s in its queue or history: never queued, already removed, or lost when ComfyUI restarted (history lives in memory). Nothing was cancelled.", j.id), nil
}

// remove deletes a pending job, then checks where it is: the worker may
// have taken it between our look at the queue and the delete, which
// ComfyUI then ignores.
func (j *job) remove() (Cancel, error) {
	if err := j.api.PostJSON("/queue", map[string][]string{"delete": {j.id}}, nil); err != nil {
		return Cancel{}, err
	}
	running, found, err := j.inQueue()
	switch {
	case err != nil:
		return Cancel{}, err
	case found && running:
		return j.interrupt("It started running before the delete reached it. ")
	case found:
		return Cancel{}, fmt.Errorf("ComfyUI still lists job %s as pending after POST /queue deleted it; it was not removed", j.id)
	}
	entry, err := j.history()
	if err != nil {
		return Cancel{}, err
	}
	if entry != nil {
		return j.finished(entry, "Job %s ran to its end before the delete reached it"), nil
	}
	return j.result(resultRemoved, "Job %s was removed from the queue before it ran; it will leave no history entry.", j.id), nil
}

// interrupt asks ComfyUI to interrupt this job, naming it so that another
// job that started meanwhile is never hit, then waits for the history entry
// that tells how it ended.
func (j *job) interrupt(prefix string) (Cancel, error) {
	if err := j.api.PostJSON("/interrupt", map[string]string{"prompt_id": j.id}, nil); err != nil {
		return Cancel{}, err
	}
	j.c.Progress(0, 0, "interrupt requested; waiting for ComfyUI to record it")
	deadline := time.Now().Add(j.wait)
	for pause := firstPoll; ; pause = min(2*pause, maxPoll) {
		entry, err := j.history()
		if err != nil {
			return Cancel{}, err
		}
		if entry != nil {
			return j.interrupted(entry, prefix), nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		time.Sleep(min(pause, left))
	}
	return j.unconfirmed(prefix)
}

// interrupted reports the history entry of a job we interrupted.
func (j *job) interrupted(entry *comfy.HistoryEntry, prefix string) Cancel {
	sum := entry.Summarize()
	if sum.Outcome != comfy.OutcomeInterrupted {
		return j.finished(entry, prefix+"Job %s finished before the interrupt took effect")
	}
	at := ""
	if m := sum.InterruptedAt; m != nil && m.NodeID != "" {
		at = fmt.Sprintf(" at node %s (%s)", m.NodeID, m.NodeType)
	}
	return j.result(resultInterrupted, "%sJob %s was interrupted%s; ComfyUI recorded execution_interrupted. Files it had already written stay on disk.", prefix, j.id, at)
}

// unconfirmed words the result when no history entry appeared in time.
func (j *job) unconfirmed(prefix string) (Cancel, error) {
	running, found, err := j.inQueue()
	if err != nil {
		return Cancel{}, err
	}
	state := "it has left the queue but ComfyUI has not written its history entry yet"
	if found && running {
		state = "it is still running: ComfyUI applies an interrupt when the current node ends or reports progress"
	}
	return j.result(resultInterruptRequested, "%sThe interrupt of job %s was requested but not confirmed within %v: %s. Check get_job_status later.", prefix, j.id, j.wait, state), nil
}

// finished reports a job that ended without our interrupt deciding it; why
// is a sentence with one %s for the job's id.
func (j *job) finished(entry *comfy.HistoryEntry, why string) Cancel {
	outcome := entry.Summarize().Outcome
	c := j.result(resultAlreadyFinished, why+". Outcome: %s. Use get_history for its outputs.", j.id, outcome)
	c.Outcome = outcome
	return c
}

func (j *job) result(result, format string, args ...any) Cancel {
	return Cancel{PromptID: j.id, Result: result, Message: fmt.Sprintf(format, args...)}
}

// inQueue reports whether the job is in /queue, and whether it runs.
func (j *job) inQueue() (running, found bool, err error) {
	q, _, err := comfy.GetJobQueue(j.api)
	if err != nil {
		return false, false, err
	}
	running, _, found = q.Find(j.id)
	return running, found, nil
}

// history fetches /history/{id}; nil means ComfyUI has no entry for it.
func (j *job) history() (*comfy.HistoryEntry, error) {
	entry, _, err := comfy.GetHistoryEntry(j.api, j.id)
	return entry, err
}
