// Package comfy holds the ComfyUI 0.3.64 response shapes that several bundled
// plugins read — queue items, history entries, output files, validation
// errors — decoded tolerantly (unknown keys and message types are ignored,
// numbers may be ints or floats) as ../shared/comfyui/API.md advises.
//
// It is internal to the bundled plugins: third-party plugins define what they
// need themselves.
package comfy
