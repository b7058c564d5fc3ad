package civicpress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/store"
)

// Index state keys.
const (
	stateHead    = "head"    // the commit the index was last known current at
	stateVersion = "version" // indexVersion of the index
)

// RecoveryReport tells what Recover did.
type RecoveryReport struct {
	// Replayed counts interrupted record writes that were finished.
	Replayed int
	// Committed lists files found changed in data/ but not committed
	// (edited outside CivicPress, or left by a crash), now committed with
	// the message "Recover uncommitted changes".
	Committed []string
	// Removed lists temporary files left by interrupted writes, deleted.
	Removed []string
}

// RecoveryMessage is the commit message of changes Recover commits.
const RecoveryMessage = "Recover uncommitted changes"

// openRecords runs at Open: record serialization, then convergence after a
// crash (interrupted writes finished), then the index brought up to date
// (rebuilt when empty or of another version, else updated with the files
// changed since it was last known current). Uncommitted changes in data/
// made outside CivicPress are committed by a sweep in the background, which
// keeps start-up from scanning the whole data directory.
func (c *Core) openRecords(ctx context.Context) error {
	if err := c.newRecordLocks(); err != nil {
		return err
	}
	c.rec.ours = map[string]bool{}
	ins, err := c.db.Q().PendingIntents(ctx, "")
	if err != nil {
		return err
	}
	if err := c.replayPending(ctx, ""); err != nil {
		return err
	}
	if len(ins) > 0 {
		c.log.Warn("civicpress: finished record writes interrupted by a crash", "writes", len(ins))
	}
	rep, err := c.refreshIndex(ctx)
	if err != nil {
		return err
	}
	if rep != nil {
		c.rec.reportMu.Lock()
		c.rec.lastReport = rep
		c.rec.reportMu.Unlock()
		for _, f := range rep.Invalid {
			c.log.Warn("civicpress: record file not indexed", "path", f.Path, "reason", f.Reason)
		}
		c.log.Info("civicpress: index updated", "full", rep.Full, "indexed", rep.Indexed, "removed", rep.Removed,
			"invalid", len(rep.Invalid), "took", rep.Duration)
	}
	sctx, cancel := context.WithCancel(context.Background())
	c.rec.sweepCancel = cancel
	c.rec.sweepDone = make(chan struct{})
	go func() {
		defer close(c.rec.sweepDone)
		if _, err := c.sweepDirty(sctx); err != nil && sctx.Err() == nil {
			c.log.Warn("civicpress: committing uncommitted changes in data/", "err", err)
		}
	}()
	return nil
}

// closeRecords stops the sweep, records what the index reflects, and
// releases the record locks.
func (c *Core) closeRecords() {
	if c.rec.sweepCancel != nil {
		c.rec.sweepCancel()
		<-c.rec.sweepDone
		c.rec.sweepCancel = nil
	}
	if c.rec.locker != nil && c.db != nil && c.repo != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := c.advanceIndexHead(ctx); err != nil {
			c.log.Warn("civicpress: saving index state", "err", err)
		}
		cancel()
	}
	if c.rec.locker != nil {
		c.rec.locker.close()
	}
}

// headHash is the data repository's HEAD ("" without commits).
func (c *Core) headHash(ctx context.Context) (string, error) {
	h, err := c.repo.History(ctx, "", 1, 0)
	if err != nil || len(h) == 0 {
		return "", err
	}
	return h[0].Hash, nil
}

func (c *Core) saveIndexState(ctx context.Context, head string) error {
	return c.db.InTx(ctx, func(q store.Q) error {
		if err := q.SetIndexState(ctx, stateVersion, indexVersion); err != nil {
			return err
		}
		return q.SetIndexState(ctx, stateHead, head)
	})
}

// refreshIndex brings the index up to date at Open; it returns nil when it
// was current.
func (c *Core) refreshIndex(ctx context.Context) (*ReindexReport, error) {
	head, err := c.headHash(ctx)
	if err != nil {
		return nil, err
	}
	q := c.db.Q()
	ver, _, err := q.IndexState(ctx, stateVersion)
	if err != nil {
		return nil, err
	}
	stored, _, err := q.IndexState(ctx, stateHead)
	if err != nil {
		return nil, err
	}
	n, err := q.CountRecords(ctx)
	if err != nil {
		return nil, err
	}
	var rep *ReindexReport
	switch {
	case ver != indexVersion || stored == "" || n == 0:
		rep, err = c.fullReindex(ctx)
	case stored != head:
		paths, found, werr := c.changedSince(ctx, stored, nil)
		if werr != nil {
			return nil, werr
		}
		if found {
			rep, err = c.reindexPaths(ctx, paths)
		} else {
			rep, err = c.fullReindex(ctx)
		}
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return rep, c.saveIndexState(ctx, head)
}

// changedSince lists the record files changed by the commits after since
// (skipping commits skip reports), walking back from HEAD; found is false
// when since is not in the history.
func (c *Core) changedSince(ctx context.Context, since string, skip func(hash string) bool) ([]string, bool, error) {
	set := map[string]bool{}
	for off, page := 0, 64; off < 200000; off, page = off+page, min(page*4, 4096) {
		cs, err := c.repo.History(ctx, "", page, off)
		if err != nil {
			return nil, false, err
		}
		for _, cm := range cs {
			if cm.Hash == since {
				out := make([]string, 0, len(set))
				for p := range set {
					out = append(out, p)
				}
				sort.Strings(out)
				return out, true, nil
			}
			if skip != nil && skip(cm.Hash) {
				continue
			}
			for _, f := range cm.Files {
				if isRecordFile(f) {
					set[f] = true
				}
			}
		}
		if len(cs) < page {
			break
		}
	}
	return nil, false, nil
}

// noteCommit remembers a commit this process made with the index in step.
func (s *recordsState) noteCommit(hash string) {
	if hash == "" {
		return
	}
	s.oursMu.Lock()
	if len(s.ours) < 1_000_000 {
		s.ours[hash] = true
	}
	s.oursMu.Unlock()
}

func (s *recordsState) isOurs(hash string) bool {
	s.oursMu.Lock()
	defer s.oursMu.Unlock()
	return s.ours[hash]
}

// advanceIndexHead records HEAD as the commit the index reflects, first
// indexing the files of commits this process did not make (another process,
// or git used directly), so a stale index is never recorded as current.
func (c *Core) advanceIndexHead(ctx context.Context) error {
	head, err := c.headHash(ctx)
	if err != nil || head == "" {
		return err
	}
	stored, _, err := c.db.Q().IndexState(ctx, stateHead)
	if err != nil || stored == head || stored == "" {
		return err
	}
	paths, found, err := c.changedSince(ctx, stored, c.rec.isOurs)
	if err != nil || !found {
		return err // not found: the next Open rebuilds
	}
	if len(paths) > 0 {
		if _, err := c.reindexPaths(ctx, paths); err != nil {
			return err
		}
	}
	return c.saveIndexState(ctx, head)
}

// Recover finishes interrupted record writes and commits uncommitted
// changes in data/ (records:import): files edited outside CivicPress are
// committed with RecoveryMessage and indexed, temporary files left by
// crashed writes are deleted. Open does the same (the second part in the
// background); hosts call it after editing files directly.
func (r *Records) Recover(ctx context.Context, actor *User) (*RecoveryReport, error) {
	c := r.c
	if err := c.require(actor, "records:import", PermContext{}); err != nil {
		return nil, err
	}
	ins, err := c.db.Q().PendingIntents(ctx, "")
	if err != nil {
		return nil, err
	}
	if err := c.replayPending(ctx, ""); err != nil {
		return nil, err
	}
	rep, err := c.sweepDirty(ctx)
	if err != nil {
		return nil, err
	}
	rep.Replayed = len(ins)
	return rep, nil
}

// tempGrace is how old a temporary file must be before the sweep deletes it
// (younger ones may belong to a write in progress in another process).
const tempGrace = time.Minute

// sweepDirty commits what differs from HEAD in data/ and was not written
// by a record write in progress.
func (c *Core) sweepDirty(ctx context.Context) (*RecoveryReport, error) {
	rep := &RecoveryReport{Committed: []string{}, Removed: []string{}}
	dirty, err := c.repo.Dirty(ctx)
	if err != nil {
		return nil, err
	}
	var others []string
	for _, rel := range dirty {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if isTempFile(rel) {
			if st, err := os.Stat(c.abs(rel)); err == nil && time.Since(st.ModTime()) > tempGrace {
				if os.Remove(c.abs(rel)) == nil {
					rep.Removed = append(rep.Removed, rel)
				}
			}
			continue
		}
		if !isRecordFile(rel) {
			others = append(others, rel)
			continue
		}
		done, err := c.recoverRecordFile(ctx, rel)
		if err != nil {
			return nil, err
		}
		if done {
			rep.Committed = append(rep.Committed, rel)
		}
	}
	if len(others) > 0 {
		hash, err := c.repo.Commit(ctx, RecoveryMessage, systemAuthor, others...)
		if err == nil {
			c.rec.noteCommit(hash)
			rep.Committed = append(rep.Committed, others...)
		} else if !errors.Is(err, gitrepo.ErrNothingToCommit) {
			return nil, err
		}
	}
	sort.Strings(rep.Committed)
	return rep, nil
}

// recoverRecordFile commits and indexes one changed record file, under its
// record's lock, unless a write in progress owns it.
func (c *Core) recoverRecordFile(ctx context.Context, rel string) (bool, error) {
	id := strings.TrimSuffix(path.Base(rel), ".md")
	ids := []string{id}
	if cur, _, err := c.rec.files.load(c.abs(rel)); err == nil && cur.ID != id {
		ids = append(ids, cur.ID)
	}
	unlock, err := c.lockRecords(ctx, ids...)
	if err != nil {
		return false, err
	}
	defer unlock()
	for _, x := range ids {
		if err := c.replayPending(ctx, x); err != nil {
			return false, err
		}
	}
	// Still different from HEAD once no write owns it?
	disk, derr := os.ReadFile(c.abs(rel))
	committed, cerr := c.repo.FileAt(ctx, "", rel)
	if cerr != nil && !errors.Is(cerr, gitrepo.ErrNotFound) {
		return false, cerr
	}
	if derr == nil && cerr == nil && bytes.Equal(disk, committed) || derr != nil && cerr != nil {
		return false, nil
	}
	hash, err := c.repo.Commit(ctx, RecoveryMessage, systemAuthor, rel)
	if err != nil && !errors.Is(err, gitrepo.ErrNothingToCommit) {
		return false, fmt.Errorf("civicpress: recovery commit: %w", err)
	}
	c.rec.noteCommit(hash)
	if _, err := c.reindexPathsHeld(ctx, []string{rel}, true); err != nil {
		return false, err
	}
	return true, nil
}
