package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// fileLocker is the default Locker: an exclusive OS lock on a file under
// .git, released by the kernel if the process dies.
type fileLocker struct{ path string }

// Lock takes the lock. A fresh descriptor per call keeps an abandoned
// attempt (context cancelled while blocked) from sharing a lock with the
// next one: it unlocks its own descriptor once it finally gets it.
func (l *fileLocker) Lock(ctx context.Context) (func(), error) {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", l.path, err)
	}
	ok, err := tryLockFile(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", l.path, err)
	}
	if ok {
		return func() { unlockFile(f); f.Close() }, nil
	}
	done := make(chan error, 1)
	go func() { done <- lockFile(f) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", l.path, err)
		}
		return func() { unlockFile(f); f.Close() }, nil
	case <-ctx.Done():
		go func() {
			if <-done == nil {
				unlockFile(f)
			}
			f.Close()
		}()
		return nil, ctx.Err()
	}
}

// tryLock takes the lock if it is free.
func (l *fileLocker) tryLock() (func(), bool) {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false
	}
	if ok, err := tryLockFile(f); err != nil || !ok {
		f.Close()
		return nil, false
	}
	return func() { unlockFile(f); f.Close() }, true
}

// gitLock is one of git's own lock files (path + ".lock", created
// exclusively). Git and simple-git honour them, so holding index.lock and the
// branch's lock keeps a concurrent git CLI out of the way.
type gitLock struct {
	r      *Repo
	target string
	f      *os.File
	tmp    string // the temporary name holding the inode ("" without one)
}

// A lock file must be recognizable as ours after a crash at any moment,
// without ever mistaking one a live git process holds for ours:
//
//  1. a file with a unique temporary name is created and journaled ("tmp");
//  2. its identity (device and inode, which writing or renaming the file
//     does not change) is journaled with the lock's name ("lock"), then the
//     file is hard-linked under the lock's name, which fails if the lock
//     exists, as git's O_EXCL create does;
//  3. the content is written and the lock renamed onto its target, or
//     removed; the line is marked "done" and only then the temporary name
//     removed.
//
// Until then the temporary name keeps the inode in use, so no file anyone
// creates meanwhile can have that inode: recovery removes a lock file only
// when it is the very file journaled, and never a lock git created after a
// crash, even one made right after someone cleared ours by hand (file
// systems reuse a freed inode at once, within the same timestamp tick).
// Recovery then removes the temporary names. On a file system without hard
// links the lock is created with O_EXCL and journaled just after; a crash
// in between leaves a lock recovery will not touch, reported as ErrBusy for
// someone to remove.
func (r *Repo) acquireGitLock(ctx context.Context, target string) (*gitLock, error) {
	lp := target + ".lock"
	if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
		return nil, fmt.Errorf("gitrepo: %w", err)
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(r.gitDir, "civicpress-lock-"+hex.EncodeToString(rnd[:]))
	if err := r.journalAppend("tmp " + tmp + "\n"); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: create lock for %s: %w", lp, err)
	}
	hook("temp " + filepath.Base(lp))
	ident := lockIdentOf(f)
	deadline := time.Now().Add(r.wait)
	backoff := time.Millisecond
	fail := func(err error) (*gitLock, error) {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	for {
		if err := r.journalAppend("lock " + identField(ident) + " " + lp + "\n"); err != nil {
			return fail(err)
		}
		err := linkExclusive(tmp, lp)
		if err == nil {
			hook("created " + filepath.Base(lp))
			return &gitLock{r: r, target: target, f: f, tmp: tmp}, nil
		}
		if errors.Is(err, errNoLinks) {
			f.Close()
			os.Remove(tmp)
			return r.createGitLock(ctx, target, deadline)
		}
		if !errors.Is(err, os.ErrExist) {
			return fail(fmt.Errorf("gitrepo: create %s: %w", lp, err))
		}
		if err := r.journalAppend("done " + lp + "\n"); err != nil {
			return fail(err)
		}
		if err := waitLock(ctx, lp, deadline, &backoff); err != nil {
			return fail(err)
		}
	}
}

// createGitLock takes the lock by creating it with O_EXCL, as git does, on
// file systems without hard links.
func (r *Repo) createGitLock(ctx context.Context, target string, deadline time.Time) (*gitLock, error) {
	lp := target + ".lock"
	backoff := time.Millisecond
	for {
		f, err := os.OpenFile(lp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
		if err == nil {
			hook("created " + filepath.Base(lp))
			l := &gitLock{r: r, target: target, f: f}
			if err := r.journalAppend("lock " + identField(lockIdentOf(f)) + " " + lp + "\n"); err != nil {
				l.rollback()
				return nil, err
			}
			return l, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("gitrepo: create %s: %w", lp, err)
		}
		if err := waitLock(ctx, lp, deadline, &backoff); err != nil {
			return nil, err
		}
	}
}

func waitLock(ctx context.Context, lp string, deadline time.Time, backoff *time.Duration) error {
	if time.Now().After(deadline) {
		return fmt.Errorf("%w: %s exists; another git process is running, or one crashed and the file must be removed", ErrBusy, lp)
	}
	select {
	case <-ctx.Done():
		return fmt.Errorf("gitrepo: waiting for %s: %w", lp, ctx.Err())
	case <-time.After(*backoff):
	}
	*backoff = min(*backoff*2, 50*time.Millisecond)
	return nil
}

// identField keeps an unknown identity one field wide in the journal.
func identField(id string) string {
	if id == "" {
		return "-"
	}
	return id
}

// errNoLinks reports a file system without hard links.
var errNoLinks = errors.New("gitrepo: file system has no hard links")

// linkExclusive links tmp as dst unless dst exists (then an error matching
// os.ErrExist); errNoLinks when the file system has no hard links.
func linkExclusive(tmp, dst string) error {
	err := os.Link(tmp, dst)
	if err == nil || errors.Is(err, os.ErrExist) {
		return err
	}
	if _, serr := os.Lstat(dst); serr == nil {
		return &os.LinkError{Op: "link", Old: tmp, New: dst, Err: os.ErrExist}
	}
	return fmt.Errorf("%w: %w", errNoLinks, err)
}

func (l *gitLock) lockPath() string { return l.target + ".lock" }

// commit writes data into the lock file and renames it over the target.
func (l *gitLock) commit(data []byte, sync bool) error {
	return l.place(l.writeContent(data, sync), sync)
}

// writeContent writes data into the lock file and closes it. It touches
// nothing but the file, so it may run beside the lock holder's other work;
// place (or rollback) finishes the lock.
func (l *gitLock) writeContent(data []byte, sync bool) error {
	_, err := l.f.Write(data)
	if err == nil && sync {
		err = l.f.Sync()
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// place renames the written lock file over the target, unless writing it
// failed (werr), in which case it removes it.
func (l *gitLock) place(werr error, sync bool) error {
	hook("wrote " + filepath.Base(l.lockPath()))
	err := werr
	if err == nil {
		err = os.Rename(l.lockPath(), l.target)
	}
	if err != nil {
		os.Remove(l.lockPath())
		l.done()
		return fmt.Errorf("gitrepo: write %s: %w", l.target, err)
	}
	hook("renamed " + filepath.Base(l.lockPath()))
	if sync {
		syncDir(filepath.Dir(l.target))
	}
	l.done()
	return nil
}

func (l *gitLock) rollback() {
	l.f.Close()
	os.Remove(l.lockPath())
	l.done()
}

// done retires the lock's journal line: the file under its identity is
// gone from the lock's name, and must not be looked for there again.
func (l *gitLock) done() {
	if l.r.journalAppend("done "+l.lockPath()+"\n") == nil && l.tmp != "" {
		// Only now may the inode be freed. (Should the line not be
		// written, recovery finds the lock gone and removes tmp.)
		_ = os.Remove(l.tmp)
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// The commit journal lets the next lock holder clean up after a process
// that died mid-commit: it names the git lock files that process created
// (with their identity, so a lock file since taken by a live git process is
// left alone; see acquireGitLock), their temporary files, and the paths
// whose index entries may lag behind HEAD. It is
// one long-lived file, emptied rather than deleted, because creating files
// is the most expensive thing a commit does on many file systems.
// Only the holder of the repository lock touches it.
func (r *Repo) journalPath() string { return filepath.Join(r.gitDir, "civicpress-commit.journal") }

func (r *Repo) journalFile() (*os.File, error) {
	if r.jf == nil {
		f, err := os.OpenFile(r.journalPath(), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("gitrepo: journal: %w", err)
		}
		r.jf = f
	}
	return r.jf, nil
}

func (r *Repo) journalAppend(line string) error {
	f, err := r.journalFile()
	if err != nil {
		return err
	}
	n, err := f.WriteAt([]byte(line), r.joff)
	r.joff += int64(n)
	if err != nil {
		return fmt.Errorf("gitrepo: journal: %w", err)
	}
	return nil
}

func (r *Repo) journalClear() {
	if r.jf != nil {
		_ = r.jf.Truncate(0)
	}
	r.joff = 0
}

// readJournal removes the stale lock files a dead commit left and returns
// the paths it was committing. The caller holds the repository lock and
// empties the journal once those paths' index entries are re-synced.
func (r *Repo) readJournal() (paths []string, err error) {
	f, err := r.journalFile()
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("gitrepo: journal: %w", err)
	}
	if fi.Size() == 0 {
		r.joff = 0
		return nil, nil
	}
	data := make([]byte, fi.Size())
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("gitrepo: journal: %w", err)
	}
	locks := map[string]string{} // lock path -> identity of our file
	var tmps []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "tmp":
			tmps = append(tmps, rest)
		case "lock":
			if id, lp, ok := strings.Cut(rest, " "); ok {
				locks[lp] = id
			}
		case "done":
			delete(locks, rest)
		case "path":
			paths = append(paths, rest)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gitrepo: journal: %w", err)
	}
	r.joff = fi.Size() // keep the lines until their paths are re-synced
	for lp, id := range locks {
		if id == "-" || lockIdentAt(lp) != id {
			continue // gone, or another process's lock
		}
		if err := os.Remove(lp); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("gitrepo: remove stale %s: %w", lp, err)
		}
	}
	for _, tmp := range tmps {
		ours := filepath.Dir(tmp) == r.gitDir && (strings.HasPrefix(filepath.Base(tmp), "civicpress-lock-") || strings.HasPrefix(filepath.Base(tmp), "civicpress-write-")) ||
			filepath.Dir(tmp) == r.packDir() && strings.HasPrefix(filepath.Base(tmp), "tmp_civicpress_")
		if !ours {
			continue // not a name this package makes
		}
		if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("gitrepo: remove stale %s: %w", tmp, err)
		}
	}
	return paths, nil
}
