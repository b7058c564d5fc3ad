package gitrepo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// Commit records the current content of paths (relative to the Repo's dir)
// as one commit authored and committed by a, and returns its full hash.
//
// Staging follows `git add <paths>`: a path that no longer exists stages its
// deletion, a directory stages everything below it (untracked files that
// .gitignore excludes are left out; a file named explicitly is staged even if
// ignored), a rename is the old path plus the new one. With no paths every
// change under the Repo's dir is committed, like `git add . && git commit`.
// Only the named paths are read and only the trees above them rewritten, so
// the cost does not depend on the size of the repository.
//
// Commits are serialized within the process and, through the Locker, across
// processes. Commits requested while others are being written are made
// together once those are done: each still gets its own commit, in the order
// requested, but they share one pack file, one round of syncs and one move
// of the branch. When nothing differs from HEAD no commit is made and Commit
// returns HEAD with ErrNothingToCommit. Once its commit is under way, Commit
// waits for it whatever ctx says: a commit is not abandoned half made.
func (r *Repo) Commit(ctx context.Context, msg string, a Author, paths ...string) (string, error) {
	if len(paths) == 0 {
		paths = []string{""}
	}
	req, err := r.newRequest(msg, a)
	if err != nil {
		return "", err
	}
	for _, p := range paths {
		c, err := r.cleanPath(p)
		if err != nil {
			return "", err
		}
		req.paths = append(req.paths, c)
	}
	return r.submit(ctx, req)
}

// File is a change CommitFiles makes in the work tree: Data written to
// Path, or with Remove the file at Path deleted.
type File struct {
	Path   string // relative to the Repo's dir
	Data   []byte
	Remove bool
}

// CommitFiles writes files into the work tree and commits exactly those
// paths as one commit, as Commit does. Each file is replaced atomically (a
// temporary file renamed over it), and by the time CommitFiles returns
// successfully the files, their removals and the commit are all durable
// (unless NoSync). The files' syncs share rounds with the commit's own,
// which makes this cheaper than writing the files durably and then calling
// Commit. The files are put in place only once the commit is certain to be
// made (the branch's lock held); an error may leave them in place without
// the commit, never the commit without them. The file contents are staged
// as given, not read back.
func (r *Repo) CommitFiles(ctx context.Context, msg string, a Author, files ...File) (string, error) {
	req, err := r.newRequest(msg, a)
	if err != nil {
		return "", err
	}
	defer req.cleanup()
	for _, f := range files {
		c, err := r.cleanPath(f.Path)
		if err != nil {
			return "", err
		}
		if c == "" || c == r.prefix {
			return "", fmt.Errorf("%w: CommitFiles needs file paths, not %q", ErrInvalid, f.Path)
		}
		wf := &workFile{path: c, data: f.Data, remove: f.Remove}
		req.files = append(req.files, wf)
		if !f.Remove {
			if err := r.prepareFile(wf); err != nil {
				return "", err
			}
		}
	}
	return r.submit(ctx, req)
}

// workFile is a file of a CommitFiles request.
type workFile struct {
	path   string // root-relative
	data   []byte
	remove bool
	tmp    string   // the temporary file holding data, until placed
	f      *os.File // open on tmp, synced by the leader
	placed bool
}

// prepareFile writes wf's data to a temporary file (not yet synced) in the
// caller's goroutine, outside the commit lock. It lives under .git, where
// neither git nor a work-tree scan sees it, and is renamed into the work
// tree when the commit is made.
func (r *Repo) prepareFile(wf *workFile) error {
	full := r.fsPath(wf.path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return fmt.Errorf("gitrepo: %w", err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	wf.tmp = filepath.Join(r.gitDir, "civicpress-write-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(wf.tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("gitrepo: write %s: %w", wf.path, err)
	}
	wf.f = f
	if _, err := f.Write(wf.data); err != nil {
		return fmt.Errorf("gitrepo: write %s: %w", wf.path, err)
	}
	return nil
}

func (r *Repo) newRequest(msg string, a Author) (*commitReq, error) {
	msg, err := cleanMessage(msg)
	if err != nil {
		return nil, err
	}
	if err := checkAuthor(a); err != nil {
		return nil, err
	}
	return &commitReq{msg: msg, author: a, done: make(chan commitRes, 1)}, nil
}

// cleanup closes and removes the temporary files left (all of them unless
// the commit placed them).
func (q *commitReq) cleanup() {
	for _, wf := range q.files {
		if wf.f != nil {
			wf.f.Close()
		}
		if wf.tmp != "" && !wf.placed {
			os.Remove(wf.tmp)
		}
	}
}

// submit queues req and waits for its commit, leading the commits queued
// when the lock is free.
func (r *Repo) submit(ctx context.Context, req *commitReq) (string, error) {
	r.qmu.Lock()
	r.queue = append(r.queue, req)
	r.qmu.Unlock()
	for {
		select {
		case res := <-req.done:
			return res.id, res.err
		case r.sem <- struct{}{}:
			r.lead(ctx, req)
		case <-ctx.Done():
			if r.dequeue(req) {
				return "", fmt.Errorf("gitrepo: waiting for commit lock: %w", ctx.Err())
			}
			res := <-req.done // a leader has taken it: the commit is under way
			return res.id, res.err
		}
	}
}

// commitReq is one Commit or CommitFiles call waiting for, or being served
// by, a leader.
type commitReq struct {
	msg    string
	author Author
	paths  []string    // Commit: root-relative paths to stage from disk
	files  []*workFile // CommitFiles: files to write or remove
	done   chan commitRes

	// filled while the batch is made
	changes  []change
	removals []string
}

type commitRes struct {
	id  string
	err error
}

// maxBatch bounds how many commits one lock holding makes.
const maxBatch = 64

func (r *Repo) dequeue(req *commitReq) bool {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	for i, q := range r.queue {
		if q == req {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			return true
		}
	}
	return false
}

// lead runs holding r.sem (and releases it): it takes the cross-process
// lock and makes the commits queued by then.
func (r *Repo) lead(ctx context.Context, own *commitReq) {
	defer func() { <-r.sem }()
	r.qmu.Lock()
	n := len(r.queue)
	r.qmu.Unlock()
	if n == 0 {
		return
	}
	unlock, err := r.locker.Lock(ctx)
	if err != nil {
		if r.dequeue(own) {
			own.done <- commitRes{err: fmt.Errorf("gitrepo: cross-process lock: %w", err)}
		}
		return // the others stay queued for the next leader
	}
	r.qmu.Lock()
	k := min(len(r.queue), maxBatch)
	batch := append([]*commitReq(nil), r.queue[:k]...)
	r.queue = append(r.queue[:0], r.queue[k:]...)
	r.qmu.Unlock()
	// The callers wait for their commits whatever happens to the leader's
	// context; lock waits are bounded by LockWait.
	res := r.commitBatch(context.WithoutCancel(ctx), batch)
	unlock()
	// Answered once the locks are released, so that the next leader can
	// start at once.
	for i, q := range batch {
		q.done <- res[i]
	}
	r.maybeMaintain()
}

// commitBatch makes the commits of reqs and returns each one's answer.
func (r *Repo) commitBatch(ctx context.Context, reqs []*commitReq) []commitRes {
	all := func(err error) []commitRes {
		res := make([]commitRes, len(reqs))
		for i := range res {
			res[i].err = err
		}
		return res
	}
	pending, err := r.recoverLocked(ctx)
	if err != nil {
		return all(err)
	}
	for attempt := 0; ; attempt++ {
		res, err := r.commitLocked(ctx, reqs, pending)
		r.dropPending()
		if errors.Is(err, errRefMoved) && attempt < 5 {
			continue
		}
		if err != nil {
			return all(err)
		}
		return res
	}
}

// made is a commit object of the batch in progress.
type made struct {
	id, tree, parent, base plumbing.Hash
	req                    *commitReq
	when                   time.Time
}

// commitLocked makes a batch of commits. The order of its steps keeps
// rounds of syncs few, each round's syncs running together:
//
//  1. under index.lock, stage every request and build its trees and commit
//     in memory (the files of CommitFiles are staged from their data);
//  2. take the branch's lock and write the new commit id into it;
//  3. sync the new files, the pack of the new objects and the branch's
//     lock file (round one);
//  4. rename the files into the work tree (and delete removed ones) and
//     put the pack in place; sync their directories (round two);
//  5. rename the branch's lock over the branch and sync its directory
//     (round three): the commits are made;
//  6. update the index and rename it into place (not synced: it is a
//     cache, which the journal repairs after a crash).
//
// Nothing the branch names can be lost in a crash: the objects and files
// are durable before the branch moves.
func (r *Repo) commitLocked(ctx context.Context, reqs []*commitReq, pending []string) ([]commitRes, error) {
	il, err := r.acquireGitLock(ctx, r.indexPath())
	if err != nil {
		return nil, err
	}
	// On failure the journal is kept: its path lines make the next commit
	// re-sync those index entries, and its lock lines no longer match any
	// file once the locks are rolled back.
	indexHeld := true
	var indexWritten chan error // the new index's write into index.lock, once started
	defer func() {
		if indexHeld {
			if indexWritten != nil {
				<-indexWritten
				r.idx.loaded = false // it holds entries of commits not made
			}
			il.rollback()
		}
	}()
	hook("index-locked")
	r.dropPending()
	if err := r.idx.load(r.indexPath()); err != nil {
		return nil, err
	}
	h, base, err := r.headTree()
	if err != nil {
		return nil, err
	}

	var journal strings.Builder
	for _, p := range pending {
		journal.WriteString("path " + p + "\n")
	}
	res := make([]commitRes, len(reqs))
	var commits []made
	var changes []change
	var removals []string
	var files []*workFile
	tip, tree := h.commit, base
	for i, q := range reqs {
		if q.files != nil {
			q.changes, q.removals, err = r.stageFiles(q.files, tree)
		} else {
			q.changes, q.removals, err = r.expand(q.paths, tree, true)
		}
		if err != nil {
			res[i].err = err
			continue
		}
		for _, wf := range q.files {
			if wf.tmp != "" {
				// Should this process die, recovery deletes it.
				journal.WriteString("tmp " + wf.tmp + "\n")
			}
		}
		for _, c := range q.changes {
			journal.WriteString("path " + c.path + "\n")
		}
		for _, p := range q.removals {
			journal.WriteString("path " + p + "\n")
		}
		newTree, err := r.applyChanges(tree, q.changes)
		if err != nil {
			res[i].err = err
			continue
		}
		// Its files are written and its paths' index entries brought in
		// line whether or not it makes a commit.
		files = append(files, q.files...)
		changes = append(changes, q.changes...)
		removals = append(removals, q.removals...)
		if newTree == tree && !tip.IsZero() || newTree == emptyTree && tip.IsZero() {
			res[i] = commitRes{id: hashString(tip), err: ErrNothingToCommit}
			continue
		}
		when := time.Now()
		id := r.writeCommit(newTree, tip, q.author, when, q.msg)
		commits = append(commits, made{id: id, tree: newTree, parent: tip, base: tree, req: q, when: when})
		res[i] = commitRes{id: id.String()}
		tip, tree = id, newTree
	}
	if err := r.journalAppend(journal.String()); err != nil {
		return nil, err
	}

	var rl *gitLock
	if len(commits) > 0 {
		target := filepath.Join(r.gitDir, filepath.FromSlash(h.ref))
		if rl, err = r.acquireGitLock(ctx, target); err != nil {
			return nil, err
		}
		hook("ref-locked")
		if err := r.checkRef(h); err != nil {
			rl.rollback()
			return nil, err
		}
		if _, err := rl.f.Write([]byte(tip.String() + "\n")); err != nil {
			rl.rollback()
			return nil, fmt.Errorf("gitrepo: write %s: %w", rl.lockPath(), err)
		}
	}

	// Round one: file contents.
	var pw *packWriter
	syncs := make([]func() error, 0, len(files)+2)
	syncs = append(syncs, func() error {
		var err error
		pw, err = r.writeObjects(true)
		return err
	})
	if r.sync {
		for _, wf := range files {
			if wf.f != nil {
				syncs = append(syncs, wf.f.Sync)
			}
		}
		if rl != nil {
			syncs = append(syncs, rl.f.Sync)
		}
	}
	if err := parallel(syncs); err != nil {
		if rl != nil {
			rl.rollback()
		}
		if pw != nil {
			pw.discard()
		}
		return nil, err
	}
	hook("objects-written")

	// Round two: names.
	dirs := map[string]bool{}
	if pw != nil {
		p, err := pw.place()
		if err != nil {
			if rl != nil {
				rl.rollback()
			}
			return nil, err
		}
		r.addPack(p)
		dirs[r.packDir()] = true
	}
	if err := r.placeFiles(files, changes, dirs); err != nil {
		if rl != nil {
			rl.rollback()
		}
		return nil, err
	}
	hook("files-placed")
	// The new index is known once the files are in place (their entries
	// hold the stat data of the placed files): it is encoded and written
	// into index.lock while the directories and the branch are synced, and
	// renamed into place once the branch has moved. Rewriting it is the
	// largest piece of work a commit does in a big repository (every
	// entry is hashed); done here it no longer adds to the commit's time.
	if err := r.syncIndex(tree, changes, removals, pending); err != nil {
		if rl != nil {
			rl.rollback()
		}
		r.idx.loaded = false
		return nil, err
	}
	indexWritten = make(chan error, 1)
	go func() { indexWritten <- r.idx.writeContent(il) }()
	if r.sync {
		syncs = syncs[:0]
		for d := range dirs {
			syncs = append(syncs, func() error { return syncDirErr(d) })
		}
		if err := parallel(syncs); err != nil {
			if rl != nil {
				rl.rollback()
			}
			return nil, err
		}
	}

	// Round three: the branch.
	if rl != nil {
		if err := rl.commit(nil, false); err != nil {
			return nil, err
		}
		if r.sync {
			syncDir(filepath.Dir(rl.target))
		}
		hook("ref-updated")
		r.appendReflogs(h, commits)
		for _, m := range commits {
			r.noteCommit(m.id, m.tree, m.parent, m.req.author, m.when, m.req.msg, m.req.changes, m.req.removals, m.base)
		}
	}

	werr := <-indexWritten
	indexHeld = false
	if indexErr := r.idx.place(il, werr); indexErr != nil {
		for i := range res {
			if res[i].err == nil {
				res[i].err = fmt.Errorf("gitrepo: commit %s made, index not updated: %w", res[i].id, indexErr)
			}
		}
		return res, nil
	}
	r.journalClear()
	return res, nil
}

// stageFiles stages the files of a CommitFiles request from their data (a
// removal stages the deletion of what is at the path in base).
func (r *Repo) stageFiles(files []*workFile, base plumbing.Hash) ([]change, []string, error) {
	var changes []change
	var removals []string
	for _, wf := range files {
		if !wf.remove {
			changes = append(changes, change{path: wf.path, id: r.addObject(plumbing.BlobObject, wf.data), mode: filemode.Regular})
			continue
		}
		removals = append(removals, wf.path)
		e, ok, err := r.lookup(base, wf.path)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case ok && e.isDir():
			if err := r.walkTree(e.id, wf.path, func(q string, _ treeEntry) error {
				changes = append(changes, change{path: q, del: true})
				return nil
			}); err != nil {
				return nil, nil, err
			}
		case ok:
			changes = append(changes, change{path: wf.path, del: true})
		}
	}
	return changes, removals, nil
}

// placeFiles renames the written files into the work tree and deletes the
// removed ones, noting their directories in dirs and the new files' stat
// data in their changes (for the index).
func (r *Repo) placeFiles(files []*workFile, changes []change, dirs map[string]bool) error {
	placed := map[string]os.FileInfo{}
	for _, wf := range files {
		full := r.fsPath(wf.path)
		dirs[filepath.Dir(full)] = true
		if wf.remove {
			if err := os.RemoveAll(full); err != nil {
				return fmt.Errorf("gitrepo: remove %s: %w", wf.path, err)
			}
			delete(placed, wf.path)
			continue
		}
		if err := r.placeFile(wf, full); err != nil {
			return err
		}
		// The stat after the rename (which changes ctime) is what git
		// compares the index entry with.
		if fi, err := os.Lstat(full); err == nil {
			placed[wf.path] = fi
		}
	}
	for i := range changes {
		if fi, ok := placed[changes[i].path]; ok && !changes[i].del {
			changes[i].fi = fi
		}
	}
	return nil
}

func (r *Repo) placeFile(wf *workFile, full string) error {
	err := os.Rename(wf.tmp, full)
	if err == nil {
		wf.placed = true
		return nil
	}
	if errors.Is(err, syscall.EXDEV) {
		// .git is on another file system: write a temporary file next to
		// the target instead.
		tmp := full + ".civicpress-write"
		werr := os.WriteFile(tmp, wf.data, 0o644)
		if werr == nil && r.sync {
			werr = syncFile(tmp)
		}
		if werr == nil {
			werr = os.Rename(tmp, full)
		}
		if werr != nil {
			os.Remove(tmp)
			return fmt.Errorf("gitrepo: write %s: %w", wf.path, werr)
		}
		return nil
	}
	if errors.Is(err, os.ErrExist) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTEMPTY) {
		// A directory where the file goes: the commit replaces it.
		if rerr := os.RemoveAll(full); rerr == nil {
			if err = os.Rename(wf.tmp, full); err == nil {
				wf.placed = true
				return nil
			}
		}
	}
	return fmt.Errorf("gitrepo: write %s: %w", wf.path, err)
}

func syncFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func syncDirErr(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("gitrepo: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("gitrepo: sync %s: %w", dir, err)
	}
	return nil
}

// parallel runs fns at once (the first in this goroutine) and returns the
// first error.
func parallel(fns []func() error) error {
	if len(fns) == 0 {
		return nil
	}
	errs := make(chan error, len(fns)-1)
	for _, fn := range fns[1:] {
		go func() { errs <- fn() }()
	}
	err := fns[0]()
	for range fns[1:] {
		if e := <-errs; err == nil {
			err = e
		}
	}
	return err
}

func hashString(h plumbing.Hash) string {
	if h.IsZero() {
		return ""
	}
	return h.String()
}
