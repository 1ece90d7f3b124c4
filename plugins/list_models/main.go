// Command list_models is the easel plugin behind the list_models tool: the
// model folders ComfyUI knows (GET /models) and the files in one of them
// (GET /models/{folder}).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o list_models.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/easel-mcp/easel/sdk"
)

// Input is the tool's arguments.
type Input struct {
	Folder string `json:"folder,omitempty" description:"A model folder, e.g. checkpoints, loras, vae; omit to list folders" maxLength:"200"`
	Filter string `json:"filter,omitempty" description:"Only names containing this (case-insensitive)" maxLength:"200"`
	Limit  int    `json:"limit" description:"Most names to return" default:"200" minimum:"1" maximum:"1000"`
}

const description = `Lists the model files ComfyUI can load: without folder the folder names, with folder its files, each the exact string a loader node's input takes (e.g. CheckpointLoaderSimple's ckpt_name; files in subfolders read "sub/name.safetensors"). get_node_info shows which input takes which file. An unknown folder is an error listing the valid ones.`

func init() {
	sdk.Register(sdk.Tool[Input, Output]{
		Name:        "list_models",
		Title:       "List models",
		Description: description,
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Output, error) {
	if in.Folder == "" {
		return listFolders(c.ComfyUI(), in)
	}
	return listFiles(c.ComfyUI(), in)
}

func listFolders(api *sdk.ComfyUI, in Input) (Output, error) {
	folders, err := modelFolders(api)
	if err != nil {
		return Output{}, err
	}
	out := Output{}
	out.Folders, out.Total, out.Truncated = selectNames(folders, in.Filter, in.Limit)
	if out.Total == 0 && in.Filter != "" {
		out.Note = fmt.Sprintf("No folder name contains %q.", in.Filter)
	}
	return out, nil
}

func listFiles(api *sdk.ComfyUI, in Input) (Output, error) {
	if hasDotSegment(in.Folder) {
		// No folder has such a name, and the host refuses a path with a
		// dot segment, which would name the path, not the argument.
		return Output{}, unknownFolder(api, in.Folder, nil)
	}
	var files []string
	err := api.GetJSON(sdk.Path("models", in.Folder), nil, &files)
	var se *sdk.StatusError
	if errors.As(err, &se) && se.Status == 404 {
		return Output{}, unknownFolder(api, in.Folder, se)
	}
	if err != nil {
		return Output{}, err
	}
	out := Output{Folder: in.Folder}
	out.Files, out.Total, out.Truncated = selectNames(files, in.Filter, in.Limit)
	switch {
	case len(files) == 0:
		out.Note = fmt.Sprintf("ComfyUI found no files in %s: loader nodes that read this folder have no valid choice until model files are put there.", in.Folder)
	case out.Total == 0:
		out.Note = fmt.Sprintf("None of the %d files contains %q.", len(files), in.Filter)
	}
	return out, nil
}

func modelFolders(api *sdk.ComfyUI) ([]string, error) {
	var folders []string
	err := api.GetJSON("/models", nil, &folders)
	return folders, err
}

// unknownFolder explains a 404 from /models/{folder}, which is how ComfyUI
// answers a folder it does not know. If the folder is in fact known (the
// 404 came from something else, such as a proxy), or the folder list cannot
// be read, the original error stands.
func unknownFolder(api *sdk.ComfyUI, folder string, notFound *sdk.StatusError) error {
	folders, err := modelFolders(api)
	if err != nil {
		if notFound == nil {
			return err
		}
		return notFound
	}
	for _, f := range folders {
		if f == folder && notFound != nil {
			return notFound
		}
	}
	msg := fmt.Sprintf("ComfyUI has no model folder %q.", folder)
	if f, ok := closeFolder(folders, folder); ok {
		msg += fmt.Sprintf(" Did you mean %q?", f)
	}
	return fmt.Errorf("%s Valid folders: %s", msg, strings.Join(folders, ", "))
}

// closeFolder is the folder an agent most likely meant: the same name in
// another case, or with or without a plural s ("checkpoint").
func closeFolder(folders []string, folder string) (string, bool) {
	for _, f := range folders {
		if strings.EqualFold(f, folder) {
			return f, true
		}
	}
	lower := strings.ToLower(folder)
	for _, f := range folders {
		if fl := strings.ToLower(f); fl == lower+"s" || fl+"s" == lower {
			return f, true
		}
	}
	return "", false
}

// hasDotSegment reports whether a name, read as a path, has a "." or ".."
// segment.
func hasDotSegment(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
