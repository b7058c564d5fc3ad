package gitrepo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

type scanFile struct {
	path string
	fi   os.FileInfo
}

// scan walks the work tree below dir (root-relative, "" for the root) and
// returns the files git would consider there: tracked ones (in the base tree
// or the index) and untracked ones .gitignore does not exclude; gone lists
// the base tree's files below dir that no longer exist. Nested repositories
// are skipped, as git does.
func (r *Repo) scan(dir string, base plumbing.Hash) (files []scanFile, gone []string, err error) {
	known := map[string]bool{}
	if e, ok, err := r.lookup(base, dir); err != nil {
		return nil, nil, err
	} else if ok && e.isDir() {
		if err := r.walkTree(e.id, dir, func(p string, _ treeEntry) error {
			known[p] = true
			return nil
		}); err != nil {
			return nil, nil, err
		}
	}
	inBase := make(map[string]bool, len(known))
	for p := range known {
		inBase[p] = true
	}
	lo, hi := 0, len(r.idx.entries)
	if dir != "" {
		lo, hi = r.idx.find(dir+"/"), r.idx.find(dir+"0")
	}
	for _, e := range r.idx.entries[lo:hi] {
		known[e.name] = true
	}
	sorted := make([]string, 0, len(known))
	for p := range known {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	knownUnder := func(d string) bool {
		i := sort.SearchStrings(sorted, d+"/")
		return i < len(sorted) && strings.HasPrefix(sorted[i], d+"/")
	}

	patterns := r.readIgnore(filepath.Join(r.gitDir, "info", "exclude"), nil)
	var comps []string
	if dir != "" {
		comps = strings.Split(dir, "/")
	}
	for i := 0; i < len(comps); i++ { // dir's own .gitignore is read by walk
		patterns = append(patterns, r.readIgnore(r.fsPath(strings.Join(append(comps[:i:i], ".gitignore"), "/")), comps[:i])...)
	}
	seen := map[string]bool{}
	var walk func(d string, ps []gitignore.Pattern) error
	walk = func(d string, ps []gitignore.Pattern) error {
		var dc []string
		if d != "" {
			dc = strings.Split(d, "/")
		}
		ps = append(ps[:len(ps):len(ps)], r.readIgnore(filepath.Join(r.fsPath(d), ".gitignore"), dc)...)
		m := gitignore.NewMatcher(ps)
		ents, err := os.ReadDir(r.fsPath(d))
		if err != nil {
			return fmt.Errorf("gitrepo: scan %s: %w", d, err)
		}
		for _, de := range ents {
			name := de.Name()
			if name == ".git" {
				continue
			}
			p := name
			if d != "" {
				p = d + "/" + name
			}
			comps := append(dc[:len(dc):len(dc)], name)
			if de.IsDir() {
				if _, err := os.Lstat(filepath.Join(r.fsPath(p), ".git")); err == nil {
					continue // a nested repository
				}
				if !knownUnder(p) && m.Match(comps, true) {
					continue
				}
				if err := walk(p, ps); err != nil {
					return err
				}
				continue
			}
			if !de.Type().IsRegular() && de.Type()&os.ModeSymlink == 0 {
				continue
			}
			if !known[p] && m.Match(comps, false) {
				continue
			}
			fi, err := de.Info()
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("gitrepo: scan %s: %w", p, err)
			}
			seen[p] = true
			files = append(files, scanFile{path: p, fi: fi})
		}
		return nil
	}
	if err := walk(dir, patterns); err != nil {
		return nil, nil, err
	}
	for p := range inBase {
		if !seen[p] {
			gone = append(gone, p)
		}
	}
	sort.Strings(gone)
	return files, gone, nil
}

func (r *Repo) readIgnore(file string, domain []string) []gitignore.Pattern {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ps []gitignore.Pattern
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s := sc.Text()
		if strings.HasPrefix(s, "#") || strings.TrimSpace(s) == "" {
			continue
		}
		ps = append(ps, gitignore.ParsePattern(s, domain))
	}
	return ps
}

// Dirty lists the paths below the Repo's dir whose content differs from
// HEAD: modified, deleted and untracked (not ignored) files, relative to dir
// and sorted. It scans the work tree, so it is meant for recovery at start
// up, not for every request. It first cleans up after a commit that died
// mid-way (stale git lock files, index entries), which needs the commit lock.
func (r *Repo) Dirty(ctx context.Context) ([]string, error) {
	unlock, err := r.lockRepo(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	pending, err := r.recoverLocked(ctx)
	if err != nil {
		return nil, err
	}
	_, base, err := r.headTree()
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		if err := r.resyncIndex(ctx, base, pending); err != nil {
			return nil, err
		}
		r.journalClear()
	} else if err := r.idx.load(r.indexPath()); err != nil {
		return nil, err
	}
	changes, _, err := r.expand([]string{r.prefix}, base, false)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range changes {
		if !c.del {
			if e, ok, err := r.lookup(base, c.path); err != nil {
				return nil, err
			} else if ok && e.id == c.id && e.mode == c.mode {
				continue
			}
		}
		if p, ok := r.outPath(c.path); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// resyncIndex repairs the index entries a dead commit may have left behind.
func (r *Repo) resyncIndex(ctx context.Context, tree plumbing.Hash, pending []string) error {
	il, err := r.acquireGitLock(ctx, r.indexPath())
	if err != nil {
		return err
	}
	if err := r.idx.load(r.indexPath()); err != nil {
		il.rollback()
		return err
	}
	if err := r.syncIndex(tree, nil, nil, pending); err != nil {
		il.rollback()
		return err
	}
	return r.idx.write(il)
}
