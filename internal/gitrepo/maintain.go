package gitrepo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/idxfile"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// PackObjects moves the loose objects commits leave behind (about six small
// files per commit) into one pack file, as `git gc` would, and returns how
// many it packed. Nothing is ever dropped: every loose object present when
// it starts goes into the pack, which is written and synced before any
// loose file is removed, and existing packs are left alone. Commits may run
// meanwhile. Hosts call it now and then (say daily, or every few thousand
// commits); its cost is proportional to the number of loose objects.
func (r *Repo) PackObjects(ctx context.Context) (int, error) {
	// A storage of its own: packing reads every object and must not hold
	// the lock that history queries use.
	st := filesystem.NewStorageWithOptions(osfs.New(r.gitDir), cache.NewObjectLRUDefault(), filesystem.Options{})
	defer st.Close()
	loose, err := r.looseObjects(ctx)
	if err != nil {
		return 0, err
	}
	if len(loose) == 0 {
		return 0, nil
	}
	w, err := st.PackfileWriter()
	if err != nil {
		return 0, fmt.Errorf("gitrepo: pack: %w", err)
	}
	packID, err := packfile.NewEncoder(w, st, false).Encode(loose, 10)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("gitrepo: pack: %w", err)
	}
	base := filepath.Join(r.gitDir, "objects", "pack", "pack-"+packID.String())
	for _, p := range []string{base + ".pack", base + ".idx"} {
		f, err := os.Open(p)
		if err != nil {
			return 0, fmt.Errorf("gitrepo: pack: %w", err)
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("gitrepo: pack: %w", err)
		}
	}
	syncDir(filepath.Dir(base))

	// Read the index back and check it lists every object before deleting
	// anything.
	f, err := os.Open(base + ".idx")
	if err != nil {
		return 0, fmt.Errorf("gitrepo: pack: %w", err)
	}
	idx := idxfile.NewMemoryIndex()
	err = idxfile.NewDecoder(f).Decode(idx)
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("gitrepo: read back pack index: %w", err)
	}
	for _, h := range loose {
		if ok, err := idx.Contains(h); err != nil || !ok {
			return 0, fmt.Errorf("gitrepo: pack %s lacks object %s; nothing deleted", packID, h)
		}
	}
	n := 0
	for _, h := range loose {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if err := st.DeleteLooseObject(h); err != nil && !os.IsNotExist(err) {
			return n, fmt.Errorf("gitrepo: delete packed loose object %s: %w", h, err)
		}
		n++
	}
	r.objMu.Lock()
	r.storage.Reindex()
	r.objMu.Unlock()
	return n, nil
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
