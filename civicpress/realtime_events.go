package civicpress

// Events published by the realtime hub on the core bus (in-process: they
// describe this process's connections and rooms). Upstream's hook names are
// kept where it has one. Data carries clientId, roomId, roomType and, for
// snapshots, version/byteSize; failures carry stage and error.
const (
	EventRealtimeClientConnected    EventType = "realtime:client:connected"
	EventRealtimeClientDisconnected EventType = "realtime:client:disconnected"
	EventRealtimeRoomCreated        EventType = "realtime:room:created"
	EventRealtimeRoomDestroyed      EventType = "realtime:room:destroyed"
	// EventRealtimeSnapshotWritten: a room's Yjs state was saved (Data: version, byteSize).
	EventRealtimeSnapshotWritten EventType = "realtime:snapshot:saved"
	// EventRealtimeSnapshotFailed: saving or loading a snapshot failed, or a
	// stored one failed its integrity check (Data: stage "persist" | "integrity").
	EventRealtimeSnapshotFailed EventType = "realtime:snapshot:failed"
	// EventRealtimeSnapshotExpired / Pruned: old snapshots deleted (TTL, retention).
	EventRealtimeSnapshotExpired EventType = "realtime:snapshot:expired"
	EventRealtimeSnapshotPruned  EventType = "realtime:snapshot:pruned"
	// EventRealtimeWritebackDone: a room's document was saved as the record's draft.
	EventRealtimeWritebackDone EventType = "realtime:writeback:done"
	// EventRealtimeWritebackFailed keeps upstream's hook name (Data: stage, error).
	EventRealtimeWritebackFailed EventType = "realtime:snapshot:writeback-failed"
)

// Events that cross processes through the outbox, between the REST
// snapshot endpoint and realtime hubs running elsewhere (see
// Core.RequestSnapshot). Data: requestId and recordId; an answer adds
// nodeId, held (the node has the room open and wrote it back), created,
// version and error.
const (
	EventRealtimeSnapshotRequested EventType = "realtime:snapshot:requested"
	EventRealtimeSnapshotAnswered  EventType = "realtime:snapshot:answered"
)
