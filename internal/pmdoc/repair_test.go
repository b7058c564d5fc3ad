package pmdoc

import (
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// Client-made content that upstream's reader deletes from the shared
// document: this reader keeps the clerks' text and leaves the document alone.
func TestInvalidContentDegradesToText(t *testing.T) {
	doc := yjs.NewDoc(yjs.Options{ClientID: 5})
	frag := doc.XmlFragment(Fragment)
	bold := lib0.NewObject()
	bold.Set("bold", lib0.NewObject())
	strong := lib0.NewObject()
	strong.Set("strong", lib0.NewObject())

	tiptapList := yjs.NewXmlElement("bulletList") // TipTap's name, not the schema's
	item := yjs.NewXmlElement("listItem")
	p := yjs.NewXmlElement("paragraph")
	x := yjs.NewXmlText()
	if err := x.ApplyDelta(nil, []yjs.DeltaOp{{Insert: "keep me"}}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, p, x)
	mustInsert(t, item, p)
	mustInsert(t, tiptapList, item)

	code := yjs.NewXmlElement("code_block")
	cx := yjs.NewXmlText()
	if err := cx.ApplyDelta(nil, []yjs.DeltaOp{{Insert: "x = 1", Attributes: strong}}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, code, cx)

	para := yjs.NewXmlElement("paragraph")
	px := yjs.NewXmlText()
	if err := px.ApplyDelta(nil, []yjs.DeltaOp{{Insert: "plain "}, {Insert: "bold", Attributes: bold}}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, para, px)

	badItem := yjs.NewXmlElement("bullet_list")
	li := yjs.NewXmlElement("list_item")
	h := yjs.NewXmlElement("heading")
	hx := yjs.NewXmlText()
	if err := hx.ApplyDelta(nil, []yjs.DeltaOp{{Insert: "title"}}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, h, hx)
	mustInsert(t, li, h)
	mustInsert(t, badItem, li)

	if _, err := doc.Transact(nil, func(tx *yjs.Txn) error {
		return frag.Insert(tx, 0, tiptapList, code, para, badItem)
	}); err != nil {
		t.Fatal(err)
	}
	before, _ := doc.EncodeStateAsUpdate(nil)

	n, repairs := ReadFragment(frag)
	md := SerializeMarkdown(n)
	for _, want := range []string{"keep me", "x = 1", "plain bold", "# title"} {
		if !strings.Contains(md, want) {
			t.Errorf("text %q lost; writeback:\n%s", want, md)
		}
	}
	if len(repairs) < 4 {
		t.Errorf("repairs not reported: %+v", repairs)
	}
	after, _ := doc.EncodeStateAsUpdate(nil)
	if string(before) != string(after) {
		t.Error("reading changed the shared document")
	}
}

func mustInsert(t *testing.T, el yjs.XmlElement, kids ...any) {
	t.Helper()
	if err := el.Insert(nil, 0, kids...); err != nil {
		t.Fatal(err)
	}
}

// A top-level XmlText makes upstream throw and write no draft; here its
// text survives as a paragraph.
func TestTopLevelTextKept(t *testing.T) {
	doc := yjs.NewDoc(yjs.Options{ClientID: 5})
	frag := doc.XmlFragment(Fragment)
	x := yjs.NewXmlText()
	if err := x.ApplyDelta(nil, []yjs.DeltaOp{{Insert: "stray"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Transact(nil, func(tx *yjs.Txn) error { return frag.Insert(tx, 0, x) }); err != nil {
		t.Fatal(err)
	}
	if got := DocumentToMarkdown(doc); got != "stray" {
		t.Fatalf("got %q", got)
	}
}

func TestRepairPathsPointAtTheContent(t *testing.T) {
	doc := yjs.NewDoc(yjs.Options{ClientID: 5})
	frag := doc.XmlFragment(Fragment)
	p := yjs.NewXmlElement("paragraph")
	x := yjs.NewXmlText()
	if err := x.ApplyDelta(nil, []yjs.DeltaOp{{Insert: "ok"}}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, p, x)
	bad := yjs.NewXmlElement("bulletList")
	if _, err := doc.Transact(nil, func(tx *yjs.Txn) error { return frag.Insert(tx, 0, p, bad) }); err != nil {
		t.Fatal(err)
	}
	_, repairs := ReadFragment(frag)
	if len(repairs) != 1 || repairs[0].Path != "1:bulletList" {
		t.Fatalf("repairs = %+v, want one at 1:bulletList", repairs)
	}
}

// editor-schema.md §5.4: attribute values are not type-checked on read
// (level "3" prints "###"), a civicRef without attributes takes the
// defaults, and a link whose href is null (TipTap's default) keeps its text
// here where upstream's serializer throws.
func TestWritebackAttributeEdgeCases(t *testing.T) {
	doc := yjs.NewDoc(yjs.Options{ClientID: 8})
	frag := doc.XmlFragment(Fragment)
	h := yjs.NewXmlElement("heading")
	if err := h.SetAttribute(nil, "level", "3"); err != nil {
		t.Fatal(err)
	}
	hx := yjs.NewXmlText()
	if err := hx.ApplyDelta(nil, []yjs.DeltaOp{{Insert: "Title"}}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, h, hx)
	p := yjs.NewXmlElement("paragraph")
	link := lib0.NewObject()
	attrs := lib0.NewObject()
	attrs.Set("href", nil)
	link.Set("link", attrs)
	px := yjs.NewXmlText()
	if err := px.ApplyDelta(nil, []yjs.DeltaOp{{Insert: "see "}, {Insert: "here", Attributes: link}}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, p, px, yjs.NewXmlElement("civicRef"))
	if _, err := doc.Transact(nil, func(tx *yjs.Txn) error { return frag.Insert(tx, 0, h, p) }); err != nil {
		t.Fatal(err)
	}
	want := "### Title\n\nsee here<!--civic-ref type=\"record\" id=\"\" label=\"\"-->"
	if got := DocumentToMarkdown(doc); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}
