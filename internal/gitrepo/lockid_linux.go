//go:build linux

package gitrepo

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// lockIdentOf names the file f is open on, not its content: device, inode
// and birth time. Writing the file, or renaming it, changes none of them.
func lockIdentOf(f *os.File) string {
	rc, err := f.SyscallConn()
	if err != nil {
		return ""
	}
	var st unix.Statx_t
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.Statx(int(fd), "", unix.AT_EMPTY_PATH, unix.STATX_INO|unix.STATX_BTIME, &st)
	}); err != nil {
		return ""
	}
	if serr != nil {
		return statIdent(f.Stat())
	}
	return statxIdent(&st)
}

// lockIdentAt is lockIdentOf for whatever file is at path now ("" if none).
func lockIdentAt(path string) string {
	var st unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW, unix.STATX_INO|unix.STATX_BTIME, &st)
	if err != nil {
		return statIdent(os.Lstat(path))
	}
	return statxIdent(&st)
}

func statxIdent(st *unix.Statx_t) string {
	var birth int64
	if st.Mask&unix.STATX_BTIME != 0 {
		birth = st.Btime.Sec*1e9 + int64(st.Btime.Nsec)
	}
	return fmt.Sprintf("%d:%d:%d", unix.Mkdev(st.Dev_major, st.Dev_minor), st.Ino, birth)
}

// statIdent is the identity without a birth time, for kernels without statx.
func statIdent(fi os.FileInfo, err error) string {
	if err != nil {
		return ""
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%d:%d:0", uint64(st.Dev), uint64(st.Ino))
}
