package yjs

import (
	"bytes"
	"errors"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

func TestTransactReturnsTheUpdate(t *testing.T) {
	a := NewDoc(Options{ClientID: 1})
	frag := a.XmlFragment("default")
	var seen [][]byte
	var origins []any
	cancel := a.OnUpdate(func(u []byte, origin any) { seen = append(seen, u); origins = append(origins, origin) })
	p := NewXmlElement("paragraph")
	x := NewXmlText()
	x.Insert(nil, 0, "hello", nil)
	p.Insert(nil, 0, x)
	p.SetAttribute(nil, "level", 2)
	u, err := a.Transact("server", func(tx *Txn) error { return frag.Insert(tx, 0, p) })
	if err != nil || len(u) == 0 {
		t.Fatalf("update %x, err %v", u, err)
	}
	if len(seen) != 1 || !bytes.Equal(seen[0], u) || origins[0] != "server" {
		t.Fatalf("OnUpdate got %d updates, origins %v", len(seen), origins)
	}
	// nothing changed: no update
	if u2, err := a.Transact(nil, func(tx *Txn) error { return nil }); u2 != nil || err != nil {
		t.Errorf("empty transaction gave %x, %v", u2, err)
	}
	cancel()
	x.Insert(nil, 5, "!", nil)
	if len(seen) != 1 {
		t.Error("cancelled handler still called")
	}
	// the element is integrated now: its handle reads the document
	if id, ok := p.ID(); !ok || id != (ID{1, 0}) {
		t.Errorf("element id %v %v", id, ok)
	}
	if got := frag.String(); got != `<paragraph level="2">hello!</paragraph>` {
		t.Errorf("fragment %s", got)
	}
	if par, ok := x.Parent().(XmlElement); !ok || par != p {
		t.Errorf("parent of text %v", x.Parent())
	}
	// a peer applying the updates reaches the same document; a duplicate changes nothing
	b := NewDoc(Options{ClientID: 2})
	full, _ := a.EncodeStateAsUpdate(nil)
	if changed, err := b.ApplyUpdateOrigin(full, "peer"); !changed || err != nil {
		t.Fatalf("changed %v err %v", changed, err)
	}
	if changed, _ := b.ApplyUpdateOrigin(full, "peer"); changed {
		t.Error("duplicate update reported a change")
	}
	if b.XmlFragment("default").String() != frag.String() {
		t.Error("peer differs")
	}
	if err := p.Delete(nil, 0, 1); err != nil {
		t.Fatal(err)
	}
	if !x.Deleted() || p.Len() != 0 {
		t.Error("deleted child still visible")
	}
}

func TestEditingErrors(t *testing.T) {
	d := NewDoc(Options{ClientID: 1})
	frag := d.XmlFragment("default")
	el := NewXmlElement("p")
	if err := frag.Insert(nil, 1, el); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("insert past end: %v", err)
	}
	if err := frag.Insert(nil, 0, el); err != nil {
		t.Fatal(err)
	}
	if err := frag.Insert(nil, 0, el); err == nil {
		t.Error("inserting the same type twice accepted")
	}
	if err := frag.Delete(nil, 0, 2); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("delete past end: %v", err)
	}
	if err := frag.Insert(nil, 0, lib0.Undefined{}); err == nil {
		t.Error("undefined accepted as a list value")
	}
	if err := frag.Insert(nil, 0, struct{}{}); err == nil {
		t.Error("a Go struct accepted as a value")
	}
	other := NewDoc(Options{ClientID: 2})
	other.Transact(nil, func(tx *Txn) error {
		if err := frag.Insert(tx, 0, NewXmlText()); err == nil {
			t.Error("transaction of another document accepted")
		}
		return nil
	})
	if _, ok := d.GetRoot("nope"); ok {
		t.Error("missing root reported")
	}
	defer func() {
		if recover() == nil {
			t.Error("asking for a root with another type did not panic")
		}
	}()
	d.Text("default")
}

func TestMapKeyOrderIsJavaScriptOrder(t *testing.T) {
	d := NewDoc(Options{ClientID: 1})
	m := d.Map("m")
	for _, k := range []string{"b", "10", "a", "2", "02"} {
		m.Set(nil, k, k)
	}
	got, _ := lib0.Stringify(ToJSON(m))
	if got != `{"2":"2","10":"10","b":"b","a":"a","02":"02"}` {
		t.Errorf("map JSON %s", got)
	}
	m.Delete(nil, "b")
	if v, ok := m.Get("b"); ok {
		t.Errorf("deleted key still there: %v", v)
	}
	if m.Len() != 4 {
		t.Errorf("len %d", m.Len())
	}
}

func TestClientIDCollisionChangesOurID(t *testing.T) {
	a := NewDoc(Options{ClientID: 5})
	b := NewDoc(Options{ClientID: 5})
	u, _ := a.Transact(nil, func(tx *Txn) error { return XmlText(a.Text("t")).Insert(tx, 0, "x", nil) })
	b.ApplyUpdate(u)
	if b.ClientID() == 5 {
		t.Error("client id kept after a peer used it")
	}
}

func TestPendingUntilDependenciesArrive(t *testing.T) {
	a := NewDoc(Options{ClientID: 1})
	text := a.Text("t")
	u1, _ := a.Transact(nil, func(tx *Txn) error { return text.Insert(tx, 0, "ab", nil) })
	u2, _ := a.Transact(nil, func(tx *Txn) error { return text.Insert(tx, 1, "X", nil) })
	u3, _ := a.Transact(nil, func(tx *Txn) error { return text.Delete(tx, 0, 1) })
	b := NewDoc(Options{ClientID: 2})
	bt := b.Text("t")
	b.ApplyUpdate(u3)
	b.ApplyUpdate(u2)
	st := b.Stats()
	if st.PendingStructs != 1 || st.PendingDeletes != 1 || !b.HasPending() || bt.String() != "" {
		t.Fatalf("stats %+v, text %q", st, bt.String())
	}
	// the pending part is part of the state a peer receives
	if s, _ := b.EncodeStateAsUpdate(nil); len(s) <= 4 {
		t.Errorf("pending structs missing from the encoded state: %x", s)
	}
	b.ApplyUpdate(u1)
	if b.HasPending() || bt.String() != "Xb" || bt.String() != text.String() {
		t.Errorf("after all arrived: %q pending=%v", bt.String(), b.HasPending())
	}
}

func TestMalformedUpdateLeavesDocUnchanged(t *testing.T) {
	d := NewDoc(Options{ClientID: 1})
	d.Text("t").Insert(nil, 0, "keep", nil)
	before, _ := d.EncodeStateAsUpdate(nil)
	peer := NewDoc(Options{ClientID: 9})
	u, _ := peer.Transact(nil, func(tx *Txn) error { return peer.Text("t").Insert(tx, 0, "more", nil) })
	for cut := 1; cut < len(u); cut++ {
		if err := d.ApplyUpdate(u[:cut]); !errors.Is(err, ErrMalformed) {
			t.Errorf("cut %d of %x: %v", cut, u, err)
		}
	}
	if after, _ := d.EncodeStateAsUpdate(nil); !bytes.Equal(before, after) {
		t.Errorf("document changed by truncated updates: %q", d.Text("t").String())
	}
}

// TestInvalidUTF8FromGoIsRepaired: peers decode UTF-8 strictly (lib0 uses a
// fatal TextDecoder), so invalid bytes from Go callers become U+FFFD.
func TestInvalidUTF8FromGoIsRepaired(t *testing.T) {
	a := NewDoc(Options{ClientID: 1})
	el := NewXmlElement("p\xff")
	el.SetAttribute(nil, "k\xfe", "v\xfd")
	x := NewXmlText()
	x.Insert(nil, 0, "a\xffb", nil)
	el.Insert(nil, 0, x)
	u, err := a.Transact(nil, func(tx *Txn) error {
		a.Map("m").Set(tx, "key\xff", []any{"x\xff"})
		return a.XmlFragment("f").Insert(tx, 0, el)
	})
	if err != nil {
		t.Fatal(err)
	}
	b := NewDoc(Options{ClientID: 2})
	if err := b.ApplyUpdate(u); err != nil {
		t.Fatalf("peer rejects our update: %v", err)
	}
	if got := b.XmlFragment("f").String(); got != "<p\ufffd k\ufffd=\"v\ufffd\">a\ufffdb</p\ufffd>" {
		t.Errorf("got %q", got)
	}
	if got, _ := lib0.Stringify(ToJSON(b.Map("m"))); got != "{\"key\ufffd\":[\"x\ufffd\"]}" {
		t.Errorf("map %s", got)
	}
	if x.Len() != 3 {
		t.Errorf("length %d", x.Len())
	}
}
