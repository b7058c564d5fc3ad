package realtime

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
)

func nowMillis() int64 { return time.Now().UnixMilli() }

// keepaliveAfter: a client sent nothing for this long gets an empty
// awareness frame, so y-websocket's 30 s silence timeout never fires for a
// connection that is alive (a lone reader whose awareness is null).
const keepaliveAfter = 20 * time.Second

// background runs the periodic work: keepalives and the stale-connection
// sweep, awareness expiry, the safety-net writeback pass and the snapshot
// TTL sweep.
func (h *Hub) background(ctx context.Context) {
	tick := time.NewTicker(expiryCheck)
	defer tick.Stop()
	var lastKeepalive, lastSweep, lastPass, lastTTL time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			h.expireSessions(now)
			if now.Sub(lastKeepalive) < time.Second {
				continue
			}
			lastKeepalive = now
			h.keepalive(now)
			if h.cfg.CleanupEnabled && now.Sub(lastSweep) >= h.cfg.CheckInterval {
				lastSweep = now
				h.sweepStale(now)
			}
			if iv := h.cfg.SnapshotInterval; iv > 0 && now.Sub(lastPass) >= iv {
				if !lastPass.IsZero() {
					h.flushAll(ctx, "interval")
				}
				lastPass = now
			}
			if now.Sub(lastTTL) >= 6*time.Hour {
				lastTTL = now
				h.expireSnapshots(ctx, now)
			}
		}
	}
}

func (h *Hub) allClients() []*client {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		out = append(out, c)
	}
	return out
}

func (h *Hub) allRooms() []*room {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		out = append(out, r)
	}
	return out
}

// expiryCheck is how often the hub looks for sessions that have expired: a
// connection is closed at most this long after its session ends (one check
// of every client replaces a timer per connection).
const expiryCheck = 250 * time.Millisecond

func (h *Hub) expireSessions(now time.Time) {
	t := now.UnixNano()
	h.mu.Lock()
	var due []*client
	for c := range h.clients {
		if e := c.expires.Load(); e != 0 && e <= t && !c.closed.Load() && c.session() != nil {
			due = append(due, c)
		}
	}
	h.mu.Unlock()
	for _, c := range due {
		c.revoke(civicpress.ReasonExpired)
	}
}

func (h *Hub) keepalive(now time.Time) {
	limit := now.Add(-keepaliveAfter).UnixNano()
	pingBefore := now.Add(-pingPeriod).UnixNano()
	for _, c := range h.allClients() {
		if c.session() == nil {
			continue
		}
		if c.lastSent.Load() < limit {
			c.send(keepaliveFrame)
		}
		if c.lastPing.Load() < pingBefore && !c.closed.Load() {
			// Browsers answer pings on their own; the pong extends the
			// read deadline (pongWait), so a vanished peer is noticed.
			c.lastPing.Store(now.UnixNano())
			c.enqueue(outFrame{ping: true})
		}
	}
	for _, r := range h.allRooms() {
		r.mu.Lock()
		if r.aw != nil {
			r.aw.check(now, yproto.OutdatedTimeout)
		}
		r.mu.Unlock()
	}
}

// sweepStale closes connections that sent nothing, not even a pong, for
// stale_threshold (half-open TCP connections, frozen clients).
func (h *Hub) sweepStale(now time.Time) {
	limit := now.Add(-h.cfg.StaleThreshold).UnixNano()
	for _, c := range h.allClients() {
		if c.session() != nil && c.lastSeen.Load() < limit {
			h.log.Info("realtime: closing a stale connection", "client", c.id, "room", c.room.key)
			c.closeWith(1001, "STALE_CONNECTION", "")
		}
	}
}

func (h *Hub) flushAll(ctx context.Context, why string) {
	for _, r := range h.allRooms() {
		select {
		case <-r.ready:
		default:
			continue
		}
		if r.readyErr == nil {
			r.flush(ctx, why)
		}
	}
}

// expireSnapshots deletes snapshots (and logged updates) older than the
// TTL of rooms not open now, here or on another node (upstream's rule:
// active rooms keep theirs).
func (h *Hub) expireSnapshots(ctx context.Context, now time.Time) {
	if h.core == nil || !h.cfg.SnapshotsEnabled {
		return
	}
	elsewhere := map[string]bool{}
	if h.cl != nil {
		rooms, err := h.core.RealtimeLog().ActiveRooms(ctx)
		if err != nil {
			h.log.Warn("realtime: snapshot expiry", "err", err)
			return
		}
		for _, k := range rooms {
			elsewhere[k] = true
		}
	}
	old, err := h.core.Snapshots().CreatedBefore(ctx, now.Add(-civicpress.SnapshotTTL), 10000)
	if err != nil {
		h.log.Warn("realtime: snapshot expiry", "err", err)
		return
	}
	if h.cl != nil {
		keep := make([]string, 0, len(elsewhere))
		for k := range elsewhere {
			keep = append(keep, k)
		}
		for _, r := range h.allRooms() {
			keep = append(keep, r.key)
		}
		if _, err := h.core.RealtimeLog().ExpireBefore(ctx, now.Add(-civicpress.SnapshotTTL), keep); err != nil {
			h.log.Warn("realtime: update log expiry", "err", err)
		}
	}
	for _, s := range old {
		h.mu.Lock()
		_, active := h.rooms[s.RoomID]
		h.mu.Unlock()
		if active || elsewhere[s.RoomID] {
			continue
		}
		if err := h.core.Snapshots().Delete(ctx, s.ID); err != nil {
			h.log.Warn("realtime: snapshot expiry", "err", err)
			return
		}
		h.publish(civicpress.EventRealtimeSnapshotExpired, map[string]any{"roomId": s.RoomID, "version": s.Version,
			"ageMs": now.Sub(s.CreatedAt).Milliseconds()}, nil)
	}
}

// Health is the hub's health document.
type Health struct {
	Status      string       `json:"status"` // healthy | degraded | disabled
	Uptime      float64      `json:"uptime"` // seconds
	Connections HealthConns  `json:"connections"`
	Rooms       HealthRooms  `json:"rooms"`
	Limits      HealthLimits `json:"limits"`
	Memory      HealthMemory `json:"memory"`
	Cluster     *HealthNode  `json:"cluster,omitempty"` // nil for a hub without a core
}

// HealthNode describes the hub as a node among those sharing the database.
type HealthNode struct {
	NodeID string `json:"nodeId"`
	Peers  int    `json:"peers"` // other live nodes
	// Log is true when rooms are shared through the update log.
	Log              bool  `json:"log"`
	RelayAfterCommit bool  `json:"relayAfterCommit"`
	DatabaseOK       bool  `json:"databaseOk"` // the last append succeeded
	Queued           int   `json:"queued"`     // updates waiting for a commit
	Appended         int64 `json:"appended"`   // updates this node logged
	Commits          int64 `json:"commits"`    // group commits (appended/commits = batch size)
	Remote           int64 `json:"remote"`     // updates applied from other nodes
	Cursor           int64 `json:"cursor"`     // log position applied through
}

// HealthConns counts connections.
type HealthConns struct {
	Total   int `json:"total"`
	PerUser int `json:"perUser"` // distinct users connected
	PerIP   int `json:"perIP"`   // distinct client addresses
}

// HealthRooms counts rooms.
type HealthRooms struct {
	Total    int `json:"total"`
	MaxRooms int `json:"maxRooms"`
}

// HealthLimits echoes the configured limits.
type HealthLimits struct {
	MessagesPerSecond  int   `json:"messagesPerSecond"`
	ConnectionsPerIP   int   `json:"connectionsPerIp"`
	ConnectionsPerUser int   `json:"connectionsPerUser"`
	MaxMessageSize     int64 `json:"maxMessageSize"`
}

// HealthMemory is the Go runtime's view of memory.
type HealthMemory struct {
	HeapBytes  uint64 `json:"heapBytes"`
	StackBytes uint64 `json:"stackBytes"`
	SysBytes   uint64 `json:"sysBytes"`
	Goroutines int    `json:"goroutines"`
}

// Health reports connections, rooms and limits.
func (h *Hub) Health() Health {
	h.mu.Lock()
	hs := Health{Status: "healthy", Uptime: time.Since(h.started).Seconds(),
		Connections: HealthConns{Total: len(h.clients), PerUser: len(h.byUser), PerIP: len(h.byIP)},
		Rooms:       HealthRooms{Total: len(h.rooms), MaxRooms: h.cfg.MaxRooms},
		Limits: HealthLimits{MessagesPerSecond: h.cfg.MessagesPerSecond, ConnectionsPerIP: h.cfg.ConnectionsPerIP,
			ConnectionsPerUser: h.cfg.ConnectionsPerUser, MaxMessageSize: h.cfg.MaxMessageSize}}
	h.mu.Unlock()
	if !h.cfg.Enabled {
		hs.Status = "disabled"
	} else if hs.Rooms.Total >= hs.Rooms.MaxRooms || h.shuttingDown.Load() {
		hs.Status = "degraded"
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	hs.Memory = HealthMemory{HeapBytes: ms.HeapAlloc, StackBytes: ms.StackInuse, SysBytes: ms.Sys, Goroutines: runtime.NumGoroutine()}
	if h.node != "" {
		n := &HealthNode{NodeID: h.node, Peers: int(h.peers.Load()), DatabaseOK: true}
		if cl := h.cl; cl != nil {
			n.Log, n.RelayAfterCommit, n.DatabaseOK = true, h.cfg.RelayAfterCommit, cl.dbOK.Load()
			cl.qmu.Lock()
			n.Queued = len(cl.queue)
			cl.qmu.Unlock()
			n.Appended, n.Commits, n.Remote, n.Cursor = cl.appended.Load(), cl.commits.Load(), cl.remote.Load(), cl.watermark()
			if !n.DatabaseOK && hs.Status == "healthy" {
				hs.Status = "degraded"
			}
		} else if n.Peers > 0 && hs.Status == "healthy" {
			// Nodes that do not share rooms serve diverging copies.
			hs.Status = "degraded"
		}
		hs.Cluster = n
	}
	return hs
}

func (h *Hub) serveHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hs := h.Health()
	code := http.StatusOK
	if hs.Status != "healthy" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(hs)
}
