package pmdoc

import (
	"strings"
	"unicode/utf8"
)

// Punycode (RFC 3492) as punycode.js toASCII/toUnicode apply it to host
// names: label by label, no case mapping or validation.

const (
	pcBase = 36
	pcTMin = 1
	pcTMax = 26
	pcSkew = 38
	pcDamp = 700
	pcInit = 128
	pcBias = 72
)

func pcAdapt(delta, numPoints int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}

func pcDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

func punyEncode(label string) (string, bool) {
	// punycode.js works on code points from UTF-16; Go runes are the same.
	input := []rune(label)
	var out []byte
	for _, r := range input {
		if r < 0x80 {
			out = append(out, byte(r))
		}
	}
	basic := len(out)
	h := basic
	if basic > 0 {
		out = append(out, '-')
	}
	n, delta, bias := pcInit, 0, pcBias
	const maxInt = 0x7FFFFFFF
	for h < len(input) {
		m := maxInt
		for _, r := range input {
			if int(r) >= n && int(r) < m {
				m = int(r)
			}
		}
		if m-n > (maxInt-delta)/(h+1) {
			return "", false
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range input {
			if int(r) < n {
				delta++
				if delta > maxInt {
					return "", false
				}
			}
			if int(r) == n {
				q := delta
				for k := pcBase; ; k += pcBase {
					t := k - bias
					if t < pcTMin {
						t = pcTMin
					} else if t > pcTMax {
						t = pcTMax
					}
					if q < t {
						break
					}
					out = append(out, pcDigit(t+(q-t)%(pcBase-t)))
					q = (q - t) / (pcBase - t)
				}
				out = append(out, pcDigit(q))
				bias = pcAdapt(delta, h+1, h == basic)
				delta = 0
				h++
			}
		}
		delta++
		n++
	}
	return string(out), true
}

func punyDecode(s string) (string, bool) {
	var out []rune
	b := strings.LastIndexByte(s, '-')
	if b < 0 {
		b = 0
	}
	for i := 0; i < b; i++ {
		if s[i] >= 0x80 {
			return "", false
		}
		out = append(out, rune(s[i]))
	}
	n, bias, i := pcInit, pcBias, 0
	idx := 0
	if b > 0 {
		idx = b + 1
	}
	const maxInt = 0x7FFFFFFF
	for idx < len(s) {
		oldi, w := i, 1
		for k := pcBase; ; k += pcBase {
			if idx >= len(s) {
				return "", false
			}
			c := s[idx]
			idx++
			var d int
			switch {
			case c >= '0' && c <= '9':
				d = int(c-'0') + 26
			case c >= 'A' && c <= 'Z':
				d = int(c - 'A')
			case c >= 'a' && c <= 'z':
				d = int(c - 'a')
			default:
				d = pcBase
			}
			if d >= pcBase || d > (maxInt-i)/w {
				return "", false
			}
			i += d * w
			t := k - bias
			if t < pcTMin {
				t = pcTMin
			} else if t > pcTMax {
				t = pcTMax
			}
			if d < t {
				break
			}
			if w > maxInt/(pcBase-t) {
				return "", false
			}
			w *= pcBase - t
		}
		l := len(out) + 1
		bias = pcAdapt(i-oldi, l, oldi == 0)
		if i/l > maxInt-n {
			return "", false
		}
		n += i / l
		i %= l
		if n > utf8.MaxRune || n >= 0xD800 && n <= 0xDFFF {
			return "", false
		}
		out = append(out[:i], append([]rune{rune(n)}, out[i:]...)...)
		i++
	}
	return string(out), true
}

var domainSeparators = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".")

func mapDomain(domain string, f func(string) (string, bool)) (string, bool) {
	prefix := ""
	if parts := strings.Split(domain, "@"); len(parts) > 1 {
		prefix = parts[0] + "@"
		domain = parts[1]
	}
	labels := strings.Split(domainSeparators.Replace(domain), ".")
	for i, l := range labels {
		v, ok := f(l)
		if !ok {
			return "", false
		}
		labels[i] = v
	}
	return prefix + strings.Join(labels, "."), true
}

func punyToASCII(host string) (string, bool) {
	if isASCII(host) {
		return host, true
	}
	return mapDomain(host, func(l string) (string, bool) {
		for i := 0; i < len(l); i++ {
			if l[i] >= 0x80 {
				e, ok := punyEncode(l)
				return "xn--" + e, ok
			}
		}
		return l, true
	})
}

func punyToUnicode(host string) (string, bool) {
	return mapDomain(host, func(l string) (string, bool) {
		if strings.HasPrefix(l, "xn--") {
			return punyDecode(strings.ToLower(l[4:]))
		}
		return l, true
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
