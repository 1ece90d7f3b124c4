package comfyuitest

import (
	_ "embed"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Recorded bodies of static routes (see data/).
var (
	//go:embed data/system_stats.json
	systemStatsJSON []byte
	//go:embed data/models.json
	modelsJSON []byte
	//go:embed data/index.html
	indexHTML []byte
)

// staticData parses the recorded bodies once; they are read-only afterwards.
var staticData = sync.OnceValue(func() struct{ systemStats, models any } {
	stats, err1 := decodeJSON(systemStatsJSON)
	models, err2 := decodeJSON(modelsJSON)
	if err := errors.Join(err1, err2); err != nil {
		panic("comfyuitest: embedded data: " + err.Error())
	}
	return struct{ systemStats, models any }{stats, models}
})

type handlerFunc func(w http.ResponseWriter, r *http.Request, params []string)

// route dispatches a request that passed the middlewares. Every route also answers under
// /api, except the web root and /internal, as in server.py.
func (inst *instance) route(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.EscapedPath()
	api := false
	if rest, ok := strings.CutPrefix(raw, "/api/"); ok {
		raw, api = "/"+rest, true
	} else if raw == "/api" {
		raw, api = "/", true
	}
	var segs []string
	for _, s := range strings.Split(strings.TrimPrefix(raw, "/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil {
			writeText(w, http.StatusNotFound, "404: Not Found")
			return
		}
		segs = append(segs, u)
	}
	if raw == "/" {
		segs = nil
	}

	methods, params := inst.lookup(segs, api)
	if methods == nil {
		writeText(w, http.StatusNotFound, "404: Not Found")
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	h, ok := methods[method]
	if !ok {
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ","))
		writeText(w, http.StatusMethodNotAllowed, "405: Method Not Allowed")
		return
	}
	h(w, r, params)
}

// lookup finds the handlers for a path, and the path parameters.
func (inst *instance) lookup(segs []string, api bool) (map[string]handlerFunc, []string) {
	get := func(f func(http.ResponseWriter, *http.Request)) map[string]handlerFunc {
		return map[string]handlerFunc{http.MethodGet: func(w http.ResponseWriter, r *http.Request, _ []string) { f(w, r) }}
	}
	jsonGet := func(v func() any) map[string]handlerFunc {
		return get(func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, v()) })
	}
	plain := func(f func(http.ResponseWriter, *http.Request)) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request, _ []string) { f(w, r) }
	}
	switch len(segs) {
	case 0:
		if api {
			return nil, nil
		}
		return get(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(indexHTML)
		}), nil
	case 1:
		switch segs[0] {
		case "ws":
			return get(inst.serveWS), nil
		case "prompt":
			return map[string]handlerFunc{
				http.MethodGet: plain(func(w http.ResponseWriter, _ *http.Request) {
					writeJSON(w, http.StatusOK, inst.locked(func() any { return inst.queueInfo() }))
				}),
				http.MethodPost: plain(inst.postPrompt),
			}, nil
		case "queue":
			return map[string]handlerFunc{http.MethodGet: plain(inst.getQueue), http.MethodPost: plain(inst.postQueue)}, nil
		case "history":
			return map[string]handlerFunc{http.MethodGet: plain(inst.getHistory), http.MethodPost: plain(inst.postHistory)}, nil
		case "interrupt":
			return map[string]handlerFunc{http.MethodPost: plain(inst.postInterrupt)}, nil
		case "free":
			return map[string]handlerFunc{http.MethodPost: plain(inst.postFree)}, nil
		case "object_info":
			return get(inst.getObjectInfo), nil
		case "system_stats":
			return jsonGet(func() any { return staticData().systemStats }), nil
		case "features":
			return jsonGet(func() any { return serverFeatures() }), nil
		case "embeddings", "extensions":
			return jsonGet(func() any { return []any{} }), nil
		case "models":
			return jsonGet(func() any { return staticData().models }), nil
		case "view":
			return get(inst.view), nil
		case "users":
			return jsonGet(func() any { return newObject("storage", "server", "migrated", false) }), nil
		case "settings":
			return map[string]handlerFunc{
				http.MethodGet:  plain(func(w http.ResponseWriter, r *http.Request) { inst.settings(w, r, "") }),
				http.MethodPost: plain(func(w http.ResponseWriter, r *http.Request) { inst.settings(w, r, "") }),
			}, nil
		case "i18n", "workflow_templates":
			return jsonGet(func() any { return newObject() }), nil
		}
	case 2:
		switch segs[0] {
		case "history":
			return map[string]handlerFunc{http.MethodGet: inst.getHistoryItem}, segs[1:]
		case "object_info":
			return map[string]handlerFunc{http.MethodGet: inst.getObjectInfoClass}, segs[1:]
		case "models":
			return map[string]handlerFunc{http.MethodGet: inst.getModelFolder}, segs[1:]
		case "settings":
			h := func(w http.ResponseWriter, r *http.Request, p []string) { inst.settings(w, r, p[0]) }
			return map[string]handlerFunc{http.MethodGet: h, http.MethodPost: h}, segs[1:]
		case "upload":
			if segs[1] == "image" {
				return map[string]handlerFunc{http.MethodPost: plain(inst.uploadImage)}, nil
			}
		}
	case 3:
		if segs[0] == "internal" && segs[1] == "files" && !api {
			return get(func(w http.ResponseWriter, r *http.Request) { inst.internalFiles(w, segs[2]) }), nil
		}
	}
	return nil, nil
}

// locked runs f under the server mutex.
func (inst *instance) locked(f func() any) any {
	inst.s.mu.Lock()
	defer inst.s.mu.Unlock()
	return f()
}

// readJSON reads a request body as server.py's `await request.json()`. ok is false when an
// answer has already been written (500 for malformed JSON, 413 for an oversized body).
func readJSON(w http.ResponseWriter, r *http.Request) (any, bool) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		if tooLarge(err) {
			writeTooLarge(w)
		} else {
			writeServerError(w)
		}
		return nil, false
	}
	v, err := decodeJSON(data)
	if err != nil {
		writeServerError(w)
		return nil, false
	}
	return v, true
}

// postPrompt is POST /prompt (server.py post_prompt).
func (inst *instance) postPrompt(w http.ResponseWriter, r *http.Request) {
	v, ok := readJSON(w, r)
	if !ok {
		return
	}
	var data *object
	switch x := v.(type) {
	case *object:
		data = x
	case []any:
		data = newObject() // `"prompt" in [...]` is false for the keys that matter
	default:
		writeServerError(w)
		return
	}

	s := inst.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst.dead() {
		writeEmpty(w, http.StatusServiceUnavailable)
		return
	}

	var number pyNum
	if n, ok := data.get("number"); ok {
		f, exc := pyFloatOf(n)
		if exc != nil {
			writeServerError(w)
			return
		}
		number = pyNum{f: f, isFloat: true}
	} else {
		n := inst.number
		if front, ok := data.get("front"); ok && pyTruthy(front) {
			n = -n
		}
		number = pyNum{f: float64(n)}
		inst.number++ // even for prompts that fail validation
	}

	pv, ok := data.get("prompt")
	if !ok {
		writeJSON(w, http.StatusBadRequest, newObject(
			"error", promptError("no_prompt", "No prompt provided", "No prompt provided"),
			"node_errors", newObject()))
		return
	}
	promptID := newUUID()
	if id, ok := data.get("prompt_id"); ok {
		promptID = pyStr(id)
	}
	var partial []any
	if p, ok := data.get("partial_execution_targets"); ok {
		if partial, ok = p.([]any); !ok {
			writeServerError(w)
			return
		}
	}
	prompt, isObj := pv.(*object)
	if !isObj {
		switch p := pv.(type) {
		case []any:
			if len(p) == 0 {
				prompt = newObject()
			}
		case string:
			if p == "" {
				prompt = newObject()
			}
		}
		if prompt == nil {
			writeServerError(w)
			return
		}
	}

	res := validatePrompt(s.cat, s.files, prompt, partial)
	if res.fatal {
		writeServerError(w)
		return
	}
	extra := newObject()
	if e, ok := data.get("extra_data"); ok {
		if extra, ok = e.(*object); !ok {
			writeServerError(w)
			return
		}
	}
	if cid, ok := data.get("client_id"); ok {
		extra.set("client_id", cid)
	}
	if res.err != nil {
		writeJSON(w, http.StatusBadRequest, newObject("error", res.err, "node_errors", res.nodeErrors))
		return
	}
	inst.put(&queueItem{number: number, promptID: promptID, prompt: prompt, extraData: extra, outputs: res.good})
	writeJSON(w, http.StatusOK, newObject("prompt_id", promptID, "number", number.json(), "node_errors", res.nodeErrors))
}

// getQueue is GET /queue: the running item, and the pending heap as it is stored.
func (inst *instance) getQueue(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, inst.locked(func() any {
		running, pending := []any{}, []any{}
		if inst.running != nil {
			running = append(running, inst.running.json())
		}
		for _, it := range inst.queue {
			pending = append(pending, it.json())
		}
		return newObject("queue_running", running, "queue_pending", pending)
	}))
}

// postQueue is POST /queue: {"clear": true} and/or {"delete": [ids]} on pending items.
func (inst *instance) postQueue(w http.ResponseWriter, r *http.Request) {
	v, ok := readJSON(w, r)
	if !ok {
		return
	}
	data, ok := v.(*object)
	if !ok {
		if _, isList := v.([]any); !isList {
			writeServerError(w)
			return
		}
		data = newObject()
	}
	ids, ok := idList(data, "delete")
	if !ok {
		writeServerError(w)
		return
	}
	s := inst.s
	s.mu.Lock()
	if !inst.dead() {
		if c, ok := data.get("clear"); ok && pyTruthy(c) {
			inst.wipeQueue()
		}
		for _, id := range ids {
			inst.deleteQueueItem(id)
		}
	}
	s.mu.Unlock()
	writeEmpty(w, http.StatusOK)
}

// idList reads a list of prompt ids; ids that are not strings can never match one.
func idList(data *object, key string) ([]string, bool) {
	v, ok := data.get(key)
	if !ok {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	var ids []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			ids = append(ids, s)
		}
	}
	return ids, true
}

// getHistory is GET /history with max_items and offset.
func (inst *instance) getHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var maxItems *int
	offset := -1
	if v, ok := q["max_items"]; ok {
		n, ok := pyAtoi(v[0])
		if !ok {
			writeServerError(w)
			return
		}
		maxItems = &n
	}
	if v, ok := q["offset"]; ok {
		n, ok := pyAtoi(v[0])
		if !ok {
			writeServerError(w)
			return
		}
		offset = n
	}
	writeJSON(w, http.StatusOK, inst.locked(func() any { return inst.historySlice(maxItems, offset) }))
}

// pyAtoi is int() of a query value.
func pyAtoi(s string) (int, bool) {
	digits, ok := parsePyInt(s)
	if !ok || len(digits) > 15 {
		return 0, false
	}
	n := 0
	neg := strings.HasPrefix(digits, "-")
	for _, c := range strings.TrimPrefix(digits, "-") {
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func (inst *instance) getHistoryItem(w http.ResponseWriter, _ *http.Request, params []string) {
	writeJSON(w, http.StatusOK, inst.locked(func() any {
		if e, ok := inst.history.get(params[0]); ok {
			return newObject(params[0], e)
		}
		return newObject()
	}))
}

// postHistory is POST /history: {"clear": true} and/or {"delete": [ids]}.
func (inst *instance) postHistory(w http.ResponseWriter, r *http.Request) {
	v, ok := readJSON(w, r)
	if !ok {
		return
	}
	data, ok := v.(*object)
	if !ok {
		if _, isList := v.([]any); !isList {
			writeServerError(w)
			return
		}
		data = newObject()
	}
	ids, ok := idList(data, "delete")
	if !ok {
		writeServerError(w)
		return
	}
	inst.locked(func() any {
		if c, ok := data.get("clear"); ok && pyTruthy(c) {
			inst.history = newObject()
		}
		for _, id := range ids {
			inst.history.del(id)
		}
		return nil
	})
	writeEmpty(w, http.StatusOK)
}

// postInterrupt is POST /interrupt: with {"prompt_id"}, only if that prompt is running;
// without, whatever runs. The flag is checked when the next node starts.
func (inst *instance) postInterrupt(w http.ResponseWriter, r *http.Request) {
	data := newObject()
	if body, err := io.ReadAll(r.Body); err == nil {
		if v, err := decodeJSON(body); err == nil {
			o, ok := v.(*object)
			if !ok {
				writeServerError(w) // json_data.get on a list
				return
			}
			data = o
		}
	}
	inst.locked(func() any {
		if id, ok := data.get("prompt_id"); ok && pyTruthy(id) {
			if sid, ok := id.(string); ok && inst.running != nil && inst.running.promptID == sid {
				inst.setInterrupt()
			}
			return nil
		}
		inst.setInterrupt()
		return nil
	})
	writeEmpty(w, http.StatusOK)
}

// setInterrupt is nodes.interrupt_processing(True). s.mu is held.
func (inst *instance) setInterrupt() {
	if !inst.interrupt {
		inst.interrupt = true
		close(inst.interruptC)
	}
}

// clearInterrupt is nodes.interrupt_processing(False). s.mu is held.
func (inst *instance) clearInterrupt() {
	if inst.interrupt {
		inst.interrupt = false
		inst.interruptC = make(chan struct{})
	}
}

// postFree is POST /free: free_memory empties the execution cache between prompts.
func (inst *instance) postFree(w http.ResponseWriter, r *http.Request) {
	v, ok := readJSON(w, r)
	if !ok {
		return
	}
	data, ok := v.(*object)
	if !ok {
		writeServerError(w)
		return
	}
	inst.locked(func() any {
		if f, ok := data.get("free_memory"); ok && pyTruthy(f) {
			inst.freeMemory = true
			inst.s.wakeWorkerLocked()
		}
		return nil
	})
	writeEmpty(w, http.StatusOK)
}

func (inst *instance) getObjectInfo(w http.ResponseWriter, _ *http.Request) {
	s := inst.s
	images := inst.locked(func() any { return s.files.inputImages() }).([]any)
	out := newObject()
	for _, name := range s.cat.info.keys {
		if c, ok := s.cat.classes[name]; ok {
			out.set(name, c.objectInfo(images, s.files))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (inst *instance) getObjectInfoClass(w http.ResponseWriter, _ *http.Request, params []string) {
	s := inst.s
	c, ok := s.cat.classes[params[0]]
	if !ok {
		writeJSON(w, http.StatusOK, newObject())
		return
	}
	images := inst.locked(func() any { return s.files.inputImages() }).([]any)
	writeJSON(w, http.StatusOK, newObject(params[0], c.objectInfo(images, s.files)))
}

// getModelFolder is GET /models/{folder}: the files given with WithModels, sorted.
func (inst *instance) getModelFolder(w http.ResponseWriter, _ *http.Request, params []string) {
	for _, f := range staticData().models.([]any) {
		if f == params[0] {
			names := []any{}
			for _, n := range inst.s.files.models[params[0]] {
				names = append(names, n)
			}
			writeJSON(w, http.StatusOK, names)
			return
		}
	}
	writeEmpty(w, http.StatusNotFound)
}

// settings serves GET/POST /settings and /settings/{id}. Settings are user files on disk in
// ComfyUI, so they survive a restart.
func (inst *instance) settings(w http.ResponseWriter, r *http.Request, id string) {
	s := inst.s
	if r.Method == http.MethodGet {
		writeJSON(w, http.StatusOK, inst.locked(func() any {
			all := s.settingsLocked()
			if id == "" {
				return all
			}
			v, _ := all.get(id)
			return v
		}))
		return
	}
	v, ok := readJSON(w, r)
	if !ok {
		return
	}
	if id == "" {
		if _, isObj := v.(*object); !isObj {
			writeServerError(w)
			return
		}
	}
	inst.locked(func() any {
		all := s.settingsLocked()
		if id != "" {
			all.set(id, v)
			return nil
		}
		for _, k := range v.(*object).keys {
			all.set(k, v.(*object).vals[k])
		}
		return nil
	})
	writeEmpty(w, http.StatusOK)
}

// internalFiles is GET /internal/files/{type}: top-level file names, newest first.
func (inst *instance) internalFiles(w http.ResponseWriter, dir string) {
	if dir != dirOutput && dir != dirInput && dir != dirTemp {
		writeJSON(w, http.StatusBadRequest, newObject("error", "Invalid directory type"))
		return
	}
	s := inst.s
	writeJSON(w, http.StatusOK, inst.locked(func() any {
		names := s.files.names(dir, "")
		sort.SliceStable(names, func(i, j int) bool {
			return s.files.files[dir+"/"+names[i]].mod.After(s.files.files[dir+"/"+names[j]].mod)
		})
		return toAnySlice(names)
	}))
}

// foreignOrigin is ComfyUI's origin-only middleware: a browser request from another origin
// to a loopback server is refused, to stop web pages from queueing prompts.
func foreignOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if r.Host == "" || len(r.Header.Values("Origin")) == 0 {
		return false
	}
	host := strings.ToLower(r.Host)
	hostName, hostPort := splitHostPort(host)
	if !isLoopback(hostName) {
		return false
	}
	o, err := url.Parse(origin)
	if err != nil {
		return false
	}
	originDomain := strings.ToLower(o.Host)
	originName, originPort := splitHostPort(originDomain)
	if originPort == "" {
		host = hostName
	}
	if hostPort == "" {
		originDomain = originName
	}
	return host != "" && originDomain != "" && host != originDomain
}

func splitHostPort(hp string) (string, string) {
	if h, p, err := net.SplitHostPort(hp); err == nil {
		return h, p
	}
	return strings.Trim(hp, "[]"), ""
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(encodeJSON(v))
}

// writeEmpty answers a bare status, as aiohttp's web.Response(status=...) does.
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
}

func writeText(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

// writeServerError is aiohttp's answer to an exception a handler did not catch.
func writeServerError(w http.ResponseWriter) {
	writeText(w, http.StatusInternalServerError, "500 Internal Server Error\n\nServer got itself in trouble")
}

func writeTooLarge(w http.ResponseWriter) {
	writeText(w, http.StatusRequestEntityTooLarge, "413: Request Entity Too Large")
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
