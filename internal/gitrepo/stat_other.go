//go:build !unix

package gitrepo

import (
	"fmt"
	"os"

	"github.com/go-git/go-git/v5/plumbing/format/index"
)

type fileIdent struct {
	size  int64
	mtime int64
}

func (f fileIdent) String() string { return fmt.Sprintf("%d:%d", f.size, f.mtime) }

func fileIdentOf(fi os.FileInfo) fileIdent {
	return fileIdent{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

func fillStat(e *index.Entry, fi os.FileInfo) {
	e.ModifiedAt = fi.ModTime()
	e.CreatedAt = fi.ModTime()
	e.Size = uint32(fi.Size())
}

func statMatches(e *index.Entry, fi os.FileInfo) bool {
	return e.Size == uint32(fi.Size()) && e.ModifiedAt.Equal(fi.ModTime())
}
