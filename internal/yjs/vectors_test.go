package yjs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

type ytree struct {
	Fragment string      `json:"fragment"`
	ClientID uint64      `json:"clientID"`
	ToJSON   string      `json:"toJSON"`
	Children []ytreeNode `json:"children"`
}

type ytreeNode struct {
	Kind       string          `json:"kind"`
	NodeName   string          `json:"nodeName"`
	Attributes json.RawMessage `json:"attributes"`
	Children   []ytreeNode     `json:"children"`
	Length     int             `json:"length"`
	Delta      json.RawMessage `json:"delta"`
}

func loadVectors(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("testdata/vectors/*.ydoc.bin")
	if err != nil || len(names) != 20 {
		t.Fatalf("expected 20 vectors, got %d (%v)", len(names), err)
	}
	return names
}

func mustParseJSON(t *testing.T, raw []byte) any {
	t.Helper()
	v, err := lib0.Parse(string(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	return v
}

func jsonOf(v any) string {
	s, _ := lib0.Stringify(v)
	return s
}

// compareTree checks the children of a fragment or element against the dump.
func compareTree(t *testing.T, path string, got []any, want []ytreeNode) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d children, want %d", path, len(got), len(want))
	}
	for i, w := range want {
		p := path + "/" + w.Kind
		switch w.Kind {
		case "XmlElement":
			el, ok := got[i].(XmlElement)
			if !ok {
				t.Fatalf("%s[%d]: got %T, want XmlElement", path, i, got[i])
			}
			if el.NodeName() != w.NodeName {
				t.Errorf("%s[%d]: nodeName %q, want %q", path, i, el.NodeName(), w.NodeName)
			}
			if g, e := jsonOf(el.Attributes()), jsonOf(mustParseJSON(t, w.Attributes)); g != e {
				t.Errorf("%s[%d]: attributes %s, want %s", path, i, g, e)
			}
			compareTree(t, p+"("+w.NodeName+")", el.Children(), w.Children)
		case "XmlText":
			x, ok := got[i].(XmlText)
			if !ok {
				t.Fatalf("%s[%d]: got %T, want XmlText", path, i, got[i])
			}
			if x.Len() != w.Length {
				t.Errorf("%s[%d]: length %d, want %d", path, i, x.Len(), w.Length)
			}
			if g, e := jsonOf(deltaJSON(x.Delta())), jsonOf(mustParseJSON(t, w.Delta)); g != e {
				t.Errorf("%s[%d]: delta %s, want %s", path, i, g, e)
			}
		default:
			t.Fatalf("unknown kind %q", w.Kind)
		}
	}
}

// deltaJSON renders a delta as Yjs's toDelta() JSON.
func deltaJSON(ops []DeltaOp) []any {
	out := make([]any, 0, len(ops))
	for _, op := range ops {
		o := lib0.NewObject()
		o.Set("insert", ToJSON(op.Insert))
		if op.Attributes != nil {
			o.Set("attributes", op.Attributes)
		}
		out = append(out, o)
	}
	return out
}

func readTree(t *testing.T, bin string) ytree {
	t.Helper()
	raw, err := os.ReadFile(strings.TrimSuffix(bin, ".ydoc.bin") + ".ytree.json")
	if err != nil {
		t.Fatal(err)
	}
	var tr ytree
	if err := json.Unmarshal(raw, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestEditorVectorsDecode: every upstream vector decodes to the tree its
// ytree.json shows, and re-encodes to the same bytes.
func TestEditorVectorsDecode(t *testing.T) {
	for _, bin := range loadVectors(t) {
		name := strings.TrimSuffix(filepath.Base(bin), ".ydoc.bin")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			tr := readTree(t, bin)
			doc := NewDoc(Options{ClientID: 99})
			if err := doc.ApplyUpdate(data); err != nil {
				t.Fatal(err)
			}
			frag := doc.XmlFragment(tr.Fragment)
			if got := frag.String(); got != tr.ToJSON {
				t.Errorf("toJSON:\n got %s\nwant %s", got, tr.ToJSON)
			}
			compareTree(t, "", frag.Children(), tr.Children)
			again, err := doc.EncodeStateAsUpdate(nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, data) {
				t.Errorf("re-encoded state differs:\n got %x\nwant %x", again, data)
			}
		})
	}
}

// buildPrelim turns the dump back into preliminary types the way
// y-prosemirror builds them (attributes and children set before insertion).
func buildPrelim(t *testing.T, n ytreeNode) any {
	t.Helper()
	switch n.Kind {
	case "XmlElement":
		el := NewXmlElement(n.NodeName)
		attrs := mustParseJSON(t, n.Attributes).(*lib0.Object)
		for i := 0; i < attrs.Len(); i++ {
			k, v := attrs.At(i)
			if err := el.SetAttribute(nil, k, v); err != nil {
				t.Fatal(err)
			}
		}
		var kids []any
		for _, c := range n.Children {
			kids = append(kids, buildPrelim(t, c))
		}
		if err := el.Insert(nil, 0, kids...); err != nil {
			t.Fatal(err)
		}
		return el
	case "XmlText":
		x := NewXmlText()
		var delta []DeltaOp
		for _, op := range mustParseJSON(t, n.Delta).([]any) {
			o := op.(*lib0.Object)
			ins, _ := o.Get("insert")
			d := DeltaOp{Insert: ins}
			if a, ok := o.Get("attributes"); ok {
				d.Attributes = a.(*lib0.Object)
			}
			delta = append(delta, d)
		}
		if err := x.ApplyDelta(nil, delta); err != nil {
			t.Fatal(err)
		}
		return x
	}
	t.Fatalf("unknown kind %q", n.Kind)
	return nil
}

// TestEditorVectorsSeed: building the same tree with the editing API and
// client id 1 reproduces the vector bytes exactly (what internal/pmdoc does).
func TestEditorVectorsSeed(t *testing.T) {
	for _, bin := range loadVectors(t) {
		name := strings.TrimSuffix(filepath.Base(bin), ".ydoc.bin")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			tr := readTree(t, bin)
			doc := NewDoc(Options{ClientID: tr.ClientID})
			frag := doc.XmlFragment(tr.Fragment)
			var nodes []any
			for _, c := range tr.Children {
				nodes = append(nodes, buildPrelim(t, c))
			}
			update, err := doc.Transact(nil, func(tx *Txn) error { return frag.Insert(tx, 0, nodes...) })
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(update, data) {
				t.Errorf("transaction update differs:\n got %x\nwant %x", update, data)
			}
			state, _ := doc.EncodeStateAsUpdate(nil)
			if !bytes.Equal(state, data) {
				t.Errorf("state differs:\n got %x\nwant %x", state, data)
			}
		})
	}
}
