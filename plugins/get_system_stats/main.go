// Command get_system_stats is the easel plugin behind the get_system_stats
// tool: the ComfyUI server's versions, memory and queue length, from
// GET /system_stats and GET /prompt.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o get_system_stats.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"fmt"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments: none.
type Input struct{}

const description = `Reports the ComfyUI server's versions (ComfyUI, Python, PyTorch, required frontend), OS and command line, system RAM and each device's VRAM (total and free, in bytes and GiB), and how many jobs are queued (running + pending). A health check; shows free VRAM before a heavy job or after free_memory.`

func init() {
	sdk.Register(sdk.Tool[Input, Stats]{
		Name:        "get_system_stats",
		Title:       "Get system stats",
		Description: description,
		// Two GETs that change nothing on the server.
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, _ Input) (Stats, error) {
	api := c.ComfyUI()
	answers, err := api.EachBackend("/system_stats", nil)
	if err != nil {
		return Stats{}, err
	}
	if len(answers) > 1 {
		return fromBackends(api, answers)
	}
	var raw systemStatsJSON
	if err := answers[0].Decode(&raw); err != nil {
		return Stats{}, err
	}
	var q comfy.PromptInfo
	if err := api.GetJSON("/prompt", nil, &q); err != nil {
		return Stats{}, err
	}
	st := fromJSON(&raw)
	st.QueueRemaining = q.ExecInfo.QueueRemaining.Int64()
	return st, nil
}

// fromBackends reports several servers: each under its name, and the first
// that answered at the top level, with its own queue length.
func fromBackends(api *sdk.ComfyUI, answers []sdk.BackendAnswer) (Stats, error) {
	var top *Stats
	var list []BackendStats
	for _, a := range answers {
		b := BackendStats{Name: a.Backend, Labels: a.Labels, Weight: a.Weight, Healthy: a.Healthy, Problem: a.Problem,
			EventStream: a.EventStream, QueueRemaining: a.QueueRemaining}
		var raw systemStatsJSON
		if err := a.Decode(&raw); err != nil {
			b.Error = err.Error()
			list = append(list, b)
			continue
		}
		st := fromJSON(&raw)
		b.ComfyUIVersion, b.RAM, b.Devices = st.ComfyUIVersion, &st.RAM, st.Devices
		list = append(list, b)
		if top == nil {
			st.Backend = a.Backend
			var q comfy.PromptInfo
			if err := api.OnBackend(a.Backend).GetJSON("/prompt", nil, &q); err != nil {
				return Stats{}, err
			}
			st.QueueRemaining = q.ExecInfo.QueueRemaining.Int64()
			top = &st
		}
	}
	if top == nil {
		return Stats{}, fmt.Errorf("no ComfyUI server answered GET /system_stats: %s", list[0].Error)
	}
	top.Backends = list
	return *top, nil
}
