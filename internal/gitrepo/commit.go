package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// testHook, when set by a test, is called at each step of a commit so a
// child process can kill itself there and the parent can check recovery.
var testHook func(step string)

func hook(step string) {
	if testHook != nil {
		testHook(step)
	}
}

// change is the staged state of one path: a blob, or its deletion.
type change struct {
	path string // root-relative
	del  bool
	id   plumbing.Hash
	mode filemode.FileMode
	fi   os.FileInfo // stat of the staged file, for its index entry
}

// syncIndex updates the index entries of the staged paths, and aligns those
// of pending paths (left by a commit that died) with the tree.
func (r *Repo) syncIndex(tree plumbing.Hash, changes []change, removals, pending []string) error {
	for _, p := range removals {
		r.idx.remove(p)
	}
	done := make(map[string]bool, len(changes))
	for _, c := range changes {
		done[c.path] = true
		if c.del {
			r.idx.remove(c.path)
			continue
		}
		r.idx.set(entryFor(c.path, c.id, c.mode, c.fi))
	}
	for _, p := range pending {
		if done[p] {
			continue
		}
		e, ok, err := r.lookup(tree, p)
		if err != nil {
			return err
		}
		if !ok || e.isDir() {
			r.idx.remove(p)
			continue
		}
		// Keep the file's stat only if the file still holds the committed
		// content; otherwise git must see it as modified.
		var fi os.FileInfo
		if c, err := r.stageFile(p, false); err == nil && c.id == e.id && c.mode == e.mode {
			fi = c.fi
		}
		r.idx.set(entryFor(p, e.id, e.mode, fi))
	}
	return nil
}

// recoverLocked cleans up after a commit that died (or failed) holding the
// lock; it returns the paths whose index entries must be re-synced. The
// journal is emptied only once they are.
func (r *Repo) recoverLocked(ctx context.Context) ([]string, error) {
	return r.readJournal()
}

// expand turns the requested paths into staged changes. With write, new
// blobs are stored; without, only hashed (for Dirty). removals are paths to
// drop from the index that HEAD does not have (staged there by someone else).
func (r *Repo) expand(paths []string, base plumbing.Hash, write bool) ([]change, []string, error) {
	byPath := map[string]change{}
	var removals []string
	add := func(c change) { byPath[c.path] = c }
	for _, p := range paths {
		fi, err := os.Lstat(r.fsPath(p))
		switch {
		case errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			e, ok, err := r.lookup(base, p)
			if err != nil {
				return nil, nil, err
			}
			switch {
			case ok && e.isDir():
				if err := r.walkTree(e.id, p, func(q string, _ treeEntry) error {
					add(change{path: q, del: true})
					return nil
				}); err != nil {
					return nil, nil, err
				}
			case ok:
				add(change{path: p, del: true})
			}
			if p != "" {
				removals = append(removals, p)
			}
		case err != nil:
			return nil, nil, fmt.Errorf("gitrepo: stat %s: %w", p, err)
		case fi.IsDir():
			files, gone, err := r.scan(p, base)
			if err != nil {
				return nil, nil, err
			}
			for _, f := range files {
				c, err := r.stageKnown(f.path, f.fi, write)
				if err != nil {
					return nil, nil, err
				}
				add(c)
			}
			for _, q := range gone {
				add(change{path: q, del: true})
			}
		case fi.Mode().IsRegular() || fi.Mode()&os.ModeSymlink != 0:
			c, err := r.stageFile(p, write)
			if err != nil {
				return nil, nil, err
			}
			add(c)
		}
	}
	out := make([]change, 0, len(byPath))
	for _, c := range byPath {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, removals, nil
}

// stageKnown stages a file found by a scan, trusting the index entry when
// the file's stat data says it has not changed since (git's own shortcut).
func (r *Repo) stageKnown(p string, fi os.FileInfo, write bool) (change, error) {
	if e := r.idx.entry(p); e != nil && statMatches(e, fi) && !r.idx.racy(e) && e.mode == modeOf(fi) {
		return change{path: p, id: e.id, mode: e.mode, fi: fi}, nil
	}
	return r.stageFile(p, write)
}

func modeOf(fi os.FileInfo) filemode.FileMode {
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return filemode.Symlink
	case fi.Mode()&0o111 != 0:
		return filemode.Executable
	default:
		return filemode.Regular
	}
}

// stageFile hashes (and with write, stores) the file at p. The stat taken
// goes into the index entry, so it must describe exactly the bytes hashed:
// the file is read between two stats and read again if they differ.
func (r *Repo) stageFile(p string, write bool) (change, error) {
	full := r.fsPath(p)
	var content []byte
	var fi os.FileInfo
	for attempt := 0; ; attempt++ {
		before, err := os.Lstat(full)
		if err != nil {
			return change{}, fmt.Errorf("gitrepo: stage %s: %w", p, err)
		}
		if before.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(full)
			if err != nil {
				return change{}, fmt.Errorf("gitrepo: stage %s: %w", p, err)
			}
			content = []byte(filepath.ToSlash(target))
		} else {
			content, err = readFile(full, before.Size())
			if err != nil {
				return change{}, fmt.Errorf("gitrepo: stage %s: %w", p, err)
			}
		}
		after, err := os.Lstat(full)
		if err != nil {
			return change{}, fmt.Errorf("gitrepo: stage %s: %w", p, err)
		}
		if fileIdentOf(before) == fileIdentOf(after) {
			fi = after
			break
		}
		if attempt == 3 {
			fi = nil // still changing: keep no stat, so git rehashes it
			break
		}
	}
	c := change{path: p, mode: modeOf(orStat(fi, full)), fi: fi}
	if write {
		c.id = r.addObject(plumbing.BlobObject, content)
	} else {
		c.id = objectID("blob", content)
	}
	return c, nil
}

func orStat(fi os.FileInfo, full string) os.FileInfo {
	if fi != nil {
		return fi
	}
	fi, _ = os.Lstat(full)
	return fi
}

func readFile(name string, sizeHint int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	b.Grow(int(sizeHint) + 512)
	_, err = io.Copy(&b, f)
	return b.Bytes(), err
}

// applyChanges rewrites only the trees on the changed paths, starting from
// base, and returns the new root tree.
func (r *Repo) applyChanges(base plumbing.Hash, changes []change) (plumbing.Hash, error) {
	root := &trieNode{}
	for i := range changes {
		n := root
		for _, part := range strings.Split(changes[i].path, "/") {
			if n.children == nil {
				n.children = map[string]*trieNode{}
			}
			c := n.children[part]
			if c == nil {
				c = &trieNode{}
				n.children[part] = c
			}
			n = c
		}
		n.leaf = &changes[i]
	}
	id, _, err := r.rebuild(base, root)
	return id, err
}

type trieNode struct {
	children map[string]*trieNode
	leaf     *change
}

func (r *Repo) rebuild(base plumbing.Hash, n *trieNode) (plumbing.Hash, bool, error) {
	old, err := r.tree(base)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	var changed []treeEntry
	for name, c := range n.children {
		if len(c.children) > 0 {
			var sub plumbing.Hash
			if e, ok := findEntry(old, name); ok && e.isDir() {
				sub = e.id
			}
			id, empty, err := r.rebuild(sub, c)
			if err != nil {
				return plumbing.ZeroHash, false, err
			}
			if !empty {
				changed = append(changed, treeEntry{name: name, mode: filemode.Dir, id: id})
				continue
			}
		}
		if c.leaf != nil && !c.leaf.del {
			changed = append(changed, treeEntry{name: name, mode: c.leaf.mode, id: c.leaf.id})
		}
	}
	// Merge the few changed entries into the sorted old ones: a directory
	// of thousands of records must not be re-sorted on every commit.
	sort.Slice(changed, func(i, j int) bool { return treeLess(changed[i], changed[j]) })
	entries := make([]treeEntry, 0, len(old)+len(changed))
	i := 0
	for _, e := range old {
		if _, touched := n.children[e.name]; touched {
			continue
		}
		for i < len(changed) && treeLess(changed[i], e) {
			entries = append(entries, changed[i])
			i++
		}
		entries = append(entries, e)
	}
	entries = append(entries, changed[i:]...)
	if len(entries) == 0 {
		return emptyTree, true, nil
	}
	data := encodeTree(entries)
	id := objectID("tree", data)
	if id == base {
		return id, false, nil
	}
	r.addObject(plumbing.TreeObject, data)
	r.trees.put(id, entries)
	return id, false, nil
}

func (r *Repo) writeCommit(tree, parent plumbing.Hash, a Author, when time.Time, msg string) plumbing.Hash {
	var b bytes.Buffer
	fmt.Fprintf(&b, "tree %s\n", tree)
	if !parent.IsZero() {
		fmt.Fprintf(&b, "parent %s\n", parent)
	}
	sig := signature(a, when)
	fmt.Fprintf(&b, "author %s\ncommitter %s\n\n%s", sig, sig, msg)
	return r.addObject(plumbing.CommitObject, b.Bytes())
}

func signature(a Author, when time.Time) string {
	return fmt.Sprintf("%s <%s> %d %s", a.Name, a.Email, when.Unix(), when.Format("-0700"))
}

// cleanMessage applies git's whitespace cleanup: trailing spaces and
// surrounding blank lines go, runs of blank lines collapse, and the message
// ends with one newline.
func cleanMessage(msg string) (string, error) {
	lines := strings.Split(strings.ReplaceAll(msg, "\r\n", "\n"), "\n")
	var out []string
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t\r")
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return "", fmt.Errorf("%w: empty commit message", ErrInvalid)
	}
	if strings.ContainsRune(msg, 0) {
		return "", fmt.Errorf("%w: NUL in commit message", ErrInvalid)
	}
	return strings.Join(out, "\n") + "\n", nil
}

func checkAuthor(a Author) error {
	if strings.TrimSpace(a.Name) == "" {
		return fmt.Errorf("%w: author name is empty", ErrInvalid)
	}
	for _, s := range []string{a.Name, a.Email} {
		if strings.ContainsAny(s, "<>\n\r\x00") {
			return fmt.Errorf("%w: author %q <%s> contains characters git cannot store", ErrInvalid, a.Name, a.Email)
		}
	}
	return nil
}
