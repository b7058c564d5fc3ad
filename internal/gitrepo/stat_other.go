//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package gitrepo

import (
	"fmt"
	"os"
)

type fileIdent struct {
	size  int64
	mtime int64
}

func (f fileIdent) String() string { return fmt.Sprintf("%d:%d", f.size, f.mtime) }

func fileIdentOf(fi os.FileInfo) fileIdent {
	return fileIdent{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

func fillStat(e *idxEntry, fi os.FileInfo) {
	e.mtimeS, e.mtimeN = uint32(fi.ModTime().Unix()), uint32(fi.ModTime().Nanosecond())
	e.ctimeS, e.ctimeN = e.mtimeS, e.mtimeN
	e.size = uint32(fi.Size())
}

func statMatches(e *idxEntry, fi os.FileInfo) bool {
	var want idxEntry
	fillStat(&want, fi)
	return e.size == want.size && e.mtimeS == want.mtimeS && e.mtimeN == want.mtimeN
}
