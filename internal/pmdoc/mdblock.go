package pmdoc

import (
	"regexp"
	"strconv"
	"strings"
	"unsafe"
)

// The block structure follows markdown-it 14's block rules with the
// "commonmark" preset plus tables, the tokenizer upstream runs
// (editor-schema.md §3.1): the same line model (line starts and ends,
// indentation in columns with tabs to stops of four, and the per-line
// adjustments that blockquotes and list items make), the same rule order,
// the same terminator lists and the same nesting limit. Blocks are built
// into nodes as prosemirror-markdown would build them from the tokens; the
// inline content is tokenized once the block pass has collected every
// reference definition.

// Block rule families whose terminators a rule consults (markdown-it's
// "alt" chains).
type termChain uint8

const (
	termParagraph termChain = iota // also the reference chain: the same rules
	termBlockquote
	termList
)

type parentKind uint8

const (
	parentRoot parentKind = iota
	parentParagraph
	parentOther
)

// blockState is markdown-it's StateBlock: src split into lines, with
// bMarks/eMarks the byte offsets of each line's start and end (before the
// newline), tShift the bytes of indentation, sCount its width in columns
// and bsCount the columns a blockquote marker took before the line start.
type blockState struct {
	c                                       *converter
	src                                     string
	bMarks, eMarks, tShift, sCount, bsCount []int
	lineMax, line, blkIndent, listIndent    int
	level                                   int
	parent                                  parentKind
}

// init splits src into lines as StateBlock does, plus the sentinel line.
func (s *blockState) init(src string) {
	s.src = src
	n := strings.Count(src, "\n") + 2
	s.bMarks = growInts(s.bMarks, n)
	s.eMarks = growInts(s.eMarks, n)
	s.tShift = growInts(s.tShift, n)
	s.sCount = growInts(s.sCount, n)
	s.bsCount = growInts(s.bsCount, n)
	start, indent, offset, indentFound := 0, 0, 0, false
	for pos := 0; pos < len(src); pos++ {
		ch := src[pos]
		if !indentFound {
			if ch == ' ' || ch == '\t' {
				indent++
				if ch == '\t' {
					offset += 4 - offset%4
				} else {
					offset++
				}
				continue
			}
			indentFound = true
		}
		if ch == '\n' || pos == len(src)-1 {
			if ch != '\n' {
				pos++
			}
			s.pushLine(start, pos, indent, offset)
			indentFound, indent, offset = false, 0, 0
			start = pos + 1
		}
	}
	s.pushLine(len(src), len(src), 0, 0)
	s.lineMax = len(s.bMarks) - 1
	s.line, s.blkIndent, s.listIndent, s.level, s.parent = 0, 0, -1, 0, parentRoot
}

func growInts(a []int, n int) []int {
	if cap(a) < n {
		return make([]int, 0, n)
	}
	return a[:0]
}

func (s *blockState) pushLine(b, e, indent, offset int) {
	s.bMarks = append(s.bMarks, b)
	s.eMarks = append(s.eMarks, e)
	s.tShift = append(s.tShift, indent)
	s.sCount = append(s.sCount, offset)
	s.bsCount = append(s.bsCount, 0)
}

// at is src[pos], or 0 past the end (JavaScript's NaN matches no marker).
func (s *blockState) at(pos int) byte {
	if pos < len(s.src) {
		return s.src[pos]
	}
	return 0
}

func (s *blockState) isEmpty(line int) bool {
	return s.bMarks[line]+s.tShift[line] >= s.eMarks[line]
}

func (s *blockState) skipEmptyLines(from int) int {
	for ; from < s.lineMax; from++ {
		if s.bMarks[from]+s.tShift[from] < s.eMarks[from] {
			break
		}
	}
	return from
}

func (s *blockState) skipSpaces(pos int) int {
	for pos < len(s.src) && isSpaceTab(s.src[pos]) {
		pos++
	}
	return pos
}

func (s *blockState) skipSpacesBack(pos, min int) int {
	for pos > min {
		pos--
		if !isSpaceTab(s.src[pos]) {
			return pos + 1
		}
	}
	return pos
}

func (s *blockState) skipChars(pos int, c byte) int {
	for pos < len(s.src) && s.src[pos] == c {
		pos++
	}
	return pos
}

func (s *blockState) skipCharsBack(pos int, c byte, min int) int {
	for pos > min {
		pos--
		if s.src[pos] != c {
			return pos + 1
		}
	}
	return pos
}

// lineText is the line without its indentation.
func (s *blockState) lineText(line int) string {
	return s.src[s.bMarks[line]+s.tShift[line] : s.eMarks[line]]
}

// getLines returns lines [begin, end) with indent columns of indentation
// removed (a tab that straddles the cut leaves spaces), as StateBlock's
// getLines does.
func (s *blockState) getLines(begin, end, indent int, keepLastLF bool) string {
	if begin >= end {
		return ""
	}
	var b []byte
	for line := begin; line < end; line++ {
		lineIndent := 0
		lineStart := s.bMarks[line]
		first := lineStart
		last := s.eMarks[line]
		if line+1 < end || keepLastLF {
			last = min(last+1, len(s.src))
		}
		for first < last && lineIndent < indent {
			ch := s.src[first]
			if isSpaceTab(ch) {
				if ch == '\t' {
					lineIndent += 4 - (lineIndent+s.bsCount[line])%4
				} else {
					lineIndent++
				}
			} else if first-lineStart < s.tShift[line] {
				lineIndent++ // a marker the line model counts as indentation
			} else {
				break
			}
			first++
		}
		if begin+1 == end && lineIndent <= indent {
			return s.src[first:last] // one line: no copy
		}
		if b == nil {
			b = s.c.scratch[:0]
		}
		for ; lineIndent > indent; lineIndent-- {
			b = append(b, ' ')
		}
		b = append(b, s.src[first:last]...)
	}
	s.c.scratch = b
	return s.c.str(b)
}

// tokenize is ParserBlock.tokenize: the rules in order on each block start.
func (s *blockState) tokenize(startLine, endLine int) {
	line := startLine
	for line < endLine {
		line = s.skipEmptyLines(line)
		s.line = line
		if line >= endLine || s.sCount[line] < s.blkIndent {
			break
		}
		if s.level >= maxNesting {
			// markdown-it's nesting limit: the rest of the container is cut
			s.line = endLine
			break
		}
		_ = s.table(line, endLine, false) || s.code(line, endLine) || s.fence(line, endLine, false) ||
			s.blockquote(line, endLine, false) || s.hr(line, false) || s.list(line, endLine, false) ||
			s.reference(line, false) || s.htmlBlock(line, endLine, false) || s.heading(line, false) ||
			s.lheading(line, endLine) || s.paragraph(line, endLine)
		line = s.line
		if line < endLine && s.isEmpty(line) {
			line++
			s.line = line
		}
	}
}

// terminates reports whether a rule of chain starts a block at line.
func (s *blockState) terminates(chain termChain, line, endLine int) bool {
	switch chain {
	case termParagraph:
		return s.table(line, endLine, true) || s.fence(line, endLine, true) || s.blockquote(line, endLine, true) ||
			s.hr(line, true) || s.list(line, endLine, true) || s.htmlBlock(line, endLine, true) || s.heading(line, true)
	case termBlockquote:
		return s.fence(line, endLine, true) || s.blockquote(line, endLine, true) || s.hr(line, true) ||
			s.list(line, endLine, true) || s.htmlBlock(line, endLine, true) || s.heading(line, true)
	default:
		return s.fence(line, endLine, true) || s.blockquote(line, endLine, true) || s.hr(line, true)
	}
}

// --- rules ---

func (s *blockState) table(startLine, endLine int, silent bool) bool {
	if startLine+2 > endLine {
		return false
	}
	nextLine := startLine + 1
	if s.sCount[nextLine] < s.blkIndent || s.sCount[nextLine]-s.blkIndent >= 4 {
		return false
	}
	// The delimiter row: /^[-:|][-:|\s]*$/, not starting "- ".
	pos, max := s.bMarks[nextLine]+s.tShift[nextLine], s.eMarks[nextLine]
	if pos >= max {
		return false
	}
	first := s.src[pos]
	pos++
	if first != '|' && first != '-' && first != ':' {
		return false
	}
	if pos >= max {
		return false
	}
	second := s.src[pos]
	pos++
	if second != '|' && second != '-' && second != ':' && !isSpaceTab(second) {
		return false
	}
	if first == '-' && isSpaceTab(second) {
		return false
	}
	for ; pos < max; pos++ {
		if ch := s.src[pos]; ch != '|' && ch != '-' && ch != ':' && !isSpaceTab(ch) {
			return false
		}
	}
	aligns, ok := delimiterRow(s.lineText(nextLine))
	if !ok {
		return false
	}
	header := jsTrim(s.lineText(startLine))
	if strings.IndexByte(header, '|') < 0 || s.sCount[startLine]-s.blkIndent >= 4 {
		return false
	}
	cols := splitRow(header, s.c.cols[:0])
	s.c.cols = cols
	if len(cols) == 0 || len(cols) != len(aligns) {
		return false
	}
	if silent {
		return true
	}
	oldParent := s.parent
	s.parent = parentOther
	c := s.c
	tableFrom := len(c.stack)
	c.push(c.row(cols, aligns, "table_header"))
	filled := 0
	for nextLine = startLine + 2; nextLine < endLine; nextLine++ {
		if s.sCount[nextLine] < s.blkIndent || s.terminates(termBlockquote, nextLine, endLine) {
			break
		}
		text := jsTrim(s.lineText(nextLine))
		if text == "" || s.sCount[nextLine]-s.blkIndent >= 4 {
			break
		}
		cols = splitRow(text, c.cols[:0])
		c.cols = cols
		filled += len(aligns) - len(cols)
		if filled > 0x10000 { // markdown-it's cap on auto-completed cells
			break
		}
		c.push(c.row(cols, aligns, "table_cell"))
	}
	t := c.node("table", nil, nil)
	t.Content = c.pop(tableFrom)
	c.push(t)
	s.parent = oldParent
	s.line = nextLine
	return true
}

// delimiterRow splits a delimiter row (already checked to hold only
// "|-: \t") into alignments: every cell /^:?-+:?$/, empty cells only at the
// ends.
func delimiterRow(row string) ([]string, bool) {
	var buf [16]string
	aligns := buf[:0]
	n := strings.Count(row, "|") + 1
	for i := 0; i < n; i++ {
		cell := row
		if j := strings.IndexByte(row, '|'); j >= 0 {
			cell, row = row[:j], row[j+1:]
		}
		t := jsTrim(cell)
		if t == "" {
			if i == 0 || i == n-1 {
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
	return append([]string(nil), aligns...), true
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

// splitRow is markdown-it's escapedSplit (an unescaped "|" splits, "\|"
// keeps the pipe) plus the removal of empty outer cells, appending to out.
func splitRow(s string, out []string) []string {
	last := 0
	escaped := false
	var cur []byte // only when a cell holds "\|"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '|' {
			if !escaped {
				if cur != nil {
					out = append(out, string(append(cur, s[last:i]...)))
					cur = nil
				} else {
					out = append(out, s[last:i])
				}
				last = i + 1
			} else {
				cur = append(cur, s[last:i-1]...)
				last = i
			}
		}
		escaped = c == '\\'
	}
	if cur != nil {
		out = append(out, string(append(cur, s[last:]...)))
	} else {
		out = append(out, s[last:])
	}
	if len(out) > 0 && out[0] == "" {
		out = out[1:]
	}
	if len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// code is the indented code block.
func (s *blockState) code(startLine, endLine int) bool {
	if s.sCount[startLine]-s.blkIndent < 4 {
		return false
	}
	nextLine := startLine + 1
	last := nextLine
	for nextLine < endLine {
		if s.isEmpty(nextLine) {
			nextLine++
			continue
		}
		if s.sCount[nextLine]-s.blkIndent >= 4 {
			nextLine++
			last = nextLine
			continue
		}
		break
	}
	s.line = last
	// markdown-it appends "\n", prosemirror-markdown removes one: net none.
	s.c.push(s.c.codeBlock("", s.getLines(startLine, last, 4+s.blkIndent, false)))
	return true
}

func (s *blockState) fence(startLine, endLine int, silent bool) bool {
	pos, max := s.bMarks[startLine]+s.tShift[startLine], s.eMarks[startLine]
	if s.sCount[startLine]-s.blkIndent >= 4 || pos+3 > max {
		return false
	}
	marker := s.src[pos]
	if marker != '~' && marker != '`' {
		return false
	}
	mem := pos
	pos = s.skipChars(pos, marker)
	n := pos - mem
	if n < 3 {
		return false
	}
	params := s.src[pos:max]
	if marker == '`' && strings.IndexByte(params, '`') >= 0 {
		return false
	}
	if silent {
		return true
	}
	nextLine := startLine
	haveEnd := false
	for {
		nextLine++
		if nextLine >= endLine {
			break
		}
		pos = s.bMarks[nextLine] + s.tShift[nextLine]
		mem = pos
		max = s.eMarks[nextLine]
		if pos < max && s.sCount[nextLine] < s.blkIndent {
			break // a less indented line ends the fence in a list item
		}
		if s.at(pos) != marker || s.sCount[nextLine]-s.blkIndent >= 4 {
			continue
		}
		pos = s.skipChars(pos, marker)
		if pos-mem < n {
			continue
		}
		if s.skipSpaces(pos) < max {
			continue
		}
		haveEnd = true
		break
	}
	s.line = nextLine
	if haveEnd {
		s.line++
	}
	s.c.push(s.c.codeBlock(params, strings.TrimSuffix(s.getLines(startLine+1, nextLine, s.sCount[startLine], true), "\n")))
	return true
}

func (s *blockState) blockquote(startLine, endLine int, silent bool) bool {
	pos := s.bMarks[startLine] + s.tShift[startLine]
	oldLineMax := s.lineMax
	if s.sCount[startLine]-s.blkIndent >= 4 || s.at(pos) != '>' {
		return false
	}
	if silent {
		return true
	}
	// The lines of the quote get their marker removed from the line model;
	// the old values are restored afterwards.
	saved := s.c.saved[:0]
	oldParent := s.parent
	s.parent = parentOther
	lastLineEmpty := false
	nextLine := startLine
	for ; nextLine < endLine; nextLine++ {
		isOutdented := s.sCount[nextLine] < s.blkIndent
		pos = s.bMarks[nextLine] + s.tShift[nextLine]
		max := s.eMarks[nextLine]
		if pos >= max {
			break
		}
		if s.src[pos] == '>' && !isOutdented {
			pos++
			initial := s.sCount[nextLine] + 1
			spaceAfterMarker, adjustTab := false, false
			switch s.at(pos) {
			case ' ':
				pos++
				initial++
				spaceAfterMarker = true
			case '\t':
				spaceAfterMarker = true
				if (s.bsCount[nextLine]+initial)%4 == 3 {
					pos++
					initial++
				} else {
					adjustTab = true
				}
			}
			offset := initial
			saved = append(saved, s.lineModel(nextLine))
			s.bMarks[nextLine] = pos
			for pos < max {
				ch := s.src[pos]
				if !isSpaceTab(ch) {
					break
				}
				if ch == '\t' {
					adj := 0
					if adjustTab {
						adj = 1
					}
					offset += 4 - (offset+s.bsCount[nextLine]+adj)%4
				} else {
					offset++
				}
				pos++
			}
			lastLineEmpty = pos >= max
			bs := s.sCount[nextLine] + 1
			if spaceAfterMarker {
				bs++
			}
			s.bsCount[nextLine] = bs
			s.sCount[nextLine] = offset - initial
			s.tShift[nextLine] = pos - s.bMarks[nextLine]
			continue
		}
		if lastLineEmpty {
			break
		}
		if s.terminates(termBlockquote, nextLine, endLine) {
			s.lineMax = nextLine
			if s.blkIndent != 0 {
				saved = append(saved, s.lineModel(nextLine))
				s.sCount[nextLine] -= s.blkIndent
			}
			break
		}
		// a lazy continuation line
		saved = append(saved, s.lineModel(nextLine))
		s.sCount[nextLine] = -1
	}
	s.c.saved = saved[len(saved):]
	oldIndent := s.blkIndent
	s.blkIndent = 0
	c := s.c
	from := len(c.stack)
	s.level++
	s.tokenize(startLine, nextLine)
	s.level--
	q := c.node("blockquote", nil, c.pop(from))
	if len(q.Content) == 0 {
		q.Content = c.one(c.node("paragraph", nil, nil))
	}
	c.push(q)
	s.lineMax = oldLineMax
	s.parent = oldParent
	for i, m := range saved {
		s.bMarks[startLine+i], s.tShift[startLine+i], s.sCount[startLine+i], s.bsCount[startLine+i] = m.b, m.t, m.s, m.bs
	}
	s.blkIndent = oldIndent
	return true
}

// lineValues is one line of the line model, saved by a blockquote.
type lineValues struct{ b, t, s, bs int }

func (s *blockState) lineModel(line int) lineValues {
	return lineValues{s.bMarks[line], s.tShift[line], s.sCount[line], s.bsCount[line]}
}

func (s *blockState) hr(startLine int, silent bool) bool {
	max := s.eMarks[startLine]
	if s.sCount[startLine]-s.blkIndent >= 4 {
		return false
	}
	pos := s.bMarks[startLine] + s.tShift[startLine]
	marker := s.at(pos)
	pos++
	if marker != '*' && marker != '-' && marker != '_' {
		return false
	}
	cnt := 1
	for pos < max {
		ch := s.src[pos]
		pos++
		if ch != marker && !isSpaceTab(ch) {
			return false
		}
		if ch == marker {
			cnt++
		}
	}
	if cnt < 3 {
		return false
	}
	if silent {
		return true
	}
	s.line = startLine + 1
	s.c.push(s.c.node("horizontal_rule", nil, nil))
	return true
}

// bulletMarkerEnd returns the position after a bullet marker starting the
// line, or -1.
func (s *blockState) bulletMarkerEnd(line int) int {
	max := s.eMarks[line]
	pos := s.bMarks[line] + s.tShift[line]
	marker := s.at(pos)
	pos++
	if marker != '*' && marker != '-' && marker != '+' {
		return -1
	}
	if pos < max && !isSpaceTab(s.src[pos]) {
		return -1
	}
	return pos
}

// orderedMarkerEnd returns the position after an ordered list marker (1-9
// digits and "." or ")") starting the line, or -1.
func (s *blockState) orderedMarkerEnd(line int) int {
	start := s.bMarks[line] + s.tShift[line]
	max := s.eMarks[line]
	pos := start
	if pos+1 >= max {
		return -1
	}
	ch := s.src[pos]
	pos++
	if ch < '0' || ch > '9' {
		return -1
	}
	for {
		if pos >= max {
			return -1
		}
		ch = s.src[pos]
		pos++
		if ch >= '0' && ch <= '9' {
			if pos-start >= 10 {
				return -1
			}
			continue
		}
		if ch == ')' || ch == '.' {
			break
		}
		return -1
	}
	if pos < max && !isSpaceTab(s.src[pos]) {
		return -1
	}
	return pos
}

func (s *blockState) list(startLine, endLine int, silent bool) bool {
	nextLine := startLine
	if s.sCount[nextLine]-s.blkIndent >= 4 {
		return false
	}
	if s.listIndent >= 0 && s.sCount[nextLine]-s.listIndent >= 4 && s.sCount[nextLine] < s.blkIndent {
		return false
	}
	terminatingParagraph := silent && s.parent == parentParagraph && s.sCount[nextLine] >= s.blkIndent
	var ordered bool
	var markerValue, start int
	posAfterMarker := s.orderedMarkerEnd(nextLine)
	if posAfterMarker >= 0 {
		ordered = true
		start = s.bMarks[nextLine] + s.tShift[nextLine]
		markerValue, _ = strconv.Atoi(s.src[start : posAfterMarker-1])
		if terminatingParagraph && markerValue != 1 {
			return false
		}
	} else if posAfterMarker = s.bulletMarkerEnd(nextLine); posAfterMarker < 0 {
		return false
	}
	if terminatingParagraph && s.skipSpaces(posAfterMarker) >= s.eMarks[nextLine] {
		return false // an empty item cannot interrupt a paragraph
	}
	if silent {
		return true
	}
	markerChar := s.src[posAfterMarker-1]
	c := s.c
	listFrom := len(c.stack)
	s.level++ // the list
	oldParent := s.parent
	s.parent = parentOther
	for nextLine < endLine {
		pos := posAfterMarker
		max := s.eMarks[nextLine]
		initial := s.sCount[nextLine] + posAfterMarker - (s.bMarks[nextLine] + s.tShift[nextLine])
		offset := initial
		for pos < max {
			ch := s.src[pos]
			if ch == '\t' {
				offset += 4 - (offset+s.bsCount[nextLine])%4
			} else if ch == ' ' {
				offset++
			} else {
				break
			}
			pos++
		}
		contentStart := pos
		indentAfterMarker := offset - initial
		if contentStart >= max {
			indentAfterMarker = 1
		}
		if indentAfterMarker > 4 {
			indentAfterMarker = 1
		}
		indent := initial + indentAfterMarker

		oldTShift, oldSCount := s.tShift[nextLine], s.sCount[nextLine]
		oldListIndent := s.listIndent
		s.listIndent = s.blkIndent
		s.blkIndent = indent
		s.tShift[nextLine] = contentStart - s.bMarks[nextLine]
		s.sCount[nextLine] = offset
		itemFrom := len(c.stack)
		s.level++ // the item
		if contentStart >= max && s.isEmpty(nextLine+1) {
			s.line = min(s.line+2, endLine)
		} else {
			s.tokenize(nextLine, endLine)
		}
		s.level--
		c.push(c.listItem(c.pop(itemFrom)))
		s.blkIndent = s.listIndent
		s.listIndent = oldListIndent
		s.tShift[nextLine], s.sCount[nextLine] = oldTShift, oldSCount

		nextLine = s.line
		if nextLine >= endLine || s.sCount[nextLine] < s.blkIndent || s.sCount[nextLine]-s.blkIndent >= 4 {
			break
		}
		if s.terminates(termList, nextLine, endLine) {
			break
		}
		if ordered {
			if posAfterMarker = s.orderedMarkerEnd(nextLine); posAfterMarker < 0 {
				break
			}
			start = s.bMarks[nextLine] + s.tShift[nextLine]
		} else if posAfterMarker = s.bulletMarkerEnd(nextLine); posAfterMarker < 0 {
			break
		}
		if markerChar != s.src[posAfterMarker-1] {
			break
		}
	}
	s.level--
	var list *Node
	if ordered {
		list = c.node("ordered_list", orderAttrs(markerValue), nil)
	} else {
		list = c.node("bullet_list", nil, nil)
	}
	list.Content = c.pop(listFrom)
	c.push(list)
	s.line = nextLine
	s.parent = oldParent
	return true
}

func (s *blockState) reference(startLine int, silent bool) bool {
	pos, max := s.bMarks[startLine]+s.tShift[startLine], s.eMarks[startLine]
	nextLine := startLine + 1
	if s.sCount[startLine]-s.blkIndent >= 4 || s.at(pos) != '[' {
		return false
	}
	// str grows by whole lines while the definition continues; it is a
	// substring of src as long as the lines are contiguous (the usual case).
	str := s.src[pos:min(max+1, len(s.src))]
	strEnd := min(max+1, len(s.src)) // where str ends in src while contiguous
	contiguous := true
	var buf []byte
	addLine := func() bool {
		if nextLine >= s.lineMax || s.isEmpty(nextLine) {
			return false
		}
		cont := s.sCount[nextLine]-s.blkIndent > 3 || s.sCount[nextLine] < 0
		if !cont {
			oldParent := s.parent
			s.parent = parentOther
			term := s.terminates(termParagraph, nextLine, s.lineMax)
			s.parent = oldParent
			if term {
				return false
			}
		}
		lb, le := s.bMarks[nextLine]+s.tShift[nextLine], min(s.eMarks[nextLine]+1, len(s.src))
		if contiguous && lb == strEnd {
			str = s.src[pos:le]
			strEnd = le
		} else {
			if contiguous {
				buf = append(buf[:0], str...)
				contiguous = false
			}
			// buf only grows (bytes once written stay), so str can share
			// it: a long definition costs linear time.
			buf = append(buf, s.src[lb:le]...)
			str = unsafe.String(&buf[0], len(buf))
		}
		nextLine++
		return true
	}
	labelEnd := -1
	for p := 1; p < len(str); p++ {
		ch := str[p]
		if ch == '[' {
			return false
		} else if ch == ']' {
			labelEnd = p
			break
		} else if ch == '\n' {
			addLine()
		} else if ch == '\\' {
			p++
			if p < len(str) && str[p] == '\n' {
				addLine()
			}
		}
	}
	if labelEnd < 0 || labelEnd+1 >= len(str) || str[labelEnd+1] != ':' {
		return false
	}
	p := labelEnd + 2
	for ; p < len(str); p++ {
		ch := str[p]
		if ch == '\n' {
			addLine()
		} else if !isSpaceTab(ch) {
			break
		}
	}
	dest, destEnd, ok := parseLinkDestination(str, p, len(str))
	if !ok {
		return false
	}
	href := normalizeLink(dest)
	if !validateLink(href) {
		return false
	}
	p = destEnd
	destEndLine := nextLine
	startTitle := p
	for ; p < len(str); p++ {
		ch := str[p]
		if ch == '\n' {
			addLine()
		} else if !isSpaceTab(ch) {
			break
		}
	}
	tr := parseTitleFrom(str, p, len(str), nil)
	for tr.more {
		prevLen := len(str)
		if !addLine() {
			break
		}
		tr = parseTitleFrom(str, prevLen, len(str), &tr)
	}
	title := ""
	if p < len(str) && startTitle != p && tr.ok {
		title = tr.str
		p = tr.pos
	} else {
		p = destEnd
		nextLine = destEndLine
	}
	for p < len(str) && isSpaceTab(str[p]) {
		p++
	}
	if p < len(str) && str[p] != '\n' && title != "" {
		// garbage after the title: the title was not one
		title = ""
		p = destEnd
		nextLine = destEndLine
		for p < len(str) && isSpaceTab(str[p]) {
			p++
		}
	}
	if p < len(str) && str[p] != '\n' {
		return false
	}
	label := normalizeReference(str[1:labelEnd])
	if label == "" {
		return false
	}
	if silent {
		return true
	}
	c := s.c
	if c.refs == nil {
		c.refs = map[string]reference{}
	}
	if _, dup := c.refs[label]; !dup {
		c.refs[label] = reference{href: href, title: title}
	}
	s.line = nextLine
	return true
}

// titleState is parseLinkTitle's result, which a reference definition can
// continue on its next line.
type titleState struct {
	ok, more bool
	pos      int
	str      string
	buf      []byte // the title so far, while it continues
	marker   byte
}

func parseTitleFrom(str string, start, max int, prev *titleState) titleState {
	var st titleState
	pos := start
	if prev != nil {
		st.buf, st.marker = prev.buf, prev.marker
	} else {
		if pos >= max {
			return st
		}
		m := str[pos]
		if m != '"' && m != '\'' && m != '(' {
			return st
		}
		start++
		pos++
		if m == '(' {
			m = ')'
		}
		st.marker = m
	}
	for pos < max {
		c := str[pos]
		if c == st.marker {
			st.pos = pos + 1
			if st.buf == nil {
				st.str = unescapeAll(str[start:pos])
			} else {
				st.str = string(append(st.buf, unescapeAll(str[start:pos])...))
			}
			st.ok = true
			return st
		} else if c == '(' && st.marker == ')' {
			return st
		} else if c == '\\' && pos+1 < max {
			pos++
		}
		pos++
	}
	st.more = true
	st.buf = append(st.buf, unescapeAll(str[start:pos])...)
	return st
}

var (
	htmlBlockStarts = []*regexp.Regexp{
		regexp.MustCompile(`(?i)^<(?:script|pre|style|textarea)(?:[` + jsWS + `]|>|$)`),
		regexp.MustCompile(`^<!--`),
		regexp.MustCompile(`^<\?`),
		regexp.MustCompile(`^<![A-Z]`),
		regexp.MustCompile(`^<!\[CDATA\[`),
		regexp.MustCompile(`(?i)^</?(?:address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h1|h2|h3|h4|h5|h6|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul)(?:[` + jsWS + `]|/?>|$)`),
		regexp.MustCompile(`^(?:` + htmlOpenTag + `|` + htmlCloseTag + `)[` + jsWS + `]*$`),
	}
	htmlBlockEnds = []*regexp.Regexp{
		regexp.MustCompile(`(?i)</(?:script|pre|style|textarea)>`),
		regexp.MustCompile(`-->`),
		regexp.MustCompile(`\?>`),
		regexp.MustCompile(`>`),
		regexp.MustCompile(`\]\]>`),
	}
)

// htmlBlock recognises an HTML block, which the editor drops whole.
func (s *blockState) htmlBlock(startLine, endLine int, silent bool) bool {
	pos, max := s.bMarks[startLine]+s.tShift[startLine], s.eMarks[startLine]
	if s.sCount[startLine]-s.blkIndent >= 4 || s.at(pos) != '<' {
		return false
	}
	line := s.src[pos:max]
	kind := 0
	for i, re := range htmlBlockStarts {
		if re.MatchString(line) {
			kind = i + 1
			break
		}
	}
	if kind == 0 {
		return false
	}
	if silent {
		return kind != 7 // kind 7 cannot interrupt a paragraph
	}
	nextLine := startLine + 1
	endsOnBlank := kind >= 6
	ends := func(text string) bool {
		if endsOnBlank {
			return text == ""
		}
		return htmlBlockEnds[kind-1].MatchString(text)
	}
	if !ends(line) {
		for ; nextLine < endLine; nextLine++ {
			if s.sCount[nextLine] < s.blkIndent && (endsOnBlank || !s.isEmpty(nextLine)) {
				break
			}
			text := s.lineText(nextLine)
			if ends(text) {
				if text != "" {
					nextLine++
				}
				break
			}
		}
	}
	s.line = nextLine
	return true
}

func (s *blockState) heading(startLine int, silent bool) bool {
	pos, max := s.bMarks[startLine]+s.tShift[startLine], s.eMarks[startLine]
	if s.sCount[startLine]-s.blkIndent >= 4 {
		return false
	}
	if s.at(pos) != '#' || pos >= max {
		return false
	}
	level := 1
	pos++
	ch := s.at(pos)
	for ch == '#' && pos < max && level <= 6 {
		level++
		pos++
		ch = s.at(pos)
	}
	if level > 6 || (pos < max && !isSpaceTab(ch)) {
		return false
	}
	if silent {
		return true
	}
	max = s.skipSpacesBack(max, pos)
	if tmp := s.skipCharsBack(max, '#', pos); tmp > pos && isSpaceTab(s.src[tmp-1]) {
		max = tmp
	}
	s.line = startLine + 1
	c := s.c
	c.push(c.textblock("heading", headingAttrs[level], asciiTrim(s.src[pos:max])))
	return true
}

func (s *blockState) lheading(startLine, endLine int) bool {
	if s.sCount[startLine]-s.blkIndent >= 4 {
		return false
	}
	oldParent := s.parent
	s.parent = parentParagraph
	level := 0
	nextLine := startLine + 1
	for ; nextLine < endLine && !s.isEmpty(nextLine); nextLine++ {
		if s.sCount[nextLine]-s.blkIndent > 3 {
			continue
		}
		if s.sCount[nextLine] >= s.blkIndent {
			pos, max := s.bMarks[nextLine]+s.tShift[nextLine], s.eMarks[nextLine]
			if pos < max {
				if marker := s.src[pos]; marker == '-' || marker == '=' {
					pos = s.skipSpaces(s.skipChars(pos, marker))
					if pos >= max {
						level = 2
						if marker == '=' {
							level = 1
						}
						break
					}
				}
			}
		}
		if s.sCount[nextLine] < 0 {
			continue
		}
		if s.terminates(termParagraph, nextLine, endLine) {
			break
		}
	}
	s.parent = oldParent
	if level == 0 {
		return false
	}
	content := asciiTrim(s.getLines(startLine, nextLine, s.blkIndent, false))
	s.line = nextLine + 1
	s.c.push(s.c.textblock("heading", headingAttrs[level], content))
	return true
}

func (s *blockState) paragraph(startLine, endLine int) bool {
	oldParent := s.parent
	s.parent = parentParagraph
	nextLine := startLine + 1
	for ; nextLine < endLine && !s.isEmpty(nextLine); nextLine++ {
		if s.sCount[nextLine]-s.blkIndent > 3 || s.sCount[nextLine] < 0 {
			continue // lazy continuation
		}
		if s.terminates(termParagraph, nextLine, endLine) {
			break
		}
	}
	content := asciiTrim(s.getLines(startLine, nextLine, s.blkIndent, false))
	s.line = nextLine
	s.c.push(s.c.textblock("paragraph", nil, content))
	s.parent = oldParent
	return true
}
