package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestAccount(t *testing.T) {
	tests := []struct {
		name          string
		before, after snapshot
		started       map[string]bool
		removed       string
		rest          string // started | still pending | running
		message       string
	}{
		{
			name:    "running job left alone",
			before:  snapshot{running: "r", pending: []string{"a", "b"}},
			after:   snapshot{running: "r"},
			removed: "a b", rest: " |  | r",
			message: "Removed 2 pending jobs. The running job r was left alone; use cancel_job to stop it.",
		},
		{
			name:    "idle",
			before:  snapshot{pending: []string{"a"}},
			after:   snapshot{},
			removed: "a", rest: " |  | ",
			message: "Removed 1 pending job. No job is running.",
		},
		{
			name:    "worker took jobs meanwhile",
			before:  snapshot{running: "r", pending: []string{"a", "b", "c"}},
			after:   snapshot{running: "b", pending: []string{"late"}},
			started: map[string]bool{"a": true},
			removed: "c", rest: "a b | late | b",
			message: "Removed 1 pending job. 2 jobs started running before the clear reached them. 1 job queued meanwhile is still pending. The running job b was left alone; use cancel_job to stop it.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := account(tt.before, tt.after, tt.started)
			if got := strings.Join(out.Removed, " "); got != tt.removed || out.RemovedCount != len(out.Removed) {
				t.Errorf("removed = %q (%d), want %q", got, out.RemovedCount, tt.removed)
			}
			if got := strings.Join(out.Started, " ") + " | " + strings.Join(out.StillPending, " ") + " | " + out.Running; got != tt.rest {
				t.Errorf("started | still pending | running = %q, want %q", got, tt.rest)
			}
			if out.Message != tt.message {
				t.Errorf("message:\n got %s\nwant %s", out.Message, tt.message)
			}
		})
	}
}

// The count stays exact when the list of ids is cut.
func TestAccountBoundsTheList(t *testing.T) {
	var before snapshot
	for i := range maxListed + 20 {
		before.pending = append(before.pending, fmt.Sprint(i))
	}
	out := account(before, snapshot{}, nil)
	if out.RemovedCount != maxListed+20 || len(out.Removed) != maxListed {
		t.Errorf("removed_count %d with %d ids, want %d with %d", out.RemovedCount, len(out.Removed), maxListed+20, maxListed)
	}
}
