package recordfile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// Reading YAML the way upstream does. Upstream parses frontmatter with
// gray-matter, i.e. js-yaml 3's safeLoad (YAML 1.2 core schema plus
// timestamps and merge keys), so the same text must produce the same values
// here: go.yaml.in/yaml/v3 supplies the syntax tree and every plain scalar
// is resolved with js-yaml's rules (sexagesimal and underscored integers,
// 0b/0x/leading-zero octal, Date.UTC's two-digit years, …), not yaml/v3's.

// jsDate is a js-yaml timestamp before upstream's normalization turns it into
// an ISO string (keys see Date.prototype.toString instead).
type jsDate struct{ t time.Time }

// mergeKey marks the YAML merge key "<<".
type mergeKey struct{}

var (
	jsFloatRe = regexp.MustCompile(`^(?:[-+]?(?:0|[1-9][0-9_]*)(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?` +
		`|\.[0-9_]+(?:[eE][-+]?[0-9]+)?` +
		`|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*` +
		`|[-+]?\.(?:inf|Inf|INF)` +
		`|\.(?:nan|NaN|NAN))$`)
	sexaTailRe = regexp.MustCompile(`^(:[0-5]?[0-9])+$`)
)

// resolvePlain gives the value js-yaml's implicit resolvers produce for a
// plain (unquoted, untagged) scalar: nil, bool, float64, jsDate, mergeKey or
// the string itself.
func resolvePlain(s string) any {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	case "<<":
		return mergeKey{}
	}
	if c := s[0]; !(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.' {
		return s // every number and timestamp starts with one of these
	}
	if jsIntResolves(s) {
		return jsIntConstruct(s)
	}
	if jsFloatResolves(s) {
		return jsFloatConstruct(s)
	}
	if t, ok := jsTimestamp(s); ok {
		return jsDate{t}
	}
	return s
}

func isDec(c byte) bool { return c >= '0' && c <= '9' }
func isOct(c byte) bool { return c >= '0' && c <= '7' }
func isHex(c byte) bool {
	return isDec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func jsIntResolves(s string) bool {
	n := len(s)
	if n == 0 {
		return false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i++
	}
	at := func(i int) byte {
		if i < n {
			return s[i]
		}
		return 0
	}
	digits := func(start int, ok func(byte) bool) bool {
		has := false
		var last byte
		for j := start; j < n; j++ {
			last = s[j]
			if last == '_' {
				continue
			}
			if !ok(last) {
				return false
			}
			has = true
		}
		return has && last != '_'
	}
	if at(i) == '0' {
		if i+1 == n {
			return true
		}
		switch at(i + 1) {
		case 'b':
			return digits(i+2, func(c byte) bool { return c == '0' || c == '1' })
		case 'x':
			return digits(i+2, isHex)
		}
		return digits(i+1, isOct)
	}
	if at(i) == '_' {
		return false
	}
	has := false
	var last byte
	j := i
	for ; j < n; j++ {
		last = s[j]
		if last == '_' {
			continue
		}
		if last == ':' {
			break
		}
		if !isDec(last) {
			return false
		}
		has = true
	}
	if !has || last == '_' {
		return false
	}
	if last != ':' {
		return true
	}
	return sexaTailRe.MatchString(s[j:])
}

// bigToFloat rounds an exact integer to the nearest float64.
func bigToFloat(b *big.Int) float64 {
	f, _ := new(big.Float).SetInt(b).Float64()
	return f
}

func jsIntConstruct(s string) float64 {
	v := strings.ReplaceAll(s, "_", "")
	sign := 1.0
	if v[0] == '-' || v[0] == '+' {
		if v[0] == '-' {
			sign = -1
		}
		v = v[1:]
	}
	if v == "0" {
		return 0
	}
	parse := func(digits string, base int) float64 {
		b, ok := new(big.Int).SetString(digits, base)
		if !ok {
			return math.NaN()
		}
		return bigToFloat(b)
	}
	if v[0] == '0' {
		switch {
		case len(v) > 1 && v[1] == 'b':
			return sign * parse(v[2:], 2)
		case len(v) > 1 && v[1] == 'x':
			return sign * parse(v[2:], 16)
		}
		return sign * parse(v, 8)
	}
	if strings.Contains(v, ":") {
		parts := strings.Split(v, ":")
		value, base := 0.0, 1.0
		for i := len(parts) - 1; i >= 0; i-- {
			value += parse(parts[i], 10) * base
			base *= 60
		}
		return sign * value
	}
	return sign * parse(v, 10)
}

func jsFloatResolves(s string) bool {
	return jsFloatRe.MatchString(s) && s[len(s)-1] != '_'
}

// jsParseFloat is parseFloat for the strings the float pattern admits.
func jsParseFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		// parseFloat reads the longest valid prefix; the pattern guarantees
		// only forms like "1." or "" reach here.
		s = strings.TrimSuffix(s, ".")
		if s == "" {
			return math.NaN()
		}
		f, _ = strconv.ParseFloat(s, 64)
	}
	return f
}

func jsFloatConstruct(s string) float64 {
	v := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if v[0] == '-' {
		sign = -1
	}
	if v[0] == '-' || v[0] == '+' {
		v = v[1:]
	}
	switch {
	case v == ".inf":
		return sign * math.Inf(1)
	case v == ".nan":
		return math.NaN()
	case strings.Contains(v, ":"):
		parts := strings.Split(v, ":")
		value, base := 0.0, 1.0
		for i := len(parts) - 1; i >= 0; i-- {
			value += jsParseFloat(parts[i]) * base
			base *= 60
		}
		return sign * value
	}
	return sign * jsParseFloat(v)
}

// jsTimestamp applies js-yaml's timestamp type, including Date.UTC's
// mapping of years 0–99 to 1900–1999 and its overflow normalization. The
// accepted forms are js-yaml's two patterns:
//
//	YYYY-MM-DD
//	YYYY-M(M)-D(D)(T|t|[ \t]+)H(H):MM:SS(.fraction)?([ \t]*(Z|[+-]H(H)(:MM)?))?
func jsTimestamp(s string) (time.Time, bool) {
	i := 0
	digits := func(min, max int) (int, bool) {
		n, j := 0, 0
		for j < max && i < len(s) && isDec(s[i]) {
			n = n*10 + int(s[i]-'0')
			i++
			j++
		}
		return n, j >= min
	}
	lit := func(c byte) bool {
		if i < len(s) && s[i] == c {
			i++
			return true
		}
		return false
	}
	year, ok := digits(4, 4)
	if !ok || !lit('-') {
		return time.Time{}, false
	}
	mStart := i
	month, ok := digits(1, 2)
	mLen := i - mStart
	if !ok || !lit('-') {
		return time.Time{}, false
	}
	dStart := i
	day, ok := digits(1, 2)
	dLen := i - dStart
	if !ok {
		return time.Time{}, false
	}
	if year <= 99 {
		year += 1900
	}
	if i == len(s) {
		if mLen != 2 || dLen != 2 {
			return time.Time{}, false
		}
		return time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), true
	}
	switch {
	case lit('T') || lit('t'):
	case i < len(s) && (s[i] == ' ' || s[i] == '\t'):
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	default:
		return time.Time{}, false
	}
	hour, ok := digits(1, 2)
	if !ok || !lit(':') {
		return time.Time{}, false
	}
	minute, ok := digits(2, 2)
	if !ok || !lit(':') {
		return time.Time{}, false
	}
	second, ok := digits(2, 2)
	if !ok {
		return time.Time{}, false
	}
	ms := 0
	if lit('.') {
		for j := 0; i < len(s) && isDec(s[i]); j++ {
			if j < 3 {
				ms = ms*10 + int(s[i]-'0')
			}
			i++
			if i == len(s) || !isDec(s[i]) {
				for k := j + 1; k < 3; k++ {
					ms *= 10 // "5" is 500 ms
				}
			}
		}
	}
	var offset time.Duration
	if i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		switch {
		case lit('Z'):
		case i < len(s) && (s[i] == '+' || s[i] == '-'):
			neg := s[i] == '-'
			i++
			h, ok := digits(1, 2)
			if !ok {
				return time.Time{}, false
			}
			m := 0
			if lit(':') {
				if m, ok = digits(2, 2); !ok {
					return time.Time{}, false
				}
			}
			offset = time.Duration(h*60+m) * time.Minute
			if neg {
				offset = -offset
			}
		default:
			return time.Time{}, false
		}
		if i != len(s) {
			return time.Time{}, false
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, ms*1e6, time.UTC)
	return t.Add(-offset), true
}

// jsDateString is String(date) on a server running in UTC.
func jsDateString(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%s %s %02d %04d %02d:%02d:%02d GMT+0000 (Coordinated Universal Time)",
		t.Weekday().String()[:3], t.Month().String()[:3], t.Day(), t.Year(), t.Hour(), t.Minute(), t.Second())
}

// keyString is JavaScript's String(key) for a mapping key, as js-yaml
// stores every key as an object property name.
func keyString(v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case nil:
		return "null", nil
	case bool:
		if t {
			return "true", nil
		}
		return "false", nil
	case float64:
		return jsNumber(t), nil
	case jsDate:
		return jsDateString(t.t), nil
	case mergeKey:
		return "<<", nil
	case *Map:
		return "[object Object]", nil
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			switch e := e.(type) {
			case []any:
				return "", errors.New("nested arrays are not supported inside keys")
			case nil:
				parts[i] = ""
			default:
				s, err := keyString(e)
				if err != nil {
					return "", err
				}
				parts[i] = s
			}
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("unsupported key %T", v)
}

// maxNodes bounds alias expansion (a "billion laughs" document).
const maxNodes = 200000

type yamlReader struct {
	nodes   int
	restore func(string) string
}

// shieldBreaks hides what yaml/v3 rejects or treats as a line break but
// js-yaml reads as ordinary text, behind private-use stand-ins, and returns
// the function that puts it back: DEL, C1 controls (NEL among them),
// U+2028 and U+2029, which the yaml library writes raw, and a tab that
// starts the text of a block scalar line (libyaml refuses it before it has
// settled the block's indentation).
func shieldBreaks(src string) (string, func(string) string) {
	special := func(r rune) bool { return (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 }
	tabs := blockScalarTabs(src)
	if strings.IndexFunc(src, special) < 0 && len(tabs) == 0 {
		return src, func(s string) string { return s }
	}
	// a private-use block the text does not use
	base := rune(0xF0000)
	for ; base < 0x10FF00; base += 0x100 {
		b := base
		if strings.IndexFunc(src, func(r rune) bool { return r >= b && r < b+0x100 }) < 0 {
			break
		}
	}
	const tabSlot, lsSlot, psSlot = 0x42, 0x40, 0x41
	var b strings.Builder
	b.Grow(len(src) + 4*len(tabs))
	next := 0
	for i, r := range src {
		switch {
		case next < len(tabs) && tabs[next] == i:
			next++
			b.WriteRune(base + tabSlot)
		case r == 0x2028:
			b.WriteRune(base + lsSlot)
		case r == 0x2029:
			b.WriteRune(base + psSlot)
		case special(r):
			b.WriteRune(base + (r - 0x7f))
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r < base || r > base+tabSlot:
				return r
			case r == base+tabSlot:
				return '\t'
			case r == base+lsSlot:
				return 0x2028
			case r == base+psSlot:
				return 0x2029
			}
			return 0x7f + (r - base)
		}, s)
	}
}

var blockHeaderRe = regexp.MustCompile(`(?:^|[:\-?] +|^ *)[|>][1-9+\-]*[ \t]*(?:#.*)?$`)

// blockScalarTabs returns the byte offsets of tabs that lead the text of a
// line inside a block scalar (after its indentation spaces).
func blockScalarTabs(src string) []int {
	if !strings.Contains(src, "\t") {
		return nil
	}
	var out []int
	inBlock, parent := false, 0
	off := 0
	for _, line := range strings.SplitAfter(src, "\n") {
		body := strings.TrimRight(line, "\r\n")
		ind := len(body) - len(strings.TrimLeft(body, " "))
		blank := strings.TrimLeft(body, " \t") == ""
		if inBlock && !blank && ind <= parent {
			inBlock = false
		}
		if inBlock {
			for j := ind; j < len(body) && (body[j] == '\t' || body[j] == ' '); j++ {
				if body[j] == '\t' {
					out = append(out, off+j)
				}
			}
		} else if blockHeaderRe.MatchString(body) {
			inBlock, parent = true, ind
		}
		off += len(line)
	}
	return out
}

// parseYAMLDocument reads exactly one YAML document like js-yaml's safeLoad.
func parseYAMLDocument(src string) (any, error) {
	src, restore := shieldBreaks(src)
	dec := yaml.NewDecoder(strings.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return nil, err
		}
		return nil, errors.New("expected a single document in the stream, but found more")
	}
	r := &yamlReader{restore: restore}
	v, err := r.value(&doc, 0)
	if err != nil {
		return nil, err
	}
	return r.finish(v), nil
}

// finish turns jsDate values into ISO strings (upstream's
// normalizeDateValues), a stray merge marker into its text, and -0 into 0
// (so that the first save is already stable).
func (r *yamlReader) finish(v any) any {
	switch t := v.(type) {
	case jsDate:
		return FormatTime(t.t)
	case mergeKey:
		return "<<"
	case float64:
		if t == 0 {
			return 0.0 // -0.0 reads as -0 but is written "-0", which reads as 0
		}
	case []any:
		for i := range t {
			t[i] = r.finish(t[i])
		}
	case *Map:
		for _, k := range t.keys {
			t.vals[k] = r.finish(t.vals[k])
		}
	}
	return v
}

func posErr(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d, column %d: %s", n.Line, n.Column, fmt.Sprintf(format, args...))
}

func (r *yamlReader) value(n *yaml.Node, depth int) (any, error) {
	r.nodes++
	if r.nodes > maxNodes {
		return nil, errors.New("document expands to too many nodes (alias expansion)")
	}
	if depth > maxDepth {
		return nil, posErr(n, "nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return r.value(n.Content[0], depth)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, posErr(n, "unidentified alias %q", n.Value)
		}
		return r.value(n.Alias, depth+1)
	case yaml.ScalarNode:
		return r.scalar(n)
	case yaml.SequenceNode:
		if n.Style&yaml.TaggedStyle != 0 && n.Tag != "!!seq" {
			return nil, posErr(n, "unsupported tag %s", n.Tag)
		}
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := r.value(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if n.Style&yaml.TaggedStyle != 0 && n.Tag != "!!map" {
			return nil, posErr(n, "unsupported tag %s", n.Tag)
		}
		return r.mapping(n, depth)
	}
	return nil, posErr(n, "unexpected node")
}

func (r *yamlReader) scalar(n *yaml.Node) (any, error) {
	const quoted = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle
	s := r.restore(n.Value)
	if n.Style&yaml.TaggedStyle != 0 {
		switch n.Tag {
		case "!!str":
			return s, nil
		case "!!null":
			switch {
			case s == "" && n.Style&quoted == 0, s == "~", s == "null", s == "Null", s == "NULL":
				return nil, nil
			}
		case "!!bool":
			if v, ok := resolvePlain(s).(bool); ok {
				return v, nil
			}
		case "!!int":
			if jsIntResolves(s) {
				return jsIntConstruct(s), nil
			}
		case "!!float":
			if jsFloatResolves(s) {
				return jsFloatConstruct(s), nil
			}
		case "!!timestamp":
			if t, ok := jsTimestamp(s); ok {
				return jsDate{t}, nil
			}
		default:
			return nil, posErr(n, "unsupported tag %s", n.Tag)
		}
		return nil, posErr(n, "cannot resolve a node with %s explicit tag", n.Tag)
	}
	if n.Style&quoted != 0 {
		return s, nil
	}
	return resolvePlain(s), nil
}

func (r *yamlReader) mapping(n *yaml.Node, depth int) (any, error) {
	out := &Map{}
	overridable := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		kv, err := r.value(kn, depth+1)
		if err != nil {
			return nil, err
		}
		vv, err := r.value(vn, depth+1)
		if err != nil {
			return nil, err
		}
		if _, isMerge := kv.(mergeKey); isMerge || kn.Tag == "!!merge" && kn.Style&yaml.TaggedStyle != 0 {
			sources := []any{vv}
			if seq, ok := vv.([]any); ok {
				sources = seq
			}
			for _, src := range sources {
				if err := mergeInto(out, src, overridable); err != nil {
					return nil, posErr(kn, "%v", err)
				}
			}
			continue
		}
		key, err := keyString(kv)
		if err != nil {
			return nil, posErr(kn, "%v", err)
		}
		if out.Has(key) && !overridable[key] {
			return nil, posErr(kn, "duplicated mapping key %q", key)
		}
		out.Set(key, vv)
		delete(overridable, key)
	}
	return out, nil
}

func mergeInto(dst *Map, src any, overridable map[string]bool) error {
	switch s := src.(type) {
	case *Map:
		for _, k := range s.keys {
			if !dst.Has(k) {
				dst.Set(k, s.vals[k])
				overridable[k] = true
			}
		}
	case []any:
		for i, v := range s {
			k := strconv.Itoa(i)
			if !dst.Has(k) {
				dst.Set(k, v)
				overridable[k] = true
			}
		}
	default:
		return errors.New("cannot merge mappings; the provided source object is unacceptable")
	}
	return nil
}
