package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/coder/websocket"
)

// eventData is the union of the WebSocket message fields the watcher reads.
type eventData struct {
	PromptID   string   `json:"prompt_id"`
	Node       *string  `json:"node"`
	Nodes      []string `json:"nodes"`
	Value      float64  `json:"value"`
	Max        float64  `json:"max"`
	NodeStates map[string]struct {
		State string `json:"state"`
	} `json:"-"`
	// Status is the payload of a status broadcast.
	Status *struct {
		ExecInfo struct {
			QueueRemaining *int `json:"queue_remaining"`
		} `json:"exec_info"`
	} `json:"status"`
}

// UnmarshalJSON reads "nodes" as a list (execution_cached) or as the map
// of progress_state.
func (d *eventData) UnmarshalJSON(b []byte) error {
	type plain eventData
	var raw struct {
		plain
		Nodes json.RawMessage `json:"nodes"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*d = eventData(raw.plain)
	if len(raw.Nodes) > 0 && raw.Nodes[0] == '{' {
		return json.Unmarshal(raw.Nodes, &d.NodeStates)
	}
	if len(raw.Nodes) > 0 && raw.Nodes[0] == '[' {
		return json.Unmarshal(raw.Nodes, &d.Nodes)
	}
	return nil
}

// Backoff bounds for reconnecting the event stream.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// streamLoop keeps the WebSocket connected until ctx ends.
func (w *Watcher) streamLoop(ctx context.Context) {
	backoff := minBackoff
	for ctx.Err() == nil {
		start := time.Now()
		err := w.stream(ctx)
		w.setConnected(false)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 10*time.Second {
			backoff = minBackoff // it was up for a while: a fresh failure
		}
		w.logger.Debug("ComfyUI event stream down; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

func (w *Watcher) setConnected(up bool) {
	w.mu.Lock()
	changed := w.connected != up
	w.connected = up
	w.mu.Unlock()
	if changed && w.onConnected != nil {
		w.onConnected(up)
	}
	if changed {
		w.logger.Info("ComfyUI event stream", "connected", up, "url", w.client.BaseURL())
	}
}

// stream runs one connection until it fails or ctx ends.
func (w *Watcher) stream(ctx context.Context) error {
	u := w.client.WebSocketURL(w.clientID)
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, _, err := websocket.Dial(dctx, u, &websocket.DialOptions{HTTPHeader: w.client.Header()})
	cancel()
	if err != nil {
		return fmt.Errorf("connect %s: %w", u, err)
	}
	defer conn.CloseNow()
	w.setConnected(true)
	// Whatever happened while we were away is only in /queue and /history.
	w.kickCheck()
	for {
		typ, r, err := conn.Reader(ctx)
		if err != nil {
			return err
		}
		if typ != websocket.MessageText {
			// Binary frames are previews: not needed to follow progress.
			if _, err := io.Copy(io.Discard, r); err != nil {
				return err
			}
			continue
		}
		var msg struct {
			Type string    `json:"type"`
			Data eventData `json:"data"`
		}
		if err := json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(&msg); err != nil {
			w.logger.Debug("ignoring an event that is not JSON", "err", err)
			io.Copy(io.Discard, r)
			continue
		}
		w.handle(msg.Type, msg.Data)
	}
}

// handle applies one event.
func (w *Watcher) handle(typ string, data eventData) {
	if typ == "status" {
		if st := data.Status; st != nil && st.ExecInfo.QueueRemaining != nil && w.onStatus != nil {
			w.onStatus(*st.ExecInfo.QueueRemaining)
		}
		// The queue changed: a prompt queued without our client id may have
		// finished, so look at /queue and /history.
		w.kickCheck()
		return
	}
	if data.PromptID == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	j := w.jobs[data.PromptID]
	if j == nil {
		if typ == "execution_cached" {
			w.early.remember(data.PromptID, data.Nodes)
		}
		return
	}
	j.seen, j.missing = true, 0
	if typ == "executing" && data.Node == nil {
		// Sent after the history entry is written: the job is done.
		j.state = "done"
		w.finish(j, StatusDone)
		return
	}
	j.state = "running"
	if p, ok := j.track.event(typ, data); ok {
		w.report(j, p)
	}
}

// queueItem reads the prompt id and graph of a /queue item.
func queueItem(it []json.RawMessage) (id string, prompt json.RawMessage, ok bool) {
	if len(it) < 3 || json.Unmarshal(it[1], &id) != nil {
		return "", nil, false
	}
	return id, it[2], true
}

// sortedPending returns pending prompt ids in execution order.
func sortedPending(items [][]json.RawMessage) []string {
	type entry struct {
		number float64
		id     string
	}
	var es []entry
	for _, it := range items {
		var e entry
		if len(it) < 2 || json.Unmarshal(it[0], &e.number) != nil || json.Unmarshal(it[1], &e.id) != nil {
			continue
		}
		es = append(es, e)
	}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].number != es[j].number {
			return es[i].number < es[j].number
		}
		return es[i].id < es[j].id
	})
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.id
	}
	return ids
}
