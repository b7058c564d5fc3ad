package pmdoc

import (
	"errors"
	"math/rand"
	"path/filepath"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs"
)

func TestCheckAcceptsParsedAndGeneratedDocuments(t *testing.T) {
	for _, dir := range corpusDirs {
		for _, v := range loadManifest(t, dir).Vectors {
			if err := ParseMarkdown(readFile(t, filepath.Join(dir, v.Name+".md"))).Check(); err != nil {
				t.Errorf("%s: %v", v.Name, err)
			}
		}
	}
	g := &docGen{r: rand.New(rand.NewSource(31))}
	for i := 0; i < 300; i++ {
		if err := g.doc().Check(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCheckRejectsSchemaViolations(t *testing.T) {
	p := func(c ...*Node) *Node { return newNode("paragraph", nil, c...) }
	cases := map[string]*Node{
		"item without paragraph": newNode("doc", nil, newNode("bullet_list", nil, newNode("list_item", nil, newNode("heading", nil, textNode("h", nil))))),
		"empty list":             newNode("doc", nil, newNode("bullet_list", nil)),
		"bold code":              newNode("doc", nil, newNode("code_block", nil, textNode("x", []Mark{{Type: "strong"}}))),
		"paragraph in paragraph": newNode("doc", nil, p(p(textNode("x", nil)))),
		"unknown node":           newNode("doc", nil, &Node{Type: "bulletList"}),
		"image without src":      newNode("doc", nil, p(newNode("image", nil))),
		"string level":           newNode("doc", nil, newNode("heading", map[string]any{"level": "3"}, textNode("x", nil))),
		"empty text":             newNode("doc", nil, p(textNode("", nil))),
		"empty blockquote":       newNode("doc", nil, newNode("blockquote", nil)),
	}
	for name, doc := range cases {
		if err := doc.Check(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Check() = %v, want ErrInvalid", name, err)
		}
	}
}

// Whatever a client sends, the writeback reader yields a valid document
// (or an empty one for an empty fragment).
func TestReadFragmentAlwaysValid(t *testing.T) {
	m := loadManifest(t, "testdata/generated")
	for _, v := range m.Edits {
		doc := yjs.NewDoc(yjs.Options{ClientID: 3})
		if err := doc.ApplyUpdate([]byte(readFile(t, filepath.Join("testdata/generated", v.Name+".ydoc.bin")))); err != nil {
			t.Fatal(err)
		}
		n, _ := ReadFragment(doc.XmlFragment(Fragment))
		if len(n.Content) == 0 {
			continue
		}
		if err := n.Check(); err != nil {
			t.Errorf("%s: %v", v.Name, err)
		}
	}
}
