package lib0

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrJSON reports text that JSON.parse would reject.
var ErrJSON = errors.New("lib0: invalid JSON")

// Stringify returns JSON.stringify(v). ok is false when JavaScript would
// return undefined (v is undefined). Bigints, which JavaScript refuses to
// serialize, are written as their decimal digits.
func Stringify(v any) (s string, ok bool) {
	if _, u := v.(Undefined); u {
		return "", false
	}
	var b []byte
	b = AppendJSON(b, v)
	return string(b), true
}

// AppendJSON appends JSON.stringify(v) to b; undefined is written as null.
func AppendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil, Undefined:
		return append(b, "null"...)
	case bool:
		if x {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return append(b, "null"...)
		}
		return AppendNumber(b, x)
	case BigInt:
		return strconv.AppendInt(b, int64(x), 10)
	case string:
		return AppendQuote(b, x)
	case *Object:
		b = append(b, '{')
		first := true
		for i := 0; i < x.Len(); i++ {
			if _, u := x.vals[i].(Undefined); u {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = AppendQuote(b, x.keys[i])
			b = append(b, ':')
			b = AppendJSON(b, x.vals[i])
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSON(b, e)
		}
		return append(b, ']')
	case []byte:
		b = append(b, '{')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, '"', ':')
			b = strconv.AppendInt(b, int64(e), 10)
		}
		return append(b, '}')
	}
	n, err := Normalize(v)
	if err != nil {
		return append(b, "null"...)
	}
	return AppendJSON(b, n)
}

const hexDigits = "0123456789abcdef"

// AppendQuote appends a JSON string literal the way JSON.stringify writes it:
// no HTML escaping, U+2028/2029 and non-ASCII left as they are.
func AppendQuote(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendNumber appends the JavaScript Number::toString form of a finite f.
func AppendNumber(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0')
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(b, int64(f), 10) // exact, and also the shortest digits
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	// e looks like d[.ddd]e±xx
	mant := e
	exp := 0
	for i, c := range e {
		if c == 'e' {
			mant = e[:i]
			x, _ := strconv.Atoi(string(e[i+1:]))
			exp = x
			break
		}
	}
	digits := make([]byte, 0, 20)
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	k := len(digits)
	n := exp + 1
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		for i := 0; i < n-k; i++ {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0:
		b = append(b, '0', '.')
		for i := 0; i < -n; i++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	default:
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}

// NumberString returns String(f) for a JavaScript number.
func NumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return string(AppendNumber(nil, f))
}

// String returns JavaScript's String(v) for an Any value (used by Yjs's
// XML toString, which interpolates attribute values).
func String(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case Undefined:
		return "undefined"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return NumberString(x)
	case BigInt:
		return strconv.FormatInt(int64(x), 10)
	case string:
		return x
	case *Object:
		return "[object Object]"
	case []any:
		var sb strings.Builder
		for i, e := range x {
			if i > 0 {
				sb.WriteByte(',')
			}
			switch e.(type) {
			case nil, Undefined:
			default:
				sb.WriteString(String(e))
			}
		}
		return sb.String()
	case []byte:
		var sb strings.Builder
		for i, e := range x {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Itoa(int(e)))
		}
		return sb.String()
	}
	return ""
}

// Parse implements JSON.parse. Lone surrogate escapes become U+FFFD because
// Go strings hold UTF-8.
func Parse(s string) (any, error) {
	p := jsonParser{s: s}
	p.ws()
	v := p.value(0)
	if p.err != nil {
		return nil, p.err
	}
	p.ws()
	if p.i != len(p.s) {
		return nil, ErrJSON
	}
	return v, nil
}

type jsonParser struct {
	s   string
	i   int
	err error
}

func (p *jsonParser) fail() {
	if p.err == nil {
		p.err = ErrJSON
	}
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) any {
	if depth > MaxDepth {
		p.err = ErrTooDeep
		return nil
	}
	if p.i >= len(p.s) {
		p.fail()
		return nil
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		o := NewObject()
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return o
		}
		for p.err == nil {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				p.fail()
				return nil
			}
			k := p.str()
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				p.fail()
				return nil
			}
			p.i++
			p.ws()
			v := p.value(depth + 1)
			o.Set(k, v)
			p.ws()
			if p.i >= len(p.s) {
				p.fail()
				return nil
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == '}' {
				p.i++
				return o
			}
			p.fail()
		}
		return nil
	case c == '[':
		p.i++
		arr := []any{}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return arr
		}
		for p.err == nil {
			p.ws()
			arr = append(arr, p.value(depth+1))
			p.ws()
			if p.i >= len(p.s) {
				p.fail()
				return nil
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ']' {
				p.i++
				return arr
			}
			p.fail()
		}
		return nil
	case c == '"':
		return p.str()
	case c == 't':
		return p.lit("true", true)
	case c == 'f':
		return p.lit("false", false)
	case c == 'n':
		return p.lit("null", nil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.num()
	}
	p.fail()
	return nil
}

func (p *jsonParser) lit(word string, v any) any {
	if strings.HasPrefix(p.s[p.i:], word) {
		p.i += len(word)
		return v
	}
	p.fail()
	return nil
}

func (p *jsonParser) num() any {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.s) {
		p.fail()
		return nil
	}
	if p.s[p.i] == '0' {
		p.i++
	} else if p.s[p.i] >= '1' && p.s[p.i] <= '9' {
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
	} else {
		p.fail()
		return nil
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		d := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			p.fail()
			return nil
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		d := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			p.fail()
			return nil
		}
	}
	f, err := strconv.ParseFloat(p.s[start:p.i], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		p.fail()
		return nil
	}
	return f
}

func (p *jsonParser) str() string {
	p.i++ // opening quote
	start := p.i
	// fast path: no escapes
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	var b []byte
	b = append(b, p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b)
		case c < 0x20:
			p.fail()
			return ""
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				p.fail()
				return ""
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				u, ok := p.hex4()
				if !ok {
					p.fail()
					return ""
				}
				r := rune(u)
				if utf16.IsSurrogate(r) {
					if u < 0xdc00 && p.i+6 <= len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
						save := p.i
						p.i += 2
						u2, ok2 := p.hex4()
						if ok2 && u2 >= 0xdc00 && u2 <= 0xdfff {
							r = utf16.DecodeRune(r, rune(u2))
						} else {
							p.i = save
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				p.fail()
				return ""
			}
		default:
			b = append(b, c)
			p.i++
		}
	}
	p.fail()
	return ""
}

func (p *jsonParser) hex4() (uint16, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var u uint16
	for k := 0; k < 4; k++ {
		c := p.s[p.i+k]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		u = u<<4 | uint16(v)
	}
	p.i += 4
	return u, true
}
