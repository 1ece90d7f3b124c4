package comfyuitest

// ComfyUI keeps its queue in a Python heapq list and /queue returns that list as it is, so the
// order of queue_pending depends on heapq's exact sift algorithms. container/heap uses
// different ones; these are transcriptions of CPython's Lib/heapq.py.

// queueLess orders items as Python orders the (number, prompt_id, ...) tuples.
func queueLess(a, b *queueItem) bool {
	if a.number.f != b.number.f {
		return a.number.f < b.number.f
	}
	return a.promptID < b.promptID
}

func heapPush(h []*queueItem, item *queueItem) []*queueItem {
	h = append(h, item)
	heapSiftDown(h, 0, len(h)-1)
	return h
}

func heapPop(h []*queueItem) (*queueItem, []*queueItem) {
	last := h[len(h)-1]
	h = h[:len(h)-1]
	if len(h) == 0 {
		return last, h
	}
	top := h[0]
	h[0] = last
	heapSiftUp(h, 0)
	return top, h
}

func heapify(h []*queueItem) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		heapSiftUp(h, i)
	}
}

// heapSiftDown is heapq._siftdown: move the item at pos up towards start.
func heapSiftDown(h []*queueItem, start, pos int) {
	item := h[pos]
	for pos > start {
		parent := (pos - 1) >> 1
		if !queueLess(item, h[parent]) {
			break
		}
		h[pos] = h[parent]
		pos = parent
	}
	h[pos] = item
}

// heapSiftUp is heapq._siftup: move the smaller child up until a leaf, then sift down.
func heapSiftUp(h []*queueItem, pos int) {
	end, start, item := len(h), pos, h[pos]
	child := 2*pos + 1
	for child < end {
		if right := child + 1; right < end && !queueLess(h[child], h[right]) {
			child = right
		}
		h[pos] = h[child]
		pos = child
		child = 2*pos + 1
	}
	h[pos] = item
	heapSiftDown(h, start, pos)
}
