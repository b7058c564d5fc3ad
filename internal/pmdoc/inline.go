package pmdoc

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The inline tokenizer reproduces markdown-it 14's inline rules with the
// "commonmark" preset (text, newline, escape, backticks, emphasis, link,
// image, autolink, html_inline, entity; then balance_pairs, emphasis and
// fragments_join). Token boundaries matter: upstream takes an image's alt
// from its first child token only (editor-schema.md §3.3).

const maxNesting = 20

type tokKind uint8

const (
	tText tokKind = iota
	tTextSpecial
	tSoftbreak
	tHardbreak
	tEmOpen
	tEmClose
	tStrongOpen
	tStrongClose
	tLinkOpen
	tLinkClose
	tCode
	tImage
	tHTML
	tCivicRef
)

type itok struct {
	kind     tokKind
	content  string
	href     string
	title    string
	children []itok
	ref      *Node // civicRef attributes
}

type delim struct {
	marker      byte
	length      int
	token       int
	end         int
	open, close bool
}

type delimList struct{ d []delim }

type reference struct{ href, title string }

type inlineState struct {
	src    string
	pos    int
	posMax int
	level  int
	// Pending text is almost always one run of the source: kept as
	// indices, copied into pbuf only if a run is ever not contiguous.
	pStart, pEnd int
	pbuf         []byte
	inBuf        bool
	tokens       []itok
	tokensMeta   []*delimList
	delims       *delimList
	prevDelims   []*delimList
	cache        map[int]int
	backticks    map[int]int
	btScanned    bool
	refs         map[string]reference
}

func newInlineState(src string, refs map[string]reference) *inlineState {
	return &inlineState{src: src, posMax: len(src), delims: &delimList{}, refs: refs}
}

func (s *inlineState) pushPending() {
	s.tokens = append(s.tokens, itok{kind: tText, content: s.pendingString()})
	s.tokensMeta = append(s.tokensMeta, nil)
	s.pStart, s.pEnd, s.inBuf = 0, 0, false
	s.pbuf = s.pbuf[:0]
}

func (s *inlineState) hasPending() bool { return s.inBuf || s.pEnd > s.pStart }

func (s *inlineState) pendingString() string {
	if s.inBuf {
		return string(s.pbuf)
	}
	return s.src[s.pStart:s.pEnd]
}

// addPending appends src[from:to] to the pending text.
func (s *inlineState) addPending(from, to int) {
	if !s.inBuf {
		if s.pEnd == s.pStart {
			s.pStart, s.pEnd = from, to
			return
		}
		if from == s.pEnd {
			s.pEnd = to
			return
		}
		s.pbuf = append(s.pbuf[:0], s.src[s.pStart:s.pEnd]...)
		s.inBuf = true
	}
	s.pbuf = append(s.pbuf, s.src[from:to]...)
}

// truncPending keeps the first n bytes of the pending text.
func (s *inlineState) truncPending(n int) {
	if s.inBuf {
		s.pbuf = s.pbuf[:n]
		return
	}
	s.pEnd = s.pStart + n
}

// push appends a token; nesting > 0 opens a delimiter scope, < 0 closes one.
func (s *inlineState) push(t itok, nesting int) {
	if s.hasPending() {
		s.pushPending()
	}
	var meta *delimList
	if nesting < 0 {
		s.level--
		s.delims = s.prevDelims[len(s.prevDelims)-1]
		s.prevDelims = s.prevDelims[:len(s.prevDelims)-1]
	}
	if nesting > 0 {
		s.level++
		s.prevDelims = append(s.prevDelims, s.delims)
		s.delims = &delimList{}
		meta = s.delims
	}
	s.tokens = append(s.tokens, t)
	s.tokensMeta = append(s.tokensMeta, meta)
}

type inlineRule func(s *inlineState, silent bool) bool

var inlineRules []inlineRule

func init() {
	inlineRules = []inlineRule{ruleText, ruleNewline, ruleEscape, ruleBackticks, ruleEmphasis, ruleLink, ruleImage, ruleAutolink, ruleHTMLInline, ruleEntity}
}

func (s *inlineState) tokenize() {
	end := s.posMax
	for s.pos < end {
		prev := s.pos
		ok := false
		if s.level < maxNesting {
			for _, r := range inlineRules {
				if r(s, false) {
					ok = true
					break
				}
			}
		}
		if ok {
			if s.pos <= prev {
				s.pos = prev + 1 // never loop; cannot happen with these rules
			}
			if s.pos >= end {
				break
			}
			continue
		}
		s.addPending(s.pos, s.pos+1)
		s.pos++
	}
	if s.hasPending() {
		s.pushPending()
	}
}

func (s *inlineState) skipToken() {
	pos := s.pos
	if s.cache == nil {
		s.cache = map[int]int{}
	}
	if v, ok := s.cache[pos]; ok {
		s.pos = v
		return
	}
	ok := false
	if s.level < maxNesting {
		for _, r := range inlineRules {
			s.level++
			ok = r(s, true)
			s.level--
			if ok {
				break
			}
		}
	} else {
		s.pos = s.posMax
	}
	if !ok {
		s.pos++
	}
	s.cache[pos] = s.pos
}

// parseInline runs tokenize and the post-processing rules.
func parseInline(src string, refs map[string]reference) []itok {
	return newInlineState(src, refs).run(true)
}

// reset prepares a used state for another source, keeping its buffers.
func (s *inlineState) reset(src string, refs map[string]reference) {
	s.src, s.pos, s.posMax, s.level = src, 0, len(src), 0
	s.pStart, s.pEnd, s.inBuf = 0, 0, false
	s.pbuf = s.pbuf[:0]
	s.tokens = s.tokens[:0]
	s.tokensMeta = s.tokensMeta[:0]
	if s.delims == nil {
		s.delims = &delimList{}
	}
	s.delims.d = s.delims.d[:0]
	s.prevDelims = s.prevDelims[:0]
	if len(s.cache) > 0 {
		clear(s.cache)
	}
	if len(s.backticks) > 0 {
		clear(s.backticks)
	}
	s.btScanned = false
	s.refs = refs
}

// run tokenizes; join merges adjacent text tokens (fragments_join), which
// only image alts need (the converter's builder merges text itself).
func (s *inlineState) run(join bool) []itok {
	s.tokenize()
	balancePairs(s.delims.d)
	for _, m := range s.tokensMeta {
		if m != nil {
			balancePairs(m.d)
		}
	}
	emphasisPost(s, s.delims.d)
	for _, m := range s.tokensMeta {
		if m != nil {
			emphasisPost(s, m.d)
		}
	}
	if !join {
		return s.tokens
	}
	return joinText(s.tokens, false)
}

// joinText merges adjacent text tokens (fragments_join); with special it
// first turns text_special into text (core text_join).
func joinText(toks []itok, special bool) []itok {
	out := toks[:0]
	for _, t := range toks {
		if special && t.kind == tTextSpecial {
			t.kind = tText
		}
		if t.kind == tText && len(out) > 0 && out[len(out)-1].kind == tText {
			out[len(out)-1].content += t.content
			continue
		}
		out = append(out, t)
	}
	return out
}

func isTerminator(c byte) bool {
	switch c {
	case '\n', '!', '#', '$', '%', '&', '*', '+', '-', ':', '<', '=', '>', '@', '[', '\\', ']', '^', '_', '`', '{', '}', '~':
		return true
	}
	return false
}

func ruleText(s *inlineState, silent bool) bool {
	pos := s.pos
	for pos < s.posMax && !isTerminator(s.src[pos]) {
		pos++
	}
	if pos == s.pos {
		return false
	}
	if !silent {
		s.addPending(s.pos, pos)
	}
	s.pos = pos
	return true
}

func isSpaceTab(c byte) bool { return c == ' ' || c == '\t' }

func ruleNewline(s *inlineState, silent bool) bool {
	pos := s.pos
	if s.src[pos] != '\n' {
		return false
	}
	if !silent {
		p := s.pendingString()
		if n := len(p); n > 0 && p[n-1] == ' ' {
			if n >= 2 && p[n-2] == ' ' {
				ws := n - 2
				for ws >= 1 && p[ws-1] == ' ' {
					ws--
				}
				s.truncPending(ws)
				s.push(itok{kind: tHardbreak}, 0)
			} else {
				s.truncPending(n - 1)
				s.push(itok{kind: tSoftbreak}, 0)
			}
		} else {
			s.push(itok{kind: tSoftbreak}, 0)
		}
	}
	pos++
	for pos < s.posMax && isSpaceTab(s.src[pos]) {
		pos++
	}
	s.pos = pos
	return true
}

func ruleEscape(s *inlineState, silent bool) bool {
	pos := s.pos
	if s.src[pos] != '\\' {
		return false
	}
	pos++
	if pos >= s.posMax {
		return false
	}
	if s.src[pos] == '\n' {
		if !silent {
			s.push(itok{kind: tHardbreak}, 0)
		}
		pos++
		for pos < s.posMax && isSpaceTab(s.src[pos]) {
			pos++
		}
		s.pos = pos
		return true
	}
	_, size := utf8.DecodeRuneInString(s.src[pos:])
	esc := s.src[pos : pos+size]
	if !silent {
		c := esc
		if !(size == 1 && isASCIIPunct(esc[0])) {
			c = "\\" + esc
		}
		s.push(itok{kind: tTextSpecial, content: c}, 0)
	}
	s.pos = pos + size
	return true
}

func ruleBackticks(s *inlineState, silent bool) bool {
	pos := s.pos
	if s.src[pos] != '`' {
		return false
	}
	start := pos
	pos++
	max := s.posMax
	for pos < max && s.src[pos] == '`' {
		pos++
	}
	marker := s.src[start:pos]
	openLen := len(marker)
	if s.backticks == nil {
		s.backticks = map[int]int{}
	}
	if s.btScanned && s.backticks[openLen] <= start {
		if !silent {
			s.addPending(start, pos)
		}
		s.pos += openLen
		return true
	}
	matchEnd := pos
	for {
		i := strings.IndexByte(s.src[matchEnd:], '`')
		if i < 0 {
			break
		}
		matchStart := matchEnd + i
		matchEnd = matchStart + 1
		for matchEnd < max && s.src[matchEnd] == '`' {
			matchEnd++
		}
		closeLen := matchEnd - matchStart
		if closeLen == openLen {
			if !silent {
				c := strings.ReplaceAll(s.src[pos:matchStart], "\n", " ")
				if len(c) >= 3 && c[0] == ' ' && c[len(c)-1] == ' ' && !strings.ContainsAny(c, "\r\u2028\u2029") {
					c = c[1 : len(c)-1]
				}
				s.push(itok{kind: tCode, content: c}, 0)
			}
			s.pos = matchEnd
			return true
		}
		s.backticks[closeLen] = matchStart
	}
	s.btScanned = true
	if !silent {
		s.addPending(start, pos)
	}
	s.pos += openLen
	return true
}

func isMDWhiteSpace(r rune) bool {
	if r >= 0x2000 && r <= 0x200A {
		return true
	}
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x202F, 0x205F, 0x3000:
		return true
	}
	return false
}

func isMDPunct(r rune) bool {
	if r < 0x80 {
		return isASCIIPunct(byte(r))
	}
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

func (s *inlineState) scanDelims(start int, canSplitWord bool) (canOpen, canClose bool, length int) {
	marker := s.src[start]
	last := rune(' ')
	if start > 0 {
		last, _ = utf8.DecodeLastRuneInString(s.src[:start])
	}
	pos := start
	for pos < s.posMax && s.src[pos] == marker {
		pos++
	}
	length = pos - start
	next := rune(' ')
	if pos < s.posMax {
		next, _ = utf8.DecodeRuneInString(s.src[pos:])
	}
	lastP, nextP := isMDPunct(last), isMDPunct(next)
	lastW, nextW := isMDWhiteSpace(last), isMDWhiteSpace(next)
	left := !nextW && (!nextP || lastW || lastP)
	right := !lastW && (!lastP || nextW || nextP)
	canOpen = left && (canSplitWord || !right || lastP)
	canClose = right && (canSplitWord || !left || nextP)
	return
}

func ruleEmphasis(s *inlineState, silent bool) bool {
	if silent {
		return false
	}
	m := s.src[s.pos]
	if m != '_' && m != '*' {
		return false
	}
	open, cl, n := s.scanDelims(s.pos, m == '*')
	for i := 0; i < n; i++ {
		s.push(itok{kind: tText, content: string(m)}, 0)
		s.delims.d = append(s.delims.d, delim{marker: m, length: n, token: len(s.tokens) - 1, end: -1, open: open, close: cl})
	}
	s.pos += n
	return true
}

func balancePairs(ds []delim) {
	if len(ds) == 0 {
		return
	}
	bottoms := map[byte]*[6]int{}
	header := 0
	lastTok := -2
	jumps := make([]int, 0, len(ds))
	for ci := range ds {
		closer := &ds[ci]
		jumps = append(jumps, 0)
		if ds[header].marker != closer.marker || lastTok != closer.token-1 {
			header = ci
		}
		lastTok = closer.token
		if !closer.close {
			continue
		}
		b, ok := bottoms[closer.marker]
		if !ok {
			b = &[6]int{-1, -1, -1, -1, -1, -1}
			bottoms[closer.marker] = b
		}
		idx := closer.length % 3
		if closer.open {
			idx += 3
		}
		minOpener := b[idx]
		oi := header - jumps[header] - 1
		newMin := oi
		for ; oi > minOpener; oi -= jumps[oi] + 1 {
			opener := &ds[oi]
			if opener.marker != closer.marker {
				continue
			}
			if opener.open && opener.end < 0 {
				odd := false
				if opener.close || closer.open {
					if (opener.length+closer.length)%3 == 0 && (opener.length%3 != 0 || closer.length%3 != 0) {
						odd = true
					}
				}
				if !odd {
					lastJump := 0
					if oi > 0 && !ds[oi-1].open {
						lastJump = jumps[oi-1] + 1
					}
					jumps[ci] = ci - oi + lastJump
					jumps[oi] = lastJump
					closer.open = false
					opener.end = ci
					opener.close = false
					newMin = -1
					lastTok = -2
					break
				}
			}
		}
		if newMin != -1 {
			idx := closer.length % 3
			if closer.open {
				idx += 3
			}
			b[idx] = newMin
		}
	}
}

func emphasisPost(s *inlineState, ds []delim) {
	for i := len(ds) - 1; i >= 0; i-- {
		sd := ds[i]
		if sd.end == -1 {
			continue
		}
		ed := ds[sd.end]
		strong := i > 0 && ds[i-1].end == sd.end+1 && ds[i-1].marker == sd.marker && ds[i-1].token == sd.token-1 && ds[sd.end+1].token == ed.token+1
		if strong {
			s.tokens[sd.token] = itok{kind: tStrongOpen}
			s.tokens[ed.token] = itok{kind: tStrongClose}
			s.tokens[ds[i-1].token].content = ""
			s.tokens[ds[sd.end+1].token].content = ""
			i--
		} else {
			s.tokens[sd.token] = itok{kind: tEmOpen}
			s.tokens[ed.token] = itok{kind: tEmClose}
		}
	}
}

// parseLinkLabel returns the end of the label opened at start, or -1.
func (s *inlineState) parseLinkLabel(start int, disableNested bool) int {
	max := s.posMax
	old := s.pos
	s.pos = start + 1
	level := 1
	found := false
	for s.pos < max {
		m := s.src[s.pos]
		if m == ']' {
			level--
			if level == 0 {
				found = true
				break
			}
		}
		prev := s.pos
		s.skipToken()
		if m == '[' {
			if prev == s.pos-1 {
				level++
			} else if disableNested {
				s.pos = old
				return -1
			}
		}
	}
	end := -1
	if found {
		end = s.pos
	}
	s.pos = old
	return end
}

func parseLinkDestination(str string, start, max int) (string, int, bool) {
	pos := start
	if pos < max && str[pos] == '<' {
		pos++
		for pos < max {
			c := str[pos]
			if c == '\n' || c == '<' {
				return "", 0, false
			}
			if c == '>' {
				return unescapeAll(str[start+1 : pos]), pos + 1, true
			}
			if c == '\\' && pos+1 < max {
				pos += 2
				continue
			}
			pos++
		}
		return "", 0, false
	}
	level := 0
	for pos < max {
		c := str[pos]
		if c == ' ' || c < 0x20 || c == 0x7F {
			break
		}
		if c == '\\' && pos+1 < max {
			if str[pos+1] == ' ' {
				break
			}
			pos += 2
			continue
		}
		if c == '(' {
			level++
			if level > 32 {
				return "", 0, false
			}
		}
		if c == ')' {
			if level == 0 {
				break
			}
			level--
		}
		pos++
	}
	if start == pos || level != 0 {
		return "", 0, false
	}
	return unescapeAll(str[start:pos]), pos, true
}

// parseLinkTitle parses a title at start; more reports an unterminated
// title that may continue on the next line (reference definitions).
func parseLinkTitle(str string, start, max int) (title string, end int, ok bool) {
	pos := start
	if pos >= max {
		return "", 0, false
	}
	marker := str[pos]
	if marker != '"' && marker != '\'' && marker != '(' {
		return "", 0, false
	}
	start++
	pos++
	if marker == '(' {
		marker = ')'
	}
	for pos < max {
		c := str[pos]
		if c == marker {
			return unescapeAll(str[start:pos]), pos + 1, true
		} else if c == '(' && marker == ')' {
			return "", 0, false
		} else if c == '\\' && pos+1 < max {
			pos++
		}
		pos++
	}
	return "", 0, false
}

func isSpaceOrNL(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

func ruleLink(s *inlineState, silent bool) bool {
	if s.src[s.pos] != '[' {
		return false
	}
	oldPos, max := s.pos, s.posMax
	labelStart := s.pos + 1
	labelEnd := s.parseLinkLabel(s.pos, true)
	if labelEnd < 0 {
		return false
	}
	href, title := "", ""
	pos := labelEnd + 1
	parseRef := true
	if pos < max && s.src[pos] == '(' {
		parseRef = false
		pos++
		for pos < max && isSpaceOrNL(s.src[pos]) {
			pos++
		}
		if pos >= max {
			return false
		}
		if dest, dend, ok := parseLinkDestination(s.src, pos, s.posMax); ok {
			href = normalizeLink(dest)
			if validateLink(href) {
				pos = dend
			} else {
				href = ""
			}
			start := pos
			for pos < max && isSpaceOrNL(s.src[pos]) {
				pos++
			}
			if t, tend, ok := parseLinkTitle(s.src, pos, s.posMax); pos < max && start != pos && ok {
				title = t
				pos = tend
				for pos < max && isSpaceOrNL(s.src[pos]) {
					pos++
				}
			}
		}
		if pos >= max || s.src[pos] != ')' {
			parseRef = true
		}
		pos++
	}
	if parseRef {
		if s.refs == nil {
			return false
		}
		label := ""
		if pos < max && s.src[pos] == '[' {
			start := pos + 1
			pos = s.parseLinkLabel(pos, false)
			if pos >= 0 {
				label = s.src[start:pos]
				pos++
			} else {
				pos = labelEnd + 1
			}
		} else {
			pos = labelEnd + 1
		}
		if label == "" {
			label = s.src[labelStart:labelEnd]
		}
		ref, ok := s.refs[normalizeReference(label)]
		if !ok {
			s.pos = oldPos
			return false
		}
		href, title = ref.href, ref.title
	}
	if !silent {
		s.pos = labelStart
		s.posMax = labelEnd
		s.push(itok{kind: tLinkOpen, href: href, title: title}, 1)
		s.tokenize()
		s.push(itok{kind: tLinkClose}, -1)
	}
	s.pos = pos
	s.posMax = max
	return true
}

func ruleImage(s *inlineState, silent bool) bool {
	if s.src[s.pos] != '!' || s.pos+1 >= len(s.src) || s.src[s.pos+1] != '[' {
		return false
	}
	oldPos, max := s.pos, s.posMax
	labelStart := s.pos + 2
	labelEnd := s.parseLinkLabel(s.pos+1, false)
	if labelEnd < 0 {
		return false
	}
	href, title := "", ""
	pos := labelEnd + 1
	if pos < max && s.src[pos] == '(' {
		pos++
		for pos < max && isSpaceOrNL(s.src[pos]) {
			pos++
		}
		if pos >= max {
			return false
		}
		if dest, dend, ok := parseLinkDestination(s.src, pos, s.posMax); ok {
			href = normalizeLink(dest)
			if validateLink(href) {
				pos = dend
			} else {
				href = ""
			}
		}
		start := pos
		for pos < max && isSpaceOrNL(s.src[pos]) {
			pos++
		}
		if t, tend, ok := parseLinkTitle(s.src, pos, s.posMax); pos < max && start != pos && ok {
			title = t
			pos = tend
			for pos < max && isSpaceOrNL(s.src[pos]) {
				pos++
			}
		} else {
			title = ""
		}
		if pos >= max || s.src[pos] != ')' {
			s.pos = oldPos
			return false
		}
		pos++
	} else {
		if s.refs == nil {
			return false
		}
		label := ""
		if pos < max && s.src[pos] == '[' {
			start := pos + 1
			pos = s.parseLinkLabel(pos, false)
			if pos >= 0 {
				label = s.src[start:pos]
				pos++
			} else {
				pos = labelEnd + 1
			}
		} else {
			pos = labelEnd + 1
		}
		if label == "" {
			label = s.src[labelStart:labelEnd]
		}
		ref, ok := s.refs[normalizeReference(label)]
		if !ok {
			s.pos = oldPos
			return false
		}
		href, title = ref.href, ref.title
	}
	if !silent {
		label := s.src[labelStart:labelEnd]
		children := parseInline(label, s.refs)
		// content is the raw label: an image that is the first child of
		// another image gives the outer alt this text.
		s.push(itok{kind: tImage, content: label, href: href, title: title, children: children}, 0)
	}
	s.pos = pos
	s.posMax = max
	return true
}

var (
	emailRE    = regexp.MustCompile(`^[a-zA-Z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)
	autolinkRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.\-]{1,31}:[^<>\x00-\x20]*$`)
)

func ruleAutolink(s *inlineState, silent bool) bool {
	pos := s.pos
	if s.src[pos] != '<' {
		return false
	}
	start := pos
	for {
		pos++
		if pos >= s.posMax {
			return false
		}
		c := s.src[pos]
		if c == '<' {
			return false
		}
		if c == '>' {
			break
		}
	}
	url := s.src[start+1 : pos]
	var full string
	switch {
	case autolinkRE.MatchString(url):
		full = normalizeLink(url)
	case emailRE.MatchString(url):
		full = normalizeLink("mailto:" + url)
	default:
		return false
	}
	if !validateLink(full) {
		return false
	}
	if !silent {
		s.push(itok{kind: tLinkOpen, href: full}, 1)
		s.push(itok{kind: tText, content: normalizeLinkText(url)}, 0)
		s.push(itok{kind: tLinkClose}, -1)
	}
	s.pos += len(url) + 2
	return true
}

// jsWS is JS regexp \s as a character class body.
const jsWS = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

var (
	htmlOpenTag  = `<[A-Za-z][A-Za-z0-9\-]*(?:[` + jsWS + `]+[a-zA-Z_:][a-zA-Z0-9:._-]*(?:[` + jsWS + `]*=[` + jsWS + `]*(?:[^"'=<>` + "`" + `\x00-\x20]+|'[^']*'|"[^"]*"))?)*[` + jsWS + `]*/?>`
	htmlCloseTag = `</[A-Za-z][A-Za-z0-9\-]*[` + jsWS + `]*>`
	htmlTagRE    = regexp.MustCompile(`^(?:` + htmlOpenTag + `|` + htmlCloseTag + `|<!---?>|<!--(?:[^-]|-[^-]|--[^>])*-->|<[?][\s\S]*?[?]>|<![A-Za-z][^>]*>|<!\[CDATA\[[\s\S]*?\]\]>)`)
)

func ruleHTMLInline(s *inlineState, silent bool) bool {
	pos := s.pos
	if s.src[pos] != '<' || pos+2 >= s.posMax {
		return false
	}
	c := s.src[pos+1]
	if c != '!' && c != '?' && c != '/' && !isAlpha(c) {
		return false
	}
	var m string
	if n := quickComment(s.src[pos:]); n > 0 {
		m = s.src[pos : pos+n]
	} else if m = htmlTagRE.FindString(s.src[pos:]); m == "" {
		return false
	}
	if !silent {
		s.push(itok{kind: tHTML, content: m}, 0)
	}
	s.pos += len(m)
	return true
}

// quickComment returns the length of the HTML comment starting s when a
// scan can tell it without htmlTagRE: the text between "<!--" and the first
// "-->" holds no "--", does not start with ">" or "-" and does not end with
// "-". Then the regexp's comment alternative matches exactly that far (each
// character is [^-] or -[^-], and nothing can extend past "-->"). It returns
// -1 when the regexp must decide (TestQuickCommentAgreesWithRegexp).
func quickComment(s string) int {
	if len(s) < 8 || s[:4] != "<!--" || s[4] == '>' || s[4] == '-' {
		return -1
	}
	e := strings.Index(s[4:], "-->")
	if e < 0 {
		return -1
	}
	body := s[4 : 4+e]
	if body[len(body)-1] == '-' || strings.Contains(body, "--") {
		return -1
	}
	return 4 + e + 3
}

func ruleEntity(s *inlineState, silent bool) bool {
	pos := s.pos
	if s.src[pos] != '&' || pos+1 >= s.posMax {
		return false
	}
	rest := s.src[pos:]
	if s.src[pos+1] == '#' {
		j := 2
		hex := false
		if j < len(rest) && (rest[j] == 'x' || rest[j] == 'X') {
			hex = true
			j++
		}
		d := j
		for j < len(rest) && (hex && isHex(rest[j]) || !hex && rest[j] >= '0' && rest[j] <= '9') {
			j++
		}
		n := j - d
		if n >= 1 && (hex && n <= 6 || !hex && n <= 7) && j < len(rest) && rest[j] == ';' {
			if !silent {
				var code int64
				for _, ch := range rest[d:j] {
					v := int64(0)
					switch {
					case ch >= '0' && ch <= '9':
						v = int64(ch - '0')
					case ch >= 'a' && ch <= 'f':
						v = int64(ch-'a') + 10
					default:
						v = int64(ch-'A') + 10
					}
					if hex {
						code = code*16 + v
					} else {
						code = code*10 + v
					}
				}
				c := "\ufffd"
				if validEntityCode(code) {
					c = string(rune(code))
				}
				s.push(itok{kind: tTextSpecial, content: c}, 0)
			}
			s.pos += j + 1
			return true
		}
		return false
	}
	if !isAlpha(rest[1]) {
		return false
	}
	j := 2
	for j < len(rest) && j-1 <= 32 && isAlnum(rest[j]) {
		j++
	}
	if j-1 < 2 || j-1 > 32 || j >= len(rest) || rest[j] != ';' {
		return false
	}
	dec, ok := namedEntity(rest[1:j])
	if !ok {
		return false
	}
	if !silent {
		s.push(itok{kind: tTextSpecial, content: dec}, 0)
	}
	s.pos += j + 1
	return true
}
