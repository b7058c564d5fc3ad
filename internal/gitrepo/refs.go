package gitrepo

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// head is where HEAD points: a branch (possibly without commits yet) or,
// detached, HEAD itself.
type head struct {
	ref    string        // "refs/heads/main", or "HEAD" when detached
	commit plumbing.Hash // zero on an unborn branch
}

func (r *Repo) readHead() (head, error) {
	data, err := os.ReadFile(filepath.Join(r.gitDir, "HEAD"))
	if err != nil {
		return head{}, fmt.Errorf("gitrepo: read HEAD: %w", err)
	}
	s := strings.TrimSpace(string(data))
	if name, ok := strings.CutPrefix(s, "ref:"); ok {
		name = strings.TrimSpace(name)
		if !strings.HasPrefix(name, "refs/") || strings.Contains(name, "..") {
			return head{}, fmt.Errorf("gitrepo: HEAD points at %q", name)
		}
		id, err := r.readRef(name)
		if err != nil {
			return head{}, err
		}
		return head{ref: name, commit: id}, nil
	}
	if !plumbing.IsHash(s) {
		return head{}, fmt.Errorf("gitrepo: malformed HEAD %q", s)
	}
	return head{ref: "HEAD", commit: plumbing.NewHash(s)}, nil
}

// headTree reads HEAD and the tree of its commit (the empty tree on a
// branch without commits yet).
func (r *Repo) headTree() (head, plumbing.Hash, error) {
	h, err := r.readHead()
	if err != nil {
		return h, plumbing.ZeroHash, err
	}
	if h.commit.IsZero() {
		return h, emptyTree, nil
	}
	base, err := r.commitTree(h.commit)
	return h, base, err
}

// readRef resolves a ref from its loose file, else from packed-refs; zero
// when it does not exist.
func (r *Repo) readRef(name string) (plumbing.Hash, error) {
	data, err := os.ReadFile(filepath.Join(r.gitDir, filepath.FromSlash(name)))
	if err == nil {
		s := strings.TrimSpace(string(data))
		if strings.HasPrefix(s, "ref:") {
			return plumbing.ZeroHash, fmt.Errorf("gitrepo: %s is a symbolic ref, which is not supported", name)
		}
		if !plumbing.IsHash(s) {
			return plumbing.ZeroHash, fmt.Errorf("gitrepo: malformed ref %s", name)
		}
		return plumbing.NewHash(s), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return plumbing.ZeroHash, fmt.Errorf("gitrepo: read %s: %w", name, err)
	}
	f, err := os.Open(filepath.Join(r.gitDir, "packed-refs"))
	if errors.Is(err, os.ErrNotExist) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("gitrepo: read packed-refs: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 42 || line[0] == '#' || line[0] == '^' {
			continue
		}
		if string(line[41:]) == name {
			return plumbing.NewHash(string(line[:40])), nil
		}
	}
	return plumbing.ZeroHash, sc.Err()
}

// errRefMoved reports that the branch changed between reading HEAD and
// locking the ref: someone outside our lock committed.
var errRefMoved = errors.New("gitrepo: branch moved during commit")

// checkRef confirms, under the branch's lock, that the branch still names
// h's commit: errRefMoved if someone committed outside our lock.
func (r *Repo) checkRef(h head) error {
	cur, err := r.readRef(h.ref)
	if h.ref == "HEAD" {
		var hh head
		hh, err = r.readHead()
		cur = hh.commit
	}
	if err != nil {
		return err
	}
	if cur != h.commit {
		return errRefMoved
	}
	return nil
}

// appendReflogs adds one reflog line per commit, as git does, so `git
// reflog` keeps working. A reflog is a convenience for humans: failing to
// append one does not fail commits already made.
func (r *Repo) appendReflogs(h head, commits []made) {
	var lines bytes.Buffer
	for _, m := range commits {
		what := "commit"
		if m.parent.IsZero() {
			what = "commit (initial)"
		}
		subject, _, _ := strings.Cut(m.req.msg, "\n")
		a := m.req.author
		fmt.Fprintf(&lines, "%s %s %s <%s> %d %s\t%s: %s\n", m.parent, m.id, a.Name, a.Email, m.when.Unix(), m.when.Format("-0700"), what, subject)
	}
	logs := []string{filepath.Join(r.gitDir, "logs", "HEAD")}
	if h.ref != "HEAD" {
		logs = append(logs, filepath.Join(r.gitDir, "logs", filepath.FromSlash(h.ref)))
	}
	for _, lp := range logs {
		_ = os.MkdirAll(filepath.Dir(lp), 0o755)
		if f, err := os.OpenFile(lp, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			f.Write(lines.Bytes())
			f.Close()
		}
	}
}
