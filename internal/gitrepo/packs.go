package gitrepo

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// A commit's new objects (the blobs, the trees on the changed paths, the
// commit) go into one small pack file rather than one loose file each:
// creating a file is the most expensive thing a commit does on many file
// systems, and two files synced together cost far less than six. The packs
// are ordinary git packs (version 2, with a version 2 index, no deltas), so
// git reads them as it reads its own; PackObjects merges the small ones.

// pendingObj is an object waiting to be written with its commit.
type pendingObj struct {
	id   plumbing.Hash
	typ  plumbing.ObjectType
	data []byte
}

// addObject queues an object for the commit in progress and returns its id.
// Queued objects are readable (readObject) before they reach the disk.
func (r *Repo) addObject(typ plumbing.ObjectType, data []byte) plumbing.Hash {
	id := objectID(typ.String(), data)
	r.pendMu.Lock()
	if _, ok := r.pending[id]; !ok {
		if r.pending == nil {
			r.pending = map[plumbing.Hash]pendingObj{}
		}
		r.pending[id] = pendingObj{id: id, typ: typ, data: data}
		r.pendOrder = append(r.pendOrder, id)
	}
	r.pendMu.Unlock()
	return id
}

func (r *Repo) pendingObject(id plumbing.Hash) (pendingObj, bool) {
	r.pendMu.Lock()
	defer r.pendMu.Unlock()
	o, ok := r.pending[id]
	return o, ok
}

// dropPending forgets the queued objects, once written (or abandoned).
func (r *Repo) dropPending() {
	r.pendMu.Lock()
	r.pending = nil
	r.pendOrder = r.pendOrder[:0]
	r.pendMu.Unlock()
}

// writeObjects writes the queued objects as one pack, synced unless
// NoSync, under temporary names; nil when none are queued. The objects stay
// queued until dropPending, so a failed write loses nothing a retry needs.
func (r *Repo) writeObjects(journal bool) (*packWriter, error) {
	r.pendMu.Lock()
	objs := make([]pendingObj, 0, len(r.pendOrder))
	for _, id := range r.pendOrder {
		objs = append(objs, r.pending[id])
	}
	r.pendMu.Unlock()
	if len(objs) == 0 {
		return nil, nil
	}
	size := 0
	for _, o := range objs {
		size += len(o.data) + 32
	}
	pw, err := r.newPackWriter(len(objs), journal, size)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if err := pw.addObject(o.id, o.typ, o.data); err != nil {
			pw.abort()
			return nil, err
		}
	}
	if err := pw.finishWrite(r.sync); err != nil {
		return nil, err
	}
	return pw, nil
}

// packWriter streams objects into a new pack and writes its index.
type packWriter struct {
	r       *Repo
	tmp     string // base of the temporary files
	f       *os.File
	w       *bufio.Writer
	sum     hash.Hash
	crc     hash.Hash32
	off     int64
	want    int
	entries []idxEntryPos
	zbuf    bytes.Buffer
	packSum plumbing.Hash // once written
	size    int64
	idx     []byte
}

type idxEntryPos struct {
	id  plumbing.Hash
	off int64
	crc uint32
}

func (r *Repo) packDir() string { return filepath.Join(r.gitDir, "objects", "pack") }

// newPackWriter starts a pack of exactly count objects (-1: as many as
// are added, at the cost of hashing the file again at the end). With journal (the
// caller holds the commit lock) its temporary files are journaled, for
// recovery to remove after a crash; otherwise they are left to git's own
// cleanup of tmp_ files.
//
// size is about how many bytes the objects hold before compression, which
// bounds the write buffer: a commit's pack is a few kilobytes, and a 64 KiB
// buffer for each was a fifth of the memory a record publish allocates.
func (r *Repo) newPackWriter(count int, journal bool, size int) (*packWriter, error) {
	dir := r.packDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("gitrepo: pack dir: %w", err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	// Not named *.idx or *.pack: git would take them for packs.
	tmp := filepath.Join(dir, "tmp_civicpress_"+hex.EncodeToString(rnd[:]))
	if journal {
		if err := r.journalAppend("tmp " + tmp + "_pack\ntmp " + tmp + "_idx\n"); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(tmp+"_pack", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: create pack: %w", err)
	}
	pw := &packWriter{r: r, tmp: tmp, f: f, sum: sha1.New(), crc: crc32.NewIEEE(), want: count}
	pw.w = bufio.NewWriterSize(io.MultiWriter(f, pw.sum), min(max(size, 4096), 64*1024))
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(max(count, 0)))
	if _, err := pw.w.Write(hdr[:]); err != nil {
		pw.abort()
		return nil, fmt.Errorf("gitrepo: write pack: %w", err)
	}
	pw.off = 12
	return pw, nil
}

var packType = map[plumbing.ObjectType]byte{
	plumbing.CommitObject: 1, plumbing.TreeObject: 2, plumbing.BlobObject: 3, plumbing.TagObject: 4,
}

// appendPackHeader appends a pack entry header: type and inflated size.
func appendPackHeader(buf []byte, typ byte, size int) []byte {
	c := typ<<4 | byte(size&15)
	size >>= 4
	for size > 0 {
		buf = append(buf, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(buf, c)
}

// addObject compresses and appends one whole (non-delta) object.
func (pw *packWriter) addObject(id plumbing.Hash, typ plumbing.ObjectType, data []byte) error {
	t, ok := packType[typ]
	if !ok {
		return fmt.Errorf("gitrepo: cannot pack a %s", typ)
	}
	pw.zbuf.Reset()
	zw := zlibPool.Get().(*zlib.Writer)
	zw.Reset(&pw.zbuf)
	_, err := zw.Write(data)
	if err == nil {
		err = zw.Close()
	}
	zlibPool.Put(zw)
	if err != nil {
		return fmt.Errorf("gitrepo: compress object %s: %w", id, err)
	}
	var hb [16]byte
	return pw.addRaw(id, appendPackHeader(hb[:0], t, len(data)), pw.zbuf.Bytes())
}

// addRaw appends an entry given as its header and compressed bytes (an
// entry copied verbatim from another pack).
func (pw *packWriter) addRaw(id plumbing.Hash, hdr, body []byte) error {
	pw.crc.Reset()
	pw.crc.Write(hdr)
	pw.crc.Write(body)
	pw.entries = append(pw.entries, idxEntryPos{id: id, off: pw.off, crc: pw.crc.Sum32()})
	if _, err := pw.w.Write(hdr); err != nil {
		return fmt.Errorf("gitrepo: write pack: %w", err)
	}
	if _, err := pw.w.Write(body); err != nil {
		return fmt.Errorf("gitrepo: write pack: %w", err)
	}
	pw.off += int64(len(hdr) + len(body))
	return nil
}

func (pw *packWriter) abort() {
	pw.f.Close()
	os.Remove(pw.tmp + "_pack")
	os.Remove(pw.tmp + "_idx")
}

// finish writes the pack and its index durably and puts them in place.
func (pw *packWriter) finish(sync bool) (*packIndex, error) {
	if err := pw.finishWrite(sync); err != nil {
		return nil, err
	}
	return pw.place()
}

// finishWrite writes the trailer and the index and syncs both, together.
func (pw *packWriter) finishWrite(sync bool) error {
	fail := func(err error) error {
		pw.abort()
		return fmt.Errorf("gitrepo: write pack: %w", err)
	}
	if pw.want >= 0 && len(pw.entries) != pw.want {
		return fail(fmt.Errorf("pack of %d objects got %d", pw.want, len(pw.entries)))
	}
	if err := pw.w.Flush(); err != nil {
		return fail(err)
	}
	if pw.want < 0 {
		// The count was not known up front: write it now and hash the
		// file again.
		if err := pw.rehash(&pw.packSum); err != nil {
			return fail(err)
		}
	} else {
		copy(pw.packSum[:], pw.sum.Sum(nil))
	}
	if _, err := pw.f.Write(pw.packSum[:]); err != nil {
		return fail(err)
	}
	pw.size = pw.off + 20
	pw.idx = encodePackIndex(pw.entries, pw.packSum)
	idxErr := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(pw.tmp+"_idx", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
		if err == nil {
			_, err = f.Write(pw.idx)
			if err == nil && sync {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		idxErr <- err
	}()
	var err error
	if sync {
		err = pw.f.Sync()
	}
	if cerr := pw.f.Close(); err == nil {
		err = cerr
	}
	if ierr := <-idxErr; err == nil {
		err = ierr
	}
	if err != nil {
		os.Remove(pw.tmp + "_pack")
		os.Remove(pw.tmp + "_idx")
		return fmt.Errorf("gitrepo: write pack: %w", err)
	}
	return nil
}

// place renames a written pack and its index into place, pack first: git
// finds packs by their index, so a pack is visible only once complete. The
// new names are durable once the pack directory is synced.
func (pw *packWriter) place() (*packIndex, error) {
	base := filepath.Join(pw.r.packDir(), "pack-"+pw.packSum.String())
	err := os.Rename(pw.tmp+"_pack", base+".pack")
	if err == nil {
		err = os.Rename(pw.tmp+"_idx", base+".idx")
	}
	if err != nil {
		os.Remove(pw.tmp + "_pack")
		os.Remove(pw.tmp + "_idx")
		return nil, fmt.Errorf("gitrepo: write pack: %w", err)
	}
	p, err := parsePackIndex(base, pw.idx)
	if err != nil {
		return nil, err
	}
	p.size = pw.size
	p.noDelta = 1
	return p, nil
}

// discard removes a written pack that will not be used.
func (pw *packWriter) discard() {
	os.Remove(pw.tmp + "_pack")
	os.Remove(pw.tmp + "_idx")
}

func (pw *packWriter) rehash(sum *plumbing.Hash) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(pw.entries)))
	if _, err := pw.f.WriteAt(n[:], 8); err != nil {
		return err
	}
	f, err := os.Open(pw.tmp + "_pack")
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha1.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	copy(sum[:], h.Sum(nil))
	return nil
}

// encodePackIndex encodes a version 2 pack index.
func encodePackIndex(entries []idxEntryPos, packSum plumbing.Hash) []byte {
	es := append([]idxEntryPos(nil), entries...)
	sort.Slice(es, func(i, j int) bool { return bytes.Compare(es[i].id[:], es[j].id[:]) < 0 })
	n := len(es)
	buf := make([]byte, 0, 8+1024+n*28+40)
	buf = append(buf, 0xff, 't', 'O', 'c', 0, 0, 0, 2)
	var fan [256]uint32
	for _, e := range es {
		fan[e.id[0]]++
	}
	total := uint32(0)
	for i := range fan {
		total += fan[i]
		buf = binary.BigEndian.AppendUint32(buf, total)
	}
	for _, e := range es {
		buf = append(buf, e.id[:]...)
	}
	for _, e := range es {
		buf = binary.BigEndian.AppendUint32(buf, e.crc)
	}
	var large []int64
	for _, e := range es {
		if e.off < 1<<31 {
			buf = binary.BigEndian.AppendUint32(buf, uint32(e.off))
		} else {
			buf = binary.BigEndian.AppendUint32(buf, 1<<31|uint32(len(large)))
			large = append(large, e.off)
		}
	}
	for _, off := range large {
		buf = binary.BigEndian.AppendUint64(buf, uint64(off))
	}
	buf = append(buf, packSum[:]...)
	sum := sha1.Sum(buf)
	return append(buf, sum[:]...)
}

// packIndex is a pack's index, held in memory, and the pack file, opened on
// first read and kept open (so a pack merged away meanwhile stays readable).
type packIndex struct {
	base    string // path without .idx/.pack
	n       int
	fanout  []byte
	names   []byte
	crcs    []byte
	offsets []byte
	large   []byte
	packSum plumbing.Hash
	size    int64 // pack file size, 0 if not known yet
	noDelta int8  // 1: no delta entries; -1: has some; 0: not looked yet

	mu   sync.Mutex
	f    *os.File
	gone bool
}

var errPackIndex = errors.New("gitrepo: malformed pack index")

// parsePackIndex reads a version 2 index (version 1 is left to go-git).
func parsePackIndex(base string, data []byte) (*packIndex, error) {
	if len(data) < 8+1024+40 || !bytes.Equal(data[:8], []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}) {
		return nil, errPackIndex
	}
	p := &packIndex{base: base, fanout: data[8 : 8+1024]}
	n := int(binary.BigEndian.Uint32(p.fanout[1020:]))
	rest := data[8+1024:]
	if n < 0 || len(rest) < n*28+40 {
		return nil, errPackIndex
	}
	p.n = n
	p.names, rest = rest[:20*n], rest[20*n:]
	p.crcs, rest = rest[:4*n], rest[4*n:]
	p.offsets, rest = rest[:4*n], rest[4*n:]
	p.large = rest[:len(rest)-40]
	copy(p.packSum[:], rest[len(rest)-40:])
	return p, nil
}

func (p *packIndex) name(i int) (id plumbing.Hash) {
	copy(id[:], p.names[20*i:])
	return id
}

func (p *packIndex) offset(i int) (int64, error) {
	o := binary.BigEndian.Uint32(p.offsets[4*i:])
	if o&(1<<31) == 0 {
		return int64(o), nil
	}
	k := int(o &^ (1 << 31))
	if 8*k+8 > len(p.large) {
		return 0, errPackIndex
	}
	return int64(binary.BigEndian.Uint64(p.large[8*k:])), nil
}

func (p *packIndex) find(id plumbing.Hash) (int, bool) {
	lo := 0
	if id[0] > 0 {
		lo = int(binary.BigEndian.Uint32(p.fanout[4*(int(id[0])-1):]))
	}
	hi := int(binary.BigEndian.Uint32(p.fanout[4*int(id[0]):]))
	if hi > p.n || lo > hi {
		return 0, false
	}
	i := lo + sort.Search(hi-lo, func(k int) bool { return bytes.Compare(p.names[20*(lo+k):20*(lo+k)+20], id[:]) >= 0 })
	return i, i < hi && bytes.Equal(p.names[20*i:20*i+20], id[:])
}

func (p *packIndex) file() (*os.File, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.f == nil {
		f, err := os.Open(p.base + ".pack")
		if err != nil {
			return nil, err
		}
		p.f = f
	}
	return p.f, nil
}

func (p *packIndex) close() {
	p.mu.Lock()
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
	p.gone = true
	p.mu.Unlock()
}

// entryHeader reads the header of the entry at off: type (1-4, or 6/7 for
// deltas), inflated size, the delta base (offset or id) and where the
// compressed data starts.
func (p *packIndex) entryHeader(f *os.File, off int64) (typ byte, size int64, baseOff int64, baseID plumbing.Hash, dataOff int64, err error) {
	var b [64]byte
	n, err := f.ReadAt(b[:], off)
	if n == 0 {
		return 0, 0, 0, baseID, 0, fmt.Errorf("gitrepo: read pack %s at %d: %w", filepath.Base(p.base), off, err)
	}
	buf := b[:n]
	c := buf[0]
	typ = (c >> 4) & 7
	size = int64(c & 15)
	i, shift := 1, 4
	for c&0x80 != 0 {
		if i >= len(buf) || shift > 56 {
			return 0, 0, 0, baseID, 0, fmt.Errorf("gitrepo: malformed pack entry in %s at %d", filepath.Base(p.base), off)
		}
		c = buf[i]
		size |= int64(c&0x7f) << shift
		shift += 7
		i++
	}
	switch typ {
	case 6: // offset delta: the base is this many bytes before
		if i >= len(buf) {
			return 0, 0, 0, baseID, 0, fmt.Errorf("gitrepo: malformed delta in %s at %d", filepath.Base(p.base), off)
		}
		c = buf[i]
		i++
		rel := int64(c & 0x7f)
		for c&0x80 != 0 {
			if i >= len(buf) || rel > 1<<55 {
				return 0, 0, 0, baseID, 0, fmt.Errorf("gitrepo: malformed delta in %s at %d", filepath.Base(p.base), off)
			}
			c = buf[i]
			i++
			rel = (rel+1)<<7 | int64(c&0x7f)
		}
		baseOff = off - rel
		if baseOff <= 0 || baseOff >= off {
			return 0, 0, 0, baseID, 0, fmt.Errorf("gitrepo: malformed delta in %s at %d", filepath.Base(p.base), off)
		}
	case 7: // reference delta: the base is named
		if i+20 > len(buf) {
			return 0, 0, 0, baseID, 0, fmt.Errorf("gitrepo: malformed delta in %s at %d", filepath.Base(p.base), off)
		}
		copy(baseID[:], buf[i:i+20])
		i += 20
	case 1, 2, 3, 4:
	default:
		return 0, 0, 0, baseID, 0, fmt.Errorf("gitrepo: unknown pack entry type %d in %s at %d", typ, filepath.Base(p.base), off)
	}
	return typ, size, baseOff, baseID, off + int64(i), nil
}

// inflateAt decompresses size bytes starting at off.
func inflateAt(f *os.File, off, size int64) ([]byte, error) {
	if size < 0 || size > 1<<34 {
		return nil, errors.New("gitrepo: implausible object size")
	}
	sr := io.NewSectionReader(f, off, 1<<62)
	br := bufio.NewReaderSize(sr, int(min(max(size/2+64, 512), 64*1024)))
	var zr io.ReadCloser
	var err error
	if v := zlibReaders.Get(); v != nil {
		zr = v.(io.ReadCloser)
		err = zr.(zlib.Resetter).Reset(br, nil)
	} else {
		zr, err = zlib.NewReader(br)
	}
	if err != nil {
		return nil, err
	}
	defer zlibReaders.Put(zr)
	// The size comes from the pack entry's header: memory follows what the
	// stream really inflates to (doubling), not what a damaged header
	// announces.
	data := make([]byte, min(size, 1<<20))
	for read := 0; ; {
		if _, err := io.ReadFull(zr, data[read:]); err != nil {
			return nil, err
		}
		if int64(len(data)) == size {
			return data, nil
		}
		read = len(data)
		data = append(data, make([]byte, min(size-int64(read), int64(read)))...)
	}
}

var packTypeNames = [...]plumbing.ObjectType{1: plumbing.CommitObject, 2: plumbing.TreeObject, 3: plumbing.BlobObject, 4: plumbing.TagObject}

// readAt returns the object at off, resolving deltas.
func (r *Repo) readPackedAt(p *packIndex, off int64, depth int) (plumbing.ObjectType, []byte, error) {
	if depth > 10000 {
		return 0, nil, errors.New("gitrepo: delta chain too long")
	}
	if t, data, ok := r.deltaBases.get(p, off); ok {
		return t, data, nil
	}
	f, err := p.file()
	if err != nil {
		return 0, nil, err
	}
	typ, size, baseOff, baseID, dataOff, err := p.entryHeader(f, off)
	if err != nil {
		return 0, nil, err
	}
	data, err := inflateAt(f, dataOff, size)
	if err != nil {
		return 0, nil, fmt.Errorf("gitrepo: read pack %s at %d: %w", filepath.Base(p.base), off, err)
	}
	if typ < 6 {
		return packTypeNames[typ], data, nil
	}
	var bt plumbing.ObjectType
	var base []byte
	if typ == 6 {
		bt, base, err = r.readPackedAt(p, baseOff, depth+1)
	} else {
		bt, base, err = r.readAnyObject(baseID, depth+1)
	}
	if err != nil {
		return 0, nil, err
	}
	r.deltaBases.put(p, baseOff, bt, base)
	out, err := applyDelta(base, data)
	if err != nil {
		return 0, nil, fmt.Errorf("gitrepo: pack %s at %d: %w", filepath.Base(p.base), off, err)
	}
	return bt, out, nil
}

// applyDelta rebuilds an object from its base and a git delta.
func applyDelta(base, delta []byte) ([]byte, error) {
	bad := errors.New("malformed delta")
	varint := func() (int, bool) {
		v, shift := 0, 0
		for {
			if len(delta) == 0 || shift > 56 {
				return 0, false
			}
			c := delta[0]
			delta = delta[1:]
			v |= int(c&0x7f) << shift
			shift += 7
			if c&0x80 == 0 {
				return v, true
			}
		}
	}
	srcSize, ok1 := varint()
	dstSize, ok2 := varint()
	if !ok1 || !ok2 || srcSize != len(base) || dstSize > 1<<34 {
		return nil, bad
	}
	// The announced size is only trusted as far as the input can back it:
	// each instruction copies at most the whole base or its own literals.
	out := make([]byte, 0, min(dstSize, 2*(len(base)+len(delta))))
	for len(delta) > 0 {
		c := delta[0]
		delta = delta[1:]
		switch {
		case c&0x80 != 0:
			var off, n int
			for i := 0; i < 4; i++ {
				if c&(1<<i) != 0 {
					if len(delta) == 0 {
						return nil, bad
					}
					off |= int(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			for i := 0; i < 3; i++ {
				if c&(0x10<<i) != 0 {
					if len(delta) == 0 {
						return nil, bad
					}
					n |= int(delta[0]) << (8 * i)
					delta = delta[1:]
				}
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > len(base) || len(out)+n > dstSize {
				return nil, bad
			}
			out = append(out, base[off:off+n]...)
		case c != 0:
			n := int(c)
			if n > len(delta) || len(out)+n > dstSize {
				return nil, bad
			}
			out = append(out, delta[:n]...)
			delta = delta[n:]
		default:
			return nil, bad
		}
	}
	if len(out) != dstSize {
		return nil, bad
	}
	return out, nil
}

// deltaCache keeps recently used delta bases (packs git wrote chain deltas).
type deltaCache struct {
	mu    sync.Mutex
	m     map[deltaKey]deltaVal
	bytes int
}

type deltaKey struct {
	p   *packIndex
	off int64
}

type deltaVal struct {
	t    plumbing.ObjectType
	data []byte
}

const deltaCacheBytes = 16 << 20

func (c *deltaCache) get(p *packIndex, off int64) (plumbing.ObjectType, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[deltaKey{p, off}]
	return v.t, v.data, ok
}

func (c *deltaCache) put(p *packIndex, off int64, t plumbing.ObjectType, data []byte) {
	if len(data) > deltaCacheBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.bytes+len(data) > deltaCacheBytes {
		c.m, c.bytes = map[deltaKey]deltaVal{}, 0 // crude, and enough: bases are reused in runs
	}
	if _, ok := c.m[deltaKey{p, off}]; !ok {
		c.m[deltaKey{p, off}] = deltaVal{t, data}
		c.bytes += len(data)
	}
}

// packList returns the packs known, newest first.
func (r *Repo) packList() []*packIndex {
	r.packMu.Lock()
	defer r.packMu.Unlock()
	if !r.packsLoaded {
		r.loadPacksLocked()
	}
	return r.packs
}

// addPack makes a pack this Repo wrote visible to its readers.
func (r *Repo) addPack(p *packIndex) {
	r.packMu.Lock()
	defer r.packMu.Unlock()
	if !r.packsLoaded {
		r.loadPacksLocked()
	}
	for _, q := range r.packs {
		if q.base == p.base {
			return
		}
	}
	r.packs = append([]*packIndex{p}, r.packs...)
	r.packsWritten++
}

// refreshPacks reads the pack directory again: packs others wrote appear,
// packs merged away are closed.
func (r *Repo) refreshPacks() {
	r.packMu.Lock()
	defer r.packMu.Unlock()
	r.loadPacksLocked()
}

func (r *Repo) loadPacksLocked() {
	r.packsLoaded = true
	ents, err := os.ReadDir(r.packDir())
	if err != nil {
		return
	}
	have := map[string]*packIndex{}
	for _, p := range r.packs {
		have[p.base] = p
	}
	var fresh, kept []*packIndex
	seen := map[string]bool{}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".idx")
		if !ok || !strings.HasPrefix(name, "pack-") {
			continue
		}
		base := filepath.Join(r.packDir(), name)
		seen[base] = true
		if p := have[base]; p != nil {
			kept = append(kept, p)
			continue
		}
		if _, err := os.Stat(base + ".pack"); err != nil {
			continue // git ignores an index without its pack too
		}
		data, err := os.ReadFile(base + ".idx")
		if err != nil {
			continue
		}
		p, err := parsePackIndex(base, data)
		if err != nil {
			continue // version 1, or damaged: go-git's reader is the fallback
		}
		fresh = append(fresh, p)
	}
	for _, p := range r.packs {
		if !seen[p.base] {
			p.close()
		}
	}
	// Newest first: lookups are mostly for recent objects, and the packs
	// this process found before keep their relative order.
	r.packs = append(fresh, kept...)
}

// readPacked finds id in the packs; ok is false when no pack has it.
func (r *Repo) readPacked(id plumbing.Hash, depth int) (plumbing.ObjectType, []byte, bool, error) {
	for _, p := range r.packList() {
		i, ok := p.find(id)
		if !ok {
			continue
		}
		off, err := p.offset(i)
		if err != nil {
			return 0, nil, false, err
		}
		t, data, err := r.readPackedAt(p, off, depth)
		if err != nil {
			p.mu.Lock()
			gone := p.gone
			p.mu.Unlock()
			if gone || errors.Is(err, os.ErrNotExist) {
				continue // merged away meanwhile: another pack has it
			}
			return 0, nil, false, err
		}
		return t, data, true, nil
	}
	return 0, nil, false, nil
}
