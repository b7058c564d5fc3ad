// Package realtime is CivicPress's collaborative editing hub: a WebSocket
// service (on melody) speaking the y-websocket protocol, one Yjs document per
// record held in memory, wire-compatible with upstream's realtime module so
// upstream's editor (y-websocket + TipTap) works unchanged.
//
//	cfg, err := realtime.LoadConfig(core.Paths().SystemDataDir)
//	hub, err := realtime.New(core, cfg)
//	go hub.ListenAndServe(ctx)   // or mount hub (an http.Handler) on any mux
//	defer hub.Shutdown(ctx)      // writes every room back
//
// # Protocol
//
// Clients connect to <path>/records/<id> (path from realtime.yml, default
// /realtime; "record" is accepted for "records") with a session token or API
// key in an Authorization: Bearer header or an "auth.<token>" subprotocol,
// which is echoed. Query-string tokens are refused. Frames are y-websocket's:
// SYNC (step 1, step 2, update) and AWARENESS, binary. The server sends its
// step 1 on join and answers the client's step 1 with the exact diff for the
// client's state vector (the full document for a new client).
//
// JSON control frames (connection.ack, error, pong, session.revoked) go only
// to clients offering the "civicpress.control.v1" subprotocol next to the auth
// one: the stock y-websocket client decodes every frame as binary and throws
// on text. Everything a stock client must know travels in close codes, with a
// JSON reason: 4001 authentication failed or revoked, 4003 forbidden (reason
// says why, e.g. RECORD_NOT_FOUND), 4004 unknown room type, 4029 connection or
// room limit, 1008 rate limit, 1009 frame too large, 4409 document replaced
// (a client holding a copy of the document from before it was re-created
// from Markdown; y-websocket does not retry 44xx codes).
//
// # Rooms
//
// A room is hydrated once from the newest snapshot that verifies, else the
// record's draft, else its published body, and written back (document →
// Markdown → the record's draft) about two seconds after the last edit, at
// least every ten seconds while edits continue, when it empties (after the
// grace period) and on shutdown; never when nothing changed. Users without
// records:edit, or in a room whose record is archived, are read-only: their
// document updates are neither applied nor relayed.
//
// Publishing the record (here or in another process) keeps the room open:
// clients that opted in get a record.published control frame, and the next
// writeback, if anything changed, creates a new draft from the published
// record, crediting only those who edited after the publish.
//
// # Several nodes
//
// Hubs (nodes) in several processes or machines sharing the project's
// database can serve the same record: clients connected to different nodes
// see each other's edits, and any node can be killed. This needs the
// update log (realtime.yml cluster.enabled; on by default with PostgreSQL,
// off with SQLite): every document update a node accepts is appended to a
// table (civicgo_realtime_updates) by a group committer, one transaction
// per batch; each node reads the updates other nodes appended, woken by
// NOTIFY on PostgreSQL or polling every 15 ms on SQLite while other nodes
// are alive, and applies and relays them to its own clients. Presence
// (awareness) travels between nodes as NOTIFY payloads on PostgreSQL and
// stays per node on SQLite. A room opening on a node loads the newest
// snapshot plus the logged updates after it; a room new everywhere is
// seeded from Markdown once, the seed itself logged, so nodes agree on it.
//
// An update is acknowledged when the transaction appending it to the log
// has committed (on PostgreSQL with synchronous_commit off for that
// transaction: visible to every node at once and kept when any node dies;
// only a crash of the database server could lose its last fraction of a
// second, as SQLite's synchronous=NORMAL on power loss). An acknowledged
// update is never lost with a node: the room reopens on another node from
// the log. Clients on other nodes than the author's only ever receive
// acknowledged updates. With cluster.relay_after_commit, clients on the
// author's node also wait for the commit (about a millisecond, more under
// database load), so every update any client has received is
// acknowledged. Without it (the default), they get it at once, up to one
// group commit before it is acknowledged: if the node dies in that window
// the update is missing from the log but is held by its author and by
// those clients, and y-websocket sends it again when they reconnect to
// another node. Updates an author typed that no server had received yet
// come back the same way.
//
// One node writes each room back (draft, snapshot): the holder of the
// room's writer lease (civicgo_realtime_rooms), renewed by heartbeat. A
// node holding the room that is not its writer writes nothing; if the
// writer stops renewing (killed), another node holding the room takes the
// lease over after cluster.writer_lease_ms (10 s) and writes the room back.
// Each snapshot compacts the log: the updates the previous snapshot covered
// are deleted with it, so one generation of log stays behind the newest
// snapshot and a corrupt newest snapshot falls back without loss.
//
// The REST snapshot endpoint reaches the room's writer in any process
// through core's event outbox (civicpress.Core.RequestSnapshot), and
// Health reports the node, its peers and the log's counters.
//
// # Resources
//
// An idle connection costs about 17 KiB of server memory (5,000 connections
// in 1,000 small rooms, RSS at GOGC=100; internal/cmd/rtload -idle). Most of
// it is how melody v1.3.0 serves a socket: two goroutines, a reader parked
// in gorilla's read path (about 1.3 KiB deep, so it needs a 4 KiB stack;
// Go's 2 KiB stacks leave 1.1 KiB usable) and a writer (2 KiB), their
// goroutine records, melody's session, queue and ticker, and gorilla's
// connection with its 128-byte read buffer: about 9 KiB before anything
// of the hub's. The hub's own share is small: a client record, one entry in
// a session table, an account shared by a user's connections, and a fifth
// of a room. What a connection allocates while it is set up is kept low too,
// since the collector leaves memory freed between long-lived objects in use:
// a connection to a record whose room is open reads no record (the room
// knows its type and state), and session checks read their timestamps
// without the SQLite driver's trial parsing. Session expiry is found by one
// check of every connection each 250 ms rather than a timer per connection.
package realtime
