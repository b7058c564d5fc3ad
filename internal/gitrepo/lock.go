package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// gitLock is one of git's own lock files (path + ".lock", created
// exclusively). Git and simple-git honour them, so holding index.lock and the
// branch's lock keeps a concurrent git CLI out of the way.
type gitLock struct {
	target string
	f      *os.File
}

func (r *Repo) acquireGitLock(ctx context.Context, target string) (*gitLock, error) {
	lp := target + ".lock"
	if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
		return nil, fmt.Errorf("gitrepo: %w", err)
	}
	deadline := time.Now().Add(r.wait)
	backoff := time.Millisecond
	for {
		// Announce the attempt first: should the process die between
		// creating the file and recording its identity, the next lock
		// holder can still tell the file is ours by its change time.
		if err := r.journalAppend(fmt.Sprintf("intent %d %s\n", time.Now().UnixNano(), lp)); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(lp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
		if err == nil {
			hook("created " + filepath.Base(lp))
			l := &gitLock{target: target, f: f}
			if err := r.journalLock(l); err != nil {
				l.rollback()
				return nil, err
			}
			return l, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("gitrepo: create %s: %w", lp, err)
		}
		if err := r.journalAppend("failed - " + lp + "\n"); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: %s exists; another git process is running, or one crashed and the file must be removed", ErrBusy, lp)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("gitrepo: waiting for %s: %w", lp, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 50*time.Millisecond)
	}
}

func (l *gitLock) lockPath() string { return l.target + ".lock" }

// commit writes data into the lock file and renames it over the target.
func (l *gitLock) commit(data []byte, sync bool) error {
	_, err := l.f.Write(data)
	if err == nil && sync {
		err = l.f.Sync()
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(l.lockPath(), l.target)
	}
	if err != nil {
		os.Remove(l.lockPath())
		return fmt.Errorf("gitrepo: write %s: %w", l.target, err)
	}
	if sync {
		syncDir(filepath.Dir(l.target))
	}
	return nil
}

func (l *gitLock) rollback() {
	l.f.Close()
	os.Remove(l.lockPath())
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
// left alone) and the paths whose index entries may lag behind HEAD. It is
// one long-lived file, emptied rather than deleted, because creating files
// is the most expensive thing a commit does on many file systems.
// Only the holder of the repository lock touches it.
func (r *Repo) journalPath() string { return filepath.Join(r.gitDir, "civicpress-commit.journal") }

func (r *Repo) journalLock(l *gitLock) error {
	fi, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("gitrepo: journal: %w", err)
	}
	return r.journalAppend("lock " + fileIdentOf(fi).String() + " " + l.lockPath() + "\n")
}

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
	type lockNote struct {
		intent int64  // last attempt to create it, unix ns
		ident  string // identity once created
	}
	locks := map[string]*lockNote{}
	note := func(lp string) *lockNote {
		if locks[lp] == nil {
			locks[lp] = &lockNote{}
		}
		return locks[lp]
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		a, lp, ok := strings.Cut(rest, " ")
		switch {
		case kind == "intent" && ok:
			t, err := strconv.ParseInt(a, 10, 64)
			if err == nil {
				n := note(lp)
				n.intent, n.ident = t, ""
			}
		case kind == "failed" && ok:
			note(lp).intent = 0 // that attempt found the file taken
		case kind == "lock" && ok:
			note(lp).ident = a
		case kind == "path":
			paths = append(paths, rest)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gitrepo: journal: %w", err)
	}
	r.joff = fi.Size() // keep the lines until their paths are re-synced
	for lp, n := range locks {
		fi, err := os.Lstat(lp)
		if err != nil {
			continue
		}
		ours := n.ident != "" && fileIdentOf(fi).String() == n.ident
		if n.ident == "" && n.intent != 0 {
			// Died between creating the file and noting its identity (a
			// window of microseconds): the file is ours if it appeared
			// right after the attempt, allowing for the coarse clock file
			// systems stamp files with. One a live git made later is not.
			ct := changeTime(fi).UnixNano()
			ours = ct >= n.intent-int64(20*time.Millisecond) && ct <= n.intent+int64(500*time.Millisecond)
		}
		if ours {
			if err := os.Remove(lp); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("gitrepo: remove stale %s: %w", lp, err)
			}
		}
	}
	return paths, nil
}
