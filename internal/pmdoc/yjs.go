package pmdoc

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

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
	return encodeSeed(ParseMarkdown(md), clientID, len(md)), nil
}

// SeedMarkdown fills doc's fragment "default" from md in one transaction,
// unless the fragment already has content or md is blank (upstream's
// seedFromMarkdown guards). It reports whether it wrote anything.
func SeedMarkdown(doc *yjs.Doc, md string) (bool, error) {
	if jsTrim(md) == "" {
		return false, nil
	}
	return SeedDocument(doc, ParseMarkdown(md))
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
	n, _ := ReadFragment(doc.XmlFragment(Fragment))
	return SerializeMarkdown(n)
}

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
	children := frag.Children()
	blocks := make([]*Node, 0, len(children))
	for _, ch := range children {
		blocks = r.block(blocks, ch)
	}
	return &Node{Type: "doc", Content: blocks}, r.repairs
}

type reader struct {
	repairs []Repair
	slab    []Node
}

// node carves a node from a block of nodes to spare the allocator.
func (r *reader) node(typ string) *Node {
	if len(r.slab) == 0 {
		r.slab = make([]Node, 128)
	}
	n := &r.slab[0]
	r.slab = r.slab[1:]
	n.Type = typ
	return n
}

// note records a repair; the position is worked out only then, by walking
// up the Yjs tree.
func (r *reader) note(at any, format string, args ...any) {
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
	spec := schema[typ]
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

// sharedAttrs returns one of parsing's shared attribute maps when the
// element's attributes equal it (most cells and headings), saving a map per
// node on large documents.
func sharedAttrs(el yjs.XmlElement, typ string) map[string]any {
	// Only schema attributes matter: the reader ignores any others.
	switch typ {
	case "heading":
		if v, ok := el.Attribute("level"); ok {
			if f, ok := v.(float64); ok && f >= 1 && f <= 6 && f == float64(int(f)) {
				return headingAttrs[int(f)]
			}
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

// block appends the node(s) read from v in block position.
func (r *reader) block(out []*Node, v any) []*Node {
	switch x := v.(type) {
	case yjs.XmlText:
		inl := r.text(nil, x)
		if len(inl) == 0 {
			return out
		}
		r.note(x, "text outside a block kept as a paragraph")
		p := r.node("paragraph")
		p.Content = inl
		return append(out, p)
	case yjs.XmlElement:
		return r.element(out, x)
	}
	return out
}

func (r *reader) blocks(el yjs.XmlElement) []*Node {
	children := el.Children()
	out := make([]*Node, 0, len(children))
	for _, ch := range children {
		out = r.block(out, ch)
	}
	return out
}

func (r *reader) element(out []*Node, el yjs.XmlElement) []*Node {
	name := el.NodeName()
	spec := schema[name]
	switch {
	case spec == nil || name == "doc" || name == "text":
		r.note(el, "unknown element %q kept as its content", name)
		return r.unwrap(out, el)
	case spec.inline:
		inl := r.inlineElement(nil, el)
		if len(inl) == 0 {
			return out
		}
		r.note(el, "inline %q outside a paragraph wrapped in one", name)
		p := r.node("paragraph")
		p.Content = inl
		return append(out, p)
	}
	switch name {
	case "paragraph", "heading":
		return append(out, r.elementNode(el, name, r.inlines(el)))
	case "code_block":
		n := r.elementNode(el, name, nil)
		var b strings.Builder
		marked := false
		for _, ch := range el.Children() {
			if t, ok := ch.(yjs.XmlText); ok {
				for _, op := range t.Delta() {
					if s, ok := op.Insert.(string); ok {
						b.WriteString(s)
					}
					if op.Attributes != nil && op.Attributes.Len() > 0 {
						marked = true
					}
				}
			} else {
				b.WriteString(plainText(ch))
				marked = true
			}
		}
		if marked {
			r.note(el, "formatting inside a code block dropped")
		}
		if b.Len() > 0 {
			n.Content = []*Node{textNode(b.String(), nil)}
		}
		return append(out, n)
	case "horizontal_rule":
		return append(out, r.node(name))
	case "blockquote":
		inner := r.blocks(el)
		if len(inner) == 0 {
			inner = []*Node{r.node("paragraph")}
		}
		q := r.node(name)
		q.Content = inner
		return append(out, q)
	case "bullet_list", "ordered_list":
		children := el.Children()
		list := r.elementNode(el, name, make([]*Node, 0, len(children)))
		for _, ch := range children {
			if e, ok := ch.(yjs.XmlElement); ok && e.NodeName() == "list_item" {
				list.Content = append(list.Content, r.listItem(e))
				continue
			}
			if bs := r.block(nil, ch); len(bs) > 0 {
				r.note(ch, "list content outside an item wrapped in one")
				list.Content = append(list.Content, r.fillItem(bs, ch))
			}
		}
		if len(list.Content) == 0 {
			return out
		}
		return append(out, list)
	case "list_item":
		r.note(el, "list item outside a list wrapped in one")
		l := r.node("bullet_list")
		l.Content = []*Node{r.listItem(el)}
		return append(out, l)
	case "table":
		children := el.Children()
		t := r.node(name)
		t.Content = make([]*Node, 0, len(children))
		for _, ch := range children {
			if e, ok := ch.(yjs.XmlElement); ok && e.NodeName() == "table_row" {
				t.Content = append(t.Content, r.row(e))
				continue
			}
			if bs := r.block(nil, ch); len(bs) > 0 {
				r.note(ch, "table content outside a row wrapped in one")
				t.Content = append(t.Content, &Node{Type: "table_row", Content: []*Node{newNode("table_cell", nil, bs...)}})
			}
		}
		if len(t.Content) == 0 {
			return out
		}
		return append(out, t)
	case "table_row":
		r.note(el, "table row outside a table wrapped in one")
		t := r.node("table")
		t.Content = []*Node{r.row(el)}
		return append(out, t)
	case "table_cell", "table_header":
		r.note(el, "table cell outside a row kept as its content")
		return append(out, r.blocks(el)...)
	}
	return r.unwrap(out, el)
}

func (r *reader) unwrap(out []*Node, el yjs.XmlElement) []*Node {
	var inl []*Node
	flush := func() {
		if len(inl) > 0 {
			p := r.node("paragraph")
			p.Content = inl
			out = append(out, p)
			inl = nil
		}
	}
	for _, ch := range el.Children() {
		switch x := ch.(type) {
		case yjs.XmlText:
			inl = r.text(inl, x)
		case yjs.XmlElement:
			if spec := schema[x.NodeName()]; spec != nil && spec.inline {
				inl = r.inlineElement(inl, x)
				continue
			}
			flush()
			out = r.element(out, x)
		}
	}
	flush()
	return out
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
	children := el.Children()
	row := r.node("table_row")
	row.Content = make([]*Node, 0, len(children))
	for _, ch := range children {
		if e, ok := ch.(yjs.XmlElement); ok && (e.NodeName() == "table_cell" || e.NodeName() == "table_header") {
			content := r.blocks(e)
			if len(content) == 0 {
				content = []*Node{r.node("paragraph")}
			}
			row.Content = append(row.Content, r.elementNode(e, e.NodeName(), content))
			continue
		}
		if bs := r.block(nil, ch); len(bs) > 0 {
			r.note(ch, "row content outside a cell wrapped in one")
			row.Content = append(row.Content, newNode("table_cell", nil, bs...))
		}
	}
	return row
}

// inlines reads the children of a textblock.
func (r *reader) inlines(el yjs.XmlElement) []*Node {
	children := el.Children()
	if len(children) == 0 {
		return nil
	}
	out := make([]*Node, 0, len(children)+2)
	for _, ch := range children {
		switch x := ch.(type) {
		case yjs.XmlText:
			out = r.text(out, x)
		case yjs.XmlElement:
			out = r.inlineElement(out, x)
		}
	}
	return out
}

// appendInline appends n, merging it into a preceding text node with the
// same marks (ProseMirror's Fragment does this).
func appendInline(out []*Node, ns ...*Node) []*Node {
	for _, n := range ns {
		if n.isText() && len(out) > 0 {
			if last := out[len(out)-1]; last.isText() && sameMarks(last.Marks, n.Marks) {
				out[len(out)-1] = textNode(last.Text+n.Text, last.Marks)
				continue
			}
		}
		out = append(out, n)
	}
	return out
}

func (r *reader) inlineElement(out []*Node, el yjs.XmlElement) []*Node {
	name := el.NodeName()
	switch name {
	case "hard_break":
		return append(out, r.node(name))
	case "civicRef":
		n := r.elementNode(el, name, nil)
		for k, v := range n.Attrs {
			if _, ok := v.(string); !ok {
				n.Attrs[k] = fmt.Sprint(v)
			}
		}
		return append(out, n)
	case "image":
		n := r.elementNode(el, name, nil)
		if _, ok := n.Attrs["src"].(string); !ok {
			r.note(el, "image without a source kept as its alt text")
			if alt, ok := n.Attrs["alt"].(string); ok && alt != "" {
				return appendInline(out, textNode(alt, nil))
			}
			return out
		}
		return append(out, n)
	}
	if t := plainText(el); t != "" {
		r.note(el, "element %q inside text kept as its text", name)
		return appendInline(out, textNode(t, nil))
	}
	return out
}

var hashedMark = regexp.MustCompile(`^(.*)--[a-zA-Z0-9+/=]{8}$`)

// text reads an XmlText delta; marks come only from formatting attributes.
func (r *reader) text(out []*Node, x yjs.XmlText) []*Node {
	for _, op := range x.Delta() {
		s, ok := op.Insert.(string)
		if !ok || s == "" {
			continue
		}
		var marks []Mark
		if m, ok := plainMarkSet(op.Attributes); ok {
			marks = m
		} else if op.Attributes != nil {
			for i := 0; i < op.Attributes.Len(); i++ {
				key, val := op.Attributes.At(i)
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
		out = appendInline(out, t)
	}
	return out
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
		for _, ch := range x.Children() {
			b.WriteString(plainText(ch))
		}
		return b.String()
	}
	return ""
}
