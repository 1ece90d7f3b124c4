package comfyuitest

// WebUIGraph is the front end's graph of a workflow of n KSampler nodes,
// as ComfyUI's web UI saves it and sends it with every prompt it queues
// (extra_data.extra_pnginfo.workflow). ComfyUI keeps it in the job's queue
// item and history entry, so that a job queued from the web UI makes those
// answers tens of kilobytes larger than its prompt alone: 60 nodes make
// about 30 KB. Benchmarks use it to measure what a tool pays for them.
func WebUIGraph(n int) map[string]any {
	nodes := make([]any, n)
	for i := range nodes {
		nodes[i] = map[string]any{
			"id": i + 1, "type": "KSampler", "pos": []float64{1290.5, 180.25}, "size": []float64{315, 262},
			"flags": map[string]any{}, "order": i, "mode": 0,
			"inputs": []any{
				map[string]any{"name": "model", "type": "MODEL", "link": 3 * i},
				map[string]any{"name": "positive", "type": "CONDITIONING", "link": 3*i + 1},
			},
			"outputs":        []any{map[string]any{"name": "LATENT", "type": "LATENT", "links": []int{3*i + 2}, "slot_index": 0}},
			"properties":     map[string]any{"Node name for S&R": "KSampler"},
			"widgets_values": []any{156680208700286, "randomize", 20, 8, "euler", "normal", 1, "a photo of a cat on a windowsill, golden hour, highly detailed"},
		}
	}
	return map[string]any{"last_node_id": n, "last_link_id": 3 * n, "nodes": nodes, "links": [][]any{{1, 4, 0, 3, 0, "MODEL"}}, "groups": []any{}, "version": 0.4}
}
