package pmdoc

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs"
)

// seedBytes seeds through the Yjs editing API (the y-prosemirror way).
func seedBytes(t testing.TB, n *Node) []byte {
	t.Helper()
	doc := yjs.NewDoc(yjs.Options{ClientID: 1})
	if _, err := seedTransaction(doc, n); err != nil {
		t.Fatal(err)
	}
	b, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeback(t testing.TB, update []byte) string {
	t.Helper()
	doc := yjs.NewDoc(yjs.Options{ClientID: 7})
	if err := doc.ApplyUpdate(update); err != nil {
		t.Fatal(err)
	}
	return DocumentToMarkdown(doc)
}

func TestVectorsYjs(t *testing.T) {
	for _, dir := range corpusDirs {
		m := loadManifest(t, dir)
		for _, v := range m.Vectors {
			t.Run(filepath.Base(dir)+"/"+v.Name, func(t *testing.T) {
				md := readFile(t, filepath.Join(dir, v.Name+".md"))
				want := []byte(readFile(t, filepath.Join(dir, v.Name+".ydoc.bin")))
				if got := seedBytes(t, ParseMarkdown(md)); !bytes.Equal(got, want) {
					t.Fatalf("seed update differs\n got %x\nwant %x", got, want)
				}
				if jsTrim(md) != "" { // blank Markdown seeds nothing (upstream's guard)
					if got, err := MarkdownToUpdate(md, 1); err != nil || !bytes.Equal(got, want) {
						t.Fatalf("MarkdownToUpdate differs (%v)\n got %x\nwant %x", err, got, want)
					}
				}
				wb := readFile(t, filepath.Join(dir, v.Name+".canonical.md"))
				if v.YjsWriteback != nil {
					wb = *v.YjsWriteback
				}
				if got := writeback(t, want); got != wb {
					t.Errorf("writeback\n got %q\nwant %q", got, wb)
				}
			})
		}
	}
	m := loadManifest(t, "testdata/generated")
	for _, v := range m.Docs {
		t.Run("docs/"+v.Name, func(t *testing.T) {
			var doc Node
			if err := json.Unmarshal([]byte(readFile(t, filepath.Join("testdata/generated", v.Name+".doc.json"))), &doc); err != nil {
				t.Fatal(err)
			}
			want := []byte(readFile(t, filepath.Join("testdata/generated", v.Name+".ydoc.bin")))
			if got := seedBytes(t, &doc); !bytes.Equal(got, want) {
				t.Fatalf("seed update differs\n got %x\nwant %x", got, want)
			}
			if v.YjsWriteback != nil {
				if got := writeback(t, want); got != *v.YjsWriteback {
					t.Errorf("writeback\n got %q\nwant %q", got, *v.YjsWriteback)
				}
			}
		})
	}
}

func TestMarkdownToUpdateBlankIsEmpty(t *testing.T) {
	for _, md := range []string{"", "  \n\t\n"} {
		u, err := MarkdownToUpdate(md, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(u, []byte{0, 0}) {
			t.Errorf("MarkdownToUpdate(%q) = %x, want 0000 (upstream leaves the fragment empty)", md, u)
		}
	}
}

func TestSeedDoesNotDuplicate(t *testing.T) {
	doc := yjs.NewDoc(yjs.Options{ClientID: 3})
	if ok, err := SeedMarkdown(doc, "# A\n"); err != nil || !ok {
		t.Fatalf("first seed: %v %v", ok, err)
	}
	if ok, err := SeedMarkdown(doc, "# B\n"); err != nil || ok {
		t.Fatalf("second seed wrote into a non-empty fragment: %v %v", ok, err)
	}
	if got := DocumentToMarkdown(doc); got != "# A" {
		t.Fatalf("got %q", got)
	}
}

// Collaborative histories made by two y-prosemirror clients (testdata/gen
// edit-cases.mjs): deletions, concurrent edits, formats ending in null.
// Valid documents write back exactly as upstream; for content the schema
// rejects, upstream deletes it (and loses the text) while this reader keeps
// the text.
func TestEditHistoriesWriteback(t *testing.T) {
	dir := "testdata/generated"
	m := loadManifest(t, dir)
	if len(m.Edits) == 0 {
		t.Fatal("no edit histories in the manifest")
	}
	for _, v := range m.Edits {
		t.Run(v.Name, func(t *testing.T) {
			update := []byte(readFile(t, filepath.Join(dir, v.Name+".ydoc.bin")))
			got := writeback(t, update)
			if len(v.InvalidKeepsText) == 0 {
				if v.YjsWriteback == nil || got != *v.YjsWriteback {
					t.Fatalf("writeback %q, upstream %v", got, v.YjsWriteback)
				}
				return
			}
			for _, keep := range v.InvalidKeepsText {
				if !strings.Contains(got, keep) {
					t.Errorf("text %q lost: writeback %q", keep, got)
				}
			}
		})
	}
}

// The direct encoder and the Yjs transaction path produce the same bytes,
// on every vector document and on generated ones.
func TestEncodeSeedMatchesTransaction(t *testing.T) {
	var docs []*Node
	for _, dir := range corpusDirs {
		for _, v := range loadManifest(t, dir).Vectors {
			docs = append(docs, ParseMarkdown(readFile(t, filepath.Join(dir, v.Name+".md"))))
		}
	}
	g := &docGen{r: rand.New(rand.NewSource(13))}
	for i := 0; i < 200; i++ {
		docs = append(docs, g.doc())
	}
	for i, d := range docs {
		id := uint64(1 + i%5*1000003)
		y := yjs.NewDoc(yjs.Options{ClientID: id})
		if _, err := seedTransaction(y, d); err != nil {
			t.Fatal(err)
		}
		want, err := y.EncodeStateAsUpdate(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := EncodeSeed(d, id); !bytes.Equal(got, want) {
			t.Fatalf("document %d: direct encoding differs\n got %x\nwant %x", i, got, want)
		}
	}
}

// SeedDocument's two paths (fresh document: apply the encoded update;
// document with history: transaction) leave the same content.
func TestSeedDocumentPaths(t *testing.T) {
	d := ParseMarkdown(readFile(t, "testdata/upstream/mixed-document.md"))
	fresh := yjs.NewDoc(yjs.Options{ClientID: 4})
	if ok, err := SeedDocument(fresh, d); err != nil || !ok {
		t.Fatal(ok, err)
	}
	used := yjs.NewDoc(yjs.Options{ClientID: 4})
	if _, err := used.Transact(nil, func(tx *yjs.Txn) error {
		return used.Map("meta").Set(tx, "k", "v")
	}); err != nil {
		t.Fatal(err)
	}
	if ok, err := SeedDocument(used, d); err != nil || !ok {
		t.Fatal(ok, err)
	}
	want := readFile(t, "testdata/upstream/mixed-document.canonical.md")
	for name, doc := range map[string]*yjs.Doc{"fresh": fresh, "with history": used} {
		if got := DocumentToMarkdown(doc); got != want {
			t.Errorf("%s: %q", name, got)
		}
	}
	u, err := fresh.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(u, EncodeSeed(d, 4)) {
		t.Error("fresh seeded state differs from the encoded seed")
	}
}

// Rooms convert in parallel: the package-level parser and shared attribute
// maps must be safe for concurrent use (run with -race).
func TestConcurrentConversions(t *testing.T) {
	md := readFile(t, "testdata/upstream/mixed-document.md")
	want := readFile(t, "testdata/upstream/mixed-document.canonical.md")
	done := make(chan string, 8)
	for g := 0; g < 8; g++ {
		go func(id uint64) {
			u, err := MarkdownToUpdate(md, id)
			if err != nil {
				done <- err.Error()
				return
			}
			doc := yjs.NewDoc(yjs.Options{ClientID: id + 100})
			if err := doc.ApplyUpdate(u); err != nil {
				done <- err.Error()
				return
			}
			done <- DocumentToMarkdown(doc)
		}(uint64(g + 1))
	}
	for g := 0; g < 8; g++ {
		if got := <-done; got != want {
			t.Fatalf("got %q", got)
		}
	}
}
