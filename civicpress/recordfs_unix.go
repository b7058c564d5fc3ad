//go:build unix

package civicpress

import (
	"errors"
	"os"
	"syscall"
)

// fileID identifies a version of a file.
type fileID struct {
	size, mtime int64
	ino         uint64
}

func identity(fi os.FileInfo) fileID {
	id := fileID{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.ino = uint64(st.Ino)
	}
	return id
}

func isSyncUnsupported(err error) bool { return errors.Is(err, syscall.EINVAL) }

// exists reports whether path names something, as os.Stat would succeed.
// It costs the system call alone: a publish probes some forty places where
// a new record's file might already be, and os.Stat's result and error
// values were most of the allocations of that search.
func exists(path string) bool {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if err != syscall.EINTR {
			return err == nil
		}
	}
}
