package textdiff

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// lcs is the textbook dynamic programme, the reference for minimality.
func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// check asserts that edits turn a into b and are a shortest such script.
func check(t *testing.T, a, b []string) {
	t.Helper()
	edits := Lines(a, b)
	var gotA, gotB []string
	changes := 0
	for _, e := range edits {
		if e.Kind != Insert {
			gotA = append(gotA, e.Line)
		}
		if e.Kind != Delete {
			gotB = append(gotB, e.Line)
		}
		if e.Kind != Equal {
			changes++
		}
	}
	if strings.Join(gotA, "") != strings.Join(a, "") || strings.Join(gotB, "") != strings.Join(b, "") {
		t.Fatalf("edits do not reproduce the inputs\na=%q\nb=%q\nedits=%v", a, b, edits)
	}
	if want := len(a) + len(b) - 2*lcs(a, b); changes != want {
		t.Fatalf("%d changes, shortest is %d\na=%q\nb=%q", changes, want, a, b)
	}
}

func TestLinesShortestRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func() []string {
		n := rng.IntN(25)
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a'+rng.IntN(4))) + "\n"
		}
		return out
	}
	for range 3000 {
		check(t, gen(), gen())
	}
	check(t, nil, nil)
	check(t, []string{"x\n"}, nil)
	check(t, nil, []string{"x\n"})
}

func TestUnifiedFormat(t *testing.T) {
	a := "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\ntwelve\n"
	b := "one\n2\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven\ntwelve\nthirteen"
	want := `--- a/r.md
+++ b/r.md
@@ -1,5 +1,5 @@
 one
-two
+2
 three
 four
 five
@@ -10,3 +10,4 @@
 ten
 eleven
 twelve
+thirteen
\ No newline at end of file
`
	if got := Unified("a/r.md", "b/r.md", []byte(a), []byte(b), 3); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := Unified("a", "b", []byte(a), []byte(a), 3); got != "" {
		t.Fatalf("equal inputs: %q", got)
	}
	if got, want := Unified("/dev/null", "b/new", nil, []byte("x\ny\n"), 3), "--- /dev/null\n+++ b/new\n@@ -0,0 +1,2 @@\n+x\n+y\n"; got != want {
		t.Fatalf("creation: %q, want %q", got, want)
	}
}

// TestUnifiedMatchesGit compares with `git diff --no-index` on inputs
// whose shortest diff is unique, so any correct Myers agrees.
func TestUnifiedMatchesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not found")
	}
	cases := []struct{ a, b string }{
		{"---\ntitle: Old\nstatus: draft\n---\n\n# Heading\n\nBody.\n", "---\ntitle: New\nstatus: published\n---\n\n# Heading\n\nBody, edited.\n\nMore.\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n", "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\neighteen\n19\n20\n"},
		{"a\nb\nc", "a\nb\nc\n"},
		{"only\n", ""},
	}
	dir := t.TempDir()
	for i, tc := range cases {
		pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.WriteFile(pa, []byte(tc.a), 0o644)
		os.WriteFile(pb, []byte(tc.b), 0o644)
		cmd := exec.Command("git", "diff", "--no-index", "--no-color", "a", "b")
		cmd.Dir = dir
		out, _ := cmd.Output() // exit status 1 means "differs"
		g := string(out)
		g = g[strings.Index(g, "--- "):]
		if got := Unified("a/a", "b/b", []byte(tc.a), []byte(tc.b), 3); got != g {
			t.Errorf("case %d:\nours\n%s\ngit\n%s", i, got, g)
		}
	}
}

func FuzzUnified(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		out := Unified("a", "b", []byte(a), []byte(b), 3)
		if (out == "") != (a == b) {
			t.Fatalf("empty diff iff equal: %q vs %q -> %q", a, b, out)
		}
		// Rebuild b from a and the hunks: the diff must be applicable.
		if got := apply(t, a, out); got != b {
			t.Fatalf("applying the diff gives %q, want %q\n%s", got, b, out)
		}
	})
}

// apply is a minimal patch for our own output.
func apply(t *testing.T, a, diff string) string {
	if diff == "" {
		return a
	}
	src := SplitLines([]byte(a))
	var out []string
	pos := 0
	lines := strings.SplitAfter(diff, "\n")
	for i := 2; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "@@") {
			var as, ac, bs, bc int
			parseRange(l, &as, &ac, &bs, &bc)
			start := as - 1
			if ac == 0 {
				start = as
			}
			out = append(out, src[pos:start]...)
			pos = start
			continue
		}
		noNL := i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\\ No newline")
		body := l[1:]
		if noNL {
			body = strings.TrimSuffix(body, "\n")
		}
		switch l[0] {
		case ' ':
			out = append(out, src[pos])
			pos++
		case '-':
			pos++
		case '+':
			out = append(out, body)
		case '\\':
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, "")
}

func parseRange(h string, as, ac, bs, bc *int) {
	f := strings.Fields(h)
	one := func(s string, start, count *int) {
		n, c, ok := strings.Cut(s[1:], ",")
		*start = atoi(n)
		*count = 1
		if ok {
			*count = atoi(c)
		}
	}
	one(f[1], as, ac)
	one(f[2], bs, bc)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
