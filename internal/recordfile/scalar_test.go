package recordfile

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// The hand-written scanners must agree with the regular expressions they
// replace (the `yaml` library's core schema tests, its plain-scalar test,
// js-yaml's timestamp patterns).
var (
	coreTagRegexps = []*regexp.Regexp{
		regexp.MustCompile(`^(?:~|[Nn]ull|NULL)?$`),
		regexp.MustCompile(`^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$`),
		regexp.MustCompile(`^0o[0-7]+$`),
		regexp.MustCompile(`^[-+]?[0-9]+$`),
		regexp.MustCompile(`^0x[0-9a-fA-F]+$`),
		regexp.MustCompile(`^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$`),
		regexp.MustCompile(`^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$`),
		regexp.MustCompile(`^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$`),
	}
	plainUnsafeRegexp = regexp.MustCompile("^[\n\t ,\\[\\]{}#&*!|>'\"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$")
	docMarkerRegexp   = regexp.MustCompile(`(?m)^(%|---|\.\.\.)`)
	jsDateRegexp      = regexp.MustCompile(`^([0-9][0-9][0-9][0-9])-([0-9][0-9])-([0-9][0-9])$`)
	jsTimestampRegexp = regexp.MustCompile(`^([0-9][0-9][0-9][0-9])-([0-9][0-9]?)-([0-9][0-9]?)` +
		`(?:[Tt]|[ \t]+)([0-9][0-9]?):([0-9][0-9]):([0-9][0-9])(?:\.([0-9]*))?` +
		`(?:[ \t]*(Z|([-+])([0-9][0-9]?)(?::([0-9][0-9]))?))?$`)
)

func TestScannersMatchRegexps(t *testing.T) {
	alphabet := []string{"0", "1", "7", "9", "a", "f", "x", "o", "e", "E", "Z", "T", "t", ".", "-", "+", ":", " ", "\t", "\n",
		"#", "?", "~", "n", "null", "true", "inf", "Inf", "nan", "2025", "01", "15", "10", "00", "%", "---", "...", "_"}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 100000; i++ {
		var b strings.Builder
		for n := rng.Intn(7); n > 0; n-- {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		s := b.String()
		if i%7 == 0 {
			s = "2025-" + s
		}
		want := false
		for _, re := range coreTagRegexps {
			want = want || re.MatchString(s)
		}
		if got := coreResolves(s); got != want {
			t.Fatalf("coreResolves(%q) = %v, regexps say %v", s, got, want)
		}
		if got, want := plainUnsafe(s), plainUnsafeRegexp.MatchString(s); got != want {
			t.Fatalf("plainUnsafe(%q) = %v, regexp says %v", s, got, want)
		}
		if got, want := hasDocMarker(s), docMarkerRegexp.MatchString(s); got != want {
			t.Fatalf("hasDocMarker(%q) = %v, regexp says %v", s, got, want)
		}
		_, got := jsTimestamp(s)
		want = jsDateRegexp.MatchString(s) || jsTimestampRegexp.MatchString(s)
		if got != want {
			t.Fatalf("jsTimestamp(%q) ok = %v, patterns say %v", s, got, want)
		}
	}
}

// Values js-yaml produces for timestamps (checked against node).
func TestJSTimestampValues(t *testing.T) {
	for in, want := range map[string]string{
		"2025-01-15":                     "2025-01-15T00:00:00.000Z",
		"2025-01-15T10:00:00Z":           "2025-01-15T10:00:00.000Z",
		"2025-01-15T10:00:00.1Z":         "2025-01-15T10:00:00.100Z",
		"2025-01-15T10:00:00.123456789Z": "2025-01-15T10:00:00.123Z",
		"2025-1-5   1:02:03  +05:30":     "2025-01-04T19:32:03.000Z",
		"2025-01-15T10:00:00-5":          "2025-01-15T15:00:00.000Z",
		"0050-01-01":                     "1950-01-01T00:00:00.000Z",
		"2025-02-30":                     "2025-03-02T00:00:00.000Z",
		"2025-13-01T00:00:00Z":           "2026-01-01T00:00:00.000Z",
		"2025-01-01 25:00:00":            "2025-01-02T01:00:00.000Z",
		"2025-01-15t10:00:00.5+02:00":    "2025-01-15T08:00:00.500Z",
	} {
		tm, ok := jsTimestamp(in)
		if !ok || FormatTime(tm) != want {
			t.Errorf("jsTimestamp(%q) = %v %v, want %s", in, FormatTime(tm), ok, want)
		}
	}
	if _, ok := jsTimestamp("2025-01-15T10:00:00Z "); ok {
		t.Error("trailing space accepted")
	}
}
