package gitrepo

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// idxEntry is one entry of .git/index. The stat fields are kept exactly as
// git stores them (32-bit seconds and nanoseconds, truncated values).
type idxEntry struct {
	name               string
	stage              uint16
	id                 plumbing.Hash
	mode               filemode.FileMode
	ctimeS, ctimeN     uint32
	mtimeS, mtimeN     uint32
	dev, ino, uid, gid uint32
	size               uint32
	assumeValid        bool
	extFlags           uint16 // version 3+ extended flags (skip-worktree, intent-to-add)
	raw                []byte // on-disk encoding, reused until the entry (or, in v4, its predecessor) changes
	rawVersion         uint32
}

// indexCache holds .git/index in memory between commits. It is reloaded
// only when the file on disk is not the one this process last read or
// wrote (another process or the git CLI changed it). Unchanged entries keep
// their encoded bytes, so writing the index is a copy, a SHA-1 and a write.
type indexCache struct {
	loaded  bool
	exists  bool
	ident   fileIdent
	mtimeS  uint32 // of the index file, for git's racy-clean rule
	mtimeN  uint32
	version uint32
	entries []*idxEntry // sorted by name, then stage
	buf     []byte
}

func (r *Repo) indexPath() string { return filepath.Join(r.gitDir, "index") }

// load brings the cache up to date with the file. Callers hold index.lock
// (or accept a racy read, as Dirty does).
func (c *indexCache) load(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		if !c.loaded || c.exists {
			// A new index uses version 4: path prefix compression makes
			// the file, which every commit rewrites, about a third smaller.
			*c = indexCache{loaded: true, version: 4}
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
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("gitrepo: index: %w", err)
	}
	version, entries, err := decodeIndex(data)
	if err != nil {
		return err
	}
	c.loaded, c.exists, c.ident = true, true, id
	c.mtimeS, c.mtimeN = uint32(fi.ModTime().Unix()), uint32(fi.ModTime().Nanosecond())
	c.version, c.entries = version, entries
	return nil
}

var errIndexFormat = errors.New("gitrepo: malformed .git/index")

// decodeIndex parses an index file of version 2, 3 or 4. Optional
// extensions (cached tree, untracked cache, ...) are dropped: they are
// caches, and stale once we change entries. Required extensions (split or
// sparse index) are refused rather than misread.
func decodeIndex(data []byte) (uint32, []*idxEntry, error) {
	if len(data) < 12+20 || string(data[:4]) != "DIRC" {
		return 0, nil, errIndexFormat
	}
	body, trailer := data[:len(data)-20], data[len(data)-20:]
	if sum := sha1.Sum(body); !bytes.Equal(sum[:], trailer) {
		return 0, nil, fmt.Errorf("%w: checksum mismatch", errIndexFormat)
	}
	version := binary.BigEndian.Uint32(data[4:])
	if version < 2 || version > 4 {
		return 0, nil, fmt.Errorf("%w: version %d", errIndexFormat, version)
	}
	n := int(binary.BigEndian.Uint32(data[8:]))
	if n > len(body)/62 {
		return 0, nil, fmt.Errorf("%w: entry count", errIndexFormat)
	}
	entries := make([]*idxEntry, 0, n)
	pos := 12
	prev := ""
	for i := 0; i < n; i++ {
		if pos+62 > len(body) {
			return 0, nil, fmt.Errorf("%w: truncated entry", errIndexFormat)
		}
		b := body[pos:]
		u := func(off int) uint32 { return binary.BigEndian.Uint32(b[off:]) }
		e := &idxEntry{
			ctimeS: u(0), ctimeN: u(4), mtimeS: u(8), mtimeN: u(12),
			dev: u(16), ino: u(20), mode: filemode.FileMode(u(24)),
			uid: u(28), gid: u(32), size: u(36),
		}
		copy(e.id[:], b[40:60])
		flags := binary.BigEndian.Uint16(b[60:])
		e.assumeValid = flags&0x8000 != 0
		e.stage = (flags >> 12) & 3
		fixed := 62
		if flags&0x4000 != 0 {
			if version < 3 || pos+64 > len(body) {
				return 0, nil, fmt.Errorf("%w: extended flags", errIndexFormat)
			}
			e.extFlags = binary.BigEndian.Uint16(b[62:])
			fixed = 64
		}
		if version == 4 {
			strip, k := readOffsetVarint(b[fixed:])
			if k == 0 || strip > uint64(len(prev)) {
				return 0, nil, fmt.Errorf("%w: v4 name prefix", errIndexFormat)
			}
			rest := b[fixed+k:]
			nul := bytes.IndexByte(rest, 0)
			if nul < 0 {
				return 0, nil, fmt.Errorf("%w: unterminated name", errIndexFormat)
			}
			e.name = prev[:len(prev)-int(strip)] + string(rest[:nul])
			size := fixed + k + nul + 1
			e.raw, e.rawVersion = b[:size:size], version
			pos += size
		} else {
			nameLen := int(flags & 0xfff)
			if nameLen == 0xfff {
				nul := bytes.IndexByte(b[fixed:], 0)
				if nul < 0 {
					return 0, nil, fmt.Errorf("%w: unterminated name", errIndexFormat)
				}
				nameLen = nul
			}
			if fixed+nameLen > len(b) {
				return 0, nil, fmt.Errorf("%w: truncated name", errIndexFormat)
			}
			e.name = string(b[fixed : fixed+nameLen])
			size := (fixed + nameLen + 8) &^ 7
			if size > len(b) {
				return 0, nil, fmt.Errorf("%w: truncated entry", errIndexFormat)
			}
			e.raw, e.rawVersion = b[:size:size], version
			pos += size
		}
		prev = e.name
		entries = append(entries, e)
	}
	for pos+8 <= len(body) {
		sig := body[pos : pos+4]
		size := int(binary.BigEndian.Uint32(body[pos+4:]))
		if sig[0] < 'A' || sig[0] > 'Z' {
			return 0, nil, fmt.Errorf("gitrepo: .git/index uses extension %q (split or sparse index), which this package does not support; run `git update-index --no-split-index` or `git sparse-checkout disable`", sig)
		}
		if size < 0 || pos+8+size > len(body) {
			return 0, nil, fmt.Errorf("%w: extension size", errIndexFormat)
		}
		pos += 8 + size
	}
	if !sort.SliceIsSorted(entries, func(i, j int) bool { return entryLess(entries[i], entries[j]) }) {
		sort.SliceStable(entries, func(i, j int) bool { return entryLess(entries[i], entries[j]) })
	}
	return version, entries, nil
}

func entryLess(a, b *idxEntry) bool {
	if a.name != b.name {
		return a.name < b.name
	}
	return a.stage < b.stage
}

func readOffsetVarint(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	v := uint64(b[0] & 127)
	i := 1
	for b[i-1]&128 != 0 {
		if i >= len(b) || i > 9 {
			return 0, 0
		}
		v = ((v + 1) << 7) | uint64(b[i]&127)
		i++
	}
	return v, i
}

// find returns the position of the first entry named name (any stage), or
// where it would go.
func (c *indexCache) find(name string) int {
	return sort.Search(len(c.entries), func(i int) bool { return c.entries[i].name >= name })
}

// entry returns the stage-0 entry for name.
func (c *indexCache) entry(name string) *idxEntry {
	i := c.find(name)
	if i < len(c.entries) && c.entries[i].name == name && c.entries[i].stage == 0 {
		return c.entries[i]
	}
	return nil
}

// set replaces every entry for e.name (all stages) by e, and removes the
// entries a file at that path displaces: files below it where it was a
// directory, and files where its parent directories now are.
func (c *indexCache) set(e *idxEntry) {
	c.remove(e.name)
	for p := e.name; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
		c.removeExact(p)
	}
	i := c.find(e.name)
	c.entries = append(c.entries, nil)
	copy(c.entries[i+1:], c.entries[i:])
	c.entries[i] = e
	c.touched(i + 1)
}

// touched drops the cached encoding of the entry at i, whose predecessor
// changed: in version 4 an entry is encoded relative to the one before it.
func (c *indexCache) touched(i int) {
	if c.version == 4 && i < len(c.entries) {
		c.entries[i].raw = nil
	}
}

// remove drops name and everything below name/.
func (c *indexCache) remove(name string) {
	c.removeExact(name)
	lo := c.find(name + "/")
	hi := c.find(name + "0") // '0' follows '/'
	if lo < hi {
		c.entries = append(c.entries[:lo], c.entries[hi:]...)
		c.touched(lo)
	}
}

func (c *indexCache) removeExact(name string) {
	lo := c.find(name)
	hi := lo
	for hi < len(c.entries) && c.entries[hi].name == name {
		hi++
	}
	if lo < hi {
		c.entries = append(c.entries[:lo], c.entries[hi:]...)
		c.touched(lo)
	}
}

// racy reports whether an entry's file may have changed within the same
// timestamp as the index was written, in which case its stat data cannot
// be trusted (git's racy-clean rule).
func (c *indexCache) racy(e *idxEntry) bool {
	if !c.exists {
		return true
	}
	return e.mtimeS > c.mtimeS || e.mtimeS == c.mtimeS && e.mtimeN >= c.mtimeN
}

// write encodes the cache into the held index.lock and renames it into place.
func (c *indexCache) write(l *gitLock) error {
	return c.place(l, c.writeContent(l))
}

// writeContent encodes the cache into the held index.lock, without
// renaming it: place does, or the lock is rolled back (then the cache must
// be reloaded, as it holds changes the file will not).
func (c *indexCache) writeContent(l *gitLock) error {
	c.buf = encodeIndex(c.buf[:0], c.version, c.entries)
	return l.writeContent(c.buf, false)
}

// place renames the index.lock written by writeContent (which returned
// werr) into place.
func (c *indexCache) place(l *gitLock, werr error) error {
	if err := l.place(werr, false); err != nil {
		c.loaded = false
		return err
	}
	fi, err := os.Stat(l.target)
	if err != nil {
		c.loaded = false
		return fmt.Errorf("gitrepo: index: %w", err)
	}
	c.loaded, c.exists, c.ident = true, true, fileIdentOf(fi)
	c.mtimeS, c.mtimeN = uint32(fi.ModTime().Unix()), uint32(fi.ModTime().Nanosecond())
	return nil
}

// encodeIndex appends an index file without extensions to buf.
func encodeIndex(buf []byte, version uint32, entries []*idxEntry) []byte {
	if version < 2 || version > 4 {
		version = 2
	}
	if version == 2 {
		for _, e := range entries {
			if e.extFlags != 0 {
				version = 3
				break
			}
		}
	}
	buf = append(buf, "DIRC"...)
	buf = binary.BigEndian.AppendUint32(buf, version)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(entries)))
	prev := ""
	for _, e := range entries {
		if e.raw != nil && e.rawVersion == version {
			buf = append(buf, e.raw...)
			prev = e.name
			continue
		}
		start := len(buf)
		buf = e.appendFixed(buf)
		if version == 4 {
			common := 0
			for common < len(prev) && common < len(e.name) && prev[common] == e.name[common] {
				common++
			}
			buf = appendOffsetVarint(buf, uint64(len(prev)-common))
			buf = append(buf, e.name[common:]...)
			buf = append(buf, 0)
		} else {
			buf = append(buf, e.name...)
			for pad := 8 - (len(buf)-start)%8; pad > 0; pad-- {
				buf = append(buf, 0)
			}
		}
		e.raw, e.rawVersion = bytes.Clone(buf[start:]), version
		prev = e.name
	}
	sum := sha1.Sum(buf)
	return append(buf, sum[:]...)
}

func (e *idxEntry) appendFixed(buf []byte) []byte {
	for _, v := range [...]uint32{e.ctimeS, e.ctimeN, e.mtimeS, e.mtimeN, e.dev, e.ino, uint32(e.mode), e.uid, e.gid, e.size} {
		buf = binary.BigEndian.AppendUint32(buf, v)
	}
	buf = append(buf, e.id[:]...)
	flags := (e.stage & 3) << 12
	if l := len(e.name); l < 0xfff {
		flags |= uint16(l)
	} else {
		flags |= 0xfff
	}
	if e.assumeValid {
		flags |= 0x8000
	}
	if e.extFlags != 0 {
		flags |= 0x4000
	}
	buf = binary.BigEndian.AppendUint16(buf, flags)
	if e.extFlags != 0 {
		buf = binary.BigEndian.AppendUint16(buf, e.extFlags)
	}
	return buf
}

// appendOffsetVarint is git's varint of index v4 (and of offset deltas).
func appendOffsetVarint(buf []byte, v uint64) []byte {
	var tmp [16]byte
	pos := len(tmp) - 1
	tmp[pos] = byte(v & 127)
	for v >>= 7; v != 0; v >>= 7 {
		v--
		pos--
		tmp[pos] = 128 | byte(v&127)
	}
	return append(buf, tmp[pos:]...)
}

// entryFor makes a stage-0 index entry for a staged file; without stat
// data git will rehash the file before trusting the entry.
func entryFor(name string, id plumbing.Hash, mode filemode.FileMode, fi os.FileInfo) *idxEntry {
	e := &idxEntry{name: name, id: id, mode: mode}
	if fi != nil {
		fillStat(e, fi)
	}
	return e
}
