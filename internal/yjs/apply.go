package yjs

import (
	"bytes"
	"slices"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// pendingStructs are structs whose dependencies have not arrived yet, kept
// as Yjs keeps them: one merged update plus the lowest missing clock per client.
type pendingStructs struct {
	missing map[uint64]int
	update  *decodedUpdate
}

// ApplyUpdate integrates a v1 update. Structs whose dependencies are missing
// are kept and applied when the missing updates arrive. A malformed update
// is rejected whole with an error wrapping ErrMalformed; the document is unchanged.
func (d *Doc) ApplyUpdate(update []byte) error {
	_, err := d.ApplyUpdateOrigin(update, nil)
	return err
}

// ApplyUpdateOrigin is ApplyUpdate with a transaction origin (passed to
// OnUpdate handlers). changed reports whether the document changed: new
// structs or deletions were integrated (Yjs's rule for emitting an update).
func (d *Doc) ApplyUpdateOrigin(update []byte, origin any) (changed bool, err error) {
	if d.dec == nil {
		d.dec = &v1Decoder{}
	}
	d.dec.d.Init(bytes.Clone(update))
	u, err := decodeUpdateInto(d.dec, &d.alloc, len(update), d.scratchUpdate())
	if err != nil {
		return false, err
	}
	return d.applyDecoded(u, origin)
}

// scratchUpdate returns a reusable decodedUpdate: nothing keeps the decoded
// slices after integration (pending structs are copied out).
func (d *Doc) scratchUpdate() *decodedUpdate {
	if d.inApply {
		return &decodedUpdate{}
	}
	u := d.scratch
	if u == nil {
		u = &decodedUpdate{}
		d.scratch = u
	}
	for i := range u.blocks {
		clear(u.blocks[i].structs)
		u.blocks[i].structs = u.blocks[i].structs[:0]
	}
	u.blocks = u.blocks[:0]
	u.ds.reset()
	return u
}

// ApplyUpdateV2 integrates an update in format v2.
func (d *Doc) ApplyUpdateV2(update []byte, origin any) (changed bool, err error) {
	dec := newV2Decoder(bytes.Clone(update))
	if err := dec.err(); err != nil {
		return false, malformed(err)
	}
	u, err := decodeUpdate(dec, &d.alloc, len(update))
	if err != nil {
		return false, err
	}
	return d.applyDecoded(u, origin)
}

func (d *Doc) applyDecoded(u *decodedUpdate, origin any) (bool, error) {
	// roots named by the update exist from now on, as Yjs's doc.get creates them
	for _, b := range u.blocks {
		for _, it := range b.structs {
			if it.pref != nil && !it.pref.isID {
				if _, err := d.root(it.pref.root, KindAbstract); err != nil {
					return false, err
				}
			}
		}
	}
	if d.applyFn == nil {
		d.applyFn = func(tx *Txn) error {
			d.readUpdate(tx, d.applying)
			return nil
		}
	}
	prev, prevIn := d.applying, d.inApply
	d.applying, d.inApply = u, true
	changed, _, err := d.transact(origin, false, d.applyFn)
	d.applying, d.inApply = prev, prevIn
	return changed, err
}

// readUpdate is Yjs's readUpdateV2 body.
func (d *Doc) readUpdate(tx *Txn, u *decodedUpdate) {
	tx.local = false
	rest := d.integrateStructs(tx, u)
	retry := false
	if p := d.pending; p != nil {
		for client, clock := range p.missing {
			if clock < d.store.state(client) {
				retry = true
				break
			}
		}
		if rest != nil {
			for client, clock := range rest.missing {
				if m, ok := p.missing[client]; !ok || m > clock {
					p.missing[client] = clock
				}
			}
			p.update = mergeDecoded([]*decodedUpdate{p.update, rest.update}, &d.alloc)
			normalize(p.update)
		}
	} else {
		d.pending = rest
	}
	dsRest := d.applyDeleteSet(tx, &u.ds)
	if d.pendingDs != nil {
		dsRest2 := d.applyDeleteSet(tx, d.pendingDs)
		switch {
		case dsRest != nil && dsRest2 != nil:
			d.pendingDs = mergeDeleteSets([]*deleteSet{dsRest, dsRest2})
		case dsRest != nil:
			d.pendingDs = dsRest
		default:
			d.pendingDs = dsRest2
		}
	} else {
		d.pendingDs = dsRest
	}
	if retry {
		pu := d.pending.update
		d.pending = nil
		d.readUpdate(tx, pu)
	}
}

type refCursor struct {
	client  uint64
	refs    []*item
	i       int
	removed bool
}

// cursorSet maps clients to cursors; updates carry few clients, so a sorted
// slice beats a map.
type cursorSet []refCursor

func (cs cursorSet) get(client uint64) *refCursor {
	lo, hi := 0, len(cs)
	for lo < hi {
		m := (lo + hi) / 2
		if cs[m].client < client {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(cs) && cs[lo].client == client && !cs[lo].removed {
		return &cs[lo]
	}
	return nil
}

// integrateStructs integrates what it can and returns the rest with the
// missing state, following Yjs's stack algorithm exactly (the order decides
// how items split and which ones wait).
func (d *Doc) integrateStructs(tx *Txn, u *decodedUpdate) *pendingStructs {
	cs := d.cursorBuf[:0]
	for _, b := range u.blocks {
		cs = append(cs, refCursor{client: b.client, refs: b.structs})
	}
	// sort by client; a later block of the same client replaces an earlier one
	slices.SortStableFunc(cs, func(a, b refCursor) int { return cmpUint(a.client, b.client) })
	w := 0
	for i := range cs {
		if i+1 < len(cs) && cs[i+1].client == cs[i].client {
			continue
		}
		cs[w] = cs[i]
		w++
	}
	cs = cs[:w]
	cursors := cursorSet(cs)
	for i := range cursors {
		if n := len(cursors[i].refs); n > 16 {
			d.store.reserve(cursors[i].client, n)
		}
	}
	defer func() { d.store.sizeHint = 0 }()
	defer func() {
		clear(cs)
		d.cursorBuf = cs[:0]
	}()
	if len(cursors) == 0 {
		return nil
	}
	ids := d.idBuf[:0]
	for i := range cursors {
		ids = append(ids, cursors[i].client)
	}
	defer func() { d.idBuf = ids[:0] }()
	nextTarget := func() *refCursor {
		for len(ids) > 0 {
			t := cursors.get(ids[len(ids)-1])
			if t != nil && t.i < len(t.refs) {
				return t
			}
			ids = ids[:len(ids)-1]
		}
		return nil
	}
	cur := nextTarget()
	if cur == nil {
		return nil
	}
	var stack []*item
	var restClients map[uint64][]*item
	var restOrder []uint64
	var missingSV map[uint64]int
	updateMissing := func(client uint64, clock int) {
		if missingSV == nil {
			missingSV = map[uint64]int{}
		}
		if m, ok := missingSV[client]; !ok || m > clock {
			missingSV[client] = clock
		}
	}
	setRest := func(client uint64, items []*item) {
		if restClients == nil {
			restClients = map[uint64][]*item{}
		}
		if _, ok := restClients[client]; !ok {
			restOrder = append(restOrder, client)
		}
		restClients[client] = items
	}
	head := cur.refs[cur.i]
	cur.i++
	// local clocks seen so far (Yjs caches them per client)
	stateC := d.stateBuf[:0]
	defer func() { d.stateBuf = stateC[:0] }()
	localState := func(client uint64) int {
		for _, e := range stateC {
			if e.client == client {
				return e.clock
			}
		}
		st := d.store.state(client)
		stateC = append(stateC, clientClock{client, st})
		return st
	}
	setState := func(client uint64, clock int) {
		for i := range stateC {
			if stateC[i].client == client {
				stateC[i].clock = clock
				return
			}
		}
		stateC = append(stateC, clientClock{client, clock})
	}
	addStackToRest := func() {
		for _, it := range stack {
			client := it.id.Client
			if c := cursors.get(client); c != nil {
				c.i--
				setRest(client, append([]*item(nil), c.refs[c.i:]...))
				c.removed = true
				c.i = 0
				c.refs = nil
			} else {
				setRest(client, []*item{it})
			}
			ids = slices.DeleteFunc(ids, func(c uint64) bool { return c == client })
		}
		stack = stack[:0]
	}
	for {
		if head.kind != kindSkip {
			local := localState(head.id.Client)
			offset := local - head.id.Clock
			if offset < 0 {
				stack = append(stack, head)
				updateMissing(head.id.Client, head.id.Clock-1)
				addStackToRest()
			} else {
				var missing uint64
				isMissing := false
				if head.kind == kindItem {
					missing, isMissing = head.missing(tx)
				}
				if isMissing {
					stack = append(stack, head)
					refs := cursors.get(missing)
					if refs == nil || refs.i == len(refs.refs) {
						updateMissing(missing, d.store.state(missing))
						addStackToRest()
					} else {
						head = refs.refs[refs.i]
						refs.i++
						continue
					}
				} else if offset == 0 || offset < head.length {
					if head.kind == kindItem {
						head.integrate(tx, offset)
					} else {
						integrateGC(tx, head, offset)
					}
					setState(head.id.Client, head.id.Clock+head.length)
				}
			}
		}
		if len(stack) > 0 {
			head = stack[len(stack)-1]
			stack = stack[:len(stack)-1]
		} else if cur != nil && cur.i < len(cur.refs) {
			head = cur.refs[cur.i]
			cur.i++
		} else {
			cur = nextTarget()
			if cur == nil {
				break
			}
			head = cur.refs[cur.i]
			cur.i++
		}
	}
	if len(restClients) == 0 {
		return nil
	}
	// Yjs encodes the rest (clients in decreasing order) and reads it back later
	slices.SortFunc(restOrder, cmpClientDesc)
	pu := &decodedUpdate{}
	for _, c := range restOrder {
		pu.blocks = append(pu.blocks, clientBlock{client: c, structs: restClients[c]})
	}
	return &pendingStructs{missing: missingSV, update: pu}
}

type clientClock struct {
	client uint64
	clock  int
}

func cmpUint(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// applyDeleteSet is Yjs's readAndApplyDeleteSet; it returns the ranges that
// refer to structs not received yet (nil when none).
func (d *Doc) applyDeleteSet(tx *Txn, ds *deleteSet) *deleteSet {
	var unapplied *deleteSet
	addUnapplied := func(client uint64, clock, n int) {
		if unapplied == nil {
			unapplied = &deleteSet{}
		}
		unapplied.add(client, clock, n)
	}
	for _, e := range ds.entries {
		client := e.client
		l := d.store.clients[client]
		state := 0
		if l != nil {
			state = l.state()
		}
		for _, r := range e.ranges {
			clock, end := r.clock, r.clock+r.len
			if clock < state {
				if state < end {
					addUnapplied(client, state, end-state)
				}
				idx := l.findIndex(clock)
				if idx < 0 {
					continue
				}
				s := l.items[idx]
				if !s.deleted() && s.id.Clock < clock {
					l.insertAt(idx+1, splitItem(tx, s, clock-s.id.Clock))
					idx++
				}
				for idx < len(l.items) {
					s = l.items[idx]
					idx++
					if s.id.Clock < end {
						if !s.deleted() {
							if end < s.id.Clock+s.length {
								l.insertAt(idx, splitItem(tx, s, end-s.id.Clock))
							}
							s.delete(tx)
						}
					} else {
						break
					}
				}
			} else {
				addUnapplied(client, clock, end-clock)
			}
		}
	}
	return unapplied
}

// ---- encoding the document ----

// StateVector returns the next expected clock of every client.
func (d *Doc) StateVector() map[uint64]int {
	sv := make(map[uint64]int, len(d.store.clients))
	for c, l := range d.store.clients {
		sv[c] = l.state()
	}
	return sv
}

// EncodeStateVector returns the state vector in v1 encoding (sync step 1 payload).
func (d *Doc) EncodeStateVector() []byte { return EncodeStateVector(d.StateVector()) }

// EncodeStateVector encodes a state vector (clients in decreasing order, as Yjs writes it).
func EncodeStateVector(sv map[uint64]int) []byte {
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(sv)))
	for _, c := range sortedDesc(sv) {
		e.WriteVarUint(c)
		e.WriteVarUint(uint64(sv[c]))
	}
	return e.Buf
}

// DecodeStateVector decodes an encoded state vector.
func DecodeStateVector(b []byte) (map[uint64]int, error) {
	d := lib0.NewDecoder(b)
	n := d.ReadVarUint()
	if d.Err() != nil {
		return nil, malformed(d.Err())
	}
	if n > uint64(d.Remaining()) {
		return nil, malformed(lib0.ErrUnexpectedEnd)
	}
	sv := make(map[uint64]int, n)
	for i := uint64(0); i < n; i++ {
		c := d.ReadVarUint()
		k := d.ReadVarUint()
		if d.Err() != nil {
			return nil, malformed(d.Err())
		}
		sv[c] = int(k)
	}
	return sv, nil
}

func sortedDesc[V any](m map[uint64]V) []uint64 {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b uint64) int {
		if a > b {
			return -1
		}
		if a < b {
			return 1
		}
		return 0
	})
	return keys
}

// writeClientsStructs writes every struct the holder of sv lacks.
func (d *Doc) writeClientsStructs(e *v1Encoder, sv map[uint64]int) {
	sm := map[uint64]int{}
	for c, clock := range sv {
		if d.store.state(c) > clock {
			sm[c] = clock
		}
	}
	for c := range d.store.clients {
		if _, ok := sv[c]; !ok {
			sm[c] = 0
		}
	}
	e.WriteVarUint(uint64(len(sm)))
	for _, c := range sortedDesc(sm) {
		l := d.store.clients[c]
		clock := max(sm[c], l.items[0].id.Clock)
		start := l.findIndex(clock)
		e.WriteVarUint(uint64(len(l.items) - start))
		e.WriteVarUint(c)
		e.WriteVarUint(uint64(clock))
		first := l.items[start]
		e.writeStruct(first, clock-first.id.Clock)
		for _, s := range l.items[start+1:] {
			e.writeStruct(s, 0)
		}
	}
}

// estimateSize guesses the encoded size of what a peer at target lacks from
// the size of the last full encoding.
func (d *Doc) estimateSize(target map[uint64]int) int {
	if d.encodeHint == 0 {
		return 256
	}
	total, missing := 0, 0
	for c, l := range d.store.clients {
		st := l.state()
		total += st
		missing += max(st-target[c], 0)
	}
	if total == 0 {
		return 64
	}
	return int(float64(d.encodeHint)*float64(missing)/float64(total)*1.1) + 256
}

// writeStoreDeleteSet writes the deleted ranges of the store without
// building them in memory (two passes per client).
func (d *Doc) writeStoreDeleteSet(e *v1Encoder) {
	clients := sortedDesc(d.store.clients)
	n := 0
	for _, c := range clients {
		if countDeleted(d.store.clients[c].items) > 0 {
			n++
		}
	}
	e.WriteVarUint(uint64(n))
	for _, c := range clients {
		items := d.store.clients[c].items
		k := countDeleted(items)
		if k == 0 {
			continue
		}
		e.WriteVarUint(c)
		e.WriteVarUint(uint64(k))
		for i := 0; i < len(items); i++ {
			s := items[i]
			if !s.deleted() {
				continue
			}
			clock, length := s.id.Clock, s.length
			for i+1 < len(items) && items[i+1].deleted() {
				i++
				length += items[i].length
			}
			e.WriteVarUint(uint64(clock))
			e.WriteVarUint(uint64(length))
		}
	}
}

// countDeleted counts the runs of deleted structs.
func countDeleted(items []*item) int {
	n := 0
	prev := false
	for _, s := range items {
		del := s.deleted()
		if del && !prev {
			n++
		}
		prev = del
	}
	return n
}

// deleteSetFromStore collects the deleted ranges of the store.
func (d *Doc) deleteSetFromStore() *deleteSet {
	ds := &deleteSet{}
	for _, c := range sortedDesc(d.store.clients) {
		l := d.store.clients[c]
		var e *dsEntry
		items := l.items
		for i := 0; i < len(items); i++ {
			s := items[i]
			if !s.deleted() {
				continue
			}
			clock, n := s.id.Clock, s.length
			for i+1 < len(items) && items[i+1].deleted() {
				i++
				n += items[i].length
			}
			if e == nil {
				e = ds.entry(c)
			}
			e.ranges = append(e.ranges, delRange{clock, n})
		}
	}
	return ds
}

// EncodeStateAsUpdate returns, as a v1 update, everything a peer with state
// vector sv (encoded; nil or empty means an empty peer) lacks: the exact diff
// sync step 2 sends. Pending structs and deletes are included, as in Yjs.
func (d *Doc) EncodeStateAsUpdate(sv []byte) ([]byte, error) {
	target := map[uint64]int{}
	if len(sv) > 0 {
		var err error
		if target, err = DecodeStateVector(sv); err != nil {
			return nil, err
		}
	}
	var e v1Encoder
	e.Buf = make([]byte, 0, d.estimateSize(target))
	d.writeClientsStructs(&e, target)
	d.writeStoreDeleteSet(&e)
	if len(target) == 0 {
		d.encodeHint = len(e.Buf)
	}
	if d.pending == nil && d.pendingDs == nil {
		return e.Buf, nil
	}
	var a itemAlloc
	main, err := decodeUpdate(&v1Decoder{d: *lib0.NewDecoder(e.Buf)}, &a, len(e.Buf))
	if err != nil {
		return nil, err
	}
	parts := []*decodedUpdate{main}
	if d.pendingDs != nil {
		parts = append(parts, &decodedUpdate{ds: *cloneDS(d.pendingDs)})
	}
	if d.pending != nil {
		parts = append(parts, diffDecoded(cloneDecoded(d.pending.update, &a), target))
	}
	var out v1Encoder
	out.writeDecoded(mergeDecoded(parts, &a))
	return out.Buf, nil
}

// encodeTxnUpdate writes the update of a finished transaction.
func (d *Doc) encodeTxnUpdate(tx *Txn) []byte {
	var e v1Encoder
	tx.ds.sortAndMerge()
	before := make(map[uint64]int, len(tx.beforeState))
	for c, b := range tx.beforeState {
		before[c] = b
	}
	// clients untouched by the transaction are up to date by definition
	sm := map[uint64]int{}
	for c, b := range before {
		if d.store.state(c) > b {
			sm[c] = b
		}
	}
	e.WriteVarUint(uint64(len(sm)))
	for _, c := range sortedDesc(sm) {
		l := d.store.clients[c]
		clock := max(sm[c], l.items[0].id.Clock)
		start := l.findIndex(clock)
		e.WriteVarUint(uint64(len(l.items) - start))
		e.WriteVarUint(c)
		e.WriteVarUint(uint64(clock))
		first := l.items[start]
		e.writeStruct(first, clock-first.id.Clock)
		for _, s := range l.items[start+1:] {
			e.writeStruct(s, 0)
		}
	}
	e.writeDeleteSet(&tx.ds)
	return e.Buf
}

func cloneDS(ds *deleteSet) *deleteSet {
	out := &deleteSet{}
	for _, e := range ds.entries {
		ne := out.entry(e.client)
		ne.ranges = append([]delRange(nil), e.ranges...)
	}
	return out
}

// cloneDecoded copies the structs of u so merging cannot disturb the original.
func cloneDecoded(u *decodedUpdate, a *itemAlloc) *decodedUpdate {
	out := &decodedUpdate{ds: *cloneDS(&u.ds)}
	for _, b := range u.blocks {
		nb := clientBlock{client: b.client, structs: make([]*item, len(b.structs))}
		for i, s := range b.structs {
			c := a.new()
			*c = *s
			if s.ckind == contentString {
				c.str = s.str[:len(s.str):len(s.str)]
			}
			nb.structs[i] = c
		}
		out.blocks = append(out.blocks, nb)
	}
	return out
}
