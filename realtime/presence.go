package realtime

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// presence is a room's awareness bookkeeping: y-protocols' clock rules, as
// yproto.Awareness applies them for a peer without a state of its own (a
// server), with each client's state kept as the JSON text it arrived in.
// The hub relays awareness and never reads it; parsing every cursor move
// into objects, only to compare them and write them out again for joining
// clients, was 43% of the hub's allocations under load (500 rooms × 3
// clients moving their cursors twice a second: a collection every 1.3 s
// on the hub's one core). States are still checked to be JSON (json.Valid,
// which does not allocate), so nothing is relayed that a y-protocols peer
// could not parse. Not safe for concurrent use (the room's mutex guards it).
type presence struct {
	entries map[uint64]*presenceEntry
}

type presenceEntry struct {
	clock   uint64
	state   []byte // JSON text; nil when the client has no state (gone)
	updated int64  // unix nanos of the last update
}

// presenceChange lists the clients an update affected, as
// yproto.AwarenessChange (Updated: re-announced, changed or not).
type presenceChange struct {
	added, updated, removed []uint64
}

func (c presenceChange) empty() bool {
	return len(c.added) == 0 && len(c.updated) == 0 && len(c.removed) == 0
}

func newPresence() *presence { return &presence{entries: map[uint64]*presenceEntry{}} }

var jsonNull = []byte("null")

// readPresence reads the entries of an awareness update, calling fn for
// each (fn may be nil); the state is the JSON text, nil for null. It
// reports false when the update is malformed (then the caller applies none
// of it).
func readPresence(update []byte, fn func(client, clock uint64, state []byte)) bool {
	var d lib0.Decoder
	d.Init(update)
	n := d.ReadVarUint()
	if d.Err() != nil || n > uint64(d.Remaining()) {
		return false
	}
	for ; n > 0; n-- {
		client, clock := d.ReadVarUint(), d.ReadVarUint()
		s := d.ReadVarStringBytes()
		if d.Err() != nil {
			return false
		}
		if fn == nil {
			if !json.Valid(s) {
				return false
			}
			continue
		}
		if t := bytes.TrimSpace(s); bytes.Equal(t, jsonNull) {
			s = nil
		}
		fn(client, clock, s)
	}
	return true
}

// apply integrates an awareness update: a higher clock wins; an equal
// clock with a null state removes a client that has a state. The update is
// validated whole before anything changes.
func (p *presence) apply(update []byte, now time.Time) (presenceChange, bool) {
	if !readPresence(update, nil) {
		return presenceChange{}, false
	}
	var ch presenceChange
	ts := now.UnixNano()
	readPresence(update, func(client, clock uint64, state []byte) {
		e, known := p.entries[client]
		var curr uint64
		has := false
		if known {
			curr, has = e.clock, e.state != nil
		}
		if !(curr < clock || (curr == clock && state == nil && has)) {
			return
		}
		if !known {
			e = &presenceEntry{}
			p.entries[client] = e
		}
		if state == nil {
			e.state = nil
		} else {
			// The entry keeps its own copy (update is the frame, shared
			// with the clients it is relayed to), reusing its buffer.
			e.state = append(e.state[:0:cap(e.state)], state...)
		}
		e.clock, e.updated = clock, ts
		switch {
		case !known && state != nil:
			ch.added = append(ch.added, client)
		case known && state == nil:
			ch.removed = append(ch.removed, client)
		case state != nil:
			ch.updated = append(ch.updated, client)
		}
	})
	return ch, true
}

// clients returns the clients that have a state, in increasing order.
func (p *presence) clients() []uint64 {
	out := make([]uint64, 0, len(p.entries))
	for c, e := range p.entries {
		if e.state != nil {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// encode returns the awareness update for clients (absent states as null).
func (p *presence) encode(clients []uint64) []byte {
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(clients)))
	for _, c := range clients {
		var clock uint64
		state := jsonNull
		if en := p.entries[c]; en != nil {
			clock = en.clock
			if en.state != nil {
				state = en.state
			}
		}
		e.WriteVarUint(c)
		e.WriteVarUint(clock)
		e.WriteVarBytes(state)
	}
	return e.Buf
}

// remove drops the states of clients (a disconnect), keeping their clocks;
// it returns those that had a state (encode them to tell the others).
func (p *presence) remove(clients []uint64) []uint64 {
	var out []uint64
	for _, c := range clients {
		if e := p.entries[c]; e != nil && e.state != nil {
			e.state = nil
			out = append(out, c)
		}
	}
	return out
}

// check removes the states not updated within timeout, as y-protocols'
// interval timer does, and returns those clients.
func (p *presence) check(now time.Time, timeout time.Duration) []uint64 {
	limit := now.Add(-timeout).UnixNano()
	var stale []uint64
	for c, e := range p.entries {
		if e.state != nil && e.updated <= limit {
			stale = append(stale, c)
		}
	}
	slices.Sort(stale)
	return p.remove(stale)
}
