//go:build !unix

package civicpress

// newFileSlots has no cross-process file locks off Unix: records are
// serialized within the process only (run one process per project there).
func newFileSlots(dir string) (crossLocker, error) { return nil, nil }
