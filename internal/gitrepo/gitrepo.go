// Package gitrepo keeps the data directory's Git history: one commit per
// operation, authored by the acting user, serialized within the process and
// across processes, at a cost that barely grows with the repository.
//
// Commits are built directly from object writes: only the blobs of the named
// paths are hashed and only the trees on those paths are rewritten, starting
// from HEAD's tree, and the index entries of those paths are updated so the
// git command line sees a clean work tree afterwards. Nothing scans the work
// tree except Dirty and a Commit with no paths. The one part of a commit
// proportional to the repository is rewriting .git/index, which git's format
// requires whole (about 0.8 ms of CPU at 10,000 records); entries keep their
// encoded bytes between commits, so that is a copy, a SHA-1 and a write.
//
// History queries walk commits whose changed paths are cached in memory and
// in an append-only file under .git, so after the first query a record's
// history costs a walk over memory.
//
// The repository stays an ordinary Git repository: git's own lock files
// (index.lock, the branch's .lock) are honoured, so the git CLI, or upstream
// CivicPress through simple-git, can work on the same directory.
package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrNothingToCommit is returned by Commit when the named paths (or the
	// whole work tree) already match HEAD. No commit is made; the hash
	// returned alongside is the unchanged HEAD ("" in a repository without
	// commits). Callers for whom "already committed" is success check for it.
	ErrNothingToCommit = errors.New("gitrepo: nothing to commit")
	// ErrNotFound is returned when a revision or a path in it does not exist.
	ErrNotFound = errors.New("gitrepo: not found")
	// ErrNotRepository is returned by Open when dir is not in a Git work tree.
	ErrNotRepository = errors.New("gitrepo: not a git repository")
	// ErrInvalid is returned for a path outside the repository, a path into
	// .git, or an author or message git cannot store.
	ErrInvalid = errors.New("gitrepo: invalid argument")
	// ErrBusy is returned when a git lock file (index.lock or a ref's .lock)
	// stays taken by another git process until the context or LockWait ends.
	ErrBusy = errors.New("gitrepo: repository busy")
)

// Author is the person a commit is attributed to, as author and committer.
type Author struct{ Name, Email string }

// Locker serializes commits across processes. Lock blocks until the lock is
// held or ctx is done; unlock releases it.
type Locker interface {
	Lock(ctx context.Context) (unlock func(), err error)
}

// Options configure a Repo. The zero value is ready to use.
type Options struct {
	// Locker serializes commits across processes; nil means an OS file lock
	// on .git/civicpress-commit.lock, which covers every process sharing the
	// data directory on one machine. Deployments with several machines
	// sharing the directory use a database lock instead.
	Locker Locker
	// NoSync skips fsync of new objects and the branch ref, as git does by
	// default. Faster (about 2 ms less per commit on a typical disk) but a
	// power loss right after a commit can leave the newest commits corrupt.
	// Process crashes are safe either way.
	NoSync bool
	// LockWait bounds how long a commit waits for a git lock file held by
	// another git process (git itself does not wait at all). Zero means 10 s.
	LockWait time.Duration
	// DefaultBranch is the branch Init creates; empty means the user's
	// init.defaultBranch git setting, else "main".
	DefaultBranch string
}

// Commit describes one commit in History.
type Commit struct {
	Hash        string
	Message     string // full message without the trailing newline
	AuthorName  string
	AuthorEmail string
	Date        time.Time // author date
	Files       []string  // paths changed relative to the first parent, relative to the Repo's dir
}

// Repo is a Git repository over a data directory. Its methods are safe for
// concurrent use.
type Repo struct {
	dir     string // the directory the caller named
	root    string // work tree root
	prefix  string // dir relative to root, slash-separated, "" when dir is root
	gitDir  string
	sync    bool
	wait    time.Duration
	locker  Locker
	objMu   sync.Mutex // go-git's storage is not documented as safe for concurrent use
	storage *filesystem.Storage
	gogit   *git.Repository
	trees   *treeCache

	sem chan struct{} // in-process commit serialization, context-aware

	qmu   sync.Mutex
	queue []*commitReq // commits waiting for a leader

	idx  indexCache // guarded by sem
	jf   *os.File   // the commit journal, guarded by sem
	joff int64

	// the objects of the commits in progress, until written (see addObject)
	pendMu    sync.Mutex
	pending   map[plumbing.Hash]pendingObj
	pendOrder []plumbing.Hash

	packMu       sync.Mutex
	packs        []*packIndex // newest first
	packsLoaded  bool
	packsWritten int // since the last look for loose objects
	looseChecked bool
	deltaBases   deltaCache

	maint maintState

	histMu sync.Mutex
	hist   *history
	dc     diskCache
}

// Init opens the repository at dir, first creating dir and running the
// equivalent of `git init` in it when dir has no .git of its own.
func Init(dir string, opts Options) (*Repo, error) {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return Open(dir, opts)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("gitrepo: init %s: %w", dir, err)
	}
	branch := opts.DefaultBranch
	if branch == "" {
		if cfg, err := config.LoadConfig(config.GlobalScope); err == nil && cfg.Init.DefaultBranch != "" {
			branch = cfg.Init.DefaultBranch
		} else {
			branch = "main"
		}
	}
	_, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(branch)},
	})
	if err != nil && !errors.Is(err, git.ErrRepositoryAlreadyExists) {
		return nil, fmt.Errorf("gitrepo: init %s: %w", dir, err)
	}
	return Open(dir, opts)
}

// Open opens the repository whose work tree contains dir (dir itself or an
// enclosing directory, as git finds it). Paths given to and returned by the
// Repo are relative to dir.
func Open(dir string, opts Options) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: open %s: %w", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	root, gitDir, err := findRepo(abs)
	if err != nil {
		return nil, err
	}
	prefix, err := filepath.Rel(root, abs)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: open %s: %w", dir, err)
	}
	prefix = filepath.ToSlash(prefix)
	if prefix == "." {
		prefix = ""
	}
	st := filesystem.NewStorageWithOptions(osfs.New(gitDir), cache.NewObjectLRU(16*cache.MiByte), filesystem.Options{})
	cfg, err := st.Config()
	if err != nil {
		return nil, fmt.Errorf("gitrepo: open %s: config: %w", dir, err)
	}
	if cfg.Core.IsBare {
		return nil, fmt.Errorf("gitrepo: open %s: bare repository: %w", dir, ErrNotRepository)
	}
	if cfg.Extensions.ObjectFormat != "" && cfg.Extensions.ObjectFormat != "sha1" {
		return nil, fmt.Errorf("gitrepo: open %s: object format %s is not supported", dir, cfg.Extensions.ObjectFormat)
	}
	g, err := git.Open(st, nil)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: open %s: %w", dir, err)
	}
	r := &Repo{
		dir:     abs,
		root:    root,
		prefix:  prefix,
		gitDir:  gitDir,
		sync:    !opts.NoSync,
		wait:    opts.LockWait,
		locker:  opts.Locker,
		storage: st,
		gogit:   g,
		trees:   newTreeCache(1 << 18),
		sem:     make(chan struct{}, 1),
	}
	if r.wait <= 0 {
		r.wait = 10 * time.Second
	}
	if r.locker == nil {
		r.locker = &fileLocker{path: filepath.Join(gitDir, "civicpress-commit.lock")}
	}
	return r, nil
}

// findRepo walks up from dir to the work tree root holding .git, returning
// the root and the git directory (following a "gitdir:" file).
func findRepo(dir string) (root, gitDir string, err error) {
	for d := dir; ; {
		p := filepath.Join(d, ".git")
		fi, err := os.Stat(p)
		if err == nil {
			if fi.IsDir() {
				return d, p, nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return "", "", fmt.Errorf("gitrepo: open %s: %w", dir, err)
			}
			line := strings.TrimSpace(string(data))
			if !strings.HasPrefix(line, "gitdir:") {
				return "", "", fmt.Errorf("gitrepo: open %s: malformed .git file: %w", dir, ErrNotRepository)
			}
			gd := strings.TrimSpace(strings.TrimPrefix(line, "gitdir:"))
			if !filepath.IsAbs(gd) {
				gd = filepath.Join(d, gd)
			}
			if _, err := os.Stat(filepath.Join(gd, "commondir")); err == nil {
				return "", "", fmt.Errorf("gitrepo: open %s: linked worktrees are not supported", dir)
			}
			return d, gd, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", fmt.Errorf("gitrepo: open %s: %w", dir, ErrNotRepository)
		}
		d = parent
	}
}

// Dir returns the directory the Repo was opened on, absolute.
func (r *Repo) Dir() string { return r.dir }

// Close releases the Repo's resources, after a commit in flight finishes.
func (r *Repo) Close() error {
	r.stopMaintenance()
	r.sem <- struct{}{}
	if r.jf != nil {
		r.jf.Close()
		r.jf = nil
	}
	<-r.sem
	r.packMu.Lock()
	for _, p := range r.packs {
		p.close()
	}
	r.packs, r.packsLoaded = nil, false
	r.packMu.Unlock()
	r.closeDiskCache()
	return r.storage.Close()
}

// lockRepo takes the in-process and the cross-process lock.
func (r *Repo) lockRepo(ctx context.Context) (func(), error) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("gitrepo: waiting for commit lock: %w", ctx.Err())
	}
	unlock, err := r.locker.Lock(ctx)
	if err != nil {
		<-r.sem
		return nil, fmt.Errorf("gitrepo: cross-process lock: %w", err)
	}
	return func() { unlock(); <-r.sem }, nil
}

// cleanPath turns a caller path (relative to dir, either separator) into a
// path relative to the work tree root. "" and "." mean dir itself.
func (r *Repo) cleanPath(p string) (string, error) {
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(r.dir, p)
		if err != nil {
			return "", fmt.Errorf("%w: path %q", ErrInvalid, p)
		}
		p = rel
	}
	p = path.Clean(filepath.ToSlash(p))
	if p == "." {
		p = ""
	}
	if p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%w: path %q is outside the repository", ErrInvalid, p)
	}
	full := p
	if r.prefix != "" {
		full = strings.TrimSuffix(r.prefix+"/"+p, "/")
	}
	for _, c := range strings.Split(full, "/") {
		if strings.EqualFold(c, ".git") {
			return "", fmt.Errorf("%w: path %q is inside .git", ErrInvalid, p)
		}
	}
	return full, nil
}

// outPath turns a root-relative path into one relative to dir, reporting
// false for paths outside dir.
func (r *Repo) outPath(p string) (string, bool) {
	if r.prefix == "" {
		return p, true
	}
	if strings.HasPrefix(p, r.prefix+"/") {
		return p[len(r.prefix)+1:], true
	}
	return "", false
}

func (r *Repo) fsPath(p string) string {
	return filepath.Join(r.root, filepath.FromSlash(p))
}
