package pmdoc

import "testing"

func TestSlabTakeAndReset(t *testing.T) {
	var s slab[int]
	seen := map[*int]bool{}
	for round := 0; round < 3; round++ {
		for i := 0; i < 2000; i++ {
			n := 1 + i%7
			if i == 1000 {
				n = 5000 // larger than a chunk
			}
			got := s.take(n)
			if len(got) != n || cap(got) != n {
				t.Fatalf("take(%d) gave len %d cap %d", n, len(got), cap(got))
			}
			for j := range got {
				if got[j] != 0 {
					t.Fatalf("round %d: value not zeroed", round)
				}
				if round == 0 && seen[&got[j]] {
					t.Fatalf("value handed out twice")
				}
				seen[&got[j]] = true
				got[j] = i + 1
			}
		}
		chunks := len(s.chunks)
		s.reset()
		if round > 0 && len(s.chunks) != chunks {
			t.Fatalf("reset slab grew from %d to %d chunks", chunks, len(s.chunks))
		}
	}
}
