package lib0

import "unicode/utf8"

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

func firstUnit(r rune) uint16 {
	if r >= 0x10000 {
		return uint16(0xd800 + ((r - 0x10000) >> 10))
	}
	return uint16(r)
}

func secondUnit(r rune) uint16 {
	if r >= 0x10000 {
		return uint16(0xdc00 + ((r - 0x10000) & 0x3ff))
	}
	return 0
}

// SplitUTF16 splits s at UTF-16 offset off. When off falls inside a
// surrogate pair both halves get U+FFFD in place of the broken pair, as Yjs
// does when it splits a string item.
func SplitUTF16(s []byte, off int) (left, right []byte, broken bool) {
	pos := 0
	i := 0
	for i < len(s) && pos < off {
		c := s[i]
		if c < 0x80 {
			i++
			pos++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r >= 0x10000 {
			if pos+1 == off {
				l := make([]byte, 0, i+3)
				l = append(l, s[:i]...)
				l = append(l, "\uFFFD"...)
				rr := make([]byte, 0, len(s)-i-size+3)
				rr = append(rr, "\uFFFD"...)
				rr = append(rr, s[i+size:]...)
				return l, rr, true
			}
			pos += 2
		} else {
			pos++
		}
		i += size
	}
	return s[:i:i], s[i:], false
}

// SliceUTF16From returns s from UTF-16 offset off, like JavaScript
// str.slice(off) followed by UTF-8 encoding (a lone low surrogate becomes U+FFFD).
func SliceUTF16From(s []byte, off int) []byte {
	_, r, broken := SplitUTF16(s, off)
	_ = broken
	return r
}

func utf8DecodeLastRune(s string) (rune, int) { return utf8.DecodeLastRuneInString(s) }
