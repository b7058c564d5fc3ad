package pmdoc

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// The hand-written matchers on hot paths must agree with the regular
// expressions that state the rules.

func randomFrom(r *rand.Rand, parts []string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(parts[r.Intn(len(parts))])
	}
	return b.String()
}

func TestQuickCommentAgreesWithRegexp(t *testing.T) {
	parts := []string{"<!--", "-->", "-", "--", "---", ">", "a", " ", "\n", "<", "!", "civic-ref", `"`, "é", "<!---->", "<!-->"}
	r := rand.New(rand.NewSource(1))
	decided := 0
	for i := 0; i < 200000; i++ {
		s := "<!--" + randomFrom(r, parts, r.Intn(8))
		n := quickComment(s)
		if n < 0 {
			continue
		}
		decided++
		if want := htmlTagRE.FindString(s); s[:n] != want {
			t.Fatalf("quickComment(%q) = %q, regexp %q", s, s[:n], want)
		}
	}
	if decided < 10000 {
		t.Fatalf("fast path decided only %d inputs", decided)
	}
}

func TestParseCivicRefAgreesWithRegexp(t *testing.T) {
	parts := []string{"<!--civic-ref", " ", "\t", "\u00a0", "\u2003", `type="`, `id="`, `label="`, `"`, "record", "x", "", "-->", "&quot;", "\n", `""`}
	r := rand.New(rand.NewSource(2))
	matched := 0
	for i := 0; i < 300000; i++ {
		var s string
		if r.Intn(3) == 0 {
			s = randomFrom(r, parts, r.Intn(14))
		} else {
			// near-valid references with random damage
			s = `<!--civic-ref type="` + randomFrom(r, parts[8:], r.Intn(3)) + `"` + randomFrom(r, parts[1:5], r.Intn(3)) +
				`id="` + randomFrom(r, parts[8:], r.Intn(3)) + `"` + randomFrom(r, parts[1:5], r.Intn(3)) +
				`label="` + randomFrom(r, parts[8:], r.Intn(3)) + `"` + randomFrom(r, []string{"-->", "-->", "--> ", "->", ""}, 1)
		}
		typ, id, label, ok := parseCivicRef(s)
		m := civicRefRE.FindStringSubmatch(s)
		if ok != (m != nil) {
			t.Fatalf("parseCivicRef(%q) ok=%v, regexp %v", s, ok, m != nil)
		}
		if ok {
			matched++
			if typ != m[1] || id != m[2] || label != m[3] {
				t.Fatalf("parseCivicRef(%q) = %q %q %q, regexp %q", s, typ, id, label, m[1:])
			}
		}
	}
	if matched < 1000 {
		t.Fatalf("only %d references matched", matched)
	}
}

func TestIsDelimCell(t *testing.T) {
	for _, s := range []string{"", ":", "::", "-", ":-", "-:", ":-:", "--", ":--:", "-:-", "a", ":-a", " -", "---:"} {
		if got, want := isDelimCell(s), regexpDelimCell.MatchString(s); got != want {
			t.Errorf("isDelimCell(%q) = %v, want %v", s, got, want)
		}
	}
}

var regexpDelimCell = regexp.MustCompile(`^:?-+:?$`)
