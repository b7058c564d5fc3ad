package pmdoc

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yuin/goldmark/util"
)

// Link destinations go through markdown-it's normalizeLink (mdurl parse,
// punycode of the host, mdurl encode) and validateLink, so hrefs in the
// document match upstream's byte for byte (editor-schema.md §3.1).

func validateLink(url string) bool {
	s := strings.ToLower(jsTrim(url))
	for _, p := range []string{"vbscript:", "javascript:", "file:", "data:"} {
		if strings.HasPrefix(s, p) {
			for _, ok := range []string{"data:image/gif;", "data:image/png;", "data:image/jpeg;", "data:image/webp;"} {
				if strings.HasPrefix(s, ok) {
					return true
				}
			}
			return false
		}
	}
	return true
}

func normalizeLink(url string) string {
	u := parseURL(url)
	if u.hostname != "" && (u.protocol == "" || isRecodeProto(u.protocol)) {
		if h, ok := punyToASCII(u.hostname); ok {
			u.hostname = h
		}
	}
	return mdEncode(u.format())
}

func normalizeLinkText(url string) string {
	u := parseURL(url)
	if u.hostname != "" && (u.protocol == "" || isRecodeProto(u.protocol)) {
		if h, ok := punyToUnicode(u.hostname); ok {
			u.hostname = h
		}
	}
	return mdDecode(u.format(), ";/?:@&=+$,#%")
}

func isRecodeProto(p string) bool {
	return p == "http:" || p == "https:" || p == "mailto:"
}

type mdURL struct {
	protocol, auth, port, hostname, hash, search, pathname string
	slashes                                                bool
}

func (u *mdURL) format() string {
	var b strings.Builder
	b.WriteString(u.protocol)
	if u.slashes {
		b.WriteString("//")
	}
	if u.auth != "" {
		b.WriteString(u.auth + "@")
	}
	if strings.Contains(u.hostname, ":") {
		b.WriteString("[" + u.hostname + "]")
	} else {
		b.WriteString(u.hostname)
	}
	if u.port != "" {
		b.WriteString(":" + u.port)
	}
	b.WriteString(u.pathname)
	b.WriteString(u.search)
	b.WriteString(u.hash)
	return b.String()
}

func isProtoByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-'
}

func isHostPartByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '_' || c == '-'
}

// parseURL is mdurl.parse(url, true) (a trimmed-down Node url.parse).
func parseURL(url string) *mdURL {
	u := &mdURL{}
	rest := jsTrim(url)
	proto := ""
	i := 0
	for i < len(rest) && isProtoByte(rest[i]) {
		i++
	}
	if i > 0 && i < len(rest) && rest[i] == ':' {
		proto = rest[:i+1]
		u.protocol = proto
		rest = rest[i+1:]
	}
	// hostlessProtocol / slashedProtocol are looked up with the original case.
	hostless := proto == "javascript:"
	slashed := map[string]bool{"http:": true, "https:": true, "ftp:": true, "gopher:": true, "file:": true}
	slashes := strings.HasPrefix(rest, "//")
	if slashes && !(proto != "" && hostless) {
		rest = rest[2:]
		u.slashes = true
	}
	if !hostless && (slashes || (proto != "" && !slashed[proto])) {
		hostEnd := -1
		for _, c := range []string{"/", "?", "#"} {
			if h := strings.Index(rest, c); h != -1 && (hostEnd == -1 || h < hostEnd) {
				hostEnd = h
			}
		}
		var at int
		if hostEnd == -1 {
			at = strings.LastIndex(rest, "@")
		} else {
			at = strings.LastIndex(rest[:min(len(rest), hostEnd+1)], "@")
		}
		if at != -1 {
			u.auth = rest[:at]
			rest = rest[at+1:]
		}
		hostEnd = -1
		for i := 0; i < len(rest); i++ {
			if strings.IndexByte("%/?;#'{}|\\^`<>\" \r\n\t", rest[i]) >= 0 {
				hostEnd = i
				break
			}
		}
		if hostEnd == -1 {
			hostEnd = len(rest)
		}
		if hostEnd > 0 && rest[hostEnd-1] == ':' {
			hostEnd--
		}
		host := rest[:hostEnd]
		rest = rest[hostEnd:]
		// parseHost
		if j := strings.LastIndexByte(host, ':'); j >= 0 && allDigits(host[j+1:]) {
			u.port = host[j+1:]
			host = host[:j]
		}
		u.hostname = host
		ipv6 := len(u.hostname) >= 2 && u.hostname[0] == '[' && u.hostname[len(u.hostname)-1] == ']'
		if !ipv6 {
			parts := strings.Split(u.hostname, ".")
			for i, part := range parts {
				if part == "" || validHostPart(part, false) {
					continue
				}
				if validHostPart(part, true) {
					continue
				}
				valid := append([]string{}, parts[:i]...)
				notHost := append([]string{}, parts[i+1:]...)
				k := 0
				for k < len(part) && k < 63 && isHostPartByte(part[k]) {
					k++
				}
				valid = append(valid, part[:k])
				notHost = append([]string{part[k:]}, notHost...)
				rest = strings.Join(notHost, ".") + rest
				u.hostname = strings.Join(valid, ".")
				break
			}
		}
		if utf16Len(u.hostname) > 255 {
			u.hostname = ""
		}
		if ipv6 {
			u.hostname = u.hostname[1 : len(u.hostname)-1]
		}
	}
	if h := strings.IndexByte(rest, '#'); h != -1 {
		u.hash = rest[h:]
		rest = rest[:h]
	}
	if q := strings.IndexByte(rest, '?'); q != -1 {
		u.search = rest[q:]
		rest = rest[:q]
	}
	u.pathname = rest
	return u
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validHostPart is /^[+a-z0-9A-Z_-]{0,63}$/, optionally with every non-ASCII
// UTF-16 unit counted as a valid 'x'.
func validHostPart(part string, nonASCIIOK bool) bool {
	n := 0
	for _, r := range part {
		if r < 0x80 {
			if !isHostPartByte(byte(r)) {
				return false
			}
			n++
			continue
		}
		if !nonASCIIOK {
			return false
		}
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n <= 63
}

const mdEncodeKeep = ";/?:@&=+$,-_.!~*'()#"

// mdEncode is mdurl.encode with its default exclusions and keepEscaped.
func mdEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteString(s[i : i+3])
			i += 3
			continue
		}
		if c < 0x80 {
			if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.IndexByte(mdEncodeKeep, c) >= 0 {
				b.WriteByte(c)
			} else {
				b.WriteString(pctByte(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("%EF%BF%BD")
			i++
			continue
		}
		for j := 0; j < size; j++ {
			b.WriteString(pctByte(s[i+j]))
		}
		i += size
	}
	return b.String()
}

func pctByte(c byte) string {
	const hex = "0123456789ABCDEF"
	return string([]byte{'%', hex[c>>4], hex[c&15]})
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// mdDecode is mdurl.decode: percent-decodes UTF-8 sequences except the
// excluded ASCII characters; malformed sequences become U+FFFD.
func mdDecode(s, exclude string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !(s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2])) {
			b.WriteByte(s[i])
			i++
			continue
		}
		// collect the run of %XX
		var bs []byte
		j := i
		for j+2 < len(s) && s[j] == '%' && isHex(s[j+1]) && isHex(s[j+2]) {
			v, _ := strconv.ParseUint(s[j+1:j+3], 16, 8)
			bs = append(bs, byte(v))
			j += 3
		}
		decodeRun(&b, bs, exclude)
		i = j
	}
	return b.String()
}

func decodeRun(b *strings.Builder, bs []byte, exclude string) {
	for i := 0; i < len(bs); {
		b1 := bs[i]
		l := len(bs)
		if b1 < 0x80 {
			if strings.IndexByte(exclude, b1) >= 0 {
				b.WriteString(pctByte(b1))
			} else {
				b.WriteByte(b1)
			}
			i++
			continue
		}
		if b1&0xE0 == 0xC0 && i+1 < l && bs[i+1]&0xC0 == 0x80 {
			chr := rune(b1)<<6&0x7C0 | rune(bs[i+1])&0x3F
			if chr < 0x80 {
				b.WriteString("\ufffd\ufffd")
			} else {
				b.WriteRune(chr)
			}
			i += 2
			continue
		}
		if b1&0xF0 == 0xE0 && i+2 < l && bs[i+1]&0xC0 == 0x80 && bs[i+2]&0xC0 == 0x80 {
			chr := rune(b1)<<12&0xF000 | rune(bs[i+1])<<6&0xFC0 | rune(bs[i+2])&0x3F
			if chr < 0x800 || chr >= 0xD800 && chr <= 0xDFFF {
				b.WriteString("\ufffd\ufffd\ufffd")
			} else {
				b.WriteRune(chr)
			}
			i += 3
			continue
		}
		if b1&0xF8 == 0xF0 && i+3 < l && bs[i+1]&0xC0 == 0x80 && bs[i+2]&0xC0 == 0x80 && bs[i+3]&0xC0 == 0x80 {
			chr := rune(b1)<<18&0x1C0000 | rune(bs[i+1])<<12&0x3F000 | rune(bs[i+2])<<6&0xFC0 | rune(bs[i+3])&0x3F
			if chr < 0x10000 || chr > 0x10FFFF {
				b.WriteString("\ufffd\ufffd\ufffd\ufffd")
			} else {
				b.WriteRune(chr)
			}
			i += 4
			continue
		}
		b.WriteString("\ufffd")
		i++
	}
}

// --- entities and backslash escapes

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

func validEntityCode(c int64) bool {
	switch {
	case c >= 0xD800 && c <= 0xDFFF, c >= 0xFDD0 && c <= 0xFDEF, c&0xFFFF == 0xFFFF, c&0xFFFF == 0xFFFE,
		c >= 0 && c <= 8, c == 0x0B, c >= 0x0E && c <= 0x1F, c >= 0x7F && c <= 0x9F, c > 0x10FFFF:
		return false
	}
	return true
}

// namedEntity decodes "name" (without & and ;) through the HTML5 table.
func namedEntity(name string) (string, bool) {
	e, ok := util.LookUpHTML5EntityByName(name)
	if !ok {
		return "", false
	}
	return string(e.Characters), true
}

// unescapeAll is markdown-it's unescapeAll for link destinations and titles:
// backslash escapes of ASCII punctuation and entities (invalid numeric
// references stay literal).
func unescapeAll(s string) string {
	if !strings.ContainsAny(s, "\\&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]) {
			b.WriteByte(s[i+1])
			i += 2
			continue
		}
		if c == '&' {
			if rep, n := matchEntityLoose(s[i:]); n > 0 {
				b.WriteString(rep)
				i += n
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// matchEntityLoose matches /&([a-z#][a-z0-9]{1,31});/i at the start of s.
func matchEntityLoose(s string) (string, int) {
	if len(s) < 4 || s[0] != '&' {
		return "", 0
	}
	c := s[1]
	if !(c == '#' || isAlpha(c)) {
		return "", 0
	}
	j := 2
	for j < len(s) && j-2 < 31 && isAlnum(s[j]) {
		j++
	}
	if j-2 < 1 || j >= len(s) || s[j] != ';' {
		return "", 0
	}
	name := s[1:j]
	whole := s[:j+1]
	if name[0] == '#' {
		digits := name[1:]
		hex := false
		if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
			hex = true
			digits = digits[1:]
		}
		okd := len(digits) >= 1 && len(digits) <= 8
		for k := 0; k < len(digits) && okd; k++ {
			if hex && !isHex(digits[k]) || !hex && (digits[k] < '0' || digits[k] > '9') {
				okd = false
			}
		}
		if okd {
			base := 10
			if hex {
				base = 16
			}
			code, _ := strconv.ParseInt(digits, base, 64)
			if validEntityCode(code) {
				return string(rune(code)), len(whole)
			}
		}
		return whole, len(whole)
	}
	if rep, ok := namedEntity(name); ok {
		return rep, len(whole)
	}
	return whole, len(whole)
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }

// normalizeReference is markdown-it's reference label normalization.
func normalizeReference(s string) string {
	s = jsTrim(s)
	var b strings.Builder
	inSpace := false
	for _, r := range s {
		if isJSSpace(r) {
			if !inSpace {
				b.WriteByte(' ')
			}
			inSpace = true
			continue
		}
		inSpace = false
		b.WriteRune(r)
	}
	return strings.ToUpper(strings.ToLower(b.String()))
}
