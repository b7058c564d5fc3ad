package civicpress

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
)

// indexVersion changes when what the index holds for a file changes; an
// index written by another version is rebuilt at Open.
const indexVersion = "civicgo-2"

// isRecordFile reports whether a data-relative path is a record file:
// Markdown under records/ or archive/, no hidden components, not a
// temporary file.
func isRecordFile(rel string) bool {
	if !strings.HasSuffix(rel, ".md") || !(strings.HasPrefix(rel, "records/") || isArchivePath(rel)) {
		return false
	}
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") {
			return false
		}
	}
	return true
}

// walkRecordFiles lists every record file, sorted.
func (c *Core) walkRecordFiles() ([]string, error) {
	var out []string
	for _, root := range []string{"records", "archive"} {
		err := filepath.WalkDir(c.abs(root), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && p != c.abs(root) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			rel, err := filepath.Rel(c.paths.DataDir, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if isRecordFile(rel) {
				out = append(out, rel)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("civicpress: scanning %s: %w", root, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

type scanned struct {
	rel string
	rf  *recordfile.Record
	err error
}

// parseFiles reads, parses and validates files on every CPU.
func (c *Core) parseFiles(rels []string) []scanned {
	out := make([]scanned, len(rels))
	vocab := c.vocabulary()
	var wg sync.WaitGroup
	next := make(chan int, len(rels))
	for i := range rels {
		next <- i
	}
	close(next)
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := &out[i]
				s.rel = rels[i]
				rf, _, err := c.rec.files.load(c.abs(s.rel))
				if err == nil {
					err = recordfile.Validate(rf, vocab)
				}
				if err != nil {
					s.err = err
					continue
				}
				s.rf = rf
			}
		}()
	}
	wg.Wait()
	return out
}

// preferred decides which of two files holding one record id the index
// keeps: the archived copy (an archive interrupted before the old file was
// removed, or upstream's archive), else the first path.
func preferred(a, b string) string {
	if isArchivePath(a) != isArchivePath(b) {
		if isArchivePath(a) {
			return a
		}
		return b
	}
	if a < b {
		return a
	}
	return b
}

// indexBatch is how many files one index transaction writes.
const indexBatch = 500

// writeIndex writes the index entries of valid scans, in batches, each under
// the locks of its records (unless held is set: the caller holds them).
func (c *Core) writeIndex(ctx context.Context, scans []scanned, held bool) error {
	for len(scans) > 0 {
		n := min(len(scans), indexBatch)
		batch := scans[:n]
		scans = scans[n:]
		unlock := func() {}
		if !held {
			ids := make([]string, len(batch))
			for i, s := range batch {
				ids[i] = s.rf.ID
			}
			var err error
			if unlock, err = c.lockRecords(ctx, ids...); err != nil {
				return err
			}
		}
		err := c.db.InTx(ctx, func(q store.Q) error {
			for _, s := range batch {
				row, doc := indexEntry(s.rf, s.rel, nil, c.db.Dialect())
				wf, err := q.UpsertRecordState(ctx, row, true)
				if err != nil {
					return err
				}
				if doc != nil && (wf == nil || *wf != workflowInternal) {
					if err := q.UpsertSearchDoc(ctx, doc); err != nil {
						return err
					}
				} else if err := q.DeleteSearchDocs(ctx, s.rf.ID); err != nil {
					return err
				}
				if err := c.raiseDocNumber(ctx, q, s.rf); err != nil {
					return err
				}
			}
			return nil
		})
		unlock()
		if err != nil {
			return err
		}
	}
	c.rec.suggest.invalidate()
	return nil
}

// deleteIndexed removes the index rows of ids.
func (c *Core) deleteIndexed(ctx context.Context, ids []string, held bool) error {
	for _, id := range ids {
		unlock := func() {}
		if !held {
			var err error
			if unlock, err = c.lockRecords(ctx, id); err != nil {
				return err
			}
		}
		err := c.db.InTx(ctx, func(q store.Q) error { return q.DeleteRecord(ctx, id) })
		unlock()
		if err != nil {
			return err
		}
	}
	c.rec.suggest.invalidate()
	return nil
}

// Reindex rebuilds the whole index from data/records and data/archive
// (records:import). Files that fail validation are reported with why, not
// indexed; index rows without a file are dropped. Editorial states (a
// database-only field) are kept.
func (r *Records) Reindex(ctx context.Context, actor *User) (*ReindexReport, error) {
	c := r.c
	if err := c.require(actor, "records:import", PermContext{}); err != nil {
		return nil, err
	}
	head, err := c.headHash(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := c.fullReindex(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.saveIndexState(ctx, head); err != nil {
		return nil, err
	}
	return rep, nil
}

// LastReindex returns the report of the index update Open ran (nil when the
// index was already current).
func (r *Records) LastReindex() *ReindexReport {
	r.c.rec.reportMu.Lock()
	defer r.c.rec.reportMu.Unlock()
	return r.c.rec.lastReport
}

func (c *Core) fullReindex(ctx context.Context) (*ReindexReport, error) {
	start := time.Now()
	rels, err := c.walkRecordFiles()
	if err != nil {
		return nil, err
	}
	rep := &ReindexReport{Full: true, Invalid: []InvalidFile{}}
	scans := c.parseFiles(rels)
	winners := map[string]scanned{}
	for _, s := range scans {
		if s.err != nil {
			rep.Invalid = append(rep.Invalid, InvalidFile{Path: s.rel, Reason: s.err.Error()})
			continue
		}
		if w, dup := winners[s.rf.ID]; dup {
			keep := preferred(w.rel, s.rel)
			lose := s
			if keep == s.rel {
				winners[s.rf.ID], lose = s, w
			}
			rep.Invalid = append(rep.Invalid, InvalidFile{Path: lose.rel, Reason: "duplicate record id " + s.rf.ID + " (indexed from " + keep + ")"})
			continue
		}
		winners[s.rf.ID] = s
	}
	valid := make([]scanned, 0, len(winners))
	for _, s := range scans {
		if s.err != nil {
			continue
		}
		if w, ok := winners[s.rf.ID]; ok && w.rel == s.rel {
			valid = append(valid, s)
		}
	}
	if err := c.writeIndex(ctx, valid, false); err != nil {
		return nil, err
	}
	refs, err := c.db.Q().RecordRefs(ctx)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, ref := range refs {
		if _, ok := winners[ref.ID]; !ok {
			gone = append(gone, ref.ID)
		}
	}
	if err := c.deleteIndexed(ctx, gone, false); err != nil {
		return nil, err
	}
	rep.Indexed, rep.Removed = len(valid), len(gone)
	sort.Slice(rep.Invalid, func(i, j int) bool { return rep.Invalid[i].Path < rep.Invalid[j].Path })
	rep.Duration = time.Since(start)
	return rep, nil
}

// reindexPaths brings the index up to date for the given data-relative paths
// (files changed, added or deleted). With held set the caller holds the
// locks of the records involved.
func (c *Core) reindexPaths(ctx context.Context, rels []string) (*ReindexReport, error) {
	return c.reindexPathsHeld(ctx, rels, false)
}

func (c *Core) reindexPathsHeld(ctx context.Context, rels []string, held bool) (*ReindexReport, error) {
	start := time.Now()
	rep := &ReindexReport{Invalid: []InvalidFile{}}
	var present, missing []string
	seen := map[string]bool{}
	for _, rel := range rels {
		if !isRecordFile(rel) || seen[rel] {
			continue
		}
		seen[rel] = true
		if _, err := os.Stat(c.abs(rel)); err == nil {
			present = append(present, rel)
		} else {
			missing = append(missing, rel)
		}
	}
	sort.Strings(present)
	winners := map[string]scanned{}
	for _, s := range c.parseFiles(present) {
		if s.err != nil {
			rep.Invalid = append(rep.Invalid, InvalidFile{Path: s.rel, Reason: s.err.Error()})
			continue
		}
		if w, dup := winners[s.rf.ID]; dup && preferred(w.rel, s.rel) == w.rel {
			rep.Invalid = append(rep.Invalid, InvalidFile{Path: s.rel, Reason: "duplicate record id " + s.rf.ID + " (indexed from " + w.rel + ")"})
			continue
		}
		winners[s.rf.ID] = s
	}
	// A record indexed from another file that still holds it keeps that
	// file unless this one is preferred.
	var valid []scanned
	for id, s := range winners {
		row, err := c.db.Q().RecordByID(ctx, id)
		if err == nil && row.Path != "" && row.Path != s.rel && !seen[row.Path] {
			if other, _, err := c.rec.files.load(c.abs(row.Path)); err == nil && other.ID == id && preferred(row.Path, s.rel) == row.Path {
				rep.Invalid = append(rep.Invalid, InvalidFile{Path: s.rel, Reason: "duplicate record id " + id + " (indexed from " + row.Path + ")"})
				continue
			}
		} else if err != nil && !errors.Is(err, store.ErrNoRows) {
			return nil, err
		}
		valid = append(valid, s)
	}
	sort.Slice(valid, func(i, j int) bool { return valid[i].rel < valid[j].rel })
	if err := c.writeIndex(ctx, valid, held); err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		byPath, err := c.db.Q().RecordIDsByPath(ctx, missing)
		if err != nil {
			return nil, err
		}
		var gone []string
		for _, id := range byPath {
			if _, moved := winners[id]; !moved {
				gone = append(gone, id)
			}
		}
		sort.Strings(gone)
		if err := c.deleteIndexed(ctx, gone, held); err != nil {
			return nil, err
		}
		rep.Removed = len(gone)
	}
	rep.Indexed = len(valid)
	rep.Duration = time.Since(start)
	return rep, nil
}
