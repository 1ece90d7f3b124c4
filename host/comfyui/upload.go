package comfyui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// maxUploadFields bounds the form parts CheckUpload reads: ComfyUI's upload
// form has four (image, type, subfolder, overwrite), plus mask's
// original_ref.
const maxUploadFields = 16

// CheckUpload applies the host's file-reference rules to a multipart body
// for POST /upload/image or /upload/mask, whose destination is in the form:
// the "type" field (input by default), the "subfolder" field and the file
// part's name. A plugin allowed to upload still cannot write outside
// ComfyUI's input, temp and output folders, whatever ComfyUI would let it
// do. Bodies that are not multipart/form-data are refused: ComfyUI would
// refuse them too, and the host does not forward what it cannot check.
func CheckUpload(contentType string, body []byte) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return fmt.Errorf("an upload must be multipart/form-data with a boundary, got %q", contentType)
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	fields := map[string]string{}
	var files []string
	for i := 0; ; i++ {
		part, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("the upload form is malformed: %v", err)
		}
		if i == maxUploadFields {
			return fmt.Errorf("the upload form has more than %d parts", maxUploadFields)
		}
		if name := part.FileName(); name != "" || part.FormName() == "image" {
			files = append(files, rawFileName(part))
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 4096))
		if err != nil {
			return fmt.Errorf("the upload form is malformed: %v", err)
		}
		fields[part.FormName()] = string(v)
	}
	if len(files) == 0 {
		return errors.New("the upload form has no file part")
	}
	typ := fields["type"]
	if typ == "" {
		typ = "input"
	}
	for _, name := range files {
		ref := FileRef{Type: typ, Subfolder: fields["subfolder"], Filename: name}
		if err := ref.Check(); err != nil {
			return fmt.Errorf("upload: %w", err)
		}
	}
	return nil
}

// rawFileName is the filename parameter as sent. multipart.Part.FileName
// applies filepath.Base, which would hide the "../" ComfyUI may see.
func rawFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["filename"])
}

// IsUploadPath reports whether path is one of ComfyUI's upload routes.
func IsUploadPath(path string) bool {
	path = strings.TrimPrefix(path, "/api")
	return path == "/upload/image" || path == "/upload/mask"
}
