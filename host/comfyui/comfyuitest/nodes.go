package comfyuitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // LoadImage accepts the formats PIL commonly reads
	_ "image/jpeg"
	"image/png"
	"path"
	"strconv"
	"strings"
	"time"
)

// This file emulates the work of nodes. Values are small stand-ins for ComfyUI's tensors:
// images are lazily computed Go images (a 6×512×512 batch costs nothing until saved), so
// SaveImage and PreviewImage write real PNGs whose pixels follow the graph (EmptyImage's
// colour, ImageInvert, LoadImage's pixels). Nodes without an emulation pass through an input
// of the same type, or produce a placeholder value.

// imageTensor stands for an IMAGE tensor of shape [batch, height, width, channels].
type imageTensor struct {
	frames   []image.Image
	channels int
}

func (t *imageTensor) String() string {
	b := t.frames[0].Bounds()
	return fmt.Sprintf("tensor(<IMAGE shape=[%d, %d, %d, %d]>)", len(t.frames), b.Dy(), b.Dx(), t.channels)
}

// maskTensor stands for a MASK tensor [batch, height, width]; frames hold the values ×255.
type maskTensor struct {
	frames []image.Image
}

func (t *maskTensor) String() string {
	b := t.frames[0].Bounds()
	return fmt.Sprintf("tensor(<MASK shape=[%d, %d, %d]>)", len(t.frames), b.Dy(), b.Dx())
}

// latentValue stands for a LATENT {"samples": tensor [batch, 4, height/8, width/8]}.
type latentValue struct{ batch, height, width int }

func (l *latentValue) String() string {
	return fmt.Sprintf("{'samples': tensor(<LATENT shape=[%d, 4, %d, %d]>)}", l.batch, l.height, l.width)
}

// opaqueValue stands for anything else a node returns (models, conditioning, ...).
type opaqueValue struct{ typ, node string }

func (o *opaqueValue) String() string {
	return fmt.Sprintf("<%s object from node %s>", o.typ, o.node)
}

// solidImage is a uniform image that needs no pixel memory.
type solidImage struct {
	rect image.Rectangle
	c    color.Color
}

func (s *solidImage) ColorModel() color.Model { return color.NRGBAModel }
func (s *solidImage) Bounds() image.Rectangle { return s.rect }
func (s *solidImage) At(int, int) color.Color { return s.c }
func (s *solidImage) Opaque() bool            { _, _, _, a := s.c.RGBA(); return a == 0xffff }

// mappedImage applies f to each pixel of src when read.
type mappedImage struct {
	src  image.Image
	rect image.Rectangle
	at   func(x, y int) color.Color
}

func (m *mappedImage) ColorModel() color.Model { return color.NRGBAModel }
func (m *mappedImage) Bounds() image.Rectangle { return m.rect }
func (m *mappedImage) At(x, y int) color.Color { return m.at(x, y) }
func mapPixels(src image.Image, f func(color.NRGBA) color.Color) image.Image {
	return &mappedImage{src: src, rect: src.Bounds(), at: func(x, y int) color.Color {
		return f(color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA))
	}}
}

// nodeCall is one call of a node's function, with one value per input.
type nodeCall struct {
	r     *run
	id    string
	class *nodeClass
	args  map[string]any
}

// nodeImpl returns one value per output slot and the node's UI data (nil for none).
type nodeImpl func(c *nodeCall) ([]any, *object, *pyExc)

// nodeImpls are the emulated node classes: those the recordings use, and a few neighbours.
var nodeImpls = map[string]nodeImpl{
	"EmptyImage":       emptyImage,
	"EmptyLatentImage": emptyLatentImage,
	"LoadImage":        loadImage,
	"LoadImageMask":    loadImageMask,
	"ImageInvert":      imageInvert,
	"ImageBlur":        passImage,
	"ImageSharpen":     passImage,
	"ImageScale":       imageScale,
	"ImageToMask":      imageToMask,
	"MaskToImage":      maskToImage,
	"SaveImage":        saveImage,
	"PreviewImage":     previewImage,
}

// runNode is _async_map_node_over_list plus get_output_from_returns: the function is called
// once per element of the longest input list, and the results and UI lists are merged.
func (r *run) runNode(nid string, class *nodeClass, args *object) ([][]any, *object, *pyExc) {
	impl := nodeImpls[class.name]
	if impl == nil {
		impl = genericNode
	}
	calls := 1
	if args.len() > 0 {
		calls = 0
		for _, k := range args.keys {
			calls = max(calls, len(args.vals[k].([]any)))
		}
	}
	var results [][]any
	var uis []*object
	for i := range calls {
		c := &nodeCall{r: r, id: nid, class: class, args: map[string]any{}}
		for _, k := range args.keys {
			list := args.vals[k].([]any)
			if len(list) > 0 {
				c.args[k] = list[min(i, len(list)-1)]
			}
		}
		res, ui, exc := impl(c)
		if exc != nil {
			if exc.tb == nil {
				exc.tb = nodeTraceback(class.name)
			}
			exc.msg += "\n" // ComfyUI appends the (empty) tips
			return nil, nil, exc
		}
		results = append(results, res)
		if ui != nil {
			uis = append(uis, ui)
		}
	}
	var outputs [][]any
	if len(results) > 0 {
		outputs = make([][]any, len(results[0]))
		for slot := range outputs {
			for _, res := range results {
				outputs[slot] = append(outputs[slot], res[slot])
			}
		}
	}
	if len(uis) == 0 {
		return outputs, nil, nil
	}
	ui := newObject()
	for _, k := range uis[0].keys {
		var all []any
		for _, u := range uis {
			list, _ := u.vals[k].([]any)
			all = append(all, list...)
		}
		ui.set(k, all)
	}
	return outputs, ui, nil
}

// nodeTraceback is the traceback of an exception raised inside a node's function: ComfyUI's
// four execution frames (exactly as in ws_15) and the node's own frame.
func nodeTraceback(class string) []string {
	tb := []string{
		pyFrame("execution.py", 496, "execute",
			"output_data, output_ui, has_subgraph, has_pending_tasks = await get_output_data(prompt_id, unique_id, obj, input_data_all, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)",
			"await"),
		pyFrame("execution.py", 315, "get_output_data",
			"return_values = await _async_map_node_over_list(prompt_id, unique_id, obj, input_data_all, obj.FUNCTION, allow_interrupt=True, execution_block_cb=execution_block_cb, pre_execute_cb=pre_execute_cb, hidden_inputs=hidden_inputs)",
			"await"),
		pyFrame("execution.py", 289, "_async_map_node_over_list", "await process_inputs(input_dict, i)", ""),
		pyFrame("execution.py", 277, "process_inputs", "result = f(**inputs)", "f("),
	}
	switch class {
	case "ImageToMask":
		tb = append(tb, "  File \"/opt/ComfyUI/comfy_extras/nodes_mask.py\", line 137, in image_to_mask\n"+
			"    mask = image[:, :, :, channels.index(channel)]\n"+
			"           ~~~~~^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n")
	default:
		tb = append(tb, pyFrame("nodes.py", 1, strings.ToLower(class), "raise", ""))
	}
	return tb
}

// pyFrame formats a traceback frame as Python 3.11 does, with carets under the code from
// underline to the end of the line.
func pyFrame(file string, line int, fn, code, underline string) string {
	s := fmt.Sprintf("  File \"/opt/ComfyUI/%s\", line %d, in %s\n    %s\n", file, line, fn, code)
	if underline != "" {
		i := strings.Index(code, underline)
		s += strings.Repeat(" ", 4+i) + strings.Repeat("^", len(code)-i) + "\n"
	}
	return s
}

func (c *nodeCall) int(name string) int {
	switch v := c.args[name].(type) {
	case json.Number:
		n, err := strconv.Atoi(string(v))
		if err != nil {
			f, _ := v.Float64()
			n = int(f)
		}
		return n
	case float64:
		return int(v)
	}
	return 0
}

func (c *nodeCall) str(name string) string {
	s, _ := c.args[name].(string)
	return s
}

func (c *nodeCall) image(name string) (*imageTensor, *pyExc) {
	t, ok := c.args[name].(*imageTensor)
	if !ok {
		return nil, &pyExc{typ: "AttributeError", msg: fmt.Sprintf("'%s' object has no attribute 'shape'", pyTypeName(c.args[name]))}
	}
	return t, nil
}

func (c *nodeCall) mask(name string) (*maskTensor, *pyExc) {
	t, ok := c.args[name].(*maskTensor)
	if !ok {
		return nil, &pyExc{typ: "AttributeError", msg: fmt.Sprintf("'%s' object has no attribute 'reshape'", pyTypeName(c.args[name]))}
	}
	return t, nil
}

// emptyImage is EmptyImage: a batch of one colour (0xRRGGBB).
func emptyImage(c *nodeCall) ([]any, *object, *pyExc) {
	w, h, n, rgb := c.int("width"), c.int("height"), c.int("batch_size"), c.int("color")
	px := &solidImage{rect: image.Rect(0, 0, w, h), c: color.NRGBA{R: uint8(rgb >> 16), G: uint8(rgb >> 8), B: uint8(rgb), A: 255}}
	frames := make([]image.Image, max(n, 0))
	for i := range frames {
		frames[i] = px
	}
	return []any{&imageTensor{frames: frames, channels: 3}}, nil, nil
}

// emptyLatentImage is EmptyLatentImage.
func emptyLatentImage(c *nodeCall) ([]any, *object, *pyExc) {
	return []any{&latentValue{batch: c.int("batch_size"), height: c.int("height") / 8, width: c.int("width") / 8}}, nil, nil
}

// openInput reads a file named as LoadImage names it (input folder unless annotated).
func (c *nodeCall) openInput(name string) (image.Image, *pyExc) {
	n, dir := annotatedFilepath(name)
	if dir == "" {
		dir = dirInput
	}
	shown := fmt.Sprintf("/opt/ComfyUI/%s/%s", dir, n)
	f, ok := c.r.inst.s.files.get(dir, "", n)
	if !ok {
		return nil, &pyExc{typ: "FileNotFoundError", msg: "[Errno 2] No such file or directory: " + reprString(shown)}
	}
	img, _, err := image.Decode(bytes.NewReader(f.data))
	if err != nil {
		return nil, &pyExc{typ: "PIL.UnidentifiedImageError", msg: "cannot identify image file " + reprString(shown)}
	}
	return img, nil
}

// hasAlpha reports whether PIL would see an alpha band (or a transparent palette).
func hasAlpha(img image.Image) bool {
	switch m := img.(type) {
	case *image.NRGBA, *image.NRGBA64, *image.Alpha, *image.Alpha16:
		return true
	case *image.Paletted:
		for _, c := range m.Palette {
			if _, _, _, a := c.RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}

// loadImage is LoadImage: the image as RGB, and the mask 1 − alpha (64×64 zeros without
// alpha).
func loadImage(c *nodeCall) ([]any, *object, *pyExc) {
	img, exc := c.openInput(c.str("image"))
	if exc != nil {
		return nil, nil, exc
	}
	rgb := mapPixels(img, func(p color.NRGBA) color.Color { p.A = 255; return p })
	var mask image.Image = &solidImage{rect: image.Rect(0, 0, 64, 64), c: color.Gray{}}
	if hasAlpha(img) {
		mask = mapPixels(img, func(p color.NRGBA) color.Color { return color.Gray{Y: 255 - p.A} })
	}
	return []any{&imageTensor{frames: []image.Image{rgb}, channels: 3}, &maskTensor{frames: []image.Image{mask}}}, nil, nil
}

// loadImageMask is LoadImageMask: one channel of the image as a mask (alpha inverted).
func loadImageMask(c *nodeCall) ([]any, *object, *pyExc) {
	img, exc := c.openInput(c.str("image"))
	if exc != nil {
		return nil, nil, exc
	}
	ch := c.str("channel")
	var mask image.Image = &solidImage{rect: image.Rect(0, 0, 64, 64), c: color.Gray{}}
	if ch != "alpha" || hasAlpha(img) {
		mask = mapPixels(img, func(p color.NRGBA) color.Color {
			switch ch {
			case "red":
				return color.Gray{Y: p.R}
			case "green":
				return color.Gray{Y: p.G}
			case "blue":
				return color.Gray{Y: p.B}
			}
			return color.Gray{Y: 255 - p.A}
		})
	}
	return []any{&maskTensor{frames: []image.Image{mask}}}, nil, nil
}

// imageInvert is ImageInvert: 1 − x.
func imageInvert(c *nodeCall) ([]any, *object, *pyExc) {
	t, exc := c.image("image")
	if exc != nil {
		return nil, nil, exc
	}
	out := &imageTensor{channels: t.channels}
	for _, f := range t.frames {
		out.frames = append(out.frames, mapPixels(f, func(p color.NRGBA) color.Color {
			return color.NRGBA{R: 255 - p.R, G: 255 - p.G, B: 255 - p.B, A: p.A}
		}))
	}
	return []any{out}, nil, nil
}

// passImage returns the image unchanged (ImageBlur, ImageSharpen: shape is what matters).
func passImage(c *nodeCall) ([]any, *object, *pyExc) {
	t, exc := c.image("image")
	if exc != nil {
		return nil, nil, exc
	}
	return []any{t}, nil, nil
}

// imageScale is ImageScale with nearest-neighbour sampling; 0 keeps the aspect ratio.
func imageScale(c *nodeCall) ([]any, *object, *pyExc) {
	t, exc := c.image("image")
	if exc != nil {
		return nil, nil, exc
	}
	b := t.frames[0].Bounds()
	w, h := c.int("width"), c.int("height")
	switch {
	case w == 0 && h == 0:
		return []any{t}, nil, nil
	case w == 0:
		w = max(1, b.Dx()*h/max(b.Dy(), 1))
	case h == 0:
		h = max(1, b.Dy()*w/max(b.Dx(), 1))
	}
	out := &imageTensor{channels: t.channels}
	for _, f := range t.frames {
		src := f
		out.frames = append(out.frames, &mappedImage{src: src, rect: image.Rect(0, 0, w, h), at: func(x, y int) color.Color {
			return src.At(b.Min.X+x*b.Dx()/w, b.Min.Y+y*b.Dy()/h)
		}})
	}
	return []any{out}, nil, nil
}

// imageToMask is ImageToMask. An RGB image has no alpha channel, so "alpha" raises the
// IndexError that ws_15 recorded.
func imageToMask(c *nodeCall) ([]any, *object, *pyExc) {
	t, exc := c.image("image")
	if exc != nil {
		return nil, nil, exc
	}
	idx := map[string]int{"red": 0, "green": 1, "blue": 2, "alpha": 3}[c.str("channel")]
	if idx >= t.channels {
		return nil, nil, &pyExc{typ: "IndexError", msg: fmt.Sprintf("index %d is out of bounds for dimension 3 with size %d", idx, t.channels)}
	}
	out := &maskTensor{}
	for _, f := range t.frames {
		out.frames = append(out.frames, mapPixels(f, func(p color.NRGBA) color.Color {
			return color.Gray{Y: [4]uint8{p.R, p.G, p.B, p.A}[idx]}
		}))
	}
	return []any{out}, nil, nil
}

// maskToImage is MaskToImage: the mask as a grey RGB image.
func maskToImage(c *nodeCall) ([]any, *object, *pyExc) {
	m, exc := c.mask("mask")
	if exc != nil {
		return nil, nil, exc
	}
	out := &imageTensor{channels: 3}
	for _, f := range m.frames {
		src := f
		out.frames = append(out.frames, &mappedImage{src: src, rect: src.Bounds(), at: func(x, y int) color.Color {
			g := color.GrayModel.Convert(src.At(x, y)).(color.Gray).Y
			return color.NRGBA{R: g, G: g, B: g, A: 255}
		}})
	}
	return []any{out}, nil, nil
}

// genericNode emulates any other class: each output passes through an input of the same
// type, or is a placeholder (a black 64×64 image, an empty mask, an opaque value).
func genericNode(c *nodeCall) ([]any, *object, *pyExc) {
	out := make([]any, len(c.class.outputs))
	for i, t := range c.class.outputs {
		typ, _ := t.(string)
		out[i] = c.passThrough(typ)
	}
	return out, nil, nil
}

func (c *nodeCall) passThrough(typ string) any {
	for _, in := range c.class.inputs {
		v := c.args[in.name]
		switch x := v.(type) {
		case *imageTensor:
			if typ == "IMAGE" {
				return x
			}
		case *maskTensor:
			if typ == "MASK" {
				return x
			}
		case *latentValue:
			if typ == "LATENT" {
				return x
			}
		case *opaqueValue:
			if x.typ == typ {
				return x
			}
		}
	}
	switch typ {
	case "IMAGE":
		return &imageTensor{frames: []image.Image{&solidImage{rect: image.Rect(0, 0, 64, 64), c: color.NRGBA{A: 255}}}, channels: 3}
	case "MASK":
		return &maskTensor{frames: []image.Image{&solidImage{rect: image.Rect(0, 0, 64, 64), c: color.Gray{}}}}
	case "LATENT":
		return &latentValue{batch: 1, height: 8, width: 8}
	}
	return &opaqueValue{typ: typ, node: c.id}
}

// saveImage is SaveImage: PNGs in the output folder, named <prefix>_<counter>_.png.
func saveImage(c *nodeCall) ([]any, *object, *pyExc) {
	return c.save(dirOutput, c.str("filename_prefix"), "", png.DefaultCompression)
}

// tempLetters is the alphabet of PreviewImage's random prefix, as written in nodes.py (with
// its duplicate "p" and missing "w").
const tempLetters = "abcdefghijklmnopqrstupvxyz"

// previewImage is PreviewImage: PNGs in the temp folder, under a random prefix that the node
// object keeps while its node stays in the prompts.
func previewImage(c *nodeCall) ([]any, *object, *pyExc) {
	key := c.id + "\x00" + c.class.name
	obj := c.r.inst.objects[key]
	if obj == nil {
		var b strings.Builder
		for range 5 {
			b.WriteByte(tempLetters[c.r.inst.s.rand.IntN(len(tempLetters))])
		}
		obj = &nodeObject{tempPrefix: "_temp_" + b.String()}
		c.r.inst.objects[key] = obj
	}
	return c.save(dirTemp, "ComfyUI", obj.tempPrefix, png.BestSpeed)
}

// save is SaveImage.save_images with folder_paths.get_save_image_path.
func (c *nodeCall) save(dir, prefix, appendix string, level png.CompressionLevel) ([]any, *object, *pyExc) {
	t, exc := c.image("images")
	if exc != nil {
		return nil, nil, exc
	}
	if _, ok := c.args["filename_prefix"]; !ok && dir == dirOutput {
		prefix = "ComfyUI"
	}
	prefix += appendix
	b := t.frames[0].Bounds()
	if strings.Contains(prefix, "%") {
		now := time.Now()
		prefix = strings.NewReplacer(
			"%width%", strconv.Itoa(b.Dx()), "%height%", strconv.Itoa(b.Dy()),
			"%year%", strconv.Itoa(now.Year()), "%month%", fmt.Sprintf("%02d", int(now.Month())),
			"%day%", fmt.Sprintf("%02d", now.Day()), "%hour%", fmt.Sprintf("%02d", now.Hour()),
			"%minute%", fmt.Sprintf("%02d", now.Minute()), "%second%", fmt.Sprintf("%02d", now.Second()),
		).Replace(prefix)
	}
	norm := path.Clean(prefix)
	subfolder, filename := path.Dir(norm), path.Base(norm)
	if subfolder == "." {
		subfolder = ""
	}
	if strings.HasPrefix(norm, "/") || norm == ".." || strings.HasPrefix(norm, "../") {
		return nil, nil, &pyExc{typ: "Exception", msg: "**** ERROR: Saving image outside the output folder is not allowed." +
			"\n full_output_folder: /opt/ComfyUI/" + dir + "/" + subfolder +
			"\n         output_dir: /opt/ComfyUI/" + dir +
			"\n         commonpath: /opt/ComfyUI",
			tb: append(nodeTraceback("")[:4], pyFrame("folder_paths.py", 463, "get_save_image_path", "raise Exception(err)", ""))}
	}

	files := c.r.inst.s.files
	counter := 1
	prefixLen := len(path.Base(prefix))
	for _, name := range files.names(dir, subfolder) {
		if len(name) <= prefixLen+1 {
			continue
		}
		head := name[:prefixLen+1]
		digits, err := strconv.Atoi(strings.SplitN(name[prefixLen+1:], "_", 2)[0])
		if err != nil {
			digits = 0
		}
		if head[:len(head)-1] == filename && head[len(head)-1] == '_' && digits+1 > counter {
			counter = digits + 1
		}
	}

	var texts [][2]string
	if p, ok := c.args["prompt"]; ok && p != nil {
		texts = append(texts, [2]string{"prompt", string(encodeJSON(p))})
	}
	if extra, ok := c.args["extra_pnginfo"].(*object); ok {
		for _, k := range extra.keys {
			texts = append(texts, [2]string{k, string(encodeJSON(extra.vals[k]))})
		}
	}
	typ := dirOutput
	if dir == dirTemp {
		typ = "temp"
	}
	var results []any
	for i, frame := range t.frames {
		name := fmt.Sprintf("%s_%05d_.png", strings.ReplaceAll(filename, "%batch_num%", strconv.Itoa(i)), counter)
		files.put(dir, subfolder, name, encodePNG(frame, level, texts))
		results = append(results, newObject("filename", name, "subfolder", subfolder, "type", typ))
		counter++
	}
	if results == nil {
		results = []any{}
	}
	return []any{}, newObject("images", results), nil
}
