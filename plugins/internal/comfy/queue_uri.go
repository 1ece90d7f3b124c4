package comfy

import (
	"strings"

	"github.com/easel-mcp/easel/sdk"
)

// URIScheme is the scheme of the resource URIs under which the easel host
// serves ComfyUI's files.
const URIScheme = "comfyui"

// FileURI is the resource URI of an output file,
// comfyui://{type}/{subfolder/}{filename}, with ?backend={name} when the file
// is on one of several ComfyUI servers, for example
// comfyui://output/sub/dir_test_00001_.png: the host answers a read of it
// with ComfyUI's GET /view?type=&subfolder=&filename=, so an agent can fetch
// the file without knowing ComfyUI's address.
//
// Each segment is escaped as url.PathEscape does (through sdk.Path, which
// spares plugins the weight of net/url), so that a name with spaces, "#",
// "?", "%" or "/" survives the round trip. The subfolder is split on "/",
// ComfyUI's separator in /view, and its empty segments are dropped. An empty
// Type means "output", /view's default. A File without a filename names
// nothing: FileURI returns "".
func FileURI(f File) string {
	if f.Filename == "" {
		return ""
	}
	typ := f.Type
	if typ == "" {
		typ = "output"
	}
	segs := []string{typ}
	for _, s := range strings.Split(f.Subfolder, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	segs = append(segs, f.Filename)
	uri := URIScheme + ":/" + sdk.Path(segs...)
	if f.Backend != "" {
		// Backend names are letters, digits, _ and -: nothing to escape.
		uri += "?backend=" + f.Backend
	}
	return uri
}
