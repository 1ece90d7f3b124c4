package sdk_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/easel-mcp/easel/sdk"
)

// JobInput is what get_job_status takes. The tags become its inputSchema
// and drive validation: prompt_id is required, steps defaults to 20 and
// must lie in 1..150, sampler must be one of three names.
type JobInput struct {
	PromptID string `json:"prompt_id" description:"The prompt ID returned by enqueue_workflow"`
	Verbose  bool   `json:"verbose,omitempty" description:"Include the raw history entry"`
	Steps    int    `json:"steps,omitempty" default:"20" minimum:"1" maximum:"150"`
	Sampler  string `json:"sampler,omitempty" enum:"euler,euler_ancestral,dpmpp_2m" default:"euler"`
}

// JobStatus is what it answers: the result's structuredContent, described
// by the outputSchema.
type JobStatus struct {
	PromptID string `json:"prompt_id"`
	Found    bool   `json:"found"`
}

// A plugin registers its one tool from an init function; main stays empty
// because a c-shared WebAssembly module never runs it. A tool's
// MarshalJSON shows the description the host will receive, which is how a
// plugin can test what agents are shown.
func ExampleRegister() {
	tool := sdk.Tool[JobInput, JobStatus]{
		Name:        "get_job_status",
		Title:       "Job status",
		Description: "Checks the status of ONE job by prompt_id.",
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler: func(c *sdk.Call, in JobInput) (JobStatus, error) {
			var history map[string]json.RawMessage
			if err := c.ComfyUI().GetJSON(sdk.Path("history", in.PromptID), nil, &history); err != nil {
				return JobStatus{}, err // becomes a tool error the agent reads
			}
			_, found := history[in.PromptID]
			return JobStatus{PromptID: in.PromptID, Found: found}, nil
		},
	}
	sdk.Register(tool) // in a plugin: inside func init()

	desc, err := json.MarshalIndent(tool, "", "  ")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(desc))
	// Output:
	// {
	//   "name": "get_job_status",
	//   "title": "Job status",
	//   "description": "Checks the status of ONE job by prompt_id.",
	//   "inputSchema": {
	//     "type": "object",
	//     "properties": {
	//       "prompt_id": {
	//         "type": "string",
	//         "description": "The prompt ID returned by enqueue_workflow"
	//       },
	//       "verbose": {
	//         "type": "boolean",
	//         "description": "Include the raw history entry"
	//       },
	//       "steps": {
	//         "type": "integer",
	//         "default": 20,
	//         "minimum": 1,
	//         "maximum": 150
	//       },
	//       "sampler": {
	//         "type": "string",
	//         "enum": [
	//           "euler",
	//           "euler_ancestral",
	//           "dpmpp_2m"
	//         ],
	//         "default": "euler"
	//       }
	//     },
	//     "required": [
	//       "prompt_id"
	//     ],
	//     "additionalProperties": false
	//   },
	//   "outputSchema": {
	//     "type": "object",
	//     "properties": {
	//       "prompt_id": {
	//         "type": "string"
	//       },
	//       "found": {
	//         "type": "boolean"
	//       }
	//     },
	//     "required": [
	//       "prompt_id",
	//       "found"
	//     ]
	//   },
	//   "annotations": {
	//     "readOnlyHint": true,
	//     "destructiveHint": false,
	//     "idempotentHint": true,
	//     "openWorldHint": false
	//   }
	// }
}

// SchemaFor shows the inputSchema a struct produces. Slices describe their
// items; tags on a slice field constrain the items, except minItems and
// maxItems; pointers and omitempty fields are optional.
func ExampleSchemaFor() {
	type Image struct {
		Filename  string `json:"filename" description:"Name of the file in ComfyUI's input folder"`
		Subfolder string `json:"subfolder,omitempty"`
	}
	type Input struct {
		Images []Image  `json:"images" minItems:"1" maxItems:"4"`
		Seed   *uint64  `json:"seed" description:"Random seed; random when absent"`
		Tags   []string `json:"tags,omitempty" enum:"portrait,landscape"`
	}
	schema, err := sdk.SchemaFor[Input]()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(schema))
	// Output:
	// {"type":"object","properties":{"images":{"type":"array","items":{"type":"object","properties":{"filename":{"type":"string","description":"Name of the file in ComfyUI's input folder"},"subfolder":{"type":"string"}},"required":["filename"],"additionalProperties":false},"minItems":1,"maxItems":4},"seed":{"type":"integer","description":"Random seed; random when absent","minimum":0},"tags":{"type":"array","items":{"type":"string","enum":["portrait","landscape"]}}},"required":["images"],"additionalProperties":false}
}

// Path escapes each segment, so an argument cannot reach another endpoint.
func ExamplePath() {
	fmt.Println(sdk.Path("history", "24e8d9f3-7fbb-42c0-8a3e-1a1b90d26b33"))
	fmt.Println(sdk.Path("history", "../queue?x"))
	// Output:
	// /history/24e8d9f3-7fbb-42c0-8a3e-1a1b90d26b33
	// /history/..%2Fqueue%3Fx
}

// A handler that returns *sdk.Result builds the result itself: here the
// structured answer plus an inline preview image and a link to the file.
func ExampleJSON() {
	png := []byte{0x89, 'P', 'N', 'G'}
	res := sdk.JSON(map[string]any{"filename": "out_00001_.png"}).
		WithImage(png, "image/png").
		WithResourceLink("http://127.0.0.1:8188/view?filename=out_00001_.png", "out_00001_.png", "image/png")
	json.NewEncoder(os.Stdout).Encode(res)
	// Output:
	// {"content":[{"type":"text","text":"{\"filename\":\"out_00001_.png\"}"},{"type":"image","data":"iVBORw==","mimeType":"image/png"},{"type":"resource_link","uri":"http://127.0.0.1:8188/view?filename=out_00001_.png","name":"out_00001_.png","mimeType":"image/png"}],"structuredContent":{"filename":"out_00001_.png"}}
}
