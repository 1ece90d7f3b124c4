package comfy

import "strings"

// OutOfMemoryAdvice is what an agent should do after ComfyUI ran out of GPU
// (or, on Apple silicon, MPS) memory. The same workflow will fail again
// unchanged: ComfyUI has unloaded its models, but the peak the workflow
// needs is what did not fit.
const OutOfMemoryAdvice = "ComfyUI ran out of GPU memory while running this node; it has unloaded its models since. " +
	"The same workflow will fail again unchanged: lower width/height, batch_size or the number of frames, " +
	"use a smaller or quantized (fp8/gguf) model, or a tiled VAE decode, then queue it again. " +
	"If other jobs have loaded models since, call free_memory first."

// IsOutOfMemory reports whether an execution_error is an out-of-memory
// failure. ComfyUI names the exception by its qualified class
// (torch.OutOfMemoryError on torch ≥ 2.5, torch.cuda.OutOfMemoryError
// before) and appends "This error means you ran out of memory on your GPU."
// to its message; other backends raise a RuntimeError whose text says
// "out of memory" (MPS, ROCm, "CUDA error: out of memory").
func IsOutOfMemory(exceptionType, exceptionMessage string) bool {
	if strings.HasSuffix(exceptionType, "OutOfMemoryError") {
		return true
	}
	msg := strings.ToLower(exceptionMessage)
	return strings.Contains(msg, "out of memory") || strings.Contains(msg, "allocation on device")
}
