package yjs

import (
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// nestedUpdate builds an update of n XmlElements each inside the previous one.
func nestedUpdate(n int) []byte {
	var e lib0.Encoder
	e.WriteVarUint(1)
	e.WriteVarUint(uint64(n))
	e.WriteVarUint(5)
	e.WriteVarUint(0)
	for i := 0; i < n; i++ {
		e.WriteUint8(7)
		if i == 0 {
			e.WriteVarUint(1)
			e.WriteVarString("f")
		} else {
			e.WriteVarUint(0)
			e.WriteVarUint(5)
			e.WriteVarUint(uint64(i - 1))
		}
		e.WriteVarUint(3)
		e.WriteVarString("p")
	}
	e.WriteVarUint(0)
	return e.Buf
}

// TestDeepNesting: a hostile update nesting 100,000 elements applies,
// prints (in linear time) and deletes without exhausting the stack.
func TestDeepNesting(t *testing.T) {
	const n = 100000
	d := NewDoc(Options{ClientID: 1})
	if err := d.ApplyUpdate(nestedUpdate(n)); err != nil {
		t.Fatal(err)
	}
	s := d.XmlFragment("f").String()
	if len(s) != n*len("<p></p>") || !strings.HasPrefix(s, "<p><p>") {
		t.Fatalf("string of %d bytes", len(s))
	}
	if err := d.XmlFragment("f").Delete(nil, 0, 1); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats(); st.DeletedStructs != st.Structs {
		t.Errorf("not everything deleted: %+v", st)
	}
}
