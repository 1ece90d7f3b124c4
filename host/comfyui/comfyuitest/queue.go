package comfyuitest

import (
	"context"
	"net/http"
	"sync"
)

// instance is one lifetime of the emulated ComfyUI process, from start (or Up) to Down. Its
// fields below the line are what ComfyUI keeps in memory and loses on restart. They are
// guarded by the server's mutex.
type instance struct {
	s          *Server
	ctx        context.Context // cancelled by Down
	cancel     context.CancelFunc
	httpServer *http.Server
	wake       chan struct{} // nudges the worker
	workerDone chan struct{}
	serveDone  chan struct{}

	// Handlers in flight (WebSockets included), so that Down can wait for them.
	wgMu     sync.Mutex
	stopping bool
	wg       sync.WaitGroup

	// ---- process state (server.py, execution.py) ----
	number     int64        // PromptServer.number
	queue      []*queueItem // PromptQueue.queue, a Python heap
	running    *queueItem   // PromptQueue.currently_running
	history    *object      // PromptQueue.history: prompt id → entry, completion order
	cache      map[string]*cacheEntry
	objects    map[string]*nodeObject // node objects by (node id, class), for PreviewImage names
	clients    map[string]*wsClient   // PromptServer.sockets
	interrupt  bool                   // nodes.interrupt_processing flag
	interruptC chan struct{}          // closed when interrupt becomes true
	client     recipient              // server.client_id of the running prompt
	lastNodeID string                 // server.last_node_id
	freeMemory bool                   // /free flags, applied between prompts
}

// queueItem is ComfyUI's (number, prompt_id, prompt, extra_data, outputs_to_execute).
type queueItem struct {
	number    pyNum
	promptID  string
	prompt    *object
	extraData *object
	outputs   []string
}

// pyNum is a queue number: an int from the counter, or a float when the caller chose it.
type pyNum struct {
	f       float64
	isFloat bool
}

func (n pyNum) json() any {
	if n.isFloat {
		return n.f
	}
	return int64(n.f)
}

func (it *queueItem) json() []any {
	outs := make([]any, len(it.outputs))
	for i, o := range it.outputs {
		outs[i] = o
	}
	return []any{it.number.json(), it.promptID, it.prompt, it.extraData, outs}
}

// enter registers a handler in flight; false means the process is stopping.
func (inst *instance) enter() bool {
	inst.wgMu.Lock()
	defer inst.wgMu.Unlock()
	if inst.stopping {
		return false
	}
	inst.wg.Add(1)
	return true
}

func (inst *instance) exit() { inst.wg.Done() }

// stop ends the process and waits for all of its goroutines.
func (inst *instance) stop() {
	inst.cancel()
	inst.wgMu.Lock()
	inst.stopping = true
	inst.wgMu.Unlock()
	_ = inst.httpServer.Close()
	<-inst.serveDone
	inst.wg.Wait()
	<-inst.workerDone
}

// dead reports whether Down stopped this process. s.mu is held.
func (inst *instance) dead() bool { return inst.ctx.Err() != nil }

// queueRemaining is PromptQueue.get_tasks_remaining: pending plus running.
func (inst *instance) queueRemaining() int {
	n := len(inst.queue)
	if inst.running != nil {
		n++
	}
	return n
}

func (inst *instance) queueInfo() *object {
	return newObject("exec_info", newObject("queue_remaining", inst.queueRemaining()))
}

// queueUpdated is PromptServer.queue_updated: a status broadcast.
func (inst *instance) queueUpdated() {
	inst.send("status", newObject("status", inst.queueInfo()), everyone)
}

// put is PromptQueue.put.
func (inst *instance) put(item *queueItem) {
	inst.queue = heapPush(inst.queue, item)
	inst.s.jobs[item.promptID] = jobPending
	inst.s.notifyLocked()
	inst.queueUpdated()
	inst.s.wakeWorkerLocked()
}

// wipeQueue is PromptQueue.wipe_queue: it broadcasts even when the queue was empty.
func (inst *instance) wipeQueue() {
	for _, it := range inst.queue {
		inst.s.jobs[it.promptID] = jobDeleted
	}
	inst.queue = nil
	inst.s.notifyLocked()
	inst.queueUpdated()
}

// deleteQueueItem is PromptQueue.delete_queue_item: the first pending item with that id is
// removed. Removing the last item goes through wipeQueue, so it broadcasts twice, as
// ComfyUI does.
func (inst *instance) deleteQueueItem(promptID string) {
	for i, it := range inst.queue {
		if it.promptID != promptID {
			continue
		}
		if len(inst.queue) == 1 {
			inst.wipeQueue()
		} else {
			inst.queue = append(inst.queue[:i:i], inst.queue[i+1:]...)
			heapify(inst.queue)
			inst.s.jobs[promptID] = jobDeleted
			inst.s.notifyLocked()
		}
		inst.queueUpdated()
		return
	}
}

// maxHistorySize is execution.MAXIMUM_HISTORY_SIZE.
const maxHistorySize = 10000

// sensitiveExtraData are the extra_data keys ComfyUI strips when it writes history.
var sensitiveExtraData = [...]string{"auth_token_comfy_org", "api_key_comfy_org"}

// taskDone is PromptQueue.task_done: the history entry is written (a re-used prompt id keeps
// its old position, as a Python dict does) and status is broadcast.
func (inst *instance) taskDone(item *queueItem, outputs, meta *object, status *object) {
	if inst.history.len() > maxHistorySize {
		inst.history.del(inst.history.keys[0])
	}
	extra := deepCopy(item.extraData).(*object)
	for _, k := range sensitiveExtraData {
		extra.del(k)
	}
	stored := *item
	stored.extraData = extra
	inst.history.set(item.promptID, newObject(
		"prompt", stored.json(),
		"outputs", outputs,
		"status", status,
		"meta", meta,
	))
	inst.s.jobs[item.promptID] = jobDone
	inst.s.notifyLocked()
	inst.queueUpdated()
}

// historySlice is PromptQueue.get_history without a prompt id, including its quirks:
// max_items alone returns the most recent entries; with an offset, max_items=0 still
// returns one entry.
func (inst *instance) historySlice(maxItems *int, offset int) *object {
	out := newObject()
	if offset < 0 && maxItems != nil {
		offset = inst.history.len() - *maxItems
	}
	for i, k := range inst.history.keys {
		if i >= offset {
			out.set(k, inst.history.vals[k])
			if maxItems != nil && out.len() >= *maxItems {
				break
			}
		}
	}
	return out
}
