// Command probe is a test plugin for host/plugin: each mode exercises one
// behaviour of the host, well-behaved or not.
package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/easel-mcp/easel/host/imaging"
	"github.com/easel-mcp/easel/sdk"
)

type Input struct {
	Mode  string `json:"mode" enum:"echo,panic,spin,sleep,queue,http,progress,log,stderr,big,config,file,await,thumb_guest,thumb_host,base64,bomb"`
	Text  string `json:"text,omitempty"`
	Bytes int    `json:"bytes,omitempty" minimum:"0"`
}

type Output struct {
	Mode string `json:"mode"`
	Text string `json:"text"`
}

func init() {
	sdk.Register(sdk.Tool[Input, Output]{
		Name:        "probe",
		Description: "Test plugin: behaves according to mode.",
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Output, error) {
	out := Output{Mode: in.Mode}
	switch in.Mode {
	case "echo":
		out.Text = in.Text
	case "panic":
		panic("probe panicked on purpose")
	case "spin":
		for {
		}
	case "sleep":
		time.Sleep(time.Hour)
	case "queue":
		var q map[string]any
		if err := c.ComfyUI().GetJSON("/queue", nil, &q); err != nil {
			return out, err
		}
		out.Text = fmt.Sprint(len(q))
	case "http":
		resp, err := c.HTTP(sdk.HTTPRequest{URL: in.Text, Headers: map[string]string{"X-Probe": "1"}})
		if err != nil {
			return out, err
		}
		out.Text = fmt.Sprintf("%d %s", resp.Status, resp.Body)
	case "progress":
		for i := 1; i <= 3; i++ {
			c.Progress(float64(i), 3, fmt.Sprintf("step %d", i))
		}
		out.Text = "progressed"
	case "log":
		c.Logger().Info("probe log line", "text", in.Text)
		out.Text = "logged"
	case "stderr":
		line := strings.Repeat("x", 1000)
		for written := 0; written < in.Bytes; written += len(line) {
			fmt.Fprintln(os.Stderr, line)
		}
		out.Text = "wrote"
	case "big":
		out.Text = strings.Repeat("b", in.Bytes)
	case "base64":
		// Loop-heavy work, for the cost of interruptibility.
		enc := base64.StdEncoding.EncodeToString(make([]byte, in.Bytes))
		dec, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return out, err
		}
		out.Text = fmt.Sprint(len(dec))
	case "bomb":
		// Allocate until the memory limit ends the call.
		var keep [][]byte
		for {
			keep = append(keep, make([]byte, 1<<20))
		}
	case "file":
		data, err := c.File(in.Text)
		if err != nil {
			return out, err
		}
		out.Text = string(data) + " " + c.ComfyUI().ClientID()
	case "await":
		r := c.Resumed()
		if r == nil {
			return out, sdk.AwaitJob(in.Text, time.Minute, in.Text+"-state")
		}
		var state string
		if err := r.State(&state); err != nil {
			return out, err
		}
		out.Text = r.Job.Status + " " + state + " " + r.Job.Error
	case "thumb_guest", "thumb_host":
		data, err := c.File("image")
		if err != nil {
			return out, err
		}
		var w, h int
		if in.Mode == "thumb_guest" {
			t, err := imaging.Thumbnail(data, in.Bytes, 1<<20)
			if err != nil {
				return out, err
			}
			w, h = t.Width, t.Height
		} else {
			t, err := c.Thumbnail(data, in.Bytes, 1<<20)
			if err != nil {
				return out, err
			}
			w, h = t.Width, t.Height
		}
		out.Text = fmt.Sprintf("%dx%d", w, h)
	case "config":
		var cfg map[string]any
		if err := c.Config(&cfg); err != nil {
			return out, err
		}
		out.Text = fmt.Sprint(cfg["greeting"])
	}
	return out, nil
}
