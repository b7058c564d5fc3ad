package pmdoc

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// Fragment is the name of the XmlFragment that holds the editor document.
const Fragment = "default"

// MarkdownToUpdate parses md and returns the Yjs update (v1) of a fresh
// document whose fragment "default" holds it, built as y-prosemirror's
// prosemirrorToYXmlFragment builds it; with clientID 1 the bytes equal
// upstream's. Blank Markdown gives the empty update, as upstream's seed
// guard leaves the fragment empty.
func MarkdownToUpdate(md string, clientID uint64) ([]byte, error) {
	if jsTrim(md) == "" {
		return []byte{0, 0}, nil
	}
	c := pooledConverter()
	u := encodeSeed(c.parse(md), clientID, len(md))
	c.release()
	return u, nil
}

// SeedMarkdown fills doc's fragment "default" from md in one transaction,
// unless the fragment already has content or md is blank (upstream's
// seedFromMarkdown guards). It reports whether it wrote anything.
func SeedMarkdown(doc *yjs.Doc, md string) (bool, error) {
	if jsTrim(md) == "" || doc.XmlFragment(Fragment).Len() > 0 {
		return false, nil
	}
	if len(doc.StateVector()) > 0 {
		return SeedDocument(doc, ParseMarkdown(md))
	}
	// A document with no history takes the encoded seed, which copies what
	// it needs: the parsed document can live in pooled storage.
	c := pooledConverter()
	err := doc.ApplyUpdate(encodeSeed(c.parse(md), doc.ClientID(), len(md)))
	c.release()
	if err != nil {
		return false, fmt.Errorf("pmdoc: seed: %w", err)
	}
	return true, nil
}

// Converters whose documents are dropped before the call returns reuse
// their storage.
var converterPool = sync.Pool{New: func() any { return new(converter) }}

func pooledConverter() *converter { return converterPool.Get().(*converter) }

func (c *converter) release() {
	c.reset()
	converterPool.Put(c)
}

// SeedDocument writes n (a doc node) into doc's empty fragment "default".
// On a document with no history yet it applies the directly encoded seed
// update (cheaper than building and integrating preliminary types, same
// resulting state); otherwise it inserts through a Yjs transaction.
func SeedDocument(doc *yjs.Doc, n *Node) (bool, error) {
	if doc.XmlFragment(Fragment).Len() > 0 {
		return false, nil
	}
	if len(doc.StateVector()) == 0 {
		if err := doc.ApplyUpdate(EncodeSeed(n, doc.ClientID())); err != nil {
			return false, fmt.Errorf("pmdoc: seed: %w", err)
		}
		return true, nil
	}
	if _, err := seedTransaction(doc, n); err != nil {
		return false, err
	}
	return true, nil
}

// seedTransaction inserts n's content through the Yjs editing API, as
// y-prosemirror does.
func seedTransaction(doc *yjs.Doc, n *Node) ([]byte, error) {
	frag := doc.XmlFragment(Fragment)
	nodes, err := prelimContent(n)
	if err != nil {
		return nil, err
	}
	update, err := doc.Transact(nil, func(tx *yjs.Txn) error { return frag.Insert(tx, 0, nodes...) })
	if err != nil {
		return nil, fmt.Errorf("pmdoc: seed: %w", err)
	}
	return update, nil
}

// prelimContent maps a node's children to preliminary Yjs types: a run of
// text nodes becomes one XmlText, every other node an XmlElement whose
// non-null attributes are set in declaration order.
func prelimContent(n *Node) ([]any, error) {
	var out []any
	for i := 0; i < len(n.Content); {
		c := n.Content[i]
		if c.isText() {
			x := yjs.NewXmlText()
			var delta []yjs.DeltaOp
			for ; i < len(n.Content) && n.Content[i].isText(); i++ {
				t := n.Content[i]
				op := yjs.DeltaOp{Insert: t.Text}
				if len(t.Marks) > 0 {
					op.Attributes = marksObject(t.Marks)
				}
				delta = append(delta, op)
			}
			if err := x.ApplyDelta(nil, delta); err != nil {
				return nil, fmt.Errorf("pmdoc: text: %w", err)
			}
			out = append(out, x)
			continue
		}
		el := yjs.NewXmlElement(c.Type)
		if spec := schema[c.Type]; spec != nil {
			for _, a := range spec.attrs {
				v := c.Attrs[a.name]
				if v == nil {
					continue
				}
				if err := el.SetAttribute(nil, a.name, anyValue(v)); err != nil {
					return nil, fmt.Errorf("pmdoc: attribute %s: %w", a.name, err)
				}
			}
		}
		kids, err := prelimContent(c)
		if err != nil {
			return nil, err
		}
		if len(kids) > 0 {
			if err := el.Insert(nil, 0, kids...); err != nil {
				return nil, fmt.Errorf("pmdoc: element %s: %w", c.Type, err)
			}
		}
		out = append(out, el)
		i++
	}
	return out, nil
}

func anyValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = anyValue(e)
		}
		return out
	}
	return v
}

// marksObject is y-prosemirror's marksToAttributes: mark name → the mark's
// full attrs ({} for em, strong, code; {href, title} for links).
func marksObject(marks []Mark) *lib0.Object {
	o := lib0.NewObject()
	for _, m := range marks {
		a := lib0.NewObject()
		if m.Type == "link" {
			a.Set("href", m.Href)
			if m.Title != nil {
				a.Set("title", *m.Title)
			} else {
				a.Set("title", nil)
			}
		}
		o.Set(m.Type, a)
	}
	return o
}

// DocumentToMarkdown reads fragment "default" of doc and serializes it:
// upstream's writeback (yXmlFragmentToMarkdown) for every valid document.
func DocumentToMarkdown(doc *yjs.Doc) string {
	// The document read here lives only until it is serialized: its
	// storage is pooled for the next write-back, and repairs (which only
	// ReadFragment reports) are not worked out.
	r := readerPool.Get().(*reader)
	r.quiet, r.pooled = true, true
	n := r.read(doc.XmlFragment(Fragment))
	out := serializeMarkdown(n, r.textBytes+r.nodes.used*2)
	r.reset()
	readerPool.Put(r)
	return out
}

var readerPool = sync.Pool{New: func() any { return new(reader) }}

// Repair describes content the reader had to reshape because it does not
// fit the schema. Upstream deletes such content from the shared document;
// this reader never changes the document and keeps the text (see the
// package documentation).
type Repair struct {
	Path   string // position in the fragment, e.g. "2:bullet_list/0:listItem"
	Reason string
}

// ReadFragment converts an XmlFragment to a document the way y-prosemirror's
// yXmlFragmentToProseMirrorRootNode does for valid content. Content the
// schema cannot hold is degraded to its text instead of being deleted; the
// repairs made are reported.
func ReadFragment(frag yjs.XmlFragment) (*Node, []Repair) {
	r := &reader{}
	return r.read(frag), r.repairs
}

// reader builds the document without a slice per node: content being read
// sits on one stack (innermost on top) and is copied, once complete, into
// content slices carved from a slab.
type reader struct {
	repairs []Repair
	quiet   bool // repairs are not wanted
	pooled  bool // storage is reused after the document is dropped
	nodeBuilder
	buf       []byte
	arena     []byte // text of a pooled reader's nodes
	textBytes int
}

func (r *reader) read(frag yjs.XmlFragment) *Node {
	for ch := range frag.ChildrenSeq() {
		r.block(ch)
	}
	doc := r.node("doc")
	doc.Content = r.pop(0)
	return doc
}

// reset readies a pooled reader for the next document, dropping every
// reference into the last one.
func (r *reader) reset() {
	r.resetNodes()
	r.arena = r.arena[:0]
	r.repairs = nil
	r.textBytes = 0
}

func (r *reader) node(typ string) *Node {
	n := r.nodes.one()
	n.Type = typ
	return n
}

// str returns b as a string. A pooled reader's document is dropped before
// the reader is reused, so its strings can share one arena (never written
// where a live string points: it only grows, and is emptied by reset).
func (r *reader) str(b []byte) string {
	r.textBytes += len(b)
	if !r.pooled {
		return string(b)
	}
	if cap(r.arena)-len(r.arena) < len(b) {
		r.arena = make([]byte, 0, max(2*cap(r.arena), len(b), 4096))
	}
	start := len(r.arena)
	r.arena = append(r.arena, b...)
	return unsafe.String(&r.arena[start], len(b))
}

// note records a repair; the position is worked out only then, by walking
// up the Yjs tree.
func (r *reader) note(at any, format string, args ...any) {
	if r.quiet {
		return
	}
	r.repairs = append(r.repairs, Repair{Path: yPath(at), Reason: fmt.Sprintf(format, args...)})
}

func yPath(v any) string {
	var segs []string
	for {
		var parent any
		var id yjs.ID
		var ok bool
		name := "#text"
		switch x := v.(type) {
		case yjs.XmlElement:
			name, parent = x.NodeName(), x.Parent()
			id, ok = x.ID()
		case yjs.XmlText:
			parent = x.Parent()
			id, ok = x.ID()
		}
		if parent == nil || !ok {
			break
		}
		segs = append(segs, strconv.Itoa(childIndex(parent, id))+":"+name)
		v = parent
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return strings.Join(segs, "/")
}

func childIndex(parent any, id yjs.ID) int {
	var children []any
	switch p := parent.(type) {
	case yjs.XmlElement:
		children = p.Children()
	case yjs.XmlFragment:
		children = p.Children()
	}
	for i, ch := range children {
		var cid yjs.ID
		switch c := ch.(type) {
		case yjs.XmlElement:
			cid, _ = c.ID()
		case yjs.XmlText:
			cid, _ = c.ID()
		}
		if cid == id {
			return i
		}
	}
	return -1
}

// elementNode builds a node of type typ with the element's schema
// attributes (defaults for missing ones, unknown ones ignored).
func (r *reader) elementNode(el yjs.XmlElement, typ string, content []*Node) *Node {
	n := r.node(typ)
	n.Content = content
	spec := specOf(typ)
	if spec == nil || len(spec.attrs) == 0 {
		return n
	}
	if shared := sharedAttrs(el, typ); shared != nil {
		n.Attrs = shared
		return n
	}
	n.Attrs = make(map[string]any, len(spec.attrs))
	for _, a := range spec.attrs {
		v, ok := el.Attribute(a.name)
		if !ok {
			n.Attrs[a.name] = a.def
			continue
		}
		if f, isF := v.(float64); isF && f == float64(int(f)) {
			v = int(f)
		}
		n.Attrs[a.name] = v
	}
	return n
}

// sharedAttrs returns one of the shared attribute maps when the element's
// attributes equal it (most cells, headings, lists and code blocks), saving
// a map per node on large documents. Never for civicRef, whose map the
// reader edits.
func sharedAttrs(el yjs.XmlElement, typ string) map[string]any {
	// Only schema attributes matter: the reader ignores any others.
	switch typ {
	case "heading":
		if v, ok := el.Attribute("level"); ok {
			if f, ok := v.(float64); ok && f >= 1 && f <= 6 && f == float64(int(f)) {
				return headingAttrs[int(f)]
			}
		}
	case "ordered_list":
		if v, ok := el.Attribute("order"); !ok || v == float64(1) {
			return orderOneAttrs
		}
	case "code_block":
		if v, ok := el.Attribute("params"); !ok || v == "" {
			return noParamsAttrs
		}
	case "table_cell", "table_header":
		cs, _ := el.Attribute("colspan")
		rs, _ := el.Attribute("rowspan")
		if cs != float64(1) || rs != float64(1) {
			return nil
		}
		if w, has := el.Attribute("colwidth"); has && w != nil {
			return nil
		}
		align, _ := el.Attribute("align")
		switch a := align.(type) {
		case nil:
			return cellAttrsByAlign[""]
		case string:
			if m, ok := cellAttrsByAlign[a]; ok && a != "" {
				return m
			}
		}
	}
	return nil
}

// block pushes the node(s) read from v in block position.
func (r *reader) block(v any) {
	switch x := v.(type) {
	case yjs.XmlText:
		from := len(r.stack)
		r.text(from, x)
		if len(r.stack) == from {
			return
		}
		r.note(x, "text outside a block kept as a paragraph")
		p := r.node("paragraph")
		p.Content = r.pop(from)
		r.push(p)
	case yjs.XmlElement:
		r.element(x)
	}
}

func (r *reader) blocks(el yjs.XmlElement) []*Node {
	from := len(r.stack)
	for ch := range el.ChildrenSeq() {
		r.block(ch)
	}
	return r.pop(from)
}

// wrapped reads v in block position and reports what it gave, for content
// that needs a wrapper (an item, a row, a cell) it lacks.
func (r *reader) wrapped(v any) []*Node {
	from := len(r.stack)
	r.block(v)
	return r.pop(from)
}

func (r *reader) element(el yjs.XmlElement) {
	name := el.NodeName()
	spec := specOf(name)
	switch {
	case spec == nil || name == "doc" || name == "text":
		r.note(el, "unknown element %q kept as its content", name)
		r.unwrap(el)
		return
	case spec.inline:
		from := len(r.stack)
		r.inlineElement(from, el)
		if len(r.stack) == from {
			return
		}
		r.note(el, "inline %q outside a paragraph wrapped in one", name)
		p := r.node("paragraph")
		p.Content = r.pop(from)
		r.push(p)
		return
	}
	switch name {
	case "paragraph", "heading":
		r.push(r.elementNode(el, name, r.inlines(el)))
	case "code_block":
		n := r.elementNode(el, name, nil)
		b := r.buf[:0]
		marked := false
		for ch := range el.ChildrenSeq() {
			if t, ok := ch.(yjs.XmlText); ok {
				for run := range t.Runs() {
					if run.Text != nil {
						b = append(b, run.Text...)
					} else if s, ok := run.Embed.(string); ok {
						b = append(b, s...)
					}
					if run.Attributes != nil && run.Attributes.Len() > 0 {
						marked = true
					}
				}
			} else {
				b = append(b, plainText(ch)...)
				marked = true
			}
		}
		r.buf = b
		if marked {
			r.note(el, "formatting inside a code block dropped")
		}
		if len(b) > 0 {
			t := r.node("text")
			t.Text = r.str(b)
			n.Content = r.ptrs.take(1)
			n.Content[0] = t
		}
		r.push(n)
	case "horizontal_rule":
		r.push(r.node(name))
	case "blockquote":
		inner := r.blocks(el)
		if len(inner) == 0 {
			inner = []*Node{r.node("paragraph")}
		}
		q := r.node(name)
		q.Content = inner
		r.push(q)
	case "bullet_list", "ordered_list":
		from := len(r.stack)
		for ch := range el.ChildrenSeq() {
			if e, ok := ch.(yjs.XmlElement); ok && e.NodeName() == "list_item" {
				r.push(r.listItem(e))
				continue
			}
			if bs := r.wrapped(ch); len(bs) > 0 {
				r.note(ch, "list content outside an item wrapped in one")
				r.push(r.fillItem(bs, ch))
			}
		}
		if len(r.stack) == from {
			return
		}
		r.push(r.elementNode(el, name, r.pop(from)))
	case "list_item":
		r.note(el, "list item outside a list wrapped in one")
		l := r.node("bullet_list")
		l.Content = []*Node{r.listItem(el)}
		r.push(l)
	case "table":
		from := len(r.stack)
		for ch := range el.ChildrenSeq() {
			if e, ok := ch.(yjs.XmlElement); ok && e.NodeName() == "table_row" {
				r.push(r.row(e))
				continue
			}
			if bs := r.wrapped(ch); len(bs) > 0 {
				r.note(ch, "table content outside a row wrapped in one")
				r.push(&Node{Type: "table_row", Content: []*Node{newNode("table_cell", nil, bs...)}})
			}
		}
		if len(r.stack) == from {
			return
		}
		t := r.node(name)
		t.Content = r.pop(from)
		r.push(t)
	case "table_row":
		r.note(el, "table row outside a table wrapped in one")
		t := r.node("table")
		t.Content = []*Node{r.row(el)}
		r.push(t)
	case "table_cell", "table_header":
		r.note(el, "table cell outside a row kept as its content")
		for ch := range el.ChildrenSeq() {
			r.block(ch)
		}
	default:
		r.unwrap(el)
	}
}

func (r *reader) unwrap(el yjs.XmlElement) {
	inl := -1 // start of the inline content gathered for a paragraph
	flush := func() {
		if inl >= 0 && len(r.stack) > inl {
			p := r.node("paragraph")
			p.Content = r.pop(inl)
			r.push(p)
		}
		inl = -1
	}
	for ch := range el.ChildrenSeq() {
		switch x := ch.(type) {
		case yjs.XmlText:
			if inl < 0 {
				inl = len(r.stack)
			}
			r.text(inl, x)
		case yjs.XmlElement:
			if spec := specOf(x.NodeName()); spec != nil && spec.inline {
				if inl < 0 {
					inl = len(r.stack)
				}
				r.inlineElement(inl, x)
				continue
			}
			flush()
			r.element(x)
		}
	}
	flush()
}

func (r *reader) fillItem(content []*Node, at any) *Node {
	if len(content) == 0 || content[0].Type != "paragraph" {
		if len(content) > 0 {
			r.note(at, "list item not starting with a paragraph given an empty one")
		}
		content = append([]*Node{r.node("paragraph")}, content...)
	}
	item := r.node("list_item")
	item.Content = content
	return item
}

func (r *reader) listItem(el yjs.XmlElement) *Node {
	return r.fillItem(r.blocks(el), el)
}

func (r *reader) row(el yjs.XmlElement) *Node {
	from := len(r.stack)
	for ch := range el.ChildrenSeq() {
		if e, ok := ch.(yjs.XmlElement); ok {
			if name := e.NodeName(); name == "table_cell" || name == "table_header" {
				content := r.blocks(e)
				if len(content) == 0 {
					content = []*Node{r.node("paragraph")}
				}
				r.push(r.elementNode(e, name, content))
				continue
			}
		}
		if bs := r.wrapped(ch); len(bs) > 0 {
			r.note(ch, "row content outside a cell wrapped in one")
			r.push(newNode("table_cell", nil, bs...))
		}
	}
	row := r.node("table_row")
	row.Content = r.pop(from)
	return row
}

// inlines reads the children of a textblock.
func (r *reader) inlines(el yjs.XmlElement) []*Node {
	from := len(r.stack)
	for ch := range el.ChildrenSeq() {
		switch x := ch.(type) {
		case yjs.XmlText:
			r.text(from, x)
		case yjs.XmlElement:
			r.inlineElement(from, x)
		}
	}
	return r.pop(from)
}

// appendInline pushes n, merging it into a preceding text node (above
// from) with the same marks, as ProseMirror's Fragment does.
func (r *reader) appendInline(from int, n *Node) {
	if top := len(r.stack) - 1; n.isText() && top >= from {
		if last := r.stack[top]; last.isText() && sameMarks(last.Marks, n.Marks) {
			r.stack[top] = textNode(last.Text+n.Text, last.Marks)
			return
		}
	}
	r.push(n)
}

func (r *reader) inlineElement(from int, el yjs.XmlElement) {
	name := el.NodeName()
	switch name {
	case "hard_break":
		r.push(r.node(name))
		return
	case "civicRef":
		n := r.elementNode(el, name, nil)
		for k, v := range n.Attrs {
			if _, ok := v.(string); !ok {
				n.Attrs[k] = fmt.Sprint(v)
			}
		}
		r.push(n)
		return
	case "image":
		n := r.elementNode(el, name, nil)
		if _, ok := n.Attrs["src"].(string); !ok {
			r.note(el, "image without a source kept as its alt text")
			if alt, ok := n.Attrs["alt"].(string); ok && alt != "" {
				r.appendInline(from, textNode(alt, nil))
			}
			return
		}
		r.push(n)
		return
	}
	if t := plainText(el); t != "" {
		r.note(el, "element %q inside text kept as its text", name)
		r.appendInline(from, textNode(t, nil))
	}
}

var hashedMark = regexp.MustCompile(`^(.*)--[a-zA-Z0-9+/=]{8}$`)

// text reads an XmlText's runs; marks come only from formatting attributes.
func (r *reader) text(from int, x yjs.XmlText) {
	for run := range x.Runs() {
		var s string
		if run.Text != nil {
			s = r.str(run.Text)
		} else if e, ok := run.Embed.(string); ok && e != "" {
			s = e
		} else {
			continue
		}
		var marks []Mark
		if m, ok := plainMarkSet(run.Attributes); ok {
			marks = m
		} else if attrs := run.Attributes; attrs != nil {
			for i := 0; i < attrs.Len(); i++ {
				key, val := attrs.At(i)
				name := key
				if _, known := markRank[name]; !known {
					if m := hashedMark.FindStringSubmatch(key); m != nil {
						name = m[1]
					}
				}
				if _, known := markRank[name]; !known {
					r.note(x, "unknown mark %q dropped, text kept", key)
					continue
				}
				m := Mark{Type: name}
				if name == "link" {
					obj, _ := val.(*lib0.Object)
					var href any
					if obj != nil {
						href, _ = obj.Get("href")
					}
					hs, ok := href.(string)
					if !ok {
						r.note(x, "link without an href dropped, text kept")
						continue
					}
					m.Href = hs
					if t, ok := obj.Get("title"); ok {
						if ts, ok := t.(string); ok {
							m.Title = &ts
						}
					}
				}
				marks = addMark(marks, m)
			}
		}
		t := r.node("text")
		t.Text, t.Marks = s, marks
		r.appendInline(from, t)
	}
}

// Shared mark sets for formatting without links (the usual case).
var plainMarkSets = func() map[string][]Mark {
	m := map[string][]Mark{}
	names := []string{"em", "strong", "code"}
	for mask := 1; mask < 8; mask++ {
		var set []Mark
		key := ""
		for i, n := range names {
			if mask&(1<<i) != 0 {
				set = append(set, Mark{Type: n})
				key += n + ","
			}
		}
		m[key] = set
	}
	return m
}()

// plainMarkSet returns the shared set when attrs holds only em, strong and
// code keys (in rank order, as y-prosemirror writes them).
func plainMarkSet(attrs *lib0.Object) ([]Mark, bool) {
	if attrs == nil || attrs.Len() == 0 {
		return nil, true
	}
	if attrs.Len() > 3 {
		return nil, false
	}
	var buf [32]byte
	key := buf[:0]
	last := 0
	for i := 0; i < attrs.Len(); i++ {
		k, _ := attrs.At(i)
		r, ok := markRank[k]
		if !ok || k == "link" || r < last {
			return nil, false
		}
		last = r
		key = append(key, k...)
		key = append(key, ',')
	}
	m, ok := plainMarkSets[string(key)]
	return m, ok
}

func plainText(v any) string {
	switch x := v.(type) {
	case yjs.XmlText:
		return x.Plain()
	case yjs.XmlElement:
		var b strings.Builder
		for ch := range x.ChildrenSeq() {
			b.WriteString(plainText(ch))
		}
		return b.String()
	}
	return ""
}
