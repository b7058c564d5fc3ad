package yjs

// ID identifies one unit of content: the client that created it and that
// client's logical clock (counted in UTF-16 code units for text).
type ID struct {
	Client uint64
	Clock  int
}

// maxSafe is JavaScript's Number.MAX_SAFE_INTEGER: clocks and lengths above it
// cannot come from a real Yjs peer.
const maxSafe = 1<<53 - 1
