// Command get_image is the easel plugin behind the get_image tool: a
// thumbnail an agent can look at, plus a link to the full file.
package main

import (
	"fmt"
	"strings"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input names the file as ComfyUI's history does.
type Input struct {
	Filename     string `json:"filename" description:"File name from a job's outputs, e.g. ComfyUI_00001_.png" minLength:"1" maxLength:"1024"`
	Subfolder    string `json:"subfolder,omitempty" description:"Subfolder from the job's outputs" maxLength:"1024"`
	Type         string `json:"type,omitempty" default:"output" enum:"output,input,temp" description:"output (saved), temp (previews) or input (uploads)"`
	MaxDimension int    `json:"max_dimension,omitempty" default:"1024" minimum:"64" maximum:"4096" description:"Longest side of the thumbnail in pixels"`
	MaxBytes     int    `json:"max_bytes,omitempty" default:"750000" minimum:"10000" maximum:"5000000" description:"Byte cap of the thumbnail"`
	Backend      string `json:"backend,omitempty" maxLength:"32" description:"With several ComfyUI servers: the backend from the job's outputs"`
}

// Meta describes the file and its thumbnail.
type Meta struct {
	URI             string `json:"uri" description:"comfyui:// resource with the full file (resources/read)"`
	MimeType        string `json:"mime_type"`
	Bytes           int    `json:"bytes"`
	Width           int    `json:"width,omitempty"`
	Height          int    `json:"height,omitempty"`
	ThumbnailWidth  int    `json:"thumbnail_width,omitempty"`
	ThumbnailHeight int    `json:"thumbnail_height,omitempty"`
	ThumbnailBytes  int    `json:"thumbnail_bytes,omitempty"`
	Note            string `json:"note,omitempty"`
}

const description = `Returns ONE image ComfyUI stored (job output, preview or upload) as an image the model can see, scaled to max_dimension and under max_bytes, plus a comfyui:// resource link to the full-size file (resources/read). Take filename, subfolder and type from wait_for_job or get_history outputs, or pass an output's uri as filename. Video and audio get the link only.`

func init() {
	sdk.Register(sdk.Tool[Input, *sdk.Result]{
		Name:        "get_image",
		Title:       "Get an image",
		Description: description,
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (*sdk.Result, error) {
	if err := fromURI(&in); err != nil {
		return nil, err
	}
	if err := checkName(in.Filename, in.Subfolder); err != nil {
		return nil, err
	}
	f := comfy.File{Filename: in.Filename, Subfolder: in.Subfolder, Type: in.Type}
	query := map[string]string{"filename": in.Filename, "type": in.Type}
	if in.Subfolder != "" {
		query["subfolder"] = in.Subfolder
	}
	api := c.ComfyUI()
	if in.Backend != "" {
		api = api.OnBackend(in.Backend)
	}
	resp, err := api.Do(sdk.Request{Method: "GET", Path: "/view", Query: query})
	if err != nil {
		return nil, err
	}
	switch {
	case resp.Status == 404:
		return nil, fmt.Errorf("ComfyUI has no %s file %q (404 from %s); take filename, subfolder and type from the job's outputs", in.Type, joinName(in.Subfolder, in.Filename), resp.URL)
	case resp.Status != 200:
		return nil, &sdk.StatusError{Method: "GET", URL: resp.URL, Status: resp.Status, Body: resp.Body}
	}
	f.Backend = resp.Backend
	meta := Meta{URI: comfy.FileURI(f), MimeType: mediaType(resp.ContentType, in.Filename), Bytes: len(resp.Body)}
	thumb, err := c.Thumbnail(resp.Body, in.MaxDimension, in.MaxBytes)
	if err != nil {
		meta.Note = "no preview: " + err.Error() + "; read the resource for the full file"
		return sdk.JSON(meta).WithResourceLink(meta.URI, in.Filename, meta.MimeType), nil
	}
	meta.Width, meta.Height = thumb.OriginalWidth, thumb.OriginalHeight
	meta.ThumbnailWidth, meta.ThumbnailHeight, meta.ThumbnailBytes = thumb.Width, thumb.Height, len(thumb.Data)
	return sdk.JSON(meta).
		WithImage(thumb.Data, thumb.MimeType).
		WithResourceLink(meta.URI, in.Filename, meta.MimeType), nil
}

// fromURI reads a comfyui:// URI given as the filename, as every tool
// reports an output file, into the file's name, subfolder, type and
// backend. A subfolder or backend given beside it must agree with it.
func fromURI(in *Input) error {
	if !strings.HasPrefix(in.Filename, comfy.URIScheme+"://") {
		return nil
	}
	f, err := comfy.ParseFileURI(in.Filename)
	if err != nil {
		return fmt.Errorf(`argument "filename": %w`, err)
	}
	switch {
	case in.Subfolder != "" && in.Subfolder != f.Subfolder:
		return fmt.Errorf(`argument "subfolder": %q disagrees with the uri given as filename (subfolder %q); leave it out`, in.Subfolder, f.Subfolder)
	case in.Backend != "" && f.Backend != "" && in.Backend != f.Backend:
		return fmt.Errorf(`argument "backend": %q disagrees with the uri given as filename (backend %q); leave it out`, in.Backend, f.Backend)
	}
	if checkName(f.Filename, f.Subfolder) != nil {
		return fmt.Errorf(`argument "filename": the uri %q names a file outside ComfyUI's folders (a . or .. segment, or a backslash)`, in.Filename)
	}
	in.Filename, in.Subfolder, in.Type = f.Filename, f.Subfolder, f.Type
	if f.Backend != "" {
		in.Backend = f.Backend
	}
	switch in.Type {
	case "output", "input", "temp":
		return nil
	}
	return fmt.Errorf(`argument "filename": the uri's type %q is not output, input or temp`, in.Type)
}

// checkName refuses names that could leave ComfyUI's folders before they
// reach the server (ComfyUI checks too; we do not rely on it).
func checkName(filename, subfolder string) error {
	if strings.ContainsAny(filename, `/\`) || filename == "." || filename == ".." {
		return fmt.Errorf(`argument "filename": %q must be a bare file name (put folders in subfolder)`, filename)
	}
	if strings.HasPrefix(subfolder, "/") || strings.Contains(subfolder, `\`) {
		return fmt.Errorf(`argument "subfolder": %q must be a relative path`, subfolder)
	}
	for _, s := range strings.Split(subfolder, "/") {
		if s == ".." || s == "." {
			return fmt.Errorf(`argument "subfolder": %q must not contain . or .. segments`, subfolder)
		}
	}
	return nil
}

func joinName(subfolder, name string) string {
	if subfolder == "" {
		return name
	}
	return subfolder + "/" + name
}

// mediaType prefers ComfyUI's Content-Type and falls back to the extension.
func mediaType(contentType, name string) string {
	if contentType != "" && contentType != "application/octet-stream" {
		return contentType
	}
	return comfy.MediaTypeOf(name)
}
