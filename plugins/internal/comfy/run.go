package comfy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/easel-mcp/easel/sdk"
)

// WaitOutcome is a job's state once the host's wait for it ended, with the
// files it wrote: what wait_for_job, run_workflow and generate_image report.
type WaitOutcome struct {
	JobStatus
	TimedOut bool     `json:"timed_out" description:"The timeout passed first; the job may still run: call wait_for_job"`
	Vanished bool     `json:"vanished,omitempty" description:"Seen, then gone without history: deleted, or lost in a ComfyUI restart"`
	WaitedMS int64    `json:"waited_ms"`
	Outputs  []File   `json:"outputs,omitempty" description:"Files the job wrote; read images with get_image"`
	Texts    []string `json:"texts,omitempty" description:"Text outputs"`
	Note     string   `json:"note,omitempty" description:"What happened, when the job did not simply finish"`
}

// VanishedNote explains a vanished job to the agent.
const VanishedNote = "The job was in ComfyUI's queue, then disappeared without a history entry: " +
	"it was deleted from the queue, or lost when ComfyUI restarted (a restart empties the queue and history). " +
	"Nothing it would have produced exists; queue it again if it is still needed."

// AfterWait turns the host's verdict on a wait into the job's outcome,
// asking ComfyUI for the details. It never reports a job done that ComfyUI
// has no history for, nor a job not found that ComfyUI did not say is in
// neither its queue nor its history: a /history that fails is an error.
func AfterWait(api *sdk.ComfyUI, id string, job sdk.JobResult) (WaitOutcome, error) {
	api = api.ForJob(id)
	out := WaitOutcome{WaitedMS: job.WaitedMS}
	out.PromptID = id
	switch job.Status {
	case sdk.JobError:
		return out, errors.New(job.Error)
	case sdk.JobUnknown:
		return out, nil // found=false
	case sdk.JobVanished:
		out.Vanished, out.Note = true, VanishedNote
		return out, nil
	case sdk.JobTimedOut:
		return afterTimeout(api, out)
	}
	entry, resp, err := GetHistoryEntry(api, id)
	if err != nil {
		return out, err
	}
	if entry == nil {
		out.Found = true
		return out, fmt.Errorf("ComfyUI reported job %s finished but has no history entry for it (was history cleared?)", id)
	}
	out.fromHistory(entry, resp)
	return out, nil
}

// afterTimeout reports where a job is once the wait timed out: in the
// queue, or finished just now (the wait's end and the job's can cross), or
// nowhere, which only ComfyUI's answers for both queue and history may say.
func afterTimeout(api *sdk.ComfyUI, out WaitOutcome) (WaitOutcome, error) {
	out.TimedOut = true
	var q Queue
	resp, err := api.DoJSON(sdk.Request{Method: "GET", Path: "/queue"}, &q)
	if err != nil {
		return out, err
	}
	if out.FromQueue(&q, out.PromptID) {
		out.Backend = resp.Backend
		return out, nil
	}
	entry, resp, err := GetHistoryEntry(api, out.PromptID)
	if err != nil {
		return out, err
	}
	if entry != nil {
		out.TimedOut = false
		out.fromHistory(entry, resp)
	}
	return out, nil
}

// fromHistory fills a finished job's outcome and output files.
func (o *WaitOutcome) fromHistory(entry *HistoryEntry, resp *sdk.Response) {
	o.FromHistory(entry)
	o.Backend = resp.Backend
	files, texts := entry.ParseOutputs()
	for _, f := range files {
		f.Backend = resp.Backend
		f.URI = FileURI(f)
		o.Outputs = append(o.Outputs, f)
	}
	for _, ts := range texts {
		o.Texts = append(o.Texts, ts...)
	}
}

// AfterRun is AfterWait for a tool that queued the job itself. ComfyUI
// accepted the job, so one it no longer knows when the wait begins was
// deleted from the queue or lost in a restart: vanished, a failure, never
// a plain "not found" that RunResult would show as a success.
func AfterRun(api *sdk.ComfyUI, id string, job sdk.JobResult) (WaitOutcome, error) {
	out, err := AfterWait(api, id, job)
	if err == nil && job.Status == sdk.JobUnknown {
		out.Vanished, out.Note = true, VanishedNote
	}
	return out, err
}

// RunOutput is what a tool that queues a job and waits for it reports.
type RunOutput struct {
	WaitOutcome
	Number         float64         `json:"number"`
	DroppedOutputs []DroppedOutput `json:"dropped_outputs,omitempty" description:"Output nodes ComfyUI dropped as invalid"`
}

// NewRunOutput starts a RunOutput from the queued job; it is the state a
// tool passes to sdk.AwaitJob.
func NewRunOutput(e *Enqueued) RunOutput {
	out := RunOutput{Number: e.Number, DroppedOutputs: e.DroppedOutputs}
	out.PromptID = e.PromptID
	return out
}

// Failed reports whether the outcome is one an agent must not mistake for
// success: an execution error, an interruption, or a job that vanished.
func (o *WaitOutcome) Failed() bool {
	return o.Vanished || (o.Done && o.Outcome != OutcomeSuccess)
}

// Thumbnails bound the images a run result shows inline.
type Thumbnails struct {
	Max       int // images shown inline; the rest are links only
	Dimension int // longest side in pixels
	Bytes     int // per thumbnail
}

// RunResult builds the answer of a tool that ran a job: the outcome as
// structured content, up to t.Max image outputs as thumbnails the model can
// see, and a resource link to every output file. A failed job is an error
// result, so that an agent cannot take it for a success.
func RunResult(c *sdk.Call, v any, o *WaitOutcome, t Thumbnails) *sdk.Result {
	res := sdk.JSON(v)
	shown := 0
	for _, f := range o.Outputs {
		if shown < t.Max && isImageName(f.Filename) {
			if th, err := thumbnail(c, f, t); err == nil {
				res = res.WithImage(th.Data, th.MimeType)
				shown++
			} else {
				c.Logger().Warn("no thumbnail", "file", f.URI, "err", err)
			}
		}
		res = res.WithResourceLink(f.URI, f.Filename, MediaTypeOf(f.Filename))
	}
	res.IsError = o.Failed()
	return res
}

func thumbnail(c *sdk.Call, f File, t Thumbnails) (*sdk.Thumb, error) {
	q := map[string]string{"filename": f.Filename, "type": f.Type}
	if f.Subfolder != "" {
		q["subfolder"] = f.Subfolder
	}
	api := c.ComfyUI()
	if f.Backend != "" {
		api = api.OnBackend(f.Backend)
	}
	data, _, err := api.GetBytes("/view", q)
	if err != nil {
		return nil, err
	}
	return c.Thumbnail(data, t.Dimension, t.Bytes)
}

func isImageName(name string) bool {
	return strings.HasPrefix(MediaTypeOf(name), "image/")
}

// MediaTypeOf guesses a file's media type from its extension.
func MediaTypeOf(name string) string {
	ext := strings.ToLower(name[strings.LastIndexByte(name, '.')+1:])
	switch ext {
	case "png", "gif", "webp":
		return "image/" + ext
	case "jpg", "jpeg":
		return "image/jpeg"
	case "mp4", "webm":
		return "video/" + ext
	case "wav", "flac", "mp3", "ogg":
		return "audio/" + ext
	}
	return "application/octet-stream"
}
