package gitrepo

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/civicpress/civicpress-go/internal/textdiff"
)

// resolve turns a revision ("HEAD", a branch, a full or abbreviated hash,
// "HEAD~2", ...) into a commit.
func (r *Repo) resolve(rev string) (plumbing.Hash, *commitMeta, error) {
	if rev == "" {
		rev = "HEAD"
	}
	var id plumbing.Hash
	switch {
	case len(rev) == 40 && plumbing.IsHash(rev):
		id = plumbing.NewHash(rev)
	case rev == "HEAD":
		h, err := r.readHead()
		if err != nil {
			return id, nil, err
		}
		if h.commit.IsZero() {
			return id, nil, fmt.Errorf("%w: revision HEAD: no commits yet", ErrNotFound)
		}
		id = h.commit
	default:
		r.objMu.Lock()
		h, err := r.gogit.ResolveRevision(plumbing.Revision(rev))
		if err != nil {
			// go-git reads the pack list once: packs written since are
			// unknown to it until it reads the list again.
			r.storage.Reindex()
			h, err = r.gogit.ResolveRevision(plumbing.Revision(rev))
		}
		r.objMu.Unlock()
		if err != nil {
			return id, nil, fmt.Errorf("%w: revision %q: %w", ErrNotFound, rev, err)
		}
		id = *h
	}
	m, err := r.commitInfo(id)
	if err != nil {
		return id, nil, err
	}
	return id, m, nil
}

// FileAt returns the content of path (relative to the Repo's dir) as of
// revision rev ("" means HEAD). A path missing at that revision, or naming
// a directory, is ErrNotFound.
func (r *Repo) FileAt(ctx context.Context, rev, path string) ([]byte, error) {
	p, err := r.cleanPath(path)
	if err != nil {
		return nil, err
	}
	_, m, err := r.resolve(rev)
	if err != nil {
		return nil, err
	}
	e, ok, err := r.lookup(m.tree, p)
	if err != nil {
		return nil, err
	}
	if !ok || e.isDir() || p == "" {
		return nil, fmt.Errorf("%w: %s at %s", ErrNotFound, path, rev)
	}
	return r.readObject(plumbing.BlobObject, e.id)
}

// Diff returns a unified diff (git's format, 3 lines of context) of path
// between revisions from and to; a side where the file does not exist
// reads as empty. "" when the file is the same at both.
func (r *Repo) Diff(ctx context.Context, from, to, path string) (string, error) {
	a, err := r.FileAt(ctx, from, path)
	aMissing := errors.Is(err, ErrNotFound)
	if err != nil && !aMissing {
		return "", err
	}
	b, err := r.FileAt(ctx, to, path)
	bMissing := errors.Is(err, ErrNotFound)
	if err != nil && !bMissing {
		return "", err
	}
	if aMissing && bMissing {
		return "", fmt.Errorf("%w: %s at %s and %s", ErrNotFound, path, from, to)
	}
	aName, bName := "a/"+path, "b/"+path
	if aMissing {
		aName = "/dev/null"
	}
	if bMissing {
		bName = "/dev/null"
	}
	return textdiff.Unified(aName, bName, a, b, 3), nil
}
