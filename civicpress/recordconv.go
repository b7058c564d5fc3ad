package civicpress

import (
	"encoding/json"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
)

var idPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// vocabulary is what records may hold here: config.yml's types and statuses
// merged over the built-ins, plus every status workflows.yml names (one
// vocabulary: a workflow status is a valid record status).
func (c *Core) vocabulary() recordfile.Vocabulary {
	return recordfile.Vocabulary{Types: c.settings.TypeKeys(), Statuses: c.settings.StatusKeys(), Modules: c.settings.Project.Modules}
}

// jsonText is v as JSON, or "" (NULL) for nothing.
func jsonText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case *Map:
		if x == nil {
			return ""
		}
	case []*Map:
		if len(x) == 0 {
			return ""
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func parseMap(s string) *Map {
	if s == "" {
		return nil
	}
	m := new(Map)
	if err := json.Unmarshal([]byte(s), m); err != nil {
		return nil
	}
	return m
}

func parseMaps(s string) []*Map {
	out := []*Map{}
	if s == "" {
		return out
	}
	var raw []json.RawMessage
	if json.Unmarshal([]byte(s), &raw) != nil {
		return out
	}
	for _, r := range raw {
		m := new(Map)
		if json.Unmarshal(r, m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func cloneMaps(ms []*Map) []*Map {
	out := make([]*Map, len(ms))
	for i, m := range ms {
		out[i] = m.Clone()
	}
	return out
}

func orEmpty(ms []*Map) []*Map {
	if ms == nil {
		return []*Map{}
	}
	return ms
}

// fileTime reads a frontmatter timestamp, falling back to alt.
func fileTime(s string, alt time.Time) time.Time {
	if s == "" {
		return alt
	}
	if t, err := recordfile.ParseTime(s); err == nil {
		return t
	}
	return alt
}

// workflowInternal is the editorial state that hides a record from lists
// and search (upstream's internal_only).
const workflowInternal = "internal_only"

// isArchivePath reports whether a data-relative path is under archive/.
func isArchivePath(p string) bool { return strings.HasPrefix(p, "archive/") }

// recordFromFile builds a Record from a parsed file and its index row (nil
// when the file is not indexed yet). The file is the truth; the row gives
// the path and the editorial state. A file under archive/ is archived
// whatever its frontmatter says (upstream's archive left the status as it was).
func recordFromFile(rf *recordfile.Record, relPath string, row *store.RecordRow) *Record {
	r := &Record{
		ID: rf.ID, Title: rf.Title, Type: rf.Type, Status: rf.Status,
		Content: rf.Body, Metadata: rf.Metadata.Clone(), Author: rf.Author,
		Authors: cloneMaps(rf.Authors), Geography: rf.Geography.Clone(),
		AttachedFiles: cloneMaps(rf.AttachedFiles), LinkedRecords: cloneMaps(rf.LinkedRecords),
		LinkedGeographyFiles: cloneMaps(rf.LinkedGeographyFiles),
		Path:                 relPath, CommitRef: rf.CommitRef, CommitSignature: rf.CommitSignature,
	}
	if rf.Source != nil {
		r.Source = rf.Source.Clone()
	}
	if r.Metadata == nil {
		r.Metadata = new(Map)
	}
	var alt time.Time
	if row != nil {
		if row.WorkflowState != nil {
			r.WorkflowState = *row.WorkflowState
		}
		alt = row.CreatedAt
	}
	r.Created = fileTime(rf.Created, alt)
	if row != nil {
		alt = row.UpdatedAt
	}
	r.Updated = fileTime(rf.Updated, alt)
	if isArchivePath(relPath) {
		r.Status = StatusArchived
	}
	return r
}

// recordFromRow rebuilds a Record from its index row (lists, search, and
// Get when the file cannot be read): authors and source are lifted out of
// the metadata JSON, where upstream embeds them.
func recordFromRow(row *store.RecordRow) *Record {
	r := &Record{
		ID: row.ID, Title: row.Title, Type: row.Type, Status: row.Status, Content: row.Content,
		Path: row.Path, Author: row.Author, Created: row.CreatedAt, Updated: row.UpdatedAt,
		Geography: parseMap(row.Geography), AttachedFiles: parseMaps(row.AttachedFiles),
		LinkedRecords: parseMaps(row.LinkedRecords), LinkedGeographyFiles: parseMaps(row.LinkedGeographyFiles),
	}
	if r.Status == "" {
		r.Status = "draft"
	}
	if row.WorkflowState != nil {
		r.WorkflowState = *row.WorkflowState
	}
	r.Metadata = parseMap(row.Metadata)
	if r.Metadata == nil {
		r.Metadata = new(Map)
	}
	if v, ok := r.Metadata.Get("authors"); ok {
		if l, ok := v.([]any); ok {
			for _, a := range l {
				if m, ok := a.(*Map); ok {
					r.Authors = append(r.Authors, m)
				}
			}
		}
		r.Metadata.Delete("authors")
	}
	if v, ok := r.Metadata.Get("source"); ok {
		switch s := v.(type) {
		case *Map:
			r.Source = s
			r.Metadata.Delete("source")
		}
	}
	return r
}

// indexEntry is what the index holds for one record file.
func indexEntry(rf *recordfile.Record, relPath string, wf *string, dialect store.Dialect) (*store.RecordRow, *store.SearchDoc) {
	status := rf.Status
	if isArchivePath(relPath) {
		status = StatusArchived
	}
	meta := rf.Metadata.Clone()
	if meta == nil {
		meta = new(Map)
	}
	// Upstream embeds authors and source in the row's metadata.
	if len(rf.Authors) > 0 && !meta.Has("authors") {
		l := make([]any, len(rf.Authors))
		for i, a := range rf.Authors {
			l[i] = a
		}
		meta.Set("authors", l)
	}
	if rf.Source != nil && !meta.Has("source") {
		meta.Set("source", rf.Source)
	}
	now := time.Now().UTC()
	created := fileTime(rf.Created, now)
	updated := fileTime(rf.Updated, now)
	metaJSON := jsonText(meta)
	row := &store.RecordRow{
		ID: rf.ID, Title: rf.Title, Type: rf.Type, Status: status, WorkflowState: wf,
		Content: rf.Body, Metadata: metaJSON, Geography: jsonText(rf.Geography),
		AttachedFiles: jsonText(rf.AttachedFiles), LinkedRecords: jsonText(rf.LinkedRecords),
		LinkedGeographyFiles: jsonText(rf.LinkedGeographyFiles), Path: relPath, Author: rf.Author,
		CreatedAt: created, UpdatedAt: updated,
	}
	if status == StatusArchived || wf != nil && *wf == workflowInternal {
		return row, nil // archived and internal_only records leave search
	}
	tags := strings.Join(rf.Metadata.Strings("tags"), ",")
	// The searchable columns hold the text as tokens (see searchtext.go):
	// FTS5 then indexes exactly the tokens PostgreSQL's vector holds.
	doc := &store.SearchDoc{
		RecordID: rf.ID, RecordType: rf.Type, Title: tokenText(rf.Title), Content: tokenText(rf.Body), Tags: tokenText(tags),
		Metadata: metaJSON, UpdatedAt: updated, TitleNormalized: foldText(rf.Title),
		ContentPreview: prefixRunes(rf.Body, 500), WordCount: len(strings.Fields(rf.Body)), Status: status,
	}
	if dialect == store.Postgres {
		doc.TSV = tsvectorText(rf.Title, tags, rf.Body)
	}
	return row, doc
}

func prefixRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, sz := utf8.DecodeRuneInString(s[i:])
		i += sz
	}
	return s[:i]
}

// recordPath is where a new record's file goes: records/<type>/<YYYY>/<id>.md,
// the year of its creation (UTC), as upstream.
func recordPath(recordType, id string, created time.Time) string {
	return path.Join("records", recordType, strconv.Itoa(created.UTC().Year()), id+".md")
}

// archivePath is where an archived record's file goes:
// archive/<type>/<YYYY>/<id>.md, keeping the year folder of its records/
// path when there is one.
func archivePath(recordType, id, current string, created time.Time) string {
	year := strconv.Itoa(created.UTC().Year())
	parts := strings.Split(current, "/")
	if len(parts) == 4 && parts[0] == "records" {
		if y, err := strconv.Atoi(parts[2]); err == nil && len(parts[2]) == 4 && y > 0 {
			year = parts[2]
		}
	}
	return path.Join("archive", recordType, year, id+".md")
}

// draftFromRow converts a record_drafts row.
func draftFromRow(d *store.DraftRow) *Draft {
	out := &Draft{
		ID: d.ID, Title: d.Title, Type: d.Type, Status: d.Status, Metadata: parseMap(d.Metadata),
		Geography: parseMap(d.Geography), AttachedFiles: parseMaps(d.AttachedFiles),
		LinkedRecords: parseMaps(d.LinkedRecords), LinkedGeographyFiles: parseMaps(d.LinkedGeographyFiles),
		Author: d.Author, CreatedBy: d.CreatedBy, Created: d.CreatedAt, Updated: d.UpdatedAt, LastSaved: d.LastSavedAt,
	}
	if out.Status == "" {
		out.Status = "draft"
	}
	if d.WorkflowState != nil {
		out.WorkflowState = *d.WorkflowState
	}
	if d.Body != nil {
		out.Body = *d.Body
	}
	if out.Metadata == nil {
		out.Metadata = new(Map)
	}
	return out
}

// draftRow converts a Draft for storage.
func draftRow(d *Draft) *store.DraftRow {
	row := &store.DraftRow{
		ID: d.ID, Title: d.Title, Type: d.Type, Status: d.Status, Metadata: jsonText(d.Metadata),
		Geography: jsonText(d.Geography), AttachedFiles: jsonText(d.AttachedFiles),
		LinkedRecords: jsonText(d.LinkedRecords), LinkedGeographyFiles: jsonText(d.LinkedGeographyFiles),
		Author: d.Author, CreatedBy: d.CreatedBy, LastSavedAt: d.LastSaved, CreatedAt: d.Created, UpdatedAt: d.Updated,
	}
	if row.Metadata == "" {
		row.Metadata = "{}"
	}
	wf := d.WorkflowState
	row.WorkflowState = &wf
	body := d.Body
	row.Body = &body
	return row
}
