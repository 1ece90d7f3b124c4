package comfy

import "testing"

func TestIsOutOfMemory(t *testing.T) {
	tests := []struct {
		typ, msg string
		want     bool
	}{
		// ComfyUI 0.3.x on torch ≥ 2.5, as execution.py words it.
		{"torch.OutOfMemoryError", "Allocation on device \nThis error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number.", true},
		{"torch.cuda.OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 8.00 GiB total capacity)\n", true},
		{"RuntimeError", "MPS backend out of memory (MPS allocated: 17.00 GB, other allocations: 1.2 GB)\n", true},
		{"RuntimeError", "CUDA error: out of memory\n", true},
		{"IndexError", "index 3 is out of bounds for dimension 3 with size 3\n", false},
		{"RuntimeError", "mat1 and mat2 shapes cannot be multiplied (77x768 and 4096x5120)\n", false},
	}
	for _, tt := range tests {
		if got := IsOutOfMemory(tt.typ, tt.msg); got != tt.want {
			t.Errorf("IsOutOfMemory(%q, %q) = %v, want %v", tt.typ, tt.msg, got, tt.want)
		}
	}
}

func TestNewExecErrorFlagsOutOfMemory(t *testing.T) {
	e := NewExecError(&Message{NodeID: "3", NodeType: "KSampler", ExceptionType: "torch.OutOfMemoryError", ExceptionMessage: "Allocation on device \n"})
	if !e.OutOfMemory || e.Advice != OutOfMemoryAdvice {
		t.Errorf("OOM error = %+v, want out_of_memory with advice", e)
	}
	e = NewExecError(&Message{ExceptionType: "IndexError", ExceptionMessage: "index 3\n"})
	if e.OutOfMemory || e.Advice != "" {
		t.Errorf("IndexError = %+v, want no OOM flag", e)
	}
}
