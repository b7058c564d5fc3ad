package gitrepo

import (
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// commitMeta is a parsed commit plus, once computed, the paths it changed
// relative to its first parent. Commits are immutable, so the cache never
// goes stale: a history query costs a walk over memory once the commits
// have been read.
type commitMeta struct {
	tree        plumbing.Hash
	parents     []plumbing.Hash
	authorName  string
	authorEmail string
	authorTime  time.Time
	commitTime  int64
	message     string
	files       []string // root-relative, sorted
	filesDone   bool
}

// history is the per-Repo cache of commits read so far.
type history struct {
	commits map[plumbing.Hash]*commitMeta
}

const maxCachedCommits = 500_000

// commitTree returns a commit's tree, from memory or from the object,
// never loading the history cache file (a commit needs only HEAD's tree).
func (r *Repo) commitTree(id plumbing.Hash) (plumbing.Hash, error) {
	r.histMu.Lock()
	if r.hist != nil {
		if m, ok := r.hist.commits[id]; ok {
			r.histMu.Unlock()
			return m.tree, nil
		}
	}
	r.histMu.Unlock()
	data, err := r.readObject(plumbing.CommitObject, id)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	m, err := parseCommit(data)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("gitrepo: commit %s: %w", id, err)
	}
	r.remember(id, m)
	return m.tree, nil
}

func (r *Repo) commitInfo(id plumbing.Hash) (*commitMeta, error) {
	r.histMu.Lock()
	if r.hist != nil {
		if m, ok := r.hist.commits[id]; ok {
			r.histMu.Unlock()
			return m, nil
		}
	}
	r.histMu.Unlock()
	// Another process (or an earlier run) may have recorded it already.
	r.refreshDiskCache()
	r.histMu.Lock()
	if r.hist != nil {
		if m, ok := r.hist.commits[id]; ok {
			r.histMu.Unlock()
			return m, nil
		}
	}
	r.histMu.Unlock()
	data, err := r.readObject(plumbing.CommitObject, id)
	if err != nil {
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, fmt.Errorf("%w: commit %s: %w", ErrNotFound, id, err)
		}
		return nil, err
	}
	m, err := parseCommit(data)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: commit %s: %w", id, err)
	}
	r.remember(id, m)
	return m, nil
}

func (r *Repo) remember(id plumbing.Hash, m *commitMeta) {
	r.histMu.Lock()
	defer r.histMu.Unlock()
	if r.hist == nil || len(r.hist.commits) >= maxCachedCommits {
		r.hist = &history{commits: map[plumbing.Hash]*commitMeta{}}
	}
	r.hist.commits[id] = m
}

func parseCommit(data []byte) (*commitMeta, error) {
	m := &commitMeta{}
	hdr, msg, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		hdr, msg = bytes.TrimSuffix(data, []byte("\n")), nil
	}
	m.message = strings.TrimRight(string(msg), "\n")
	for _, line := range strings.Split(string(hdr), "\n") {
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "tree":
			if !plumbing.IsHash(val) {
				return nil, errors.New("malformed tree line")
			}
			m.tree = plumbing.NewHash(val)
		case "parent":
			if !plumbing.IsHash(val) {
				return nil, errors.New("malformed parent line")
			}
			m.parents = append(m.parents, plumbing.NewHash(val))
		case "author":
			m.authorName, m.authorEmail, m.authorTime = parseSignature(val)
		case "committer":
			_, _, t := parseSignature(val)
			m.commitTime = t.Unix()
		}
	}
	if m.tree.IsZero() {
		return nil, errors.New("no tree")
	}
	return m, nil
}

// parseSignature reads "Name <email> 1700000000 +0100".
func parseSignature(s string) (name, email string, when time.Time) {
	open := strings.LastIndexByte(s, '<')
	closing := strings.LastIndexByte(s, '>')
	if open < 0 || closing < open {
		return strings.TrimSpace(s), "", time.Time{}
	}
	name = strings.TrimSpace(s[:open])
	email = s[open+1 : closing]
	fields := strings.Fields(s[closing+1:])
	if len(fields) >= 1 {
		sec, _ := strconv.ParseInt(fields[0], 10, 64)
		when = time.Unix(sec, 0)
		if len(fields) >= 2 && len(fields[1]) == 5 {
			tz := fields[1]
			h, err1 := strconv.Atoi(tz[1:3])
			mi, err2 := strconv.Atoi(tz[3:5])
			if err1 == nil && err2 == nil {
				off := h*3600 + mi*60
				if tz[0] == '-' {
					off = -off
				}
				when = when.In(time.FixedZone(tz, off))
			}
		}
	}
	return name, email, when
}

// changedFiles returns the paths a commit changed relative to its first parent.
func (r *Repo) changedFiles(id plumbing.Hash, m *commitMeta) ([]string, error) {
	r.histMu.Lock()
	done, files := m.filesDone, m.files
	r.histMu.Unlock()
	if done {
		return files, nil
	}
	parentTree := emptyTree
	if len(m.parents) > 0 {
		p, err := r.commitInfo(m.parents[0])
		if err != nil {
			return nil, err
		}
		parentTree = p.tree
	}
	files = nil
	if err := r.diffTrees(parentTree, m.tree, "", func(p string) { files = append(files, p) }); err != nil {
		return nil, err
	}
	sort.Strings(files)
	r.histMu.Lock()
	m.files, m.filesDone = files, true
	r.histMu.Unlock()
	r.persist(id, m)
	return files, nil
}

// diffTrees reports the blob paths that differ between trees a and b,
// descending only into subtrees whose ids differ. Both entry lists are in
// git order, so one merge pass pairs them up.
func (r *Repo) diffTrees(a, b plumbing.Hash, prefix string, fn func(string)) error {
	if a == b {
		return nil
	}
	ea, err := r.tree(a)
	if err != nil {
		return err
	}
	eb, err := r.tree(b)
	if err != nil {
		return err
	}
	join := func(n string) string {
		if prefix == "" {
			return n
		}
		return prefix + "/" + n
	}
	all := func(e treeEntry) error {
		p := join(e.name)
		if !e.isDir() {
			fn(p)
			return nil
		}
		return r.walkTree(e.id, p, func(q string, _ treeEntry) error { fn(q); return nil })
	}
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		switch {
		case j == len(eb) || i < len(ea) && treeLess(ea[i], eb[j]):
			if err := all(ea[i]); err != nil {
				return err
			}
			i++
		case i == len(ea) || treeLess(eb[j], ea[i]):
			if err := all(eb[j]); err != nil {
				return err
			}
			j++
		default: // same name, same kind
			x, y := ea[i], eb[j]
			i++
			j++
			switch {
			case x.id == y.id && x.mode == y.mode:
			case x.isDir():
				if err := r.diffTrees(x.id, y.id, join(x.name), fn); err != nil {
					return err
				}
			default:
				fn(join(x.name))
			}
		}
	}
	return nil
}

// noteCommit caches a commit this Repo just made, with its changed paths
// when they can be told from the staged changes alone.
func (r *Repo) noteCommit(id, tree, parent plumbing.Hash, a Author, when time.Time, msg string, changes []change, removals []string, base plumbing.Hash) {
	// Read the signature back as it was written, so a cached commit is
	// indistinguishable from one parsed from disk.
	name, email, at := parseSignature(signature(a, when))
	m := &commitMeta{
		tree:        tree,
		authorName:  name,
		authorEmail: email,
		authorTime:  at,
		commitTime:  at.Unix(),
		message:     strings.TrimRight(msg, "\n"),
	}
	if !parent.IsZero() {
		m.parents = []plumbing.Hash{parent}
	}
	files := make([]string, 0, len(changes))
	exact := true
	for _, c := range changes {
		e, ok, err := r.lookup(base, c.path)
		if err != nil {
			exact = false
			break
		}
		if c.del && ok || !c.del && (!ok || e.id != c.id || e.mode != c.mode) {
			files = append(files, c.path)
		}
		if !c.del && !ok {
			// A file where the base had a file in place of a parent
			// directory also deletes that file; leave such rare commits
			// to the tree diff.
			for d := c.path; ; {
				i := strings.LastIndexByte(d, '/')
				if i < 0 {
					break
				}
				d = d[:i]
				if pe, ok, _ := r.lookup(base, d); ok && !pe.isDir() {
					exact = false
				}
			}
		}
	}
	r.remember(id, m)
	if exact {
		sort.Strings(files)
		m.files, m.filesDone = files, true
		r.persist(id, m)
	}
}

// History lists the commits that changed path (relative to the Repo's dir;
// "" for every commit touching the dir), newest first as `git log -- path`
// orders them, skipping skip and returning at most limit (all when limit <= 0).
func (r *Repo) History(ctx context.Context, path string, limit, skip int) ([]Commit, error) {
	var out []Commit
	err := r.walkHistory(ctx, path, func(id plumbing.Hash, m *commitMeta) (bool, error) {
		if skip > 0 {
			skip--
			return true, nil
		}
		files, err := r.changedFiles(id, m)
		if err != nil {
			return false, err
		}
		c := Commit{
			Hash:        id.String(),
			Message:     m.message,
			AuthorName:  m.authorName,
			AuthorEmail: m.authorEmail,
			Date:        m.authorTime,
		}
		for _, f := range files {
			if p, ok := r.outPath(f); ok {
				c.Files = append(c.Files, p)
			}
		}
		out = append(out, c)
		return limit <= 0 || len(out) < limit, nil
	})
	return out, err
}

// CountCommits counts the commits History(path, 0, 0) would list. After the
// first walk the commits are cached, so a count is a walk over memory.
func (r *Repo) CountCommits(ctx context.Context, path string) (int, error) {
	n := 0
	err := r.walkHistory(ctx, path, func(plumbing.Hash, *commitMeta) (bool, error) {
		n++
		return true, nil
	})
	return n, err
}

// walkHistory visits the commits reachable from HEAD that touch path, in
// committer-date order, with git's default history simplification at
// merges: a merge that matches one parent at path is skipped and only that
// parent followed.
func (r *Repo) walkHistory(ctx context.Context, path string, visit func(plumbing.Hash, *commitMeta) (bool, error)) error {
	p, err := r.cleanPath(path)
	if err != nil {
		return err
	}
	h, err := r.readHead()
	if err != nil {
		return err
	}
	if h.commit.IsZero() {
		return nil
	}
	m, err := r.commitInfo(h.commit)
	if err != nil {
		return err
	}
	// Linear history (the usual case here) is followed parent by parent;
	// the date-ordered queue and the seen set come into play at the first
	// merge. Commits before that merge cannot be reached again from it.
	var q commitQueue
	var seen map[plumbing.Hash]bool
	cur := queued{h.commit, m}
	for n := 1; ; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		follow := cur.m.parents
		show := true
		if p != "" {
			switch len(cur.m.parents) {
			case 0, 1:
				show, err = r.changesPath(cur.id, cur.m, p)
				if err != nil {
					return err
				}
			default:
				at, err := r.entryAt(cur.m.tree, p)
				if err != nil {
					return err
				}
				for _, pid := range cur.m.parents {
					pm, err := r.commitInfo(pid)
					if err != nil {
						return err
					}
					pat, err := r.entryAt(pm.tree, p)
					if err != nil {
						return err
					}
					if pat == at {
						show, follow = false, []plumbing.Hash{pid}
						break
					}
				}
			}
		}
		if show {
			more, err := visit(cur.id, cur.m)
			if err != nil || !more {
				return err
			}
		}
		if len(follow) == 1 && seen == nil {
			pm, err := r.commitInfo(follow[0])
			if err != nil {
				return err
			}
			cur = queued{follow[0], pm}
			continue
		}
		if seen == nil {
			seen = map[plumbing.Hash]bool{}
		}
		for _, pid := range follow {
			if seen[pid] {
				continue
			}
			seen[pid] = true
			pm, err := r.commitInfo(pid)
			if err != nil {
				return err
			}
			heap.Push(&q, queued{pid, pm})
		}
		if q.Len() == 0 {
			return nil
		}
		cur = heap.Pop(&q).(queued)
	}
}

// changesPath reports whether a commit changed path p relative to its
// first parent. The commit's full list of changed files is computed once
// (reading only the subtrees that differ) and cached, so a later query for
// any path is a walk over memory.
func (r *Repo) changesPath(id plumbing.Hash, m *commitMeta, p string) (bool, error) {
	files, err := r.changedFiles(id, m)
	if err != nil {
		return false, err
	}
	return touches(files, p), nil
}

// entryAt is the id of whatever is at path in tree (zero if nothing).
func (r *Repo) entryAt(tree plumbing.Hash, path string) (plumbing.Hash, error) {
	e, ok, err := r.lookup(tree, path)
	if err != nil || !ok {
		return plumbing.ZeroHash, err
	}
	return e.id, nil
}

// touches reports whether a sorted path list contains p or a path below p.
func touches(files []string, p string) bool {
	// Commits change few files: a scan beats building p+"/" per commit.
	for _, f := range files {
		if strings.HasPrefix(f, p) && (len(f) == len(p) || f[len(p)] == '/') {
			return true
		}
	}
	return false
}

type queued struct {
	id plumbing.Hash
	m  *commitMeta
}

// commitQueue orders commits newest committer date first, like git log.
type commitQueue []queued

func (q commitQueue) Len() int { return len(q) }
func (q commitQueue) Less(i, j int) bool {
	return q[i].m.commitTime > q[j].m.commitTime
}
func (q commitQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)   { *q = append(*q, x.(queued)) }
func (q *commitQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}
