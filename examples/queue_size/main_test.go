package main

import (
	"os"
	"strings"
	"testing"
)

// The README shows this plugin as the ten-line example; keep them equal so
// the README never shows code that does not build.
func TestREADMEShowsThisPlugin(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```") {
		t.Error("README.md's plugin example differs from examples/queue_size/main.go")
	}
}
