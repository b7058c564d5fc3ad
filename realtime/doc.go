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
package realtime
