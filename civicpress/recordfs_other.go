//go:build !unix

package civicpress

import "os"

type fileID struct{ size, mtime int64 }

func identity(fi os.FileInfo) fileID { return fileID{fi.Size(), fi.ModTime().UnixNano()} }

// Directories cannot be synced everywhere (Windows): renames are durable
// enough there once the file itself is synced.
func isSyncUnsupported(error) bool { return true }

// exists reports whether path names something.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
