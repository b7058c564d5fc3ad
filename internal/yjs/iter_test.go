package yjs

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// checkReads compares the sequences with the slices they stand for on
// every node under t.
func checkReads(t *testing.T, name string, children func() []any, seq func(func(any) bool)) {
	t.Helper()
	want := children()
	var got []any
	for v := range seq {
		got = append(got, v)
	}
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("%s: ChildrenSeq gave %d values, Children %d", name, len(got), len(want))
	}
	// Stopping early stops the sequence.
	n := 0
	for range seq {
		n++
		break
	}
	if n > 1 {
		t.Fatalf("%s: break did not stop the sequence", name)
	}
	for _, v := range want {
		switch x := v.(type) {
		case XmlElement:
			checkReads(t, name+"/"+x.NodeName(), x.Children, x.ChildrenSeq())
		case XmlText:
			checkRuns(t, name+"/#text", x.Delta(), x.Runs())
		}
	}
}

// formattedRuns counts the runs with attributes the tests saw.
var formattedRuns int

func checkRuns(t *testing.T, name string, delta []DeltaOp, runs func(func(Run) bool)) {
	t.Helper()
	i := 0
	for r := range runs {
		if r.Attributes != nil {
			formattedRuns++
		}
		if i >= len(delta) {
			t.Fatalf("%s: more runs than delta ops (%d)", name, len(delta))
		}
		op := delta[i]
		var insert any = r.Embed
		if r.Text != nil {
			insert = string(r.Text)
		}
		if !reflect.DeepEqual(insert, op.Insert) {
			t.Fatalf("%s: run %d inserts %#v, delta %#v", name, i, insert, op.Insert)
		}
		ga, _ := lib0.Stringify(r.Attributes)
		wa, _ := lib0.Stringify(op.Attributes)
		if (r.Attributes == nil) != (op.Attributes == nil) || ga != wa {
			t.Fatalf("%s: run %d attributes %s, delta %s", name, i, ga, wa)
		}
		i++
	}
	if i != len(delta) {
		t.Fatalf("%s: %d runs, %d delta ops", name, i, len(delta))
	}
}

// TestReadSequencesMatchSlices replays the sessions recorded with real yjs
// (concurrent XML and rich-text edits, formatting, deletions) and checks
// the allocation-free reads against Children and Delta at every delivery.
func TestReadSequencesMatchSlices(t *testing.T) {
	ss, err := readScenarioFile("testdata/differential/yjs-scenarios.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range ss {
		doc := NewDoc(Options{ClientID: 4242, NoGC: !s.gc})
		makeRoots(doc)
		for i, d := range s.deliveries {
			if err := doc.ApplyUpdate(s.updates[d]); err != nil {
				t.Fatal(err)
			}
			if i%3 != 2 && i != len(s.deliveries)-1 {
				continue
			}
			name := fmt.Sprintf("%s@%d", s.name, i)
			frag := doc.XmlFragment("xml")
			checkReads(t, name, frag.Children, frag.ChildrenSeq())
			text := doc.Text("text")
			checkRuns(t, name+"/text", text.Delta(), text.Runs())
			// A loop nested in another and a loop left early leave the
			// reused scratch state consistent.
			for range text.Runs() {
				checkRuns(t, name+"/nested", text.Delta(), text.Runs())
				break
			}
			checkRuns(t, name+"/after", text.Delta(), text.Runs())
			checked++
		}
	}
	if checked < 1000 || formattedRuns < 1000 {
		t.Fatalf("only %d states checked, %d formatted runs", checked, formattedRuns)
	}
}

func TestReadSequencesPreliminary(t *testing.T) {
	el := NewXmlElement("p")
	x := NewXmlText()
	if err := el.Insert(nil, 0, x, NewXmlElement("b")); err != nil {
		t.Fatal(err)
	}
	checkReads(t, "prelim", el.Children, el.ChildrenSeq())
}

// A list value inside a text (only a hostile update can put one there)
// does not split the characters around it: Delta skips it.
func TestRunsSkipListContentInText(t *testing.T) {
	var e lib0.Encoder
	e.WriteVarUint(1) // clients
	e.WriteVarUint(4) // structs
	e.WriteVarUint(1) // client
	e.WriteVarUint(0) // first clock
	e.WriteUint8(7)   // ContentType, parent follows
	e.WriteVarUint(1)
	e.WriteVarString("x")
	e.WriteVarUint(6) // YXmlText
	e.WriteUint8(4)   // ContentString in the text (1,0)
	e.WriteVarUint(0)
	e.WriteVarUint(1)
	e.WriteVarUint(0)
	e.WriteVarString("ab")
	e.WriteUint8(8 | 0x80) // ContentAny after (1,2)
	e.WriteVarUint(1)
	e.WriteVarUint(2)
	e.WriteVarUint(1)
	e.WriteAny(float64(5))
	e.WriteUint8(4 | 0x80) // ContentString after (1,3)
	e.WriteVarUint(1)
	e.WriteVarUint(3)
	e.WriteVarString("cd")
	e.WriteVarUint(0) // delete set
	doc := NewDoc(Options{ClientID: 9})
	if err := doc.ApplyUpdate(e.Buf); err != nil {
		t.Fatal(err)
	}
	x := doc.XmlFragment("x").Children()[0].(XmlText)
	d := x.Delta()
	if len(d) != 1 || d[0].Insert != "abcd" {
		t.Fatalf("delta %#v", d)
	}
	checkRuns(t, "any-in-text", d, x.Runs())
}
