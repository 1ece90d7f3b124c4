package main

import (
	"math"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
)

// Stats is the tool's structured result.
type Stats struct {
	ComfyUIVersion  string   `json:"comfyui_version"`
	PythonVersion   string   `json:"python_version"`
	PyTorchVersion  string   `json:"pytorch_version"`
	FrontendVersion string   `json:"frontend_version,omitempty" description:"The frontend version ComfyUI requires"`
	OS              string   `json:"os" description:"posix, nt, or (newer servers) e.g. linux"`
	Argv            []string `json:"argv,omitempty" description:"ComfyUI's command line (--cpu, --lowvram, ...)"`
	RAM             Memory   `json:"ram"`
	Devices         []Device `json:"devices" description:"Torch devices, primary first"`
	QueueRemaining  int64    `json:"queue_remaining" description:"Jobs running plus pending"`
	// Backend and Backends are set when easel spreads jobs over several
	// ComfyUI servers.
	Backend  string         `json:"backend,omitempty" description:"With several ComfyUI servers: the one the fields above describe (the first that answered)"`
	Backends []BackendStats `json:"backends,omitempty" description:"Each ComfyUI server, when easel has several"`
}

// BackendStats is one server of several.
type BackendStats struct {
	Name           string            `json:"backend"`
	Labels         map[string]string `json:"labels,omitempty"`
	Weight         int               `json:"weight"`
	Healthy        bool              `json:"healthy" description:"Receives new jobs"`
	Problem        string            `json:"problem,omitempty" description:"Why it is not healthy"`
	EventStream    bool              `json:"event_stream" description:"easel's WebSocket to it is connected"`
	QueueRemaining int               `json:"queue_remaining"`
	Error          string            `json:"error,omitempty" description:"Its stats could not be read"`
	ComfyUIVersion string            `json:"comfyui_version,omitempty"`
	RAM            *Memory           `json:"ram,omitempty"`
	Devices        []Device          `json:"devices,omitempty"`
}

// Memory is one total/free pair, in bytes and in GiB rounded for reading.
type Memory struct {
	TotalBytes int64   `json:"total_bytes"`
	FreeBytes  int64   `json:"free_bytes"`
	TotalGiB   float64 `json:"total_gib"`
	FreeGiB    float64 `json:"free_gib"`
}

// Device is one torch device. On a CPU-only server the CPU is the device
// and its "VRAM" is system RAM. PyTorch's own torch_vram figures are left
// out: they say what its allocator caches, which an agent cannot act on.
type Device struct {
	Name  string `json:"name"`
	Type  string `json:"type" description:"cuda, cpu, mps, ..."`
	Index *int64 `json:"index,omitempty"`
	VRAM  Memory `json:"vram"`
}

// systemStatsJSON is GET /system_stats, decoded tolerantly: numbers may be
// integers or floats, index may be null, and keys newer servers add are
// ignored.
type systemStatsJSON struct {
	System struct {
		OS              string       `json:"os"`
		RAMTotal        comfy.Number `json:"ram_total"`
		RAMFree         comfy.Number `json:"ram_free"`
		ComfyUIVersion  string       `json:"comfyui_version"`
		FrontendVersion string       `json:"required_frontend_version"`
		PythonVersion   string       `json:"python_version"`
		PyTorchVersion  string       `json:"pytorch_version"`
		Argv            []string     `json:"argv"`
	} `json:"system"`
	Devices []struct {
		Name      string        `json:"name"`
		Type      string        `json:"type"`
		Index     *comfy.Number `json:"index"`
		VRAMTotal comfy.Number  `json:"vram_total"`
		VRAMFree  comfy.Number  `json:"vram_free"`
	} `json:"devices"`
}

func fromJSON(r *systemStatsJSON) Stats {
	s := r.System
	st := Stats{
		ComfyUIVersion:  s.ComfyUIVersion,
		PythonVersion:   s.PythonVersion,
		PyTorchVersion:  s.PyTorchVersion,
		FrontendVersion: s.FrontendVersion,
		OS:              s.OS,
		Argv:            s.Argv,
		RAM:             memory(s.RAMTotal, s.RAMFree),
		Devices:         []Device{},
	}
	for _, d := range r.Devices {
		dev := Device{
			Name: d.Name,
			Type: d.Type,
			VRAM: memory(d.VRAMTotal, d.VRAMFree),
		}
		if d.Index != nil && d.Index.Number != "" {
			i := d.Index.Int64()
			dev.Index = &i
		}
		st.Devices = append(st.Devices, dev)
	}
	return st
}

func memory(total, free comfy.Number) Memory {
	t, f := total.Int64(), free.Int64()
	return Memory{TotalBytes: t, FreeBytes: f, TotalGiB: gib(t), FreeGiB: gib(f)}
}

// gib converts bytes to GiB rounded to two decimals, enough to compare
// against a model's size.
func gib(b int64) float64 {
	return math.Round(float64(b)/(1<<30)*100) / 100
}
