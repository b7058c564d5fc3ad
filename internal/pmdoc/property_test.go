package pmdoc

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs"
)

// genDoc builds random valid documents in the editor schema. With safe set,
// it avoids the shapes editor-schema.md §6.3 lists as not stable through
// Markdown (adjacent lists of one kind, empty paragraphs, text that starts a
// block after a hard break, typed HTML, padded code spans, ...), so that
// Markdown round trips are exact.
type docGen struct {
	r    *rand.Rand
	safe bool
}

var genWords = []string{"council", "bylaw", "zone", "A1", "2025", "fee", "é", "日本", "😀", "x_y", "a*b", "[note]", "back`tick", "50%", "#3", "wait!", "ok."}

func (g *docGen) words(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(genWords[g.r.Intn(len(genWords))])
	}
	return b.String()
}

func (g *docGen) letter() string { return string(rune('a' + g.r.Intn(26))) }

func (g *docGen) marks() []Mark {
	var ms []Mark
	if g.r.Intn(4) == 0 {
		ms = addMark(ms, Mark{Type: "link", Href: "https://example.org/" + g.letter()})
	}
	if g.r.Intn(3) == 0 {
		ms = addMark(ms, Mark{Type: "em"})
	}
	if g.r.Intn(3) == 0 {
		ms = addMark(ms, Mark{Type: "strong"})
	}
	return ms
}

var hazards = []string{"# x", "- y", "1. z", "3) w", "+ p", "> q", "<b>x</b>", "  lead", "\tTab", "trail  ", "a\nb", "\u00a0nb\u00a0", "a\u2028b", "``", "***", "_a_", "[x](y)", "![i](j)", "&amp;", "\\", "|", "~~s~~", "<!--civic-ref type=\"record\" id=\"x\" label=\"y\"-->", "    four", "= =", "---", "#", "x #", " ", "é_é", "a_b", "𝕏_𝕏"}

func (g *docGen) hazard() *Node {
	ms := g.marks()
	if g.r.Intn(4) == 0 {
		ms = []Mark{{Type: "code"}}
	}
	if g.r.Intn(5) == 0 {
		t := "a \"b\" (c)"
		ms = addMark(ms, Mark{Type: "link", Href: "a b(c)\\d", Title: &t})
	}
	return textNode(hazards[g.r.Intn(len(hazards))], ms)
}

func (g *docGen) inline() []*Node {
	var out []*Node
	n := 1 + g.r.Intn(5)
	for i := 0; i < n; i++ {
		if !g.safe && g.r.Intn(3) == 0 {
			out = appendInline(out, g.hazard())
			continue
		}
		switch k := g.r.Intn(10); {
		case k < 6:
			if len(out) > 0 {
				// Spaces stay unmarked: upstream writes marked text that
				// starts with a space after the same mark as "[** x**]",
				// which does not parse back (observed in the rebuild).
				out = appendInline(out, textNode(" ", nil))
			}
			out = appendInline(out, textNode(g.words(1+g.r.Intn(3)), g.marks()))
		case k == 6:
			if len(out) > 0 {
				out = appendInline(out, textNode(" ", nil))
			}
			out = appendInline(out, textNode(g.words(1), []Mark{{Type: "code"}}))
		case k == 7:
			out = append(out, newNode("image", map[string]any{"src": "img/" + g.letter() + ".png", "alt": "pic", "title": nil}))
		case k == 8 && len(out) > 0 && i < n-1:
			out = append(out, newNode("hard_break", nil))
			out = appendInline(out, textNode("after", nil))
		default:
			if len(out) > 0 {
				out = append(out, newNode("civicRef", map[string]any{"refType": "geography", "id": "g-" + g.letter(), "label": g.words(2)}))
			}
		}
	}
	out = normalizeInline(out)
	if len(out) == 0 {
		out = []*Node{textNode(g.words(1), nil)}
	}
	return out
}

// normalizeInline merges equal-mark neighbours and drops empty text, as
// ProseMirror's Fragment does.
func normalizeInline(ns []*Node) []*Node {
	var out []*Node
	for _, n := range ns {
		if n.isText() && n.Text == "" {
			continue
		}
		out = appendInline(out, n)
	}
	return out
}

func (g *docGen) block(depth int, prevType string) *Node {
	for {
		k := g.r.Intn(9)
		if depth > 2 && k >= 4 {
			k = 0
		}
		switch k {
		case 0, 1:
			if !g.safe && g.r.Intn(6) == 0 {
				return newNode("paragraph", nil) // editors make empty paragraphs
			}
			return newNode("paragraph", nil, g.inline()...)
		case 2:
			if !g.safe && g.r.Intn(4) == 0 {
				return newNode("heading", map[string]any{"level": 1 + g.r.Intn(8)}, g.inline()...)
			}
			return newNode("heading", map[string]any{"level": 1 + g.r.Intn(6)}, textNode(g.words(2), nil))
		case 3:
			return newNode("code_block", map[string]any{"params": []string{"", "js", "text"}[g.r.Intn(3)]}, textNode(g.words(3)+"\n  "+g.words(2), nil))
		case 4:
			return newNode("blockquote", nil, g.blocks(depth+1, 1+g.r.Intn(2))...)
		case 5, 6:
			typ := "bullet_list"
			var attrs map[string]any
			if k == 6 {
				typ = "ordered_list"
				attrs = map[string]any{"order": 1 + g.r.Intn(12)}
			}
			if typ == prevType && g.safe {
				continue
			}
			l := newNode(typ, attrs)
			for i := 0; i < 1+g.r.Intn(3); i++ {
				item := []*Node{newNode("paragraph", nil, g.inline()...)}
				if g.r.Intn(3) == 0 {
					item = append(item, g.blocks(depth+1, 1)...)
				}
				l.Content = append(l.Content, newNode("list_item", nil, item...))
			}
			return l
		case 7:
			return newNode("horizontal_rule", nil)
		case 8:
			cols := 1 + g.r.Intn(3)
			t := newNode("table", nil)
			for r := 0; r < 2+g.r.Intn(2); r++ {
				typ := "table_cell"
				if r == 0 {
					typ = "table_header"
				}
				row := newNode("table_row", nil)
				for c := 0; c < cols; c++ {
					var align any
					if r == 0 && c == 1 {
						align = "center"
					} else if r > 0 && c == 1 {
						align = "center" // markdown applies the column's alignment to every cell
					}
					row.Content = append(row.Content, newNode(typ, map[string]any{"align": align}, newNode("paragraph", nil, textNode(g.words(1+g.r.Intn(2)), g.marks()))))
				}
				t.Content = append(t.Content, row)
			}
			return t
		}
	}
}

func (g *docGen) blocks(depth, n int) []*Node {
	var out []*Node
	prev := ""
	for i := 0; i < n; i++ {
		b := g.block(depth, prev)
		prev = b.Type
		out = append(out, b)
	}
	return out
}

func (g *docGen) doc() *Node {
	return newNode("doc", nil, g.blocks(0, 1+g.r.Intn(6))...)
}

func docJSON(t testing.TB, n *Node) string {
	t.Helper()
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stripAtomMarks removes marks from non-text inline nodes: y-prosemirror
// stores only text formatting (editor-schema.md §5.1).
func stripAtomMarks(n *Node) *Node {
	c := *n
	if !c.isText() {
		c.Marks = nil
	}
	c.Content = nil
	for _, ch := range n.Content {
		c.Content = append(c.Content, stripAtomMarks(ch))
	}
	c.Content = normalizeInline(c.Content)
	return &c
}

// Document → Yjs → document is the identity (marks on images, hard breaks
// and civicRefs aside, which Yjs cannot hold).
func TestPropertyYjsRoundTrip(t *testing.T) {
	g := &docGen{r: rand.New(rand.NewSource(11))}
	for i := 0; i < 400; i++ {
		doc := g.doc()
		y := yjs.NewDoc(yjs.Options{ClientID: uint64(i + 1)})
		if _, err := SeedDocument(y, doc); err != nil {
			t.Fatal(err)
		}
		back, repairs := ReadFragment(y.XmlFragment(Fragment))
		if len(repairs) > 0 {
			t.Fatalf("valid document needed repairs: %+v", repairs)
		}
		if got, want := docJSON(t, back), docJSON(t, stripAtomMarks(doc)); got != want {
			t.Fatalf("round trip changed the document\n got %s\nwant %s", got, want)
		}
	}
}

// Markdown → document → Markdown is a fixed point after one pass for
// generated documents that avoid the documented unstable shapes, and the
// Markdown reproduces the document exactly.
func TestPropertyMarkdownFixedPoint(t *testing.T) {
	g := &docGen{r: rand.New(rand.NewSource(12)), safe: true}
	for i := 0; i < 400; i++ {
		doc := g.doc()
		md := SerializeMarkdown(doc)
		again := ParseMarkdown(md)
		if got, want := docJSON(t, again), docJSON(t, doc); got != want {
			t.Fatalf("Markdown %q did not reproduce the document\n got %s\nwant %s", md, got, want)
		}
		if md2 := SerializeMarkdown(again); md2 != md {
			t.Fatalf("not a fixed point:\n%q\n%q", md, md2)
		}
	}
}

// appendInline appends n, merging it into a preceding text node with the
// same marks (ProseMirror's Fragment does this).
func appendInline(out []*Node, ns ...*Node) []*Node {
	for _, n := range ns {
		if n.isText() && len(out) > 0 {
			if last := out[len(out)-1]; last.isText() && sameMarks(last.Marks, n.Marks) {
				out[len(out)-1] = textNode(last.Text+n.Text, last.Marks)
				continue
			}
		}
		out = append(out, n)
	}
	return out
}
