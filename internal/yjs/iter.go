package yjs

import (
	"iter"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// Allocation-free read paths. Children and Delta build slices, strings and
// attribute objects on every call; a server that converts a whole document
// on each write-back (the realtime hub's Markdown) walks it through these
// sequences instead. The document must not change while a sequence runs.

// ChildrenSeq yields the children as Children returns them, without
// building the slice.
func (f XmlFragment) ChildrenSeq() iter.Seq[any] {
	// A closure around a static call (not a method value) lets the compiler
	// keep the loop body's closure on the stack.
	t := f.t
	return func(yield func(any) bool) { t.childrenSeq(yield) }
}

// ChildrenSeq yields the children as Children returns them, without
// building the slice.
func (e XmlElement) ChildrenSeq() iter.Seq[any] {
	t := e.t
	return func(yield func(any) bool) { t.childrenSeq(yield) }
}

func (t *typeCore) childrenSeq(yield func(any) bool) {
	if t.isPrelim() {
		for _, v := range t.prelim.list {
			if !yield(v) {
				return
			}
		}
		return
	}
	for n := t.start; n != nil; n = n.right {
		if !n.countable() || n.deleted() {
			continue
		}
		switch n.ckind {
		case contentAny, contentJSON:
			for _, v := range contentValues(n) {
				if !yield(v) {
					return
				}
			}
		case contentString:
			// Hostile documents only: a string in a list reads as one value
			// per character, as Children gives it.
			for _, v := range appendContent(nil, n) {
				if !yield(v) {
					return
				}
			}
		default:
			if !yield(contentValue(n, 0)) {
				return
			}
		}
	}
}

// Run is one insert of a text's delta (see XmlText.Delta): characters, or
// an embedded value, with the formatting in effect. Its Text and Attributes
// alias the document and a buffer reused for the next run: copy what must
// outlive the loop body.
type Run struct {
	Text       []byte       // the characters (UTF-8); nil for an embed
	Embed      any          // the embedded value or shared type when Text is nil
	Attributes *lib0.Object // formatting attributes, nil when there are none
}

// Runs yields the text's delta as Delta does (the same inserts with the
// same attributes, in order) without allocating per insert.
func (x XmlText) Runs() iter.Seq[Run] {
	t := x.t
	return func(yield func(Run) bool) { t.runs(yield) }
}

// Runs yields the text's delta as Delta does; see XmlText.Runs.
func (x Text) Runs() iter.Seq[Run] {
	t := x.t
	return func(yield func(Run) bool) { t.runs(yield) }
}

// runState is the scratch of one Runs loop, kept by the document for the
// next one.
type runState struct {
	cur  attrMap     // formatting in effect
	view lib0.Object // cur as Delta's attribute object, rebuilt on change
	buf  []byte      // a run spanning several items
	busy bool        // a Runs loop is using it (Runs nested in Runs)
}

func (t *typeCore) runs(yield func(Run) bool) {
	if t.start == nil || t.doc == nil {
		return
	}
	st := t.doc.runs
	if st == nil || st.busy {
		st = &runState{}
		if t.doc.runs == nil {
			t.doc.runs = st
		}
	}
	st.busy = true
	defer st.release()
	var attrs *lib0.Object
	var one []byte // a run that is a single item's characters, not copied
	pieces := 0
	for n := t.start; ; n = n.right {
		if n != nil && n.deleted() {
			continue
		}
		if n == nil || n.ckind == contentType || n.ckind == contentEmbed || n.ckind == contentFormat {
			// the pending characters end here (other content kinds, which
			// Delta skips, do not split them)
			if pieces > 0 {
				text := one
				if pieces > 1 {
					text = st.buf
				}
				pieces, one = 0, nil
				if !yield(Run{Text: text, Attributes: attrs}) {
					return
				}
			}
			if n == nil {
				return
			}
		}
		switch n.ckind {
		case contentString:
			switch pieces {
			case 0:
				one = n.str
			case 1:
				st.buf = append(append(st.buf[:0], one...), n.str...)
			default:
				st.buf = append(st.buf, n.str...)
			}
			pieces++
		case contentType, contentEmbed:
			if !yield(Run{Embed: contentValue(n, 0), Attributes: attrs}) {
				return
			}
		case contentFormat:
			updateCurrentAttributes(&st.cur, n.format())
			attrs = nil
			if st.cur.size() > 0 {
				st.view.Reset()
				for i, k := range st.cur.keys {
					st.view.Set(k, st.cur.vals[i])
				}
				attrs = &st.view
			}
		}
	}
}

func (st *runState) release() {
	clear(st.cur.vals)
	st.cur.keys, st.cur.vals = st.cur.keys[:0], st.cur.vals[:0]
	st.view.Reset()
	st.busy = false
}
