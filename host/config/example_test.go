package config_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/easel-mcp/easel/host/config"
)

func ExampleParse() {
	// A configuration folder with one compiled plugin.
	dir, err := os.MkdirTemp("", "easel-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Mkdir(filepath.Join(dir, "plugins"), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugins", "get_job_status.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		log.Fatal(err)
	}

	const tools = `
comfyui:
  url: http://gpu-box:8188
  auth:
    token_env: COMFYUI_TOKEN
  timeout: ${EASEL_TIMEOUT:-2m}
tools:
  - name: get_job_status
    plugin: plugins/get_job_status.wasm
    config:
      poll_every: 2
      model: sdxl
`
	// In production the environment is os.LookupEnv.
	env := config.MapEnv(map[string]string{"COMFYUI_TOKEN": "s3cret"})

	cfg, err := config.Parse([]byte(tools), filepath.Join(dir, "tools.yaml"), env)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cfg.ComfyUI.URL, cfg.ComfyUI.Timeout, cfg.ComfyUI.MaxResponseBytes)
	fmt.Println(cfg.ComfyUI.Auth) // the token is never printed
	for _, t := range cfg.Tools {
		fmt.Println(t.Name, t.Kind, filepath.Base(t.Path), string(t.Config))
	}
	// Output:
	// http://gpu-box:8188 2m0s 67108864
	// Authorization: Bearer [REDACTED] (from $COMFYUI_TOKEN)
	// get_job_status wasm get_job_status.wasm {"poll_every":2,"model":"sdxl"}
}

func ExampleErrors() {
	const tools = `comfyui:
  timeout: 30
tools:
  - name: get job
    plugn: plugins/get_job.wasm
`
	_, err := config.Parse([]byte(tools), "tools.yaml", nil)
	fmt.Println(err)

	// The same problems, as values.
	var errs config.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Printf("line %d, %s\n", e.Pos.Line, e.Path)
		}
	}
	// Output:
	// tools.yaml:2: comfyui.timeout: "30" is not a duration (use e.g. 30s)
	// tools.yaml:4: tools[0].name: "get job" is not a valid tool name (allowed: letters, digits, _ and -, at most 64)
	// tools.yaml:5: tools[0]: unknown key "plugn" (did you mean "plugin"?)
	// line 2, comfyui.timeout
	// line 4, tools[0].name
	// line 5, tools[0]
}
