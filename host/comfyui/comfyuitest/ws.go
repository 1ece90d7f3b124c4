package comfyuitest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// recipient is the sid argument of PromptServer.send_sync: everyone (None), or one client id.
// A prompt whose client_id is not a string addresses nobody, as no socket id can equal it.
type recipient struct {
	all bool
	sid string
	set bool // false: no client (ComfyUI's client_id is None)
}

var everyone = recipient{all: true}

func clientRecipient(sid string) recipient { return recipient{sid: sid, set: true} }

// nobody is the recipient for a client_id that can never match a socket.
var nobody = recipient{sid: "\x00", set: true}

// wsClient is one connected WebSocket. Messages are queued without bound and written by its
// own goroutine, so a slow reader never blocks the worker (aiohttp buffers the same way).
type wsClient struct {
	sid    string
	conn   *websocket.Conn
	mu     sync.Mutex
	queue  [][]byte
	notify chan struct{}
}

func (c *wsClient) enqueue(msg []byte) {
	c.mu.Lock()
	c.queue = append(c.queue, msg)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// writeLoop sends queued messages in order until ctx ends or a write fails.
func (c *wsClient) writeLoop(ctx context.Context) {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, msg := range batch {
			if err := c.conn.Write(ctx, websocket.MessageText, msg); err != nil {
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-c.notify:
		case <-ctx.Done():
			return
		}
	}
}

// send is PromptServer.send_sync: {"type": event, "data": data} to one client or to all.
// s.mu is held.
func (inst *instance) send(event string, data any, to recipient) {
	msg := encodeJSON(newObject("type", event, "data", data))
	switch {
	case to.all:
		for _, c := range inst.clients {
			c.enqueue(msg)
		}
	case to.set:
		if c, ok := inst.clients[to.sid]; ok {
			c.enqueue(msg)
		}
	}
}

// serverFeatures is comfy_api.feature_flags.get_server_features() with default settings.
func serverFeatures() *object {
	return newObject("supports_preview_metadata", true, "max_upload_size", maxUploadSize)
}

// serveWS is the /ws handler (server.py websocket_handler).
func (inst *instance) serveWS(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// The Origin check is ComfyUI's own middleware, which already ran.
		InsecureSkipVerify: true,
	})
	if err != nil {
		return
	}
	conn.SetReadLimit(maxUploadSize)
	ctx, cancel := context.WithCancel(inst.ctx)
	defer cancel()

	sid := r.URL.Query().Get("clientId")
	if sid == "" {
		sid = newHexID()
	}
	client := &wsClient{sid: sid, conn: conn, notify: make(chan struct{}, 1)}

	s := inst.s
	s.mu.Lock()
	if inst.dead() {
		s.mu.Unlock()
		conn.CloseNow()
		return
	}
	// A reused id replaces the old socket, which stays open but receives nothing more.
	inst.clients[sid] = client
	client.enqueue(encodeJSON(newObject("type", "status", "data",
		newObject("status", inst.queueInfo(), "sid", sid))))
	if inst.client.set && inst.client.sid == sid && inst.lastNodeID != "" {
		client.enqueue(encodeJSON(newObject("type", "executing", "data",
			newObject("node", inst.lastNodeID))))
	}
	s.mu.Unlock()

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		client.writeLoop(ctx)
	}()

	first := true
	for {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			break
		}
		if typ != websocket.MessageText {
			continue
		}
		v, err := decodeJSON(data)
		if err != nil {
			continue // logged and ignored by ComfyUI; does not count as the first message
		}
		if msg, ok := v.(*object); ok && first && msg.str("type") == "feature_flags" {
			client.enqueue(encodeJSON(newObject("type", "feature_flags", "data", serverFeatures())))
		}
		first = false
	}

	// ComfyUI's cleanup pops the id whichever socket it now belongs to: a client that
	// reconnected with the same id before this socket closed loses its registration.
	s.mu.Lock()
	delete(inst.clients, sid)
	s.mu.Unlock()
	cancel()
	<-writerDone
	conn.CloseNow()
}

// newHexID is uuid.uuid4().hex: 32 lower-case hex digits.
func newHexID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// newUUID is str(uuid.uuid4()).
func newUUID() string {
	h := newHexID()
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// DropWebSockets closes every open WebSocket abruptly, as a network blip or
// a proxy timeout would, without touching the queue, history or the running
// job: clients must reconnect and catch up from /queue and /history.
func (s *Server) DropWebSockets() {
	s.mu.Lock()
	var conns []*websocket.Conn
	if s.inst != nil {
		for _, c := range s.inst.clients {
			conns = append(conns, c.conn)
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.CloseNow()
	}
}
