package yjs

// TypeKind identifies a shared type.
type TypeKind uint8

// Shared type kinds. KindAbstract is a root created by an update that no
// one has asked for by type yet.
const (
	KindAbstract TypeKind = iota
	KindArray
	KindMap
	KindText
	KindXmlElement
	KindXmlFragment
	KindXmlHook
	KindXmlText
)

var kindNames = [...]string{"AbstractType", "YArray", "YMap", "YText", "YXmlElement", "YXmlFragment", "YXmlHook", "YXmlText"}

func (k TypeKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// typeRef numbers as written in ContentType.
var kindToRef = [...]uint64{KindArray: 0, KindMap: 1, KindText: 2, KindXmlElement: 3, KindXmlFragment: 4, KindXmlHook: 5, KindXmlText: 6}
var refToKind = [...]TypeKind{KindArray, KindMap, KindText, KindXmlElement, KindXmlFragment, KindXmlHook, KindXmlText}

func (k TypeKind) hasMarkers() bool { return k == KindArray || k == KindText || k == KindXmlText }

// typeCore is the state shared by every kind of type (Yjs's AbstractType).
type typeCore struct {
	doc   *Doc
	item  *item
	start *item
	// entries are the map entries (newest item of each key) in the order
	// their keys arrived (JavaScript Map order); most types have a few, so
	// a slice, with an index once there are many.
	entries  []mapEntry
	index    map[string]int
	length   int
	kind     TypeKind
	name     string // XmlElement nodeName or XmlHook hookName
	rootName string
	isRoot   bool

	hasFormatting bool
	markers       *markerList // nil: search markers disabled (Yjs _searchMarker === null)

	prelim *prelim // content recorded before the type joins a document
}

func newTypeCore(kind TypeKind, name string) *typeCore {
	if kind.hasMarkers() {
		// one allocation for the type and its marker list
		x := &struct {
			typeCore
			ml markerList
		}{typeCore: typeCore{kind: kind, name: name}}
		x.markers = &x.ml
		return &x.typeCore
	}
	return &typeCore{kind: kind, name: name}
}

func (t *typeCore) isText() bool { return t.kind == KindText || t.kind == KindXmlText }

type mapEntry struct {
	key string
	it  *item
}

// indexFrom is the entry count from which lookups go through an index.
const indexFrom = 12

func (t *typeCore) entryIndex(key string) int {
	if t.index != nil {
		if i, ok := t.index[key]; ok {
			return i
		}
		return -1
	}
	for i := range t.entries {
		if t.entries[i].key == key {
			return i
		}
	}
	return -1
}

// entry returns the newest item of key, or nil.
func (t *typeCore) entry(key string) *item {
	if i := t.entryIndex(key); i >= 0 {
		return t.entries[i].it
	}
	return nil
}

func (t *typeCore) setEntry(key string, it *item) {
	if i := t.entryIndex(key); i >= 0 {
		t.entries[i].it = it
		return
	}
	if t.entries == nil {
		t.entries = make([]mapEntry, 0, 4)
	}
	t.entries = append(t.entries, mapEntry{key, it})
	switch n := len(t.entries); {
	case t.index != nil:
		t.index[key] = n - 1
	case n >= indexFrom:
		t.index = make(map[string]int, 2*n)
		for i, e := range t.entries {
			t.index[e.key] = i
		}
	}
}

// value wraps t in its typed handle.
func (t *typeCore) value() any {
	switch t.kind {
	case KindArray:
		return Array{t}
	case KindMap:
		return Map{t}
	case KindText:
		return Text{t}
	case KindXmlElement:
		return XmlElement{t}
	case KindXmlFragment:
		return XmlFragment{t}
	case KindXmlHook:
		return XmlHook{t}
	case KindXmlText:
		return XmlText{t}
	}
	return Abstract{t}
}

// integrateType attaches t to the document and applies preliminary content,
// in the order Yjs does: list children first, then attributes / map entries.
func (t *typeCore) integrateType(tx *Txn, it *item) {
	t.doc = tx.doc
	t.item = it
	p := t.prelim
	t.prelim = nil
	if p == nil {
		return
	}
	switch t.kind {
	case KindXmlFragment, KindXmlElement, KindArray:
		if t.kind == KindArray || len(p.list) > 0 {
			_ = typeListInsert(tx, t, 0, p.list)
		}
		if t.kind == KindXmlElement {
			for i, k := range p.keys {
				typeMapSet(tx, t, k, p.vals[i])
			}
		}
	case KindMap, KindXmlHook:
		for i, k := range p.keys {
			typeMapSet(tx, t, k, p.vals[i])
		}
	case KindText, KindXmlText:
		for _, op := range p.ops {
			_ = op(tx)
		}
	}
}

// prelim records what is done to a type before it is inserted somewhere.
type prelim struct {
	list []any              // XmlFragment / XmlElement children, Array values
	keys []string           // attribute / map keys in JavaScript Map order
	vals []any              //   and their values
	ops  []func(*Txn) error // Text / XmlText operations, replayed on integration
}

func (p *prelim) set(key string, v any) {
	for i, k := range p.keys {
		if k == key {
			p.vals[i] = v
			return
		}
	}
	p.keys = append(p.keys, key)
	p.vals = append(p.vals, v)
}

func (p *prelim) remove(key string) {
	for i, k := range p.keys {
		if k == key {
			p.keys = append(p.keys[:i], p.keys[i+1:]...)
			p.vals = append(p.vals[:i], p.vals[i+1:]...)
			return
		}
	}
}

func (p *prelim) get(key string) (any, bool) {
	for i, k := range p.keys {
		if k == key {
			return p.vals[i], true
		}
	}
	return nil, false
}

// search markers: cached (item, index) pairs that speed up local edits in
// long arrays and texts, kept exactly as Yjs keeps them because where a text
// insertion starts its attribute scan depends on them.

const maxSearchMarkers = 80

type marker struct {
	p         *item
	index     int
	timestamp uint64
}

type markerList struct {
	list []*marker
	// clock orders the list's markers by last use (which one to reuse).
	// Yjs keeps one module-wide counter; per list is the same order for
	// every comparison made, and documents used from different goroutines
	// share nothing.
	clock uint64
}

func (t *typeCore) findMarker(index int) *marker {
	if t.start == nil || index == 0 || t.markers == nil {
		return nil
	}
	ml := t.markers
	var m *marker
	for _, c := range ml.list {
		if m == nil || !(absInt(index-m.index) < absInt(index-c.index)) {
			m = c
		}
	}
	p := t.start
	pindex := 0
	if m != nil {
		p = m.p
		pindex = m.index
		ml.clock++
		m.timestamp = ml.clock
	}
	for p.right != nil && pindex < index {
		if !p.deleted() && p.countable() {
			if index < pindex+p.length {
				break
			}
			pindex += p.length
		}
		p = p.right
	}
	for p.left != nil && pindex > index {
		p = p.left
		if !p.deleted() && p.countable() {
			pindex -= p.length
		}
	}
	for p.left != nil && p.left.id.Client == p.id.Client && p.left.id.Clock+p.left.length == p.id.Clock {
		p = p.left
		if !p.deleted() && p.countable() {
			pindex -= p.length
		}
	}
	if m != nil && float64(absInt(m.index-pindex)) < float64(p.parent.length)/maxSearchMarkers {
		m.p.setMarker(false)
		m.p = p
		p.setMarker(true)
		m.index = pindex
		ml.clock++
		m.timestamp = ml.clock
		return m
	}
	return ml.mark(p, pindex)
}

func (ml *markerList) mark(p *item, index int) *marker {
	ml.clock++
	if len(ml.list) >= maxSearchMarkers {
		oldest := ml.list[0]
		for _, c := range ml.list[1:] {
			if c.timestamp < oldest.timestamp {
				oldest = c
			}
		}
		oldest.p.setMarker(false)
		oldest.p = p
		p.setMarker(true)
		oldest.index = index
		oldest.timestamp = ml.clock
		return oldest
	}
	p.setMarker(true)
	m := &marker{p: p, index: index, timestamp: ml.clock}
	ml.list = append(ml.list, m)
	return m
}

// updateMarkerChanges shifts markers after an insertion (len > 0) or deletion (len < 0) at index.
func (ml *markerList) updateChanges(index, n int) {
	for i := len(ml.list) - 1; i >= 0; i-- {
		m := ml.list[i]
		if n > 0 {
			p := m.p
			p.setMarker(false)
			for p != nil && (p.deleted() || !p.countable()) {
				p = p.left
				if p != nil && !p.deleted() && p.countable() {
					m.index -= p.length
				}
			}
			if p == nil || p.isMarker() {
				ml.list = append(ml.list[:i], ml.list[i+1:]...)
				continue
			}
			m.p = p
			p.setMarker(true)
		}
		if index < m.index || (n > 0 && index == m.index) {
			m.index = max(index, m.index+n)
		}
	}
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
