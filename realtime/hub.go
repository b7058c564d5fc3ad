package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/gorilla/websocket"
	"github.com/olahol/melody"
)

// ErrDisabled is returned by ListenAndServe when the configuration disables
// the hub (enabled: false, CIVIC_REALTIME_ENABLED=false).
var ErrDisabled = errors.New("realtime: disabled by configuration")

// Memory per connection: gorilla keeps a read buffer per connection and
// borrows a write buffer from a pool only while writing. The hub writes
// frames itself (client.enqueue) and never queues any through melody, so
// melody's per-session queue, an array of envelopes (40 bytes each)
// allocated per connection, is kept minimal.
//
// The read buffer only needs to hold a frame header: gorilla reads a payload
// longer than the buffer straight into the message. 128 bytes (gorilla's
// floor is a control frame, 125) hold a typing update whole; an awareness
// update (150–300 bytes) costs a second read. It was 512: 384 bytes more per
// idle connection for one read system call fewer per awareness frame.
const (
	readBufferSize  = 128
	writeBufferSize = 4096
	// sendQueue is melody's MessageBufferSize.
	sendQueue = 2
	// writeWait bounds one frame's write; a client that cannot take a
	// frame in this long is gone.
	writeWait = 10 * time.Second
	// pingPeriod: a ping is queued to a client that was not pinged for this
	// long (its pong extends melody's read deadline, pongWait).
	pingPeriod = 25 * time.Second
	pongWait   = 60 * time.Second
	// melodyPingPeriod keeps melody's own writer from ever pinging: the
	// hub's writer is the connection's only writer.
	melodyPingPeriod = 1 << 62
)

// A client whose overflow list holds more than this is too slow to keep
// up: it is closed (it resyncs when it reconnects) rather than let the
// server buffer without bound or drop frames silently.
var (
	maxQueuedBytes  = 8 << 20
	maxQueuedFrames = 8192
)

// Hub is the realtime service: an http.Handler serving room WebSockets and
// a JSON health document (GET <path>/health and /health).
type Hub struct {
	core *civicpress.Core
	cfg  Config
	log  *slog.Logger
	m    *melody.Melody
	recs recordSource
	snap snapshotStore

	sessions sessions // melody session → client

	mu      sync.Mutex
	rooms   map[string]*room
	clients map[*client]struct{}
	byUser  map[int64]map[*client]struct{}
	byIP    map[string]int

	shuttingDown atomic.Bool

	// Rooms due for writeback, oldest first, for the writeback worker; a
	// room is listed at most once (room.wbQueued), so the list is bounded
	// by the number of rooms however far behind the worker is.
	wbMu   sync.Mutex
	wbList []*room
	wbWake chan struct{}

	node  string       // this hub's id in the node registry ("" without a core)
	cl    *cluster     // the shared update log; nil: rooms live in memory only
	peers atomic.Int32 // other live nodes

	warnedAlone bool // nodeLoop only

	started  time.Time
	unsub    []func()
	bgCancel context.CancelFunc
	bgDone   chan struct{}
	srvMu    sync.Mutex
	srv      *http.Server
	shutOnce sync.Once
	shutErr  error
}

// New builds a hub over core. It subscribes to core's events (revocation,
// role and record changes) and starts background sweeps; Shutdown stops them.
func New(core *civicpress.Core, cfg Config) (*Hub, error) {
	if core == nil {
		return nil, errors.New("realtime: nil core")
	}
	return newHub(core, cfg, coreRecords{core}, coreSnapshots{core})
}

func newHub(core *civicpress.Core, cfg Config, recs recordSource, snap snapshotStore) (*Hub, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.SnapshotsEnabled && cfg.SnapshotStorage == "filesystem" {
		// Upstream wrote these files inside the data repository; snapshots
		// live in the project database here, whatever the setting.
		log.Warn("realtime: snapshots.storage \"filesystem\" is not supported; using the database")
	}
	h := &Hub{
		core: core, cfg: cfg, log: log, recs: recs, snap: snap,
		rooms:   map[string]*room{},
		clients: map[*client]struct{}{},
		byUser:  map[int64]map[*client]struct{}{},
		byIP:    map[string]int{},
		started: time.Now(),
		wbWake:  make(chan struct{}, 1),
	}
	m := melody.New()
	m.Config.MaxMessageSize = cfg.MaxMessageSize
	m.Config.MessageBufferSize = sendQueue
	m.Config.WriteWait = writeWait
	m.Config.PingPeriod = melodyPingPeriod
	m.Config.PongWait = pongWait
	m.Upgrader = &websocket.Upgrader{
		ReadBufferSize:   readBufferSize,
		WriteBufferSize:  writeBufferSize,
		WriteBufferPool:  &sync.Pool{},
		HandshakeTimeout: 10 * time.Second,
		// Browsers send cookies, not tokens, cross-site; tokens travel in a
		// subprotocol or header a foreign page cannot forge, so any origin
		// may connect (upstream has no origin check either).
		CheckOrigin: func(*http.Request) bool { return true },
	}
	m.HandleConnect(h.onConnect)
	m.HandleDisconnect(h.onDisconnect)
	m.HandleMessageBinary(h.onBinary)
	m.HandleMessage(h.onText)
	m.HandlePong(func(s *melody.Session) {
		if c := h.sessions.get(s); c != nil {
			c.touch()
		}
	})
	h.m = m
	if core != nil {
		h.node = newNodeID(cfg)
		if err := h.startNode(); err != nil {
			return nil, err
		}
	}
	h.subscribe()
	if core != nil {
		core.AttachRealtime(h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.bgCancel = cancel
	h.bgDone = make(chan struct{})
	go func() {
		defer close(h.bgDone)
		if core == nil {
			h.background(ctx)
			return
		}
		done := make(chan struct{})
		go func() { defer close(done); h.nodeLoop(ctx) }()
		h.background(ctx)
		<-done
	}()
	go h.writebackWorker(ctx)
	return h, nil
}

// queueWriteback hands a due room to the writeback worker. Writebacks run
// one at a time: hundreds of rooms falling due together would otherwise
// compete with message handling for the CPU and with each other for the
// database's single writer.
func (h *Hub) queueWriteback(r *room) {
	h.wbMu.Lock()
	if !r.wbQueued {
		r.wbQueued = true
		h.wbList = append(h.wbList, r)
	}
	h.wbMu.Unlock()
	select {
	case h.wbWake <- struct{}{}:
	default:
	}
}

// nextWriteback takes the oldest due room off the list (nil when none) and
// reports whether more are waiting.
func (h *Hub) nextWriteback() (*room, bool) {
	h.wbMu.Lock()
	defer h.wbMu.Unlock()
	if len(h.wbList) == 0 {
		return nil, false
	}
	r := h.wbList[0]
	h.wbList[0] = nil
	h.wbList = h.wbList[1:]
	if len(h.wbList) == 0 {
		h.wbList = nil // release the backing array
	}
	r.wbQueued = false
	return r, h.wbList != nil
}

// Writeback pacing: while rooms wait, the worker rests wbPace times as long
// as the last writeback took (at least wbRestMin, at most wbRestMax), so a
// backlog uses at most about a third of a core. Rooms that started together
// (a meeting, a load test) fall due together every WritebackMaxDelay; run
// back to back, 500 writebacks kept one core busy for half a second and
// every keystroke relayed meanwhile waited behind them (p99 delivery 40 ms
// and more with 500 rooms × 3 clients on one core). Paced, a keystroke
// waits at most for one writeback.
const (
	wbPace    = 2
	wbRestMin = time.Millisecond
	wbRestMax = 100 * time.Millisecond
)

func (h *Hub) writebackWorker(ctx context.Context) {
	rest := time.NewTimer(0)
	<-rest.C
	for {
		r, more := h.nextWriteback()
		if r == nil {
			select {
			case <-ctx.Done():
				return
			case <-h.wbWake:
			}
			continue
		}
		start := time.Now()
		h.writebackOne(r)
		if !more {
			continue
		}
		rest.Reset(min(max(wbPace*time.Since(start), wbRestMin), wbRestMax))
		select {
		case <-ctx.Done():
			rest.Stop()
			return
		case <-rest.C:
		}
	}
}

// writebackOne writes one due room back.
func (h *Hub) writebackOne(r *room) (flushResult, error) {
	ctx, cancel := waitCtx(time.Minute)
	defer cancel()
	return r.flush(ctx, "debounce")
}

// Config returns the hub's configuration.
func (h *Hub) Config() Config { return h.cfg }

// ServeHTTP serves room WebSockets under the configured path and the health
// document.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix := strings.TrimRight(h.cfg.Path, "/")
	path := r.URL.Path
	if path == "/health" || path == prefix+"/health" {
		h.serveHealth(w, r)
		return
	}
	if !strings.HasPrefix(path, prefix+"/") {
		http.NotFound(w, r)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "WebSocket upgrade required", http.StatusUpgradeRequired)
		return
	}
	h.serveRoom(w, r, strings.TrimPrefix(path, prefix))
}

// ListenAndServe listens on the configured address (Addr, CIVIC_REALTIME_ADDR,
// else host:port) until ctx ends or Shutdown is called, then shuts the hub
// down (writing every room back). It returns ErrDisabled when the hub is
// disabled by configuration.
func (h *Hub) ListenAndServe(ctx context.Context) error {
	if !h.cfg.Enabled {
		return ErrDisabled
	}
	ln, err := net.Listen("tcp", h.cfg.ListenAddr())
	if err != nil {
		return fmt.Errorf("realtime: %w", err)
	}
	return h.Serve(ctx, ln)
}

// Serve is ListenAndServe on an existing listener.
func (h *Hub) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(h.log.Handler(), slog.LevelDebug)}
	h.srvMu.Lock()
	h.srv = srv
	h.srvMu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("realtime: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return h.Shutdown(sctx)
	}
}

// Shutdown closes every connection (1001, going away), writes every room
// with unsaved edits back (snapshot and draft), stops the background work
// and unsubscribes from core. It is safe to call more than once.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.shutOnce.Do(func() { h.shutErr = h.shutdown(ctx) })
	return h.shutErr
}

func (h *Hub) shutdown(ctx context.Context) error {
	h.shuttingDown.Store(true)
	h.mu.Lock()
	clients := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		clients = append(clients, c)
	}
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()

	h.srvMu.Lock()
	srv := h.srv
	h.srvMu.Unlock()
	if srv != nil {
		// Stop accepting; hijacked WebSockets are not waited for.
		srv.SetKeepAlivesEnabled(false)
		ln := srv.Close // Close also drops idle HTTP connections
		defer ln()
	}
	for _, c := range clients {
		c.closeWith(websocket.CloseGoingAway, "", "server shutting down")
	}
	if h.cl != nil {
		// Updates accepted before the sockets closed go to the log first,
		// so that the rooms' last writeback includes them.
		h.cl.drain(ctx)
	}
	var errs []error
	for _, r := range rooms {
		r.stopTimers()
		if _, err := r.flush(ctx, "shutdown"); err != nil {
			errs = append(errs, err)
		}
		r.releaseLease(ctx)
		h.destroyRoom(r)
	}
	for _, u := range h.unsub {
		u()
	}
	if h.core != nil {
		h.core.AttachRealtime(nil)
	}
	h.bgCancel()
	<-h.bgDone
	if h.cl != nil {
		h.cl.stop()
	}
	if h.core != nil {
		if err := h.core.RealtimeLog().Leave(ctx, h.node); err != nil {
			h.log.Warn("realtime: leaving the node registry", "err", err)
		}
	}
	h.closeSessions(ctx)
	return errors.Join(errs...)
}

// closeSessions waits (until ctx ends, two seconds at most) for the
// sockets closed above to finish their close frames, then closes whatever
// melody still serves (a handshake that raced the shutdown) without a
// frame. Melody's own Close is not used: it queues close frames to its
// writer, which would write next to the hub's (see client.enqueue).
func (h *Hub) closeSessions(ctx context.Context) {
	limit := time.NewTimer(2 * time.Second)
	defer limit.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for h.m.Len() > 0 {
		select {
		case <-ctx.Done():
		case <-limit.C:
		case <-tick.C:
			continue
		}
		break
	}
	if ss, err := h.m.Sessions(); err == nil {
		for _, s := range ss {
			s.WebsocketConnection().Close()
		}
	}
}

func (h *Hub) onConnect(s *melody.Session) {
	c := requestClient(s)
	// The request (headers, URL) is not needed once upgraded; melody would
	// keep it for the connection's life.
	s.Request = nil
	if c == nil {
		s.CloseWithMsg(melody.FormatCloseMessage(websocket.CloseInternalServerErr, ""))
		return
	}
	h.sessions.put(s, c)
	c.sess.Store(s)
	c.lastPing.Store(time.Now().UnixNano())
	if c.reject != nil {
		c.sendControl(controlError(c.reject.errCode, c.reject.message))
		c.enqueue(outFrame{data: melody.FormatCloseMessage(c.reject.code, c.reject.reason), close: true})
		return
	}
	h.mu.Lock()
	if _, ok := h.clients[c]; !ok {
		// Revoked (or the hub closed) between the handshake and now.
		h.mu.Unlock()
		c.sendControl(map[string]any{"type": "control", "event": "session.revoked"})
		c.enqueue(outFrame{data: melody.FormatCloseMessage(CloseAuth, `{"code":"SESSION_REVOKED"}`), close: true})
		return
	}
	c.room.joining--
	c.room.join(c)
	h.mu.Unlock()
	h.publish(civicpress.EventRealtimeClientConnected, c.eventData(), c)
}

func (h *Hub) onDisconnect(s *melody.Session) {
	if c := h.sessions.get(s); c != nil {
		h.sessions.drop(s)
		h.release(c)
	}
}

// publish sends a realtime event on the core bus (in-process).
func (h *Hub) publish(t civicpress.EventType, data map[string]any, c *client) {
	if h.core == nil {
		return
	}
	ev := civicpress.Event{Type: t, Data: data}
	if c != nil {
		ev.RecordID = c.room.recordID
		if u := c.user(); u != nil {
			ev.UserID = u.ID
			ev.Username = u.Username
		}
	}
	if rid, ok := data["recordId"].(string); ok && ev.RecordID == "" {
		ev.RecordID = rid
	}
	h.core.Events().Publish(ev)
}

// destroyRoom drops a room from the hub (shutdown).
func (h *Hub) destroyRoom(r *room) {
	h.mu.Lock()
	r.mu.Lock()
	already := r.destroyed
	r.destroyed = true
	if h.rooms[r.key] == r {
		delete(h.rooms, r.key)
	}
	r.mu.Unlock()
	h.mu.Unlock()
	if !already {
		h.publish(civicpress.EventRealtimeRoomDestroyed, map[string]any{"roomId": r.key, "recordId": r.recordID,
			"timestamp": time.Now().UnixMilli()}, nil)
	}
}

// SnapshotRecord writes the record's room back now (snapshot and draft)
// when it has unsaved edits, for the REST snapshot endpoint (the hub
// attaches itself to core as its civicpress.SnapshotRequester). Without a
// live room here, or when another node is the room's writer, it writes
// nothing and says so (Reason civicpress.SnapshotRoomNotOpen: core then
// asks the other nodes). Created is true when something was written
// (upstream reported false when snapshots were disabled even though the
// draft was written).
func (h *Hub) SnapshotRecord(ctx context.Context, recordID string) (civicpress.SnapshotResult, error) {
	res := civicpress.SnapshotResult{Timestamp: time.Now()}
	r := h.roomOf(recordID)
	if r == nil {
		res.Reason = civicpress.SnapshotRoomNotOpen
		return res, nil
	}
	if err := r.waitReady(ctx); err != nil {
		res.Reason = civicpress.SnapshotRoomNotOpen
		return res, nil
	}
	if h.cl != nil {
		writer, _, err := r.ensureWriter(ctx)
		if err != nil {
			return res, err
		}
		if !writer {
			res.Reason = civicpress.SnapshotRoomNotOpen
			return res, nil
		}
	}
	fr, err := r.flush(ctx, "request")
	res.Created = fr.Snapshot != nil || fr.Draft
	var v int64
	if fr.Snapshot != nil {
		v = int64(fr.Snapshot.Version)
	} else if h.snap != nil && h.cfg.SnapshotsEnabled {
		if sn, lerr := h.snap.Latest(ctx, r.key); lerr == nil && sn != nil {
			v = int64(sn.Version)
		}
	}
	if v > 0 {
		res.Version = &v
	}
	return res, err
}
