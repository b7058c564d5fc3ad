package store

import "context"

// Index generations (see the 20251101000001 migrations): counters that
// every change to an index moves, in the changing transaction, whichever
// program writes. A result computed after reading generation n is current
// for as long as the generation reads n.
const (
	GenSearch  = "search"  // the search entries
	GenRecords = "records" // the records table
)

// IndexGen reads the generation of index name (GenSearch or GenRecords).
func (q Q) IndexGen(ctx context.Context, name string) (int64, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT n FROM civicgo_index_gen WHERE name = ?", []any{name}, &n)
	return n, err
}
