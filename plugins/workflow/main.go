// Command workflow is a generic easel plugin: each tools.yaml entry that
// names it becomes one MCP tool that runs a fixed ComfyUI workflow, with
// the arguments its config declares written into the workflow's inputs.
//
//   - name: invert_image
//     plugin: plugins/workflow
//     files:
//     workflow: examples/workflows/invert_image.json   # API format
//     config:
//     description: "Makes a solid-colour image and inverts it ..."
//     parameters:
//     width: {type: integer, minimum: 1, maximum: 4096, default: 512,
//     targets: [{node: "1", input: width}]}
//
// See examples/workflows/tools.yaml for complete entries.
//
// # Notes
//
//   - The tool describes itself from its config (sdk.Tool.Describe): its
//     description and one argument per parameter. A broken config refuses
//     the plugin when easel starts, with every problem named by its key,
//     such as config.parameters.width.minimum.
//   - By default the tool waits for its job (wait_s, 50 s) and answers like
//     run_workflow: outcome, thumbnails and links; wait_s: 0 only queues.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o workflow.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"fmt"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

func main() {}

// load reads and checks the tool's configuration and workflow file.
func load(c *sdk.Call) (*workflowTool, error) {
	var cfg Config
	if err := c.Config(&cfg); err != nil {
		return nil, err
	}
	data, err := c.File("workflow")
	if err != nil {
		return nil, fmt.Errorf("tool %s is misconfigured in tools.yaml: files.workflow: %v", c.Tool(), err)
	}
	t, err := newWorkflowTool(cfg, data)
	if err != nil {
		return nil, fmt.Errorf("tool %s is misconfigured in tools.yaml: %w", c.Tool(), err)
	}
	return t, nil
}

// run builds the prompt from the arguments and queues it, then (unless the
// tool's config says wait_s: 0) waits for the job without holding the plugin
// and returns its outcome and outputs as run_workflow does.
func run(c *sdk.Call, args map[string]any) (*sdk.Result, error) {
	if r := c.Resumed(); r != nil {
		var out comfy.RunOutput
		if err := r.State(&out); err != nil {
			return nil, err
		}
		outcome, err := comfy.AfterRun(c.ComfyUI(), out.PromptID, r.Job)
		if err != nil {
			return nil, err
		}
		out.WaitOutcome = outcome
		return comfy.RunResult(c, out, &out.WaitOutcome, comfy.Thumbnails{Max: 4, Dimension: 512, Bytes: 400_000}), nil
	}
	t, err := load(c)
	if err != nil {
		return nil, err
	}
	prompt, err := t.BuildPrompt(args)
	if err != nil {
		return nil, err
	}
	enq, err := comfy.Enqueue(c.ComfyUI(), prompt, comfy.EnqueueOptions{})
	if err != nil {
		return nil, err
	}
	if t.wait == 0 {
		return sdk.JSON(enq), nil
	}
	return nil, sdk.AwaitJob(enq.PromptID, t.wait, comfy.NewRunOutput(enq))
}
