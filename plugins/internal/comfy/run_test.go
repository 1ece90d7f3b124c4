package comfy

import (
	"testing"

	"github.com/easel-mcp/easel/sdk"
)

// The verdicts that need no request to ComfyUI. A job the tool queued
// itself and ComfyUI no longer knows is vanished (a failure), while
// wait_for_job reports an unknown prompt id as not found.
func TestAfterWaitAndAfterRunVerdicts(t *testing.T) {
	api := &sdk.ComfyUI{}
	tests := []struct {
		name         string
		run          bool
		job          sdk.JobResult
		wantErr      string
		wantFound    bool
		wantVanished bool
		wantFailed   bool
	}{
		{"wait: unknown is not found", false, sdk.JobResult{Status: sdk.JobUnknown}, "", false, false, false},
		{"run: unknown is vanished", true, sdk.JobResult{Status: sdk.JobUnknown}, "", false, true, true},
		{"wait: vanished", false, sdk.JobResult{Status: sdk.JobVanished}, "", false, true, true},
		{"run: vanished", true, sdk.JobResult{Status: sdk.JobVanished}, "", false, true, true},
		{"wait: the host's error", false, sdk.JobResult{Status: sdk.JobError, Error: "cannot tell: ComfyUI answered 502"}, "cannot tell: ComfyUI answered 502", false, false, false},
		{"run: the host's error", true, sdk.JobResult{Status: sdk.JobError, Error: "boom"}, "boom", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := AfterWait
			if tt.run {
				after = AfterRun
			}
			out, err := after(api, "p1", tt.job)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || out.Found != tt.wantFound || out.Vanished != tt.wantVanished || out.Failed() != tt.wantFailed || out.PromptID != "p1" {
				t.Fatalf("out = %+v, %v", out, err)
			}
			if tt.wantVanished && out.Note != VanishedNote {
				t.Errorf("note = %q, want VanishedNote", out.Note)
			}
		})
	}
}
