package comfyuitest

import (
	"slices"
	"time"
)

// Option configures a Server at start.
type Option func(*options)

type options struct {
	nodeDuration time.Duration
	historyDelay time.Duration
	serviceTime  time.Duration
	authHeader   string
	authValue    string
	inputFiles   map[string][]byte
	models       map[string][]string // folder → file names
}

// defaultNodeDuration keeps a prompt's nodes observably sequential (each takes a little
// time, as real nodes do) while a whole test suite still runs in well under a second.
const defaultNodeDuration = 2 * time.Millisecond

func defaultOptions() options {
	return options{nodeDuration: defaultNodeDuration, inputFiles: map[string][]byte{}, models: map[string][]string{}}
}

// WithNodeDuration sets the simulated time each executed node takes (default 2ms). Nodes
// served from the cache take no time. A node's work is not interruptible: an interrupt takes
// effect when the next node starts, as with ComfyUI nodes that report no progress. Use
// HoldJob or HoldNode, not long durations, to keep a job running while a test acts.
func WithNodeDuration(d time.Duration) Option {
	return func(o *options) { o.nodeDuration = max(d, 0) }
}

// WithHistoryDelay inserts a delay between a job leaving /queue and its history entry being
// written (default 0). During that window the job is in neither /queue nor /history, which is
// the race a client must survive when it polls instead of waiting for the WebSocket's
// `executing {node: null}`. The worker takes the next job only after the delay.
func WithHistoryDelay(d time.Duration) Option {
	return func(o *options) { o.historyDelay = max(d, 0) }
}

// WithServiceTime makes the emulator answer HTTP requests at ComfyUI's
// speed rather than Go's: every request (the WebSocket excepted) keeps
// the server busy for d, on the CPU as ComfyUI's Python is, and requests
// are served one at a time, as ComfyUI's single asyncio event loop serves
// them. (Sleeping instead would be both cheaper than ComfyUI, leaving its
// core to the client, and far less precise: sub-millisecond sleeps
// overshoot by several times on a busy machine.) The default, 0, answers
// as fast as the Go handlers can, several times faster than ComfyUI, so
// that a client measured against it pays for its own overhead at full
// weight. A Go program asking a real ComfyUI 0.3.64 for /queue then
// /history/{id} measured 0.58 ms, about 0.29 ms per request.
func WithServiceTime(d time.Duration) Option {
	return func(o *options) { o.serviceTime = max(d, 0) }
}

// WithAuth emulates an authenticating reverse proxy in front of ComfyUI: every HTTP request,
// the WebSocket upgrade included, must carry header with exactly value, or gets 401 with an
// empty body. ComfyUI itself has no authentication.
func WithAuth(header, value string) Option {
	return func(o *options) { o.authHeader, o.authValue = header, value }
}

// WithInputFile puts a file into the input folder before the server starts, as if it had
// been uploaded: images placed there appear in LoadImage's combo and can be loaded. The
// folder always holds example.png, as a fresh ComfyUI install does.
func WithInputFile(name string, data []byte) Option {
	return func(o *options) { o.inputFiles[name] = append([]byte(nil), data...) }
}

// WithModels pretends model files exist in a model folder ("checkpoints",
// "loras", "vae", ...): GET /models/{folder} lists them, the loader nodes'
// combos in /object_info offer them, validation accepts them, and loader
// nodes "load" them (their outputs are placeholders). Samplers then emit
// `progress` messages, one per step, as ComfyUI's do.
func WithModels(folder string, names ...string) Option {
	return func(o *options) {
		o.models[folder] = append(o.models[folder], names...)
		slices.Sort(o.models[folder])
	}
}
