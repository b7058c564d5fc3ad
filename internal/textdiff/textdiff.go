// Package textdiff computes line diffs (Myers' algorithm, linear space) and
// prints them as unified diffs in git's format.
package textdiff

import (
	"bytes"
	"fmt"
	"strings"
)

// Kind says what an Edit does.
type Kind int

// The kinds of Edit.
const (
	Equal Kind = iota
	Delete
	Insert
)

// Edit is one line of a line diff. Line keeps its trailing newline, if any.
type Edit struct {
	Kind Kind
	Line string
}

// SplitLines splits text into lines, each keeping its "\n"; a final line
// without one is kept as is.
func SplitLines(text []byte) []string {
	var out []string
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			out = append(out, string(text))
			break
		}
		out = append(out, string(text[:i+1]))
		text = text[i+1:]
	}
	return out
}

// Lines returns a shortest edit script turning a into b.
func Lines(a, b []string) []Edit {
	ids := map[string]int{}
	intern := func(ls []string) []int {
		out := make([]int, len(ls))
		for i, l := range ls {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	d := &differ{a: intern(a), b: intern(b)}
	n := len(a) + len(b)
	d.vf = make([]int, n+5) // 2*ceil(n/2)+3 for the largest box
	d.vb = make([]int, n+5)
	d.compare(0, len(a), 0, len(b))
	edits := make([]Edit, 0, len(d.ops))
	for _, op := range d.ops {
		switch op.kind {
		case Equal, Delete:
			edits = append(edits, Edit{op.kind, a[op.i]})
		case Insert:
			edits = append(edits, Edit{op.kind, b[op.i]})
		}
	}
	return edits
}

type op struct {
	kind Kind
	i    int // index in a (Equal, Delete) or b (Insert)
}

type differ struct {
	a, b   []int
	vf, vb []int
	ops    []op
}

func (d *differ) compare(aLo, aHi, bLo, bHi int) {
	var suffix []op
	for aLo < aHi && bLo < bHi && d.a[aLo] == d.b[bLo] {
		d.ops = append(d.ops, op{Equal, aLo})
		aLo++
		bLo++
	}
	for aLo < aHi && bLo < bHi && d.a[aHi-1] == d.b[bHi-1] {
		aHi--
		bHi--
		suffix = append(suffix, op{Equal, aHi})
	}
	switch {
	case aLo == aHi:
		for i := bLo; i < bHi; i++ {
			d.ops = append(d.ops, op{Insert, i})
		}
	case bLo == bHi:
		for i := aLo; i < aHi; i++ {
			d.ops = append(d.ops, op{Delete, i})
		}
	default:
		x, y := d.middle(aLo, aHi, bLo, bHi)
		d.compare(aLo, x, bLo, y)
		d.compare(x, aHi, y, bHi)
	}
	for i := len(suffix) - 1; i >= 0; i-- {
		d.ops = append(d.ops, suffix[i])
	}
}

// middle finds a point on a shortest edit path through the box, searching
// from both corners at once (Myers 1986, section 4b). The inputs differ at
// both ends, so the point splits the box into two smaller ones.
func (d *differ) middle(aLo, aHi, bLo, bHi int) (int, int) {
	n, m := aHi-aLo, bHi-bLo
	delta := n - m
	odd := delta&1 != 0
	maxD := (n + m + 1) / 2
	off := maxD + 1
	vf, vb := d.vf[:2*maxD+3], d.vb[:2*maxD+3]
	vf[off+1], vb[off+1] = 0, 0
	for D := 0; D <= maxD; D++ {
		for k := -D; k <= D; k += 2 {
			var x int
			if k == -D || (k != D && vf[off+k-1] < vf[off+k+1]) {
				x = vf[off+k+1]
			} else {
				x = vf[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && d.a[aLo+x] == d.b[bLo+y] {
				x++
				y++
			}
			vf[off+k] = x
			if kb := delta - k; odd && kb >= -(D-1) && kb <= D-1 && x+vb[off+kb] >= n {
				return aLo + x, bLo + y
			}
		}
		for k := -D; k <= D; k += 2 {
			var u int
			if k == -D || (k != D && vb[off+k-1] < vb[off+k+1]) {
				u = vb[off+k+1]
			} else {
				u = vb[off+k-1] + 1
			}
			v := u - k
			for u < n && v < m && d.a[aHi-1-u] == d.b[bHi-1-v] {
				u++
				v++
			}
			vb[off+k] = u
			if kf := delta - k; !odd && kf >= -D && kf <= D && vf[off+kf]+u >= n {
				return aHi - u, bHi - v
			}
		}
	}
	// Unreachable for inputs that differ; split in half as a safe fallback.
	return aLo + n/2, bLo + m/2
}

// Unified returns the unified diff of a and b with the given lines of
// context, headed "--- aName" / "+++ bName" as git prints it, or "" when
// a and b are equal.
func Unified(aName, bName string, a, b []byte, context int) string {
	if bytes.Equal(a, b) {
		return ""
	}
	edits := Lines(SplitLines(a), SplitLines(b))
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", aName, bName)
	// Positions of edits in a and b before each edit.
	type pos struct{ a, b int }
	at := make([]pos, len(edits)+1)
	for i, e := range edits {
		at[i+1] = at[i]
		if e.Kind != Insert {
			at[i+1].a++
		}
		if e.Kind != Delete {
			at[i+1].b++
		}
	}
	for i := 0; i < len(edits); {
		if edits[i].Kind == Equal {
			i++
			continue
		}
		start := max(0, i-context)
		end := i
		for j := i; j < len(edits); j++ {
			if edits[j].Kind != Equal {
				end = j + 1
				continue
			}
			if j-end >= 2*context {
				break
			}
		}
		end = min(len(edits), end+context)
		aCount, bCount := at[end].a-at[start].a, at[end].b-at[start].b
		sb.WriteString("@@ -" + rangeOf(at[start].a, aCount) + " +" + rangeOf(at[start].b, bCount) + " @@\n")
		for _, e := range edits[start:end] {
			switch e.Kind {
			case Equal:
				sb.WriteByte(' ')
			case Delete:
				sb.WriteByte('-')
			case Insert:
				sb.WriteByte('+')
			}
			sb.WriteString(e.Line)
			if !strings.HasSuffix(e.Line, "\n") {
				sb.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = end
	}
	return sb.String()
}

// rangeOf prints a hunk range: 1-based start and count, ",1" omitted, and
// an empty range anchored at the line before it, as git does.
func rangeOf(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start)
	case 1:
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, count)
}
