package pmdoc

import (
	"regexp"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// ParseMarkdown converts Markdown into an editor document the way upstream's
// parseMarkdownToDoc does (markdown-it "commonmark" + tables + civic
// references, mapped by prosemirror-markdown). It never fails: HTML and
// constructs the schema cannot hold are dropped or kept as text exactly as
// upstream does, so the result matches upstream's document.
func ParseMarkdown(md string) *Node {
	return new(converter).parse(md)
}

// normalizeInput is markdown-it's normalize rule (CRLF/CR → LF, NUL →
// U+FFFD), after invalid UTF-8 is replaced as Node's UTF-8 decoder does.
func normalizeInput(md string) string {
	if !utf8.ValidString(md) {
		md = whatwgUTF8(md)
	}
	if strings.ContainsAny(md, "\r\x00") {
		md = strings.ReplaceAll(md, "\r\n", "\n")
		md = strings.ReplaceAll(md, "\r", "\n")
		md = strings.ReplaceAll(md, "\x00", "\ufffd")
	}
	return md
}

// converter turns Markdown into nodes: the block pass (mdblock.go) builds
// the block tree and records each textblock's inline content; the inline
// pass then fills them in, once every reference definition is known.
// Nodes, content slices and joined strings come from slabs; a pooled
// converter (MarkdownToUpdate, SeedMarkdown: the document is dropped once
// encoded) reuses them.
type converter struct {
	src  string
	refs map[string]reference
	bs   blockState
	st   inlineState // reused for every textblock
	nodeBuilder
	pending []pendingInline
	arena   []byte // joined text (see str)
	scratch []byte
	cols    []string
	saved   []lineValues
}

// pendingInline is a textblock whose inline content is parsed after the
// block pass.
type pendingInline struct {
	n       *Node
	content string
}

func (c *converter) parse(md string) *Node {
	c.src = normalizeInput(md)
	c.bs.c = c
	c.bs.init(c.src)
	c.bs.tokenize(0, c.bs.lineMax)
	doc := c.node("doc", nil, c.pop(0))
	if len(doc.Content) == 0 {
		doc.Content = c.one(c.node("paragraph", nil, nil))
	}
	for i := range c.pending {
		p := &c.pending[i]
		p.n.Content = c.inline(p.content)
	}
	return doc
}

// reset readies a pooled converter for the next document, dropping every
// reference into the last one.
func (c *converter) reset() {
	c.src, c.refs = "", nil
	c.resetNodes()
	clear(c.pending)
	c.pending = c.pending[:0]
	c.arena = c.arena[:0]
	clear(c.cols)
	c.cols = c.cols[:0]
	clear(c.st.tokens[:cap(c.st.tokens)])
	clear(c.st.tokensMeta[:cap(c.st.tokensMeta)])
	c.st.reset("", nil)
}

func (c *converter) node(typ string, attrs map[string]any, content []*Node) *Node {
	n := c.nodes.one()
	n.Type, n.Attrs, n.Content = typ, attrs, content
	return n
}

// one is a content slice holding n.
func (c *converter) one(n *Node) []*Node {
	out := c.ptrs.take(1)
	out[0] = n
	return out
}

// str returns b as a string kept in the converter's arena: bytes once
// written there are never changed (the arena only grows, and a pooled
// converter's is emptied only after its document is dropped).
func (c *converter) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(c.arena)-len(c.arena) < len(b) {
		c.arena = make([]byte, 0, max(2*cap(c.arena), len(b), 4096))
	}
	start := len(c.arena)
	c.arena = append(c.arena, b...)
	return unsafe.String(&c.arena[start], len(b))
}

// textblock makes a paragraph or heading whose inline content is parsed
// after the block pass.
func (c *converter) textblock(typ string, attrs map[string]any, content string) *Node {
	n := c.node(typ, attrs, nil)
	if content != "" {
		c.pending = append(c.pending, pendingInline{n, content})
	}
	return n
}

func (c *converter) codeBlock(params, body string) *Node {
	attrs := noParamsAttrs
	if params != "" {
		attrs = map[string]any{"params": params}
	}
	n := c.node("code_block", attrs, nil)
	if body != "" {
		t := c.node("text", nil, nil)
		t.Text = body
		n.Content = c.one(t)
	}
	return n
}

// listItem is prosemirror-markdown's createAndFill for a list item: its
// content must start with a paragraph.
func (c *converter) listItem(content []*Node) *Node {
	if len(content) == 0 || content[0].Type != "paragraph" {
		filled := c.ptrs.take(len(content) + 1)
		filled[0] = c.node("paragraph", nil, nil)
		copy(filled[1:], content)
		content = filled
	}
	return c.node("list_item", nil, content)
}

// row builds a table row of len(aligns) cells of type typ, each holding a
// paragraph of its trimmed text (cut or padded to the header's width).
func (c *converter) row(cols, aligns []string, typ string) *Node {
	cells := c.ptrs.take(len(aligns))
	for i := range cells {
		text := ""
		if i < len(cols) {
			text = jsTrim(cols[i])
		}
		cells[i] = c.node(typ, cellAttrsByAlign[aligns[i]], c.one(c.textblock("paragraph", nil, text)))
	}
	return c.node("table_row", nil, cells)
}

func orderAttrs(order int) map[string]any {
	if order == 0 || order == 1 {
		return orderOneAttrs // markdown-it's start 0 becomes 1 (Number(start) || 1)
	}
	return map[string]any{"order": order}
}

// Attribute maps that parsing shares between nodes (documents are read,
// not changed in place).
var (
	headingAttrs = func() []map[string]any {
		m := make([]map[string]any, 7)
		for l := 1; l <= 6; l++ {
			m[l] = map[string]any{"level": l}
		}
		return m
	}()
	orderOneAttrs    = map[string]any{"order": 1}
	noParamsAttrs    = map[string]any{"params": ""}
	cellAttrsByAlign = map[string]map[string]any{
		"":       {"colspan": 1, "rowspan": 1, "colwidth": nil, "align": nil},
		"left":   {"colspan": 1, "rowspan": 1, "colwidth": nil, "align": "left"},
		"center": {"colspan": 1, "rowspan": 1, "colwidth": nil, "align": "center"},
		"right":  {"colspan": 1, "rowspan": 1, "colwidth": nil, "align": "right"},
	}
)

// civicRefRE states the civic reference syntax; parseCivicRef is its fast
// equivalent (tested against it).
var civicRefRE = regexp.MustCompile(`^<!--civic-ref[` + jsWS + `]+type="([^"]+)"[` + jsWS + `]+id="([^"]+)"[` + jsWS + `]+label="([^"]*)"-->$`)

// parseCivicRef matches civicRefRE by hand (the hot path of every
// reference): each value runs to the next quote, so the match is
// determined left to right.
func parseCivicRef(s string) (typ, id, label string, ok bool) {
	const prefix = "<!--civic-ref"
	if !strings.HasPrefix(s, prefix) {
		return "", "", "", false
	}
	s = s[len(prefix):]
	if s, ok = skipJSSpace(s); !ok {
		return "", "", "", false
	}
	if typ, s, ok = quotedAttr(s, `type="`); !ok || typ == "" {
		return "", "", "", false
	}
	if s, ok = skipJSSpace(s); !ok {
		return "", "", "", false
	}
	if id, s, ok = quotedAttr(s, `id="`); !ok || id == "" {
		return "", "", "", false
	}
	if s, ok = skipJSSpace(s); !ok {
		return "", "", "", false
	}
	if label, s, ok = quotedAttr(s, `label="`); !ok || s != "-->" {
		return "", "", "", false
	}
	return typ, id, label, true
}

// skipJSSpace removes one or more leading JS whitespace characters.
func skipJSSpace(s string) (string, bool) {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isJSSpace(r) {
			break
		}
		i += size
	}
	return s[i:], i > 0
}

// quotedAttr reads key (ending in a quote) and the value up to the next quote.
func quotedAttr(s, key string) (val, rest string, ok bool) {
	if !strings.HasPrefix(s, key) {
		return "", s, false
	}
	s = s[len(key):]
	end := strings.IndexByte(s, '"')
	if end < 0 {
		return "", s, false
	}
	return s[:end], s[end+1:], true
}

// inline parses inline content and builds nodes with prosemirror-markdown's
// rules: marks form a set (opening replaces, closing removes the type) and
// every inline node takes the active marks.
func (c *converter) inline(content string) []*Node {
	if content == "" {
		return nil
	}
	if plainInline(content) {
		n := c.node("text", nil, nil)
		n.Text = content
		return c.one(n)
	}
	c.st.reset(content, c.refs)
	// Adjacent text tokens need no joining here: the builder merges text
	// with the same marks (joining matters only inside images).
	toks := c.st.run(false)
	b := inlineBuilder{c: c, from: len(c.stack)}
	for i := range toks {
		t := &toks[i]
		switch t.kind {
		case tText, tTextSpecial:
			b.addText(t.content)
		case tSoftbreak:
			b.addText(" ")
		case tHardbreak:
			b.addNode(c.node("hard_break", nil, nil))
		case tEmOpen:
			b.marks = withMark(b.marks, Mark{Type: "em"})
		case tEmClose:
			b.marks = withoutMark(b.marks, "em")
		case tStrongOpen:
			b.marks = withMark(b.marks, Mark{Type: "strong"})
		case tStrongClose:
			b.marks = withoutMark(b.marks, "strong")
		case tLinkOpen:
			m := Mark{Type: "link", Href: t.href}
			if t.title != "" {
				title := t.title
				m.Title = &title
			}
			b.marks = withMark(b.marks, m)
		case tLinkClose:
			b.marks = withoutMark(b.marks, "link")
		case tCode:
			saved := b.marks
			b.marks = withMark(b.marks, Mark{Type: "code"})
			b.addText(strings.TrimSuffix(t.content, "\n"))
			b.marks = saved
		case tImage:
			var alt, title any
			if len(t.children) > 0 && t.children[0].content != "" {
				alt = t.children[0].content
			}
			if t.title != "" {
				title = t.title
			}
			b.addNode(c.node("image", map[string]any{"src": t.href, "alt": alt, "title": title}, nil))
		case tHTML:
			rt, id, label, ok := parseCivicRef(t.content)
			if !ok {
				continue // raw HTML is dropped, its inner text stays
			}
			if rt != "record" && rt != "geography" && rt != "attachment" {
				rt = "record"
			}
			if strings.IndexByte(label, '&') >= 0 {
				label = strings.ReplaceAll(strings.ReplaceAll(label, "&quot;", `"`), "&#45;&#45;", "--")
			}
			b.addNode(c.node("civicRef", map[string]any{"refType": rt, "id": id, "label": label}, nil))
		}
	}
	b.endText()
	return c.pop(b.from)
}

// inlineBuilder adds inline nodes to the converter's stack. Text with the
// same marks as the text node before it joins that node; the pieces are
// kept aside and joined once, when the node is complete.
type inlineBuilder struct {
	c      *converter
	from   int // where this content starts on the stack
	marks  []Mark
	text   *Node  // the last node, while it is text
	first  string // its text, while it is one piece
	joined []byte // its text, once it has several pieces
	pieces int
}

func (b *inlineBuilder) addText(s string) {
	if s == "" {
		return
	}
	if b.text != nil && sameMarks(b.text.Marks, b.marks) {
		if b.pieces == 1 {
			b.joined = append(b.c.scratch[:0], b.first...)
		}
		b.joined = append(b.joined, s...)
		b.pieces++
		return
	}
	b.endText()
	n := b.c.node("text", nil, nil)
	n.Marks = b.marks
	b.c.push(n)
	b.text, b.first, b.pieces = n, s, 1
}

// endText completes the pending text node.
func (b *inlineBuilder) endText() {
	if b.text == nil {
		return
	}
	if b.pieces > 1 {
		b.text.Text = b.c.str(b.joined)
		b.c.scratch = b.joined[:0]
	} else {
		b.text.Text = b.first
	}
	b.text, b.first, b.joined, b.pieces = nil, "", nil, 0
}

func (b *inlineBuilder) addNode(n *Node) {
	b.endText()
	n.Marks = b.marks
	b.c.push(n)
}

// withMark is addMark without an allocation for the usual mark sets (em,
// strong and code, which are shared).
func withMark(set []Mark, m Mark) []Mark {
	if m.Type != "link" {
		if mask, ok := plainMask(set); ok {
			return plainSets[mask|markBit(m.Type)]
		}
	}
	return addMark(set, m)
}

func withoutMark(set []Mark, typ string) []Mark {
	if typ != "link" {
		if mask, ok := plainMask(set); ok {
			return plainSets[mask&^markBit(typ)]
		}
	}
	return removeMark(set, typ)
}

func markBit(typ string) int {
	switch typ {
	case "em":
		return 1
	case "strong":
		return 2
	case "code":
		return 4
	}
	return 0
}

// plainMask reports the set as a mask when it holds only em, strong and
// code (in rank order, as sets are kept).
func plainMask(set []Mark) (int, bool) {
	mask := 0
	for _, m := range set {
		bit := markBit(m.Type)
		if bit == 0 || bit <= mask {
			return 0, false
		}
		mask |= bit
	}
	return mask, true
}

// plainSets are the shared mark sets of em, strong and code by mask.
var plainSets = func() (sets [8][]Mark) {
	for mask := 1; mask < 8; mask++ {
		for i, typ := range []string{"em", "strong", "code"} {
			if mask&(1<<i) != 0 {
				sets[mask] = append(sets[mask], Mark{Type: typ})
			}
		}
	}
	return sets
}()

// plainInline reports content that the inline rules turn into one text
// token unchanged: no terminator characters at all.
func plainInline(s string) bool {
	for i := 0; i < len(s); i++ {
		if isTerminator(s[i]) {
			return false
		}
	}
	return true
}

// whatwgUTF8 replaces each maximal invalid subsequence with one U+FFFD, the
// WHATWG decoding Node applies when it reads a file as UTF-8 (Go's
// strings.ToValidUTF8 would merge a whole run into one).
func whatwgUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size > 1 {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += invalidPrefixLen(s[i:])
	}
	return b.String()
}

// invalidPrefixLen is the length of the maximal subpart of an ill-formed
// sequence at the start of s (at least 1).
func invalidPrefixLen(s string) int {
	c := s[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c >= 0xE0 && c <= 0xEF:
		need = 2
		if c == 0xE0 {
			lo = 0xA0
		} else if c == 0xED {
			hi = 0x9F
		}
	case c >= 0xF0 && c <= 0xF4:
		need = 3
		if c == 0xF0 {
			lo = 0x90
		} else if c == 0xF4 {
			hi = 0x8F
		}
	default:
		return 1
	}
	n := 1
	for k := 0; k < need && n < len(s); k++ {
		b := s[n]
		if b < lo || b > hi {
			break
		}
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}
