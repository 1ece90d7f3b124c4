package comfyuitest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// This file is ComfyUI's prompt worker (main.py prompt_worker) and executor
// (execution.PromptExecutor, comfy_execution.graph.ExecutionList): one job at a time, nodes
// in the order ExecutionList picks them, the classic cache, and every WebSocket message in
// the order and to the recipients ComfyUI uses.

// cacheEntry is a node's cached result, keyed by its input signature.
type cacheEntry struct {
	outputs [][]any // per output slot, the list of values
	ui      *object // {"meta": ..., "output": ...}, nil when the node showed nothing
}

// nodeObject is the per-node instance ComfyUI keeps between prompts (keyed by node id and
// class); PreviewImage keeps its random file prefix there.
type nodeObject struct {
	tempPrefix string
}

// runWorker takes jobs until the process stops.
func (inst *instance) runWorker() {
	defer close(inst.workerDone)
	for {
		item := inst.next()
		if item == nil {
			return
		}
		inst.execute(item)
	}
}

// next waits for a job the worker may take, and marks it running.
func (inst *instance) next() *queueItem {
	s := inst.s
	for {
		s.mu.Lock()
		if inst.dead() {
			s.mu.Unlock()
			return nil
		}
		if inst.freeMemory { // /free applies between prompts
			inst.freeMemory = false
			clear(inst.cache)
			clear(inst.objects)
		}
		if !s.paused && len(inst.queue) > 0 {
			var item *queueItem
			item, inst.queue = heapPop(inst.queue)
			running := *item
			running.prompt = deepCopy(item.prompt).(*object)
			running.extraData = deepCopy(item.extraData).(*object)
			inst.running = &running
			s.jobs[item.promptID] = jobRunning
			s.notifyLocked()
			inst.queueUpdated()
			s.mu.Unlock()
			return &running
		}
		s.mu.Unlock()
		select {
		case <-inst.wake:
		case <-inst.ctx.Done():
			return nil
		}
	}
}

// run is the execution of one prompt.
type run struct {
	inst     *instance
	item     *queueItem
	prompt   *object
	to       recipient
	messages []any // history status messages: [event, data] pairs

	sigs     map[string]string // input signature per node; "" for never cached
	forced   map[string]bool   // nodes that must run (FailJob)
	outputs  map[string][][]any
	uiOnly   map[string]*object // UI of nodes that cannot be cached, for this history entry
	executed []string
	staged   []string
	progress []string // node ids in the order the progress registry saw them
	states   map[string]*nodeProgress
	ranAny   bool

	fail     *ExecutionError
	failUsed bool
}

type nodeProgress struct {
	state      string
	value, max any
}

// nodeFailure ends a prompt: an interrupt, or an exception raised by a node.
type nodeFailure struct {
	interrupted   bool
	nodeID        string
	exc           pyExc
	currentInputs *object
}

// execute runs one job and writes its history. s.mu is taken here and released only while
// the job waits (node work, holds, the history delay).
func (inst *instance) execute(item *queueItem) {
	s := inst.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst.dead() {
		return
	}
	r := &run{inst: inst, item: item, prompt: item.prompt, outputs: map[string][][]any{},
		uiOnly: map[string]*object{}, states: map[string]*nodeProgress{}}
	failKey := item.promptID
	if _, ok := s.fails[failKey]; !ok {
		failKey = "" // FailJob("", e): the next prompt to run, whatever its id
	}
	if e, ok := s.fails[failKey]; ok {
		r.fail = &e
	}
	failure, err := r.execute()
	if err != nil {
		return // stopped by Down
	}

	outputs, meta := newObject(), newObject()
	for _, id := range r.historyOrder() {
		if e := inst.cache[r.sigs[id]]; r.sigs[id] != "" && e != nil && e.ui != nil {
			outputs.set(id, e.ui.vals["output"])
			meta.set(id, e.ui.vals["meta"])
		} else if ui, ok := r.uiOnly[id]; ok {
			outputs.set(id, ui.vals["output"])
			meta.set(id, ui.vals["meta"])
		}
	}
	inst.lastNodeID = ""

	if d := s.opts.historyDelay; d > 0 {
		// The job leaves /queue now, and reaches /history only after the delay.
		inst.running = nil
		if err := inst.sleep(d); err != nil {
			return
		}
	}
	statusStr := "success"
	if failure != nil {
		statusStr = "error"
	}
	inst.running = nil
	inst.taskDone(item, outputs, meta, newObject("status_str", statusStr, "completed", failure == nil, "messages", r.messages))
	if r.to.set {
		inst.send("executing", newObject("node", nil, "prompt_id", item.promptID), r.to)
	}
	delete(s.fails, failKey)
	for k := range s.holds {
		if k.prompt == item.promptID {
			delete(s.holds, k)
		}
	}
	inst.client = recipient{}
}

// sleep waits d with s.mu released. It fails if the process stopped meanwhile.
func (inst *instance) sleep(d time.Duration) error {
	s := inst.s
	s.mu.Unlock()
	t := time.NewTimer(d)
	select {
	case <-t.C:
	case <-inst.ctx.Done():
		t.Stop()
	}
	s.mu.Lock()
	if inst.dead() {
		return errStopped
	}
	return nil
}

// addMessage is PromptExecutor.add_message: a timestamped message, kept for history and sent
// to the prompt's client (or to everyone, for broadcast messages of a prompt without one).
func (r *run) addMessage(event string, data *object, broadcast bool) {
	data.set("timestamp", time.Now().UnixMilli())
	r.messages = append(r.messages, []any{event, data})
	switch {
	case r.to.set:
		r.inst.send(event, data, r.to)
	case broadcast:
		r.inst.send(event, data, everyone)
	}
}

// progressTarget is where progress_state goes: the client, or everyone without one.
func (r *run) progressTarget() recipient {
	if r.to.set {
		return r.to
	}
	return everyone
}

func (r *run) execute() (*nodeFailure, error) {
	inst, id := r.inst, r.item.promptID
	inst.clearInterrupt()
	switch cid := r.item.extraData.vals["client_id"].(type) {
	case nil:
		r.to = recipient{}
	case string:
		r.to = clientRecipient(cid)
	default:
		r.to = nobody
	}
	inst.client = r.to

	r.addMessage("execution_start", newObject("prompt_id", id), false)
	r.computeSignatures()
	r.pruneCaches()
	cached := []any{}
	for _, nid := range r.prompt.keys {
		if r.isCached(nid) {
			cached = append(cached, nid)
		}
	}
	r.addMessage("execution_cached", newObject("nodes", cached, "prompt_id", id), false)

	list := newExecList(r)
	for _, o := range r.item.outputs {
		list.addNode(o)
	}
	var failure *nodeFailure
	for !list.empty() {
		nid, ok := list.stage()
		if !ok {
			failure = &nodeFailure{nodeID: list.firstPending(), exc: pyExc{typ: "graph.DependencyCycleError", msg: "Dependency cycle detected"}}
			break
		}
		r.staged = append(r.staged, nid)
		f, err := r.executeNode(nid)
		if err != nil {
			return nil, err
		}
		if f != nil {
			failure = f
			break
		}
		list.complete(nid)
	}
	if failure == nil && !r.ranAny {
		// A prompt served entirely from the cache still honours HoldJob, before its end.
		if err := r.hold("", ""); err != nil {
			return nil, err
		}
	}
	if failure != nil {
		r.handleError(failure)
	} else {
		r.addMessage("execution_success", newObject("prompt_id", id), false)
	}
	return failure, nil
}

// handleError is PromptExecutor.handle_execution_error.
func (r *run) handleError(f *nodeFailure) {
	id := r.item.promptID
	nodeType := any(nil)
	if n, ok := r.prompt.vals[f.nodeID].(*object); ok {
		nodeType, _ = n.get("class_type")
	}
	executed := toAnySlice(r.executed)
	if f.interrupted {
		r.addMessage("execution_interrupted", newObject("prompt_id", id, "node_id", f.nodeID, "node_type", nodeType,
			"executed", executed), true)
		return
	}
	inputs := any(f.currentInputs)
	if f.currentInputs == nil {
		inputs = []any{}
	}
	r.addMessage("execution_error", newObject("prompt_id", id, "node_id", f.nodeID, "node_type", nodeType,
		"executed", executed,
		"exception_message", f.exc.msg, "exception_type", f.exc.typ, "traceback", toAnySlice(f.exc.tb),
		"current_inputs", inputs, "current_outputs", toAnySlice(r.prompt.keys)), false)
}

// executeNode is execution.execute for one staged node.
func (r *run) executeNode(nid string) (*nodeFailure, error) {
	inst, pid := r.inst, r.item.promptID
	node := r.prompt.vals[nid].(*object)
	class := inst.s.cat.classes[node.str("class_type")]

	if r.isCached(nid) {
		entry := inst.cache[r.sigs[nid]]
		if r.to.set {
			var output any
			if entry.ui != nil {
				output = entry.ui.vals["output"]
			}
			inst.send("executed", newObject("node", nid, "display_node", nid, "output", output, "prompt_id", pid), r.to)
		}
		r.finishProgress(nid)
		r.outputs[nid] = entry.outputs
		return nil, nil
	}

	r.startProgress(nid)
	args := r.inputData(nid, node, class)
	if r.to.set {
		inst.lastNodeID = nid
		inst.send("executing", newObject("node", nid, "display_node", nid, "prompt_id", pid), r.to)
	}
	first := !r.ranAny
	r.ranAny = true
	if first {
		if err := r.hold("", nid); err != nil {
			return nil, err
		}
	}
	if err := r.hold(nid, nid); err != nil {
		return nil, err
	}
	if inst.interrupt { // nodes.before_node_execution
		return &nodeFailure{interrupted: true, nodeID: nid}, nil
	}
	if r.fail != nil && !r.failUsed && (r.fail.NodeID == nid || r.fail.NodeID == "" || r.prompt.vals[r.fail.NodeID] == nil) {
		r.failUsed = true
		return &nodeFailure{nodeID: nid, exc: injectedException(*r.fail, class.name), currentInputs: formatInputs(args)}, nil
	}
	if steps := samplerSteps(class.name, args); steps > 0 {
		if f, err := r.sample(nid, steps); f != nil || err != nil {
			return f, err
		}
	} else if d := inst.s.opts.nodeDuration; d > 0 {
		if err := inst.sleep(d); err != nil {
			return nil, err
		}
	}
	outs, ui, exc := r.runNode(nid, class, args)
	if exc != nil {
		return &nodeFailure{nodeID: nid, exc: *exc, currentInputs: formatInputs(args)}, nil
	}
	var uiEntry *object
	if ui != nil && ui.len() > 0 {
		uiEntry = newObject(
			"meta", newObject("node_id", nid, "display_node", nid, "parent_node", nil, "real_node_id", nid),
			"output", ui)
		if r.to.set {
			inst.send("executed", newObject("node", nid, "display_node", nid, "output", ui, "prompt_id", pid), r.to)
		}
	}
	r.outputs[nid] = outs
	if sig := r.sigs[nid]; sig != "" {
		inst.cache[sig] = &cacheEntry{outputs: outs, ui: uiEntry}
	} else if uiEntry != nil {
		r.uiOnly[nid] = uiEntry
	}
	r.finishProgress(nid)
	r.executed = append(r.executed, nid)
	return nil, nil
}

// historyOrder lists the prompt's nodes for history outputs: the staged ones in execution
// order, then the rest in prompt order (whose UI may still be cached from an earlier run).
func (r *run) historyOrder() []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range append(append([]string(nil), r.staged...), r.prompt.keys...) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// hold blocks while the hold (prompt, key) is set, until it is released, an interrupt or
// Down. at is the node the worker stands at ("" at the end of a fully cached prompt).
func (r *run) hold(key, at string) error {
	inst, s, pid := r.inst, r.inst.s, r.item.promptID
	k := holdKey{pid, key}
	if !s.holds[k] {
		return nil
	}
	s.heldAt[pid] = heldState{key: key, node: at}
	s.notifyLocked()
	defer func() {
		delete(s.heldAt, pid)
		s.notifyLocked()
	}()
	for s.holds[k] && !inst.interrupt {
		changed, interrupted := s.changed, inst.interruptC
		s.mu.Unlock()
		select {
		case <-changed:
		case <-interrupted:
		case <-inst.ctx.Done():
		}
		s.mu.Lock()
		if inst.dead() {
			return errStopped
		}
	}
	return nil
}

// samplers are the node classes that report per-step progress.
var samplers = map[string]bool{"KSampler": true, "KSamplerAdvanced": true, "SamplerCustom": true, "SamplerCustomAdvanced": true}

// samplerSteps is the step count of a sampler node, or 0 for other nodes.
func samplerSteps(class string, args *object) int {
	if !samplers[class] {
		return 0
	}
	v, ok := args.get("steps")
	list, _ := v.([]any)
	if !ok || len(list) == 0 {
		return 0
	}
	switch n := list[0].(type) {
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	case int64:
		return int(n)
	case int:
		return n
	case float64:
		return int(n)
	}
	return 0
}

// sample emulates a sampler's steps: each one a `progress` message and a
// progress_state update, as ComfyUI's progress hook sends them, spread over
// the node duration. An interrupt lands between steps, as ComfyUI checks
// the flag in its progress callback.
func (r *run) sample(nid string, steps int) (*nodeFailure, error) {
	inst, pid := r.inst, r.item.promptID
	d := inst.s.opts.nodeDuration / time.Duration(max(steps, 1))
	p := r.ensureProgress(nid)
	for step := 1; step <= steps; step++ {
		if d > 0 {
			if err := inst.sleep(d); err != nil {
				return nil, err
			}
		}
		if inst.interrupt {
			return &nodeFailure{interrupted: true, nodeID: nid}, nil
		}
		inst.send("progress", newObject("value", step, "max", steps, "prompt_id", pid, "node", nid), r.progressTarget())
		p.value, p.max = float64(step), float64(steps)
		r.sendProgress()
	}
	return nil, nil
}

// startProgress and finishProgress are the progress registry's, with its progress_state
// message: every node seen so far, the started one running with float values.
func (r *run) startProgress(nid string) {
	p := r.ensureProgress(nid)
	p.state, p.value, p.max = "running", 0.0, 1.0
	r.sendProgress()
}

func (r *run) finishProgress(nid string) {
	p := r.ensureProgress(nid)
	p.state, p.value = "finished", p.max
	r.sendProgress()
}

func (r *run) ensureProgress(nid string) *nodeProgress {
	p, ok := r.states[nid]
	if !ok || p.state == "" {
		p = &nodeProgress{state: "pending", value: json.Number("0"), max: json.Number("1")}
		r.states[nid] = p
		r.progress = append(r.progress, nid)
	}
	return p
}

func (r *run) sendProgress() {
	pid := r.item.promptID
	nodes := newObject()
	for _, nid := range r.progress {
		p := r.states[nid]
		if p.state == "pending" {
			continue
		}
		nodes.set(nid, newObject("value", p.value, "max", p.max, "state", p.state, "node_id", nid, "prompt_id", pid,
			"display_node_id", nid, "parent_node_id", nil, "real_node_id", nid))
	}
	r.inst.send("progress_state", newObject("prompt_id", pid, "nodes", nodes), r.progressTarget())
}

// inputData is execution.get_input_data: a list of values per input (links resolve to the
// upstream output's list), then the hidden inputs.
func (r *run) inputData(nid string, node *object, class *nodeClass) *object {
	args := newObject()
	inputs, _ := node.vals["inputs"].(*object)
	if inputs == nil {
		inputs = newObject()
	}
	for _, name := range inputs.keys {
		v := inputs.vals[name]
		if link, ok := v.([]any); ok && isLinkValue(link) {
			from := link[0].(string)
			slot, _ := link[1].(json.Number).Int64()
			outs := r.outputs[from]
			if outs == nil && r.isCached(from) { // cached upstream nodes are not even staged
				outs = r.inst.cache[r.sigs[from]].outputs
			}
			if outs == nil || int(slot) >= len(outs) || slot < 0 {
				args.set(name, []any{nil})
				continue
			}
			args.set(name, outs[slot])
			continue
		}
		if _, declared := class.input(name); declared || class.hiddenKind(name) != "" {
			args.set(name, []any{v})
		}
	}
	extra := r.item.extraData
	for _, h := range class.hidden {
		switch h.kind {
		case "PROMPT":
			args.set(h.name, []any{r.prompt})
		case "EXTRA_PNGINFO":
			args.set(h.name, []any{extra.vals["extra_pnginfo"]})
		case "UNIQUE_ID":
			args.set(h.name, []any{nid})
		case "AUTH_TOKEN_COMFY_ORG":
			args.set(h.name, []any{extra.vals["auth_token_comfy_org"]})
		case "API_KEY_COMFY_ORG":
			args.set(h.name, []any{extra.vals["api_key_comfy_org"]})
		}
	}
	return args
}

// formatInputs is the current_inputs of an execution_error: primitives kept, anything else
// printed.
func formatInputs(args *object) *object {
	out := newObject()
	for _, k := range args.keys {
		list, _ := args.vals[k].([]any)
		formatted := make([]any, len(list))
		for i, v := range list {
			formatted[i] = formatValue(v)
		}
		out.set(k, formatted)
	}
	return out
}

func formatValue(v any) any {
	switch v := v.(type) {
	case nil, bool, string, json.Number, float64, int, int64:
		return v
	case *object, []any:
		return pyRepr(v)
	case interface{ String() string }:
		return v.String()
	default:
		return pyRepr(v)
	}
}

// oomTips is what ComfyUI (execution.py) appends to the message of an exception that is
// comfy.model_management.OOM_EXCEPTION, after unloading every model.
const oomTips = "This error means you ran out of memory on your GPU.\n\nTIPS: If the workflow worked before you might have accidentally set the batch_size to a large number."

// injectedException turns a FailJob error into the exception a node raised.
func injectedException(e ExecutionError, class string) pyExc {
	exc := pyExc{typ: e.ExceptionType, msg: e.ExceptionMessage, tb: e.Traceback}
	if exc.typ == "" {
		exc.typ = "RuntimeError"
	}
	if exc.msg == "" {
		exc.msg = "emulated failure"
	}
	switch {
	case strings.HasSuffix(exc.typ, "OutOfMemoryError"):
		exc.msg = strings.TrimSuffix(exc.msg, "\n") + "\n" + oomTips
	case !strings.HasSuffix(exc.msg, "\n"):
		exc.msg += "\n"
	}
	if exc.tb == nil {
		exc.tb = nodeTraceback(class)
	}
	return exc
}

// computeSignatures is CacheKeySetInputSignature: a node's class, IS_CHANGED result and
// inputs, with links replaced by the position of the linked node among its ancestors,
// followed by the same for every ancestor. Equal signatures mean the cached result is valid.
func (r *run) computeSignatures() {
	r.sigs = map[string]string{}
	r.forced = map[string]bool{}
	switch {
	case r.fail == nil:
	case r.fail.NodeID == "" || r.prompt.vals[r.fail.NodeID] == nil:
		for _, nid := range r.prompt.keys { // the first node to run fails: run them all
			r.forced[nid] = true
		}
	default:
		r.forced[r.fail.NodeID] = true
	}
	for _, nid := range r.prompt.keys {
		ancestors, order := r.ancestry(nid)
		sig := []any{r.immediateSignature(nid, order)}
		uncacheable := sig[0] == nil || r.forced[nid]
		for _, a := range ancestors {
			s := r.immediateSignature(a, order)
			if s == nil || r.forced[a] {
				uncacheable = true
			}
			sig = append(sig, s)
		}
		if !uncacheable {
			r.sigs[nid] = string(canonicalJSON(sig))
		}
	}
}

// ancestry is get_ordered_ancestry: ancestors depth first, inputs in sorted name order.
func (r *run) ancestry(nid string) ([]string, map[string]int) {
	var ancestors []string
	order := map[string]int{}
	var walk func(id string)
	walk = func(id string) {
		node, ok := r.prompt.vals[id].(*object)
		if !ok {
			return
		}
		inputs, _ := node.vals["inputs"].(*object)
		if inputs == nil {
			return
		}
		keys := append([]string(nil), inputs.keys...)
		sort.Strings(keys)
		for _, k := range keys {
			if link, ok := inputs.vals[k].([]any); ok && isLinkValue(link) {
				a := link[0].(string)
				if _, seen := order[a]; !seen {
					ancestors = append(ancestors, a)
					order[a] = len(ancestors) - 1
					walk(a)
				}
			}
		}
	}
	walk(nid)
	return ancestors, order
}

// immediateSignature returns nil for a node that can never be cached (missing, or whose
// IS_CHANGED failed: ComfyUI's NaN).
func (r *run) immediateSignature(nid string, order map[string]int) any {
	node, ok := r.prompt.vals[nid].(*object)
	if !ok {
		return nil
	}
	ct := node.str("class_type")
	class := r.inst.s.cat.classes[ct]
	changed, ok := r.isChanged(node, ct)
	if !ok {
		return nil
	}
	sig := []any{ct, changed}
	if class != nil && class.hasHidden("UNIQUE_ID") {
		sig = append(sig, nid)
	}
	inputs, _ := node.vals["inputs"].(*object)
	if inputs == nil {
		return sig
	}
	keys := append([]string(nil), inputs.keys...)
	sort.Strings(keys)
	for _, k := range keys {
		v := inputs.vals[k]
		if link, ok := v.([]any); ok && isLinkValue(link) {
			sig = append(sig, []any{k, []any{"ANCESTOR", order[link[0].(string)], link[1]}})
		} else {
			sig = append(sig, []any{k, v})
		}
	}
	return sig
}

// isChanged is the node's IS_CHANGED: LoadImage hashes its file, so a new upload under the
// same name invalidates the cache. ok is false when IS_CHANGED would raise.
func (r *run) isChanged(node *object, class string) (any, bool) {
	if class != "LoadImage" && class != "LoadImageMask" {
		return false, true
	}
	inputs, _ := node.vals["inputs"].(*object)
	if inputs == nil {
		return nil, false
	}
	name, ok := inputs.vals["image"].(string)
	if !ok {
		return nil, false
	}
	name, dir := annotatedFilepath(name)
	if dir == "" {
		dir = dirInput
	}
	f, ok := r.inst.s.files.get(dir, "", name)
	if !ok {
		return nil, false
	}
	sum := sha256.Sum256(f.data)
	return []any{hex.EncodeToString(sum[:])}, true
}

// pruneCaches is the classic cache's clean_unused: only entries the current prompt can use
// survive, and node objects only for nodes still present.
func (r *run) pruneCaches() {
	keep := map[string]bool{}
	for _, s := range r.sigs {
		keep[s] = true
	}
	for k := range r.inst.cache {
		if !keep[k] {
			delete(r.inst.cache, k)
		}
	}
	present := map[string]bool{}
	for _, nid := range r.prompt.keys {
		present[nid+"\x00"+r.prompt.vals[nid].(*object).str("class_type")] = true
	}
	for k := range r.inst.objects {
		if !present[k] {
			delete(r.inst.objects, k)
		}
	}
}

func (r *run) isCached(nid string) bool {
	sig := r.sigs[nid]
	return sig != "" && r.inst.cache[sig] != nil
}

func (r *run) isOutput(nid string) bool {
	node, _ := r.prompt.vals[nid].(*object)
	if node == nil {
		return false
	}
	c := r.inst.s.cat.classes[node.str("class_type")]
	return c != nil && c.outputNode
}

// execList is comfy_execution.graph.ExecutionList without lazy inputs and subgraphs.
type execList struct {
	r          *run
	pending    []string
	isPending  map[string]bool
	blockCount map[string]int
	blocking   map[string][]string // node → nodes waiting for it, in link order
}

func newExecList(r *run) *execList {
	return &execList{r: r, isPending: map[string]bool{}, blockCount: map[string]int{}, blocking: map[string][]string{}}
}

func (l *execList) empty() bool { return len(l.pending) == 0 }

func (l *execList) firstPending() string { return l.pending[0] }

// addNode adds a node and, depth first, the uncached nodes it needs.
func (l *execList) addNode(id string) {
	stack := []string{id}
	type link struct{ from, to string }
	var links []link
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if l.isPending[u] {
			continue
		}
		l.isPending[u] = true
		l.pending = append(l.pending, u)
		l.blockCount[u] = 0
		l.blocking[u] = nil
		node, _ := l.r.prompt.vals[u].(*object)
		inputs, _ := node.vals["inputs"].(*object)
		if inputs == nil {
			continue
		}
		for _, k := range inputs.keys {
			if lv, ok := inputs.vals[k].([]any); ok && isLinkValue(lv) {
				from := lv[0].(string)
				if !l.r.isCached(from) {
					stack = append(stack, from)
				}
				links = append(links, link{from, u})
			}
		}
	}
	for _, lk := range links {
		if l.r.isCached(lk.from) {
			continue
		}
		l.addNode(lk.from)
		blocked := false
		for _, b := range l.blocking[lk.from] {
			if b == lk.to {
				blocked = true
				break
			}
		}
		if !blocked {
			l.blocking[lk.from] = append(l.blocking[lk.from], lk.to)
			l.blockCount[lk.to]++
		}
	}
}

// stage is stage_node_execution with ux_friendly_pick_node: an output node first, then a node
// that unblocks an output, then one two steps from an output, else the first ready node.
func (l *execList) stage() (string, bool) {
	var ready []string
	for _, id := range l.pending {
		if l.blockCount[id] == 0 {
			ready = append(ready, id)
		}
	}
	if len(ready) == 0 {
		return "", false
	}
	for _, id := range ready {
		if l.r.isOutput(id) {
			return id, true
		}
	}
	for _, id := range ready {
		for _, b := range l.blocking[id] {
			if l.r.isOutput(b) {
				return id, true
			}
		}
	}
	for _, id := range ready {
		for _, b := range l.blocking[id] {
			for _, b1 := range l.blocking[b] {
				if l.r.isOutput(b1) {
					return id, true
				}
			}
		}
	}
	return ready[0], true
}

func (l *execList) complete(id string) {
	for i, p := range l.pending {
		if p == id {
			l.pending = append(l.pending[:i:i], l.pending[i+1:]...)
			break
		}
	}
	delete(l.isPending, id)
	for _, b := range l.blocking[id] {
		l.blockCount[b]--
	}
	delete(l.blocking, id)
}
