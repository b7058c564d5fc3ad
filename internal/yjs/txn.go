package yjs

import (
	"math/rand/v2"
)

// Txn is a transaction: every change to a document happens inside one, and
// when the outermost transaction ends Yjs's cleanup runs (formatting cleanup,
// garbage collection, merging of structs) and the update is produced.
type Txn struct {
	doc          *Doc
	ds           deleteSet
	beforeState  map[uint64]int // recorded lazily: a client absent here is unchanged
	mergeStructs []*item
	changed      map[*typeCore]struct{}
	origin       any
	local        bool
	needFmtClean bool
}

// Origin returns the origin passed to the transaction.
func (tx *Txn) Origin() any { return tx.origin }

// Doc returns the transaction's document.
func (tx *Txn) Doc() *Doc { return tx.doc }

func (tx *Txn) before(client uint64) int {
	if v, ok := tx.beforeState[client]; ok {
		return v
	}
	return tx.doc.store.state(client)
}

// addStruct appends a struct to the store, remembering the client's state before the transaction.
func (tx *Txn) addStruct(it *item) bool {
	c := it.id.Client
	if _, ok := tx.beforeState[c]; !ok {
		tx.beforeState[c] = tx.doc.store.state(c)
	}
	return tx.doc.store.addStruct(it)
}

// addChanged records that t changed, with Yjs's rule: only types that
// existed before the transaction and are not deleted count.
func (tx *Txn) addChanged(t *typeCore, _ *item) {
	if t == nil || (t.markers == nil && !t.isText()) {
		return
	}
	it := t.item
	if it == nil || (it.id.Clock < tx.before(it.id.Client) && !it.deleted()) {
		tx.changed[t] = struct{}{}
	}
}

func (d *Doc) newTxn(origin any, local bool) *Txn {
	var tx *Txn
	if n := len(d.txnPool); n > 0 {
		tx = d.txnPool[n-1]
		d.txnPool = d.txnPool[:n-1]
	} else {
		tx = &Txn{beforeState: map[uint64]int{}, changed: map[*typeCore]struct{}{}}
	}
	tx.doc = d
	tx.origin = origin
	tx.local = local
	return tx
}

func (d *Doc) recycleTxn(tx *Txn) {
	tx.ds.reset()
	clear(tx.beforeState)
	clear(tx.changed)
	clear(tx.mergeStructs)
	tx.mergeStructs = tx.mergeStructs[:0]
	tx.origin = nil
	tx.needFmtClean = false
	d.txnPool = append(d.txnPool, tx)
}

// transact runs fn in the current transaction or a new one; the outermost
// call runs the cleanups. It returns whether the first transaction changed
// the document.
func (d *Doc) transact(origin any, local bool, fn func(tx *Txn) error) (changed bool, update []byte, err error) {
	if d.txn != nil {
		return false, nil, fn(d.txn)
	}
	tx := d.newTxn(origin, local)
	d.txn = tx
	d.cleanups = append(d.cleanups, tx)
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = errPanic(r)
			}
		}()
		err = fn(tx)
	}()
	d.txn = nil
	if d.cleanups[0] != tx {
		return false, nil, err
	}
	for i := 0; i < len(d.cleanups); i++ {
		c, u := d.cleanupTxn(d.cleanups[i], i == 0 && d.wantUpdate)
		if i == 0 {
			changed, update = c, u
		}
	}
	for _, t := range d.cleanups {
		d.recycleTxn(t)
	}
	clear(d.cleanups)
	d.cleanups = d.cleanups[:0]
	for _, it := range d.mergedAway {
		d.alloc.release(it)
	}
	clear(d.mergedAway)
	d.mergedAway = d.mergedAway[:0]
	return changed, update, err
}

// cleanupTxn is Yjs's cleanupTransactions for one transaction.
func (d *Doc) cleanupTxn(tx *Txn, wantUpdate bool) (changed bool, update []byte) {
	tx.ds.sortAndMerge()
	for t := range tx.changed {
		if t.item == nil || !t.item.deleted() {
			if !tx.local && t.markers != nil {
				t.markers.list = t.markers.list[:0]
			}
			if t.isText() && !tx.local && t.hasFormatting {
				tx.needFmtClean = true
			}
		}
	}
	if tx.needFmtClean {
		d.cleanupTextAfterTxn(tx)
	}
	if d.gc {
		d.tryGcDeleteSet(&tx.ds)
	}
	d.tryMergeDeleteSet(&tx.ds)
	for client, beforeClock := range tx.beforeState {
		l := d.store.clients[client]
		if l == nil || l.state() == beforeClock {
			continue
		}
		first := max(l.findIndex(beforeClock), 1)
		for i := len(l.items) - 1; i >= first; {
			i -= 1 + d.tryToMergeWithLefts(l, i)
		}
	}
	for i := len(tx.mergeStructs) - 1; i >= 0; i-- {
		id := tx.mergeStructs[i].id
		l := d.store.clients[id.Client]
		if l == nil {
			continue
		}
		pos := l.findIndex(id.Clock)
		if pos < 0 {
			continue
		}
		if pos+1 < len(l.items) {
			if d.tryToMergeWithLefts(l, pos+1) > 1 {
				continue
			}
		}
		if pos > 0 {
			d.tryToMergeWithLefts(l, pos)
		}
	}
	stateChanged := false
	for client, beforeClock := range tx.beforeState {
		if d.store.state(client) != beforeClock {
			stateChanged = true
			break
		}
	}
	if !tx.local {
		if b, ok := tx.beforeState[d.clientID]; ok && b != d.store.state(d.clientID) {
			// another peer uses our client id: pick a new one, as Yjs does
			d.clientID = uint64(rand.Uint32())
		}
	}
	changed = stateChanged || !tx.ds.empty()
	if changed && (wantUpdate || len(d.updateHandlers) > 0) {
		update = d.encodeTxnUpdate(tx)
		for _, h := range d.updateHandlers {
			if h != nil {
				h.fn(update, tx.origin)
			}
		}
	}
	return changed, update
}

// tryToMergeWithLefts merges the struct at pos into its left neighbours as
// far as possible and returns how many structs disappeared.
func (d *Doc) tryToMergeWithLefts(l *structList, pos int) int {
	items := l.items
	if pos <= 0 || pos >= len(items) {
		return 0
	}
	right := items[pos]
	left := items[pos-1]
	i := pos
	for i > 0 {
		if left.deleted() == right.deleted() && left.kind == right.kind && left.mergeWith(right) {
			if right.kind == kindItem && right.hasSub() && right.parent != nil && right.parent.entry(right.parentSub) == right {
				right.parent.setEntry(right.parentSub, left)
			}
			d.mergedAway = append(d.mergedAway, right)
			i--
			if i == 0 {
				break
			}
			right = left
			left = items[i-1]
			continue
		}
		break
	}
	merged := pos - i
	if merged > 0 {
		l.items = append(items[:pos+1-merged], items[pos+1:]...)
		clear(items[len(l.items):])
	}
	return merged
}

func (d *Doc) tryGcDeleteSet(ds *deleteSet) {
	for _, e := range ds.entries {
		l := d.store.clients[e.client]
		if l == nil {
			continue
		}
		for di := len(e.ranges) - 1; di >= 0; di-- {
			r := e.ranges[di]
			end := r.clock + r.len
			si := l.findIndex(r.clock)
			if si < 0 {
				continue
			}
			for ; si < len(l.items); si++ {
				s := l.items[si]
				if s.id.Clock >= end {
					break
				}
				if s.kind == kindItem && s.deleted() && !s.keep() && (d.gcFilter == nil || d.gcFilter(s)) {
					s.gc(false)
				}
			}
		}
	}
}

func (d *Doc) tryMergeDeleteSet(ds *deleteSet) {
	for _, e := range ds.entries {
		l := d.store.clients[e.client]
		if l == nil {
			continue
		}
		for di := len(e.ranges) - 1; di >= 0; di-- {
			r := e.ranges[di]
			idx := l.findIndex(r.clock + r.len - 1)
			if idx < 0 {
				idx = len(l.items) - 1
			}
			si := min(len(l.items)-1, 1+idx)
			for si > 0 && si < len(l.items) && l.items[si].id.Clock >= r.clock {
				si -= 1 + d.tryToMergeWithLefts(l, si)
			}
		}
	}
}
