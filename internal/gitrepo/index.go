package gitrepo

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// indexCache holds .git/index in memory between commits. It is reloaded
// only when the file on disk is not the one this process last read or
// wrote (another process or the git CLI changed it), so a commit costs one
// encode and write of the index, never a decode.
type indexCache struct {
	loaded  bool
	ident   fileIdent
	exists  bool
	mtime   time.Time // of the index file, for git's racy-clean rule
	version uint32
	entries []*index.Entry // sorted by name, then stage
	buf     bytes.Buffer
}

func (r *Repo) indexPath() string { return filepath.Join(r.gitDir, "index") }

// loadIndex brings the cache up to date with the file. Callers hold
// index.lock (or accept a racy read, as Dirty does).
func (c *indexCache) load(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		if !c.loaded || c.exists {
			*c = indexCache{loaded: true, version: 2}
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("gitrepo: index: %w", err)
	}
	id := fileIdentOf(fi)
	if c.loaded && c.exists && c.ident == id {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("gitrepo: index: %w", err)
	}
	defer f.Close()
	var idx index.Index
	if err := index.NewDecoder(bufio.NewReaderSize(f, 1<<16)).Decode(&idx); err != nil {
		if errors.Is(err, index.ErrUnknownExtension) {
			return fmt.Errorf("gitrepo: index uses a git feature this code does not support (split index or sparse index): %w", err)
		}
		return fmt.Errorf("gitrepo: decode index: %w", err)
	}
	sortEntries(idx.Entries)
	c.loaded, c.exists, c.ident, c.mtime = true, true, id, fi.ModTime()
	c.version = idx.Version
	c.entries = idx.Entries
	return nil
}

func sortEntries(es []*index.Entry) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Name != es[j].Name {
			return es[i].Name < es[j].Name
		}
		return es[i].Stage < es[j].Stage
	})
}

// find returns the position of the first entry named name (any stage), or
// where it would go.
func (c *indexCache) find(name string) int {
	return sort.Search(len(c.entries), func(i int) bool { return c.entries[i].Name >= name })
}

// entry returns the stage-0 entry for name.
func (c *indexCache) entry(name string) *index.Entry {
	i := c.find(name)
	if i < len(c.entries) && c.entries[i].Name == name && c.entries[i].Stage == 0 {
		return c.entries[i]
	}
	return nil
}

// set replaces every entry for e.Name (all stages) by e, and removes the
// entries a file at that path displaces: a file where a directory was, and
// files where its parent directories now are.
func (c *indexCache) set(e *index.Entry) {
	c.remove(e.Name)
	for p := e.Name; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
		c.removeExact(p)
	}
	i := c.find(e.Name)
	c.entries = append(c.entries, nil)
	copy(c.entries[i+1:], c.entries[i:])
	c.entries[i] = e
}

// remove drops name and everything below name/.
func (c *indexCache) remove(name string) {
	c.removeExact(name)
	lo := c.find(name + "/")
	hi := c.find(name + "0") // '0' follows '/'
	if lo < hi {
		c.entries = append(c.entries[:lo], c.entries[hi:]...)
	}
}

func (c *indexCache) removeExact(name string) {
	lo := c.find(name)
	hi := lo
	for hi < len(c.entries) && c.entries[hi].Name == name {
		hi++
	}
	if lo < hi {
		c.entries = append(c.entries[:lo], c.entries[hi:]...)
	}
}

// write encodes the cache into the held index.lock and renames it into place.
func (c *indexCache) write(l *gitLock) error {
	c.buf.Reset()
	if err := encodeIndex(&c.buf, c.version, c.entries); err != nil {
		l.rollback()
		return err
	}
	if err := l.commit(c.buf.Bytes(), false); err != nil {
		return err
	}
	fi, err := os.Stat(l.target)
	if err != nil {
		c.loaded = false
		return fmt.Errorf("gitrepo: index: %w", err)
	}
	c.loaded, c.exists, c.ident, c.mtime = true, true, fileIdentOf(fi), fi.ModTime()
	return nil
}

// encodeIndex writes an index file (versions 2 to 4) without extensions:
// the cached tree and untracked caches git may have written are optional
// and would be stale after our changes, so they are dropped.
func encodeIndex(w *bytes.Buffer, version uint32, entries []*index.Entry) error {
	if version < 2 || version > 4 {
		version = 2
	}
	if version == 2 {
		for _, e := range entries {
			if e.SkipWorktree || e.IntentToAdd {
				version = 3
				break
			}
		}
	}
	w.Grow(len(entries) * 96)
	var hdr [12]byte
	copy(hdr[:], "DIRC")
	binary.BigEndian.PutUint32(hdr[4:], version)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(entries)))
	w.Write(hdr[:])
	prev := ""
	var fixed [64]byte
	for _, e := range entries {
		if e.ModifiedAt.Unix() < 0 || e.CreatedAt.Unix() < 0 {
			return fmt.Errorf("gitrepo: index entry %s has a negative timestamp", e.Name)
		}
		b := fixed[:]
		put := func(off int, v uint32) { binary.BigEndian.PutUint32(b[off:], v) }
		put(0, uint32(e.CreatedAt.Unix()))
		put(4, uint32(e.CreatedAt.Nanosecond()))
		put(8, uint32(e.ModifiedAt.Unix()))
		put(12, uint32(e.ModifiedAt.Nanosecond()))
		put(16, e.Dev)
		put(20, e.Inode)
		put(24, uint32(e.Mode))
		put(28, e.UID)
		put(32, e.GID)
		put(36, e.Size)
		copy(b[40:60], e.Hash[:])
		flags := uint16(e.Stage&0x3) << 12
		if l := len(e.Name); l < 0xfff {
			flags |= uint16(l)
		} else {
			flags |= 0xfff
		}
		n := 62
		ext := version >= 3 && (e.SkipWorktree || e.IntentToAdd)
		if ext {
			flags |= 0x4000
			var xf uint16
			if e.SkipWorktree {
				xf |= 0x4000
			}
			if e.IntentToAdd {
				xf |= 0x2000
			}
			binary.BigEndian.PutUint16(b[62:], xf)
			n = 64
		}
		binary.BigEndian.PutUint16(b[60:], flags)
		w.Write(b[:n])
		if version == 4 {
			common := 0
			for common < len(prev) && common < len(e.Name) && prev[common] == e.Name[common] {
				common++
			}
			writeOffsetVarint(w, uint64(len(prev)-common))
			w.WriteString(e.Name[common:])
			w.WriteByte(0)
			prev = e.Name
			continue
		}
		w.WriteString(e.Name)
		pad := 8 - (n+len(e.Name))%8
		for i := 0; i < pad; i++ {
			w.WriteByte(0)
		}
	}
	sum := sha1.Sum(w.Bytes())
	w.Write(sum[:])
	return nil
}

// writeOffsetVarint is git's varint of index v4 (and of offset deltas).
func writeOffsetVarint(w *bytes.Buffer, v uint64) {
	var buf [16]byte
	pos := len(buf) - 1
	buf[pos] = byte(v & 127)
	for v >>= 7; v != 0; v >>= 7 {
		v--
		pos--
		buf[pos] = 128 | byte(v&127)
	}
	w.Write(buf[pos:])
}

// entryFor makes a stage-0 index entry for a staged file.
func entryFor(name string, id [20]byte, mode filemode.FileMode, fi os.FileInfo) *index.Entry {
	e := &index.Entry{Name: name, Mode: mode}
	copy(e.Hash[:], id[:])
	if fi != nil {
		fillStat(e, fi)
	}
	return e
}
