package gitrepo

import (
	"bytes"
	"compress/zlib"
	"container/list"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// objectID computes the git object name of content of the given type.
func objectID(typ string, content []byte) plumbing.Hash {
	h := sha1.New()
	h.Write([]byte(typ))
	h.Write([]byte{' '})
	h.Write([]byte(strconv.Itoa(len(content))))
	h.Write([]byte{0})
	h.Write(content)
	var id plumbing.Hash
	copy(id[:], h.Sum(nil))
	return id
}

var zlibPool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return w
}}

var zlibReaders sync.Pool

// readLoose reads a loose object (written by git, or by an older version
// of this package). ok is false when there is no loose object of that name.
func (r *Repo) readLoose(id plumbing.Hash) (typ plumbing.ObjectType, data []byte, ok bool, err error) {
	hex := id.String()
	raw, err := os.ReadFile(filepath.Join(r.gitDir, "objects", hex[:2], hex[2:]))
	if err != nil {
		return 0, nil, false, nil // absent (perhaps packed meanwhile): the caller looks elsewhere
	}
	var zr io.ReadCloser
	if v := zlibReaders.Get(); v != nil {
		zr = v.(io.ReadCloser)
		err = zr.(zlib.Resetter).Reset(bytes.NewReader(raw), nil)
	} else {
		zr, err = zlib.NewReader(bytes.NewReader(raw))
	}
	if err != nil {
		return 0, nil, false, fmt.Errorf("gitrepo: read object %s: %w", hex, err)
	}
	defer zlibReaders.Put(zr)
	var hdr [32]byte
	n := 0
	for n < len(hdr) {
		k, err := zr.Read(hdr[n : n+1])
		n += k
		if k == 1 && hdr[n-1] == 0 {
			break
		}
		if err != nil {
			return 0, nil, false, fmt.Errorf("gitrepo: read object %s: header: %w", hex, err)
		}
	}
	typName, sizeStr, okHdr := strings.Cut(string(hdr[:max(n-1, 0)]), " ")
	size, err := strconv.Atoi(sizeStr)
	if !okHdr || err != nil || n == len(hdr) || size < 0 {
		return 0, nil, false, fmt.Errorf("gitrepo: read object %s: malformed header", hex)
	}
	typ, err = plumbing.ParseObjectType(typName)
	if err != nil {
		return 0, nil, false, fmt.Errorf("gitrepo: read object %s: %w", hex, err)
	}
	data = make([]byte, size)
	if _, err := io.ReadFull(zr, data); err != nil {
		return 0, nil, false, fmt.Errorf("gitrepo: read object %s: %w", hex, err)
	}
	return typ, data, true, nil
}

// readObject returns the content of an object of the wanted type.
func (r *Repo) readObject(want plumbing.ObjectType, id plumbing.Hash) ([]byte, error) {
	typ, data, err := r.readAnyObject(id, 0)
	if err != nil {
		return nil, err
	}
	if typ != want {
		return nil, fmt.Errorf("gitrepo: object %s is a %s, not a %s: %w", id, typ, want, plumbing.ErrObjectNotFound)
	}
	return data, nil
}

// readAnyObject finds an object wherever it is: queued by the commit in
// progress, in a pack, loose, or (alternates, old pack index versions) in
// go-git's reader.
func (r *Repo) readAnyObject(id plumbing.Hash, depth int) (plumbing.ObjectType, []byte, error) {
	if o, ok := r.pendingObject(id); ok {
		return o.typ, o.data, nil
	}
	for attempt := 0; attempt < 2; attempt++ {
		if attempt == 1 {
			// Another process may have written or merged packs since the
			// pack list was read.
			r.refreshPacks()
		}
		if t, data, ok, err := r.readPacked(id, depth); ok || err != nil {
			return t, data, err
		}
		if t, data, ok, err := r.readLoose(id); ok || err != nil {
			return t, data, err
		}
	}
	r.objMu.Lock()
	defer r.objMu.Unlock()
	obj, err := r.storage.EncodedObject(plumbing.AnyObject, id)
	if err != nil {
		r.storage.Reindex()
		obj, err = r.storage.EncodedObject(plumbing.AnyObject, id)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("gitrepo: read object %s: %w", id, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return 0, nil, fmt.Errorf("gitrepo: read object %s: %w", id, err)
	}
	defer rd.Close()
	b := bytes.NewBuffer(make([]byte, 0, obj.Size()))
	if _, err := io.Copy(b, rd); err != nil {
		return 0, nil, fmt.Errorf("gitrepo: read object %s: %w", id, err)
	}
	return obj.Type(), b.Bytes(), nil
}

// treeEntry is one line of a tree object.
type treeEntry struct {
	name string
	mode filemode.FileMode
	id   plumbing.Hash
}

func (e treeEntry) isDir() bool { return e.mode == filemode.Dir }

// emptyTree is the well-known id of the tree with no entries.
var emptyTree = objectID("tree", nil)

func parseTree(data []byte) ([]treeEntry, error) {
	var out []treeEntry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return nil, errors.New("gitrepo: malformed tree entry mode")
		}
		mode, err := strconv.ParseUint(string(data[:sp]), 8, 32)
		if err != nil {
			return nil, fmt.Errorf("gitrepo: malformed tree entry mode: %w", err)
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul < 0 || len(data) < nul+1+20 {
			return nil, errors.New("gitrepo: malformed tree entry name")
		}
		e := treeEntry{name: string(data[:nul]), mode: filemode.FileMode(mode)}
		copy(e.id[:], data[nul+1:nul+21])
		out = append(out, e)
		data = data[nul+21:]
	}
	return out, nil
}

// treeLess orders entries as git does: by name, a directory comparing as if
// its name ended with '/'.
func treeLess(a, b treeEntry) bool {
	an, bn := a.name, b.name
	n := min(len(an), len(bn))
	if c := an[:n]; c != bn[:n] {
		return c < bn[:n]
	}
	ac, bc := treeTail(a, n), treeTail(b, n)
	return ac < bc
}

func treeTail(e treeEntry, n int) byte {
	if n < len(e.name) {
		return e.name[n]
	}
	if e.isDir() {
		return '/'
	}
	return 0
}

// encodeTree encodes entries, which must be in git order (treeLess).
func encodeTree(entries []treeEntry) []byte {
	size := 0
	for _, e := range entries {
		size += 7 + len(e.name) + 1 + 20
	}
	buf := make([]byte, 0, size)
	for _, e := range entries {
		buf = strconv.AppendUint(buf, uint64(e.mode), 8)
		buf = append(buf, ' ')
		buf = append(buf, e.name...)
		buf = append(buf, 0)
		buf = append(buf, e.id[:]...)
	}
	return buf
}

// treeCache keeps parsed trees by id. Trees are immutable, so entries never
// go stale; the cache is bounded by the total number of entries held so a
// few huge directories cannot exhaust memory.
type treeCache struct {
	mu    sync.Mutex
	max   int
	total int
	lru   *list.List
	byID  map[plumbing.Hash]*list.Element
}

type cachedTree struct {
	id      plumbing.Hash
	entries []treeEntry
}

func newTreeCache(maxEntries int) *treeCache {
	return &treeCache{max: maxEntries, lru: list.New(), byID: map[plumbing.Hash]*list.Element{}}
}

func (c *treeCache) get(id plumbing.Hash) ([]treeEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cachedTree).entries, true
	}
	return nil, false
}

func (c *treeCache) put(id plumbing.Hash, entries []treeEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; ok {
		return
	}
	c.byID[id] = c.lru.PushFront(&cachedTree{id, entries})
	c.total += len(entries) + 1
	for c.total > c.max && c.lru.Len() > 1 {
		el := c.lru.Back()
		ct := el.Value.(*cachedTree)
		c.lru.Remove(el)
		delete(c.byID, ct.id)
		c.total -= len(ct.entries) + 1
	}
}

// tree returns the entries of a tree, sorted in git order. Callers must not
// modify the returned slice.
func (r *Repo) tree(id plumbing.Hash) ([]treeEntry, error) {
	if id.IsZero() || id == emptyTree {
		return nil, nil
	}
	if es, ok := r.trees.get(id); ok {
		return es, nil
	}
	data, err := r.readObject(plumbing.TreeObject, id)
	if err != nil {
		return nil, err
	}
	es, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("%w (tree %s)", err, id)
	}
	r.trees.put(id, es)
	return es, nil
}

// lookup finds the entry at a slash-separated path below tree root.
func (r *Repo) lookup(root plumbing.Hash, path string) (treeEntry, bool, error) {
	cur := treeEntry{mode: filemode.Dir, id: root}
	for path != "" {
		if !cur.isDir() {
			return treeEntry{}, false, nil
		}
		name := path
		rest := ""
		if i := indexSlash(path); i >= 0 {
			name, rest = path[:i], path[i+1:]
		}
		es, err := r.tree(cur.id)
		if err != nil {
			return treeEntry{}, false, err
		}
		e, ok := findEntry(es, name)
		if !ok {
			return treeEntry{}, false, nil
		}
		cur, path = e, rest
	}
	return cur, true, nil
}

func findEntry(es []treeEntry, name string) (treeEntry, bool) {
	// Entries are in git order, which is not plain name order, so a binary
	// search must try both the file and the directory spelling.
	for _, probe := range []treeEntry{{name: name, mode: filemode.Regular}, {name: name, mode: filemode.Dir}} {
		i := sort.Search(len(es), func(i int) bool { return !treeLess(es[i], probe) })
		if i < len(es) && es[i].name == name {
			return es[i], true
		}
	}
	return treeEntry{}, false
}

func indexSlash(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// walkTree calls fn for every blob or link below tree id, with paths joined to prefix.
func (r *Repo) walkTree(id plumbing.Hash, prefix string, fn func(path string, e treeEntry) error) error {
	es, err := r.tree(id)
	if err != nil {
		return err
	}
	for _, e := range es {
		p := e.name
		if prefix != "" {
			p = prefix + "/" + e.name
		}
		if e.isDir() {
			if err := r.walkTree(e.id, p, fn); err != nil {
				return err
			}
			continue
		}
		if err := fn(p, e); err != nil {
			return err
		}
	}
	return nil
}
