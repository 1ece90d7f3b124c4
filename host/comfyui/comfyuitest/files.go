package comfyuitest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The emulated input, output and temp folders. They stand for ComfyUI's directories on disk,
// so they survive Down and Up (except temp, which ComfyUI empties at start).
const (
	dirInput  = "input"
	dirOutput = "output"
	dirTemp   = "temp"
)

// maxUploadSize is ComfyUI's default --max-upload-size (100 MB), which aiohttp applies to
// every request body.
const maxUploadSize = 100 * 1024 * 1024

type storedFile struct {
	data []byte
	mod  time.Time
}

// fileStore holds the folders' files by "folder/relative/path". It is guarded by the
// server's mutex.
type fileStore struct {
	files  map[string]*storedFile
	models map[string][]string // model folder → file names (WithModels)
}

func newFileStore() *fileStore { return &fileStore{files: map[string]*storedFile{}} }

// relPath joins a subfolder and a name the way os.path.join does, and reports whether the
// result stays inside the folder ("" is the folder itself).
func relPath(sub, name string) (string, bool) {
	p := name
	if sub != "" {
		p = sub + "/" + name
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(name, "/") {
		return "", false
	}
	p = path.Clean(p)
	switch {
	case p == ".":
		return "", true
	case p == ".." || strings.HasPrefix(p, "../"):
		return "", false
	}
	return p, true
}

func (fs *fileStore) get(dir, sub, name string) (*storedFile, bool) {
	rel, ok := relPath(sub, name)
	if !ok || rel == "" {
		return nil, false
	}
	f, ok := fs.files[dir+"/"+rel]
	return f, ok
}

func (fs *fileStore) put(dir, sub, name string, data []byte) {
	rel, ok := relPath(sub, name)
	if !ok || rel == "" {
		return
	}
	fs.files[dir+"/"+rel] = &storedFile{data: data, mod: time.Now()}
}

// exists is os.path.exists: a file, or a folder that holds files.
func (fs *fileStore) exists(dir, rel string) bool {
	if rel == "" {
		return true
	}
	if _, ok := fs.files[dir+"/"+rel]; ok {
		return true
	}
	prefix := dir + "/" + rel + "/"
	for k := range fs.files {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// names lists the files directly inside a folder (os.listdir, files only).
func (fs *fileStore) names(dir, sub string) []string {
	rel, ok := relPath(sub, ".")
	if !ok {
		return nil
	}
	prefix := dir + "/"
	if rel != "" {
		prefix += rel + "/"
	}
	var out []string
	for k := range fs.files {
		if rest, ok := strings.CutPrefix(k, prefix); ok && !strings.Contains(rest, "/") {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out
}

func (fs *fileStore) clearDir(dir string) {
	for k := range fs.files {
		if strings.HasPrefix(k, dir+"/") {
			delete(fs.files, k)
		}
	}
}

// annotatedFilepath is folder_paths.annotated_filepath: a "name [output]" suffix names the
// folder. dir is "" when there is no suffix.
func annotatedFilepath(name string) (string, string) {
	for _, d := range []string{dirOutput, dirInput, dirTemp} {
		suffix := "[" + d + "]"
		if strings.HasSuffix(name, suffix) {
			n := len(name) - len(suffix) - 1 // ComfyUI also drops the character before "["
			return name[:max(n, 0)], d
		}
	}
	return name, ""
}

// existsAnnotated is folder_paths.exists_annotated_filepath (input folder by default).
func (fs *fileStore) existsAnnotated(name string) bool {
	name, dir := annotatedFilepath(name)
	if dir == "" {
		dir = dirInput
	}
	rel, ok := relPath("", name)
	return ok && fs.exists(dir, rel)
}

// inputImages is the LoadImage combo: image files directly in the input folder, sorted.
func (fs *fileStore) inputImages() []any {
	var out []any
	for _, n := range fs.names(dirInput, "") {
		if strings.HasPrefix(mime.TypeByExtension(path.Ext(n)), "image/") {
			out = append(out, n)
		}
	}
	if out == nil {
		out = []any{}
	}
	return out
}

// view is GET /view (server.py view_image).
func (inst *instance) view(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if _, ok := q["filename"]; !ok {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	filename, dir := annotatedFilepath(q.Get("filename"))
	if filename == "" || filename[0] == '/' || strings.Contains(filename, "..") {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	if dir == "" {
		dir = dirOutput
		if t, ok := q["type"]; ok {
			dir = t[0]
		}
		if dir != dirOutput && dir != dirInput && dir != dirTemp {
			writeEmpty(w, http.StatusBadRequest)
			return
		}
	}
	sub := ""
	if s, ok := q["subfolder"]; ok {
		rel, inside := relPath(s[0], ".")
		if !inside {
			writeEmpty(w, http.StatusForbidden)
			return
		}
		sub = rel
	}
	filename = path.Base(filename)
	if strings.HasSuffix(q.Get("filename"), "/") {
		filename = "" // os.path.basename("a/") is ""
	}
	s := inst.s
	s.mu.Lock()
	f, ok := s.files.get(dir, sub, filename)
	s.mu.Unlock()
	if !ok {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	disposition := fmt.Sprintf("filename=%q", filename)

	if preview, ok := q["preview"]; ok {
		info := strings.Split(preview[0], ";")
		format := info[0]
		if (format != "webp" && format != "jpeg") || strings.Contains(q.Get("channel"), "a") {
			format = "webp"
		}
		quality := 90
		if n, err := strconv.Atoi(info[len(info)-1]); err == nil && n >= 0 {
			quality = n
		}
		img, _, err := image.Decode(bytes.NewReader(f.data))
		if err != nil {
			writeServerError(w)
			return
		}
		var buf bytes.Buffer
		ctype := "image/" + format
		if format == "jpeg" {
			_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: min(max(quality, 1), 100)})
		} else {
			// The standard library has no WebP encoder: answer the PNG, labelled as such.
			_ = png.Encode(&buf, img)
			ctype = "image/png"
		}
		w.Header().Set("Content-Disposition", disposition)
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(buf.Bytes())
		return
	}

	switch q.Get("channel") {
	case "rgb", "a":
		img, _, err := image.Decode(bytes.NewReader(f.data))
		if err != nil {
			writeServerError(w)
			return
		}
		b := img.Bounds()
		out := image.NewNRGBA(b)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				if q.Get("channel") == "rgb" {
					c.A = 255
				} else {
					c = color.NRGBA{A: c.A}
				}
				out.SetNRGBA(x, y, c)
			}
		}
		w.Header().Set("Content-Disposition", disposition)
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(encodePNG(out, png.DefaultCompression, nil))
		return
	}

	ctype := mime.TypeByExtension(path.Ext(filename))
	if i := strings.Index(ctype, ";"); i >= 0 {
		ctype = ctype[:i]
	}
	switch ctype {
	case "", "text/html", "text/html-sandboxed", "application/xhtml+xml", "text/javascript", "text/css":
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Disposition", disposition)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Etag", fmt.Sprintf("\"%x-%x\"", f.mod.UnixNano(), len(f.data)))
	http.ServeContent(w, r, filename, f.mod, bytes.NewReader(f.data))
}

// uploadImage is POST /upload/image (server.py image_upload).
func (inst *instance) uploadImage(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		if tooLarge(err) {
			writeTooLarge(w)
			return
		}
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	defer r.MultipartForm.RemoveAll()
	form := r.MultipartForm
	files := form.File["image"]
	if len(files) == 0 || files[0].Filename == "" {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	dir := dirInput
	if t, ok := form.Value["type"]; ok && len(t) > 0 {
		dir = t[0]
	}
	if dir != dirInput && dir != dirTemp && dir != dirOutput {
		writeServerError(w) // get_dir_by_type raises for any other type
		return
	}
	subfolder := ""
	if s := form.Value["subfolder"]; len(s) > 0 {
		subfolder = s[0]
	}
	filename := files[0].Filename
	sub, ok := relPath(subfolder, ".")
	if !ok {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	if _, ok := relPath(sub, filename); !ok {
		writeEmpty(w, http.StatusBadRequest)
		return
	}
	fh, err := files[0].Open()
	if err != nil {
		writeServerError(w)
		return
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(fh)
	_ = fh.Close()
	if err != nil {
		writeServerError(w)
		return
	}
	data := buf.Bytes()
	overwrite := ""
	if o := form.Value["overwrite"]; len(o) > 0 {
		overwrite = o[0]
	}

	s := inst.s
	s.mu.Lock()
	duplicate := false
	if overwrite != "true" && overwrite != "1" {
		base, ext := splitExt(filename)
		for i := 1; ; i++ {
			existing, found := s.files.get(dir, sub, filename)
			if !found {
				break
			}
			if bytes.Equal(existing.data, data) {
				duplicate = true // same content: keep the name, write nothing
				break
			}
			filename = fmt.Sprintf("%s (%d)%s", base, i, ext)
		}
	}
	if !duplicate {
		s.files.put(dir, sub, filename, data)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, newObject("name", filename, "subfolder", subfolder, "type", dir))
}

// splitExt is os.path.splitext: leading dots do not start an extension.
func splitExt(name string) (string, string) {
	trimmed := strings.TrimLeft(name, ".")
	i := strings.LastIndex(trimmed, ".")
	if i < 0 {
		return name, ""
	}
	i += len(name) - len(trimmed)
	return name[:i], name[i:]
}

// encodePNG writes img and adds tEXt chunks after IHDR, as PIL does for PngInfo.add_text.
func encodePNG(img image.Image, level png.CompressionLevel, texts [][2]string) []byte {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: level}
	if err := enc.Encode(&buf, img); err != nil {
		panic(fmt.Sprintf("comfyuitest: encoding PNG: %v", err))
	}
	if len(texts) == 0 {
		return buf.Bytes()
	}
	data := buf.Bytes()
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, IHDR length, type, data, CRC
	var out bytes.Buffer
	out.Write(data[:ihdrEnd])
	for _, t := range texts {
		body := append([]byte(t[0]+"\x00"), t[1]...)
		var hdr [8]byte
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(body)))
		copy(hdr[4:], "tEXt")
		out.Write(hdr[:])
		out.Write(body)
		crc := crc32.NewIEEE()
		crc.Write(hdr[4:])
		crc.Write(body)
		_ = binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	out.Write(data[ihdrEnd:])
	return out.Bytes()
}

// examplePNG stands in for the example.png that ComfyUI ships in its input folder.
func examplePNG() []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x * 4), G: uint8(y * 4), B: 128, A: 255})
		}
	}
	return encodePNG(img, png.DefaultCompression, nil)
}

// modelInputs maps loader inputs to the model folder ComfyUI lists in their
// combo (folder_paths.get_filename_list).
var modelInputs = map[string]string{
	"CheckpointLoaderSimple.ckpt_name":    "checkpoints",
	"CheckpointLoader.ckpt_name":          "checkpoints",
	"ImageOnlyCheckpointLoader.ckpt_name": "checkpoints",
	"LoraLoader.lora_name":                "loras",
	"LoraLoaderModelOnly.lora_name":       "loras",
	"VAELoader.vae_name":                  "vae",
	"UNETLoader.unet_name":                "diffusion_models",
	"CLIPLoader.clip_name":                "text_encoders",
	"ControlNetLoader.control_net_name":   "controlnet",
	"UpscaleModelLoader.model_name":       "upscale_models",
}

// modelOptions returns the combo options of a loader input, and whether the
// input lists a model folder at all.
func (fs *fileStore) modelOptions(class, input string) ([]any, bool) {
	folder, ok := modelInputs[class+"."+input]
	if !ok {
		return nil, false
	}
	names := fs.models[folder]
	opts := make([]any, len(names))
	for i, n := range names {
		opts[i] = n
	}
	return opts, true
}
