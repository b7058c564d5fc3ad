package yjs

// itemSet is a small identity set: a slice, switching to a map when large.
type itemSet struct {
	list []*item
	m    map[*item]struct{}
}

func (s *itemSet) add(it *item) {
	if s.m != nil {
		s.m[it] = struct{}{}
		return
	}
	s.list = append(s.list, it)
	if len(s.list) > 32 {
		s.m = make(map[*item]struct{}, 64)
		for _, x := range s.list {
			s.m[x] = struct{}{}
		}
	}
}

func (s *itemSet) has(it *item) bool {
	if s.m != nil {
		_, ok := s.m[it]
		return ok
	}
	for _, x := range s.list {
		if x == it {
			return true
		}
	}
	return false
}

func (s *itemSet) clear() {
	clear(s.list)
	s.list = s.list[:0]
	s.m = nil
}

// missing resolves origins and parent of a decoded item. It returns the
// client whose structs are missing, or ok=false when everything is present.
func (it *item) missing(tx *Txn) (client uint64, isMissing bool) {
	st := &tx.doc.store
	if it.hasOrigin() && it.origin.Client != it.id.Client && it.origin.Clock >= st.state(it.origin.Client) {
		return it.origin.Client, true
	}
	if it.hasROrigin() && it.rightOrigin.Client != it.id.Client && it.rightOrigin.Clock >= st.state(it.rightOrigin.Client) {
		return it.rightOrigin.Client, true
	}
	if p := it.pref; p != nil && p.isID && it.id.Client != p.id.Client && p.id.Clock >= st.state(p.id.Client) {
		return p.id.Client, true
	}
	if it.hasOrigin() {
		it.left = tx.cleanEnd(it.origin)
		if it.left != nil {
			it.origin = it.left.lastID()
		}
	}
	if it.hasROrigin() {
		it.right = tx.cleanStart(it.rightOrigin)
		if it.right != nil {
			it.rightOrigin = it.right.id
		}
	}
	switch {
	case (it.left != nil && it.left.kind == kindGC) || (it.right != nil && it.right.kind == kindGC):
		it.parent = nil
	case it.pref == nil:
		if it.left != nil && it.left.kind == kindItem {
			it.parent = it.left.parent
			it.parentSub = it.left.parentSub
			it.flags = it.flags&^flagParentSub | it.left.flags&flagParentSub
		} else if it.right != nil && it.right.kind == kindItem {
			it.parent = it.right.parent
			it.parentSub = it.right.parentSub
			it.flags = it.flags&^flagParentSub | it.right.flags&flagParentSub
		}
	case it.pref.isID:
		pi := st.find(it.pref.id)
		if pi == nil || pi.kind != kindItem {
			it.parent = nil
		} else {
			it.parent = pi.typ() // a parent that is not a type makes this a GC, as in Yjs
		}
	default:
		t, _ := tx.doc.root(it.pref.root, KindAbstract)
		it.parent = t
	}
	it.pref = nil
	return 0, false
}

// integrate inserts the item into its parent with the YATA rules (conflicts
// between concurrent inserts at one position are ordered by client id and
// origins), adds it to the store and integrates its content.
func (it *item) integrate(tx *Txn, offset int) {
	d := tx.doc
	if offset > 0 {
		it.id.Clock += offset
		it.left = tx.cleanEnd(ID{it.id.Client, it.id.Clock - 1})
		if it.left != nil {
			it.origin = it.left.lastID()
			it.flags |= flagOrigin
		}
		cutFront(it, offset)
		it.length -= offset
		if it.left != nil && it.left.kind != kindItem {
			it.parent = nil // our own left neighbour was collected with its parent
		}
	}
	if it.parent == nil {
		it.toGCStruct(tx)
		return
	}
	parent := it.parent
	if (it.left == nil && (it.right == nil || it.right.left != nil)) || (it.left != nil && it.left.right != it.right) {
		left := it.left
		var o *item
		if left != nil {
			o = left.right
		} else if it.hasSub() {
			o = parent.entry(it.parentSub)
			for o != nil && o.left != nil {
				o = o.left
			}
		} else {
			o = parent.start
		}
		conflicting, before := &d.conflicting, &d.beforeOrigin
		for o != nil && o != it.right {
			before.add(o)
			conflicting.add(o)
			if sameOrigin(it.hasOrigin(), it.origin, o.hasOrigin(), o.origin) {
				if o.id.Client < it.id.Client {
					left = o
					conflicting.clear()
				} else if sameOrigin(it.hasROrigin(), it.rightOrigin, o.hasROrigin(), o.rightOrigin) {
					break
				}
			} else if o.hasOrigin() {
				oo := d.store.find(o.origin)
				if oo != nil && before.has(oo) {
					if !conflicting.has(oo) {
						left = o
						conflicting.clear()
					}
				} else {
					break
				}
			} else {
				break
			}
			o = o.right
		}
		conflicting.clear()
		before.clear()
		it.left = left
	}
	if it.left != nil {
		it.right = it.left.right
		it.left.right = it
	} else {
		var r *item
		if it.hasSub() {
			r = parent.entry(it.parentSub)
			for r != nil && r.left != nil {
				r = r.left
			}
		} else {
			r = parent.start
			parent.start = it
		}
		it.right = r
	}
	if it.right != nil {
		it.right.left = it
	} else if it.hasSub() {
		parent.setEntry(it.parentSub, it)
		if it.left != nil {
			it.left.delete(tx)
		}
	}
	if !it.hasSub() && it.countable() && !it.deleted() {
		parent.length += it.length
	}
	tx.addStruct(it)
	it.integrateContent(tx)
	tx.addChanged(parent, it)
	if (parent.item != nil && parent.item.deleted()) || (it.hasSub() && it.right != nil) {
		it.delete(tx)
	}
}

func sameOrigin(ha bool, a ID, hb bool, b ID) bool {
	if ha != hb {
		return false
	}
	return !ha || a == b
}

// toGCStruct integrates a struct whose parent is gone as a GC range.
func (it *item) toGCStruct(tx *Txn) {
	it.toGC()
	it.kind = kindGC
	tx.addStruct(it)
}

// integrateContent runs the content-specific part of integration.
func (it *item) integrateContent(tx *Txn) {
	switch it.ckind {
	case contentDeleted:
		tx.ds.add(it.id.Client, it.id.Clock, it.length)
		it.markDeleted()
	case contentFormat:
		p := it.parent
		p.markers = nil
		p.hasFormatting = true
	case contentType:
		if t := it.typ(); t != nil {
			t.integrateType(tx, it)
		}
	}
}

// integrateGC adds a decoded GC struct (possibly starting at offset).
func integrateGC(tx *Txn, it *item, offset int) {
	if offset > 0 {
		it.id.Clock += offset
		it.length -= offset
	}
	tx.addStruct(it)
}
