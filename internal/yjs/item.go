package yjs

import (
	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// struct kinds
const (
	kindItem uint8 = iota
	kindGC
	kindSkip
)

// content kinds, numbered as the v1 wire format numbers them
const (
	contentDeleted uint8 = 1
	contentJSON    uint8 = 2
	contentBinary  uint8 = 3
	contentString  uint8 = 4
	contentEmbed   uint8 = 5
	contentFormat  uint8 = 6
	contentType    uint8 = 7
	contentAny     uint8 = 8
	contentDoc     uint8 = 9
)

// item flags
const (
	flagKeep uint16 = 1 << iota
	flagCountable
	flagDeleted
	flagMarker
	flagOrigin
	flagRightOrigin
	flagParentSub
)

// formatContent is the payload of a formatting marker in rich text.
type formatContent struct {
	key   string
	value any
}

// docContent is the payload of an embedded sub-document.
type docContent struct {
	guid string
	opts *lib0.Object // canonical options, as ContentDoc recomputes them
}

// parentRef is the parent as written on the wire, before integration.
type parentRef struct {
	root string
	id   ID
	isID bool
}

// item is one struct of the document: an item with content, a
// garbage-collected range (GC) or, in updates only, a Skip. Items are kept
// by value in slabs to avoid one heap allocation each.
type item struct {
	id          ID
	length      int
	left, right *item
	origin      ID
	rightOrigin ID
	parent      *typeCore
	parentSub   string
	str         []byte // ContentString, UTF-8
	val         any    // payload of the other content kinds
	pref        *parentRef
	flags       uint16
	kind        uint8
	ckind       uint8
}

func (it *item) deleted() bool {
	return it.kind != kindItem || it.flags&flagDeleted != 0
}
func (it *item) countable() bool   { return it.flags&flagCountable != 0 }
func (it *item) keep() bool        { return it.flags&flagKeep != 0 }
func (it *item) hasOrigin() bool   { return it.flags&flagOrigin != 0 }
func (it *item) hasROrigin() bool  { return it.flags&flagRightOrigin != 0 }
func (it *item) hasSub() bool      { return it.flags&flagParentSub != 0 }
func (it *item) isMarker() bool    { return it.flags&flagMarker != 0 }
func (it *item) markDeleted()      { it.flags |= flagDeleted }
func (it *item) setMarker(on bool) { it.flags = it.flags&^flagMarker | boolFlag(on, flagMarker) }

func boolFlag(b bool, f uint16) uint16 {
	if b {
		return f
	}
	return 0
}

func (it *item) lastID() ID { return ID{it.id.Client, it.id.Clock + it.length - 1} }

func isCountableKind(k uint8) bool {
	return k != contentDeleted && k != contentFormat
}

// typ returns the type held by a ContentType item, or nil.
func (it *item) typ() *typeCore {
	if it.kind != kindItem || it.ckind != contentType {
		return nil
	}
	t, _ := it.val.(*typeCore)
	return t
}

func (it *item) format() *formatContent {
	f, _ := it.val.(*formatContent)
	return f
}

// next returns the next non-deleted sibling.
func (it *item) next() *item {
	n := it.right
	for n != nil && n.deleted() {
		n = n.right
	}
	return n
}

// prev returns the previous non-deleted sibling.
func (it *item) prev() *item {
	n := it.left
	for n != nil && n.deleted() {
		n = n.left
	}
	return n
}

// itemAlloc hands out Items from slabs and recycles merged-away ones.
type itemAlloc struct {
	slab  []item
	used  int // items of slab handed out
	free  []*item
	prefs []parentRef // decoded parent references, likewise from slabs
	pused int
}

const slabSize = 64

// firstSlab is the size of a document's first slabs: they double up to
// slabSize, so a small record's room does not hold 64 items' worth of
// memory (~10 KB) per document for a handful of items.
const firstSlab = 8

// maxSlab bounds the slab reserve allocates for a large update: all of a
// slab stays in memory while one of its items does.
const maxSlab = 4096

// nextSlab replaces a used-up slab: twice its size, from firstSlab up to
// slabSize.
func nextSlab[T any](used []T) []T {
	return make([]T, min(max(2*len(used), firstSlab), slabSize))
}

func (a *itemAlloc) new() *item {
	if n := len(a.free); n > 0 {
		it := a.free[n-1]
		a.free = a.free[:n-1]
		return it
	}
	if a.used == len(a.slab) {
		a.slab = nextSlab(a.slab)
		a.used = 0
	}
	it := &a.slab[a.used]
	a.used++
	return it
}

// reserve makes room for n items in one slab (a large update is about to
// be decoded), instead of many small ones.
func (a *itemAlloc) reserve(n int) {
	if n <= len(a.slab)-a.used+len(a.free) || n <= slabSize {
		return
	}
	a.slab = make([]item, min(n, maxSlab))
	a.used = 0
}

// newPref returns a parent reference for a decoded item.
func (a *itemAlloc) newPref() *parentRef {
	if a.pused == len(a.prefs) {
		a.prefs = nextSlab(a.prefs)
		a.pused = 0
	}
	p := &a.prefs[a.pused]
	a.pused++
	return p
}

func (a *itemAlloc) release(it *item) {
	*it = item{}
	a.free = append(a.free, it)
}

// contentLen returns the length of the content kinds whose length is implied.
func contentValues(it *item) []any {
	switch v := it.val.(type) {
	case []any:
		return v
	case *[]any:
		return *v
	}
	return nil
}

// oneValue is a decoded single-value ContentAny (an attribute, mostly):
// the values and their slice in one allocation, held as *[]any.
type oneValue struct {
	vals []any
	v    [1]any
}

// spliceContent cuts the content of it at diff and returns the right part in r.
func spliceContent(it *item, r *item, diff int) {
	r.ckind = it.ckind
	switch it.ckind {
	case contentString:
		var left, right []byte
		if len(it.str) == it.length { // ASCII: byte offsets are UTF-16 offsets
			left, right = it.str[:diff:diff], it.str[diff:]
		} else {
			left, right, _ = lib0.SplitUTF16(it.str, diff)
		}
		it.str, r.str = left, right
	case contentJSON, contentAny:
		vals := contentValues(it)
		if diff > len(vals) {
			diff = len(vals)
		}
		it.val = vals[:diff:diff]
		r.val = append([]any(nil), vals[diff:]...)
	case contentDeleted:
		// lengths live in the items
	default:
		r.val = it.val
	}
}

// cutFront drops the first offset units of the content (Yjs content.splice(offset) keeping the right part).
func cutFront(it *item, offset int) {
	switch it.ckind {
	case contentString:
		if len(it.str) == it.length {
			it.str = it.str[offset:]
		} else {
			_, it.str, _ = lib0.SplitUTF16(it.str, offset)
		}
	case contentJSON, contentAny:
		vals := contentValues(it)
		if offset > len(vals) {
			offset = len(vals)
		}
		it.val = append([]any(nil), vals[offset:]...)
	}
}

// mergeContent appends right's content to left's if the kind allows it.
func mergeContent(l, r *item) bool {
	switch l.ckind {
	case contentString:
		l.str = append(l.str, r.str...)
		return true
	case contentJSON, contentAny:
		lv, rv := contentValues(l), contentValues(r)
		merged := make([]any, 0, len(lv)+len(rv))
		merged = append(merged, lv...)
		merged = append(merged, rv...)
		l.val = merged
		return true
	case contentDeleted:
		return true
	}
	return false
}

// splitItem splits left at diff, links the new right part and returns it.
func splitItem(tx *Txn, left *item, diff int) *item {
	a := &tx.doc.alloc
	r := a.new()
	r.kind = kindItem
	r.id = ID{left.id.Client, left.id.Clock + diff}
	r.left = left
	r.origin = ID{left.id.Client, left.id.Clock + diff - 1}
	r.right = left.right
	r.rightOrigin = left.rightOrigin
	r.parent = left.parent
	r.parentSub = left.parentSub
	r.flags = flagOrigin | left.flags&(flagRightOrigin|flagParentSub|flagCountable|flagDeleted|flagKeep)
	spliceContent(left, r, diff)
	r.length = left.length - diff
	left.right = r
	if r.right != nil {
		r.right.left = r
	}
	tx.mergeStructs = append(tx.mergeStructs, r)
	if r.hasSub() && r.right == nil && r.parent != nil {
		r.parent.setEntry(r.parentSub, r)
	}
	left.length = diff
	return r
}

// mergeWith merges right into it when they are contiguous content of one
// client that Yjs would merge.
func (it *item) mergeWith(right *item) bool {
	if it.kind != right.kind {
		return false
	}
	if it.kind != kindItem {
		it.length += right.length
		return true
	}
	if !(right.hasOrigin() && right.origin == it.lastID()) ||
		it.right != right ||
		it.hasROrigin() != right.hasROrigin() || (it.hasROrigin() && it.rightOrigin != right.rightOrigin) ||
		it.id.Client != right.id.Client ||
		it.id.Clock+it.length != right.id.Clock ||
		it.deleted() != right.deleted() ||
		it.ckind != right.ckind {
		return false
	}
	if !mergeContent(it, right) {
		return false
	}
	if p := it.parent; p != nil && p.markers != nil {
		for _, m := range p.markers.list {
			if m.p == right {
				m.p = it
				if !it.deleted() && it.countable() {
					m.index -= it.length
				}
			}
		}
	}
	if right.keep() {
		it.flags |= flagKeep
	}
	it.right = right.right
	if it.right != nil {
		it.right.left = it
	}
	it.length += right.length
	return true
}

// delete marks the item deleted, recursing into the content of a type.
func (it *item) delete(tx *Txn) {
	if it.deleted() {
		return
	}
	parent := it.parent
	if it.countable() && !it.hasSub() && parent != nil {
		parent.length -= it.length
	}
	it.markDeleted()
	tx.ds.add(it.id.Client, it.id.Clock, it.length)
	tx.addChanged(parent, it)
	if t := it.typ(); t != nil {
		deleteTypeContent(tx, t)
	}
}

// deleteTypeContent deletes every child of t (list and map entries),
// depth first like Yjs, with an explicit stack so hostile nesting cannot
// exhaust the goroutine stack.
func deleteTypeContent(tx *Txn, t *typeCore) {
	type frame struct {
		t      *typeCore
		n      *item // next list item to visit
		keyIdx int   // next map key to visit, when n == nil
	}
	stack := []frame{{t: t, n: t.start}}
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		var it *item
		if f.n != nil {
			it = f.n
			f.n = it.right
		} else if f.keyIdx < len(f.t.entries) {
			it = f.t.entries[f.keyIdx].it
			f.keyIdx++
		} else {
			delete(tx.changed, f.t)
			stack = stack[:len(stack)-1]
			continue
		}
		if it == nil {
			continue
		}
		if !it.deleted() {
			parent := it.parent
			if it.countable() && !it.hasSub() && parent != nil {
				parent.length -= it.length
			}
			it.markDeleted()
			tx.ds.add(it.id.Client, it.id.Clock, it.length)
			tx.addChanged(parent, it)
			if ct := it.typ(); ct != nil {
				stack = append(stack, frame{t: ct, n: ct.start})
			}
		} else if it.kind == kindItem && it.id.Clock < tx.before(it.id.Client) {
			tx.mergeStructs = append(tx.mergeStructs, it)
		}
	}
}

// gc replaces deleted content by a tombstone: ContentDeleted, or a GC struct
// when the parent itself is collected.
func (it *item) gc(parentGCd bool) {
	if it.kind != kindItem || !it.deleted() {
		return
	}
	if t := it.typ(); t != nil {
		gcTypeContent(t)
	}
	if parentGCd {
		it.toGC()
	} else {
		it.ckind = contentDeleted
		it.str = nil
		it.val = nil
		it.flags &^= flagCountable
	}
}

func gcTypeContent(root *typeCore) {
	stack := []*typeCore{root}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for it := t.start; it != nil; {
			next := it.right
			if ct := it.typ(); ct != nil {
				stack = append(stack, ct)
			}
			it.toGC()
			it = next
		}
		t.start = nil
		for _, e := range t.entries {
			for it := e.it; it != nil; {
				prev := it.left
				if ct := it.typ(); ct != nil {
					stack = append(stack, ct)
				}
				it.toGC()
				it = prev
			}
		}
		t.entries = nil
		t.index = nil
	}
}

// toGC turns the item into a GC struct in place (Yjs replaces the object in the store).
func (it *item) toGC() {
	if it.kind != kindItem {
		return
	}
	it.kind = kindGC
	it.left, it.right, it.parent = nil, nil, nil
	it.str, it.val, it.pref = nil, nil, nil
	it.parentSub = ""
	it.flags = 0
	it.ckind = 0
}
