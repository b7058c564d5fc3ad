package civicpress

import (
	"html"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text handling for search. Both databases must find the same records, so
// the tokens are defined here once: a token is a run of letters, numbers and
// private-use characters (what SQLite FTS5's unicode61 tokenizer keeps for
// the text records hold), folded to lower case with Latin diacritics removed
// (unicode61's remove_diacritics=1). The search index stores the text as
// these tokens, which FTS5 reads back unchanged; on PostgreSQL the tsvector
// is built from the same tokens by the application, so neither database's
// own parser ever splits differently. Queries are written with them too.

func isTokenRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
}

// foldRune case-folds r and strips the diacritic of a Latin letter that has one.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	r = simpleFold(r)
	if !unicode.Is(unicode.Latin, r) {
		return r
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Append(nil, buf[:n]...)
	base, size := utf8.DecodeRune(d)
	if size == len(d) || base >= utf8.RuneSelf && !unicode.Is(unicode.Latin, base) {
		return r
	}
	// One diacritic only: unicode61's remove_diacritics=1 keeps letters
	// with several (Vietnamese ệ), which remove_diacritics=2 would strip.
	m, sz := utf8.DecodeRune(d[size:])
	if size+sz != len(d) || !unicode.Is(unicode.Mn, m) {
		return r
	}
	return base
}

// simpleFold is Unicode simple case folding, as FTS5 folds: the lower case
// of the upper-case member of r's case orbit (final sigma folds to sigma,
// titlecase digraphs to lower case; a letter without an upper case, like
// dotless i, stays).
func simpleFold(r rune) rune {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if unicode.IsUpper(f) {
			return unicode.ToLower(f)
		}
	}
	return unicode.ToLower(r)
}

// eachToken calls fn with every token of s (folded) and its byte span in s.
// Search folds every record body it shows a snippet of, so the common case
// is kept cheap: an ASCII token is passed as a substring of s (lower-cased
// only when it holds an upper-case letter); other tokens are folded rune by
// rune.
func eachToken(s string, fn func(tok string, start, end int)) {
	tokensWhile(s, func(tok string, start, end int) bool { fn(tok, start, end); return true })
}

// tokensWhile is eachToken stopping as soon as fn returns false.
func tokensWhile(s string, fn func(tok string, start, end int) bool) {
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if !isASCIIToken(c) {
				i++
				continue
			}
		} else if r, size := utf8.DecodeRuneInString(s[i:]); !isTokenRune(r) {
			i += size
			continue
		}
		start, ascii, upper := i, true, false
		for i < len(s) {
			c := s[i]
			if c < utf8.RuneSelf {
				if !isASCIIToken(c) {
					break
				}
				upper = upper || 'A' <= c && c <= 'Z'
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if !isTokenRune(r) {
				break
			}
			ascii = false
			i += size
		}
		tok := s[start:i]
		switch {
		case !ascii:
			tok = foldText(tok)
		case upper:
			tok = strings.ToLower(tok)
		}
		if !fn(tok, start, i) {
			return
		}
	}
}

// isASCIIToken is isTokenRune for an ASCII byte.
func isASCIIToken(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// tokens returns the folded tokens of s.
func tokens(s string) []string {
	var out []string
	eachToken(s, func(t string, _, _ int) { out = append(out, t) })
	return out
}

// tokenText is s as its tokens separated by spaces: what the search index
// stores, so that FTS5's tokenizer, whose character classes come from
// Unicode 6.1 (it keeps emoji and letters assigned since as parts of words,
// and some combining marks), finds exactly these tokens.
func tokenText(s string) string { return strings.Join(tokens(s), " ") }

// foldText is s lower-cased without Latin diacritics (upstream's
// title_normalized), keeping everything else.
func foldText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

// queryTerm is a phrase of tokens; with prefix set its last token matches
// as a prefix (a bare word "bud" finds "budget").
type queryTerm struct {
	toks   []string
	prefix bool
}

// parsedQuery is an AND of groups, each an OR of terms.
type parsedQuery [][]queryTerm

// parseQuery reads upstream's query syntax: "quoted phrases", bare words
// (prefix matches), and OR between terms (OR or or). Terms not joined by OR
// are all required.
func parseQuery(q string) parsedQuery {
	type item struct {
		term queryTerm
		or   bool
	}
	var items []item
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			end := strings.IndexByte(q[i+1:], '"')
			var inner string
			if end < 0 {
				inner, i = q[i+1:], len(q)
			} else {
				inner, i = q[i+1:i+1+end], i+2+end
			}
			if toks := tokens(inner); len(toks) > 0 {
				items = append(items, item{term: queryTerm{toks: toks}})
			}
		default:
			j := i
			for j < len(q) && q[j] != ' ' && q[j] != '\t' && q[j] != '\n' && q[j] != '\r' && q[j] != '"' {
				j++
			}
			word := q[i:j]
			i = j
			if word == "OR" || word == "or" {
				items = append(items, item{or: true})
				continue
			}
			if toks := tokens(word); len(toks) > 0 {
				items = append(items, item{term: queryTerm{toks: toks, prefix: true}})
			}
		}
	}
	var out parsedQuery
	joinNext := false
	for _, it := range items {
		if it.or {
			joinNext = len(out) > 0
			continue
		}
		if joinNext {
			out[len(out)-1] = append(out[len(out)-1], it.term)
		} else {
			out = append(out, []queryTerm{it.term})
		}
		joinNext = false
	}
	return out
}

// fts5 renders the query as an FTS5 MATCH expression.
func (pq parsedQuery) fts5() string {
	groups := make([]string, len(pq))
	for i, g := range pq {
		terms := make([]string, len(g))
		for j, t := range g {
			terms[j] = `"` + strings.Join(t.toks, " ") + `"`
			if t.prefix {
				terms[j] += "*"
			}
		}
		groups[i] = "(" + strings.Join(terms, " OR ") + ")"
	}
	return strings.Join(groups, " AND ")
}

// fts5Title restricts the query to the title column.
func (pq parsedQuery) fts5Title() string { return "{title} : (" + pq.fts5() + ")" }

// tsquery renders the query as PostgreSQL tsquery text.
func (pq parsedQuery) tsquery() string {
	groups := make([]string, len(pq))
	for i, g := range pq {
		terms := make([]string, len(g))
		for j, t := range g {
			parts := make([]string, len(t.toks))
			for k, tok := range t.toks {
				parts[k] = "'" + tok + "'"
				if t.prefix && k == len(t.toks)-1 {
					parts[k] += ":*"
				}
			}
			terms[j] = "(" + strings.Join(parts, " <-> ") + ")"
		}
		groups[i] = "(" + strings.Join(terms, " | ") + ")"
	}
	return strings.Join(groups, " & ")
}

// matcher reports whether a document token is one the query looks for.
func (pq parsedQuery) matcher() func(tok string) bool {
	exact := map[string]bool{}
	var prefixes []string
	for _, g := range pq {
		for _, t := range g {
			for k, tok := range t.toks {
				if t.prefix && k == len(t.toks)-1 {
					prefixes = append(prefixes, tok)
				} else {
					exact[tok] = true
				}
			}
		}
	}
	return func(tok string) bool {
		if exact[tok] {
			return true
		}
		for _, p := range prefixes {
			if strings.HasPrefix(tok, p) {
				return true
			}
		}
		return false
	}
}

// pgMaxPos is PostgreSQL's largest tsvector position; pgMaxLexeme its
// longest lexeme (bytes) and pgMaxPositions the positions kept per lexeme.
const (
	pgMaxPos       = 16383
	pgMaxLexeme    = 2046
	pgMaxPositions = 255
)

// tsvectorText builds the PostgreSQL tsvector for a search entry: title
// tokens weighted A, tags B, body C, positions numbered across the three
// with a gap between them so that no phrase spans two fields (as in FTS5,
// where a phrase matches within one column).
func tsvectorText(title, tags, body string) string {
	type lex struct {
		pos []string
	}
	lexemes := map[string]*lex{}
	pos := 0
	add := func(s string, weight string) {
		eachToken(s, func(t string, _, _ int) {
			pos++
			if len(t) > pgMaxLexeme {
				return
			}
			p := min(pos, pgMaxPos)
			l := lexemes[t]
			if l == nil {
				l = &lex{}
				lexemes[t] = l
			}
			if len(l.pos) < pgMaxPositions {
				l.pos = append(l.pos, strconv.Itoa(p)+weight)
			}
		})
		pos += 10
	}
	add(title, "A")
	add(tags, "B")
	add(body, "C")
	keys := make([]string, 0, len(lexemes))
	for k := range lexemes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('\'')
		b.WriteString(k)
		b.WriteString("':")
		b.WriteString(strings.Join(slices.Compact(lexemes[k].pos), ","))
	}
	return b.String()
}

// highlight returns s HTML-escaped with the matching tokens wrapped in
// <mark>…</mark>.
func highlight(s string, match func(string) bool) string {
	var b strings.Builder
	last := 0
	eachToken(s, func(t string, start, end int) {
		if !match(t) {
			return
		}
		b.WriteString(html.EscapeString(s[last:start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(s[start:end]))
		b.WriteString("</mark>")
		last = end
	})
	b.WriteString(html.EscapeString(s[last:]))
	return b.String()
}

// snippetTokens is the length of a snippet window, in tokens.
const snippetTokens = 32

// snippet returns the stretch of body with the most matching tokens (a
// window of snippetTokens tokens starting a few tokens before its first
// match), highlighted, with "..." where it was cut. A body without matches
// yields its beginning.
//
// Bodies can be whole bylaws of hundreds of kilobytes, once per hit of a
// results page, so nothing is kept per token: one pass finds the best
// window with a ring of the last snippetTokens tokens' hits, a second reads
// token positions only as far as the chosen stretch.
func snippet(body string, match func(string) bool) string {
	var ring [snippetTokens]bool
	n, inWindow, bestHits, firstHit := 0, 0, 0, 0
	eachToken(body, func(t string, _, _ int) {
		hit := match(t)
		slot := n % snippetTokens
		if n >= snippetTokens && ring[slot] {
			inWindow--
		}
		ring[slot] = hit
		if hit {
			inWindow++
		}
		n++
		// Tokens [max(0, n-snippetTokens), n) form the window; the first
		// window with the most hits wins.
		if inWindow > bestHits {
			bestHits = inWindow
			firstHit = max(0, n-snippetTokens)
			for !ring[firstHit%snippetTokens] {
				firstHit++
			}
		}
	})
	if n == 0 {
		return ""
	}
	first := 0
	if bestHits > 0 {
		first = max(0, firstHit-4)
	}
	last := min(first+snippetTokens, n) - 1
	var from, to, i int
	tokensWhile(body, func(_ string, start, end int) bool {
		if i == first {
			from = start
		}
		to = end
		i++
		return i <= last
	})
	if first == 0 {
		from = 0
	}
	out := highlight(body[from:to], match)
	if first > 0 {
		out = "..." + out
	}
	if last < n-1 {
		out += "..."
	}
	return out
}
