package realtime

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
)

// Subprotocols.
const (
	// ControlProtocol, offered next to the auth subprotocol, opts a client
	// in to JSON control frames.
	ControlProtocol = "civicpress.control.v1"
	authPrefix      = "auth."
)

// Close codes the hub sends (upstream's, plus 4409).
const (
	CloseAuth             = 4001 // authentication failed, or the session was revoked
	CloseForbidden        = 4003 // no access to the room (reason names why)
	CloseUnknownRoomType  = 4004
	CloseLimit            = 4029 // connection or room limit
	CloseDocumentReplaced = 4409 // the client's copy predates the room's document
	CloseRateLimited      = websocket.ClosePolicyViolation
	CloseTooBig           = websocket.CloseMessageTooBig
)

// client is one WebSocket connection.
type client struct {
	h    *Hub
	sess atomic.Pointer[melody.Session]
	id   string
	room *room

	u         atomic.Pointer[civicpress.User]
	tokenHash string
	apiKeyID  int64
	expires   atomic.Int64 // unix nanos the session ends at (0: never); the hub's sweep closes it then
	ip        string
	control   bool // opted in to JSON control frames

	canEdit  atomic.Bool // records:edit for the record's type (the room adds the record state)
	bucket   bucket
	lastSeen atomic.Int64 // unix nanos of the last frame or pong received
	lastSent atomic.Int64 // unix nanos of the last frame queued
	closed   atomic.Bool
	slow     atomic.Bool

	qmu      sync.Mutex
	q        []outFrame // frames waiting for the writer
	qBytes   int
	writing  bool         // a writer goroutine is draining q
	done     bool         // the close frame went out or a write failed: nothing more is written
	lastPing atomic.Int64 // unix nanos of the last ping queued

	reject *rejection // set when the handshake failed: close at once

	// Guarded by room.mu.
	sync      syncState
	pendingSV []byte
	syncTimer *time.Timer
	awIDs     map[uint64]struct{}

	readOnlyNotified atomic.Bool // the READ_ONLY error frame was sent
}

type syncState uint8

const (
	syncJoined  syncState = iota // joined, client's step 1 not seen yet
	syncSuspect                  // step 1 lacked the room's lineage: waiting for its step 2
	syncDone                     // answered: the client receives updates
)

// rejection is a handshake failure reported after the upgrade, so that stock
// clients see the close code.
type rejection struct {
	code    int
	reason  string // close reason (JSON)
	errCode string // error frame code
	message string
}

func (c *client) user() *civicpress.User { return c.u.Load() }

// session returns the melody session (nil before the upgrade).
func (c *client) session() *melody.Session { return c.sess.Load() }

// touch records that the client was heard from now and returns now (unix
// nanos) for the frame's other checks.
func (c *client) touch() int64 {
	now := time.Now().UnixNano()
	c.lastSeen.Store(now)
	return now
}

// send queues a binary frame.
func (c *client) send(frame []byte) {
	if c.closed.Load() {
		return
	}
	c.enqueue(outFrame{data: frame})
}

// sendControl queues a JSON control frame for clients that opted in.
func (c *client) sendControl(v any) {
	if !c.control {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	c.enqueue(outFrame{data: b, text: true})
}

type outFrame struct {
	data  []byte
	text  bool
	close bool
	ping  bool
}

// enqueue queues a frame for the client's writer, starting one when none
// is running. Frames keep their order.
//
// The hub writes to the socket itself instead of through melody's
// per-session writer: melody's writer goroutine lives as long as the
// connection, and the write path (gorilla, net, a syscall) grows its stack
// to 4 KiB, which the runtime never shrinks back for a goroutine parked
// that deep; with 5,000 idle connections that was 10 MB of stacks doing
// nothing. A writer goroutine here exists only while frames wait, and a
// frame costs no channel hand-off or melody bookkeeping. Melody's writer
// is left idle (PingPeriod very long, nothing in its queue), so this is
// the connection's only writer, as gorilla requires; pings are queued here
// too (see keepalive).
func (c *client) enqueue(f outFrame) {
	s := c.session()
	if s == nil {
		return
	}
	if !f.ping {
		c.lastSent.Store(time.Now().UnixNano())
	}
	c.qmu.Lock()
	if c.done {
		c.qmu.Unlock()
		return
	}
	c.q = append(c.q, f)
	c.qBytes += len(f.data)
	over := c.qBytes > maxQueuedBytes || len(c.q) > maxQueuedFrames
	start := !c.writing && !over
	if start {
		c.writing = true
	}
	c.qmu.Unlock()
	if over {
		c.slowConsumer()
		return
	}
	if start {
		go c.drain(s.WebsocketConnection())
	}
}

// drain writes the queued frames until none is left. A close frame, or a
// failed write, ends the connection: the socket is closed, melody's
// reader sees it and the hub releases the client (onDisconnect).
func (c *client) drain(conn *websocket.Conn) {
	for {
		c.qmu.Lock()
		batch := c.q
		c.q, c.qBytes = nil, 0
		if len(batch) == 0 || c.done {
			c.writing = false
			c.qmu.Unlock()
			return
		}
		c.qmu.Unlock()
		for i, f := range batch {
			batch[i] = outFrame{}
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			typ := websocket.BinaryMessage
			switch {
			case f.close:
				typ = websocket.CloseMessage
			case f.ping:
				typ = websocket.PingMessage
			case f.text:
				typ = websocket.TextMessage
			}
			if err := conn.WriteMessage(typ, f.data); err != nil || f.close {
				c.qmu.Lock()
				c.done, c.writing, c.q, c.qBytes = true, false, nil, 0
				c.qmu.Unlock()
				conn.Close()
				return
			}
		}
	}
}

// closeWith releases the client at once (so nothing more is sent to it and
// its frames are ignored), then sends a close frame after any control frame
// already queued; queued document frames are dropped, the client is leaving.
// closeWith is safe from any goroutine and idempotent.
func (c *client) closeWith(code int, reasonCode, detail string) {
	if !c.h.release(c) || c.session() == nil {
		return
	}
	reason := ""
	if reasonCode != "" {
		m := map[string]string{"code": reasonCode}
		if detail != "" {
			m["reason"] = detail
		}
		b, _ := json.Marshal(m)
		reason = string(b)
		if len(reason) > 123 { // a close reason must fit in a control frame
			b, _ = json.Marshal(map[string]string{"code": reasonCode})
			reason = string(b)
		}
	}
	c.qmu.Lock()
	kept := c.q[:0]
	bytes := 0
	for _, f := range c.q {
		if f.text {
			kept = append(kept, f)
			bytes += len(f.data)
		}
	}
	c.q, c.qBytes = kept, bytes
	c.qmu.Unlock()
	c.enqueue(outFrame{data: melody.FormatCloseMessage(code, reason), close: true})
}

// slowConsumer closes a client whose send queue overflowed. It runs inside
// a send (melody reports the overflow synchronously, often with the room
// locked), so it only flags the client here and releases it from another
// goroutine. The close frame cannot be queued behind a full queue, so it is
// written directly (gorilla allows WriteControl concurrently with the
// writer) with a short deadline, and the connection is closed.
func (c *client) slowConsumer() {
	if c.slow.Swap(true) {
		return
	}
	c.closed.Store(true) // nothing more is queued for it
	s := c.session()
	go func() {
		c.h.release(c)
		if s == nil {
			return
		}
		c.h.log.Info("realtime: closing a client that cannot keep up", "client", c.id, "room", c.room.key)
		conn := s.WebsocketConnection()
		conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseTryAgainLater, `{"code":"SLOW_CONSUMER"}`),
			time.Now().Add(time.Second))
		conn.Close()
	}()
}

// revoke ends the connection because its credentials no longer hold.
func (c *client) revoke(reason string) {
	if c.closed.Load() {
		return
	}
	c.sendControl(map[string]any{"type": "control", "event": "session.revoked", "reason": reason})
	c.closeWith(CloseAuth, "SESSION_REVOKED", reason)
}

func (c *client) eventData() map[string]any {
	return map[string]any{"clientId": c.id, "roomId": c.room.key, "roomType": roomTypeRecords,
		"recordId": c.room.recordID, "timestamp": time.Now().UnixMilli()}
}

func controlError(code, message string) map[string]any {
	return map[string]any{"type": "control", "event": "error", "error": map[string]string{"code": code, "message": message}}
}

func newClientID() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [7]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "client_" + strconv.FormatInt(time.Now().UnixMilli(), 10) + "_" + string(b[:])
}

const roomTypeRecords = "records"

// roomKey is the id of a record's room ("records:<id>"), its key in
// Hub.rooms and in events.
func roomKey(recordID string) string { return roomTypeRecords + ":" + recordID }

// roomOf returns the record's room on this hub, nil when none is open.
func (h *Hub) roomOf(recordID string) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[roomKey(recordID)]
}

// parseRoom reads "/<type>/<id>[/ignored...]" (after the prefix).
func parseRoom(rest string) (roomType, id string, ok bool) {
	var segs []string
	for _, s := range strings.Split(rest, "/") {
		if s != "" {
			segs = append(segs, s)
		}
	}
	if len(segs) < 2 {
		return "", "", false
	}
	roomType, id = segs[0], segs[1]
	switch roomType {
	case "record":
		roomType = roomTypeRecords
	case "devices":
		roomType = "device"
	}
	return roomType, id, true
}

// tokenFrom returns the token (Bearer header first, then an auth.<token>
// subprotocol, then upstream's bare long subprotocol), the subprotocol to
// echo, and whether the client opted in to control frames.
func tokenFrom(r *http.Request) (token, echo string, control bool) {
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		token = strings.TrimSpace(a[7:])
	}
	protos := websocket.Subprotocols(r)
	for _, p := range protos {
		if p == ControlProtocol {
			control = true
		}
	}
	if len(protos) > 0 {
		// Echo the first offer, as upstream's ws server does: browsers need one
		// of their offers back, and the auth one comes first.
		echo = protos[0]
	}
	if token == "" {
		for _, p := range protos {
			if strings.HasPrefix(p, authPrefix) && len(p) > len(authPrefix) {
				token = p[len(authPrefix):]
				break
			}
		}
	}
	if token == "" {
		for _, p := range protos {
			if len(p) > 20 && p != ControlProtocol && !strings.ContainsAny(p, "/ ") {
				token = p
				break
			}
		}
	}
	return token, echo, control
}

// serveRoom authenticates, authorizes, reserves the connection against the
// limits and finds (or creates and hydrates) the room, all before the
// upgrade: once the socket is open, the client's first frame is read by a
// connection that is already in its room, so nothing it sends is lost.
// Failures are still reported after the upgrade, as close codes.
func (h *Hub) serveRoom(w http.ResponseWriter, r *http.Request, rest string) {
	token, echo, control := tokenFrom(r)
	if echo != "" {
		w.Header().Set("Sec-WebSocket-Protocol", echo)
	}
	c := &client{h: h, id: newClientID(), control: control, ip: h.clientIP(r)}
	c.bucket.fill(time.Now().UnixNano(), h.cfg.MessagesPerSecond)
	c.touch()
	// The database work runs on a short-lived goroutine: this one lives as
	// long as the connection, and a stack grown by the SQL driver would stay
	// with it (and raise the size Go starts new goroutines with).
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.prepare(r.Context(), c, token, rest, r.URL.Query().Has("token"))
	}()
	<-done
	if c.reject != nil {
		c.closed.Store(true)
	}
	hw, req, ok := detach(w, r, c)
	if !ok {
		r = r.WithContext(withClient(r.Context(), c))
		if err := h.m.HandleRequestWithKeys(w, r, nil); err != nil && c.reject == nil {
			// Not upgraded (the response is written): undo the reservation.
			h.release(c)
		}
		return
	}
	// melody serves a session on the goroutine that calls it until the
	// socket closes; on net/http's goroutine that would keep the request's
	// 10 KiB of buffers and a grown stack alive per connection. The socket is
	// taken over here and served from a fresh goroutine instead.
	conn := hw.conn
	go func() {
		if err := h.m.HandleRequestWithKeys(hw, req, nil); err != nil {
			if c.reject == nil {
				h.release(c)
			}
			conn.Close()
		}
	}()
}

// hijackedWriter is the http.ResponseWriter melody upgrades through once
// net/http has handed the connection over: Hijack returns it again, and an
// error response (a request gorilla refuses) is written raw.
type hijackedWriter struct {
	conn   net.Conn
	rw     *bufio.ReadWriter
	header http.Header
	wrote  bool
}

func (w *hijackedWriter) Header() http.Header { return w.header }

func (w *hijackedWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	w.header.Set("Connection", "close")
	w.header.Write(&b)
	b.WriteString("\r\n")
	w.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(w.conn, b.String())
}

func (w *hijackedWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.conn.Write(p)
}

func (w *hijackedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.wrote {
		return nil, nil, http.ErrHijacked
	}
	w.wrote = true
	return w.conn, w.rw, nil
}

// detach takes the connection over from net/http for an upgrade request
// that looks valid (gorilla checks it again). It reports false when the
// writer cannot be hijacked; the caller then upgrades in place.
func detach(w http.ResponseWriter, r *http.Request, c *client) (*hijackedWriter, *http.Request, bool) {
	hj, ok := w.(http.Hijacker)
	if !ok || r.Method != http.MethodGet || r.Header.Get("Sec-Websocket-Version") != "13" || r.Header.Get("Sec-Websocket-Key") == "" {
		return nil, nil, false
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, false
	}
	// gorilla allocates its own small read buffer (Upgrader.ReadBufferSize)
	// and writes the handshake through brw's buffer: net/http's buffers are
	// dropped after the upgrade.
	hw := &hijackedWriter{conn: conn, rw: brw, header: w.Header().Clone()}
	return hw, r.WithContext(withClient(context.Background(), c)), true
}

// prepare runs the handshake checks, setting c.reject on failure.
func (h *Hub) prepare(ctx context.Context, c *client, token, rest string, queryToken bool) {
	fail := func(code int, reasonCode, detail, errCode, msg string) {
		reason := ""
		if reasonCode != "" {
			m := map[string]string{"code": reasonCode}
			if detail != "" {
				m["reason"] = detail
			}
			b, _ := json.Marshal(m)
			reason = string(b)
		}
		c.reject = &rejection{code: code, reason: reason, errCode: errCode, message: msg}
	}
	roomType, recordID, ok := parseRoom(rest)
	if !ok {
		fail(CloseForbidden, "INVALID_ROOM", "expected "+h.cfg.Path+"/<type>/<id>", "UNKNOWN_ERROR", "Invalid room URL format")
		return
	}
	if token == "" {
		detail := "no token"
		if queryToken {
			detail = "query-string tokens are not accepted"
		}
		fail(CloseAuth, "AUTH_FAILED", detail, "AUTH_FAILED", "Authentication failed")
		return
	}
	p, err := h.core.Auth().Authenticate(ctx, token)
	if err != nil || p == nil || p.User == nil {
		fail(CloseAuth, "AUTH_FAILED", "", "AUTH_FAILED", "Authentication failed")
		return
	}
	if roomType != roomTypeRecords {
		fail(CloseUnknownRoomType, "ROOM_TYPE_NOT_REGISTERED", "", "ROOM_TYPE_NOT_REGISTERED", "Unknown room type "+roomType)
		return
	}
	c.u.Store(p.User)
	c.tokenHash, c.apiKeyID = p.TokenHash, p.APIKeyID
	if !p.ExpiresAt.IsZero() {
		c.expires.Store(p.ExpiresAt.UnixNano())
	}

	// A record whose room is open here is known already: its type and state
	// follow core's events (onRecordEvent) and its text is the room's. Only
	// a connection that opens the room reads the record, with both bodies,
	// from core (per connection that was two queries and a few hundred
	// allocations, most of the garbage a connection made).
	rec := h.openRecord(recordID)
	var rm *room
	for {
		if rec == nil {
			var err error
			rec, err = h.recs.Load(ctx, recordID)
			switch {
			case errors.Is(err, civicpress.ErrNotFound):
				fail(CloseForbidden, "PERMISSION_DENIED", civicpress.CodeRecordNotFound, "RECORD_NOT_FOUND", "Record not found")
				return
			case err != nil:
				h.log.Error("realtime: loading record", "record", recordID, "err", err)
				fail(websocket.CloseInternalServerErr, "INTERNAL_ERROR", "", "INTERNAL_ERROR", "Could not load the record")
				return
			}
		}
		if !h.core.Can(p.User, "records:view", civicpress.PermContext{RecordType: rec.Type, Action: "view"}) {
			fail(CloseForbidden, "PERMISSION_DENIED", civicpress.CodeInsufficientPerms, "PERMISSION_DENIED", "records:view is required")
			return
		}
		c.canEdit.Store(h.core.Can(p.User, "records:edit", civicpress.PermContext{RecordType: rec.Type, Action: "edit"}))
		var code, detail string
		rm, code, detail = h.reserve(c, rec)
		if rm == nil && code == codeRoomGone {
			rec = nil // the room closed since openRecord: read the record to open it again
			continue
		}
		if rm == nil {
			fail(CloseLimit, code, detail, code, detail)
			return
		}
		break
	}
	c.room = rm
	if err := rm.waitReady(ctx); err != nil {
		h.release(c)
		h.log.Error("realtime: opening room", "room", rm.key, "err", err)
		fail(websocket.CloseInternalServerErr, "INTERNAL_ERROR", "", "INTERNAL_ERROR", "Could not open the document")
	}
}

// openRecord describes a record from its open room (nil when none is open).
func (h *Hub) openRecord(id string) *recordInfo {
	r := h.roomOf(id)
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return &recordInfo{ID: id, Type: r.recordType, Archived: !r.editable, fromRoom: true}
}

// codeRoomGone is reserve's answer when a record described by its room
// (openRecord) has no room any more.
const codeRoomGone = "ROOM_GONE"

// reserve counts the connection against the per-IP and per-user limits and
// attaches it to its room, creating the room (and starting its hydration)
// when needed. It returns the room, or a limit code and message.
func (h *Hub) reserve(c *client, rec *recordInfo) (*room, string, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shuttingDown.Load() {
		return nil, "SERVER_SHUTTING_DOWN", "server shutting down"
	}
	uid := c.user().ID
	if h.byIP[c.ip] >= h.cfg.ConnectionsPerIP {
		return nil, "CONNECTION_LIMIT_EXCEEDED", fmt.Sprintf("per-ip connection limit reached (%d)", h.cfg.ConnectionsPerIP)
	}
	if len(h.byUser[uid]) >= h.cfg.ConnectionsPerUser {
		return nil, "CONNECTION_LIMIT_EXCEEDED", fmt.Sprintf("per-user connection limit reached (%d)", h.cfg.ConnectionsPerUser)
	}
	key := roomKey(rec.ID)
	rm := h.rooms[key]
	if rm == nil {
		if rec.fromRoom {
			return nil, codeRoomGone, ""
		}
		if len(h.rooms) >= h.cfg.MaxRooms {
			return nil, "ROOM_LIMIT_EXCEEDED", fmt.Sprintf("room limit reached (%d)", h.cfg.MaxRooms)
		}
		rm = newRoom(h, key, rec)
		h.rooms[key] = rm
		go rm.hydrate(rec)
	}
	rm.joining++
	rm.cancelGrace()
	h.clients[c] = struct{}{}
	h.byIP[c.ip]++
	set := h.byUser[uid]
	if set == nil {
		set = map[*client]struct{}{}
		h.byUser[uid] = set
	}
	for o := range set {
		// The user's other connections (tabs, devices) read the same
		// account: share one copy (a *User is never changed in place;
		// recheck stores a new one).
		if u := o.user(); u != nil && *u == *c.user() {
			c.u.Store(u)
		}
		break
	}
	set[c] = struct{}{}
	return rm, "", ""
}

// release undoes reserve and removes the client from its room, once; it
// reports whether this call did it. Everything a client holds (counts, room
// seat, awareness) is released synchronously, before any close handshake.
func (h *Hub) release(c *client) bool {
	if c.reject != nil {
		return false
	}
	h.mu.Lock()
	if _, ok := h.clients[c]; !ok {
		h.mu.Unlock()
		return false
	}
	c.closed.Store(true)
	delete(h.clients, c)
	if h.byIP[c.ip]--; h.byIP[c.ip] <= 0 {
		delete(h.byIP, c.ip)
	}
	uid := c.user().ID
	if set := h.byUser[uid]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.byUser, uid)
		}
	}
	joined := c.room.leaveLocked(c)
	if !joined {
		c.room.joining--
	}
	empty := c.room.joining == 0 && c.room.size() == 0
	h.mu.Unlock()
	if empty {
		c.room.startGrace()
	}
	if joined {
		h.publish(civicpress.EventRealtimeClientDisconnected, c.eventData(), c)
	}
	return true
}

// clientIP is the socket's address, or the X-Forwarded-For client when the
// socket belongs to a trusted proxy (walking the list from the right past
// trusted hops).
func (h *Hub) clientIP(r *http.Request) string {
	ip := remoteIP(r.RemoteAddr)
	if len(h.cfg.TrustedProxies) == 0 || !h.trusted(ip) {
		return ip
	}
	xff := r.Header.Values("X-Forwarded-For")
	var hops []string
	for _, v := range xff {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				hops = append(hops, p)
			}
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop := remoteIP(hops[i])
		if !h.trusted(hop) {
			return hop
		}
		ip = hop
	}
	return ip
}

func (h *Hub) trusted(ip string) bool {
	a, err := parsePrefix(ip)
	if err != nil {
		return false
	}
	for _, p := range h.cfg.TrustedProxies {
		if p.Contains(a.Addr()) {
			return true
		}
	}
	return false
}

// remoteIP strips a port from host:port (and brackets from IPv6).
func remoteIP(s string) string {
	if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.Count(s, ":") == 1 {
		return s[:i]
	}
	if strings.HasPrefix(s, "[") {
		if i := strings.Index(s, "]"); i > 0 {
			return s[1:i]
		}
	}
	return s
}

// waitCtx is a context for background work done on behalf of the hub.
func waitCtx(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
