//go:build !unix && !windows

package gitrepo

import "os"

// Without a stable file identity a lock file left by a dead commit is never
// taken for ours: it is reported (ErrBusy) for someone to remove.
func lockIdentOf(f *os.File) string { return "" }

func lockIdentAt(path string) string { return "" }
