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
	_, err := q.idb.NewInsert().Model(a).Returning("id").Exec(ctx)
	if err != nil && a.UserID != 0 && IsForeignKeyViolation(err) && !q.inTx {
		detached := *a
		detached.UserID = 0
		detached.Details = a.Details + " [detached user_id=" + itoa(a.UserID) + ": not in users]"
		if _, err2 := q.idb.NewInsert().Model(&detached).Returning("id").Exec(ctx); err2 != nil {
			return err2
		}
		a.ID = detached.ID
		return nil
	}
	return err
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
