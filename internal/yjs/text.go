package yjs

import (
	"strings"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// attrMap is a JavaScript Map of formatting attributes (insertion order).
type attrMap struct {
	keys []string
	vals []any
}

func (m *attrMap) get(k string) (any, bool) {
	for i, x := range m.keys {
		if x == k {
			return m.vals[i], true
		}
	}
	return nil, false
}

// getOrNull is map.get(k) ?? null.
func (m *attrMap) getOrNull(k string) any {
	v, ok := m.get(k)
	if !ok {
		return nil
	}
	if _, u := v.(lib0.Undefined); u {
		return nil
	}
	return v
}

func (m *attrMap) set(k string, v any) {
	for i, x := range m.keys {
		if x == k {
			m.vals[i] = v
			return
		}
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
}

func (m *attrMap) del(k string) {
	for i, x := range m.keys {
		if x == k {
			m.keys = append(m.keys[:i], m.keys[i+1:]...)
			m.vals = append(m.vals[:i], m.vals[i+1:]...)
			return
		}
	}
}

func (m *attrMap) clone() *attrMap {
	return &attrMap{keys: append([]string(nil), m.keys...), vals: append([]any(nil), m.vals...)}
}

func (m *attrMap) size() int { return len(m.keys) }

// equalAttrs is Yjs's equality of formatting values.
func equalAttrs(a, b any) bool {
	return lib0.SameValue(a, b) || (lib0.IsObjectLike(a) && lib0.IsObjectLike(b) && lib0.EqualFlat(a, b))
}

// objGetOrNull is attributes[key] ?? null on a plain object.
func objGetOrNull(o *lib0.Object, k string) any {
	v, ok := o.Get(k)
	if !ok {
		return nil
	}
	if _, u := v.(lib0.Undefined); u {
		return nil
	}
	return v
}

func updateCurrentAttributes(attrs *attrMap, f *formatContent) {
	if f.value == nil {
		attrs.del(f.key)
	} else {
		attrs.set(f.key, f.value)
	}
}

type textPos struct {
	left, right *item
	index       int
	attrs       *attrMap
}

func (p *textPos) forward() {
	r := p.right
	if r == nil {
		return
	}
	if r.kind == kindItem && r.ckind == contentFormat {
		if !r.deleted() {
			updateCurrentAttributes(p.attrs, r.format())
		}
	} else if !r.deleted() {
		p.index += r.length
	}
	p.left = r
	p.right = r.right
}

func isFormat(it *item) bool { return it.kind == kindItem && it.ckind == contentFormat }

func findNextPosition(tx *Txn, pos *textPos, count int) *textPos {
	for pos.right != nil && count > 0 {
		r := pos.right
		if isFormat(r) {
			if !r.deleted() {
				updateCurrentAttributes(pos.attrs, r.format())
			}
		} else if !r.deleted() {
			if count < r.length {
				tx.cleanStart(ID{r.id.Client, r.id.Clock + count})
			}
			pos.index += r.length
			count -= r.length
		}
		pos.left = r
		pos.right = r.right
	}
	return pos
}

func findPosition(tx *Txn, parent *typeCore, index int, useMarker bool) *textPos {
	attrs := &attrMap{}
	if useMarker {
		if m := parent.findMarker(index); m != nil {
			pos := &textPos{left: m.p.left, right: m.p, index: m.index, attrs: attrs}
			return findNextPosition(tx, pos, index-m.index)
		}
	}
	pos := &textPos{right: parent.start, attrs: attrs}
	return findNextPosition(tx, pos, index)
}

func newFormatItem(tx *Txn, parent *typeCore, pos *textPos, key string, val any) *item {
	it := newLocalItem(tx, pos.left, pos.right, parent)
	it.ckind = contentFormat
	it.val = &formatContent{key: key, value: val}
	it.length = 1
	it.integrate(tx, 0)
	return it
}

func insertNegatedAttributes(tx *Txn, parent *typeCore, pos *textPos, negated *attrMap) {
	for pos.right != nil {
		r := pos.right
		if r.deleted() {
			pos.forward()
			continue
		}
		if isFormat(r) {
			f := r.format()
			if nv, ok := negated.get(f.key); ok && equalAttrs(nv, f.value) {
				negated.del(f.key)
				pos.forward()
				continue
			}
		}
		break
	}
	for i, k := range negated.keys {
		pos.right = newFormatItem(tx, parent, pos, k, negated.vals[i])
		pos.forward()
	}
}

func minimizeAttributeChanges(pos *textPos, attributes *lib0.Object) {
	for pos.right != nil {
		r := pos.right
		if r.deleted() || (isFormat(r) && equalAttrs(objGetOrNull(attributes, r.format().key), r.format().value)) {
			pos.forward()
			continue
		}
		break
	}
}

func insertAttributes(tx *Txn, parent *typeCore, pos *textPos, attributes *lib0.Object) *attrMap {
	negated := &attrMap{}
	for i := 0; i < attributes.Len(); i++ {
		key, val := attributes.At(i)
		cur := pos.attrs.getOrNull(key)
		if !equalAttrs(cur, val) {
			negated.set(key, cur)
			pos.right = newFormatItem(tx, parent, pos, key, val)
			pos.forward()
		}
	}
	return negated
}

// insertText inserts a string or embed at pos with exactly the given attributes.
func insertText(tx *Txn, parent *typeCore, pos *textPos, content any, attributes *lib0.Object) error {
	for i, k := range pos.attrs.keys {
		_ = i
		if v, ok := attributes.Get(k); !ok {
			attributes.Set(k, nil)
		} else if _, u := v.(lib0.Undefined); u {
			attributes.Set(k, nil)
		}
	}
	minimizeAttributeChanges(pos, attributes)
	negated := insertAttributes(tx, parent, pos, attributes)
	it := newLocalItem(tx, pos.left, pos.right, parent)
	switch c := content.(type) {
	case string:
		it.ckind = contentString
		it.str = []byte(c)
		it.length = lib0.UTF16Len(c)
	default:
		if t, ok := sharedCore(c); ok {
			kind, norm, err := classify(c)
			if err != nil {
				tx.doc.alloc.release(it)
				return err
			}
			_ = t
			setTypeContent(it, kind, norm)
		} else {
			norm, err := lib0.Normalize(c)
			if err != nil {
				tx.doc.alloc.release(it)
				return err
			}
			it.ckind = contentEmbed
			it.val = norm
			it.length = 1
		}
	}
	it.flags |= flagCountable
	if parent.markers != nil {
		parent.markers.updateChanges(pos.index, it.length)
	}
	index := pos.index
	it.integrate(tx, 0)
	pos.right = it
	pos.index = index
	pos.forward()
	insertNegatedAttributes(tx, parent, pos, negated)
	return nil
}

func formatText(tx *Txn, parent *typeCore, pos *textPos, length int, attributes *lib0.Object) {
	minimizeAttributeChanges(pos, attributes)
	negated := insertAttributes(tx, parent, pos, attributes)
loop:
	for pos.right != nil && (length > 0 || (negated.size() > 0 && (pos.right.deleted() || isFormat(pos.right)))) {
		r := pos.right
		if !r.deleted() {
			if isFormat(r) {
				f := r.format()
				if attr, ok := attributes.Get(f.key); ok && !isUndef(attr) {
					if equalAttrs(attr, f.value) {
						negated.del(f.key)
					} else {
						if length == 0 {
							break loop
						}
						negated.set(f.key, f.value)
					}
					r.delete(tx)
				} else {
					pos.attrs.set(f.key, f.value)
				}
			} else {
				if length < r.length {
					tx.cleanStart(ID{r.id.Client, r.id.Clock + length})
				}
				length -= r.length
			}
		}
		pos.forward()
	}
	if length > 0 {
		it := newLocalItem(tx, pos.left, pos.right, parent)
		it.ckind = contentString
		it.str = []byte(strings.Repeat("\n", length))
		it.length = length
		it.flags |= flagCountable
		it.integrate(tx, 0)
		pos.right = it
		pos.forward()
	}
	insertNegatedAttributes(tx, parent, pos, negated)
}

func isUndef(v any) bool {
	_, u := v.(lib0.Undefined)
	return u
}

// cleanupFormattingGap deletes formatting markers between start and the
// next countable item that have no effect; it returns how many it deleted.
func cleanupFormattingGap(tx *Txn, start, curr *item, startAttrs, currAttrs *attrMap) int {
	end := start
	var endFormats map[string]*item
	for end != nil && (!end.countable() || end.deleted()) {
		if !end.deleted() && isFormat(end) {
			if endFormats == nil {
				endFormats = map[string]*item{}
			}
			endFormats[end.format().key] = end
		}
		end = end.right
	}
	cleanups := 0
	reachedCurr := false
	for start != end && start != nil {
		if curr == start {
			reachedCurr = true
		}
		if !start.deleted() && isFormat(start) {
			f := start.format()
			startVal := startAttrs.getOrNull(f.key)
			if endFormats[f.key] != start || lib0.SameValue(startVal, f.value) {
				start.delete(tx)
				cleanups++
				if !reachedCurr && lib0.SameValue(currAttrs.getOrNull(f.key), f.value) && !lib0.SameValue(startVal, f.value) {
					if startVal == nil {
						currAttrs.del(f.key)
					} else {
						currAttrs.set(f.key, startVal)
					}
				}
			}
			if !reachedCurr && !start.deleted() {
				updateCurrentAttributes(currAttrs, f)
			}
		}
		start = start.right
	}
	return cleanups
}

func cleanupContextlessFormattingGap(tx *Txn, it *item) {
	for it != nil && it.right != nil && (it.right.deleted() || !it.right.countable()) {
		it = it.right
	}
	seen := map[string]bool{}
	for it != nil && (it.deleted() || !it.countable()) {
		if !it.deleted() && isFormat(it) {
			k := it.format().key
			if seen[k] {
				it.delete(tx)
			} else {
				seen[k] = true
			}
		}
		it = it.left
	}
}

// cleanupTextFormatting removes every redundant formatting marker of t.
func cleanupTextFormatting(tx *Txn, t *typeCore) int {
	res := 0
	start := t.start
	end := t.start
	startAttrs := &attrMap{}
	curr := &attrMap{}
	for end != nil {
		if !end.deleted() {
			if isFormat(end) {
				updateCurrentAttributes(curr, end.format())
			} else {
				res += cleanupFormattingGap(tx, start, end, startAttrs, curr)
				startAttrs = curr.clone()
				start = end
			}
		}
		end = end.right
	}
	return res
}

// cleanupTextAfterTxn is Yjs's cleanupYTextAfterTransaction: after a remote
// change to formatted text, redundant formatting markers are deleted in a
// new local transaction.
func (d *Doc) cleanupTextAfterTxn(tx *Txn) {
	var full []*typeCore
	inFull := map[*typeCore]bool{}
	addFull := func(t *typeCore) {
		if t != nil && !inFull[t] {
			inFull[t] = true
			full = append(full, t)
		}
	}
	for client, beforeClock := range tx.beforeState {
		l := d.store.clients[client]
		if l == nil {
			continue
		}
		after := l.state()
		if after == beforeClock {
			continue
		}
		tx.iterateStructs(l, beforeClock, after, func(it *item) {
			if it.kind == kindItem && !it.deleted() && it.ckind == contentFormat {
				addFull(it.parent)
			}
		})
	}
	d.transact(nil, true, func(t *Txn) error {
		for _, e := range tx.ds.entries {
			l := d.store.clients[e.client]
			if l == nil {
				continue
			}
			state := l.state()
			for _, r := range e.ranges {
				if r.clock >= state {
					break
				}
				tx.iterateStructs(l, r.clock, r.len, func(it *item) {
					if it.kind != kindItem || it.parent == nil || !it.parent.hasFormatting || inFull[it.parent] {
						return
					}
					if it.ckind == contentFormat {
						addFull(it.parent)
					} else {
						cleanupContextlessFormattingGap(t, it)
					}
				})
			}
		}
		for _, yt := range full {
			cleanupTextFormatting(t, yt)
		}
		return nil
	})
}

// deleteText deletes length countable units from pos.
func deleteText(tx *Txn, pos *textPos, length int) *textPos {
	startLength := length
	startAttrs := pos.attrs.clone()
	start := pos.right
	for length > 0 && pos.right != nil {
		r := pos.right
		if !r.deleted() && r.kind == kindItem {
			switch r.ckind {
			case contentType, contentEmbed, contentString:
				if length < r.length {
					tx.cleanStart(ID{r.id.Client, r.id.Clock + length})
				}
				length -= r.length
				r.delete(tx)
			}
		}
		pos.forward()
	}
	if start != nil {
		cleanupFormattingGap(tx, start, pos.right, startAttrs, pos.attrs)
	}
	var ref *item
	if pos.left != nil {
		ref = pos.left
	} else {
		ref = pos.right
	}
	if ref != nil && ref.parent != nil && ref.parent.markers != nil {
		ref.parent.markers.updateChanges(pos.index, -startLength+length)
	}
	return pos
}

// DeltaOp is one operation of a rich-text delta. Reading a text yields
// inserts only; ApplyDelta also takes retains and deletes.
type DeltaOp struct {
	Insert     any          // string, embed value, or shared type
	Retain     int          // > 0 for a retain
	Delete     int          // > 0 for a delete
	Attributes *lib0.Object // formatting (nil: none / keep)
}

// textDelta is YText.toDelta() without snapshots.
func textDelta(t *typeCore) []DeltaOp {
	var ops []DeltaOp
	cur := &attrMap{}
	var sb strings.Builder
	attrsObj := func() *lib0.Object {
		if cur.size() == 0 {
			return nil
		}
		o := lib0.NewObject()
		for i, k := range cur.keys {
			o.Set(k, cur.vals[i])
		}
		return o
	}
	pack := func() {
		if sb.Len() > 0 {
			ops = append(ops, DeltaOp{Insert: sb.String(), Attributes: attrsObj()})
			sb.Reset()
		}
	}
	for n := t.start; n != nil; n = n.right {
		if n.deleted() {
			continue
		}
		switch n.ckind {
		case contentString:
			sb.Write(n.str)
		case contentType, contentEmbed:
			pack()
			ops = append(ops, DeltaOp{Insert: contentValue(n, 0), Attributes: attrsObj()})
		case contentFormat:
			pack()
			updateCurrentAttributes(cur, n.format())
		}
	}
	pack()
	return ops
}

// textString is YText.toString(): the visible characters without formatting.
func textString(t *typeCore) string {
	var sb strings.Builder
	for n := t.start; n != nil; n = n.right {
		if !n.deleted() && n.countable() && n.ckind == contentString {
			sb.Write(n.str)
		}
	}
	return sb.String()
}

// textInsert is YText.insert.
func textInsert(tx *Txn, t *typeCore, index int, s string, attrs *lib0.Object) error {
	if len(s) == 0 {
		return nil
	}
	s = lib0.ValidString(s)
	if attrs != nil {
		n, err := lib0.Normalize(attrs)
		if err != nil {
			return err
		}
		attrs = n.(*lib0.Object)
	}
	pos := findPosition(tx, t, index, attrs == nil)
	if attrs == nil {
		attrs = lib0.NewObject()
		for i, k := range pos.attrs.keys {
			attrs.Set(k, pos.attrs.vals[i])
		}
	} else {
		attrs = attrs.Clone()
	}
	return insertText(tx, t, pos, s, attrs)
}

func textInsertEmbed(tx *Txn, t *typeCore, index int, v any, attrs *lib0.Object) error {
	pos := findPosition(tx, t, index, attrs == nil)
	if attrs == nil {
		attrs = lib0.NewObject()
	} else {
		attrs = attrs.Clone()
	}
	return insertText(tx, t, pos, v, attrs)
}

func textDelete(tx *Txn, t *typeCore, index, length int) {
	if length == 0 {
		return
	}
	deleteText(tx, findPosition(tx, t, index, true), length)
}

func textFormat(tx *Txn, t *typeCore, index, length int, attrs *lib0.Object) {
	if length == 0 || attrs == nil {
		return
	}
	if n, err := lib0.Normalize(attrs); err == nil {
		attrs = n.(*lib0.Object)
	}
	pos := findPosition(tx, t, index, false)
	if pos.right == nil {
		return
	}
	formatText(tx, t, pos, length, attrs)
}

func textApplyDelta(tx *Txn, t *typeCore, delta []DeltaOp) error {
	pos := &textPos{right: t.start, attrs: &attrMap{}}
	for _, op := range delta {
		attrs := op.Attributes
		if attrs == nil {
			attrs = lib0.NewObject()
		} else {
			attrs = attrs.Clone()
		}
		if n, err := lib0.Normalize(attrs); err == nil {
			attrs = n.(*lib0.Object)
		}
		switch {
		case op.Insert != nil:
			if s, ok := op.Insert.(string); ok {
				if len(s) == 0 {
					continue
				}
				op.Insert = lib0.ValidString(s)
			}
			if err := insertText(tx, t, pos, op.Insert, attrs); err != nil {
				return err
			}
		case op.Retain > 0:
			formatText(tx, t, pos, op.Retain, attrs)
		case op.Delete > 0:
			deleteText(tx, pos, op.Delete)
		}
	}
	return nil
}
