package yjs

import (
	"fmt"
	"strings"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// Shared types are small handles over one internal state; copying a handle
// is free and two handles of the same type compare equal.

// XmlFragment is an ordered list of XML nodes (the ProseMirror document root).
type XmlFragment struct{ t *typeCore }

// XmlElement is an XML element: a node name, attributes and children.
type XmlElement struct{ t *typeCore }

// XmlText is rich text inside XML: characters with formatting attributes.
type XmlText struct{ t *typeCore }

// XmlHook is Yjs's YXmlHook, a map with a hook name.
type XmlHook struct{ t *typeCore }

// Text is a shared rich text (YText).
type Text struct{ t *typeCore }

// Map is a shared map (YMap).
type Map struct{ t *typeCore }

// Array is a shared array (YArray).
type Array struct{ t *typeCore }

// Abstract is a root created by an update that nobody has asked for by type yet.
type Abstract struct{ t *typeCore }

// SubDoc is an embedded document reference (ContentDoc).
type SubDoc struct {
	GUID string
	Opts *lib0.Object
}

func (s *SubDoc) canonicalOpts() *lib0.Object {
	o := lib0.NewObject()
	if s.Opts == nil {
		return o
	}
	if v, ok := s.Opts.Get("gc"); ok && !isUndef(v) && !truthy(v) {
		o.Set("gc", false)
	}
	if v, ok := s.Opts.Get("autoLoad"); ok && truthy(v) {
		o.Set("autoLoad", true)
	}
	if v, ok := s.Opts.Get("meta"); ok && v != nil && !isUndef(v) {
		o.Set("meta", v)
	}
	return o
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil, lib0.Undefined:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && x == x
	case string:
		return x != ""
	case lib0.BigInt:
		return x != 0
	}
	return true
}

// NewXmlElement returns a preliminary element; fill it, then insert it into a
// fragment or element. It integrates as Yjs does: the element's item, its
// children depth first, then its attributes.
func NewXmlElement(nodeName string) XmlElement {
	t := newTypeCore(KindXmlElement, lib0.ValidString(nodeName))
	t.prelim = &prelim{}
	return XmlElement{t}
}

// NewXmlText returns a preliminary XmlText.
func NewXmlText() XmlText {
	t := newTypeCore(KindXmlText, "")
	t.prelim = &prelim{}
	return XmlText{t}
}

// NewXmlFragment returns a preliminary (nested) XmlFragment.
func NewXmlFragment() XmlFragment {
	t := newTypeCore(KindXmlFragment, "")
	t.prelim = &prelim{}
	return XmlFragment{t}
}

// NewText returns a preliminary Text holding s.
func NewText(s string) Text {
	t := newTypeCore(KindText, "")
	t.prelim = &prelim{}
	if s != "" {
		t.prelim.ops = append(t.prelim.ops, func(tx *Txn) error { return textInsert(tx, t, 0, s, nil) })
	}
	return Text{t}
}

// NewMap returns a preliminary Map.
func NewMap() Map {
	t := newTypeCore(KindMap, "")
	t.prelim = &prelim{}
	return Map{t}
}

// NewArray returns a preliminary Array.
func NewArray() Array {
	t := newTypeCore(KindArray, "")
	t.prelim = &prelim{}
	return Array{t}
}

// edit runs fn in tx, or in a transaction of its own when tx is nil.
func (t *typeCore) edit(tx *Txn, fn func(tx *Txn) error) error {
	if t == nil || t.doc == nil {
		return ErrNotIntegrated
	}
	if tx != nil {
		if tx.doc != t.doc {
			return fmt.Errorf("yjs: transaction belongs to another document")
		}
		return fn(tx)
	}
	_, _, err := t.doc.transact(nil, true, fn)
	return err
}

func (t *typeCore) isPrelim() bool { return t != nil && t.doc == nil && t.prelim != nil }

// ---- common accessors ----

func (t *typeCore) itemID() (ID, bool) {
	if t == nil || t.item == nil {
		return ID{}, false
	}
	return t.item.id, true
}

func (t *typeCore) parentValue() any {
	if t == nil || t.item == nil || t.item.parent == nil {
		return nil
	}
	return t.item.parent.value()
}

func (t *typeCore) deletedType() bool { return t != nil && t.item != nil && t.item.deleted() }

// ---- list-like types ----

func (t *typeCore) listLen() int {
	if t.isPrelim() {
		return len(t.prelim.list)
	}
	return t.length
}

func (t *typeCore) listSlice() []any {
	if t.isPrelim() {
		return append([]any(nil), t.prelim.list...)
	}
	return listValues(t)
}

func (t *typeCore) listGet(i int) (any, bool) {
	if t.isPrelim() {
		if i < 0 || i >= len(t.prelim.list) {
			return nil, false
		}
		return t.prelim.list[i], true
	}
	return listGet(t, i)
}

func (t *typeCore) listInsert(tx *Txn, index int, values []any) error {
	if t.isPrelim() {
		if index < 0 || index > len(t.prelim.list) {
			return ErrOutOfRange
		}
		for _, v := range values {
			if _, _, err := classify(v); err != nil {
				return err
			}
		}
		l := t.prelim.list
		l = append(l[:index:index], append(append([]any(nil), values...), l[index:]...)...)
		t.prelim.list = l
		return nil
	}
	return t.edit(tx, func(tx *Txn) error { return typeListInsert(tx, t, index, values) })
}

func (t *typeCore) listDelete(tx *Txn, index, length int) error {
	if t.isPrelim() {
		if index < 0 || length < 0 || index+length > len(t.prelim.list) {
			return ErrOutOfRange
		}
		t.prelim.list = append(t.prelim.list[:index], t.prelim.list[index+length:]...)
		return nil
	}
	return t.edit(tx, func(tx *Txn) error { return typeListDelete(tx, t, index, length) })
}

// ---- map-like types ----

func (t *typeCore) mapGet(key string) (any, bool) {
	if t.isPrelim() {
		return t.prelim.get(key)
	}
	return typeMapGet(t, key)
}

// mapAll returns the visible entries as a JavaScript object (getAttributes / getAll).
func (t *typeCore) mapAll() *lib0.Object {
	o := lib0.NewObject()
	if t.isPrelim() {
		for i, k := range t.prelim.keys {
			o.Set(k, t.prelim.vals[i])
		}
		return o
	}
	for _, e := range t.entries {
		if it := e.it; it != nil && !it.deleted() {
			o.Set(e.key, lastContentValue(it))
		}
	}
	return o
}

func (t *typeCore) mapSet(tx *Txn, key string, v any) error {
	key = lib0.ValidString(key)
	if t.isPrelim() {
		if _, isUndefined := v.(lib0.Undefined); !isUndefined && v != nil {
			if _, _, err := classify(v); err != nil {
				return err
			}
		}
		t.prelim.set(key, v)
		return nil
	}
	return t.edit(tx, func(tx *Txn) error { return typeMapSet(tx, t, key, v) })
}

func (t *typeCore) mapDelete(tx *Txn, key string) error {
	if t.isPrelim() {
		t.prelim.remove(key)
		return nil
	}
	return t.edit(tx, func(tx *Txn) error { typeMapDelete(tx, t, key); return nil })
}

// ---- text-like types ----

func (t *typeCore) textOp(tx *Txn, op func(tx *Txn) error) error {
	if t.isPrelim() {
		t.prelim.ops = append(t.prelim.ops, op)
		return nil
	}
	return t.edit(tx, op)
}

// ---- XmlFragment ----

// Len returns the number of children.
func (f XmlFragment) Len() int { return f.t.listLen() }

// Get returns the child at i.
func (f XmlFragment) Get(i int) (any, bool) { return f.t.listGet(i) }

// Children returns the children: XmlElement, XmlText, or other values.
func (f XmlFragment) Children() []any { return f.t.listSlice() }

// Insert inserts children at index (preliminary types, or plain values).
func (f XmlFragment) Insert(tx *Txn, index int, nodes ...any) error {
	return f.t.listInsert(tx, index, nodes)
}

// Push appends children.
func (f XmlFragment) Push(tx *Txn, nodes ...any) error {
	return f.t.listInsert(tx, f.t.listLen(), nodes)
}

// Delete removes length children from index.
func (f XmlFragment) Delete(tx *Txn, index, length int) error {
	return f.t.listDelete(tx, index, length)
}

// String is Yjs's toString()/toJSON(): the concatenated XML of the children.
func (f XmlFragment) String() string { return xmlChildrenString(f.t) }

// ID returns the item id of a nested fragment (false for roots and preliminary ones).
func (f XmlFragment) ID() (ID, bool) { return f.t.itemID() }

// ---- XmlElement ----

// NodeName returns the element's name.
func (e XmlElement) NodeName() string { return e.t.name }

// Len returns the number of children.
func (e XmlElement) Len() int { return e.t.listLen() }

// Get returns the child at i.
func (e XmlElement) Get(i int) (any, bool) { return e.t.listGet(i) }

// Children returns the children.
func (e XmlElement) Children() []any { return e.t.listSlice() }

// Insert inserts children at index.
func (e XmlElement) Insert(tx *Txn, index int, nodes ...any) error {
	return e.t.listInsert(tx, index, nodes)
}

// Push appends children.
func (e XmlElement) Push(tx *Txn, nodes ...any) error {
	return e.t.listInsert(tx, e.t.listLen(), nodes)
}

// Delete removes length children from index.
func (e XmlElement) Delete(tx *Txn, index, length int) error {
	return e.t.listDelete(tx, index, length)
}

// Attributes returns the attributes as Yjs's getAttributes() does.
func (e XmlElement) Attributes() *lib0.Object { return e.t.mapAll() }

// Attribute returns one attribute.
func (e XmlElement) Attribute(key string) (any, bool) { return e.t.mapGet(key) }

// SetAttribute sets an attribute (tx may be nil on a preliminary element).
func (e XmlElement) SetAttribute(tx *Txn, key string, v any) error { return e.t.mapSet(tx, key, v) }

// RemoveAttribute removes an attribute.
func (e XmlElement) RemoveAttribute(tx *Txn, key string) error { return e.t.mapDelete(tx, key) }

// String is Yjs's toString(): <nodename attrs>children</nodename>.
func (e XmlElement) String() string { return xmlElementString(e.t) }

// ID returns the element's item id (false while preliminary).
func (e XmlElement) ID() (ID, bool) { return e.t.itemID() }

// Parent returns the containing type (XmlFragment or XmlElement), or nil.
func (e XmlElement) Parent() any { return e.t.parentValue() }

// Deleted reports whether the element was deleted.
func (e XmlElement) Deleted() bool { return e.t.deletedType() }

// ---- XmlText / Text ----

// Len returns the length in UTF-16 code units.
func (x XmlText) Len() int { return x.t.length }

// Delta returns the formatted content (toDelta).
func (x XmlText) Delta() []DeltaOp { return textDelta(x.t) }

// Plain returns the characters without formatting (YText.toString).
func (x XmlText) Plain() string { return textString(x.t) }

// String is YXmlText.toString(): formatting as nested tags.
func (x XmlText) String() string { return xmlTextString(x.t) }

// Insert inserts s at index (UTF-16 units). attrs nil inherits the
// formatting at index; a non-nil object sets exactly those attributes.
func (x XmlText) Insert(tx *Txn, index int, s string, attrs *lib0.Object) error {
	return x.t.textOp(tx, func(tx *Txn) error { return textInsert(tx, x.t, index, s, attrs) })
}

// InsertEmbed inserts an embedded value or preliminary type.
func (x XmlText) InsertEmbed(tx *Txn, index int, v any, attrs *lib0.Object) error {
	return x.t.textOp(tx, func(tx *Txn) error { return textInsertEmbed(tx, x.t, index, v, attrs) })
}

// Delete deletes length units from index.
func (x XmlText) Delete(tx *Txn, index, length int) error {
	return x.t.textOp(tx, func(tx *Txn) error { textDelete(tx, x.t, index, length); return nil })
}

// Format applies attributes (null values remove) to a range.
func (x XmlText) Format(tx *Txn, index, length int, attrs *lib0.Object) error {
	return x.t.textOp(tx, func(tx *Txn) error { textFormat(tx, x.t, index, length, attrs); return nil })
}

// ApplyDelta applies a delta (inserts, retains, deletes).
func (x XmlText) ApplyDelta(tx *Txn, delta []DeltaOp) error {
	return x.t.textOp(tx, func(tx *Txn) error { return textApplyDelta(tx, x.t, delta) })
}

// Attributes returns the text's own attributes (not formatting).
func (x XmlText) Attributes() *lib0.Object { return x.t.mapAll() }

// SetAttribute sets one of the text's own attributes.
func (x XmlText) SetAttribute(tx *Txn, key string, v any) error {
	return x.t.textOp(tx, func(tx *Txn) error { return typeMapSet(tx, x.t, key, v) })
}

// RemoveAttribute removes one of the text's own attributes.
func (x XmlText) RemoveAttribute(tx *Txn, key string) error {
	return x.t.textOp(tx, func(tx *Txn) error { typeMapDelete(tx, x.t, key); return nil })
}

// ID returns the item id (false while preliminary).
func (x XmlText) ID() (ID, bool) { return x.t.itemID() }

// Parent returns the containing type, or nil.
func (x XmlText) Parent() any { return x.t.parentValue() }

// Deleted reports whether the text was deleted.
func (x XmlText) Deleted() bool { return x.t.deletedType() }

// Len returns the length in UTF-16 code units.
func (x Text) Len() int { return x.t.length }

// Delta returns the formatted content.
func (x Text) Delta() []DeltaOp { return textDelta(x.t) }

// String returns the characters without formatting.
func (x Text) String() string { return textString(x.t) }

// Insert inserts s at index; attrs nil inherits the formatting there.
func (x Text) Insert(tx *Txn, index int, s string, attrs *lib0.Object) error {
	return XmlText(x).Insert(tx, index, s, attrs)
}

// InsertEmbed inserts an embedded value or preliminary type.
func (x Text) InsertEmbed(tx *Txn, index int, v any, attrs *lib0.Object) error {
	return XmlText(x).InsertEmbed(tx, index, v, attrs)
}

// Delete deletes length units from index.
func (x Text) Delete(tx *Txn, index, length int) error { return XmlText(x).Delete(tx, index, length) }

// Format applies attributes to a range.
func (x Text) Format(tx *Txn, index, length int, attrs *lib0.Object) error {
	return XmlText(x).Format(tx, index, length, attrs)
}

// ApplyDelta applies a delta.
func (x Text) ApplyDelta(tx *Txn, delta []DeltaOp) error { return XmlText(x).ApplyDelta(tx, delta) }

// ID returns the item id (false for roots and preliminary texts).
func (x Text) ID() (ID, bool) { return x.t.itemID() }

// ---- Map ----

// Len returns the number of visible entries.
func (m Map) Len() int { return m.t.mapAll().Len() }

// Get returns the value of key.
func (m Map) Get(key string) (any, bool) { return m.t.mapGet(key) }

// Keys returns the visible keys in JavaScript object order.
func (m Map) Keys() []string { return m.t.mapAll().Keys() }

// All returns the visible entries as an object (values may be shared types).
func (m Map) All() *lib0.Object { return m.t.mapAll() }

// Set sets key to v (an Any value, []byte, or a preliminary shared type).
func (m Map) Set(tx *Txn, key string, v any) error { return m.t.mapSet(tx, key, v) }

// Delete removes key.
func (m Map) Delete(tx *Txn, key string) error { return m.t.mapDelete(tx, key) }

// ID returns the item id (false for roots and preliminary maps).
func (m Map) ID() (ID, bool) { return m.t.itemID() }

// ---- Array ----

// Len returns the number of elements.
func (a Array) Len() int { return a.t.listLen() }

// Get returns the element at i.
func (a Array) Get(i int) (any, bool) { return a.t.listGet(i) }

// Slice returns all elements.
func (a Array) Slice() []any { return a.t.listSlice() }

// Insert inserts values at index.
func (a Array) Insert(tx *Txn, index int, values ...any) error {
	return a.t.listInsert(tx, index, values)
}

// Push appends values.
func (a Array) Push(tx *Txn, values ...any) error {
	return a.t.listInsert(tx, a.t.listLen(), values)
}

// Delete removes length elements from index.
func (a Array) Delete(tx *Txn, index, length int) error { return a.t.listDelete(tx, index, length) }

// ID returns the item id (false for roots and preliminary arrays).
func (a Array) ID() (ID, bool) { return a.t.itemID() }

// ---- XmlHook / Abstract ----

// HookName returns the hook's name.
func (h XmlHook) HookName() string { return h.t.name }

// All returns the hook's entries.
func (h XmlHook) All() *lib0.Object { return h.t.mapAll() }

// Kind returns KindAbstract.
func (a Abstract) Kind() TypeKind { return KindAbstract }

// ---- toString / toJSON ----

// ToJSON returns the JSON value Yjs's toJSON() gives for a value read from
// a document: shared types become strings, objects or arrays.
func ToJSON(v any) any { return toJSON(v, 0) }

func toJSON(v any, depth int) any {
	if depth > lib0.MaxDepth {
		return nil
	}
	switch x := v.(type) {
	case Map:
		return mapJSON(x.t, depth)
	case XmlHook:
		return mapJSON(x.t, depth)
	case Array:
		vals := x.t.listSlice()
		out := make([]any, len(vals))
		for i, e := range vals {
			out[i] = toJSON(e, depth+1)
		}
		return out
	case Text:
		return x.String()
	case XmlText:
		return x.String()
	case XmlElement:
		return x.String()
	case XmlFragment:
		return x.String()
	case Abstract:
		return lib0.Undefined{}
	}
	return v
}

func mapJSON(t *typeCore, depth int) *lib0.Object {
	o := lib0.NewObject()
	for _, e := range t.entries {
		if it := e.it; it != nil && !it.deleted() {
			o.Set(e.key, toJSON(lastContentValue(it), depth+1))
		}
	}
	return o
}

// ToJSON returns doc.toJSON(): every root's toJSON (untyped roots omitted).
func (d *Doc) ToJSON() *lib0.Object {
	o := lib0.NewObject()
	for _, k := range d.shareKey {
		t := d.share[k]
		if t.kind == KindAbstract {
			continue
		}
		o.Set(k, toJSON(t.value(), 0))
	}
	return o
}

func valueString(v any) string {
	var sb strings.Builder
	writeValueString(&sb, v)
	return sb.String()
}

// writeValueString appends String(v) as Yjs's XML toString interpolates it;
// everything streams into one builder so deep trees stay linear.
func writeValueString(sb *strings.Builder, v any) {
	switch x := v.(type) {
	case XmlElement:
		writeXmlElement(sb, x.t)
	case XmlText:
		writeXmlText(sb, x.t)
	case XmlFragment:
		writeXmlChildren(sb, x.t)
	case Text:
		sb.WriteString(x.String())
	case Map, Array, XmlHook, Abstract, *SubDoc:
		sb.WriteString("[object Object]")
	default:
		sb.WriteString(lib0.String(v))
	}
}

func xmlChildrenString(t *typeCore) string {
	var sb strings.Builder
	writeXmlChildren(&sb, t)
	return sb.String()
}

func writeXmlChildren(sb *strings.Builder, t *typeCore) {
	if t.isPrelim() {
		for _, c := range t.prelim.list {
			writeValueString(sb, c)
		}
		return
	}
	for n := t.start; n != nil; n = n.right {
		if !n.countable() || n.deleted() {
			continue
		}
		if n.ckind == contentAny || n.ckind == contentJSON || n.ckind == contentString {
			for _, v := range appendContent(nil, n) {
				writeValueString(sb, v)
			}
			continue
		}
		writeValueString(sb, contentValue(n, 0))
	}
}

func xmlElementString(t *typeCore) string {
	var sb strings.Builder
	writeXmlElement(&sb, t)
	return sb.String()
}

func writeXmlElement(sb *strings.Builder, t *typeCore) {
	attrs := t.mapAll()
	keys := append([]string(nil), attrs.Keys()...)
	sortUTF16(keys)
	name := jsLower(t.name)
	sb.WriteByte('<')
	sb.WriteString(name)
	for _, k := range keys {
		v, _ := attrs.Get(k)
		sb.WriteByte(' ')
		sb.WriteString(k)
		sb.WriteString(`="`)
		writeValueString(sb, v)
		sb.WriteByte('"')
	}
	sb.WriteByte('>')
	writeXmlChildren(sb, t)
	sb.WriteString("</")
	sb.WriteString(name)
	sb.WriteByte('>')
}

func xmlTextString(t *typeCore) string {
	var sb strings.Builder
	writeXmlText(&sb, t)
	return sb.String()
}

func writeXmlText(sb *strings.Builder, t *typeCore) {
	for _, op := range textDelta(t) {
		names := append([]string(nil), op.Attributes.Keys()...)
		sortUTF16(names)
		for _, n := range names {
			v, _ := op.Attributes.Get(n)
			keys := append([]string(nil), lib0.EnumKeys(v)...)
			sortUTF16(keys)
			sb.WriteByte('<')
			sb.WriteString(n)
			for _, k := range keys {
				av, _ := lib0.Prop(v, k)
				sb.WriteByte(' ')
				sb.WriteString(k)
				sb.WriteString(`="`)
				writeValueString(sb, av)
				sb.WriteByte('"')
			}
			sb.WriteByte('>')
		}
		writeValueString(sb, op.Insert)
		for i := len(names) - 1; i >= 0; i-- {
			sb.WriteString("</")
			sb.WriteString(names[i])
			sb.WriteByte('>')
		}
	}
}
