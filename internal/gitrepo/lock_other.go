//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package gitrepo

import "os"

// Without an OS file lock the default Locker serializes only within the
// process; such platforms pass their own Locker for cross-process safety.
func tryLockFile(f *os.File) (bool, error) { return true, nil }

func lockFile(f *os.File) error { return nil }

func unlockFile(f *os.File) {}
