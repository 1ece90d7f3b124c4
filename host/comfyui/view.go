package comfyui

import (
	"context"
	"fmt"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"strings"
)

// FileRef names a file ComfyUI serves through /view: its folder type
// (output, input or temp), subfolder and name.
type FileRef struct {
	Type      string
	Subfolder string
	Filename  string
}

// URIScheme is the scheme of the MCP resources that name ComfyUI files:
// comfyui://{type}/{subfolder/…/}{filename}, each segment percent-escaped.
const URIScheme = "comfyui"

// ParseFileURI reads a comfyui:// resource URI. Its errors are
// fs.ErrInvalid (errors.Is): the URI is the caller's mistake, which MCP
// answers as invalid params rather than as a server fault.
func ParseFileURI(uri string) (FileRef, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != URIScheme {
		return FileRef{}, InvalidFileURI(fmt.Sprintf("%q is not a %s:// URI", uri, URIScheme))
	}
	// The type is the URI's host; the path holds subfolders and the name.
	segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	for i, s := range segs {
		if segs[i], err = url.PathUnescape(s); err != nil {
			return FileRef{}, InvalidFileURI(fmt.Sprintf("%q: %v", uri, err))
		}
	}
	ref := FileRef{Type: u.Host, Filename: segs[len(segs)-1], Subfolder: strings.Join(segs[:len(segs)-1], "/")}
	if err := ref.Check(); err != nil {
		return ref, InvalidFileURI(err.Error())
	}
	return ref, nil
}

// InvalidFileURI is an error saying why a comfyui:// URI names no file
// that could exist; it is fs.ErrInvalid (errors.Is).
func InvalidFileURI(why string) error { return &invalidURIError{why} }

type invalidURIError struct{ why string }

func (e *invalidURIError) Error() string { return e.why }
func (e *invalidURIError) Unwrap() error { return fs.ErrInvalid }

// URI is the comfyui:// resource URI of the file.
func (f FileRef) URI() string {
	segs := []string{}
	for _, s := range strings.Split(f.Subfolder, "/") {
		if s != "" {
			segs = append(segs, url.PathEscape(s))
		}
	}
	segs = append(segs, url.PathEscape(f.Filename))
	return URIScheme + "://" + f.Type + "/" + strings.Join(segs, "/")
}

// Check refuses references that could leave ComfyUI's folders: an unknown
// type, an empty name, "." or ".." segments, absolute paths, backslashes
// and control characters. ComfyUI checks too, but the host does not rely on
// that.
func (f FileRef) Check() error {
	switch f.Type {
	case "output", "input", "temp":
	default:
		return fmt.Errorf("file type %q is not output, input or temp", f.Type)
	}
	if f.Filename == "" || strings.Contains(f.Filename, "/") {
		return fmt.Errorf("file name %q is empty or contains '/'", f.Filename)
	}
	if strings.HasPrefix(f.Subfolder, "/") {
		return fmt.Errorf("subfolder %q is absolute", f.Subfolder)
	}
	for _, s := range append(strings.Split(f.Subfolder, "/"), f.Filename) {
		if s == "." || s == ".." {
			return fmt.Errorf("%q: '.' and '..' are not allowed", path.Join(f.Subfolder, f.Filename))
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f || r == '\\' {
				return fmt.Errorf("%q contains a control character or a backslash", path.Join(f.Subfolder, f.Filename))
			}
		}
	}
	return nil
}

// noFileError is View's error for a file ComfyUI does not have. It is
// fs.ErrNotExist, so that resources/read can answer MCP's "Resource not
// found" rather than an internal error.
type noFileError string

func (e noFileError) Error() string { return string(e) }

func (noFileError) Is(target error) bool { return target == fs.ErrNotExist }

// View downloads a file through /view and returns its bytes and media type
// (from ComfyUI's Content-Type, else from the file name). A missing file is
// an error that says so and is fs.ErrNotExist.
func (c *Client) View(ctx context.Context, f FileRef) ([]byte, string, error) {
	if err := f.Check(); err != nil {
		return nil, "", err
	}
	q := url.Values{"filename": {f.Filename}, "type": {f.Type}}
	if f.Subfolder != "" {
		q.Set("subfolder", f.Subfolder)
	}
	resp, err := c.Do(ctx, Request{Method: "GET", Path: "/view", Query: q})
	if err != nil {
		return nil, "", err
	}
	switch {
	case resp.Status == 404:
		return nil, "", noFileError(fmt.Sprintf("ComfyUI has no %s file %q (404 from %s)", f.Type, path.Join(f.Subfolder, f.Filename), resp.URL))
	case resp.Status != 200:
		return nil, "", fmt.Errorf("ComfyUI answered %d to GET %s", resp.Status, resp.URL)
	}
	mt := resp.ContentType
	if mt == "" || mt == "application/octet-stream" {
		if byExt := mime.TypeByExtension(path.Ext(f.Filename)); byExt != "" {
			mt = byExt
		}
	}
	if mt == "" {
		mt = "application/octet-stream"
	}
	return resp.Body, mt, nil
}
