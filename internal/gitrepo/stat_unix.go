//go:build unix

package gitrepo

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing/format/index"
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
		id.ctime = time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec)).UnixNano()
	}
	return id
}

// fillStat copies the stat data git keeps in an index entry, so that git
// trusts the entry without rehashing the file.
func fillStat(e *index.Entry, fi os.FileInfo) {
	e.ModifiedAt = fi.ModTime()
	e.Size = uint32(fi.Size())
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.CreatedAt = time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec))
		e.Dev, e.Inode = uint32(st.Dev), uint32(st.Ino)
		e.UID, e.GID = st.Uid, st.Gid
	}
}

// statMatches reports whether fi is the file an index entry was made from,
// comparing what git compares by default.
func statMatches(e *index.Entry, fi os.FileInfo) bool {
	if e.Size != uint32(fi.Size()) || !e.ModifiedAt.Equal(fi.ModTime()) {
		return false
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if e.Inode != uint32(st.Ino) || e.UID != st.Uid || e.GID != st.Gid {
			return false
		}
		if !e.CreatedAt.Equal(time.Unix(int64(st.Ctim.Sec), int64(st.Ctim.Nsec))) {
			return false
		}
	}
	return true
}
