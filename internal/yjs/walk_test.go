package yjs

import (
	"strings"
	"testing"
)

func TestWalkAndInsertAfter(t *testing.T) {
	d := NewDoc(Options{ClientID: 1})
	f := d.XmlFragment("default")
	list := NewXmlElement("bullet_list")
	item := NewXmlElement("list_item")
	para := NewXmlElement("paragraph")
	txt := NewXmlText()
	txt.Insert(nil, 0, "one", nil)
	para.Insert(nil, 0, txt)
	item.Insert(nil, 0, para)
	list.Insert(nil, 0, item)
	h := NewXmlElement("heading")
	if err := f.Insert(nil, 0, h, list); err != nil {
		t.Fatal(err)
	}
	hr := NewXmlElement("horizontal_rule")
	if err := f.InsertAfter(nil, h, hr); err != nil {
		t.Fatal(err)
	}
	var names []string
	f.Walk(func(n any) bool {
		switch x := n.(type) {
		case XmlElement:
			names = append(names, x.NodeName())
			return x.NodeName() != "paragraph"
		case XmlText:
			names = append(names, "text:"+x.Plain())
		}
		return true
	})
	if got := strings.Join(names, ","); got != "heading,horizontal_rule,bullet_list,list_item,paragraph" {
		t.Errorf("walk %s", got)
	}
	if err := f.InsertAfter(nil, txt, NewXmlElement("x")); err == nil {
		t.Error("InsertAfter accepted a reference that is not a child")
	}
	names = names[:0]
	list.Walk(func(n any) bool {
		if x, ok := n.(XmlText); ok {
			names = append(names, x.Plain())
		}
		return true
	})
	if len(names) != 1 || names[0] != "one" {
		t.Errorf("walk under list: %v", names)
	}
}
