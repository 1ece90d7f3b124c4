package comfy

import (
	"fmt"
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

// ParseFileURI reads a URI FileURI made back into the File it names, so
// that an agent can hand a job's output URI to a tool that takes a file.
// It checks the form only; the host checks the names again before any
// request.
func ParseFileURI(uri string) (File, error) {
	rest, ok := strings.CutPrefix(uri, URIScheme+"://")
	if !ok {
		return File{}, fmt.Errorf("%q is not a %s:// URI", uri, URIScheme)
	}
	rest, query, _ := strings.Cut(rest, "?")
	segs := strings.Split(rest, "/")
	if len(segs) < 2 || segs[len(segs)-1] == "" {
		return File{}, fmt.Errorf("%q names no file: want %s://{type}/{subfolder/}{filename}", uri, URIScheme)
	}
	for i, s := range segs {
		var err error
		if segs[i], err = unescape(s); err != nil {
			return File{}, fmt.Errorf("%q: %w", uri, err)
		}
	}
	f := File{Type: segs[0], Subfolder: strings.Join(segs[1:len(segs)-1], "/"), Filename: segs[len(segs)-1]}
	for kv := range strings.SplitSeq(query, "&") {
		if b, ok := strings.CutPrefix(kv, "backend="); ok {
			f.Backend = b
		}
	}
	return f, nil
}

// unescape undoes url.PathEscape's percent-escapes.
func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		hi, lo := unhex(s, i+1), unhex(s, i+2)
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("bad escape %q", s[i:min(i+3, len(s))])
		}
		b = append(b, byte(hi<<4|lo))
		i += 2
	}
	return string(b), nil
}

func unhex(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch c := s[i]; {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
