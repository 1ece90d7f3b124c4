package main

// note says what ComfyUI will do and when, and nothing it has not said:
// POST /free answers before anything is unloaded.
func note(in Input, queueRemaining int64) string {
	what := "unload all models"
	if in.FreeMemory {
		what = "unload all models and drop its cache of node results"
	}
	when := "ComfyUI was idle, so it acts right away"
	if queueRemaining > 0 {
		when = "a job was running, so ComfyUI acts once that job finishes (before the next one starts)"
	}
	return "ComfyUI accepted the request to " + what + "; " + when + ". It does not report the result: call get_system_stats in a moment to see free VRAM."
}
