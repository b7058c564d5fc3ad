package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// Every commit batch leaves one small pack. Left alone they would slow
// every object lookup (git's included: past gc.autoPackLimit, 50, any git
// command run by upstream's simple-git starts a full `git gc`), so after a
// commit, once there are autoPackCount packs, a background goroutine merges
// the small ones: the packs are kept in a geometric progression of sizes
// (each at least twice all the smaller ones together), which bounds their
// number by the logarithm of the repository's size while copying each
// object only a few times in its life. Loose objects (from the git CLI, or
// from older versions of this package) are swept in as well.
//
// Merging needs no lock: it only adds a pack, then deletes what that pack
// holds once it is durable. A reader that misses an object in a pack just
// deleted reads the pack directory again; git does the same. A file lock
// keeps two processes on one machine from doing the same work twice.
const (
	autoPackCount  = 24
	looseCheckEach = 256 // packs written between looks for loose objects
)

type maintState struct {
	mu      sync.Mutex
	running bool
	closed  bool
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	lastErr error
}

// maybeMaintain starts a background merge when enough packs have piled up.
func (r *Repo) maybeMaintain() {
	r.packMu.Lock()
	n, written := len(r.packs), r.packsWritten
	r.packMu.Unlock()
	if n < autoPackCount && written < looseCheckEach {
		return
	}
	m := &r.maint
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running || m.closed {
		return
	}
	m.running = true
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		_, err := r.consolidate(ctx, false, false)
		cancel()
		m.mu.Lock()
		m.running = false
		m.lastErr = err
		m.mu.Unlock()
	}()
}

// stopMaintenance cancels a background merge and waits for it (Close).
func (r *Repo) stopMaintenance() {
	m := &r.maint
	m.mu.Lock()
	m.closed = true
	if m.cancel != nil {
		m.cancel()
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// PackObjects merges every loose object and every pack this package can
// merge (packs without deltas and without a .keep file: those commits
// leave) into one pack, and returns how many objects that pack holds.
// Commits do this in the background as packs accumulate, so hosts need not
// call it; it is there for tools and tests. Nothing is ever dropped: the new
// pack is written and synced before anything it holds is deleted, and packs
// git made (with deltas) are left alone; `git gc` remains the way to
// compress history with deltas. Commits may run meanwhile.
func (r *Repo) PackObjects(ctx context.Context) (int, error) {
	return r.consolidate(ctx, true, true)
}

// consolidate merges packs (all mergeable ones, or the geometric tail) and
// loose objects into one new pack.
func (r *Repo) consolidate(ctx context.Context, all, wait bool) (int, error) {
	lock := &fileLocker{path: filepath.Join(r.gitDir, "civicpress-maintain.lock")}
	var unlock func()
	if wait {
		u, err := lock.Lock(ctx)
		if err != nil {
			return 0, fmt.Errorf("gitrepo: pack: %w", err)
		}
		unlock = u
	} else {
		u, ok := lock.tryLock()
		if !ok {
			return 0, nil // another process is at it
		}
		unlock = u
	}
	defer unlock()
	r.removeStaleTemps()
	r.refreshPacks()

	r.packMu.Lock()
	checkLoose := all || r.packsWritten >= looseCheckEach || !r.looseChecked
	r.packsWritten = 0
	r.looseChecked = true
	packs := append([]*packIndex(nil), r.packs...)
	r.packMu.Unlock()

	var loose []plumbing.Hash
	if checkLoose {
		var err error
		if loose, err = r.looseObjects(ctx); err != nil {
			return 0, err
		}
	}
	var cands []*packIndex
	for _, p := range packs {
		if _, err := os.Stat(p.base + ".keep"); err == nil {
			continue
		}
		if p.size == 0 {
			if fi, err := os.Stat(p.base + ".pack"); err == nil {
				p.size = fi.Size()
			}
		}
		if p.noDelta >= 0 && p.size > 0 {
			cands = append(cands, p)
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].size < cands[j].size })
	var chosen []*packIndex
	for {
		chosen = chosen[:0]
		if all {
			chosen = append(chosen, cands...)
		} else {
			chosen = geometricTail(cands, int64(len(loose))*200)
		}
		// Only packs without deltas are copied entry by entry; find out
		// about the chosen ones not yet looked at.
		dropped := false
		for _, p := range chosen {
			if p.noDelta == 0 {
				has, err := r.packHasDeltas(p)
				if err != nil {
					return 0, err
				}
				p.noDelta = 1
				if has {
					p.noDelta = -1
					dropped = true
				}
			}
		}
		if !dropped {
			break
		}
		kept := cands[:0]
		for _, p := range cands {
			if p.noDelta >= 0 {
				kept = append(kept, p)
			}
		}
		cands = kept
	}
	if len(chosen) < 2 && (len(loose) == 0 || !all && len(loose) < 64) {
		return 0, nil // nothing worth rewriting
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p, n, err := r.mergePacks(ctx, chosen, loose)
	if err != nil {
		return 0, err
	}
	// Durable before anything it replaces goes.
	syncDir(r.packDir())
	r.packMu.Lock()
	r.packs = append([]*packIndex{p}, r.packs...)
	r.packMu.Unlock()
	for _, old := range chosen {
		if old.base == p.base {
			continue
		}
		// The index first: git finds packs by their index.
		for _, ext := range []string{".idx", ".pack", ".rev", ".bitmap"} {
			if err := os.Remove(old.base + ext); err != nil && !errors.Is(err, os.ErrNotExist) && ext == ".idx" {
				return n, fmt.Errorf("gitrepo: remove merged pack: %w", err)
			}
		}
	}
	for _, id := range loose {
		hex := id.String()
		if err := os.Remove(filepath.Join(r.gitDir, "objects", hex[:2], hex[2:])); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("gitrepo: delete packed loose object %s: %w", id, err)
		}
	}
	r.refreshPacks()
	r.objMu.Lock()
	r.storage.Reindex()
	r.objMu.Unlock()
	return n, nil
}

// geometricTail picks the small packs to merge so that, afterwards, each
// pack is at least twice the size of all smaller ones together. extra is
// what is merged in any case (loose objects). cands are sorted by size.
func geometricTail(cands []*packIndex, extra int64) []*packIndex {
	cut := 0
	total := extra
	for i, p := range cands {
		if p.size < 2*total {
			cut = i + 1
		}
		total += p.size
	}
	return cands[:cut]
}

// packHasDeltas reports whether any entry of p is a delta.
func (r *Repo) packHasDeltas(p *packIndex) (bool, error) {
	f, err := p.file()
	if err != nil {
		return false, err
	}
	for i := 0; i < p.n; i++ {
		off, err := p.offset(i)
		if err != nil {
			return false, err
		}
		typ, _, _, _, _, err := p.entryHeader(f, off)
		if err != nil {
			return false, err
		}
		if typ >= 6 {
			return true, nil
		}
	}
	return false, nil
}

// mergePacks writes one pack holding every object of packs (entries copied
// verbatim) and the loose objects, each once.
func (r *Repo) mergePacks(ctx context.Context, packs []*packIndex, loose []plumbing.Hash) (*packIndex, int, error) {
	pw, err := r.newPackWriter(-1, false, 64*1024)
	if err != nil {
		return nil, 0, err
	}
	seen := map[plumbing.Hash]bool{}
	var buf []byte
	for _, p := range packs {
		f, err := p.file()
		if err != nil {
			pw.abort()
			return nil, 0, err
		}
		// Entries in file order; each runs to the next one's start.
		type ent struct {
			id  plumbing.Hash
			off int64
		}
		es := make([]ent, p.n)
		for i := range es {
			off, err := p.offset(i)
			if err != nil {
				pw.abort()
				return nil, 0, err
			}
			es[i] = ent{p.name(i), off}
		}
		sort.Slice(es, func(i, j int) bool { return es[i].off < es[j].off })
		fi, err := f.Stat()
		if err != nil {
			pw.abort()
			return nil, 0, err
		}
		for i, e := range es {
			end := fi.Size() - 20
			if i+1 < len(es) {
				end = es[i+1].off
			}
			if end <= e.off || end-e.off > 1<<32 {
				pw.abort()
				return nil, 0, fmt.Errorf("gitrepo: pack %s: malformed entry offsets", filepath.Base(p.base))
			}
			if seen[e.id] {
				continue
			}
			seen[e.id] = true
			if int64(cap(buf)) < end-e.off {
				buf = make([]byte, end-e.off)
			}
			buf = buf[:end-e.off]
			if _, err := f.ReadAt(buf, e.off); err != nil {
				pw.abort()
				return nil, 0, fmt.Errorf("gitrepo: read pack %s: %w", filepath.Base(p.base), err)
			}
			_, _, _, _, dataOff, err := p.entryHeader(f, e.off)
			if err != nil {
				pw.abort()
				return nil, 0, err
			}
			h := int(dataOff - e.off)
			if err := pw.addRaw(e.id, buf[:h], buf[h:]); err != nil {
				pw.abort()
				return nil, 0, err
			}
		}
		if err := ctx.Err(); err != nil {
			pw.abort()
			return nil, 0, err
		}
	}
	for i, id := range loose {
		if seen[id] {
			continue
		}
		t, data, ok, err := r.readLoose(id)
		if err != nil || !ok {
			pw.abort()
			return nil, 0, fmt.Errorf("gitrepo: pack loose object %s: %w", id, errors.Join(err, plumbing.ErrObjectNotFound))
		}
		seen[id] = true
		if err := pw.addObject(id, t, data); err != nil {
			pw.abort()
			return nil, 0, err
		}
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				pw.abort()
				return nil, 0, err
			}
		}
	}
	p, err := pw.finish(true)
	if err != nil {
		return nil, 0, err
	}
	return p, len(seen), nil
}

// removeStaleTemps deletes temporary files a crashed writer left outside
// the commit lock: packs being merged, files CommitFiles was about to
// write (a live writer is done with them within seconds).
func (r *Repo) removeStaleTemps() {
	for _, d := range []struct{ dir, prefix string }{{r.packDir(), "tmp_civicpress_"}, {r.gitDir, "civicpress-write-"}} {
		ents, err := os.ReadDir(d.dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), d.prefix) {
				continue
			}
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > time.Hour {
				os.Remove(filepath.Join(d.dir, e.Name()))
			}
		}
	}
}

// looseObjects lists loose object files, skipping anything else in the
// fan-out directories (temporary files of writes in progress).
func (r *Repo) looseObjects(ctx context.Context) ([]plumbing.Hash, error) {
	objects := filepath.Join(r.gitDir, "objects")
	dirs, err := os.ReadDir(objects)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: list loose objects: %w", err)
	}
	var out []plumbing.Hash
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 || !plumbing.IsHash(d.Name()+strings.Repeat("0", 38)) {
			continue
		}
		files, err := os.ReadDir(filepath.Join(objects, d.Name()))
		if err != nil {
			return nil, fmt.Errorf("gitrepo: list loose objects: %w", err)
		}
		for _, f := range files {
			if name := d.Name() + f.Name(); len(name) == 40 && plumbing.IsHash(name) {
				out = append(out, plumbing.NewHash(name))
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
