// Command generate_image is the easel plugin behind the generate_image tool:
// text-to-image with the standard checkpoint → CLIP text encode → KSampler →
// VAE decode → SaveImage graph, run to the end like run_workflow.
package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments. timeout_s defaults to 50 s: most MCP
// clients give up on a call after 60 s, and the answer would be lost with
// the prompt_id to follow the job by.
type Input struct {
	Prompt         string  `json:"prompt" minLength:"1" description:"What the image should show"`
	NegativePrompt string  `json:"negative_prompt,omitempty" description:"What to avoid"`
	Checkpoint     string  `json:"checkpoint,omitempty" description:"From list_models folder=checkpoints; default: the first"`
	Width          int     `json:"width,omitempty" default:"512" minimum:"64" maximum:"4096" description:"Pixels, a multiple of 8"`
	Height         int     `json:"height,omitempty" default:"512" minimum:"64" maximum:"4096" description:"Pixels, a multiple of 8"`
	Steps          int     `json:"steps,omitempty" default:"20" minimum:"1" maximum:"150"`
	CFG            float64 `json:"cfg,omitempty" default:"7" minimum:"0" maximum:"30" description:"Prompt adherence (classifier-free guidance)"`
	Sampler        string  `json:"sampler,omitempty" default:"euler" description:"KSampler sampler_name, e.g. euler, dpmpp_2m"`
	Scheduler      string  `json:"scheduler,omitempty" default:"normal" description:"KSampler scheduler, e.g. normal, karras"`
	Seed           *uint64 `json:"seed,omitempty" description:"Random when absent (0 to 2^53-1); the one used is returned"`
	BatchSize      int     `json:"batch_size,omitempty" default:"1" minimum:"1" maximum:"8"`
	FilenamePrefix string  `json:"filename_prefix,omitempty" default:"easel"`
	TimeoutS       int     `json:"timeout_s,omitempty" default:"50" minimum:"1" maximum:"600" description:"On timeout, follow the job with wait_for_job"`
}

// Output is the run and the parameters it used.
type Output struct {
	comfy.WaitOutcome
	Seed       uint64 `json:"seed"`
	Checkpoint string `json:"checkpoint"`
	Sampler    string `json:"sampler"`
	Scheduler  string `json:"scheduler"`
}

const description = `Generates images from a text prompt with a checkpoint model (text-to-image), waits (progress notifications include sampler steps) and returns thumbnails plus comfyui:// links to the full files, and the seed used. Checkpoint, sampler and scheduler are checked first; an unknown one is an error listing the choices. For img2img, LoRAs or other graphs use run_workflow or a workflow tool.`

func init() {
	sdk.Register(sdk.Tool[Input, *sdk.Result]{
		Name:        "generate_image",
		Title:       "Generate an image",
		Description: description,
		Annotations: sdk.Annotations{}, // queues work and writes files: not read-only, not idempotent
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (*sdk.Result, error) {
	api := c.ComfyUI()
	if r := c.Resumed(); r != nil {
		var out Output
		if err := r.State(&out); err != nil {
			return nil, err
		}
		outcome, err := comfy.AfterRun(api, out.PromptID, r.Job)
		if err != nil {
			return nil, err
		}
		out.WaitOutcome = outcome
		return comfy.RunResult(c, out, &out.WaitOutcome, comfy.Thumbnails{Max: 8, Dimension: 512, Bytes: 400_000}), nil
	}
	if in.Width%8 != 0 || in.Height%8 != 0 {
		return nil, fmt.Errorf("arguments \"width\" and \"height\" must be multiples of 8, got %dx%d", in.Width, in.Height)
	}
	ks, err := sampler(api)
	if err != nil {
		return nil, err
	}
	out := Output{Sampler: in.Sampler, Scheduler: in.Scheduler}
	if err := choose("sampler", in.Sampler, ks.samplers); err != nil {
		return nil, err
	}
	if err := choose("scheduler", in.Scheduler, ks.schedulers); err != nil {
		return nil, err
	}
	if out.Checkpoint, err = checkpoint(api, in.Checkpoint); err != nil {
		return nil, err
	}
	if out.Seed, err = seed(in.Seed, ks.seedMax); err != nil {
		return nil, err
	}
	enq, err := comfy.Enqueue(api, graph(in, out), comfy.EnqueueOptions{})
	if err != nil {
		return nil, err
	}
	out.PromptID = enq.PromptID
	return nil, sdk.AwaitJob(enq.PromptID, time.Duration(in.TimeoutS)*time.Second, out)
}

// graph is the standard text-to-image workflow in API format.
func graph(in Input, out Output) map[string]any {
	node := func(class string, inputs map[string]any) map[string]any {
		return map[string]any{"class_type": class, "inputs": inputs}
	}
	return map[string]any{
		"4": node("CheckpointLoaderSimple", map[string]any{"ckpt_name": out.Checkpoint}),
		"6": node("CLIPTextEncode", map[string]any{"text": in.Prompt, "clip": []any{"4", 1}}),
		"7": node("CLIPTextEncode", map[string]any{"text": in.NegativePrompt, "clip": []any{"4", 1}}),
		"5": node("EmptyLatentImage", map[string]any{"width": in.Width, "height": in.Height, "batch_size": in.BatchSize}),
		"3": node("KSampler", map[string]any{
			"model": []any{"4", 0}, "positive": []any{"6", 0}, "negative": []any{"7", 0}, "latent_image": []any{"5", 0},
			"seed": out.Seed, "steps": in.Steps, "cfg": in.CFG, "sampler_name": out.Sampler, "scheduler": out.Scheduler, "denoise": 1.0,
		}),
		"8": node("VAEDecode", map[string]any{"samples": []any{"3", 0}, "vae": []any{"4", 2}}),
		"9": node("SaveImage", map[string]any{"images": []any{"8", 0}, "filename_prefix": in.FilenamePrefix}),
	}
}

// ksampler is what this tool needs from /object_info/KSampler.
type ksampler struct {
	samplers, schedulers []string
	seedMax              uint64
}

func sampler(api *sdk.ComfyUI) (*ksampler, error) {
	var info map[string]struct {
		Input struct {
			Required map[string][]json.RawMessage `json:"required"`
		} `json:"input"`
	}
	if err := api.GetJSON("/object_info/KSampler", nil, &info); err != nil {
		return nil, err
	}
	req := info["KSampler"].Input.Required
	if req == nil {
		return nil, fmt.Errorf("this ComfyUI has no KSampler node, which generate_image needs")
	}
	ks := &ksampler{seedMax: math.MaxUint64}
	ks.samplers = comboOptions(req["sampler_name"])
	ks.schedulers = comboOptions(req["scheduler"])
	if decl := req["seed"]; len(decl) > 1 {
		var opts struct {
			Max json.Number `json:"max"`
		}
		if json.Unmarshal(decl[1], &opts) == nil {
			if m, err := strconv.ParseUint(opts.Max.String(), 10, 64); err == nil {
				ks.seedMax = m
			}
		}
	}
	return ks, nil
}

// comboOptions reads both combo forms: [[options...], {...}] and
// ["COMBO", {"options": [...]}].
func comboOptions(decl []json.RawMessage) []string {
	if len(decl) == 0 {
		return nil
	}
	var opts []string
	if json.Unmarshal(decl[0], &opts) == nil {
		return opts
	}
	if len(decl) > 1 {
		var o struct {
			Options []string `json:"options"`
		}
		if json.Unmarshal(decl[1], &o) == nil {
			return o.Options
		}
	}
	return nil
}

func choose(arg, v string, options []string) error {
	if len(options) == 0 || slices.Contains(options, v) {
		return nil
	}
	return fmt.Errorf("argument %q: %q is not offered by this ComfyUI; choose one of: %s", arg, v, strings.Join(options, ", "))
}

// checkpoint checks the requested checkpoint against the server's list, or
// picks the first one.
func checkpoint(api *sdk.ComfyUI, want string) (string, error) {
	var files []string
	if err := api.GetJSON("/models/checkpoints", nil, &files); err != nil {
		return "", err
	}
	switch {
	case len(files) == 0:
		return "", fmt.Errorf("this ComfyUI has no checkpoint models (models/checkpoints is empty): install one, or use run_workflow with a graph that needs none")
	case want == "":
		return files[0], nil
	case slices.Contains(files, want):
		return want, nil
	}
	return "", fmt.Errorf("argument \"checkpoint\": %q is not installed; available checkpoints: %s", want, strings.Join(files, ", "))
}

// maxRandomSeed is the largest seed drawn at random: 2^53−1, the largest
// integer below which every integer survives a trip through a JSON client
// that reads numbers as doubles (JavaScript). A larger random seed would
// come back rounded, and the seed returned would not reproduce the image.
// A seed the caller chose is used as given, up to the node's maximum.
const maxRandomSeed = 1<<53 - 1

// seed is the requested seed, or a random one within the node's bounds and
// maxRandomSeed.
func seed(requested *uint64, max uint64) (uint64, error) {
	if requested != nil {
		if *requested > max {
			return 0, fmt.Errorf("argument \"seed\": %d is above this ComfyUI's maximum %d", *requested, max)
		}
		return *requested, nil
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("drawing a random seed: %w", err)
	}
	return randomSeed(binary.LittleEndian.Uint64(b[:]), max), nil
}

// randomSeed maps 64 random bits to [0, min(max, maxRandomSeed)]. The
// modulo has no bias at the usual bound: 2^64 is a multiple of 2^53.
func randomSeed(bits, max uint64) uint64 {
	return bits % (min(max, maxRandomSeed) + 1)
}
