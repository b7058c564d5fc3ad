package pmdoc

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Block structure comes from goldmark's CommonMark block parsers. Where
// markdown-it (upstream's tokenizer) behaves differently from goldmark's
// defaults, this file supplies its own pieces: paragraphs keep their raw
// lines, fenced code keeps the raw info string, GFM tables follow
// markdown-it's table rule, reference definitions are validated like
// markdown-it's, and the 20-level nesting limit is applied while converting.

var mdParser = parser.NewParser(
	parser.WithBlockParsers(
		util.Prioritized(&tableParser{}, 50),
		util.Prioritized(parser.NewSetextHeadingParser(), 100),
		util.Prioritized(parser.NewThematicBreakParser(), 200),
		util.Prioritized(&listParser{inner: parser.NewListParser()}, 300),
		util.Prioritized(&listItemParser{inner: parser.NewListItemParser()}, 400),
		util.Prioritized(parser.NewCodeBlockParser(), 500),
		util.Prioritized(parser.NewATXHeadingParser(), 600),
		util.Prioritized(&fenceParser{inner: parser.NewFencedCodeBlockParser()}, 700),
		util.Prioritized(&quoteParser{inner: parser.NewBlockquoteParser()}, 800),
		util.Prioritized(refBreaker{}, 950),
		util.Prioritized(htmlBlockParser{}, 900),
		util.Prioritized(&paragraphParser{}, 1000),
	),
	parser.WithParagraphTransformers(util.Prioritized(refTransformer{}, 100)),
)

var refsKey = parser.NewContextKey()

// --- paragraphs: goldmark's, minus the trimming (markdown-it trims the
// joined content with asciiTrim and strips line starts in the inline rule).

type paragraphParser struct{}

func (paragraphParser) Trigger() []byte { return nil }
func (paragraphParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, seg := reader.PeekLine()
	if util.IsBlank(line) {
		return nil, parser.NoChildren
	}
	n := ast.NewParagraph()
	n.Lines().Append(seg)
	reader.AdvanceToEOL()
	return n, parser.NoChildren
}
func (paragraphParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	line, seg := reader.PeekLine()
	if util.IsBlank(line) {
		return parser.Close
	}
	node.Lines().Append(seg)
	reader.AdvanceToEOL()
	return parser.Continue | parser.NoChildren
}
func (paragraphParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {
	if node.Lines().Len() == 0 && node.Parent() != nil {
		node.Parent().RemoveChild(node.Parent(), node)
	}
}
func (paragraphParser) CanInterruptParagraph() bool { return false }
func (paragraphParser) CanAcceptIndentedLine() bool { return false }

// --- fenced code: goldmark's parser plus the raw info string.

type fenceParser struct{ inner parser.BlockParser }

var rawInfoAttr = []byte("civic-raw-info")

func (f *fenceParser) Trigger() []byte { return f.inner.Trigger() }
func (f *fenceParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _ := reader.PeekLine()
	pos := pc.BlockOffset()
	raw := ""
	if pos >= 0 && pos < len(line) {
		c := line[pos]
		i := pos
		for i < len(line) && line[i] == c {
			i++
		}
		raw = strings.TrimRight(string(line[i:]), "\n")
	}
	n, st := f.inner.Open(parent, reader, pc)
	if n != nil {
		n.SetAttribute(rawInfoAttr, raw)
	}
	return n, st
}
func (f *fenceParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	return f.inner.Continue(node, reader, pc)
}
func (f *fenceParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {
	f.inner.Close(node, reader, pc)
}
func (f *fenceParser) CanInterruptParagraph() bool { return true }
func (f *fenceParser) CanAcceptIndentedLine() bool { return false }

// --- GFM tables, markdown-it's rule: the delimiter row turns the last line
// of the open paragraph into the header; body rows run until a blank line,
// a 4-space indent or the start of another block.

var kindTable = ast.NewNodeKind("CivicTable")

type tableBlock struct {
	ast.BaseBlock
	aligns []string
	header []string
	rows   [][]string
	filled int
	// pendingDelim: the delimiter row (already checked) is the next line.
	pendingDelim bool
}

func (t *tableBlock) Kind() ast.NodeKind            { return kindTable }
func (t *tableBlock) IsRaw() bool                   { return true }
func (t *tableBlock) Dump(source []byte, level int) { ast.DumpHelper(t, source, level, nil, nil) }

type tableParser struct{}

var allBytes = func() []byte {
	b := make([]byte, 0, 256)
	for i := 0; i < 256; i++ {
		if i != '\n' && i != ' ' && i != '\t' {
			b = append(b, byte(i))
		}
	}
	return b
}()

// Trigger: markdown-it tries its table rule before every other block rule,
// so a header line may be any line containing a pipe.
func (tableParser) Trigger() []byte { return allBytes }

func (tableParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	if parent.Kind() == ast.KindList {
		return nil, parser.NoChildren // only list items go into a list
	}
	line, seg := reader.PeekLine()
	pos := pc.BlockOffset()
	if pos < 0 || bytes.IndexByte(line, '|') < 0 {
		return nil, parser.NoChildren
	}
	if last, ok := pc.LastOpenedBlock().Node.(*ast.Paragraph); ok && last.Parent() != parent &&
		!startsBlock(strings.TrimRight(string(line[pos:]), "\n")) {
		// A lazy continuation line stays in its paragraph, unless it starts
		// a block that ends the container first (markdown-it's terminators).
		return nil, parser.NoChildren
	}
	htext := jsTrim(strings.TrimRight(string(line[pos:]), "\n"))
	if !strings.Contains(htext, "|") {
		return nil, parser.NoChildren
	}
	next, ok := nextLineIn(reader.Source(), seg.Stop, parent)
	if !ok {
		return nil, parser.NoChildren
	}
	w, npos := util.IndentWidth([]byte(next), 0)
	if w >= 4 || npos >= len(next) {
		return nil, parser.NoChildren
	}
	aligns, ok := delimiterRow(strings.TrimRight(next[npos:], "\n"))
	if !ok {
		return nil, parser.NoChildren
	}
	cols := splitRow(htext)
	if len(cols) == 0 || len(cols) != len(aligns) {
		return nil, parser.NoChildren
	}
	t := &tableBlock{aligns: aligns, pendingDelim: true}
	for _, c := range cols {
		t.header = append(t.header, jsTrim(c))
	}
	reader.AdvanceToEOL()
	return t, parser.NoChildren
}

// nextLineIn returns the line starting at off with the prefixes of the
// containers from the document down to parent removed, or false when that
// line does not continue them (a delimiter row may not be lazy).
func nextLineIn(src []byte, off int, parent ast.Node) (string, bool) {
	if off >= len(src) {
		return "", false
	}
	end := bytes.IndexByte(src[off:], '\n')
	if end < 0 {
		end = len(src) - off
	}
	line := string(src[off : off+end])
	var chain []ast.Node
	for p := parent; p != nil && p.Kind() != ast.KindDocument; p = p.Parent() {
		chain = append(chain, p)
	}
	col := 0
	for i := len(chain) - 1; i >= 0; i-- {
		switch n := chain[i].(type) {
		case *ast.Blockquote:
			var ok bool
			line, col, ok = stripQuoteMarker(line, col)
			if !ok {
				return "", false
			}
		case *ast.ListItem:
			var ok bool
			line, col, ok = stripColumns(line, col, n.Offset)
			if !ok {
				return "", false
			}
		}
	}
	return line, true
}

// stripColumns removes n columns of leading whitespace (tabs to stops of
// four from column col), splitting a tab into spaces when needed.
func stripColumns(line string, col, n int) (string, int, bool) {
	target := col + n
	i := 0
	for col < target {
		if i >= len(line) {
			return "", col, false
		}
		switch line[i] {
		case ' ':
			col++
			i++
		case '\t':
			next := col + 4 - col%4
			if next > target {
				return strings.Repeat(" ", next-target) + line[i+1:], target, true
			}
			col = next
			i++
		default:
			return "", col, false
		}
	}
	return line[i:], col, true
}

func stripQuoteMarker(line string, col int) (string, int, bool) {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		if line[i] == '\t' {
			col += 4 - col%4
		} else {
			col++
		}
		i++
	}
	if i >= len(line) || line[i] != '>' {
		return "", col, false
	}
	i++
	col++
	if i < len(line) && line[i] == ' ' {
		return line[i+1:], col + 1, true
	}
	if i < len(line) && line[i] == '\t' {
		next := col + 4 - col%4
		return strings.Repeat(" ", next-col-1) + line[i+1:], col + 1, true
	}
	return line[i:], col, true
}

// delimiterRow checks a GFM delimiter row and returns its alignments.
func delimiterRow(row string) ([]string, bool) {
	if len(row) < 2 {
		return nil, false
	}
	first, second := row[0], row[1]
	if first != '|' && first != '-' && first != ':' {
		return nil, false
	}
	if second != '|' && second != '-' && second != ':' && !isSpaceTab(second) {
		return nil, false
	}
	if first == '-' && isSpaceTab(second) {
		return nil, false
	}
	for i := 2; i < len(row); i++ {
		c := row[i]
		if c != '|' && c != '-' && c != ':' && !isSpaceTab(c) {
			return nil, false
		}
	}
	cols := strings.Split(row, "|")
	var aligns []string
	for i, c := range cols {
		t := jsTrim(c)
		if t == "" {
			if i == 0 || i == len(cols)-1 {
				continue
			}
			return nil, false
		}
		if !isDelimCell(t) {
			return nil, false
		}
		switch {
		case t[len(t)-1] == ':' && t[0] == ':':
			aligns = append(aligns, "center")
		case t[len(t)-1] == ':':
			aligns = append(aligns, "right")
		case t[0] == ':':
			aligns = append(aligns, "left")
		default:
			aligns = append(aligns, "")
		}
	}
	return aligns, true
}

// isDelimCell is /^:?-+:?$/.
func isDelimCell(t string) bool {
	t = strings.TrimPrefix(t, ":")
	t = strings.TrimSuffix(t, ":")
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] != '-' {
			return false
		}
	}
	return true
}

// splitRow is markdown-it's escapedSplit plus the removal of empty outer cells.
func splitRow(s string) []string {
	var out []string
	var cur strings.Builder
	last := 0
	escaped := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '|' {
			if !escaped {
				cur.WriteString(s[last:i])
				out = append(out, cur.String())
				cur.Reset()
				last = i + 1
			} else {
				cur.WriteString(s[last : i-1])
				last = i
			}
		}
		escaped = c == '\\'
	}
	cur.WriteString(s[last:])
	out = append(out, cur.String())
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	if len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func (tableParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	t := node.(*tableBlock)
	if t.pendingDelim {
		t.pendingDelim = false
		reader.AdvanceToEOL()
		return parser.Continue | parser.NoChildren
	}
	line, _ := reader.PeekLine()
	if util.IsBlank(line) {
		return parser.Close
	}
	w, pos := util.IndentWidth(line, reader.LineOffset())
	if w >= 4 {
		return parser.Close
	}
	rest := strings.TrimRight(string(line[pos:]), "\n")
	if startsBlock(rest) {
		return parser.Close
	}
	lt := jsTrim(rest)
	if lt == "" {
		return parser.Close
	}
	cols := splitRow(lt)
	t.filled += len(t.aligns) - len(cols)
	if t.filled > 0x10000 {
		return parser.Close
	}
	row := make([]string, len(t.aligns))
	for i := range row {
		if i < len(cols) {
			row[i] = jsTrim(cols[i])
		}
	}
	t.rows = append(t.rows, row)
	reader.AdvanceToEOL()
	return parser.Continue | parser.NoChildren
}
func (tableParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {}
func (tableParser) CanInterruptParagraph() bool                                { return true }
func (tableParser) CanAcceptIndentedLine() bool                                { return false }

var (
	hrRE       = regexp.MustCompile(`^(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	headingRE  = regexp.MustCompile(`^#{1,6}(?:[ \t]|$)`)
	bulletRE   = regexp.MustCompile(`^[*+-](?:[ \t]|$)`)
	orderedRE  = regexp.MustCompile(`^[0-9]{1,9}[.)](?:[ \t]|$)`)
	fenceRE    = regexp.MustCompile("^(?:```+[^`]*|~~~+.*)$")
	htmlStarts = []*regexp.Regexp{
		regexp.MustCompile(`(?i)^<(?:script|pre|style|textarea)(?:[` + jsWS + `]|>|$)`),
		regexp.MustCompile(`^<!--`),
		regexp.MustCompile(`^<\?`),
		regexp.MustCompile(`^<![A-Z]`),
		regexp.MustCompile(`^<!\[CDATA\[`),
		regexp.MustCompile(`(?i)^</?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:[` + jsWS + `]|/?>|$)`),
	}
)

// startsBlock reports whether a line (indent removed) starts a block that
// ends a table body in markdown-it (its "blockquote" terminator rules).
func startsBlock(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '>':
		return true
	case '#':
		return headingRE.MatchString(s)
	case '`', '~':
		return fenceRE.MatchString(s)
	case '<':
		for _, re := range htmlStarts {
			if re.MatchString(s) {
				return true
			}
		}
		return false
	}
	switch c := s[0]; {
	case c == '*' || c == '-' || c == '_' || c == '+':
		return hrRE.MatchString(strings.TrimRight(s, " \t")) || bulletRE.MatchString(s)
	case c >= '0' && c <= '9':
		return orderedRE.MatchString(s)
	}
	return false
}

// --- reference definitions, markdown-it's reference rule applied to the
// start of each closed paragraph.

type refTransformer struct{}

func (refTransformer) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	lines := node.Lines()
	if lines.Len() == 0 {
		return
	}
	src := reader.Source()
	// A definition starts with "[" after at most three spaces.
	first := lines.At(0)
	i := first.Start
	for i < first.Stop && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i >= first.Stop || src[i] != '[' {
		return
	}
	var buf bytes.Buffer
	ends := make([]int, lines.Len())
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		v := seg.Value(src)
		buf.Write(v)
		if len(v) == 0 || v[len(v)-1] != '\n' {
			buf.WriteByte('\n')
		}
		ends[i] = buf.Len()
	}
	str := buf.String()
	refs, _ := pc.Get(refsKey).(map[string]reference)
	consumed := 0
	for consumed < len(str) {
		n, label, ref, ok := parseReference(str[consumed:])
		if !ok {
			break
		}
		if refs == nil {
			refs = map[string]reference{}
			pc.Set(refsKey, refs)
		}
		if _, dup := refs[label]; !dup {
			refs[label] = ref
		}
		consumed += n
	}
	if consumed == 0 {
		return
	}
	k := 0
	for k < len(ends) && ends[k] <= consumed {
		k++
	}
	lines.SetSliced(k, lines.Len())
	if lines.Len() == 0 && node.Parent() != nil {
		node.Parent().RemoveChild(node.Parent(), node)
	}
}

// parseReference parses one definition at the start of str; n covers whole
// lines including the final newline.
func parseReference(str string) (n int, label string, ref reference, ok bool) {
	// leading indentation (< 4, guaranteed by paragraph structure)
	p := 0
	for p < len(str) && isSpaceTab(str[p]) {
		p++
	}
	if p >= len(str) || str[p] != '[' {
		return
	}
	base := p
	max := len(str)
	labelEnd := -1
	for p = base + 1; p < max; p++ {
		c := str[p]
		if c == '[' {
			return
		} else if c == ']' {
			labelEnd = p
			break
		} else if c == '\\' {
			p++
		}
	}
	if labelEnd < 0 || labelEnd+1 >= max || str[labelEnd+1] != ':' {
		return
	}
	p = labelEnd + 2
	for p < max && isSpaceOrNL(str[p]) {
		p++
	}
	dest, dend, dok := parseLinkDestination(str, p, max)
	if !dok {
		return
	}
	href := normalizeLink(dest)
	if !validateLink(href) {
		return
	}
	p = dend
	destEnd := p
	start := p
	for p < max && isSpaceOrNL(str[p]) {
		p++
	}
	title := ""
	if t, tend, tok := parseLinkTitle(str, p, max); p < max && start != p && tok {
		title = t
		p = tend
	} else {
		p = destEnd
	}
	for p < max && isSpaceTab(str[p]) {
		p++
	}
	if p < max && str[p] != '\n' && title != "" {
		title = ""
		p = destEnd
		for p < max && isSpaceTab(str[p]) {
			p++
		}
	}
	if p < max && str[p] != '\n' {
		return
	}
	label = normalizeReference(str[base+1 : labelEnd])
	if label == "" {
		return
	}
	if p < max {
		p++
	}
	return p, label, reference{href: href, title: title}, true
}

// --- blockquote: markdown-it continues a quote on a line whose ">" follows
// any indentation (only the first line is limited to three spaces).

type quoteParser struct{ inner parser.BlockParser }

func (q *quoteParser) Trigger() []byte { return q.inner.Trigger() }
func (q *quoteParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	return q.inner.Open(parent, reader, pc)
}
func (q *quoteParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	line, _ := reader.PeekLine()
	if w, pos := util.IndentWidth(line, reader.LineOffset()); w > 3 && pos < len(line) && line[pos] == '>' {
		reader.Advance(pos)
	}
	return q.inner.Continue(node, reader, pc)
}
func (q *quoteParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {
	q.inner.Close(node, reader, pc)
}
func (q *quoteParser) CanInterruptParagraph() bool { return true }
func (q *quoteParser) CanAcceptIndentedLine() bool { return false }

// --- refBreaker: in markdown-it a reference definition is its own block, so
// the line after it starts afresh even where that block could not interrupt
// a paragraph (indented code, a list not starting at 1, an empty item, an
// HTML block of kind 7). goldmark sees one paragraph; when that paragraph
// holds only definitions, this parser asks goldmark to close it first.

type refBreaker struct{}

type refBreakNode struct{ ast.BaseBlock }

var kindRefBreak = ast.NewNodeKind("CivicRefBreak")

func (n *refBreakNode) Kind() ast.NodeKind            { return kindRefBreak }
func (n *refBreakNode) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

var (
	orderedStartRE = regexp.MustCompile(`^([0-9]{1,9})[.)](?:[ \t]|$)`)
	emptyItemRE    = regexp.MustCompile(`^(?:[*+-]|[0-9]{1,9}[.)])[ \t]*$`)
	htmlType7RE    = regexp.MustCompile(`^(?:` + htmlOpenTag + `|` + htmlCloseTag + `)[` + jsWS + `]*$`)
)

func (refBreaker) Trigger() []byte { return nil }
func (refBreaker) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	para, ok := pc.LastOpenedBlock().Node.(*ast.Paragraph)
	if !ok || para.Parent() != parent {
		return nil, parser.NoChildren
	}
	// Cheap test first: a definition paragraph starts with "[".
	first := para.Lines().At(0)
	src := reader.Source()
	i := first.Start
	for i < first.Stop && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	if i >= first.Stop || src[i] != '[' {
		return nil, parser.NoChildren
	}
	line, _ := reader.PeekLine()
	w, pos := util.IndentWidth(line, reader.LineOffset())
	if pos >= len(line) || util.IsBlank(line) {
		return nil, parser.NoChildren
	}
	rest := strings.TrimRight(string(line[pos:]), "\n")
	fresh := w >= 4 || emptyItemRE.MatchString(rest) || htmlType7RE.MatchString(rest)
	if m := orderedStartRE.FindStringSubmatch(rest); m != nil && strings.TrimLeft(m[1], "0") != "1" {
		fresh = true
	}
	if !fresh || !onlyReferences(para, reader.Source()) {
		return nil, parser.NoChildren
	}
	return &refBreakNode{}, parser.NoChildren | parser.RequireParagraph
}
func (refBreaker) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	return parser.Close
}
func (refBreaker) Close(node ast.Node, reader text.Reader, pc parser.Context) {}
func (refBreaker) CanInterruptParagraph() bool                                { return true }
func (refBreaker) CanAcceptIndentedLine() bool                                { return true }

func onlyReferences(para *ast.Paragraph, src []byte) bool {
	var buf bytes.Buffer
	lines := para.Lines()
	for i := 0; i < lines.Len(); i++ {
		seg := lines.At(i)
		buf.Write(seg.Value(src))
	}
	str := buf.String()
	if !strings.HasSuffix(str, "\n") {
		str += "\n"
	}
	for len(str) > 0 {
		n, _, _, ok := parseReference(str)
		if !ok {
			return false
		}
		str = str[n:]
	}
	return true
}

// --- HTML blocks with markdown-it's start and end conditions (its
// whitespace is JavaScript's, which includes NBSP). Their content is dropped.

var kindHTMLBlock = ast.NewNodeKind("CivicHTMLBlock")

type htmlBlock struct {
	ast.BaseBlock
	kind   int // 1..7, CommonMark's HTML block kinds
	closed bool
}

func (n *htmlBlock) Kind() ast.NodeKind            { return kindHTMLBlock }
func (n *htmlBlock) IsRaw() bool                   { return true }
func (n *htmlBlock) Dump(source []byte, level int) { ast.DumpHelper(n, source, level, nil, nil) }

var (
	htmlType7Start = regexp.MustCompile(`^(?:` + htmlOpenTag + `|` + htmlCloseTag + `)[` + jsWS + `]*$`)
	htmlEnds       = []*regexp.Regexp{
		regexp.MustCompile(`(?i)</(?:script|pre|style|textarea)>`),
		regexp.MustCompile(`-->`),
		regexp.MustCompile(`\?>`),
		regexp.MustCompile(`>`),
		regexp.MustCompile(`\]\]>`),
	}
)

func htmlKind(line string) int {
	for i, re := range htmlStarts {
		if re.MatchString(line) {
			return i + 1
		}
	}
	if htmlType7Start.MatchString(line) {
		return 7
	}
	return 0
}

type htmlBlockParser struct{}

func (htmlBlockParser) Trigger() []byte { return []byte{'<'} }
func (htmlBlockParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _ := reader.PeekLine()
	pos := pc.BlockOffset()
	if pos < 0 || pos >= len(line) || line[pos] != '<' {
		return nil, parser.NoChildren
	}
	text := strings.TrimRight(string(line[pos:]), "\n")
	k := htmlKind(text)
	if k == 0 {
		return nil, parser.NoChildren
	}
	if _, ok := pc.LastOpenedBlock().Node.(*ast.Paragraph); k == 7 && ok {
		return nil, parser.NoChildren // kind 7 cannot interrupt a paragraph, lazily or not
	}
	n := &htmlBlock{kind: k}
	if k <= 5 && htmlEnds[k-1].MatchString(text) {
		n.closed = true
	}
	reader.AdvanceToEOL()
	return n, parser.NoChildren
}
func (htmlBlockParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	n := node.(*htmlBlock)
	if n.closed {
		return parser.Close
	}
	line, _ := reader.PeekLine()
	if n.kind >= 6 {
		if util.IsBlank(line) {
			return parser.Close
		}
		reader.AdvanceToEOL()
		return parser.Continue | parser.NoChildren
	}
	_, pos := util.IndentWidth(line, reader.LineOffset())
	text := strings.TrimRight(string(line[min(pos, len(line)):]), "\n")
	reader.AdvanceToEOL()
	if htmlEnds[n.kind-1].MatchString(text) {
		return parser.Close
	}
	return parser.Continue | parser.NoChildren
}
func (htmlBlockParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {}
func (htmlBlockParser) CanInterruptParagraph() bool                                { return true }
func (htmlBlockParser) CanAcceptIndentedLine() bool                                { return false }

// --- list items: goldmark measures a tab after the marker from the start
// of the container's content, so inside a quote or an item "* \tx" comes
// out as a paragraph where markdown-it makes it indented code. The wrapper
// lets goldmark open the item, then redoes the offset with markdown-it's
// columns: true columns outside quotes; inside a quote, columns counted
// from two (its "bsCount") at the innermost quote's content.

type listItemParser struct{ inner parser.BlockParser }

func (l *listItemParser) Trigger() []byte { return l.inner.Trigger() }

func (l *listItemParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	line, _ := reader.PeekLine()
	col0 := mdColumn(parent, reader.LineOffset())
	markerEnd, ok := listMarkerEnd(line)
	savedLine, savedPos := reader.Position()
	node, state := l.inner.Open(parent, reader, pc)
	item, isItem := node.(*ast.ListItem)
	if !isItem || !ok || col0%4 == 0 || state&parser.HasChildren == 0 {
		return node, state
	}
	rest := line[markerEnd:]
	if bytes.IndexByte(rest[:len(rest)-len(bytes.TrimLeft(rest, " \t"))], '\t') < 0 {
		return node, state // no tab after the marker: columns agree
	}
	w, _ := util.IndentWidth(rest, col0+markerEnd)
	offset := w
	if offset > 4 {
		offset = 1 // content starts one column after the marker; the rest is code
	}
	item.Offset = markerEnd + offset
	// Continue at the content with the whitespace markdown-it leaves (the
	// indentation of an indented code block) as padding.
	reader.SetPosition(savedLine, savedPos)
	ws := len(rest) - len(bytes.TrimLeft(rest, " \t"))
	reader.AdvanceAndSetPadding(markerEnd+ws, w-offset)
	return node, state
}

// mdColumn is the column markdown-it assigns to the start of the current
// line content (at true column col) inside parent.
func mdColumn(parent ast.Node, col int) int {
	extra := 0
	for p := parent; p != nil; p = p.Parent() {
		switch n := p.(type) {
		case *ast.ListItem:
			extra += n.Offset
		case *ast.Blockquote:
			return 2 + extra
		}
	}
	return col
}

// listMarkerEnd returns the index just after a list marker at the start of
// line (up to three spaces, then "-", "+", "*" or 1-9 digits and "." or ")").
func listMarkerEnd(line []byte) (int, bool) {
	i := 0
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if i > 3 || i >= len(line) {
		return 0, false
	}
	switch c := line[i]; {
	case c == '-' || c == '+' || c == '*':
		return i + 1, true
	case c >= '0' && c <= '9':
		j := i
		for j < len(line) && line[j] >= '0' && line[j] <= '9' {
			j++
		}
		if j-i > 9 || j >= len(line) || (line[j] != '.' && line[j] != ')') {
			return 0, false
		}
		return j + 1, true
	}
	return 0, false
}

func (l *listItemParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	return l.inner.Continue(node, reader, pc)
}
func (l *listItemParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {
	l.inner.Close(node, reader, pc)
}
func (l *listItemParser) CanInterruptParagraph() bool { return l.inner.CanInterruptParagraph() }
func (l *listItemParser) CanAcceptIndentedLine() bool { return l.inner.CanAcceptIndentedLine() }

// --- lists: two differences from goldmark's list parser are fixed here.
// goldmark remembers "an empty item was followed by a blank line" in one
// flag for the whole parse, so an empty item in a nested list also closes
// the enclosing list on the next line ("- a\n  *\n\n    x"); markdown-it
// (and CommonMark) close only the list whose item was empty. And
// markdown-it ends a list when an empty item is followed by two blank
// lines, where goldmark keeps the list going.

type listParser struct{ inner parser.BlockParser }

var listStateKey = parser.NewContextKey()

type listState struct {
	blanks int // blank lines since this list's last item, while it is empty
}

func (l *listParser) Trigger() []byte { return l.inner.Trigger() }
func (l *listParser) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	return l.inner.Open(parent, reader, pc)
}

func (l *listParser) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	line, _ := reader.PeekLine()
	last, _ := node.LastChild().(*ast.ListItem)
	lastEmpty := last != nil && last.ChildCount() == 0
	states, _ := pc.Get(listStateKey).(map[ast.Node]*listState)
	if util.IsBlank(line) {
		if lastEmpty {
			if states == nil {
				states = map[ast.Node]*listState{}
				pc.Set(listStateKey, states)
			}
			st := states[node]
			if st == nil {
				st = &listState{}
				states[node] = st
			}
			st.blanks++
		}
		return l.inner.Continue(node, reader, pc)
	}
	if states == nil {
		// No empty item has met a blank line: goldmark's flag is unset.
		return l.inner.Continue(node, reader, pc)
	}
	blanks := 0
	if st := states[node]; st != nil {
		blanks, st.blanks = st.blanks, 0
	}
	if lastEmpty && blanks >= 2 {
		return parser.Close
	}
	res := l.inner.Continue(node, reader, pc)
	if res&parser.Continue != 0 || last == nil || lastEmpty {
		return res
	}
	// With a non-empty last item at an indent that continues it, goldmark
	// closes the list only for its flag, which (this list's own being reset
	// when its last item opened) another list set.
	if indent, _ := util.IndentWidth(line, reader.LineOffset()); indent >= last.Offset {
		return parser.Continue | parser.HasChildren
	}
	return res
}
func (l *listParser) Close(node ast.Node, reader text.Reader, pc parser.Context) {
	l.inner.Close(node, reader, pc)
}
func (l *listParser) CanInterruptParagraph() bool { return l.inner.CanInterruptParagraph() }
func (l *listParser) CanAcceptIndentedLine() bool { return l.inner.CanAcceptIndentedLine() }
