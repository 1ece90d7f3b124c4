// Command upload_image is the easel plugin behind the upload_image tool: it
// puts an image into ComfyUI's input (or temp, output) folder with
// POST /upload/image, so that a workflow's LoadImage node can read it.
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o upload_image.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	Data      string `json:"data" description:"The image file, base64 (a data: URL also works); at most 16 MiB decoded"`
	Filename  string `json:"filename" description:"Name to store it under, e.g. cat.png: no path, an image extension" minLength:"1" maxLength:"255"`
	Subfolder string `json:"subfolder,omitempty" description:"Relative folder inside type's folder, e.g. refs/cats; created if missing" maxLength:"255"`
	Overwrite bool   `json:"overwrite" description:"Replace a file of the same name (destructive) instead of storing under a new name" default:"false"`
	Type      string `json:"type" description:"Target folder" enum:"input,temp,output" default:"input"`
}

// Output is the tool's structured result.
type Output struct {
	Name           string `json:"name" description:"The name ComfyUI stored the file under"`
	Subfolder      string `json:"subfolder"`
	Type           string `json:"type"`
	LoadImageValue string `json:"load_image_value" description:"The exact value for a LoadImage node's image input"`
	Renamed        bool   `json:"renamed,omitempty"`
	SizeBytes      int    `json:"size_bytes"`
	Format         string `json:"format" description:"PNG, JPEG, WebP, GIF, BMP or TIFF"`
	URI            string `json:"uri"`
	Verified       bool   `json:"verified" description:"ComfyUI serves the file under this name"`
	Note           string `json:"note,omitempty"`
}

const description = `Uploads a base64 image (max 16 MiB) into ComfyUI's input folder (or temp, output) for a workflow to use. Returns the name ComfyUI stored it under (a different file of that name makes it "name (1).png"; identical content keeps the name) and load_image_value, the exact string for a LoadImage node's image input.`

func init() {
	sdk.Register(sdk.Tool[Input, Output]{
		Name:        "upload_image",
		Title:       "Upload image",
		Description: description,
		// Destructive: the hint is per tool, not per call, and with
		// overwrite=true a call replaces an existing file. Idempotent: the same
		// call again stores nothing new (ComfyUI keeps the name for identical
		// content, and overwriting with the same bytes changes nothing).
		Annotations: sdk.Annotations{Destructive: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Output, error) {
	sub, err := cleanSubfolder(in.Subfolder)
	if err != nil {
		return Output{}, err
	}
	if err := checkFilename(in.Filename); err != nil {
		return Output{}, err
	}
	form := uploadForm{Filename: in.Filename, Subfolder: sub, Type: in.Type, Overwrite: in.Overwrite}
	body, contentType, img, err := form.build(in.Data)
	if err != nil {
		return Output{}, err
	}
	api := c.ComfyUI()
	up, err := post(api, body, contentType)
	if err != nil {
		return Output{}, err
	}
	if up.Type == "" {
		up.Type = in.Type
	}
	out := describeUpload(in.Filename, up, img)
	if out.Verified, err = verify(api, up); err != nil {
		out.Note = strings.TrimSpace(out.Note + " ComfyUI confirmed the upload, but reading the file back failed: " + err.Error())
	}
	return out, nil
}

// describeUpload is the result for the agent: where the file is and how a
// workflow names it, with notes on anything unexpected.
func describeUpload(requested string, up uploaded, img decoded) Output {
	out := Output{
		Name:           up.Name,
		Subfolder:      up.Subfolder,
		Type:           up.Type,
		LoadImageValue: loadImageValue(up),
		Renamed:        up.Name != requested,
		SizeBytes:      len(img.data),
		Format:         img.format,
		URI:            comfy.FileURI(comfy.File{Type: up.Type, Subfolder: up.Subfolder, Filename: up.Name}),
	}
	var notes []string
	if n := img.extensionNote(requested); n != "" {
		notes = append(notes, n)
	}
	if out.Renamed {
		notes = append(notes, fmt.Sprintf("A different file was already named %q, so ComfyUI stored this one as %q.", requested, up.Name))
	}
	out.Note = strings.Join(notes, " ")
	return out
}

// uploaded is ComfyUI's answer to POST /upload/image.
type uploaded struct {
	Name      string `json:"name"`
	Subfolder string `json:"subfolder"`
	Type      string `json:"type"`
}

// post sends the form. ComfyUI answers only once the file is written (or
// found identical to the one of that name), so a 200 with a name is its
// confirmation.
func post(api *sdk.ComfyUI, body []byte, contentType string) (uploaded, error) {
	resp, err := api.Do(sdk.Request{Method: "POST", Path: "/upload/image", Body: body, ContentType: contentType})
	if err != nil {
		return uploaded{}, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		err := &sdk.StatusError{Method: "POST", URL: resp.URL, Status: resp.Status, Body: resp.Body}
		if resp.Status == 413 {
			return uploaded{}, fmt.Errorf("%v (the file is larger than ComfyUI's --max-upload-size allows)", err)
		}
		return uploaded{}, err
	}
	var up uploaded
	if err := json.Unmarshal(resp.Body, &up); err != nil || up.Name == "" {
		if err == nil {
			err = fmt.Errorf("no name in the answer")
		}
		return uploaded{}, &sdk.NotAPIError{URL: resp.URL, ContentType: resp.ContentType, Snippet: comfy.Snippet(resp.Body), Err: err}
	}
	return up, nil
}

// verify asks /view for the stored file (HEAD: headers only). It is the
// same lookup LoadImage's validation makes, and works for subfolders and
// the temp and output folders, which LoadImage's choice list (top-level
// input files only) does not show; that list can also run to thousands of
// names, while this answer is empty.
func verify(api *sdk.ComfyUI, up uploaded) (bool, error) {
	q := map[string]string{"filename": up.Name, "type": up.Type}
	if up.Subfolder != "" {
		q["subfolder"] = up.Subfolder
	}
	resp, err := api.Do(sdk.Request{Method: "HEAD", Path: "/view", Query: q})
	if err != nil {
		return false, err
	}
	if resp.Status != 200 {
		return false, fmt.Errorf("ComfyUI answered %d to HEAD %s", resp.Status, resp.URL)
	}
	return true, nil
}

// loadImageValue is what LoadImage's image input takes: "subfolder/name",
// with ComfyUI's " [output]" or " [temp]" suffix for files outside the
// input folder (folder_paths.annotated_filepath).
func loadImageValue(up uploaded) string {
	v := up.Name
	if up.Subfolder != "" {
		v = up.Subfolder + "/" + up.Name
	}
	if up.Type != "input" {
		v += " [" + up.Type + "]"
	}
	return v
}
