package yjs

import (
	"bytes"
	"slices"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// structReader walks the structs of a decoded update in wire order.
type structReader struct {
	u           *decodedUpdate
	b, i        int
	curr        *item
	filterSkips bool
}

func newStructReader(u *decodedUpdate, filterSkips bool) *structReader {
	r := &structReader{u: u, filterSkips: filterSkips}
	r.next()
	return r
}

func (r *structReader) next() *item {
	for {
		for r.b < len(r.u.blocks) && r.i >= len(r.u.blocks[r.b].structs) {
			r.b++
			r.i = 0
		}
		if r.b >= len(r.u.blocks) {
			r.curr = nil
			return nil
		}
		r.curr = r.u.blocks[r.b].structs[r.i]
		r.i++
		if !(r.filterSkips && r.curr.kind == kindSkip) {
			return r.curr
		}
	}
}

// structWriter collects structs into blocks, a new block whenever the client changes.
type structWriter struct {
	out *decodedUpdate
}

func (w *structWriter) write(s *item) {
	n := len(w.out.blocks)
	if n == 0 || w.out.blocks[n-1].client != s.id.Client {
		w.out.blocks = append(w.out.blocks, clientBlock{client: s.id.Client})
		n++
	}
	w.out.blocks[n-1].structs = append(w.out.blocks[n-1].structs, s)
}

// sliceStruct returns a new struct holding s from diff on. keepSub keeps the
// parentSub flag as a Yjs object in memory does; a struct that went through
// bytes has lost it (it is not written when an origin is present).
func sliceStruct(s *item, diff int, keepSub bool, a *itemAlloc) *item {
	c := a.new()
	*c = *s
	c.id.Clock += diff
	c.length -= diff
	if s.kind != kindItem {
		return c
	}
	c.origin = ID{s.id.Client, s.id.Clock + diff - 1}
	c.flags |= flagOrigin
	if !keepSub {
		c.pref = nil
		c.flags &^= flagParentSub
		c.parentSub = ""
	}
	cutFront(c, diff)
	return c
}

// normalize drops what a write and read of the update would drop: parent
// information of structs that carry an origin.
func normalize(u *decodedUpdate) {
	for _, b := range u.blocks {
		for _, s := range b.structs {
			if s.kind == kindItem && (s.hasOrigin() || s.hasROrigin()) {
				s.pref = nil
				s.parentSub = ""
				s.flags &^= flagParentSub
			}
		}
	}
}

func cmpClientDesc(a, b uint64) int {
	if a > b {
		return -1
	}
	if a < b {
		return 1
	}
	return 0
}

// mergeDecoded merges updates the way Yjs's mergeUpdates does: structs in
// client order, duplicates dropped, gaps filled by Skip, GC runs joined.
func mergeDecoded(updates []*decodedUpdate, a *itemAlloc) *decodedUpdate {
	if len(updates) == 1 {
		return updates[0]
	}
	readers := make([]*structReader, 0, len(updates))
	for _, u := range updates {
		readers = append(readers, newStructReader(u, true))
	}
	out := &decodedUpdate{}
	w := &structWriter{out: out}
	var cw *item // struct being written (Yjs currWrite)
	end := func(s *item) int { return s.id.Clock + s.length }
	less := func(x, y *structReader) int {
		a, b := x.curr, y.curr
		if a.id.Client == b.id.Client {
			if a.id.Clock == b.id.Clock {
				if (a.kind == kindSkip) == (b.kind == kindSkip) {
					return 0
				}
				if a.kind == kindSkip {
					return 1
				}
				return -1
			}
			return a.id.Clock - b.id.Clock
		}
		return cmpClientDesc(a.id.Client, b.id.Client)
	}
	readers = slices.DeleteFunc(readers, func(r *structReader) bool { return r.curr == nil })
	slices.SortStableFunc(readers, less)
	first := true
	for {
		// Yjs stable-sorts all readers every round; only the front one moved
		// since the last round, so putting it back before its equals gives
		// the same order.
		if !first && len(readers) > 0 {
			moved := readers[0]
			rest := readers[1:]
			if moved.curr == nil {
				readers = rest
			} else {
				pos, _ := slices.BinarySearchFunc(rest, moved, less)
				copy(readers, rest[:pos])
				readers[pos] = moved
			}
		}
		first = false
		if len(readers) == 0 {
			break
		}
		cd := readers[0]
		firstClient := cd.curr.id.Client
		if cw != nil {
			curr := cd.curr
			iterated := false
			for curr != nil && end(curr) <= end(cw) && curr.id.Client >= cw.id.Client {
				curr = cd.next()
				iterated = true
			}
			if curr == nil || curr.id.Client != firstClient || (iterated && curr.id.Clock > end(cw)) {
				continue
			}
			if firstClient != cw.id.Client {
				w.write(cw)
				cw = curr
				cd.next()
			} else if end(cw) < curr.id.Clock {
				if cw.kind == kindSkip {
					cw.length = end(curr) - cw.id.Clock
				} else {
					w.write(cw)
					diff := curr.id.Clock - end(cw)
					sk := a.new()
					sk.kind = kindSkip
					sk.id = ID{firstClient, end(cw)}
					sk.length = diff
					cw = sk
				}
			} else {
				diff := end(cw) - curr.id.Clock
				if diff > 0 {
					if cw.kind == kindSkip {
						cw.length -= diff
					} else {
						curr = sliceStruct(curr, diff, true, a)
					}
				}
				if cw.kind != kindItem && cw.kind == curr.kind {
					cw.length += curr.length // GC and Skip runs join; items never do here
				} else {
					w.write(cw)
					cw = curr
					cd.next()
				}
			}
		} else {
			cw = cd.curr
			cd.next()
		}
		for next := cd.curr; next != nil && next.id.Client == firstClient && next.id.Clock == end(cw) && next.kind != kindSkip; next = cd.next() {
			w.write(cw)
			cw = next
		}
	}
	if cw != nil {
		w.write(cw)
	}
	dss := make([]*deleteSet, len(updates))
	for i, u := range updates {
		dss[i] = &u.ds
	}
	out.ds = *mergeDeleteSets(dss)
	return out
}

// diffDecoded keeps what a peer at state vector sv lacks (Yjs diffUpdate).
func diffDecoded(u *decodedUpdate, sv map[uint64]int) *decodedUpdate {
	var a itemAlloc
	out := &decodedUpdate{ds: *cloneDS(&u.ds)}
	w := &structWriter{out: out}
	r := newStructReader(u, false)
	for r.curr != nil {
		curr := r.curr
		client := curr.id.Client
		svClock := sv[client]
		if curr.kind == kindSkip {
			r.next()
			continue
		}
		if curr.id.Clock+curr.length > svClock {
			off := max(svClock-curr.id.Clock, 0)
			if off > 0 {
				w.write(sliceStruct(curr, off, false, &a))
			} else {
				w.write(curr)
			}
			r.next()
			for r.curr != nil && r.curr.id.Client == client {
				w.write(r.curr)
				r.next()
			}
		} else {
			for r.curr != nil && r.curr.id.Client == client && r.curr.id.Clock+r.curr.length <= svClock {
				r.next()
			}
		}
	}
	return out
}

// MergeUpdates merges v1 updates into one (compaction), with Yjs's mergeUpdates semantics.
func MergeUpdates(updates ...[]byte) ([]byte, error) {
	if len(updates) == 1 {
		return updates[0], nil
	}
	var a itemAlloc
	dus := make([]*decodedUpdate, len(updates))
	for i, up := range updates {
		dec := &v1Decoder{}
		dec.d.Init(bytes.Clone(up))
		du, err := decodeUpdate(dec, &a, len(up))
		if err != nil {
			return nil, err
		}
		dus[i] = du
	}
	var e v1Encoder
	e.writeDecoded(mergeDecoded(dus, &a))
	return e.Buf, nil
}

// DiffUpdate returns the part of a v1 update that a peer with the encoded
// state vector sv lacks.
func DiffUpdate(update, sv []byte) ([]byte, error) {
	target, err := DecodeStateVector(sv)
	if err != nil {
		return nil, err
	}
	var a itemAlloc
	dec := &v1Decoder{}
	dec.d.Init(bytes.Clone(update))
	du, err := decodeUpdate(dec, &a, len(update))
	if err != nil {
		return nil, err
	}
	var e v1Encoder
	e.writeDecoded(diffDecoded(du, target))
	return e.Buf, nil
}

// ConvertUpdateV2ToV1 re-encodes a v2 update in format v1.
func ConvertUpdateV2ToV1(update []byte) ([]byte, error) {
	var a itemAlloc
	dec := newV2Decoder(bytes.Clone(update))
	if err := dec.err(); err != nil {
		return nil, malformed(err)
	}
	du, err := decodeUpdate(dec, &a, len(update))
	if err != nil {
		return nil, err
	}
	var e v1Encoder
	e.writeDecoded(du)
	return e.Buf, nil
}

// EncodeStateVectorFromUpdate computes the state vector an update brings a
// peer to (Yjs encodeStateVectorFromUpdate).
func EncodeStateVectorFromUpdate(update []byte) ([]byte, error) {
	var a itemAlloc
	dec := &v1Decoder{}
	dec.d.Init(bytes.Clone(update))
	du, err := decodeUpdate(dec, &a, len(update))
	if err != nil {
		return nil, err
	}
	type entry struct {
		client uint64
		clock  int
	}
	var entries []entry
	r := newStructReader(du, false)
	if r.curr != nil {
		currClient := r.curr.id.Client
		stop := r.curr.id.Clock != 0
		currClock := 0
		if !stop {
			currClock = r.curr.id.Clock + r.curr.length
		}
		for ; r.curr != nil; r.next() {
			c := r.curr
			if currClient != c.id.Client {
				if currClock != 0 {
					entries = append(entries, entry{currClient, currClock})
				}
				currClient = c.id.Client
				currClock = 0
				stop = c.id.Clock != 0
			}
			if c.kind == kindSkip {
				stop = true
			}
			if !stop {
				currClock = c.id.Clock + c.length
			}
		}
		if currClock != 0 {
			entries = append(entries, entry{currClient, currClock})
		}
	}
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(entries)))
	for _, en := range entries {
		e.WriteVarUint(en.client)
		e.WriteVarUint(uint64(en.clock))
	}
	return e.Buf, nil
}
