package httpapi

import (
	"bytes"
	"encoding/json"

	"github.com/civicpress/civicpress-go/civicpress"
)

// recordView is upstream's ApiRecord (GET /records/{id}, PUT, publish).
type recordView struct {
	ID                    string            `json:"id"`
	Title                 string            `json:"title"`
	Type                  string            `json:"type"`
	Status                string            `json:"status"`
	WorkflowState         *string           `json:"workflowState"`
	Content               string            `json:"content"`
	Metadata              *civicpress.Map   `json:"metadata"`
	Authors               []*civicpress.Map `json:"authors,omitempty"`
	Source                *civicpress.Map   `json:"source,omitempty"`
	Geography             *civicpress.Map   `json:"geography,omitempty"`
	AttachedFiles         []*civicpress.Map `json:"attachedFiles"`
	LinkedRecords         []*civicpress.Map `json:"linkedRecords"`
	LinkedGeographyFiles  []*civicpress.Map `json:"linkedGeographyFiles"`
	Path                  string            `json:"path"`
	CreatedAt             string            `json:"created_at"`
	UpdatedAt             string            `json:"updated_at"`
	Author                string            `json:"author"`
	CommitRef             string            `json:"commit_ref,omitempty"`
	CommitSignature       string            `json:"commit_signature,omitempty"`
	IsDraft               *bool             `json:"isDraft,omitempty"`
	HasUnpublishedChanges *bool             `json:"hasUnpublishedChanges,omitempty"`
}

var (
	vTrue  = true
	vFalse = false
)

func boolp(b bool) *bool {
	if b {
		return &vTrue
	}
	return &vFalse
}

func orEmpty(m *civicpress.Map) *civicpress.Map {
	if m == nil {
		return &civicpress.Map{}
	}
	return m
}

func orEmptyList(l []*civicpress.Map) []*civicpress.Map {
	if l == nil {
		return []*civicpress.Map{}
	}
	return l
}

func viewRecord(r *civicpress.Record) *recordView {
	return &recordView{ID: r.ID, Title: r.Title, Type: r.Type, Status: r.Status,
		WorkflowState: nullable(r.WorkflowState), Content: r.Content, Metadata: orEmpty(r.Metadata),
		Authors: r.Authors, Source: r.Source, Geography: r.Geography,
		AttachedFiles: orEmptyList(r.AttachedFiles), LinkedRecords: orEmptyList(r.LinkedRecords),
		LinkedGeographyFiles: orEmptyList(r.LinkedGeographyFiles), Path: r.Path,
		CreatedAt: isoMillis(r.Created), UpdatedAt: isoMillis(r.Updated), Author: r.Author,
		CommitRef: r.CommitRef, CommitSignature: r.CommitSignature}
}

// listItem is a record as GET /records lists it (no sub-lists).
type listItem struct {
	ID                    string          `json:"id"`
	Title                 string          `json:"title"`
	Type                  string          `json:"type"`
	Status                string          `json:"status"`
	WorkflowState         string          `json:"workflowState,omitempty"`
	Content               string          `json:"content"`
	Metadata              *civicpress.Map `json:"metadata"`
	Path                  string          `json:"path"`
	CreatedAt             string          `json:"created_at"`
	UpdatedAt             string          `json:"updated_at"`
	Author                string          `json:"author"`
	CommitRef             string          `json:"commit_ref,omitempty"`
	CommitSignature       string          `json:"commit_signature,omitempty"`
	HasUnpublishedChanges *bool           `json:"hasUnpublishedChanges,omitempty"`
	// Search only: the excerpt and title with matches in <mark>.
	Snippet          string `json:"snippet,omitempty"`
	HighlightedTitle string `json:"highlightedTitle,omitempty"`
}

// viewListItem renders r; hasDraft is set for authenticated callers only
// (the core fills Record.HasDraft for them).
func viewListItem(r *civicpress.Record, authed bool) listItem {
	li := listItem{ID: r.ID, Title: r.Title, Type: r.Type, Status: r.Status, WorkflowState: r.WorkflowState,
		Content: r.Content, Metadata: orEmpty(r.Metadata), Path: r.Path,
		CreatedAt: isoMillis(r.Created), UpdatedAt: isoMillis(r.Updated), Author: r.Author,
		CommitRef: r.CommitRef, CommitSignature: r.CommitSignature}
	if authed {
		li.HasUnpublishedChanges = boolp(r.HasDraft)
	}
	return li
}

// draftView is upstream's ApiDraft.
type draftView struct {
	ID                   string            `json:"id"`
	Title                string            `json:"title"`
	Type                 string            `json:"type"`
	Status               string            `json:"status"`
	WorkflowState        *string           `json:"workflowState"`
	MarkdownBody         *string           `json:"markdownBody"`
	Metadata             *civicpress.Map   `json:"metadata"`
	Geography            *civicpress.Map   `json:"geography,omitempty"`
	AttachedFiles        []*civicpress.Map `json:"attachedFiles"`
	LinkedRecords        []*civicpress.Map `json:"linkedRecords"`
	LinkedGeographyFiles []*civicpress.Map `json:"linkedGeographyFiles"`
	Author               string            `json:"author"`
	CreatedBy            string            `json:"created_by"`
	CreatedAt            string            `json:"created_at"`
	UpdatedAt            string            `json:"updated_at"`
	LastDraftSavedAt     string            `json:"last_draft_saved_at"`
	IsDraft              *bool             `json:"isDraft,omitempty"`
}

func viewDraft(d *civicpress.Draft) *draftView {
	return &draftView{ID: d.ID, Title: d.Title, Type: d.Type, Status: d.Status,
		WorkflowState: nullable(d.WorkflowState), MarkdownBody: nullable(d.Body), Metadata: orEmpty(d.Metadata),
		Geography: d.Geography, AttachedFiles: orEmptyList(d.AttachedFiles), LinkedRecords: orEmptyList(d.LinkedRecords),
		LinkedGeographyFiles: orEmptyList(d.LinkedGeographyFiles), Author: d.Author, CreatedBy: d.CreatedBy,
		CreatedAt: isoMillis(d.Created), UpdatedAt: isoMillis(d.Updated), LastDraftSavedAt: isoMillis(d.LastSaved)}
}

// draftListItem is a draft in GET /records/drafts: content aliases
// markdownBody there.
type draftListItem struct {
	*draftView
	Content *string `json:"content"`
}

// recordBody is the JSON a client sends to create or change a record or
// draft. Structured fields are decoded here so that a wrong shape is a 400
// naming the field.
type recordBody struct {
	Title                *string         `json:"title"`
	Type                 *string         `json:"type"`
	Content              *string         `json:"content"`
	MarkdownBody         *string         `json:"markdownBody"`
	Status               *string         `json:"status"`
	WorkflowState        *string         `json:"workflowState"`
	Metadata             json.RawMessage `json:"metadata"`
	Geography            json.RawMessage `json:"geography"`
	AttachedFiles        json.RawMessage `json:"attachedFiles"`
	LinkedRecords        json.RawMessage `json:"linkedRecords"`
	LinkedGeographyFiles json.RawMessage `json:"linkedGeographyFiles"`
}

// changes converts the body; every malformed field is named in one 400.
func (b *recordBody) changes() (civicpress.Changes, error) {
	ch := civicpress.Changes{Title: b.Title, Type: b.Type, Body: b.MarkdownBody, Status: b.Status, WorkflowState: b.WorkflowState}
	if ch.Body == nil {
		ch.Body = b.Content
	}
	var bad []fieldDetail
	obj := func(name string, raw json.RawMessage) *civicpress.Map {
		if isNull(raw) {
			return nil
		}
		m := &civicpress.Map{}
		if err := m.UnmarshalJSON(raw); err != nil {
			bad = append(bad, fieldDetail{Type: "field", Msg: "must be an object", Path: name, Location: "body"})
			return nil
		}
		return m
	}
	objs := func(name string, raw json.RawMessage) []*civicpress.Map {
		if isNull(raw) {
			return nil
		}
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			bad = append(bad, fieldDetail{Type: "field", Msg: "must be an array of objects", Path: name, Location: "body"})
			return nil
		}
		out := make([]*civicpress.Map, 0, len(items))
		for _, it := range items {
			m := &civicpress.Map{}
			if err := m.UnmarshalJSON(it); err != nil {
				bad = append(bad, fieldDetail{Type: "field", Msg: "must be an array of objects", Path: name, Location: "body"})
				return nil
			}
			out = append(out, m)
		}
		return out
	}
	ch.Metadata = obj("metadata", b.Metadata)
	ch.Geography = obj("geography", b.Geography)
	ch.AttachedFiles = objs("attachedFiles", b.AttachedFiles)
	ch.LinkedRecords = objs("linkedRecords", b.LinkedRecords)
	ch.LinkedGeographyFiles = objs("linkedGeographyFiles", b.LinkedGeographyFiles)
	if len(bad) > 0 {
		return ch, invalidFields(msgRecordData, bad...)
	}
	return ch, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// msgRecordData is upstream's message for invalid input on /records.
const msgRecordData = "Invalid record data"

// decodeRecord reads a recordBody and converts it.
func (c *call) decodeRecord() (civicpress.Changes, error) {
	var b recordBody
	if err := c.decode(&b); err != nil {
		if he, ok := err.(*httpError); ok && he.code == civicpress.CodeValidation {
			he2 := *he
			he2.msg = msgRecordData
			return civicpress.Changes{}, &he2
		}
		return civicpress.Changes{}, err
	}
	return b.changes()
}

// lockDetails reports a held lock on a 409 RECORD_LOCKED.
func lockDetails(l civicpress.Lock) map[string]any {
	return map[string]any{"lockedBy": l.LockedBy, "holder": nullable(l.Holder),
		"lockedAt": isoMillis(l.LockedAt), "expiresAt": isoMillis(l.Expires)}
}
