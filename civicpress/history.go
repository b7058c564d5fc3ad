package civicpress

import (
	"context"
	"encoding/json"
	"errors"
	"path"
	"slices"
	"strings"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/textdiff"
)

// CodeCommitNotFound: a revision that does not exist (upstream's code).
const CodeCommitNotFound = "COMMIT_NOT_FOUND"

// recordPaths lists the files record id has had: its current path and, for
// an archived record, where it lived before.
func (c *Core) recordPaths(ctx context.Context, id string) ([]string, error) {
	if !idPattern.MatchString(id) {
		return nil, errRecordNotFound
	}
	var cur, typ string
	if row, err := c.db.Q().RecordByID(ctx, id); err == nil {
		cur, typ = row.Path, row.Type
	} else if cur = c.findRecordFile(id); cur == "" {
		return nil, errRecordNotFound
	}
	paths := []string{cur}
	if parts := strings.Split(cur, "/"); isArchivePath(cur) && len(parts) >= 3 {
		if typ == "" {
			typ = parts[1]
		}
		year := ""
		if len(parts) == 4 {
			year = parts[2]
		}
		paths = append(paths, path.Join("records", typ, year, id+".md"))
	}
	return paths, nil
}

// recordCommits lists every commit that changed record id's files, newest first.
func (c *Core) recordCommits(ctx context.Context, paths []string) ([]gitrepo.Commit, error) {
	if len(paths) == 1 {
		return c.repo.History(ctx, paths[0], 0, 0)
	}
	all, err := c.repo.History(ctx, "", 0, 0)
	if err != nil {
		return nil, err
	}
	var out []gitrepo.Commit
	for _, cm := range all {
		for _, f := range cm.Files {
			if slices.Contains(paths, f) {
				out = append(out, cm)
				break
			}
		}
	}
	return out, nil
}

func toCommit(cm gitrepo.Commit) Commit {
	return Commit{Hash: cm.Hash, Message: cm.Message, AuthorName: cm.AuthorName, AuthorEmail: cm.AuthorEmail, Date: cm.Date, Files: cm.Files}
}

// History lists the commits of record id (of the whole data repository when
// id is ""), newest first, and how many match the options in all.
// Authenticated users holding records:view only (commits carry e-mails).
func (r *Records) History(ctx context.Context, actor *User, id string, o HistoryOptions) ([]Commit, int, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, 0, err
	}
	if err := c.require(actor, "records:view", PermContext{}); err != nil {
		return nil, 0, err
	}
	var commits []gitrepo.Commit
	var err error
	if id == "" {
		commits, err = c.repo.History(ctx, "", 0, 0)
	} else {
		var paths []string
		if paths, err = c.recordPaths(ctx, id); err != nil {
			return nil, 0, err
		}
		commits, err = c.recordCommits(ctx, paths)
	}
	if err != nil {
		return nil, 0, err
	}
	author := strings.ToLower(o.Author)
	var kept []Commit
	for _, cm := range commits {
		if author != "" && !strings.Contains(strings.ToLower(cm.AuthorName), author) && !strings.Contains(strings.ToLower(cm.AuthorEmail), author) {
			continue
		}
		if !o.Since.IsZero() && cm.Date.Before(o.Since) || !o.Until.IsZero() && cm.Date.After(o.Until) {
			continue
		}
		kept = append(kept, toCommit(cm))
	}
	total := len(kept)
	limit := normLimit(o.Limit, 10, 1000)
	off := min(max(o.Offset, 0), total)
	page := kept[off:min(off+limit, total)]
	if page == nil {
		page = []Commit{}
	}
	return page, total, nil
}

// resolveRev finds a commit of the record by full or abbreviated hash.
func resolveRev(commits []gitrepo.Commit, rev string) (int, bool) {
	rev = strings.ToLower(rev)
	if len(rev) < 4 {
		return 0, false
	}
	for i, cm := range commits {
		if strings.HasPrefix(cm.Hash, rev) {
			return i, true
		}
	}
	return 0, false
}

// versionAt returns the record file at a commit (trying each of its paths).
func (c *Core) versionAt(ctx context.Context, hash string, paths []string) ([]byte, string, error) {
	for _, p := range paths {
		data, err := c.repo.FileAt(ctx, hash, p)
		if err == nil {
			return data, p, nil
		}
		if !errors.Is(err, gitrepo.ErrNotFound) {
			return nil, "", err
		}
	}
	return nil, "", nil
}

// Diff compares record id between two of its commits: the frontmatter fields
// that changed and a unified diff of the body. An empty to means the latest
// version, an empty from the version before to (nothing, for the first).
// Revisions are full or abbreviated hashes of commits that changed the record.
func (r *Records) Diff(ctx context.Context, actor *User, id, from, to string) (*Diff, error) {
	c := r.c
	if err := requireWriter(actor); err != nil {
		return nil, err
	}
	if err := c.require(actor, "records:view", PermContext{}); err != nil {
		return nil, err
	}
	paths, err := c.recordPaths(ctx, id)
	if err != nil {
		return nil, err
	}
	commits, err := c.recordCommits(ctx, paths)
	if err != nil {
		return nil, err
	}
	if len(commits) == 0 {
		return nil, errRecordNotFound
	}
	ti := 0
	if to != "" {
		var ok bool
		if ti, ok = resolveRev(commits, to); !ok {
			return nil, &Error{Kind: ErrNotFound, Code: CodeCommitNotFound, Message: "Commit " + to + " is not a version of this record"}
		}
	}
	fi := ti + 1 // the version before
	if from != "" {
		var ok bool
		if fi, ok = resolveRev(commits, from); !ok {
			return nil, &Error{Kind: ErrNotFound, Code: CodeCommitNotFound, Message: "Commit " + from + " is not a version of this record"}
		}
	}
	d := &Diff{RecordID: id, To: commits[ti].Hash, Fields: []FieldChange{}}
	newData, p, err := c.versionAt(ctx, d.To, paths)
	if err != nil {
		return nil, err
	}
	d.Path = p
	var oldData []byte
	if fi < len(commits) {
		d.From = commits[fi].Hash
		if oldData, _, err = c.versionAt(ctx, d.From, paths); err != nil {
			return nil, err
		}
	}
	oldRec, oerr := parseOrNil(oldData)
	newRec, nerr := parseOrNil(newData)
	if oerr != nil || nerr != nil {
		d.Body = textdiff.Unified("a/"+d.Path, "b/"+d.Path, oldData, newData, 3)
		return d, nil
	}
	d.Fields = frontmatterChanges(oldRec, newRec)
	d.Body = textdiff.Unified("a/"+d.Path, "b/"+d.Path, bodyText(oldRec), bodyText(newRec), 3)
	return d, nil
}

func parseOrNil(data []byte) (*recordfile.Record, error) {
	if data == nil {
		return nil, nil
	}
	return recordfile.Parse(data)
}

func bodyText(r *recordfile.Record) []byte {
	if r == nil || r.Body == "" {
		return nil
	}
	return []byte(r.Body + "\n")
}

// frontmatterChanges compares the frontmatter two versions are written with.
func frontmatterChanges(a, b *recordfile.Record) []FieldChange {
	fm := func(r *recordfile.Record) *Map {
		if r == nil {
			return new(Map)
		}
		m, err := r.Frontmatter(recordfile.MarshalOptions{})
		if err != nil {
			return new(Map)
		}
		return m
	}
	old, cur := fm(a), fm(b)
	out := []FieldChange{}
	cur.Range(func(k string, v any) bool {
		ov, ok := old.Get(k)
		switch {
		case !ok:
			out = append(out, FieldChange{Field: k, New: v, Kind: "added"})
		case !sameJSON(ov, v):
			out = append(out, FieldChange{Field: k, Old: ov, New: v, Kind: "modified"})
		}
		return true
	})
	old.Range(func(k string, v any) bool {
		if !cur.Has(k) {
			out = append(out, FieldChange{Field: k, Old: v, Kind: "removed"})
		}
		return true
	})
	return out
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
