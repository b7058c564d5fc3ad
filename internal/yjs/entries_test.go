package yjs

import (
	"fmt"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// Map entries live in a slice that gains an index past a dozen keys; both
// forms must keep JavaScript Map order and find every key.
func TestMapEntriesManyKeys(t *testing.T) {
	doc := NewDoc(Options{ClientID: 1})
	m := doc.Map("m")
	const n = 40
	for round := 0; round < 2; round++ {
		if _, err := doc.Transact(nil, func(tx *Txn) error {
			for i := 0; i < n; i++ {
				if err := m.Set(tx, fmt.Sprintf("k%02d", (i*7)%n), float64(round*100+i)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		keys := m.Keys()
		if len(keys) != n {
			t.Fatalf("round %d: %d keys", round, len(keys))
		}
		for i, k := range keys {
			if want := fmt.Sprintf("k%02d", (i*7)%n); k != want {
				t.Fatalf("round %d: key %d is %s, want %s (insertion order)", round, i, k, want)
			}
			v, ok := m.Get(k)
			if !ok || v != float64(round*100+i) {
				t.Fatalf("round %d: %s = %v %v", round, k, v, ok)
			}
		}
	}
	if _, err := doc.Transact(nil, func(tx *Txn) error { return m.Delete(tx, "k07") }); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Get("k07"); ok || m.Len() != n-1 {
		t.Fatalf("delete: len %d", m.Len())
	}
	// A peer rebuilt from the state reads the same map.
	state, err := doc.EncodeStateAsUpdate(nil)
	if err != nil {
		t.Fatal(err)
	}
	peer := NewDoc(Options{ClientID: 2})
	if err := peer.ApplyUpdate(state); err != nil {
		t.Fatal(err)
	}
	a, _ := lib0.Stringify(ToJSON(doc.Map("m")))
	b, _ := lib0.Stringify(ToJSON(peer.Map("m")))
	if a != b {
		t.Fatalf("peer map differs:\n%s\n%s", a, b)
	}
}
