// Package yjs is a Yjs-compatible CRDT engine: it reads and writes the
// update formats of the npm yjs package (13.6.x) byte for byte, integrates
// concurrent edits with the same YATA rules, and offers the read model and
// local editing API a server needs.
//
// A Doc holds the shared types (XmlFragment, XmlElement, XmlText, Text, Map,
// Array). Remote changes arrive through ApplyUpdate (format v1) or
// ApplyUpdateV2; updates whose dependencies are missing wait inside the
// document, as in Yjs. Local changes are made inside Doc.Transact, which
// returns the v1 update to send to peers; OnUpdate observes every change.
// EncodeStateVector and EncodeStateAsUpdate implement the sync handshake
// (see package yproto for the y-protocols messages), MergeUpdates and
// DiffUpdate work on stored updates without a document.
//
// Types built with NewXmlElement, NewXmlText, NewMap, NewArray or NewText
// are preliminary: children, attributes and text set on them are applied
// when they are inserted, in Yjs's order (the type's item, its children
// depth first, then its attributes), so a seeded document is byte-identical
// to one made by y-prosemirror.
//
// A Doc is not safe for concurrent use; the realtime hub serializes access
// per room. Hostile input never panics: malformed updates are rejected
// whole with an error wrapping ErrMalformed and the document is unchanged.
package yjs

import (
	"errors"
	"fmt"
	"math/rand/v2"
)

// Errors reported by the package.
var (
	// ErrMalformed wraps every failure to decode an update or message.
	ErrMalformed = errors.New("yjs: malformed update")
	// ErrTypeMismatch is returned when a root name is already used by another type.
	ErrTypeMismatch = errors.New("yjs: root type already defined with a different type")
	// ErrOutOfRange reports an index or length beyond the end of a type.
	ErrOutOfRange = errors.New("yjs: index out of range")
	// ErrNotIntegrated reports an operation that needs a type inside a document.
	ErrNotIntegrated = errors.New("yjs: type is not part of a document")
	// ErrInternal reports a broken invariant (a bug); the document may be inconsistent.
	ErrInternal = errors.New("yjs: internal error")
)

func errPanic(r any) error { return fmt.Errorf("%w: %v", ErrInternal, r) }

// Doc is a Yjs document. A Doc is not safe for concurrent use: callers (the
// realtime hub serializes each room) must not use one Doc from several
// goroutines at once.
type Doc struct {
	clientID uint64
	gc       bool
	gcFilter func(*item) bool
	store    store
	share    map[string]*typeCore
	shareKey []string // root names in creation order (JavaScript Map order)

	pending   *pendingStructs
	pendingDs *deleteSet

	txn        *Txn
	cleanups   []*Txn
	txnPool    []*Txn
	mergedAway []*item
	wantUpdate bool
	alloc      itemAlloc
	encodeHint int // size of the last full encoding, to size the next buffer

	// reusable state of ApplyUpdate
	dec       *v1Decoder
	scratch   *decodedUpdate
	applying  *decodedUpdate
	inApply   bool
	applyFn   func(*Txn) error
	cursorBuf []refCursor
	idBuf     []uint64
	stateBuf  []clientClock

	updateHandlers []*updateHandler

	// scratch sets for conflict resolution in integrate
	conflicting, beforeOrigin itemSet

	runs *runState // reused by Runs (nil or busy: a fresh one)
}

type updateHandler struct {
	fn func(update []byte, origin any)
}

// Options configure a new document.
type Options struct {
	// ClientID is this peer's id; zero picks a random 32-bit id as Yjs does.
	ClientID uint64
	// NoGC keeps deleted content instead of garbage-collecting it
	// (Yjs's gc: false).
	NoGC bool
}

// NewDoc returns an empty document.
func NewDoc(opts Options) *Doc {
	id := opts.ClientID
	if id == 0 {
		id = uint64(rand.Uint32())
	}
	return &Doc{
		clientID: id,
		gc:       !opts.NoGC,
		store:    store{clients: map[uint64]*structList{}},
		share:    map[string]*typeCore{},
	}
}

// ClientID returns the id under which local changes are made. Yjs changes
// it when a remote update reuses it; so does this package.
func (d *Doc) ClientID() uint64 { return d.clientID }

// SetClientID sets the id used for local changes.
func (d *Doc) SetClientID(id uint64) { d.clientID = id }

// OnUpdate registers fn to receive the v1 update of every transaction that
// changed the document (local or remote), with the transaction's origin.
// The returned function unregisters it.
func (d *Doc) OnUpdate(fn func(update []byte, origin any)) (cancel func()) {
	h := &updateHandler{fn: fn}
	d.updateHandlers = append(d.updateHandlers, h)
	return func() {
		for i, x := range d.updateHandlers {
			if x == h {
				d.updateHandlers = append(d.updateHandlers[:i], d.updateHandlers[i+1:]...)
				return
			}
		}
	}
}

// Transact runs fn in one transaction and returns the v1 update it produced
// (nil when nothing changed). Local edits made through tx are sent to
// OnUpdate handlers with origin.
func (d *Doc) Transact(origin any, fn func(tx *Txn) error) ([]byte, error) {
	if d.txn != nil {
		return nil, fn(d.txn)
	}
	d.wantUpdate = true
	_, update, err := d.transact(origin, true, fn)
	d.wantUpdate = false
	return update, err
}

// root returns the root type name, creating it with kind when missing; an
// untyped root (created by an update) takes the kind asked for.
func (d *Doc) root(name string, kind TypeKind) (*typeCore, error) {
	t := d.share[name]
	if t == nil {
		t = newTypeCore(kind, "")
		t.doc = d
		t.rootName = name
		t.isRoot = true
		d.share[name] = t
		d.shareKey = append(d.shareKey, name)
		return t, nil
	}
	if kind != KindAbstract && t.kind != kind {
		if t.kind != KindAbstract {
			return nil, fmt.Errorf("%w: %q is %s, not %s", ErrTypeMismatch, name, t.kind, kind)
		}
		// Yjs builds a fresh typed instance over the same items: formatting
		// flag and search markers start anew.
		t.kind = kind
		t.hasFormatting = false
		t.markers = nil
		if kind.hasMarkers() {
			t.markers = &markerList{}
		}
	}
	return t, nil
}

// Roots returns the names of the root types in creation order.
func (d *Doc) Roots() []string { return append([]string(nil), d.shareKey...) }

// RootKind returns the kind of root name (KindAbstract when an update
// created it and nobody asked for it yet) and whether it exists.
func (d *Doc) RootKind(name string) (TypeKind, bool) {
	t := d.share[name]
	if t == nil {
		return 0, false
	}
	return t.kind, true
}

func (d *Doc) mustRoot(name string, kind TypeKind) *typeCore {
	t, err := d.root(name, kind)
	if err != nil {
		panic(err)
	}
	return t
}

// XmlFragment returns the root XmlFragment name (getXmlFragment). It panics
// if name is already a root of another type, like Yjs throws.
func (d *Doc) XmlFragment(name string) XmlFragment {
	return XmlFragment{d.mustRoot(name, KindXmlFragment)}
}

// Text returns the root Text name (getText).
func (d *Doc) Text(name string) Text { return Text{d.mustRoot(name, KindText)} }

// Map returns the root Map name (getMap).
func (d *Doc) Map(name string) Map { return Map{d.mustRoot(name, KindMap)} }

// Array returns the root Array name (getArray).
func (d *Doc) Array(name string) Array { return Array{d.mustRoot(name, KindArray)} }

// XmlElementRoot returns a root XmlElement (rarely used; Yjs's get(name, YXmlElement)).
func (d *Doc) XmlElementRoot(name string) XmlElement {
	return XmlElement{d.mustRoot(name, KindXmlElement)}
}

// XmlTextRoot returns a root XmlText.
func (d *Doc) XmlTextRoot(name string) XmlText { return XmlText{d.mustRoot(name, KindXmlText)} }

// GetRoot returns the root name as a typed value (XmlFragment, Text, ...),
// or false when absent or still untyped.
func (d *Doc) GetRoot(name string) (any, bool) {
	t := d.share[name]
	if t == nil || t.kind == KindAbstract {
		return nil, false
	}
	return t.value(), true
}

// Stats reports sizes the realtime hub can export.
type Stats struct {
	Clients        int // clients with structs in the store
	Structs        int // structs in the store (items and GC ranges)
	DeletedStructs int // of which deleted or garbage-collected
	ContentBytes   int // UTF-8 bytes of string content
	PendingStructs int // structs waiting for missing dependencies
	PendingDeletes int // delete ranges waiting for missing structs
}

// Stats counts the document's structs and pending state.
func (d *Doc) Stats() Stats {
	var s Stats
	s.Clients = len(d.store.clients)
	for _, l := range d.store.clients {
		s.Structs += len(l.items)
		for _, it := range l.items {
			if it.deleted() {
				s.DeletedStructs++
			}
			s.ContentBytes += len(it.str)
		}
	}
	if d.pending != nil {
		for _, b := range d.pending.update.blocks {
			for _, it := range b.structs {
				if it.kind != kindSkip {
					s.PendingStructs++
				}
			}
		}
	}
	if d.pendingDs != nil {
		for _, e := range d.pendingDs.entries {
			s.PendingDeletes += len(e.ranges)
		}
	}
	return s
}

// HasPending reports whether structs or deletes wait for missing updates.
func (d *Doc) HasPending() bool { return d.pending != nil || d.pendingDs != nil }
