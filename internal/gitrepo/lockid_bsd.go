//go:build darwin || freebsd || netbsd

package gitrepo

import (
	"fmt"
	"os"
	"syscall"
)

// lockIdentOf names the file f is open on, not its content: device, inode
// and birth time, which writes and renames leave alone.
func lockIdentOf(f *os.File) string { return statIdent(f.Stat()) }

// lockIdentAt is lockIdentOf for whatever file is at path now ("" if none).
func lockIdentAt(path string) string { return statIdent(os.Lstat(path)) }

func statIdent(fi os.FileInfo, err error) string {
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	birth := int64(st.Birthtimespec.Sec)*1e9 + int64(st.Birthtimespec.Nsec)
	return fmt.Sprintf("%d:%d:%d", uint64(st.Dev), uint64(st.Ino), birth)
}
