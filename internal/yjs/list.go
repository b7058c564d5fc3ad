package yjs

import (
	"fmt"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// newLocalItem prepares an item created by this peer between left and right.
func newLocalItem(tx *Txn, left, right *item, parent *typeCore) *item {
	d := tx.doc
	it := d.alloc.new()
	it.kind = kindItem
	it.id = ID{d.clientID, d.store.state(d.clientID)}
	it.left = left
	if left != nil {
		it.origin = left.lastID()
		it.flags |= flagOrigin
	}
	it.right = right
	if right != nil {
		it.rightOrigin = right.id
		it.flags |= flagRightOrigin
	}
	it.parent = parent
	return it
}

// setContent fills the item's content from a value a user inserts.
func setAnyContent(it *item, vals []any) {
	it.ckind = contentAny
	it.val = vals
	it.length = len(vals)
	it.flags |= flagCountable
}

// sharedCore returns the core of a preliminary shared type passed as a value.
func sharedCore(v any) (*typeCore, bool) {
	switch x := v.(type) {
	case XmlElement:
		return x.t, true
	case XmlText:
		return x.t, true
	case XmlFragment:
		return x.t, true
	case XmlHook:
		return x.t, true
	case Text:
		return x.t, true
	case Map:
		return x.t, true
	case Array:
		return x.t, true
	}
	return nil, false
}

// classify sorts an inserted value into a content kind; Any values are normalized.
func classify(v any) (kind uint8, norm any, err error) {
	if t, ok := sharedCore(v); ok {
		if t == nil {
			return 0, nil, fmt.Errorf("yjs: nil shared type")
		}
		if t.item != nil || t.isRoot || t.doc != nil {
			return 0, nil, fmt.Errorf("yjs: a shared type can be inserted only once")
		}
		return contentType, t, nil
	}
	switch x := v.(type) {
	case []byte:
		return contentBinary, append([]byte(nil), x...), nil
	case *SubDoc:
		return contentDoc, x, nil
	case lib0.Undefined:
		return 0, nil, fmt.Errorf("yjs: cannot insert undefined")
	}
	n, err := lib0.Normalize(v)
	if err != nil {
		return 0, nil, err
	}
	return contentAny, n, nil
}

func setTypeContent(it *item, kind uint8, v any) {
	it.ckind = kind
	it.length = 1
	it.flags |= flagCountable
	switch kind {
	case contentType:
		it.val = v.(*typeCore)
	case contentBinary:
		it.val = v
	case contentDoc:
		sd := v.(*SubDoc)
		it.val = &docContent{guid: sd.GUID, opts: sd.canonicalOpts()}
	}
}

// typeListInsertAfter inserts values after ref (nil: at the start), packing
// consecutive plain values into one ContentAny item as Yjs does.
func typeListInsertAfter(tx *Txn, parent *typeCore, ref *item, values []any) error {
	left := ref
	var right *item
	if ref == nil {
		right = parent.start
	} else {
		right = ref.right
	}
	var pack []any
	flush := func() {
		if len(pack) > 0 {
			it := newLocalItem(tx, left, right, parent)
			setAnyContent(it, pack)
			it.integrate(tx, 0)
			left = it
			pack = nil
		}
	}
	for _, v := range values {
		kind, norm, err := classify(v)
		if err != nil {
			return err
		}
		if kind == contentAny {
			pack = append(pack, norm)
			continue
		}
		flush()
		it := newLocalItem(tx, left, right, parent)
		setTypeContent(it, kind, norm)
		it.integrate(tx, 0)
		left = it
	}
	flush()
	return nil
}

// typeListInsert inserts values at index.
func typeListInsert(tx *Txn, parent *typeCore, index int, values []any) error {
	if index < 0 || index > parent.length {
		return fmt.Errorf("%w: insert at %d, length %d", ErrOutOfRange, index, parent.length)
	}
	for _, v := range values {
		if _, _, err := classify(v); err != nil {
			return err
		}
	}
	if index == 0 {
		if parent.markers != nil {
			parent.markers.updateChanges(index, len(values))
		}
		return typeListInsertAfter(tx, parent, nil, values)
	}
	start := index
	m := parent.findMarker(index)
	n := parent.start
	if m != nil {
		n = m.p
		index -= m.index
		if index == 0 {
			n = n.prev()
			if n != nil && n.countable() && !n.deleted() {
				index += n.length
			}
		}
	}
	for ; n != nil; n = n.right {
		if !n.deleted() && n.countable() {
			if index <= n.length {
				if index < n.length {
					tx.cleanStart(ID{n.id.Client, n.id.Clock + index})
				}
				break
			}
			index -= n.length
		}
	}
	if parent.markers != nil {
		parent.markers.updateChanges(start, len(values))
	}
	return typeListInsertAfter(tx, parent, n, values)
}

// typeListDelete deletes length countable units starting at index.
func typeListDelete(tx *Txn, parent *typeCore, index, length int) error {
	if length == 0 {
		return nil
	}
	if index < 0 || length < 0 || index+length > parent.length {
		return fmt.Errorf("%w: delete %d at %d, length %d", ErrOutOfRange, length, index, parent.length)
	}
	start, startLen := index, length
	m := parent.findMarker(index)
	n := parent.start
	if m != nil {
		n = m.p
		index -= m.index
	}
	for ; n != nil && index > 0; n = n.right {
		if !n.deleted() && n.countable() {
			if index < n.length {
				tx.cleanStart(ID{n.id.Client, n.id.Clock + index})
			}
			index -= n.length
		}
	}
	for length > 0 && n != nil {
		if !n.deleted() {
			if length < n.length {
				tx.cleanStart(ID{n.id.Client, n.id.Clock + length})
			}
			n.delete(tx)
			length -= n.length
		}
		n = n.right
	}
	if length > 0 {
		return fmt.Errorf("%w: delete past the end", ErrOutOfRange)
	}
	if parent.markers != nil {
		parent.markers.updateChanges(start, -startLen+length)
	}
	return nil
}

// typeMapSet sets key on a map-like type (Map, element attributes).
func typeMapSet(tx *Txn, parent *typeCore, key string, v any) error {
	key = lib0.ValidString(key)
	left := parent.entry(key)
	it := newLocalItem(tx, left, nil, parent)
	it.parentSub = key
	it.flags |= flagParentSub
	switch v.(type) {
	case nil, lib0.Undefined:
		setAnyContent(it, []any{v})
	default:
		kind, norm, err := classify(v)
		if err != nil {
			*it = item{}
			tx.doc.alloc.free = append(tx.doc.alloc.free, it)
			return err
		}
		if kind == contentAny {
			setAnyContent(it, []any{norm})
		} else {
			setTypeContent(it, kind, norm)
		}
	}
	it.integrate(tx, 0)
	return nil
}

// typeMapDelete deletes key.
func typeMapDelete(tx *Txn, parent *typeCore, key string) {
	if c := parent.entry(key); c != nil {
		c.delete(tx)
	}
}

// typeMapGet returns the current value of key.
func typeMapGet(t *typeCore, key string) (any, bool) {
	it := t.entry(key)
	if it == nil || it.deleted() {
		return nil, false
	}
	return lastContentValue(it), true
}

// contentValue returns the i-th value of an item's content.
func contentValue(it *item, i int) any {
	switch it.ckind {
	case contentAny, contentJSON:
		vals := contentValues(it)
		if i < len(vals) {
			return vals[i]
		}
		return lib0.Undefined{}
	case contentString:
		// only reached through list reads of a Text's items
		return string(it.str)
	case contentBinary:
		return it.val
	case contentEmbed:
		return it.val
	case contentType:
		if t := it.typ(); t != nil {
			return t.value()
		}
	case contentDoc:
		if dc, ok := it.val.(*docContent); ok {
			return &SubDoc{GUID: dc.guid, Opts: dc.opts}
		}
	}
	return lib0.Undefined{}
}

func lastContentValue(it *item) any { return contentValue(it, it.length-1) }

// listValues appends the visible values of a list type.
func listValues(t *typeCore) []any {
	var out []any
	for n := t.start; n != nil; n = n.right {
		if n.countable() && !n.deleted() {
			out = appendContent(out, n)
		}
	}
	return out
}

func appendContent(out []any, n *item) []any {
	switch n.ckind {
	case contentAny, contentJSON:
		return append(out, contentValues(n)...)
	case contentString:
		for _, r := range string(n.str) {
			if r >= 0x10000 {
				out = append(out, "\uFFFD", "\uFFFD") // halves of a surrogate pair
			} else {
				out = append(out, string(r))
			}
		}
		return out
	}
	return append(out, contentValue(n, 0))
}

// listGet returns the value at index.
func listGet(t *typeCore, index int) (any, bool) {
	if index < 0 {
		return nil, false
	}
	m := t.findMarker(index)
	n := t.start
	if m != nil {
		n = m.p
		index -= m.index
	}
	for ; n != nil; n = n.right {
		if !n.deleted() && n.countable() {
			if index < n.length {
				if n.ckind == contentString {
					vals := appendContent(nil, n)
					return vals[index], true
				}
				return contentValue(n, index), true
			}
			index -= n.length
		}
	}
	return nil, false
}
