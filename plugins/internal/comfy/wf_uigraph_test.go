package comfy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// The fixtures below are written by hand in the shape ComfyUI's editor
// saves (Workflow → Save): "version": 0.4 graphs with [id, origin_id,
// origin_slot, target_id, target_slot, type] links, and the newer
// "version": 1 shape with link objects and widget entries in inputs.

// wfTxt2img is the editor's default text-to-image graph.
const wfTxt2img = `{
  "last_node_id": 9, "last_link_id": 9,
  "nodes": [
    {"id": 7, "type": "CLIPTextEncode", "pos": [413, 389], "size": [425.3, 180.6], "flags": {}, "order": 3, "mode": 0,
     "inputs": [{"name": "clip", "type": "CLIP", "link": 5}],
     "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING", "links": [6], "slot_index": 0}],
     "properties": {"Node name for S&R": "CLIPTextEncode"}, "widgets_values": ["text, watermark"]},
    {"id": 6, "type": "CLIPTextEncode", "pos": [415, 186], "size": [422.8, 164.3], "flags": {}, "order": 2, "mode": 0,
     "inputs": [{"name": "clip", "type": "CLIP", "link": 3}],
     "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING", "links": [4], "slot_index": 0}],
     "properties": {"Node name for S&R": "CLIPTextEncode"},
     "widgets_values": ["beautiful scenery nature glass bottle landscape, purple galaxy bottle"]},
    {"id": 5, "type": "EmptyLatentImage", "pos": [473, 609], "size": [315, 106], "flags": {}, "order": 0, "mode": 0,
     "inputs": [], "outputs": [{"name": "LATENT", "type": "LATENT", "links": [2], "slot_index": 0}],
     "properties": {"Node name for S&R": "EmptyLatentImage"}, "widgets_values": [512, 512, 1]},
    {"id": 3, "type": "KSampler", "pos": [863, 186], "size": [315, 262], "flags": {}, "order": 4, "mode": 0,
     "inputs": [{"name": "model", "type": "MODEL", "link": 1},
                {"name": "positive", "type": "CONDITIONING", "link": 4},
                {"name": "negative", "type": "CONDITIONING", "link": 6},
                {"name": "latent_image", "type": "LATENT", "link": 2}],
     "outputs": [{"name": "LATENT", "type": "LATENT", "links": [7], "slot_index": 0}],
     "properties": {"Node name for S&R": "KSampler"},
     "widgets_values": [156680208700286, "randomize", 20, 8, "euler", "normal", 1]},
    {"id": 8, "type": "VAEDecode", "pos": [1209, 188], "size": [210, 46], "flags": {}, "order": 5, "mode": 0,
     "inputs": [{"name": "samples", "type": "LATENT", "link": 7}, {"name": "vae", "type": "VAE", "link": 8}],
     "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [9], "slot_index": 0}],
     "properties": {"Node name for S&R": "VAEDecode"}},
    {"id": 9, "type": "SaveImage", "pos": [1451, 189], "size": [210, 58], "flags": {}, "order": 6, "mode": 0,
     "inputs": [{"name": "images", "type": "IMAGE", "link": 9}], "outputs": [], "properties": {},
     "widgets_values": ["ComfyUI"]},
    {"id": 4, "type": "CheckpointLoaderSimple", "pos": [26, 474], "size": [315, 98], "flags": {}, "order": 1, "mode": 0,
     "inputs": [],
     "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1], "slot_index": 0},
                 {"name": "CLIP", "type": "CLIP", "links": [3, 5], "slot_index": 1},
                 {"name": "VAE", "type": "VAE", "links": [8], "slot_index": 2}],
     "properties": {"Node name for S&R": "CheckpointLoaderSimple"},
     "widgets_values": ["v1-5-pruned-emaonly.safetensors"]}
  ],
  "links": [[1, 4, 0, 3, 0, "MODEL"], [2, 5, 0, 3, 3, "LATENT"], [3, 4, 1, 6, 0, "CLIP"], [4, 6, 0, 3, 1, "CONDITIONING"],
            [5, 4, 1, 7, 0, "CLIP"], [6, 7, 0, 3, 2, "CONDITIONING"], [7, 3, 0, 8, 0, "LATENT"], [8, 4, 2, 8, 1, "VAE"],
            [9, 8, 0, 9, 0, "IMAGE"]],
  "groups": [{"title": "Prompt", "bounding": [400, 150, 450, 450], "color": "#3f789e", "font_size": 24}],
  "config": {}, "extra": {"ds": {"scale": 1, "offset": [0, 0]}}, "version": 0.4
}`

const wfTxt2imgAPI = `{
  "3": {"class_type": "KSampler", "inputs": {"seed": 156680208700286, "steps": 20, "cfg": 8, "sampler_name": "euler",
        "scheduler": "normal", "denoise": 1, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
  "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}},
  "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
  "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "beautiful scenery nature glass bottle landscape, purple galaxy bottle", "clip": ["4", 1]}},
  "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["4", 1]}},
  "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
  "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}}
}`

// wfTxt2imgV1 is the same graph as a newer editor saves it: link objects,
// every widget listed in inputs, the seed converted to an input and fed by
// a PrimitiveNode, a Reroute before SaveImage, a note and a markdown note.
const wfTxt2imgV1 = `{
  "id": "0b6c1f1e-5d7a-4c53-9d0e-2b1f3c4d5e6f", "revision": 0, "last_node_id": 13, "last_link_id": 12,
  "nodes": [
    {"id": 3, "type": "KSampler", "pos": [863, 186], "size": [315, 262], "flags": {}, "order": 5, "mode": 0,
     "inputs": [{"name": "model", "type": "MODEL", "link": 1},
                {"name": "positive", "type": "CONDITIONING", "link": 4},
                {"name": "negative", "type": "CONDITIONING", "link": 6},
                {"name": "latent_image", "type": "LATENT", "link": 2},
                {"localized_name": "seed", "name": "seed", "type": "INT", "widget": {"name": "seed"}, "link": 10},
                {"localized_name": "steps", "name": "steps", "type": "INT", "widget": {"name": "steps"}, "link": null}],
     "outputs": [{"name": "LATENT", "type": "LATENT", "links": [7]}],
     "properties": {"Node name for S&R": "KSampler", "cnr_id": "comfy-core", "ver": "0.3.64"},
     "widgets_values": [1, "fixed", 20, 8, "euler", "normal", 1]},
    {"id": 10, "type": "PrimitiveNode", "pos": [500, 50], "size": [210, 82], "flags": {}, "order": 0, "mode": 0,
     "inputs": [], "outputs": [{"name": "INT", "type": "INT", "widget": {"name": "seed"}, "links": [10]}],
     "title": "seed", "properties": {"Run widget replace on values": false}, "widgets_values": [18446744073709551615, "fixed"]},
    {"id": 4, "type": "CheckpointLoaderSimple", "pos": [26, 474], "size": [315, 98], "flags": {}, "order": 1, "mode": 0,
     "inputs": [{"name": "ckpt_name", "type": "COMBO", "widget": {"name": "ckpt_name"}, "link": null}],
     "outputs": [{"name": "MODEL", "type": "MODEL", "links": [1]}, {"name": "CLIP", "type": "CLIP", "links": [3, 5]},
                 {"name": "VAE", "type": "VAE", "links": [8]}],
     "properties": {}, "widgets_values": ["sd_xl_base_1.0.safetensors"]},
    {"id": 5, "type": "EmptyLatentImage", "pos": [473, 609], "size": [315, 106], "flags": {}, "order": 2, "mode": 0,
     "inputs": [], "outputs": [{"name": "LATENT", "type": "LATENT", "links": [2]}], "properties": {},
     "widgets_values": [1024, 1024, 4]},
    {"id": 6, "type": "CLIPTextEncode", "pos": [415, 186], "size": [422, 164], "flags": {}, "order": 3, "mode": 0,
     "inputs": [{"name": "clip", "type": "CLIP", "link": 3}], "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING", "links": [4]}],
     "title": "Positive", "properties": {}, "widgets_values": ["a red fox in the snow"]},
    {"id": 7, "type": "CLIPTextEncode", "pos": [413, 389], "size": [425, 180], "flags": {}, "order": 4, "mode": 0,
     "inputs": [{"name": "clip", "type": "CLIP", "link": 5}], "outputs": [{"name": "CONDITIONING", "type": "CONDITIONING", "links": [6]}],
     "properties": {}, "widgets_values": [""]},
    {"id": 8, "type": "VAEDecode", "pos": [1209, 188], "size": [210, 46], "flags": {}, "order": 6, "mode": 0,
     "inputs": [{"name": "samples", "type": "LATENT", "link": 7}, {"name": "vae", "type": "VAE", "link": 8}],
     "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [11]}], "properties": {}},
    {"id": 11, "type": "Reroute", "pos": [1300, 300], "size": [75, 26], "flags": {}, "order": 7, "mode": 0,
     "inputs": [{"name": "", "type": "*", "link": 11}], "outputs": [{"name": "", "type": "IMAGE", "links": [12]}],
     "properties": {"showOutputText": false, "horizontal": false}},
    {"id": 9, "type": "SaveImage", "pos": [1451, 189], "size": [210, 58], "flags": {}, "order": 8, "mode": 0,
     "inputs": [{"name": "images", "type": "IMAGE", "link": 12},
                {"name": "filename_prefix", "type": "STRING", "widget": {"name": "filename_prefix"}, "link": null}],
     "outputs": [], "properties": {}, "widgets_values": ["fox"]},
    {"id": 12, "type": "Note", "pos": [0, 0], "size": [200, 60], "flags": {}, "order": 9, "mode": 0,
     "inputs": [], "outputs": [], "properties": {}, "widgets_values": ["Remember to pick a model"], "color": "#432", "bgcolor": "#653"},
    {"id": 13, "type": "MarkdownNote", "pos": [0, 100], "size": [200, 60], "flags": {}, "order": 10, "mode": 0,
     "inputs": [], "outputs": [], "properties": {}, "widgets_values": ["# Fox"]}
  ],
  "links": [
    {"id": 1, "origin_id": 4, "origin_slot": 0, "target_id": 3, "target_slot": 0, "type": "MODEL"},
    {"id": 2, "origin_id": 5, "origin_slot": 0, "target_id": 3, "target_slot": 3, "type": "LATENT"},
    {"id": 3, "origin_id": 4, "origin_slot": 1, "target_id": 6, "target_slot": 0, "type": "CLIP"},
    {"id": 4, "origin_id": 6, "origin_slot": 0, "target_id": 3, "target_slot": 1, "type": "CONDITIONING"},
    {"id": 5, "origin_id": 4, "origin_slot": 1, "target_id": 7, "target_slot": 0, "type": "CLIP"},
    {"id": 6, "origin_id": 7, "origin_slot": 0, "target_id": 3, "target_slot": 2, "type": "CONDITIONING"},
    {"id": 7, "origin_id": 3, "origin_slot": 0, "target_id": 8, "target_slot": 0, "type": "LATENT"},
    {"id": 8, "origin_id": 4, "origin_slot": 2, "target_id": 8, "target_slot": 1, "type": "VAE"},
    {"id": 10, "origin_id": 10, "origin_slot": 0, "target_id": 3, "target_slot": 4, "type": "INT"},
    {"id": 11, "origin_id": 8, "origin_slot": 0, "target_id": 11, "target_slot": 0, "type": "*"},
    {"id": 12, "origin_id": 11, "origin_slot": 0, "target_id": 9, "target_slot": 0, "type": "IMAGE"}
  ],
  "groups": [], "definitions": {"subgraphs": []}, "config": {}, "extra": {"frontendVersion": "1.28.7"}, "version": 1
}`

const wfTxt2imgV1API = `{
  "3": {"class_type": "KSampler", "inputs": {"seed": 18446744073709551615, "steps": 20, "cfg": 8, "sampler_name": "euler",
        "scheduler": "normal", "denoise": 1, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
  "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
  "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 1024, "height": 1024, "batch_size": 4}},
  "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox in the snow", "clip": ["4", 1]}, "_meta": {"title": "Positive"}},
  "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "", "clip": ["4", 1]}},
  "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
  "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "fox", "images": ["8", 0]}}
}`

// wfImageChain is EmptyImage(1) → ImageBlur(2) → ImageInvert(3) → SaveImage(4),
// plus PreviewImage(5) of the blur, with node modes to fill in.
func wfImageChain(blurMode, invertMode, previewMode int) string {
	return `{"last_node_id": 5, "last_link_id": 4, "nodes": [
    {"id": 1, "type": "EmptyImage", "pos": [0, 0], "size": [315, 130], "flags": {}, "order": 0, "mode": 0, "inputs": [],
     "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1], "slot_index": 0}], "properties": {}, "widgets_values": [64, 32, 1, 16711680]},
    {"id": 2, "type": "ImageBlur", "pos": [350, 0], "size": [315, 82], "flags": {}, "order": 1, "mode": ` + strconv.Itoa(blurMode) + `,
     "inputs": [{"name": "image", "type": "IMAGE", "link": 1}],
     "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2, 4], "slot_index": 0}], "properties": {}, "widgets_values": [3, 1.5]},
    {"id": 3, "type": "ImageInvert", "pos": [700, 0], "size": [210, 26], "flags": {}, "order": 2, "mode": ` + strconv.Itoa(invertMode) + `,
     "inputs": [{"name": "image", "type": "IMAGE", "link": 2}],
     "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [3], "slot_index": 0}], "properties": {}},
    {"id": 4, "type": "SaveImage", "pos": [950, 0], "size": [210, 58], "flags": {}, "order": 3, "mode": 0,
     "inputs": [{"name": "images", "type": "IMAGE", "link": 3}], "outputs": [], "properties": {}, "widgets_values": ["chain"]},
    {"id": 5, "type": "PreviewImage", "pos": [700, 200], "size": [210, 26], "flags": {}, "order": 4, "mode": ` + strconv.Itoa(previewMode) + `,
     "inputs": [{"name": "images", "type": "IMAGE", "link": 4}], "outputs": [], "properties": {}}
  ], "links": [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"], [3, 3, 0, 4, 0, "IMAGE"], [4, 2, 0, 5, 0, "IMAGE"]],
  "groups": [], "config": {}, "extra": {}, "version": 0.4}`
}

// wfGraph builds a graph from node and link JSON.
func wfGraph(nodes, links string) string {
	return `{"last_node_id": 99, "last_link_id": 99, "nodes": [` + nodes + `], "links": [` + links + `], "groups": [], "config": {}, "extra": {}, "version": 0.4}`
}

func TestConvertUIWorkflow(t *testing.T) {
	tests := []struct {
		name      string
		graph     string
		want      string   // the API workflow, as JSON
		wantNotes []string // substrings, in order
	}{
		{name: "default txt2img graph", graph: wfTxt2img, want: wfTxt2imgAPI},
		{name: "newer editor: link objects, primitive seed, reroute, notes", graph: wfTxt2imgV1, want: wfTxt2imgV1API},
		{
			name:  "image chain, all nodes active",
			graph: wfImageChain(0, 0, 0),
			want: `{"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 32, "batch_size": 1, "color": 16711680}},
			        "2": {"class_type": "ImageBlur", "inputs": {"image": ["1", 0], "blur_radius": 3, "sigma": 1.5}},
			        "3": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
			        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "chain"}},
			        "5": {"class_type": "PreviewImage", "inputs": {"images": ["2", 0]}}}`,
		},
		{
			name:  "bypassed blur is wired through to both consumers",
			graph: wfImageChain(4, 0, 0),
			want: `{"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 32, "batch_size": 1, "color": 16711680}},
			        "3": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}},
			        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "chain"}},
			        "5": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}`,
			wantNotes: []string{"bypassed node 2 (ImageBlur) wired through to input image of node 3", "bypassed node 2 (ImageBlur) wired through to input images of node 5"},
		},
		{
			name:  "two bypassed nodes in a row",
			graph: wfImageChain(4, 4, 2),
			want: `{"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 32, "batch_size": 1, "color": 16711680}},
			        "4": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "chain"}}}`,
			wantNotes: []string{"muted node 5 (PreviewImage) left out", "bypassed node 3 (ImageInvert)", "bypassed node 2 (ImageBlur)"},
		},
		{
			name:  "muted source: the input is left out, as the editor does",
			graph: wfImageChain(2, 0, 0),
			want: `{"1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 32, "batch_size": 1, "color": 16711680}},
			        "3": {"class_type": "ImageInvert", "inputs": {}},
			        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "chain"}},
			        "5": {"class_type": "PreviewImage", "inputs": {}}}`,
			wantNotes: []string{"muted node 2 (ImageBlur) left out", "input image of node 3 left out: its source, node 2 (ImageBlur), is muted", "input images of node 5 left out"},
		},
		{
			name: "LoadImage and LoadImageMask with the upload button's value",
			graph: wfGraph(`
			  {"id": 1, "type": "LoadImage", "mode": 0, "inputs": [], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}, {"name": "MASK", "type": "MASK", "links": null}],
			   "widgets_values": ["photo.png", "image"]},
			  {"id": 2, "type": "LoadImageMask", "mode": 0, "inputs": [], "outputs": [{"name": "MASK", "type": "MASK", "links": [2]}],
			   "widgets_values": ["mask.png", "red", "image"]},
			  {"id": 3, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 1}], "widgets_values": ["x"]},
			  {"id": 4, "type": "MaskToImage", "mode": 0, "inputs": [{"name": "mask", "type": "MASK", "link": 2}], "outputs": []}`,
				`[1, 1, 0, 3, 0, "IMAGE"], [2, 2, 0, 4, 0, "MASK"]`),
			want: `{"1": {"class_type": "LoadImage", "inputs": {"image": "photo.png"}},
			        "2": {"class_type": "LoadImageMask", "inputs": {"image": "mask.png", "channel": "red"}},
			        "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}},
			        "4": {"class_type": "MaskToImage", "inputs": {"mask": ["2", 0]}}}`,
		},
		{
			name: "newer editors save no upload value; seeds keep every digit",
			graph: wfGraph(`
			  {"id": 1, "type": "LoadImage", "mode": 0, "inputs": [], "outputs": [], "widgets_values": ["photo.png"]},
			  {"id": 2, "type": "RandomNoise", "mode": 0, "inputs": [], "outputs": [], "widgets_values": [18446744073709551614, "increment"]}`, ``),
			want: `{"1": {"class_type": "LoadImage", "inputs": {"image": "photo.png"}},
			        "2": {"class_type": "RandomNoise", "inputs": {"noise_seed": 18446744073709551614}}}`,
		},
		{
			name: "widgets_values saved by name",
			graph: wfGraph(`{"id": 1, "type": "EmptyImage", "mode": 0, "inputs": [], "outputs": [],
			   "widgets_values": {"width": 8, "height": 9, "batch_size": 1, "color": 0, "preview": "ignored"}}`, ``),
			want: `{"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 9, "batch_size": 1, "color": 0}}}`,
		},
		{
			name: "forceInput: newer editors keep no widget value",
			graph: wfGraph(`{"id": 1, "type": "SaveLoRANode", "mode": 0, "inputs": [{"name": "lora", "type": "LORA_MODEL", "link": null},
			   {"name": "steps", "type": "INT", "link": null}], "outputs": [], "widgets_values": ["loras/mine"]}`, ``),
			want: `{"1": {"class_type": "SaveLoRANode", "inputs": {"prefix": "loras/mine"}}}`,
		},
		{
			name: "forceInput: older editors kept a hidden widget, named in inputs",
			graph: wfGraph(`{"id": 1, "type": "SaveLoRANode", "mode": 0, "inputs": [{"name": "lora", "type": "LORA_MODEL", "link": null},
			   {"name": "steps", "type": "INT", "link": null, "widget": {"name": "steps"}}], "outputs": [], "widgets_values": ["loras/mine", 500]}`, ``),
			want: `{"1": {"class_type": "SaveLoRANode", "inputs": {"prefix": "loras/mine", "steps": 500}}}`,
		},
		{
			name: "a converted widget's link wins over its saved value",
			graph: wfGraph(`
			  {"id": 1, "type": "PrimitiveNode", "mode": 0, "inputs": [], "outputs": [{"name": "STRING", "type": "STRING", "links": [1, 2]}], "widgets_values": ["shared"]},
			  {"id": 2, "type": "EmptyImage", "mode": 0, "inputs": [], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [3, 4]}], "widgets_values": [8, 8, 1, 0]},
			  {"id": 3, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 3},
			     {"name": "filename_prefix", "type": "STRING", "widget": {"name": "filename_prefix"}, "link": 1}], "widgets_values": ["stale"]},
			  {"id": 4, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 4},
			     {"name": "filename_prefix", "type": "STRING", "widget": {"name": "filename_prefix"}, "link": 2}], "widgets_values": ["stale"]}`,
				`[1, 1, 0, 3, 1, "STRING"], [2, 1, 0, 4, 1, "STRING"], [3, 2, 0, 3, 0, "IMAGE"], [4, 2, 0, 4, 0, "IMAGE"]`),
			want: `{"2": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}},
			        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "shared"}},
			        "4": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "shared"}}}`,
		},
		{
			name: "dangling reroute: the input is left out",
			graph: wfGraph(`
			  {"id": 1, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": null}], "outputs": [{"name": "", "type": "IMAGE", "links": [1]}]},
			  {"id": 2, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 1}], "widgets_values": ["x"]}`,
				`[1, 1, 0, 2, 0, "IMAGE"]`),
			want:      `{"2": {"class_type": "SaveImage", "inputs": {"filename_prefix": "x"}}}`,
			wantNotes: []string{"input images of node 2 left out: reroute 1 has no input"},
		},
		{
			name: "null entries in nodes and links are skipped; fewer values leave inputs unset",
			graph: wfGraph(`null, {"id": 1, "type": "EmptyImage", "mode": 0, "inputs": [], "outputs": [], "widgets_values": [8, null]}`,
				`null`),
			want: `{"1": {"class_type": "EmptyImage", "inputs": {"width": 8}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			conv, err := ConvertUIWorkflow(wfDecode(t, tt.graph), wfLookup(t, &calls))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := wfCanon(t, conv.Prompt), wfCanon(t, wfDecode(t, tt.want)); got != want {
				t.Errorf("prompt =\n%s\nwant\n%s", got, want)
			}
			if calls != 1 {
				t.Errorf("object_info looked up %d times, want once", calls)
			}
			notes := strings.Join(conv.Notes, "\n")
			at := 0
			for _, want := range tt.wantNotes {
				i := strings.Index(notes[at:], want)
				if i < 0 {
					t.Errorf("notes lack %q (in order):\n%s", want, notes)
					break
				}
				at += i + len(want)
			}
			if len(tt.wantNotes) == 0 && len(conv.Notes) > 0 {
				t.Errorf("unexpected notes: %s", notes)
			}
		})
	}
}

func TestConvertUIWorkflowRefuses(t *testing.T) {
	saveImage := `{"id": 9, "type": "SaveImage", "mode": 0, "inputs": [{"name": "images", "type": "IMAGE", "link": 1}], "widgets_values": ["x"]}`
	tests := []struct {
		name     string
		graph    string
		wantNode string // "" when no node is to blame
		want     []string
	}{
		{
			name: "subgraph",
			graph: `{"nodes": [{"id": 5, "type": "a1b2c3d4-0000-4000-8000-000000000001", "mode": 0, "inputs": [], "outputs": []}], "links": [],
			  "definitions": {"subgraphs": [{"id": "a1b2c3d4-0000-4000-8000-000000000001", "name": "Upscaler", "nodes": [], "links": []}]}, "version": 1}`,
			wantNode: "5", want: []string{"subgraph Upscaler", "subgraphs cannot be expanded"},
		},
		{
			name:     "group node",
			graph:    wfGraph(`{"id": 6, "type": "workflow>Face fix", "mode": 0, "inputs": [], "outputs": []}`, ``),
			wantNode: "6", want: []string{"workflow>Face fix", "group nodes"},
		},
		{
			name:     "class the server lacks",
			graph:    wfGraph(`{"id": 7, "type": "SetNode", "mode": 0, "inputs": [], "outputs": [], "widgets_values": ["x"]}`, ``),
			wantNode: "7", want: []string{"no node class SetNode", "not installed"},
		},
		{
			name: "widget values that do not line up",
			graph: wfGraph(`{"id": 3, "type": "KSampler", "mode": 0, "inputs": [], "outputs": [],
			   "widgets_values": [5, "randomize", "twenty", 8, "euler", "normal", 1]}`, ``),
			wantNode: "3", want: []string{`widget value 3 ("twenty") cannot be input steps (INT)`, "definition of KSampler"},
		},
		{
			name: "bypassed node without an input of the wanted type",
			graph: wfGraph(`{"id": 1, "type": "EmptyImage", "mode": 4, "inputs": [], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}], "widgets_values": [8, 8, 1, 0]}, `+saveImage,
				`[1, 1, 0, 9, 0, "IMAGE"]`),
			wantNode: "1", want: []string{"bypassed but has no IMAGE input to pass through to node 9's input images"},
		},
		{
			name: "bypassed node whose matching input is not connected",
			graph: wfGraph(`{"id": 2, "type": "ImageInvert", "mode": 4, "inputs": [{"name": "image", "type": "IMAGE", "link": null}],
			   "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}]}, `+saveImage, `[1, 2, 0, 9, 0, "IMAGE"]`),
			wantNode: "2", want: []string{"IMAGE input image, which it would pass through, is not connected"},
		},
		{
			name:     "link missing from the links list",
			graph:    wfGraph(saveImage, ``),
			wantNode: "9", want: []string{"input images uses link 1, which the workflow's links list lacks"},
		},
		{
			name:     "link from a node the workflow lacks",
			graph:    wfGraph(saveImage, `[1, 42, 0, 9, 0, "IMAGE"]`),
			wantNode: "9", want: []string{"linked to node 42, which the workflow lacks"},
		},
		{
			name: "reroutes in a loop",
			graph: wfGraph(`{"id": 1, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 2}], "outputs": []},
			  {"id": 2, "type": "Reroute", "mode": 0, "inputs": [{"name": "", "type": "*", "link": 3}], "outputs": []}, `+saveImage,
				`[1, 1, 0, 9, 0, "IMAGE"], [2, 2, 0, 1, 0, "*"], [3, 1, 0, 2, 0, "*"]`),
			wantNode: "9", want: []string{"loop of reroutes"},
		},
		{
			name:     "duplicate node ids",
			graph:    wfGraph(saveImage+`, `+saveImage, `[1, 9, 0, 9, 0, "IMAGE"]`),
			wantNode: "9", want: []string{"two nodes have this id"},
		},
		{
			name:  "malformed link",
			graph: wfGraph(saveImage, `[1, 2]`),
			want:  []string{"link [1,2] is not [id, origin_id"},
		},
		{
			name:  "node without an id",
			graph: wfGraph(`{"type": "SaveImage", "mode": 0}`, ``),
			want:  []string{"nodes[0] (SaveImage) has no id"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			_, err := ConvertUIWorkflow(wfDecode(t, tt.graph), wfLookup(t, &calls))
			var ce *ConversionError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConversionError", err)
			}
			if ce.NodeID != tt.wantNode {
				t.Errorf("blamed node %q, want %q", ce.NodeID, tt.wantNode)
			}
			msg := err.Error()
			for _, want := range append(tt.want, "Workflow → Export (API)") {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q:\n%s", want, msg)
				}
			}
			if tt.wantNode != "" && !strings.Contains(msg, "node "+tt.wantNode+" (") {
				t.Errorf("error does not name node %s: %s", tt.wantNode, msg)
			}
		})
	}
}

// A lookup failure (ComfyUI unreachable) is returned as is, not dressed up
// as a conversion problem.
func TestConvertUIWorkflowLookupError(t *testing.T) {
	boom := errors.New("ComfyUI unreachable at http://127.0.0.1:1/object_info/SaveImage")
	_, err := ConvertUIWorkflow(wfDecode(t, wfImageChain(0, 0, 0)), func([]string) (map[string]*ClassInputs, error) { return nil, boom })
	if err != boom {
		t.Fatalf("err = %v, want the lookup's error", err)
	}
}

func TestIsUIWorkflow(t *testing.T) {
	tests := []struct {
		json string
		want bool
	}{
		{wfTxt2img, true},
		{wfTxt2imgAPI, false},
		{`{"nodes": {"class_type": "SaveImage"}}`, false},
		{`{}`, false},
	}
	for _, tt := range tests {
		if got := IsUIWorkflow(wfDecode(t, tt.json)); got != tt.want {
			t.Errorf("IsUIWorkflow(%.40s…) = %v, want %v", tt.json, got, tt.want)
		}
	}
}

// wfDecode parses JSON the way the SDK hands arguments to a handler:
// numbers as json.Number.
func wfDecode(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("fixture: %v\n%s", err, s)
	}
	return m
}

// wfCanon renders a value as canonical JSON (sorted keys, exact numbers).
func wfCanon(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		t.Fatal(err)
	}
	b, _ = json.MarshalIndent(x, "", " ")
	return string(b)
}
