package yproto

import (
	"fmt"
	"slices"
	"time"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// OutdatedTimeout is y-protocols' awareness timeout: a remote state not
// renewed for this long is removed, and a local state is renewed after half of it.
const OutdatedTimeout = 30 * time.Second

// AwarenessEntry is one client's entry in an awareness update.
type AwarenessEntry struct {
	Client uint64
	Clock  uint64
	State  any // parsed JSON; nil means the client is gone
}

// DecodeAwarenessUpdate reads an awareness update; every state must be valid JSON.
func DecodeAwarenessUpdate(b []byte) ([]AwarenessEntry, error) {
	d := lib0.NewDecoder(b)
	n := d.ReadVarUint()
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if n > uint64(d.Remaining()) {
		return nil, fmt.Errorf("%w: %d entries in %d bytes", ErrMalformed, n, d.Remaining())
	}
	out := make([]AwarenessEntry, 0, n)
	for i := uint64(0); i < n; i++ {
		c := d.ReadVarUint()
		clock := d.ReadVarUint()
		s := d.ReadVarString()
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		v, err := lib0.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%w: state of client %d: %w", ErrMalformed, c, err)
		}
		out = append(out, AwarenessEntry{Client: c, Clock: clock, State: v})
	}
	return out, nil
}

// EncodeAwarenessUpdate writes entries as y-protocols encodeAwarenessUpdate does.
func EncodeAwarenessUpdate(entries []AwarenessEntry) []byte {
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(entries)))
	for _, en := range entries {
		e.WriteVarUint(en.Client)
		e.WriteVarUint(en.Clock)
		s, ok := lib0.Stringify(en.State)
		if !ok {
			s = "null"
		}
		e.WriteVarString(s)
	}
	return e.Buf
}

// AwarenessChange lists the clients an operation affected. Updated holds
// every client whose state was re-announced; Changed only those whose state
// differs (y-protocols' "change" event).
type AwarenessChange struct {
	Added, Updated, Changed, Removed []uint64
}

// Empty reports whether nothing was affected.
func (c AwarenessChange) Empty() bool {
	return len(c.Added)+len(c.Updated)+len(c.Removed) == 0
}

type awarenessMeta struct {
	clock       uint64
	lastUpdated time.Time
}

// Awareness is the awareness state of one document: y-protocols' Awareness
// without timers (the caller calls Check periodically). Not safe for
// concurrent use.
type Awareness struct {
	clientID uint64
	states   map[uint64]any
	meta     map[uint64]awarenessMeta
}

// NewAwareness returns awareness bookkeeping for a peer with clientID whose
// own state is null (what a server holds).
func NewAwareness(clientID uint64) *Awareness {
	return &Awareness{clientID: clientID, states: map[uint64]any{}, meta: map[uint64]awarenessMeta{}}
}

// States returns a copy of the known states by client.
func (a *Awareness) States() map[uint64]any {
	out := make(map[uint64]any, len(a.states))
	for k, v := range a.states {
		out[k] = v
	}
	return out
}

// Clients returns the clients that have a state, in increasing order.
func (a *Awareness) Clients() []uint64 {
	out := make([]uint64, 0, len(a.states))
	for c := range a.states {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// Clock returns the last clock seen for client.
func (a *Awareness) Clock(client uint64) (uint64, bool) {
	m, ok := a.meta[client]
	return m.clock, ok
}

// LocalState returns this peer's own state (nil when none).
func (a *Awareness) LocalState() any { return a.states[a.clientID] }

// SetLocalState sets this peer's own state (nil removes it), bumping its clock.
func (a *Awareness) SetLocalState(state any, now time.Time) AwarenessChange {
	clock := uint64(0)
	cur, had := a.meta[a.clientID]
	if had {
		clock = cur.clock + 1
	}
	prev, hadState := a.states[a.clientID]
	if state == nil {
		delete(a.states, a.clientID)
	} else {
		a.states[a.clientID] = state
	}
	a.meta[a.clientID] = awarenessMeta{clock: clock, lastUpdated: now}
	var ch AwarenessChange
	switch {
	case state == nil:
		ch.Removed = []uint64{a.clientID}
	case !hadState || prev == nil:
		ch.Added = []uint64{a.clientID}
	default:
		ch.Updated = []uint64{a.clientID}
		if !deepEqual(prev, state) {
			ch.Changed = []uint64{a.clientID}
		}
	}
	return ch
}

// Apply integrates an awareness update with y-protocols' clock rules: a
// higher clock wins; an equal clock with a null state removes a known
// client. The update is validated whole before anything changes.
func (a *Awareness) Apply(update []byte, now time.Time) (AwarenessChange, error) {
	entries, err := DecodeAwarenessUpdate(update)
	if err != nil {
		return AwarenessChange{}, err
	}
	var ch AwarenessChange
	for _, en := range entries {
		meta, known := a.meta[en.Client]
		prev, has := a.states[en.Client]
		clock := en.Clock
		curr := uint64(0)
		if known {
			curr = meta.clock
		}
		if !(curr < clock || (curr == clock && en.State == nil && has)) {
			continue
		}
		if en.State == nil {
			if en.Client == a.clientID && a.LocalState() != nil {
				clock++ // someone removed us while we are here: outvote it
			} else {
				delete(a.states, en.Client)
			}
		} else {
			a.states[en.Client] = en.State
		}
		a.meta[en.Client] = awarenessMeta{clock: clock, lastUpdated: now}
		switch {
		case !known && en.State != nil:
			ch.Added = append(ch.Added, en.Client)
		case known && en.State == nil:
			ch.Removed = append(ch.Removed, en.Client)
		case en.State != nil:
			if !deepEqual(en.State, prev) {
				ch.Changed = append(ch.Changed, en.Client)
			}
			ch.Updated = append(ch.Updated, en.Client)
		}
	}
	return ch, nil
}

// Encode returns the awareness update for clients (absent states encode as null).
func (a *Awareness) Encode(clients []uint64) []byte {
	entries := make([]AwarenessEntry, 0, len(clients))
	for _, c := range clients {
		entries = append(entries, AwarenessEntry{Client: c, Clock: a.meta[c].clock, State: a.states[c]})
	}
	return EncodeAwarenessUpdate(entries)
}

// Remove drops the states of clients (a disconnect). The returned change's
// Removed lists those that had a state; Encode(change.Removed) is the update
// that tells the other peers.
func (a *Awareness) Remove(clients []uint64, now time.Time) AwarenessChange {
	var ch AwarenessChange
	for _, c := range clients {
		if _, ok := a.states[c]; !ok {
			continue
		}
		delete(a.states, c)
		if c == a.clientID {
			m := a.meta[c]
			a.meta[c] = awarenessMeta{clock: m.clock + 1, lastUpdated: now}
		}
		ch.Removed = append(ch.Removed, c)
	}
	return ch
}

// Check does what y-protocols' interval timer does: it renews the local
// state when half the timeout has passed (renewed reports it; broadcast
// Encode of the local client then) and removes remote states not updated
// within timeout.
func (a *Awareness) Check(now time.Time, timeout time.Duration) (removed AwarenessChange, renewed bool) {
	if st := a.LocalState(); st != nil {
		if m := a.meta[a.clientID]; now.Sub(m.lastUpdated) >= timeout/2 {
			a.SetLocalState(st, now)
			renewed = true
		}
	}
	var stale []uint64
	for c, m := range a.meta {
		if _, has := a.states[c]; c != a.clientID && has && now.Sub(m.lastUpdated) >= timeout {
			stale = append(stale, c)
		}
	}
	slices.Sort(stale)
	return a.Remove(stale, now), renewed
}

// deepEqual is lib0's equalityDeep on JSON values: objects compare by keys
// regardless of order.
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case *lib0.Object:
		y, ok := b.(*lib0.Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i := 0; i < x.Len(); i++ {
			k, v := x.At(i)
			w, ok := y.Get(k)
			if !ok || !deepEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !deepEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return lib0.SameValue(a, b)
}
