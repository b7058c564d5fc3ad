package civicpress

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// snippetOracle is the plain definition snippet must agree with: every
// token kept, every window of snippetTokens tokens counted.
func snippetOracle(body string, match func(string) bool) string {
	type span struct {
		start, end int
		hit        bool
	}
	// About one token per 6 bytes of prose: one allocation, not a dozen.
	toks := make([]span, 0, len(body)/6+8)
	eachToken(body, func(t string, start, end int) {
		toks = append(toks, span{start, end, match(t)})
	})
	if len(toks) == 0 {
		return ""
	}
	// hits[i] = matches among toks[:i].
	hits := make([]int, len(toks)+1)
	for i, t := range toks {
		hits[i+1] = hits[i]
		if t.hit {
			hits[i+1]++
		}
	}
	best, bestHits := 0, 0
	for s := 0; s+snippetTokens <= len(toks) || s == 0; s++ {
		e := min(s+snippetTokens, len(toks))
		if n := hits[e] - hits[s]; n > bestHits {
			best, bestHits = s, n
		}
		if e == len(toks) {
			break
		}
	}
	first := best
	if bestHits > 0 {
		for !toks[first].hit {
			first++
		}
		first = max(0, first-4)
	}
	last := min(first+snippetTokens, len(toks)) - 1
	from, to := toks[first].start, toks[last].end
	if first == 0 {
		from = 0
	}
	out := highlight(body[from:to], match)
	if first > 0 {
		out = "..." + out
	}
	if last < len(toks)-1 {
		out += "..."
	}
	return out
}

func TestSnippetMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	vocab := []string{"council", "Council", "bylaw", "parking", "zoning", "Zürich", "ÉCOLE", "école", "d'eau", "2026", "x", "fee"}
	seps := []string{" ", " ", " ", ", ", ". ", "\n\n", " — ", "-", "  "}
	queries := []string{"council", "parking zoning", "école", "fee OR bylaw", "zon", "nothing"}
	for i := range 3000 {
		var b strings.Builder
		for range rng.IntN(160) {
			b.WriteString(vocab[rng.IntN(len(vocab))])
			b.WriteString(seps[rng.IntN(len(seps))])
		}
		if rng.IntN(4) == 0 {
			b.WriteString(" trailing") // body not ending on a separator
		}
		body := b.String()
		q := queries[i%len(queries)]
		m := parseQuery(q).matcher()
		if got, want := snippet(body, m), snippetOracle(body, m); got != want {
			t.Fatalf("query %q, body %q:\n got %q\nwant %q", q, body, got, want)
		}
	}
}

func BenchmarkSnippetLongBody(b *testing.B) {
	benchSnippet(b, snippet)
}

// benchSnippet times fn on a 200 KB bylaw-like body.
func benchSnippet(b *testing.B, fn func(string, func(string) bool) string) {
	var sb strings.Builder
	for sb.Len() < 200<<10 {
		sb.WriteString("The council may by bylaw regulate parking, zoning and fees in every district. ")
	}
	body := sb.String()
	m := parseQuery("zoning district").matcher()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		fn(body, m)
	}
}

func BenchmarkSnippetOracleLongBody(b *testing.B) {
	benchSnippet(b, snippetOracle)
}
