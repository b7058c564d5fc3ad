package realtime

import (
	"encoding/json"

	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
	"github.com/olahol/melody"
)

// keepaliveFrame is an awareness update with no entries: y-websocket counts
// any frame as life, and applying it changes nothing.
var keepaliveFrame = []byte{yproto.FrameAwareness, 1, 0}

// onBinary dispatches a y-websocket frame. Any bytes are safe here: bad
// frames are dropped (FuzzFrames).
func (h *Hub) onBinary(s *melody.Session, msg []byte) {
	c := h.sessions.get(s)
	if c == nil || c.closed.Load() {
		return
	}
	if !c.allow(c.touch()) {
		return
	}
	h.handleFrame(c, msg)
}

func (h *Hub) handleFrame(c *client, msg []byte) {
	f, err := yproto.DecodeFrame(msg)
	if err != nil {
		return
	}
	r := c.room
	switch f.Type {
	case yproto.FrameSync:
		switch f.Sync.Type {
		case yproto.SyncStep1:
			r.onStep1(c, f.Sync.Payload)
		case yproto.SyncStep2, yproto.SyncUpdate:
			r.onUpdate(c, f.Sync.Type, msg, f.Sync.Payload)
		}
	case yproto.FrameAwareness:
		r.onAwareness(c, msg, f.Awareness)
	case 3: // y-protocols query-awareness
		r.onQueryAwareness(c)
	}
}

// allow applies the per-connection token bucket; a client over it gets an
// error frame (if it opted in) and close 1008, as upstream.
func (c *client) allow(now int64) bool {
	if c.bucket.take(now, c.h.cfg.MessagesPerSecond) {
		return true
	}
	c.sendControl(controlError("RATE_LIMITED", "Rate limit exceeded"))
	c.closeWith(CloseRateLimited, "RATE_LIMITED", "")
	return false
}

// onText handles JSON frames: {"type":"ping"} gets a pong (for clients that
// opted in to control frames); anything else is counted and ignored.
func (h *Hub) onText(s *melody.Session, msg []byte) {
	c := h.sessions.get(s)
	if c == nil || c.closed.Load() {
		return
	}
	now := c.touch()
	var m struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(msg, &m) == nil && m.Type == "ping" {
		c.sendControl(map[string]any{"type": "pong", "timestamp": nowMillis()})
		return
	}
	c.allow(now)
}

// bucket is a connection's token bucket: rate tokens a second, up to twice
// that banked, so a burst (a paste, a reconnect's sync) passes and a flood
// does not. Only the connection's reader uses it (melody hands the
// handlers one frame at a time), so it needs no lock; inline it costs 16
// bytes per connection where a rate.Limiter cost 80 more.
type bucket struct {
	tokens float64
	last   int64 // unix nanos of the last refill
}

func (b *bucket) fill(now int64, rate int) {
	b.tokens, b.last = float64(2*rate), now
}

func (b *bucket) take(now int64, rate int) bool {
	if d := now - b.last; d > 0 {
		b.tokens = min(b.tokens+float64(d)*float64(rate)/1e9, float64(2*rate))
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
