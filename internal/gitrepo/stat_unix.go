//go:build linux || darwin || freebsd || netbsd || openbsd

package gitrepo

import (
	"fmt"
	"os"
	"syscall"
)

// fileIdent identifies one version of a file: git replaces files by rename,
// so a new inode or a new change time means new content.
type fileIdent struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64
}

func (f fileIdent) String() string {
	return fmt.Sprintf("%d:%d:%d:%d:%d", f.dev, f.ino, f.size, f.mtime, f.ctime)
}

func fileIdentOf(fi os.FileInfo) fileIdent {
	id := fileIdent{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		id.dev, id.ino = uint64(st.Dev), uint64(st.Ino)
		sec, nsec := ctime(st)
		id.ctime = sec*1e9 + nsec
	}
	return id
}

// fillStat copies the stat data git keeps in an index entry, so that git
// trusts the entry without rehashing the file.
func fillStat(e *idxEntry, fi os.FileInfo) {
	e.mtimeS, e.mtimeN = uint32(fi.ModTime().Unix()), uint32(fi.ModTime().Nanosecond())
	e.ctimeS, e.ctimeN = e.mtimeS, e.mtimeN
	e.size = uint32(fi.Size())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sec, nsec := ctime(st)
		e.ctimeS, e.ctimeN = uint32(sec), uint32(nsec)
		e.dev, e.ino = uint32(st.Dev), uint32(st.Ino)
		e.uid, e.gid = st.Uid, st.Gid
	}
}

// statMatches reports whether fi is the file an index entry was made from,
// comparing what git compares by default (not dev, which git ignores).
func statMatches(e *idxEntry, fi os.FileInfo) bool {
	var want idxEntry
	fillStat(&want, fi)
	return e.size == want.size && e.mtimeS == want.mtimeS && e.mtimeN == want.mtimeN &&
		e.ctimeS == want.ctimeS && e.ctimeN == want.ctimeN &&
		e.ino == want.ino && e.uid == want.uid && e.gid == want.gid
}
