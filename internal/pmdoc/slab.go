package pmdoc

// slab hands out values from large blocks, so that a document's thousands
// of nodes and content slices cost a few allocations; a pooled slab is
// reset and reused by the next conversion.
type slab[T any] struct {
	chunks    [][]T
	cur, used int // chunk in use, values used in it
}

// take returns n consecutive zero values with no spare capacity (appending
// to the result cannot reach a neighbour).
func (s *slab[T]) take(n int) []T {
	for {
		if s.cur < len(s.chunks) {
			c := s.chunks[s.cur]
			if s.used+n <= len(c) {
				out := c[s.used : s.used+n : s.used+n]
				s.used += n
				return out
			}
			if s.cur+1 < len(s.chunks) || s.used > 0 {
				s.cur++
				s.used = 0
				continue
			}
		}
		size := 256
		if k := len(s.chunks); k > 0 {
			size = min(2*len(s.chunks[k-1]), 1<<14)
		}
		s.chunks = append(s.chunks, make([]T, max(size, n)))
		s.cur = len(s.chunks) - 1
		s.used = 0
	}
}

// one returns a pointer to a fresh zero value.
func (s *slab[T]) one() *T { return &s.take(1)[0] }

// reset zeroes everything handed out (dropping its references) and makes
// it available again.
func (s *slab[T]) reset() {
	for i := 0; i <= s.cur && i < len(s.chunks); i++ {
		if i < s.cur {
			clear(s.chunks[i])
		} else {
			clear(s.chunks[i][:s.used])
		}
	}
	s.cur, s.used = 0, 0
}

// nodeBuilder is the node storage both directions build documents with:
// nodes and content slices from slabs, and one stack of the content being
// built (innermost on top) copied into a content slice once complete.
type nodeBuilder struct {
	nodes slab[Node]
	ptrs  slab[*Node]
	stack []*Node
}

func (b *nodeBuilder) push(n *Node) { b.stack = append(b.stack, n) }

// pop removes the nodes above from and returns them as a content slice.
func (b *nodeBuilder) pop(from int) []*Node {
	n := len(b.stack) - from
	if n <= 0 {
		return nil
	}
	out := b.ptrs.take(n)
	copy(out, b.stack[from:])
	clear(b.stack[from:])
	b.stack = b.stack[:from]
	return out
}

// resetNodes makes the storage available again, dropping every reference
// into the last document.
func (b *nodeBuilder) resetNodes() {
	b.nodes.reset()
	b.ptrs.reset()
	clear(b.stack)
	b.stack = b.stack[:0]
}
