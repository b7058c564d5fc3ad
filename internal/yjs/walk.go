package yjs

import "fmt"

// Walk visits the descendants of the fragment in document order (pre-order,
// as Yjs's YXmlTreeWalker does): XmlElements, XmlTexts and any other values.
// fn's result says whether to descend into an element's children.
func (f XmlFragment) Walk(fn func(node any) bool) { walkChildren(f.t, fn) }

// Walk visits the descendants of the element in document order; see XmlFragment.Walk.
func (e XmlElement) Walk(fn func(node any) bool) { walkChildren(e.t, fn) }

func walkChildren(t *typeCore, fn func(node any) bool) {
	// an explicit stack: hostile documents can nest deeper than recursion should go
	type frame struct{ kids []any }
	stack := []frame{{t.listSlice()}}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if len(top.kids) == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		c := top.kids[0]
		top.kids = top.kids[1:]
		if fn(c) {
			switch x := c.(type) {
			case XmlElement:
				stack = append(stack, frame{x.t.listSlice()})
			case XmlFragment:
				stack = append(stack, frame{x.t.listSlice()})
			}
		}
	}
}

// InsertAfter inserts nodes after ref (a child of the fragment; nil means at
// the start), like Yjs's insertAfter: the position follows ref even if
// others inserted before it.
func (f XmlFragment) InsertAfter(tx *Txn, ref any, nodes ...any) error {
	return insertAfter(f.t, tx, ref, nodes)
}

// InsertAfter inserts nodes after the child ref (nil: at the start).
func (e XmlElement) InsertAfter(tx *Txn, ref any, nodes ...any) error {
	return insertAfter(e.t, tx, ref, nodes)
}

func insertAfter(t *typeCore, tx *Txn, ref any, nodes []any) error {
	var refCore *typeCore
	if ref != nil {
		c, ok := sharedCore(ref)
		if !ok || c == nil {
			return fmt.Errorf("yjs: InsertAfter reference must be a shared type, got %T", ref)
		}
		refCore = c
	}
	if t.isPrelim() {
		idx := 0
		if refCore != nil {
			idx = -1
			for i, v := range t.prelim.list {
				if c, ok := sharedCore(v); ok && c == refCore {
					idx = i + 1
				}
			}
			if idx < 0 {
				return fmt.Errorf("yjs: InsertAfter reference not found")
			}
		}
		return t.listInsert(nil, idx, nodes)
	}
	return t.edit(tx, func(tx *Txn) error {
		for _, v := range nodes {
			if _, _, err := classify(v); err != nil {
				return err
			}
		}
		var refItem *item
		if refCore != nil {
			if refCore.item == nil || refCore.item.parent != t {
				return fmt.Errorf("yjs: InsertAfter reference is not a child of this type")
			}
			refItem = refCore.item
		}
		return typeListInsertAfter(tx, t, refItem, nodes)
	})
}
