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
