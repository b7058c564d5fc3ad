package pmdoc

import (
	"strings"
	"unicode/utf8"
)

// The upstream converter runs in JavaScript; these helpers reproduce the few
// JS string semantics its output depends on (editor-schema.md §7).

// isJSSpace reports whether r is in JS regexp \s (and String.prototype.trim).
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// jsTrim is String.prototype.trim.
func jsTrim(s string) string {
	return strings.TrimFunc(s, isJSSpace)
}

// jsTrimRight removes trailing JS whitespace (/\s+$/).
func jsTrimRight(s string) string {
	return strings.TrimRightFunc(s, isJSSpace)
}

// asciiTrim is markdown-it's trim of paragraph and heading content: space,
// tab, LF and CR only.
func asciiTrim(s string) string {
	return strings.Trim(s, " \t\n\r")
}

// utf16Len is the length of s in UTF-16 code units (JS string length).
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		// Eight ASCII bytes at a time: most text is ASCII.
		if i+8 <= len(s) {
			w := s[i : i+8]
			if w[0]|w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] < utf8.RuneSelf {
				n += 8
				i += 8
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// isWordByte is JS regexp \w.
func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// isJSLineTerminator reports the characters JS "." does not match.
func isJSLineTerminator(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x2028 || r == 0x2029
}
