package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// maxImageBytes bounds the decoded image. ComfyUI's own default limit is
// 100 MB, but a plugin holds the arguments' text twice (the call input and
// the SDK's decoded string), then the request body twice (the form and the
// host frame), within a 256 MiB memory limit. Measured with the emulator:
// 20 MiB uploads run repeatedly on one instance, while a 25 MiB upload after
// a 12 MiB one ran out of memory. 16 MiB leaves room and is far above any
// image an agent sends (its base64 is 21 MB of text).
const maxImageBytes = 16 << 20

// imageTypes are the extensions ComfyUI's LoadImage lists (it keeps the
// input files whose guessed MIME type is image/*) and PIL opens.
var imageTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
	".gif": "image/gif", ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff",
}

// forbidden are characters no file name may hold on Windows, where ComfyUI
// also runs; '/' and '\' are checked separately, with their own reason.
const forbidden = `<>:"|?*`

// checkFilename accepts a plain base name with an image extension.
func checkFilename(name string) error {
	bad := func(why string) error { return fmt.Errorf("argument \"filename\" %q: %s", name, why) }
	switch {
	case strings.ContainsAny(name, `/\`):
		return bad(`must be a name without a path; put folders in "subfolder"`)
	case strings.Contains(name, ".."):
		return bad(`must not contain ".." (ComfyUI refuses to serve such names)`)
	case strings.HasPrefix(name, ".") || strings.TrimSpace(name) != name:
		return bad("must not start with a dot or start or end with a space")
	}
	if err := plainText(name); err != nil {
		return bad(err.Error())
	}
	if len(name) > 255 {
		return bad("is longer than 255 bytes")
	}
	if _, ok := imageTypes[strings.ToLower(path.Ext(name))]; !ok {
		return bad("must end in .png, .jpg, .jpeg, .webp, .gif, .bmp, .tif or .tiff: LoadImage lists only image files")
	}
	return nil
}

// cleanSubfolder accepts a relative folder path with '/' separators and
// returns it without empty segments ("a//b/" is "a/b").
func cleanSubfolder(sub string) (string, error) {
	bad := func(why string) error { return fmt.Errorf("argument \"subfolder\" %q: %s", sub, why) }
	switch {
	case strings.Contains(sub, `\`):
		return "", bad(`separate folders with "/", not "\"`)
	case strings.HasPrefix(sub, "/"):
		return "", bad("must be relative to the target folder, not absolute")
	}
	var segs []string
	for _, s := range strings.Split(sub, "/") {
		switch {
		case s == "":
			continue
		case s == "." || s == "..":
			return "", bad(`must not contain "." or ".." segments`)
		case strings.TrimSpace(s) != s:
			return "", bad("folder names must not start or end with a space")
		}
		if err := plainText(s); err != nil {
			return "", bad(err.Error())
		}
		segs = append(segs, s)
	}
	return strings.Join(segs, "/"), nil
}

// plainText refuses invalid UTF-8, control characters and the characters
// Windows forbids in names.
func plainText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errors.New("must not contain control characters")
		}
		if strings.ContainsRune(forbidden, r) {
			return fmt.Errorf("must not contain %q (not allowed in file names on Windows)", r)
		}
	}
	return nil
}

// uploadForm is the multipart/form-data body of POST /upload/image: the
// file part "image" and the fields type, subfolder and overwrite.
type uploadForm struct {
	Filename, Subfolder, Type string
	Overwrite                 bool
}

// decoded is the decoded file, inside the form body.
type decoded struct {
	data   []byte
	format string // "PNG", "JPEG", ...
}

// build encodes the form around the image decoded from data (base64).
// The image is decoded straight into the body, so a large upload is held
// once, not three times (text, bytes, body), within the plugin's memory
// limit.
func (f uploadForm) build(data string) (body []byte, contentType string, img decoded, err error) {
	text, err := stripDataURL(data)
	if err != nil {
		return nil, "", decoded{}, err
	}
	if len(text) > maxText {
		return nil, "", decoded{}, fmt.Errorf("argument \"data\" is about %.1f MiB decoded; the limit is %d MiB", float64(len(text))*3/4/(1<<20), maxImageBytes>>20)
	}
	boundary, err := newBoundary()
	if err != nil {
		return nil, "", decoded{}, err
	}
	mimeType := imageTypes[strings.ToLower(path.Ext(f.Filename))]
	var head bytes.Buffer
	for _, field := range [][2]string{{"type", f.Type}, {"subfolder", f.Subfolder}, {"overwrite", fmt.Sprint(f.Overwrite)}} {
		fmt.Fprintf(&head, "--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", boundary, field[0], field[1])
	}
	fmt.Fprintf(&head, "--%s\r\nContent-Disposition: form-data; name=\"image\"; filename=\"%s\"\r\nContent-Type: %s\r\n\r\n",
		boundary, f.Filename, mimeType) // checkFilename let no '"', '\' or newline through
	tail := "\r\n--" + boundary + "--\r\n"

	body = make([]byte, head.Len()+maxDecodedLen(len(text))+len(tail))
	start := copy(body, head.Bytes())
	n, err := decodeBase64(body[start:], text)
	switch {
	case err != nil:
		return nil, "", decoded{}, err
	case n == 0:
		return nil, "", decoded{}, errors.New(`argument "data" is empty`)
	case n > maxImageBytes:
		return nil, "", decoded{}, fmt.Errorf("argument \"data\" is %d bytes (%.1f MiB) decoded; the limit is %d MiB", n, float64(n)/(1<<20), maxImageBytes>>20)
	}
	img.data = body[start : start+n]
	body = append(body[:start+n], tail...)
	if img.format = sniff(img.data); img.format == "" {
		return nil, "", decoded{}, fmt.Errorf("argument \"data\" is not a PNG, JPEG, WebP, GIF, BMP or TIFF image: its %d bytes start with % x", n, img.data[:min(n, 8)])
	}
	return body, "multipart/form-data; boundary=" + boundary, img, nil
}

// newBoundary is a random multipart boundary, as mime/multipart makes one:
// no image holds these 60 random hex digits by chance.
func newBoundary() (string, error) {
	var b [30]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("making a multipart boundary: %v", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// extensionNote warns when the data's format differs from what the name
// says. LoadImage reads the content, so this works, but /view and browsers
// go by the name.
func (img decoded) extensionNote(filename string) string {
	want := imageTypes[strings.ToLower(path.Ext(filename))]
	if want == sniffMIME[img.format] {
		return ""
	}
	return fmt.Sprintf("The data is %s but the name ends in %s; LoadImage reads it anyway, but other tools go by the extension.", img.format, path.Ext(filename))
}

var sniffMIME = map[string]string{
	"PNG": "image/png", "JPEG": "image/jpeg", "WebP": "image/webp", "GIF": "image/gif", "BMP": "image/bmp", "TIFF": "image/tiff",
}

// sniff names the image format from the file's first bytes, or "".
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "PNG"
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return "JPEG"
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "WebP"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "GIF"
	case bytes.HasPrefix(b, []byte("BM")) && len(b) >= 26:
		return "BMP"
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "TIFF"
	}
	return ""
}
