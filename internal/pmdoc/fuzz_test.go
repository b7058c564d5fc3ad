package pmdoc

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/civicpress/civicpress-go/internal/yjs"
)

// FuzzParseMarkdown: parsing never panics, the document always serializes,
// and plain words of the input are never silently lost unless upstream's
// rules drop them (HTML, comments, invalid link syntax is kept as text).
func FuzzParseMarkdown(f *testing.F) {
	for _, s := range []string{"", "# h\n\ntext *em* **s** `c`", "> q\n- a\n1. b", "| a | b |\n|---|:-:|\n| 1 | 2 |",
		"```js\nx\n```", "[l](u \"t\") ![i](s)", "x <!--civic-ref type=\"record\" id=\"r\" label=\"L\"-->", "> > > > > > > > > > > > > > > > > > > > > x",
		"a\\\nb  \nc", "&copy; &#1; \\* <span>x</span>", "[r]: /u\n[r]", "- a\n| b |\n|---|\n", "- a|b\n-|-\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, md string) {
		doc := ParseMarkdown(md)
		if err := doc.Check(); err != nil {
			t.Fatalf("parse of %q gave an invalid document: %v", md, err)
		}
		out := SerializeMarkdown(doc)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 output for %q", md)
		}
		// A plain paragraph of letters survives untouched (indentation of
		// four or more columns makes it code, so it is excluded).
		if isPlainWords(md) && strings.TrimSpace(md) != "" && !strings.HasPrefix(md, "    ") {
			if got := strings.Join(strings.Fields(out), " "); got != strings.Join(strings.Fields(md), " ") {
				t.Fatalf("plain text changed: %q → %q", md, out)
			}
		}
		SerializeMarkdown(ParseMarkdown(out))
		if _, err := MarkdownToUpdate(md, 1); err != nil {
			t.Fatal(err)
		}
	})
}

func isPlainWords(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == ' ') {
			return false
		}
	}
	return true
}

// FuzzReadYjs: any update the Yjs decoder accepts reads and serializes
// without panicking, and reading never changes the document.
func FuzzReadYjs(f *testing.F) {
	for _, md := range []string{"# A\n\nb *c* [d](e)\n", "- a\n  - b\n", "| a |\n|---|\n| b |\n", "x <!--civic-ref type=\"record\" id=\"r\" label=\"L\"-->"} {
		u, err := MarkdownToUpdate(md, 1)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(u)
	}
	// Real histories: two editor clients, deletions, formats, rejected content.
	for _, name := range []string{"edit-concurrent-marks", "edit-many-steps", "edit-then-delete-all", "invalid-tiptap-list", "invalid-top-level-text"} {
		b, err := os.ReadFile(filepath.Join("testdata", "generated", name+".ydoc.bin"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, update []byte) {
		doc := yjs.NewDoc(yjs.Options{ClientID: 9})
		if err := doc.ApplyUpdate(update); err != nil {
			return
		}
		before, err := doc.EncodeStateAsUpdate(nil)
		if err != nil {
			return
		}
		md := DocumentToMarkdown(doc)
		ParseMarkdown(md)
		after, _ := doc.EncodeStateAsUpdate(nil)
		if string(before) != string(after) {
			t.Fatal("reading changed the document")
		}
	})
}

// FuzzEditorDocument: documents of any shape the schema allows (generated
// from the fuzzed seed, unstable shapes included) serialize, reparse, seed
// and read back without panicking, and the direct seed encoder agrees with
// the Yjs transaction path.
func FuzzEditorDocument(f *testing.F) {
	for _, s := range []int64{1, 2, 3, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seed int64) {
		g := &docGen{r: rand.New(rand.NewSource(seed))}
		doc := g.doc()
		if err := doc.Check(); err != nil {
			t.Fatal(err)
		}
		md := SerializeMarkdown(doc)
		if err := ParseMarkdown(md).Check(); err != nil {
			t.Fatalf("parse of %q: %v", md, err)
		}
		y := yjs.NewDoc(yjs.Options{ClientID: uint64(seed&0xffff) + 1})
		if _, err := SeedDocument(y, doc); err != nil {
			t.Fatal(err)
		}
		want, err := y.EncodeStateAsUpdate(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := EncodeSeed(doc, uint64(seed&0xffff)+1); string(got) != string(want) {
			t.Fatalf("direct seed encoding differs for seed %d", seed)
		}
		back, repairs := ReadFragment(y.XmlFragment(Fragment))
		if len(repairs) > 0 {
			t.Fatalf("valid document needed repairs: %+v", repairs)
		}
		if err := back.Check(); err != nil {
			t.Fatal(err)
		}
		if docJSON(t, back) != docJSON(t, stripAtomMarks(doc)) {
			t.Fatalf("Yjs round trip changed the document (seed %d)", seed)
		}
	})
}
