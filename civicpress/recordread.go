package civicpress

import (
	"context"
	"errors"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
)

// published is a record as stored: its index row, and its parsed file (the
// shared cached value: copy before changing) with its bytes.
type published struct {
	row  *store.RecordRow
	file *recordfile.Record
	data []byte
	err  error // why the file could not be read
}

// record is the Record view of p.
func (p *published) record() *Record {
	if p.file != nil {
		return recordFromFile(p.file, p.row.Path, p.row)
	}
	r := recordFromRow(p.row)
	r.FromIndex = true
	return r
}

// loadPublished reads record id: its index row, then its file. A record
// missing from the index but present on disk (written by another program
// since the index was last updated) is found by its conventional paths and
// indexed on the spot.
func (c *Core) loadPublished(ctx context.Context, id string) (*published, error) {
	return c.loadPublishedHeld(ctx, id, false)
}

// loadPublishedHeld is loadPublished for a caller that holds id's lock.
func (c *Core) loadPublishedHeld(ctx context.Context, id string, held bool) (*published, error) {
	if !idPattern.MatchString(id) {
		return nil, errRecordNotFound
	}
	row, err := c.db.Q().RecordByID(ctx, id)
	if errors.Is(err, store.ErrNoRows) {
		rel := c.findRecordFile(id)
		if rel == "" {
			return nil, errRecordNotFound
		}
		if _, err := c.reindexPathsHeld(ctx, []string{rel}, held); err != nil {
			return nil, err
		}
		if row, err = c.db.Q().RecordByID(ctx, id); err != nil {
			return nil, errRecordNotFound
		}
	} else if err != nil {
		return nil, err
	}
	p := &published{row: row}
	if row.Path != "" {
		p.file, p.data, p.err = c.rec.files.load(c.abs(row.Path))
		if p.err == nil && p.file.ID != id {
			p.file, p.err = nil, errors.New("the file holds another record id")
		}
	} else {
		p.err = errors.New("no file path")
	}
	return p, nil
}

// findRecordFile looks for id's file where upstream puts files:
// records/<type>/<YYYY>/<id>.md, records/<type>/<id>.md, and the same under
// archive/. It returns the data-relative path, or "". The directory layout
// is cached (and re-read when a directory changes), so a lookup is a few
// stat calls even with thousands of records per directory.
func (c *Core) findRecordFile(id string) string {
	for _, root := range []string{"records", "archive"} {
		for _, typ := range c.rec.dirs.subdirs(c.abs(root)) {
			base := root + "/" + typ + "/"
			if exists(c.abs(base + id + ".md")) {
				return base + id + ".md"
			}
			for _, year := range c.rec.dirs.subdirs(c.abs(root + "/" + typ)) {
				rel := base + year + "/" + id + ".md"
				if exists(c.abs(rel)) {
					return rel
				}
			}
		}
	}
	return ""
}

// dirCache remembers the subdirectories of directories, keyed by path and
// checked against the directory's modification time.
type dirCache struct {
	mu sync.Mutex
	m  map[string]cachedDir
}

type cachedDir struct {
	mtime int64
	subs  []string
}

func (dc *dirCache) subdirs(dir string) []string {
	st, err := os.Stat(dir)
	if err != nil {
		return nil
	}
	mt := st.ModTime().UnixNano()
	dc.mu.Lock()
	e, ok := dc.m[dir]
	dc.mu.Unlock()
	if ok && e.mtime == mt {
		return e.subs
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var subs []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			subs = append(subs, e.Name())
		}
	}
	sort.Strings(subs)
	dc.mu.Lock()
	if dc.m == nil {
		dc.m = map[string]cachedDir{}
	}
	dc.m[dir] = cachedDir{mtime: mt, subs: subs}
	dc.mu.Unlock()
	return subs
}

// Get returns the published record id: the file, with the index row as the
// fallback when the file cannot be read. A draft-only id is RECORD_NOT_FOUND.
func (r *Records) Get(ctx context.Context, actor *User, id string) (*Record, error) {
	c := r.c
	if err := c.requireRead(actor, "records:view", PermContext{}); err != nil {
		return nil, err
	}
	p, err := c.loadPublished(ctx, id)
	if err != nil {
		return nil, err
	}
	rec := p.record()
	if !c.readAllowed(actor, "records:view", PermContext{RecordType: rec.Type, Action: "view"}) {
		return nil, forbidden("records:view")
	}
	if actor != nil && c.Can(actor, "records:edit", PermContext{RecordType: rec.Type, Action: "edit"}) {
		has, err := c.db.Q().DraftIDs(ctx, []string{id})
		if err != nil {
			return nil, err
		}
		rec.HasDraft = has[id]
	}
	return rec, nil
}

// File returns the bytes of record id's file as stored (upstream /raw);
// with edit set, an editor holding a draft gets the draft serialized in the
// same format instead. Anonymous callers get published records only.
func (r *Records) File(ctx context.Context, actor *User, id string, edit bool) ([]byte, error) {
	c := r.c
	if err := c.requireRead(actor, "records:view", PermContext{}); err != nil {
		return nil, err
	}
	if edit && actor != nil {
		if d, err := r.GetDraft(ctx, actor, id); err == nil {
			var base *recordfile.Record
			if p, err := c.loadPublished(ctx, id); err == nil {
				base = p.editable()
			}
			rf, err := c.draftFile(ctx, actor, d, base)
			if err != nil {
				return nil, err
			}
			return rf.Marshal()
		}
	}
	p, err := c.loadPublished(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.readAllowed(actor, "records:view", PermContext{RecordType: p.row.Type, Action: "view"}) {
		return nil, forbidden("records:view")
	}
	// Upstream serves anonymous callers the raw file of published records only.
	if actor == nil && p.record().Status != "published" {
		return nil, errRecordNotFound
	}
	if p.data == nil {
		return nil, &Error{Kind: ErrNotFound, Code: CodeRecordNotFound, Message: "Record file not found", Err: p.err}
	}
	return p.data, nil
}

func normLimit(n, def, maxN int) int {
	if n <= 0 {
		return def
	}
	return min(n, maxN)
}

// List returns a page of records from the index (not the files) and the
// number matching. Records whose workflow state is internal_only are left out.
func (r *Records) List(ctx context.Context, actor *User, o ListOptions) (*RecordList, error) {
	c := r.c
	if err := c.requireRead(actor, "records:view", PermContext{}); err != nil {
		return nil, err
	}
	switch o.Sort {
	case "", SortCreatedDesc, SortUpdatedDesc, SortTitleAsc, SortTitleDesc:
	default:
		return nil, invalid(CodeValidation, FieldError{Field: "sort", Message: "sort must be one of created_desc, updated_desc, title_asc, title_desc"})
	}
	rows, total, err := c.listRows(ctx, store.RecordFilter{Types: o.Types, Statuses: o.Statuses, Sort: o.Sort,
		Limit: normLimit(o.Limit, 50, 1000), Offset: max(o.Offset, 0)})
	if err != nil {
		return nil, err
	}
	out := &RecordList{Total: total, Records: make([]*Record, len(rows))}
	ids := make([]string, len(rows))
	for i := range rows {
		out.Records[i] = recordFromRow(&rows[i])
		ids[i] = rows[i].ID
	}
	if actor != nil && len(ids) > 0 {
		has, err := c.db.Q().DraftIDs(ctx, ids)
		if err != nil {
			return nil, err
		}
		for _, rec := range out.Records {
			rec.HasDraft = has[rec.ID]
		}
	}
	return out, nil
}

// Summary counts the records (optionally of some types) by type and status.
func (r *Records) Summary(ctx context.Context, actor *User, types []string) (*Summary, error) {
	c := r.c
	if err := c.requireRead(actor, "records:view", PermContext{}); err != nil {
		return nil, err
	}
	counts, err := c.db.Q().RecordCounts(ctx, store.RecordFilter{Types: types})
	if err != nil {
		return nil, err
	}
	s := &Summary{Types: map[string]int{}, Statuses: map[string]int{}}
	for _, g := range counts {
		s.Total += g.Count
		s.Types[g.Type] += g.Count
		s.Statuses[g.Status] += g.Count
	}
	return s, nil
}

// HasDrafts reports which of ids have a draft (for hasUnpublishedChanges).
func (r *Records) HasDrafts(ctx context.Context, ids []string) (map[string]bool, error) {
	return r.c.db.Q().DraftIDs(ctx, ids)
}
