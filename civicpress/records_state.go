package civicpress

import "sync"

// recordsState is the records side of a Core: one field of Core, so the
// records files add state without reshaping Core.
type recordsState struct {
	realtimeMu sync.Mutex
	realtime   SnapshotRequester
}
