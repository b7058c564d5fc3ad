package pmdoc

import (
	"bytes"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// ParseMarkdown converts Markdown into an editor document the way upstream's
// parseMarkdownToDoc does (markdown-it "commonmark" + tables + civic
// references, mapped by prosemirror-markdown). It never fails: HTML and
// constructs the schema cannot hold are dropped or kept as text exactly as
// upstream does, so the result matches upstream's document.
func ParseMarkdown(md string) *Node {
	src := normalizeInput(md)
	pc := parser.NewContext()
	root := mdParser.Parse(text.NewReader([]byte(src)), parser.WithContext(pc))
	refs, _ := pc.Get(refsKey).(map[string]reference)
	c := &converter{src: []byte(src), refs: refs}
	content, _ := c.blocks(root, 0)
	return fillDoc(content)
}

// normalizeInput applies markdown-it's normalize rule (CRLF/CR → LF, NUL →
// U+FFFD) after replacing invalid UTF-8 as Node's UTF-8 decoder does, and
// ends the text with a newline (which changes no Markdown meaning).
func normalizeInput(md string) string {
	if !utf8.ValidString(md) {
		md = whatwgUTF8(md)
	}
	if strings.ContainsAny(md, "\r\x00") {
		md = strings.ReplaceAll(md, "\r\n", "\n")
		md = strings.ReplaceAll(md, "\r", "\n")
		md = strings.ReplaceAll(md, "\x00", "\ufffd")
	}
	if !strings.HasSuffix(md, "\n") {
		// markdown-it does not count a last line of only spaces and tabs
		// that has no newline.
		last := md[strings.LastIndexByte(md, '\n')+1:]
		if strings.Trim(last, " \t") == "" {
			md = md[:len(md)-len(last)]
		} else {
			md += "\n"
		}
	}
	return md
}

type converter struct {
	src  []byte
	refs map[string]reference
	st   inlineState // reused for every textblock
	slab []Node      // nodes are carved from blocks to spare the allocator
}

func (c *converter) node(typ string, attrs map[string]any, content []*Node) *Node {
	if len(c.slab) == 0 {
		c.slab = make([]Node, 128)
	}
	n := &c.slab[0]
	c.slab = c.slab[1:]
	n.Type, n.Attrs, n.Content = typ, attrs, content
	return n
}

func fillDoc(content []*Node) *Node {
	if len(content) == 0 {
		content = []*Node{newNode("paragraph", nil)}
	}
	return newNode("doc", nil, content...)
}

func (c *converter) linesText(n ast.Node) string {
	lines := n.Lines()
	if lines.Len() == 1 {
		seg := lines.At(0)
		return string(seg.Value(c.src))
	}
	var b strings.Builder
	itemCol := -1
	if k := n.Kind(); k == ast.KindParagraph || k == ast.KindTextBlock || k == ast.KindHeading {
		for p := n.Parent(); p != nil; p = p.Parent() {
			if p.Kind() == ast.KindListItem {
				itemCol = c.contentColumn(p)
				break
			}
		}
	}
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		v := seg.Value(c.src)
		// A lazy continuation line inside a list item starts left of the
		// item's content; markdown-it strips all of its indentation.
		if i > 0 && itemCol >= 0 && c.column(seg) < itemCol {
			v = bytes.TrimLeft(v, " \t")
		}
		b.Write(v)
	}
	return b.String()
}

// column is the display column (tabs to stops of four) where seg starts.
func (c *converter) column(seg text.Segment) int {
	start := seg.Start
	ls := bytes.LastIndexByte(c.src[:start], '\n') + 1
	col := 0
	for _, ch := range c.src[ls:start] {
		if ch == '\t' {
			col += 4 - col%4
		} else {
			col++
		}
	}
	return col - seg.Padding
}

// contentColumn is the column where a list item's first line of content
// starts, or -1 when it has none.
func (c *converter) contentColumn(item ast.Node) int {
	for ch := item.FirstChild(); ch != nil; ch = ch.FirstChild() {
		if ch.Lines() != nil && ch.Lines().Len() > 0 {
			return c.column(ch.Lines().At(0))
		}
		if ch.Kind() == ast.KindFencedCodeBlock || ch.Kind() == kindHTMLBlock || ch.Kind() == kindTable {
			return -1
		}
	}
	return -1
}

// blocks converts the children of a container tokenized at level. swallow
// reports markdown-it's nesting cut-off inside a list item, which drops the
// rest of the enclosing container up to the nearest blockquote.
func (c *converter) blocks(parent ast.Node, level int) (out []*Node, swallow bool) {
	for ch := parent.FirstChild(); ch != nil; ch = ch.NextSibling() {
		switch n := ch.(type) {
		case *ast.Paragraph, *ast.TextBlock:
			out = append(out, c.node("paragraph", nil, c.inline(asciiTrim(c.linesText(n)))))
		case *ast.Heading:
			h := c.node("heading", headingAttrs[n.Level], c.inline(asciiTrim(c.linesText(n))))
			out = append(out, h)
		case *ast.ThematicBreak:
			out = append(out, newNode("horizontal_rule", nil))
		case *ast.CodeBlock:
			out = append(out, codeBlock("", c.linesText(n)))
		case *ast.FencedCodeBlock:
			info, _ := n.AttributeString(string(rawInfoAttr))
			s, _ := info.(string)
			out = append(out, codeBlock(s, c.linesText(n)))
		case *ast.Blockquote:
			var inner []*Node
			if level+1 < maxNesting {
				inner, _ = c.blocks(n, level+1)
			}
			if len(inner) == 0 {
				inner = []*Node{newNode("paragraph", nil)}
			}
			out = append(out, newNode("blockquote", nil, inner...))
		case *ast.List:
			var list *Node
			if n.IsOrdered() {
				order := n.Start
				if order == 0 {
					order = 1
				}
				list = newNode("ordered_list", map[string]any{"order": order})
			} else {
				list = newNode("bullet_list", nil)
			}
			cut := false
			for it := n.FirstChild(); it != nil; it = it.NextSibling() {
				var inner []*Node
				if level+2 < maxNesting {
					inner, cut = c.blocks(it, level+2)
				} else {
					cut = true
				}
				list.Content = append(list.Content, fillListItem(inner))
				if cut {
					break
				}
			}
			out = append(out, list)
			if cut {
				return out, true
			}
		case *tableBlock:
			out = append(out, c.table(n))
		}
	}
	return out, false
}

func codeBlock(params, body string) *Node {
	body = strings.TrimSuffix(body, "\n")
	n := newNode("code_block", map[string]any{"params": params})
	if body != "" {
		n.Content = []*Node{textNode(body, nil)}
	}
	return n
}

func fillListItem(content []*Node) *Node {
	if len(content) == 0 || content[0].Type != "paragraph" {
		content = append([]*Node{newNode("paragraph", nil)}, content...)
	}
	return newNode("list_item", nil, content...)
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

func (c *converter) table(t *tableBlock) *Node {
	row := func(cells []string, typ string) *Node {
		r := c.node("table_row", nil, make([]*Node, 0, len(cells)))
		ptrs := make([]*Node, len(cells))
		for i, cell := range cells {
			ptrs[i] = c.node("paragraph", nil, c.inline(cell))
			r.Content = append(r.Content, c.node(typ, cellAttrsByAlign[t.aligns[i]], ptrs[i:i+1:i+1]))
		}
		return r
	}
	tbl := newNode("table", nil, row(t.header, "table_header"))
	for _, r := range t.rows {
		tbl.Content = append(tbl.Content, row(r, "table_cell"))
	}
	return tbl
}

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
		return []*Node{n}
	}
	c.st.reset(content, c.refs)
	toks := joinText(c.st.run(), true)
	b := &inlineBuilder{c: c}
	for _, t := range toks {
		switch t.kind {
		case tText, tTextSpecial:
			b.addText(t.content)
		case tSoftbreak:
			b.addText(" ")
		case tHardbreak:
			b.addNode(newNode("hard_break", nil))
		case tEmOpen:
			b.marks = addMark(b.marks, Mark{Type: "em"})
		case tEmClose:
			b.marks = removeMark(b.marks, "em")
		case tStrongOpen:
			b.marks = addMark(b.marks, Mark{Type: "strong"})
		case tStrongClose:
			b.marks = removeMark(b.marks, "strong")
		case tLinkOpen:
			m := Mark{Type: "link", Href: t.href}
			if t.title != "" {
				title := t.title
				m.Title = &title
			}
			b.marks = addMark(b.marks, m)
		case tLinkClose:
			b.marks = removeMark(b.marks, "link")
		case tCode:
			saved := b.marks
			b.marks = addMark(b.marks, Mark{Type: "code"})
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
			b.addNode(newNode("image", map[string]any{"src": t.href, "alt": alt, "title": title}))
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
			b.addNode(newNode("civicRef", map[string]any{"refType": rt, "id": id, "label": label}))
		}
	}
	return b.content
}

type inlineBuilder struct {
	c       *converter
	content []*Node
	marks   []Mark
}

func (b *inlineBuilder) addText(s string) {
	if s == "" {
		return
	}
	if n := len(b.content); n > 0 {
		last := b.content[n-1]
		if last.isText() && sameMarks(last.Marks, b.marks) {
			last.Text += s
			return
		}
	}
	n := b.c.node("text", nil, nil)
	n.Text, n.Marks = s, b.marks
	b.content = append(b.content, n)
}

func (b *inlineBuilder) addNode(n *Node) {
	n.Marks = b.marks
	b.content = append(b.content, n)
}

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
