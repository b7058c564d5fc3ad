package pmdoc

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// SerializeMarkdown writes doc as upstream's serializeDocToMarkdown does
// (prosemirror-markdown's default rules with CivicPress's civicRef and table
// rules, loose lists), byte for byte. The output has no trailing newline;
// an empty document gives "".
func SerializeMarkdown(doc *Node) string {
	return serializeMarkdown(doc, textSize(doc))
}

// serializeMarkdown takes the expected output size.
func serializeMarkdown(doc *Node, hint int) string {
	s := &serState{out: make([]byte, 0, hint+hint/4+64)}
	s.renderContent(doc)
	if len(s.out) == 0 {
		return ""
	}
	// The buffer is not touched again: the string can share it.
	return unsafe.String(unsafe.SliceData(s.out), len(s.out))
}

// textSize estimates a document's Markdown size: its text plus a few
// bytes of syntax per node.
func textSize(n *Node) int {
	size := len(n.Text) + 4
	for _, c := range n.Content {
		size += textSize(c)
	}
	return size
}

type serState struct {
	out          []byte
	delim        string
	closed       *Node
	inAutolink   bool
	atBlockStart bool
	inTightList  bool
	tight        bool      // options.tightLists
	cell         bool      // the table-cell serializer
	cells        *serState // the cell serializer of this state's tables
	active       []Mark    // renderInline's open marks (reused)
}

func (s *serState) atBlank() bool {
	return len(s.out) == 0 || s.out[len(s.out)-1] == '\n'
}

func (s *serState) flushClose(size int) {
	if s.closed == nil {
		return
	}
	if !s.atBlank() {
		s.out = append(s.out, '\n')
	}
	if size > 1 {
		dm := jsTrimRight(s.delim)
		for i := 1; i < size; i++ {
			s.out = append(s.out, dm...)
			s.out = append(s.out, '\n')
		}
	}
	s.closed = nil
}

func (s *serState) write(content string) {
	s.flushClose(2)
	if s.delim != "" && s.atBlank() {
		s.out = append(s.out, s.delim...)
	}
	s.out = append(s.out, content...)
}

func (s *serState) closeBlock(n *Node) { s.closed = n }

func (s *serState) text(t string, escape bool) {
	if !strings.Contains(t, "\n") {
		s.textLine(t, escape)
		return
	}
	lines := strings.Split(t, "\n")
	for i, line := range lines {
		s.write("")
		if !escape && len(line) > 0 && line[0] == '[' {
			n := len(s.out)
			if n > 0 && s.out[n-1] == '!' && (n == 1 || s.out[n-2] != '\\') {
				s.out = append(s.out[:n-1], `\!`...)
			}
		}
		if escape {
			s.out = append(s.out, esc(line, s.atBlockStart)...)
		} else {
			s.out = append(s.out, line...)
		}
		if i != len(lines)-1 {
			s.out = append(s.out, '\n')
		}
	}
}

func (s *serState) textLine(line string, escape bool) {
	s.write("")
	if !escape && len(line) > 0 && line[0] == '[' {
		n := len(s.out)
		if n > 0 && s.out[n-1] == '!' && (n == 1 || s.out[n-2] != '\\') {
			s.out = append(s.out[:n-1], `\!`...)
		}
	}
	if escape {
		s.out = append(s.out, esc(line, s.atBlockStart)...)
	} else {
		s.out = append(s.out, line...)
	}
}

func (s *serState) wrapBlock(delim string, first *string, n *Node, f func()) {
	old := s.delim
	if first != nil {
		s.write(*first)
	} else {
		s.write(delim)
	}
	s.delim += delim
	f()
	s.delim = old
	s.closeBlock(n)
}

func (s *serState) renderContent(parent *Node) {
	for i, c := range parent.Content {
		s.render(c, parent, i)
	}
}

var (
	parenEscaper = strings.NewReplacer("(", `\(`, ")", `\)`)
	hrefEscaper  = strings.NewReplacer("(", `\(`, ")", `\)`, `"`, `\"`)
)

var backtickRunRE = regexp.MustCompile("`{3,}")

func (s *serState) render(n, parent *Node, index int) {
	switch n.Type {
	case "blockquote":
		s.wrapBlock("> ", nil, n, func() { s.renderContent(n) })
	case "code_block":
		fence := "```"
		longest := ""
		for _, m := range backtickRunRE.FindAllString(n.TextContent(), -1) {
			if len(m) > len(longest) {
				longest = m
			}
		}
		if longest != "" {
			fence = longest + "`"
		}
		s.write(fence + n.attrString("params") + "\n")
		s.text(n.TextContent(), false)
		s.write("\n")
		s.write(fence)
		s.closeBlock(n)
	case "heading":
		s.write(strings.Repeat("#", max(0, n.attrInt("level", 1))) + " ")
		s.renderInline(n, false)
		s.closeBlock(n)
	case "horizontal_rule":
		s.write("---")
		s.closeBlock(n)
	case "bullet_list":
		s.renderList(n, "  ", func(int) string { return "* " })
	case "ordered_list":
		start := n.attrInt("order", 1)
		if start == 0 {
			start = 1
		}
		maxW := len(strconv.Itoa(start + len(n.Content) - 1))
		s.renderList(n, strings.Repeat(" ", maxW+2), func(i int) string {
			num := strconv.Itoa(start + i)
			return strings.Repeat(" ", max(0, maxW-len(num))) + num + ". "
		})
	case "list_item":
		s.renderContent(n)
	case "paragraph":
		s.renderInline(n, true)
		if !s.cell {
			s.closeBlock(n)
		}
	case "image":
		alt := n.attrString("alt")
		src := parenEscaper.Replace(n.attrString("src"))
		title := ""
		if t := n.attrString("title"); t != "" {
			title = ` "` + strings.ReplaceAll(t, `"`, `\"`) + `"`
		}
		s.write("![" + esc(alt, false) + "](" + src + title + ")")
	case "hard_break":
		if s.cell {
			s.write("<br>")
			return
		}
		for i := index + 1; i < len(parent.Content); i++ {
			if parent.Content[i].Type != "hard_break" {
				s.write("\\\n")
				return
			}
		}
	case "text":
		s.text(n.Text, !s.inAutolink)
	case "civicRef":
		s.write(civicRefComment(n))
	case "table":
		s.table(n)
	}
}

func civicRefComment(n *Node) string {
	e := func(v string) string {
		return strings.ReplaceAll(strings.ReplaceAll(v, `"`, "&quot;"), "--", "&#45;&#45;")
	}
	return `<!--civic-ref type="` + e(n.attrString("refType")) + `" id="` + e(n.attrString("id")) + `" label="` + e(n.attrString("label")) + `"-->`
}

func (s *serState) renderList(n *Node, delim string, first func(int) string) {
	if s.closed != nil && s.closed.Type == n.Type {
		s.flushClose(3)
	} else if s.inTightList {
		s.flushClose(1)
	}
	prev := s.inTightList
	s.inTightList = s.tight
	for i, child := range n.Content {
		if i > 0 && s.tight {
			s.flushClose(1)
		}
		fd := first(i)
		s.wrapBlock(delim, &fd, n, func() { s.render(child, n, i) })
	}
	s.inTightList = prev
}

// table writes upstream's table rule: "| a | b |" lines for the header,
// the alignments and the body rows, each cell rendered by the cell
// serializer on one line with "|" escaped. The lines are written directly
// (as the text of one block) instead of being joined first.
func (s *serState) table(n *Node) {
	if s.cells == nil {
		s.cells = &serState{}
	}
	cs := s.cells
	line := 0
	startLine := func() {
		if line > 0 {
			s.out = append(s.out, '\n')
		}
		line++
		s.write("")
		s.out = append(s.out, "| "...)
	}
	rowLine := func(row *Node) {
		startLine()
		for i, cell := range row.Content {
			if i > 0 {
				s.out = append(s.out, " | "...)
			}
			*cs = serState{tight: true, cell: true, out: cs.out[:0], cells: cs.cells, active: cs.active}
			cs.renderContent(cell)
			s.out = appendCell(s.out, cs.out)
		}
		s.out = append(s.out, " |"...)
	}
	if len(n.Content) == 0 {
		startLine()
		s.out = append(s.out, " |"...)
		startLine()
		s.out = append(s.out, " |"...)
	} else {
		rowLine(n.Content[0])
		startLine()
		for i, cell := range n.Content[0].Content {
			if i > 0 {
				s.out = append(s.out, " | "...)
			}
			switch cell.attrString("align") {
			case "left":
				s.out = append(s.out, ":--"...)
			case "center":
				s.out = append(s.out, ":-:"...)
			case "right":
				s.out = append(s.out, "--:"...)
			default:
				s.out = append(s.out, "---"...)
			}
		}
		s.out = append(s.out, " |"...)
		for _, row := range n.Content[1:] {
			rowLine(row)
		}
	}
	s.closeBlock(n)
}

// appendCell appends a rendered cell as upstream's table rule has it: runs
// of newlines become one space, JS whitespace is trimmed, "|" is escaped.
func appendCell(dst, v []byte) []byte {
	if bytes.IndexByte(v, '\n') >= 0 {
		w := 0
		inRun := false
		for i := 0; i < len(v); i++ {
			c := v[i]
			if c == '\n' {
				if inRun {
					continue
				}
				inRun = true
				c = ' '
			} else {
				inRun = false
			}
			v[w] = c
			w++
		}
		v = v[:w]
	}
	v = bytes.TrimFunc(v, isJSSpace)
	for {
		i := bytes.IndexByte(v, '|')
		if i < 0 {
			return append(dst, v...)
		}
		dst = append(dst, v[:i]...)
		dst = append(dst, '\\', '|')
		v = v[i+1:]
	}
}

// jsSlice is Array.prototype.slice for non-negative bounds.
func jsSlice(ms []Mark, from, to int) []Mark {
	from, to = min(from, len(ms)), min(to, len(ms))
	if from >= to {
		return nil
	}
	return ms[from:to]
}

func isExpel(m Mark) bool { return m.Type == "em" || m.Type == "strong" }
func isMixable(m Mark) bool {
	return m.Type == "em" || m.Type == "strong" || m.Type == "link"
}

func (s *serState) isMarkAhead(parent *Node, index int, m Mark) bool {
	for ; ; index++ {
		if index >= len(parent.Content) {
			return false
		}
		next := parent.Content[index]
		if next.Type != "hard_break" {
			return hasMark(next.Marks, m)
		}
		index++
	}
}

func hasNonSpace(t string) bool {
	for _, r := range t {
		if !isJSSpace(r) {
			return true
		}
	}
	return false
}

// splitLeading is /^(\s*)(.*)$/m: leading JS whitespace, then the rest of
// the first line (JS "." stops at line terminators). The remainder after the
// line is dropped, as upstream drops it.
func splitLeading(t string) (lead, rest string) {
	i := 0
	for i < len(t) {
		r, size := utf8.DecodeRuneInString(t[i:])
		if !isJSSpace(r) {
			break
		}
		i += size
	}
	// JS backtracking: \s* may give back line terminators so that (.*)$
	// matches; "$" with m matches before a line terminator.
	j := i
	for j < len(t) {
		r, size := utf8.DecodeRuneInString(t[j:])
		if isJSLineTerminator(r) {
			break
		}
		j += size
	}
	return t[:i], t[i:j]
}

// splitTrailing is /^(.*?)(\s*)$/m on the first line that can match.
func splitTrailing(t string) (rest, trail string) {
	// (.*?) cannot cross a line terminator; $ (multiline) matches at the end
	// of the first line or at the end of input.
	end := len(t)
	for j := 0; j < len(t); {
		r, size := utf8.DecodeRuneInString(t[j:])
		if isJSLineTerminator(r) {
			end = j
			break
		}
		j += size
	}
	line := t[:end]
	// (\s*)$ at end of line: trailing JS whitespace, but \s* may also run
	// across the line terminators up to the end of input.
	k := len(line)
	for k > 0 {
		r, size := utf8.DecodeLastRuneInString(line[:k])
		if !isJSSpace(r) {
			break
		}
		k -= size
	}
	// If everything after line is whitespace, \s* can extend to the end.
	if end < len(t) && !hasNonSpace(t[end:]) {
		return line[:k], t[k:]
	}
	return line[:k], line[k:]
}

func (s *serState) markString(m Mark, open bool, parent *Node, index int) string {
	switch m.Type {
	case "em":
		return "*"
	case "strong":
		return "**"
	case "link":
		if open {
			s.inAutolink = isPlainURL(m, parent, index)
			if s.inAutolink {
				return "<"
			}
			return "["
		}
		was := s.inAutolink
		s.inAutolink = false
		if was {
			return ">"
		}
		out := "](" + hrefEscaper.Replace(m.Href)
		if m.Title != nil && *m.Title != "" {
			out += ` "` + strings.ReplaceAll(*m.Title, `"`, `\"`) + `"`
		}
		return out + ")"
	case "code":
		if open {
			return backticksFor(parent.Content[index], -1)
		}
		return backticksFor(parent.Content[index-1], 1)
	}
	return ""
}

var wordColonRE = regexp.MustCompile(`^\w+:`)

func isPlainURL(link Mark, parent *Node, index int) bool {
	if (link.Title != nil && *link.Title != "") || !wordColonRE.MatchString(link.Href) {
		return false
	}
	c := parent.Content[index]
	if !c.isText() || c.Text != link.Href || len(c.Marks) == 0 || !c.Marks[len(c.Marks)-1].eq(link) {
		return false
	}
	return index == len(parent.Content)-1 || !hasMark(parent.Content[index+1].Marks, link)
}

func backticksFor(n *Node, side int) string {
	if !n.isText() || strings.IndexByte(n.Text, '`') < 0 {
		return "`"
	}
	l := 0
	if n.isText() {
		run := 0
		for i := 0; i < len(n.Text); i++ {
			if n.Text[i] == '`' {
				run++
				l = max(l, run)
			} else {
				run = 0
			}
		}
	}
	var b strings.Builder
	if l > 0 && side > 0 {
		b.WriteString(" `")
	} else {
		b.WriteString("`")
	}
	b.WriteString(strings.Repeat("`", l))
	if l > 0 && side < 0 {
		b.WriteString(" ")
	}
	return b.String()
}

func (s *serState) renderInline(parent *Node, fromBlockStart bool) {
	s.atBlockStart = fromBlockStart
	active := s.active[:0]
	defer func() { s.active = active[:0] }()
	trailing := ""
	progress := func(node *Node, index int) {
		var marks []Mark
		if node != nil {
			marks = node.Marks
		}
		if node != nil && node.Type == "hard_break" {
			var kept []Mark
			for _, m := range marks {
				if index+1 == len(parent.Content) {
					continue
				}
				next := parent.Content[index+1]
				if hasMark(next.Marks, m) && (!next.isText() || hasNonSpace(next.Text)) {
					kept = append(kept, m)
				}
			}
			marks = kept
		}
		leading := trailing
		trailing = ""
		if node != nil && node.isText() {
			expel := false
			for _, m := range marks {
				if isExpel(m) && !hasMark(active, m) {
					expel = true
				}
			}
			if expel {
				lead, rest := splitLeading(node.Text)
				if lead != "" {
					leading += lead
					if rest != "" {
						node = textNode(rest, node.Marks)
					} else {
						node = nil
						marks = active
					}
				}
			}
		}
		if node != nil && node.isText() {
			expel := false
			for _, m := range marks {
				if isExpel(m) && !s.isMarkAhead(parent, index+1, m) {
					expel = true
				}
			}
			if expel {
				rest, trail := splitTrailing(node.Text)
				if trail != "" {
					trailing = trail
					if rest != "" {
						node = textNode(rest, node.Marks)
					} else {
						node = nil
						marks = active
					}
				}
			}
		}
		var inner *Mark
		if len(marks) > 0 {
			inner = &marks[len(marks)-1]
		}
		noEsc := inner != nil && inner.Type == "code"
		ln := len(marks)
		if noEsc {
			ln--
		}
	outer:
		for i := 0; i < ln; i++ {
			m := marks[i]
			if !isMixable(m) {
				break
			}
			for j := 0; j < len(active); j++ {
				o := active[j]
				if !isMixable(o) {
					break
				}
				if m.eq(o) {
					// JS Array.slice clamps its bounds; j indexes active,
					// which may be longer than marks.
					var nm []Mark
					if i > j {
						nm = append(nm, jsSlice(marks, 0, j)...)
						nm = append(nm, m)
						nm = append(nm, jsSlice(marks, j, i)...)
						nm = append(nm, jsSlice(marks, i+1, ln)...)
						marks = nm
					} else if j > i {
						nm = append(nm, jsSlice(marks, 0, i)...)
						nm = append(nm, jsSlice(marks, i+1, j)...)
						nm = append(nm, m)
						nm = append(nm, jsSlice(marks, j, ln)...)
						marks = nm
					}
					continue outer
				}
			}
		}
		keep := 0
		for keep < min(len(active), ln) && marks[keep].eq(active[keep]) {
			keep++
		}
		for keep < len(active) {
			m := active[len(active)-1]
			active = active[:len(active)-1]
			s.text(s.markString(m, false, parent, index), false)
		}
		if leading != "" {
			s.text(leading, true)
		}
		if node != nil {
			for len(active) < ln {
				add := marks[len(active)]
				active = append(active, add)
				s.text(s.markString(add, true, parent, index), false)
				s.atBlockStart = false
			}
			if noEsc && node.isText() {
				code := *inner
				s.text(s.markString(code, true, parent, index)+node.Text+s.markString(code, false, parent, index+1), false)
			} else {
				s.render(node, parent, index)
			}
			s.atBlockStart = false
		}
		if node != nil && node.isText() && node.Text != "" {
			s.atBlockStart = false
		}
	}
	for i, c := range parent.Content {
		progress(c, i)
	}
	progress(nil, len(parent.Content))
	s.atBlockStart = false
}

var (
	escHashRE = regexp.MustCompile(`^([` + jsWS + `]*)(#{1,6})([` + jsWS + `]|$)`)
	escNumRE  = regexp.MustCompile(`^([` + jsWS + `]*[0-9]+)\.[` + jsWS + `]`)
)

// esc is prosemirror-markdown's MarkdownSerializerState.esc.
func esc(str string, startOfLine bool) string {
	if !strings.ContainsAny(str, "`*\\~[]_") {
		if !startOfLine || str == "" {
			return str
		}
		if c := str[0]; c != '+' && c != '-' && c != '>' && c != '#' && (c < '0' || c > '9') && !isSpaceTab(c) && c < 0x80 {
			return str
		}
	}
	var b strings.Builder
	b.Grow(len(str) + 4)
	for i := 0; i < len(str); i++ {
		c := str[i]
		switch c {
		case '`', '*', '\\', '~', '[', ']':
			b.WriteByte('\\')
		case '_':
			if !(i > 0 && i+1 < len(str) && isWordByte(str[i-1]) && isWordByte(str[i+1])) {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	out := b.String()
	if startOfLine {
		if strings.HasPrefix(out, "+ ") || strings.HasPrefix(out, "-") || strings.HasPrefix(out, "*") || strings.HasPrefix(out, ">") {
			out = `\` + out
		}
		out = escHashRE.ReplaceAllString(out, `$1\$2$3`)
		out = escNumRE.ReplaceAllString(out, `$1\. `)
	}
	return out
}
