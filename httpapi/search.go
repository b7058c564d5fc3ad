package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

var searchSorts = []string{civicpress.SortRelevance, civicpress.SortUpdatedDesc, civicpress.SortCreatedDesc,
	civicpress.SortTitleAsc, civicpress.SortTitleDesc}

// maxQuery is upstream's limit on q (hardening.test.ts).
const maxQuery = 512

func (q *query) required(name string) string {
	s := q.v.Get(name)
	if strings.TrimSpace(s) == "" {
		q.bad(name, "", "Query parameter \""+name+"\" is required")
		return ""
	}
	return s
}

// GET /search ?q (1–512) &type &status &page &limit (1–300, 50) &sort
func (a *api) search(c *call) error {
	q := c.query()
	text := q.required("q")
	if text != "" {
		text = q.maxLen("q", maxQuery)
	}
	pg := q.page(50, 300)
	sort := q.oneOf("sort", civicpress.SortRelevance, searchSorts...)
	if err := q.err("Invalid request data"); err != nil {
		return err
	}
	res, err := a.core.Search().Query(c.ctx(), c.user(), civicpress.SearchQuery{Query: text, Types: list(q.str("type")),
		Statuses: list(q.str("status")), Sort: sort, Limit: pg.limit, Offset: pg.offset()})
	if err != nil {
		return err
	}
	authed := c.user() != nil
	items := make([]listItem, len(res.Hits))
	for i, h := range res.Hits {
		it := viewListItem(h.Record, authed)
		it.WorkflowState, it.CommitRef, it.CommitSignature = "", "", "" // upstream's search items lack them
		it.Snippet, it.HighlightedTitle = h.Snippet, h.Title
		items[i] = it
	}
	cur, pages, size := pg.fields(res.Total)
	return c.send(http.StatusOK, map[string]any{"results": items, "totalCount": res.Total, "currentPage": cur,
		"totalPages": pages, "pageSize": size, "query": text, "sort": sort, "facets": res.Facets},
		map[string]any{"sort": sort})
}

// GET /search/suggestions ?q (≤512) &limit (1–20, 10)
func (a *api) suggestions(c *call) error {
	q := c.query()
	text := q.required("q")
	if text != "" {
		text = q.maxLen("q", maxQuery)
	}
	limit := q.int("limit", 10, 1, 20)
	if err := q.err("Invalid request data"); err != nil {
		return err
	}
	s, err := a.core.Search().Suggest(c.ctx(), c.user(), text, limit)
	if err != nil {
		return err
	}
	out := map[string]any{"suggestions": nonNil(s.Suggestions), "words": nonNil(s.Words), "titles": nonNil(s.Titles), "query": text}
	return c.ok(out)
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// historyEntry is upstream's history item.
type historyEntry struct {
	Hash      string `json:"hash"`
	ShortHash string `json:"shortHash"`
	Message   string `json:"message"`
	Author    string `json:"author"`
	Email     string `json:"email"`
	Date      string `json:"date"`      // git's strict ISO 8601, with the offset
	Timestamp string `json:"timestamp"` // UTC, milliseconds
	Record    string `json:"record"`
}

func (q *query) time(name string) time.Time {
	s := q.v.Get(name)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	q.bad(name, s, capital(name)+" must be an ISO 8601 date")
	return time.Time{}
}

// GET /history ?record &limit (1–100, 10) &offset &author &since &until,
// and GET /history/{record}.
func (a *api) history(c *call) error {
	q := c.query()
	record := c.param("record")
	if record == "" {
		record = q.str("record")
	}
	o := civicpress.HistoryOptions{Limit: q.int("limit", 10, 1, 100), Offset: q.int("offset", 0, 0, 0),
		Author: q.maxLen("author", 200), Since: q.time("since"), Until: q.time("until")}
	if err := q.err("Invalid request data"); err != nil {
		return err
	}
	commits, total, err := a.core.Records().History(c.ctx(), c.user(), record, o)
	if err != nil {
		return err
	}
	label := record
	if label == "" {
		label = "all"
	}
	out := make([]historyEntry, len(commits))
	for i, cm := range commits {
		short := cm.Hash
		if len(short) > 8 {
			short = short[:8]
		}
		out[i] = historyEntry{Hash: cm.Hash, ShortHash: short, Message: cm.Message, Author: cm.AuthorName,
			Email: cm.AuthorEmail, Date: cm.Date.Format("2006-01-02T15:04:05-07:00"), Timestamp: isoMillis(cm.Date), Record: label}
	}
	filters := map[string]any{"author": nullable(o.Author), "since": nullable(q.str("since")), "until": nullable(q.str("until"))}
	meta := map[string]any{"totalCommits": total, "returnedCommits": len(out)}
	if record != "" {
		meta["record"] = record
	}
	return c.send(http.StatusOK, map[string]any{"history": out, "summary": map[string]any{"totalCommits": total,
		"returnedCommits": len(out), "limit": o.Limit, "offset": o.Offset, "record": label, "filters": filters}}, meta)
}

// diffView is upstream's DiffResult, filled from the core's Diff.
func diffView(d *civicpress.Diff, recordType string) map[string]any {
	fields := d.Fields
	if fields == nil {
		fields = []civicpress.FieldChange{}
	}
	adds, dels := 0, 0
	for _, l := range strings.Split(d.Body, "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			adds++
		case strings.HasPrefix(l, "-"):
			dels++
		}
	}
	var kinds []string
	if len(fields) > 0 {
		kinds = append(kinds, "metadata")
	}
	if d.Body != "" {
		kinds = append(kinds, "content")
	}
	return map[string]any{
		"recordId": d.RecordID, "type": recordType, "path": d.Path, "commit1": d.From, "commit2": d.To,
		"changes": map[string]any{"metadata": fields,
			"content": map[string]any{"unified": d.Body, "stats": map[string]int{"additions": adds, "deletions": dels}}},
		"summary": map[string]any{"hasChanges": len(kinds) > 0, "changeTypes": nonNil(kinds), "totalChanges": len(fields) + adds + dels},
	}
}

// GET /records/{id}/diff ?from &to: from empty means the version before to,
// to empty the latest.
func (a *api) recordDiff(c *call) error {
	q := c.query()
	return a.diff(c, c.param("id"), q.str("from"), q.str("to"))
}

// GET /diff/{recordId} ?commit1 &commit2 (upstream's route).
func (a *api) upstreamDiff(c *call) error {
	q := c.query()
	return a.diff(c, c.param("recordId"), q.str("commit1"), q.str("commit2"))
}

func (a *api) diff(c *call, id, from, to string) error {
	for name, v := range map[string]string{"from": from, "to": to} {
		if len(v) > 64 {
			return invalidFields("Invalid request data", fieldDetail{Type: "field", Msg: "must be a commit hash", Path: name, Location: "query"})
		}
	}
	d, err := a.core.Records().Diff(c.ctx(), c.user(), id, from, to)
	if err != nil {
		return err
	}
	typ := ""
	if r, err := a.core.Records().Get(c.ctx(), c.user(), id); err == nil {
		typ = r.Type
	}
	return c.ok(diffView(d, typ))
}
