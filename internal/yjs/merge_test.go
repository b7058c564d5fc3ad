package yjs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// TestMergeDiffMatchYjs: MergeUpdates, DiffUpdate and
// EncodeStateVectorFromUpdate give yjs's bytes on subsets of recorded
// sessions (out of order, with gaps), and applying the merged update equals
// applying its parts.
func TestMergeDiffMatchYjs(t *testing.T) {
	f, err := os.Open("testdata/differential/merge-vectors.bin.gz")
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
		parts := make([][]byte, d.ReadLen())
		for j := range parts {
			parts[j] = s.updates[d.ReadLen()]
		}
		wantMerged, wantDiff, wantSV := d.ReadVarBytes(), d.ReadVarBytes(), d.ReadVarBytes()
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
		if len(parts) == 0 {
			continue
		}
		merged, err := MergeUpdates(parts...)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(merged, wantMerged) {
			t.Errorf("%s: merge differs\n got %x\nwant %x", s.name, merged, wantMerged)
			continue
		}
		diff, err := DiffUpdate(merged, s.checkpoints[0].sv)
		if err != nil || !bytes.Equal(diff, wantDiff) {
			t.Errorf("%s: diff differs (%v)\n got %x\nwant %x", s.name, err, diff, wantDiff)
		}
		sv, err := EncodeStateVectorFromUpdate(merged)
		if err != nil || !bytes.Equal(sv, wantSV) {
			t.Errorf("%s: state vector from update %x, want %x (%v)", s.name, sv, wantSV, err)
		}
		a := NewDoc(Options{ClientID: 1, NoGC: !s.gc})
		b := NewDoc(Options{ClientID: 1, NoGC: !s.gc})
		makeRoots(a)
		makeRoots(b)
		for _, p := range parts {
			a.ApplyUpdate(p)
		}
		b.ApplyUpdate(merged)
		if a.HasPending() || b.HasPending() {
			continue // yjs can strand structs depending on arrival (see FuzzApplyAnyOrder)
		}
		// formatting may differ: yjs's formatting cleanup depends on arrival
		if contentFingerprint(a) != contentFingerprint(b) || !bytes.Equal(a.EncodeStateVector(), b.EncodeStateVector()) {
			t.Errorf("%s: merged update applies differently from its parts", s.name)
		}
	}
}
