package yjs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// TestUpdateV2FromYjs: the sessions of the differential set, converted to
// update format v2 by yjs, replay through ApplyUpdateV2 to the same final
// state (and snapshot); yjs's v2 full-state encoding converts to the same v1 bytes as
// yjs's own converter gives.
func TestUpdateV2FromYjs(t *testing.T) {
	f, err := os.Open("testdata/differential/v2-scenarios.bin.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	ss := mustScenarios(t)
	d := lib0.NewDecoder(raw)
	n := d.ReadLen()
	for i := 0; i < n; i++ {
		s := ss[i]
		nu := d.ReadLen()
		v2 := make([][]byte, nu)
		for j := range v2 {
			v2[j] = d.ReadVarBytes()
		}
		state2 := d.ReadVarBytes()
		state1 := d.ReadVarBytes()
		snap := d.ReadVarBytes()
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
		doc := NewDoc(Options{ClientID: 4242, NoGC: !s.gc})
		makeRoots(doc)
		for _, k := range s.deliveries {
			if _, err := doc.ApplyUpdateV2(v2[k], nil); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		final := s.checkpoints[len(s.checkpoints)-1]
		got, _ := doc.EncodeStateAsUpdate(nil)
		if !bytes.Equal(got, final.state) || docState(doc) != final.json {
			t.Errorf("%s: v2 replay differs from v1 replay", s.name)
		}
		if got := doc.Snapshot().Encode(); !bytes.Equal(got, snap) {
			t.Errorf("%s: snapshot %x, want %x", s.name, got, snap)
		}
		if ds, err := DecodeSnapshot(snap); err != nil || !ds.Equal(doc.Snapshot()) {
			t.Errorf("%s: decoded snapshot differs (%v)", s.name, err)
		}
		conv, err := ConvertUpdateV2ToV1(state2)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !bytes.Equal(conv, state1) {
			t.Errorf("%s: v2→v1 conversion differs from yjs\n got %x\nwant %x", s.name, conv, state1)
		}
	}
}
