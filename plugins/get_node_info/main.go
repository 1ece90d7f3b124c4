// Command get_node_info is the easel plugin behind the get_node_info tool:
// what one ComfyUI node class takes and gives (GET /object_info/{class}),
// or which classes match a search (GET /object_info).
//
// Build: GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o get_node_info.wasm
// (easel does this itself when tools.yaml names this folder).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/easel-mcp/easel/plugins/internal/comfy"
	"github.com/easel-mcp/easel/sdk"
	"github.com/easel-mcp/easel/sdk/jsonread"
)

// Input is the tool's arguments. Exactly one of ClassType and Search is
// given; the handler checks, since a schema of optional fields cannot say
// "exactly one" in a way every client honours.
type Input struct {
	ClassType string `json:"class_type,omitempty" description:"Exact class name, e.g. KSampler" maxLength:"200"`
	Search    string `json:"search,omitempty" description:"Words to find, e.g. 'load image'" maxLength:"200"`
	Limit     int    `json:"limit" description:"Most search results" default:"20" minimum:"1" maximum:"100"`
}

// Info is the tool's structured result: node for class_type, search for
// search.
type Info struct {
	Node   *Node   `json:"node,omitempty"`
	Search *Search `json:"search,omitempty"`
}

const description = `Describes ComfyUI node classes for building workflows. Pass one of: class_type, for that class's inputs (type, default, min/max/step, choices, tooltips; optional ones flagged), outputs (index, type, name), category and output_node (an unknown class is an error listing close names); search, for classes whose name, display name or category contain every word. Inputs of types like IMAGE or MODEL take a link [node_id, output_index]; INT, FLOAT, STRING, BOOLEAN and COMBO take values.`

func init() {
	sdk.Register(sdk.Tool[Input, Info]{
		Name:        "get_node_info",
		Title:       "Get node info",
		Description: description,
		Annotations: sdk.Annotations{ReadOnly: true, Idempotent: true},
		Handler:     handle,
	})
}

func main() {}

func handle(c *sdk.Call, in Input) (Info, error) {
	classType, search := strings.TrimSpace(in.ClassType), strings.TrimSpace(in.Search)
	switch {
	case classType != "" && search != "":
		return Info{}, errors.New(`pass only one of the arguments "class_type" (one node's inputs and outputs) and "search" (find node classes)`)
	case classType != "":
		n, err := describeClass(c.ComfyUI(), classType)
		return Info{Node: n}, err
	case search != "":
		s, err := searchClasses(c.ComfyUI(), search, in.Limit)
		return Info{Search: s}, err
	}
	return Info{}, errors.New(`pass the argument "class_type" (one node's inputs and outputs) or "search" (find node classes)`)
}

// describeClass asks ComfyUI for one class. ComfyUI answers an unknown class
// with {} and status 200, so the full list decides between a class whose
// name the per-class route cannot carry (a "/" in it can also make the
// route answer 404; the class is looked up in the list) and a mistake
// (close names are suggested).
func describeClass(api *sdk.ComfyUI, name string) (*Node, error) {
	var one map[string]json.RawMessage
	err := api.GetJSON(sdk.Path("object_info", name), nil, &one)
	var se *sdk.StatusError
	if err != nil && !(errors.As(err, &se) && se.Status == 404) {
		return nil, err
	}
	if raw, ok := one[name]; ok {
		return parseNode(name, raw)
	}
	// The class in the full list, picked out by the host (which also
	// keeps the list a while, for the summaries below if it is not there).
	resp, err := api.Do(sdk.Request{Path: "/object_info", Select: jsonread.Pointer(name)})
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, &sdk.StatusError{Method: "GET", URL: resp.URL, Status: resp.Status, Body: resp.Body}
	}
	if !resp.Missing {
		return parseNode(name, resp.Body)
	}
	all, err := fullList(api)
	if err != nil {
		return nil, err
	}
	return nil, unknownClass(name, all)
}

func searchClasses(api *sdk.ComfyUI, query string, limit int) (*Search, error) {
	all, err := fullList(api)
	if err != nil {
		return nil, err
	}
	return search(all, query, limit), nil
}

// unsummarized are the members of every class that a summary does not
// read; the host leaves them out of a search's /object_info. The inputs
// alone, with every combo's choices (each model file, each sampler), are
// most of the answer.
func unsummarized() []string {
	return []string{"/*/input", "/*/input_order", "/*/output", "/*/output_is_list", "/*/output_name", "/*/output_tooltips", "/*/description"}
}

// fullList reads GET /object_info into a summary per class, without what
// a summary does not read (unsummarized). The answer is several hundred
// kilobytes (megabytes with many custom nodes) and WebAssembly decodes
// slowly, so it is read in one pass rather than into a map first.
func fullList(api *sdk.ComfyUI) ([]summary, error) {
	resp, err := api.Do(sdk.Request{Path: "/object_info", Omit: unsummarized()})
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, &sdk.StatusError{Method: "GET", URL: resp.URL, Status: resp.Status, Body: resp.Body}
	}
	all, err := summarize(resp.Body)
	if err != nil {
		return nil, &sdk.NotAPIError{URL: resp.URL, ContentType: resp.ContentType, Snippet: comfy.Snippet(resp.Body), Err: err}
	}
	return all, nil
}

func unknownClass(name string, all []summary) error {
	names := suggest(all, name, maxSuggestions)
	msg := fmt.Sprintf("ComfyUI has no node class %q (names are case-sensitive; it has %d classes).", name, len(all))
	if len(names) == 0 {
		return fmt.Errorf(`%s No class name resembles it: call get_node_info with "search" and a word from it.`, msg)
	}
	return fmt.Errorf(`%s Close names: %s. Call get_node_info with "search" to find others.`, msg, strings.Join(names, ", "))
}
