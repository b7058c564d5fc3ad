package store

import (
	"context"
	"time"
)

// InsertAudit writes an audit row. When user_id no longer names a user (the
// foreign key fails) it is retried detached, as upstream does, so the audit
// trail never loses an entry.
func (q Q) InsertAudit(ctx context.Context, a *AuditLog) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = Stamp{time.Now()}
	}
	err := q.insertAudit(ctx, a)
	if err != nil && a.UserID != 0 && IsForeignKeyViolation(err) && !q.inTx {
		detached := *a
		detached.UserID = 0
		detached.Details = a.Details + " [detached user_id=" + itoa(a.UserID) + ": not in users]"
		if err2 := q.insertAudit(ctx, &detached); err2 != nil {
			return err2
		}
		a.ID = detached.ID
		return nil
	}
	return err
}

func (q Q) insertAudit(ctx context.Context, a *AuditLog) error {
	var user any
	if a.UserID != 0 {
		user = a.UserID
	}
	return q.queryRow(ctx, "INSERT INTO audit_logs (user_id, action, resource_type, resource_id, details, ip_address, created_at) "+
		"VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id", []any{user, a.Action, nullable(a.ResourceType), nullable(a.ResourceID),
		nullable(a.Details), nullable(a.IPAddress), a.CreatedAt}, &a.ID)
}

// ListAudit returns audit rows newest first with the acting username joined, and the total.
func (q Q) ListAudit(ctx context.Context, limit, offset int) ([]AuditLog, int, error) {
	var rows []AuditLog
	sq := q.idb.NewSelect().Model(&rows).
		ColumnExpr("audit_log.*").
		ColumnExpr("u.username AS username").
		Join("LEFT JOIN users AS u ON u.id = audit_log.user_id").
		OrderExpr("audit_log.id DESC")
	if limit > 0 {
		sq = sq.Limit(int64(limit))
	}
	if offset > 0 {
		sq = sq.Offset(int64(offset))
	}
	n, err := sq.ScanAndCount(ctx)
	return rows, int(n), err
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
