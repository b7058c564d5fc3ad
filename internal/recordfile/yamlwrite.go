package recordfile

import (
	"errors"
	"math"
	"regexp"
	"strings"
)

// Writing YAML the way upstream does: every frontmatter key is rendered by
// the JavaScript `yaml` v2 library as stringify({key: value}, {indent: 2,
// lineWidth: 0}). This file reproduces that library's choices for the values
// a record holds (null, booleans, numbers, strings, sequences, mappings):
// block style, two-space indentation, sequences indented under their key,
// empty collections as [] and {}, strings plain unless quoting is needed,
// then double quotes (single quotes when the text has a " and no '),
// multi-line strings as literal blocks (|, |-, |+, with an indentation
// indicator when the first line starts with a space).
//
// Two deliberate differences, both invisible for values upstream itself
// writes correctly:
//   - upstream post-processes the library's output by dropping every
//     whitespace-only line and trimming single-line values; that corrupts
//     multi-line strings containing blank lines and values with leading or
//     trailing non-ASCII spaces. The library's output is kept as is here.
//   - a string the library would leave plain but that js-yaml (upstream's
//     reader) would read back as something else — 1_000, 0b11, 1:30, -0x1F,
//     a date that is not in canonical ISO form, a "<<" key — is quoted, so
//     the value survives a round trip through either implementation.

const indentStep = "  "

// needsDoubleQuotes: control characters (other than tab and newline) and
// C1 controls force double quotes in the library.
func needsDoubleQuotes(s string) bool {
	for _, r := range s {
		if (r <= 0x08) || (r >= 0x0b && r <= 0x1f) || (r >= 0x7f && r <= 0x9f) {
			return true
		}
	}
	return false
}

// plainUnsafe is the library's test for strings that cannot be plain:
// /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/
func plainUnsafe(s string) bool {
	if s == "" {
		return false
	}
	if strings.IndexByte("\n\t ,[]{}#&*!|>'\"%@`", s[0]) >= 0 {
		return true
	}
	if s[0] == '?' || s[0] == '-' {
		if len(s) == 1 || s[1] == ' ' || s[1] == '\t' {
			return true
		}
	}
	for i := 0; i+1 < len(s); i++ {
		c, n := s[i], s[i+1]
		switch {
		case (c == '\n' || c == ':') && (n == ' ' || n == '\t'):
			return true
		case (c == ' ' || c == '\t') && n == '\n':
			return true
		case (c == '\n' || c == '\t' || c == ' ') && n == '#':
			return true
		}
	}
	last := s[len(s)-1]
	return last == '\n' || last == '\t' || last == ' ' || last == ':'
}

// hasDocMarker: a line starting with %, --- or ... (/^(%|---|\.\.\.)/m).
func hasDocMarker(s string) bool {
	for {
		if strings.HasPrefix(s, "%") || strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
			return true
		}
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return false
		}
		s = s[i+1:]
	}
}

// coreResolves reports whether the library's YAML 1.2 core schema reads
// the plain scalar s as something other than a string: null (~, null,
// Null, NULL, empty), a boolean, or a number (decimal, 0o octal, 0x hex,
// .inf/.nan, floats with optional exponent).
func coreResolves(s string) bool {
	switch s {
	case "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
		".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
		return true
	}
	allIn := func(t, set string) bool {
		if t == "" {
			return false
		}
		for i := 0; i < len(t); i++ {
			if strings.IndexByte(set, t[i]) < 0 {
				return false
			}
		}
		return true
	}
	if strings.HasPrefix(s, "0o") && allIn(s[2:], "01234567") {
		return true
	}
	if strings.HasPrefix(s, "0x") && allIn(s[2:], "0123456789abcdefABCDEF") {
		return true
	}
	// [-+]? (digits (. digits*)? | . digits) ([eE] [-+]? digits)?
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	intDigits := 0
	for i < len(s) && isDec(s[i]) {
		i++
		intDigits++
	}
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDec(s[i]) {
			i++
			fracDigits++
		}
		if intDigits == 0 && fracDigits == 0 {
			return false
		}
	} else if intDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		expDigits := 0
		for i < len(s) && isDec(s[i]) {
			i++
			expDigits++
		}
		if expDigits == 0 {
			return false
		}
	}
	return i == len(s)
}

// renderField renders one top-level frontmatter field, without a trailing
// newline: "key: value" or "key:\n  - item".
func renderField(key string, v any) (string, error) {
	var b strings.Builder
	if err := writePair(&b, key, v, "", 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

// writePair writes "key: value" for a pair of a block mapping whose lines
// are indented by ind (the first line's indentation is the caller's).
func writePair(b *strings.Builder, key string, v any, ind string, depth int) error {
	if depth > maxDepth {
		return errors.New("value nested too deeply")
	}
	pairInd := ind + indentStep
	ks := renderString(key, true, pairInd)
	explicit := utf16Len(ks) > 1024
	if explicit {
		b.WriteString("? ")
		b.WriteString(ks)
		b.WriteString("\n")
		b.WriteString(ind)
		b.WriteString(":")
	} else {
		b.WriteString(ks)
		b.WriteString(":")
	}
	switch t := v.(type) {
	case *Map:
		if t.Len() == 0 {
			b.WriteString(" {}")
			return nil
		}
		if explicit {
			b.WriteString(" ")
		} else {
			b.WriteString("\n")
			b.WriteString(pairInd)
		}
		return writeMapBody(b, t, pairInd, depth+1)
	case []any:
		if len(t) == 0 {
			b.WriteString(" []")
			return nil
		}
		if explicit {
			b.WriteString(" ")
		} else {
			b.WriteString("\n")
			b.WriteString(pairInd)
		}
		return writeSeqBody(b, t, pairInd, depth+1)
	}
	s, err := renderScalar(v, pairInd)
	if err != nil {
		return err
	}
	b.WriteString(" ")
	b.WriteString(s)
	return nil
}

// writeMapBody writes the pairs of a non-empty mapping; lines after the
// first are indented by ind.
func writeMapBody(b *strings.Builder, m *Map, ind string, depth int) error {
	for i, k := range m.keys {
		if i > 0 {
			b.WriteString("\n")
			b.WriteString(ind)
		}
		if err := writePair(b, k, m.vals[k], ind, depth); err != nil {
			return err
		}
	}
	return nil
}

// writeSeqBody writes "- item" lines of a non-empty sequence.
func writeSeqBody(b *strings.Builder, a []any, ind string, depth int) error {
	if depth > maxDepth {
		return errors.New("value nested too deeply")
	}
	itemInd := ind + indentStep
	for i, e := range a {
		if i > 0 {
			b.WriteString("\n")
			b.WriteString(ind)
		}
		b.WriteString("- ")
		switch t := e.(type) {
		case *Map:
			if t.Len() == 0 {
				b.WriteString("{}")
				continue
			}
			if err := writeMapBody(b, t, itemInd, depth+1); err != nil {
				return err
			}
		case []any:
			if len(t) == 0 {
				b.WriteString("[]")
				continue
			}
			if err := writeSeqBody(b, t, itemInd, depth+1); err != nil {
				return err
			}
		default:
			s, err := renderScalar(e, itemInd)
			if err != nil {
				return err
			}
			b.WriteString(s)
		}
	}
	return nil
}

func renderScalar(v any, ind string) (string, error) {
	switch t := v.(type) {
	case nil:
		return "null", nil
	case bool:
		if t {
			return "true", nil
		}
		return "false", nil
	case float64:
		switch {
		case math.IsNaN(t):
			return ".nan", nil
		case math.IsInf(t, 1):
			return ".inf", nil
		case math.IsInf(t, -1):
			return "-.inf", nil
		case t == 0 && math.Signbit(t):
			return "-0", nil
		}
		return jsNumber(t), nil
	case string:
		return renderString(t, false, ind), nil
	}
	return "", errors.New("unsupported value type in YAML output")
}

// renderString is the library's stringifyString for a JavaScript string with
// no preferred style, in block context; ind is the context indentation.
func renderString(s string, implicitKey bool, ind string) string {
	if needsDoubleQuotes(s) {
		return doubleQuoted(s, implicitKey, ind)
	}
	return plainString(s, implicitKey, ind)
}

func plainString(s string, implicitKey bool, ind string) string {
	multiLine := strings.Contains(s, "\n")
	if implicitKey && multiLine {
		return quotedString(s, implicitKey, ind)
	}
	if plainUnsafe(s) {
		if implicitKey || !multiLine {
			return quotedString(s, implicitKey, ind)
		}
		return blockString(s, implicitKey, ind)
	}
	if !implicitKey && multiLine {
		return blockString(s, implicitKey, ind)
	}
	if hasDocMarker(s) {
		if ind == "" {
			return blockString(s, implicitKey, ind)
		}
		if implicitKey && ind == indentStep {
			return quotedString(s, implicitKey, ind)
		}
	}
	if coreResolves(s) {
		return quotedString(s, implicitKey, ind)
	}
	if misreadByJSYAML(s, implicitKey) {
		return quotedString(s, implicitKey, ind)
	}
	return s
}

// misreadByJSYAML reports whether js-yaml would read the plain scalar s as
// anything other than the string s (for keys: anything whose String() is
// not s).
func misreadByJSYAML(s string, key bool) bool {
	v := resolvePlain(s)
	switch t := v.(type) {
	case string:
		return false
	case mergeKey:
		return key
	case jsDate:
		if key {
			return true
		}
		return FormatTime(t.t) != s
	}
	if key {
		ks, err := keyString(v)
		return err != nil || ks != s
	}
	return true
}

func quotedString(s string, implicitKey bool, ind string) string {
	hasDouble := strings.Contains(s, `"`)
	hasSingle := strings.Contains(s, `'`)
	if hasDouble && !hasSingle {
		return singleQuoted(s, implicitKey, ind)
	}
	return doubleQuoted(s, implicitKey, ind)
}

var singleNLWSRe = regexp.MustCompile("[ \t]\n|\n[ \t]")

func singleQuoted(s string, implicitKey bool, ind string) string {
	if (implicitKey && strings.Contains(s, "\n")) || singleNLWSRe.MatchString(s) {
		return doubleQuoted(s, implicitKey, ind)
	}
	indent := ind
	if indent == "" && hasDocMarker(s) {
		indent = indentStep
	}
	body := strings.ReplaceAll(s, "'", "''")
	body = replaceNewlineRuns(body, func(run string) string { return run + "\n" + indent })
	return "'" + body + "'"
}

// replaceNewlineRuns replaces each maximal run of '\n' in s with f(run).
func replaceNewlineRuns(s string, f func(run string) string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\n' {
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				b.WriteString(s[i:])
				break
			}
			b.WriteString(s[i : i+j])
			i += j
			continue
		}
		j := i
		for j < len(s) && s[j] == '\n' {
			j++
		}
		b.WriteString(f(s[i:j]))
		i = j
	}
	return b.String()
}

const doubleQuotedMinMultiLineLength = 40

func doubleQuoted(s string, implicitKey bool, ind string) string {
	json := jsonString(s)
	indent := ind
	if indent == "" && hasDocMarker(s) {
		indent = indentStep
	}
	jsonLen := utf16Len(json)
	at := func(i int) byte {
		if i < len(json) {
			return json[i]
		}
		return 0
	}
	var b strings.Builder
	start := 0
	for i := 0; i < len(json); i++ {
		ch := json[i]
		if ch == ' ' && at(i+1) == '\\' && at(i+2) == 'n' {
			// a space before a line break would be folded away
			b.WriteString(json[start:i])
			b.WriteString(`\ `)
			i++
			start = i
			ch = '\\'
		}
		if ch != '\\' {
			continue
		}
		switch at(i + 1) {
		case 'u':
			b.WriteString(json[start:i])
			code := json[i+2 : i+6]
			switch code {
			case "0000":
				b.WriteString(`\0`)
			case "0007":
				b.WriteString(`\a`)
			case "000b":
				b.WriteString(`\v`)
			case "001b":
				b.WriteString(`\e`)
			case "0085":
				b.WriteString(`\N`)
			case "00a0":
				b.WriteString(`\_`)
			case "2028":
				b.WriteString(`\L`)
			case "2029":
				b.WriteString(`\P`)
			default:
				if strings.HasPrefix(code, "00") {
					b.WriteString(`\x` + code[2:])
				} else {
					b.WriteString(json[i : i+6])
				}
			}
			i += 5
			start = i + 1
		case 'n':
			if implicitKey || at(i+2) == '"' || jsonLen < doubleQuotedMinMultiLineLength {
				i++
				continue
			}
			// a real line break (folding eats the first one)
			b.WriteString(json[start:i])
			b.WriteString("\n\n")
			for at(i+2) == '\\' && at(i+3) == 'n' && at(i+4) != '"' {
				b.WriteString("\n")
				i += 2
			}
			b.WriteString(indent)
			if at(i+2) == ' ' {
				b.WriteString(`\`)
			}
			i++
			start = i + 1
		default:
			i++
		}
	}
	if start == 0 {
		return json
	}
	b.WriteString(json[start:])
	return b.String()
}

func blockString(s string, implicitKey bool, ind string) string {
	if blockEndsWithSpaceLine(s) || blankBlockLosesSpaces(s) {
		return quotedString(s, implicitKey, ind)
	}
	indent := ind
	if indent == "" {
		indent = indentStep // top-level blocks and document markers get indented
	}
	value := s
	// chomping from the trailing whitespace
	endStart := len(value)
	for endStart > 0 {
		c := value[endStart-1]
		if c != '\n' && c != '\t' && c != ' ' {
			break
		}
		endStart--
	}
	end := value[endStart:]
	var chomp string
	endNl := strings.IndexByte(end, '\n')
	switch {
	case endNl == -1:
		chomp = "-"
	case value == end || endNl != len(end)-1:
		chomp = "+"
	default:
		chomp = ""
	}
	if end != "" {
		value = value[:len(value)-len(end)]
		end = strings.TrimSuffix(end, "\n")
		end = indentInnerNewlineRuns(end, indent)
	}
	// indentation indicator from leading whitespace
	startWithSpace := false
	startEnd := 0
	startNl := -1
	for ; startEnd < len(value); startEnd++ {
		c := value[startEnd]
		if c == ' ' {
			startWithSpace = true
		} else if c == '\n' {
			startNl = startEnd
		} else {
			break
		}
	}
	cut := startEnd
	if startNl < startEnd {
		cut = startNl + 1
	}
	start := value[:cut]
	if start != "" {
		value = value[len(start):]
		start = replaceNewlineRuns(start, func(run string) string { return run + indent })
	}
	header := chomp
	if startWithSpace {
		header = "2" + chomp // indentation is never empty here, so the indicator is 2
	}
	value = replaceNewlineRuns(value, func(run string) string { return run + indent })
	return "|" + header + "\n" + indent + start + value + end
}

// blankBlockLosesSpaces: a block of whitespace-only lines whose first
// non-empty line starts with a space has no indentation indicator in the
// library's output, so readers take the spaces for indentation (" \n" reads
// back as "\n"). Such strings are double-quoted instead (a Go rule).
func blankBlockLosesSpaces(s string) bool {
	first := byte(0)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\n':
		case ' ', '\t':
			if first == 0 {
				first = c
			}
		default:
			return false
		}
	}
	return first == ' '
}

// blockEndsWithSpaceLine: /\n[\t ]+$/ — a block cannot end in whitespace.
func blockEndsWithSpaceLine(s string) bool {
	i := len(s)
	for i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
		i--
	}
	return i < len(s) && i > 0 && s[i-1] == '\n'
}

// indentInnerNewlineRuns appends indent after every run of newlines that is
// not at the end of s (the library's blockEndNewlines replacement).
func indentInnerNewlineRuns(s, indent string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\n' {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '\n' {
			j++
		}
		b.WriteString(s[i:j])
		if j < len(s) {
			b.WriteString(indent)
		}
		i = j
	}
	return b.String()
}
