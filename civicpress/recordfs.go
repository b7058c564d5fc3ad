package civicpress

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/civicpress/civicpress-go/internal/recordfile"
)

// tempMarker names the temporary files of atomic writes; recovery deletes
// any left behind by a crash instead of committing them.
const tempMarker = ".civictmp-"

// isTempFile reports whether a path is a leftover temporary file: ours, or
// the ".<name>.*.tmp" files of the core's configuration writes.
func isTempFile(rel string) bool {
	base := filepath.Base(rel)
	return strings.HasPrefix(base, ".") && (strings.Contains(base, tempMarker) || strings.HasSuffix(base, ".tmp"))
}

// writeDurable replaces path with data atomically and durably: a temporary
// file in the same directory, fsync, rename over path, fsync of the
// directory. Readers see the old file or the new one, never a mix, and a
// crash leaves one of the two.
func writeDurable(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, "."+filepath.Base(path)+tempMarker+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("civicpress: write %s: %w", filepath.Base(path), err)
	}
	return syncDir(dir)
}

// removeDurable deletes path (if present) and makes the deletion durable.
func removeDurable(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("civicpress: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !isSyncUnsupported(err) {
		return fmt.Errorf("civicpress: sync %s: %w", dir, err)
	}
	return nil
}

// abs turns a data-relative slash path into a file path.
func (c *Core) abs(rel string) string { return filepath.Join(c.paths.DataDir, filepath.FromSlash(rel)) }

// fileCache keeps parsed record files, keyed by path and checked against
// the file's identity (size, modification time, inode) on every use, so a
// file changed by anyone is read again. Writes replace files by rename, so a
// file's content never changes under an unchanged identity.
type fileCache struct {
	mu sync.Mutex
	m  map[string]cachedFile
}

type cachedFile struct {
	id   fileID
	rec  *recordfile.Record
	data []byte
}

const fileCacheSize = 4096

// load returns the parsed file at abs (the shared cached value: callers
// must not modify it) and its bytes.
func (fc *fileCache) load(abs string) (*recordfile.Record, []byte, error) {
	if st, err := os.Stat(abs); err == nil {
		fc.mu.Lock()
		e, ok := fc.m[abs]
		fc.mu.Unlock()
		if ok && e.id == identity(st) {
			return e.rec, e.data, nil
		}
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	data := make([]byte, st.Size())
	if _, err := readFull(f, data); err != nil {
		return nil, nil, err
	}
	rec, err := recordfile.Parse(data)
	if err != nil {
		return nil, data, err
	}
	fc.mu.Lock()
	if fc.m == nil {
		fc.m = map[string]cachedFile{}
	}
	if len(fc.m) >= fileCacheSize {
		for k := range fc.m { // evict an arbitrary entry
			delete(fc.m, k)
			break
		}
	}
	fc.m[abs] = cachedFile{id: identity(st), rec: rec, data: data}
	fc.mu.Unlock()
	return rec, data, nil
}

func (fc *fileCache) forget(abs string) {
	fc.mu.Lock()
	delete(fc.m, abs)
	fc.mu.Unlock()
}

func readFull(f *os.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// failpoint, when set (tests), is called at each step of a record write; an
// error it returns makes the write fail there. errCrash makes the write stop
// dead, as if the process died: nothing is undone.
var failpoint func(step string) error

var errCrash = fmt.Errorf("civicpress: simulated crash")

func fail(step string) error {
	if failpoint == nil {
		return nil
	}
	return failpoint(step)
}
