package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"github.com/civicpress/civicpress-go/civicpress"
)

var listSorts = []string{civicpress.SortCreatedDesc, civicpress.SortUpdatedDesc, civicpress.SortTitleAsc, civicpress.SortTitleDesc}

// maxPage keeps page × limit far from overflowing.
const maxPage = 1_000_000

// page is upstream's page/limit pagination block.
type page struct {
	num, limit int
}

func (q *query) page(defLimit, maxLimit int) page {
	return page{num: q.int("page", 1, 1, maxPage), limit: q.int("limit", defLimit, 1, maxLimit)}
}

func (p page) offset() int { return (p.num - 1) * p.limit }

func (p page) fields(total int) (int, int, int) {
	return p.num, (total + p.limit - 1) / p.limit, p.limit
}

// GET /records ?type (comma list) &status (comma list) &page &limit (1–300, 50) &sort
func (a *api) listRecords(c *call) error {
	q := c.query()
	if q.str("sort") == civicpress.SortRelevance {
		return errf(http.StatusBadRequest, "INVALID_SORT_CONTEXT", "Sort 'relevance' is only available for search")
	}
	pg := q.page(50, 300)
	sort := q.oneOf("sort", civicpress.SortCreatedDesc, listSorts...)
	if err := q.err(msgRecordData); err != nil {
		return err
	}
	res, err := a.core.Records().List(c.ctx(), c.user(), civicpress.ListOptions{Types: list(q.str("type")),
		Statuses: list(q.str("status")), Sort: sort, Limit: pg.limit, Offset: pg.offset()})
	if err != nil {
		return err
	}
	authed := c.user() != nil
	items := make([]listItem, len(res.Records))
	for i, r := range res.Records {
		items[i] = viewListItem(r, authed)
	}
	cur, pages, size := pg.fields(res.Total)
	return c.send(http.StatusOK, map[string]any{"records": items, "totalCount": res.Total, "currentPage": cur,
		"totalPages": pages, "pageSize": size, "sort": sort}, map[string]any{"sort": sort})
}

// GET /records/summary ?type: counts as the public sees them (upstream
// mounts it without authentication).
func (a *api) recordsSummary(c *call) error {
	s, err := a.core.Records().Summary(c.ctx(), nil, list(c.query().str("type")))
	if err != nil {
		return err
	}
	return c.ok(s)
}

// GET /records/drafts ?type &limit &offset
func (a *api) listDrafts(c *call) error {
	q := c.query()
	f := civicpress.DraftFilter{Types: list(q.str("type")), Limit: q.int("limit", 50, 1, 1000), Offset: q.int("offset", 0, 0, 0)}
	if err := q.err(msgRecordData); err != nil {
		return err
	}
	drafts, total, err := a.core.Records().ListDrafts(c.ctx(), c.user(), f)
	if err != nil {
		return err
	}
	out := make([]draftListItem, len(drafts))
	for i, d := range drafts {
		v := viewDraft(d)
		v.IsDraft = boolp(true)
		out[i] = draftListItem{draftView: v, Content: v.MarkdownBody}
	}
	return c.ok(map[string]any{"drafts": out, "total": total})
}

// canEdit tells whether the caller sees editors' views (drafts, the
// hasUnpublishedChanges flag) of records of type t.
func (a *api) canEdit(c *call, t string) bool {
	return a.core.Can(c.user(), "records:edit", civicpress.PermContext{RecordType: t, Action: "edit"})
}

// GET /records/{id} ?edit=true: the published record; with edit=true an
// editor gets the draft when there is one.
func (a *api) getRecord(c *call) error {
	id, recs := c.param("id"), a.core.Records()
	if c.query().bool("edit") && c.user() != nil {
		d, err := recs.GetDraft(c.ctx(), c.user(), id)
		switch {
		case err == nil:
			v := viewDraft(d)
			v.IsDraft = boolp(true)
			return c.ok(v)
		case !errors.Is(err, civicpress.ErrNotFound) && !errors.Is(err, civicpress.ErrForbidden):
			return err
		}
	}
	r, err := recs.Get(c.ctx(), c.user(), id)
	if err != nil {
		return err
	}
	v := viewRecord(r)
	v.IsDraft = boolp(false)
	if c.user() != nil && a.canEdit(c, r.Type) {
		v.HasUnpublishedChanges = boolp(r.HasDraft)
	}
	return c.ok(v)
}

// file returns the record file an editor works on (the draft serialized,
// when one exists) or, for others, the published file, with the record or
// draft it belongs to.
func (a *api) file(c *call) ([]byte, *civicpress.Record, *civicpress.Draft, error) {
	id, recs := c.param("id"), a.core.Records()
	if c.user() != nil {
		d, err := recs.GetDraft(c.ctx(), c.user(), id)
		if err == nil {
			b, err := recs.File(c.ctx(), c.user(), id, true)
			return b, nil, d, err
		}
		if !errors.Is(err, civicpress.ErrNotFound) && !errors.Is(err, civicpress.ErrForbidden) {
			return nil, nil, nil, err
		}
	}
	b, err := recs.File(c.ctx(), c.user(), id, false)
	if err != nil {
		return nil, nil, nil, err
	}
	r, err := recs.Get(c.ctx(), c.user(), id)
	return b, r, nil, err
}

// GET /records/{id}/raw: the whole file (frontmatter and body).
func (a *api) rawRecord(c *call) error {
	b, r, d, err := a.file(c)
	if err != nil {
		return err
	}
	out := map[string]any{"content": string(b)}
	if d != nil {
		out["id"], out["title"], out["type"], out["status"] = d.ID, d.Title, d.Type, d.Status
		out["metadata"], out["path"], out["created"], out["author"] = orEmpty(d.Metadata), nil, isoMillis(d.Created), d.Author
		out["isDraft"] = true
	} else {
		out["id"], out["title"], out["type"], out["status"] = r.ID, r.Title, r.Type, r.Status
		out["metadata"], out["path"], out["created"], out["author"] = orEmpty(r.Metadata), r.Path, isoMillis(r.Created), r.Author
	}
	return c.ok(out)
}

// GET /records/{id}/frontmatter: the YAML frontmatter alone, as text/yaml.
func (a *api) frontmatter(c *call) error {
	b, _, _, err := a.file(c)
	if err != nil {
		return err
	}
	fm := frontmatterOf(b)
	h := c.w.Header()
	h.Set("Content-Type", "text/yaml; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(fm)))
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(fm)
	return nil
}

// frontmatterOf cuts the YAML between a record file's "---" fences.
func frontmatterOf(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	rest, ok := bytes.CutPrefix(b, []byte("---\n"))
	if !ok {
		if rest, ok = bytes.CutPrefix(b, []byte("---\r\n")); !ok {
			return nil
		}
	}
	if bytes.HasPrefix(rest, []byte("---")) {
		return nil
	}
	end := bytes.Index(rest, []byte("\n---"))
	if end < 0 {
		return bytes.TrimRight(rest, "\r\n")
	}
	return bytes.TrimRight(rest[:end], "\r\n")
}

// POST /records: creates a draft (201); nothing is published yet.
func (a *api) createRecord(c *call) error {
	ch, err := c.decodeRecord()
	if err != nil {
		return err
	}
	d, err := a.core.Records().CreateDraft(c.ctx(), c.user(), ch)
	if err != nil {
		return err
	}
	return c.send(http.StatusCreated, viewDraft(d), nil)
}

// PUT /records/{id}: writes the published record directly.
func (a *api) updateRecord(c *call) error {
	ch, err := c.decodeRecord()
	if err != nil {
		return err
	}
	r, err := a.core.Records().Update(c.ctx(), c.user(), c.param("id"), ch)
	if err != nil {
		return err
	}
	return c.ok(viewRecord(r))
}

// DELETE /records/{id}: archives the record.
func (a *api) archiveRecord(c *call) error {
	id := c.param("id")
	r, err := a.core.Records().Archive(c.ctx(), c.user(), id)
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"message": "Record " + id + " archived successfully", "archivedAt": isoMillis(r.Updated),
		"archiveLocation": r.Path, "note": "Record has been moved to archive and is no longer active"})
}

// PUT /records/{id}/draft: creates or updates the draft.
func (a *api) saveDraft(c *call) error {
	ch, err := c.decodeRecord()
	if err != nil {
		return err
	}
	d, err := a.core.Records().SaveDraft(c.ctx(), c.user(), c.param("id"), ch)
	if err != nil {
		return err
	}
	return c.ok(viewDraft(d))
}

// DELETE /records/{id}/draft
func (a *api) deleteDraft(c *call) error {
	id := c.param("id")
	if err := a.core.Records().DeleteDraft(c.ctx(), c.user(), id); err != nil {
		return err
	}
	return c.ok(map[string]any{"message": "Draft deleted successfully", "id": id})
}

// POST /records/{id}/publish {status?} → 201 with the published record.
func (a *api) publish(c *call) error {
	var in struct {
		Status string `json:"status"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	r, err := a.core.Records().Publish(c.ctx(), c.user(), c.param("id"), civicpress.PublishOptions{Status: in.Status})
	if err != nil {
		return err
	}
	return c.send(http.StatusCreated, viewRecord(r), nil)
}

// POST /records/{id}/status {status, comment?}
func (a *api) changeStatus(c *call) error {
	var in struct {
		Status  string `json:"status"`
		Comment string `json:"comment"`
	}
	if err := c.decode(&in); err != nil {
		return err
	}
	if in.Status == "" {
		return invalidFields(msgRecordData, fieldDetail{Type: "field", Msg: "Status is required", Path: "status", Location: "body"})
	}
	sc, err := a.core.Records().ChangeStatus(c.ctx(), c.user(), c.param("id"), in.Status, in.Comment)
	if err != nil {
		return err
	}
	r := sc.Record
	return c.ok(map[string]any{
		"message": "Record status changed to " + sc.NewStatus,
		"record": map[string]any{"id": r.ID, "title": r.Title, "type": r.Type, "status": r.Status, "content": r.Content,
			"metadata": orEmpty(r.Metadata), "path": r.Path, "created": isoMillis(r.Created), "author": r.Author},
		"previousStatus": sc.PreviousStatus, "newStatus": sc.NewStatus, "changedBy": sc.ChangedBy,
		"changedAt": isoMillis(sc.ChangedAt), "comment": nullable(sc.Comment)})
}

// GET /records/{id}/transitions
func (a *api) transitions(c *call) error {
	t, err := a.core.Records().Transitions(c.ctx(), c.user(), c.param("id"))
	if err != nil {
		return err
	}
	if t == nil {
		t = []string{}
	}
	return c.ok(map[string]any{"transitions": t})
}

// POST /records/{id}/lock: takes or renews the editing lock.
func (a *api) lock(c *call) error {
	l, err := a.core.Records().Lock(c.ctx(), c.user(), c.param("id"))
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"locked": true, "recordId": l.RecordID, "lockedBy": l.LockedBy, "expiresAt": isoMillis(l.Expires)})
}

// DELETE /records/{id}/lock: releases the caller's lock (always 200; a
// lock held by someone else stays, locked: true).
func (a *api) unlock(c *call) error {
	id := c.param("id")
	free, err := a.core.Records().Unlock(c.ctx(), c.user(), id)
	if err != nil {
		return err
	}
	return c.ok(map[string]any{"locked": !free, "recordId": id})
}

// GET /records/{id}/lock
func (a *api) lockStatus(c *call) error {
	l, err := a.core.Records().LockStatus(c.ctx(), c.user(), c.param("id"))
	if err != nil {
		return err
	}
	if l == nil {
		return c.ok(map[string]any{"locked": false, "lockedBy": nil, "lockedAt": nil, "expiresAt": nil})
	}
	return c.ok(map[string]any{"locked": true, "lockedBy": l.LockedBy, "holder": nullable(l.Holder),
		"lockedAt": isoMillis(l.LockedAt), "expiresAt": isoMillis(l.Expires)})
}

// POST /records/{id}/snapshot: asks the realtime hub holding the record's
// room (in this process or, through the outbox, another) to write the live
// document back now; upstream's no-op answer when none does, plus a reason
// (NO_REALTIME_HUB, ROOM_NOT_OPEN, TIMED_OUT) upstream's clients ignore.
func (a *api) snapshot(c *call) error {
	res, err := a.core.RequestSnapshot(c.ctx(), c.user(), c.param("id"))
	if err != nil {
		return err
	}
	out := map[string]any{"snapshotCreated": res.Created, "version": res.Version, "timestamp": res.Timestamp.UnixMilli()}
	if res.Reason != "" {
		out["reason"] = res.Reason
	}
	return c.ok(out)
}
