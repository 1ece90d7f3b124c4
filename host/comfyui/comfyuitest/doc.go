// Package comfyuitest runs a ComfyUI 0.3.64 emulator for tests, in the spirit of
// net/http/httptest: one line starts it on a loopback port, and its URL goes wherever a real
// server's would.
//
//	srv := comfyuitest.NewServer(t)
//	client, _ := comfyui.New(comfyui.Config{BaseURL: srv.URL})
//
// # What it emulates
//
// The emulator was written against recordings of a real ComfyUI 0.3.64 (shared/comfyui/
// recordings) and its golden tests replay them: for the same requests it gives the same
// status codes and the same bytes (Python's JSON separators, key order, 1 versus 1.0, empty
// bodies), and the same WebSocket messages in the same order to the same clients.
//
//   - Every route at /X and /api/X: /prompt, /queue, /history, /history/{id}, /interrupt,
//     /free, /object_info, /object_info/{class}, /system_stats, /features, /embeddings,
//     /extensions, /models, /models/{folder}, /view, /upload/image, /ws, plus /users,
//     /settings, /i18n, /workflow_templates and /internal/files/{type}. The origin check,
//     404 and 405 pages, and the 500 page for malformed JSON.
//   - POST /prompt with the number counter (it advances for invalid prompts too; front
//     negates it; an explicit number becomes a float) and validation against the recorded
//     node catalog (376 classes), with ComfyUI's error objects, node_errors,
//     dependent_outputs and details, and its in-place coercion of widget values.
//   - A worker that runs one prompt at a time in queue order, executes nodes in ComfyUI's
//     order, caches results between prompts as the classic cache does, and writes history
//     entries shaped like the real ones. Interrupts take effect when the next node starts.
//   - The WebSocket protocol: the first status frame with sid, feature_flags negotiation,
//     routing by client id (a prompt without client_id sends no execution_* message, and
//     progress_state to everyone), the reconnect frame, and the quirk that closing an old
//     socket unregisters a newer one with the same client id.
//   - Images: EmptyImage, LoadImage, ImageInvert, ImageToMask, MaskToImage, ImageScale and
//     others compute real pixels; SaveImage and PreviewImage write PNGs (with the prompt and
//     workflow text chunks) named as ComfyUI names them, served by /view. Uploads appear in
//     LoadImage's list.
//
// # What it does not emulate
//
// There are no models: loader nodes fail validation as on a server without model files, and
// nodes without an emulation pass an input of the same type through (or produce a
// placeholder), so they never emit `progress` messages or binary preview frames. WebP
// previews are answered as PNG. User data (/userdata), /upload/mask, the model manager and
// logs routes, multi-user mode, and the CORS middleware are absent.
//
// # Controlling time and failure
//
// Tests steer the emulator instead of sleeping: PauseWorker keeps jobs pending, HoldJob and
// HoldNode stop a running job at a node until ReleaseJob (WaitHeld tells when it got
// there), FailJob makes a node raise, SetFault damages answers, Down and Up restart the
// server on the same address, and WaitJob waits for a history entry. WithHistoryDelay opens
// the window in which a finished job is in neither /queue nor /history.
package comfyuitest
