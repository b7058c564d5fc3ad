package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// NotifyChannel is the PostgreSQL channel that wakes event tailers.
const NotifyChannel = "civicpress_events"

// pgEventLock serializes outbox writers on PostgreSQL so that event ids become
// visible in id order: a tailer reading "id > cursor" then never skips a row
// that commits late with a smaller id. (SQLite has one writer at a time.)
const pgEventLock = 0x65767473 // "evts"

// InsertEvent appends to the outbox. Call it inside the transaction of the
// change the event describes; on PostgreSQL it also queues the NOTIFY that
// wakes other processes when that transaction commits.
func (q Q) InsertEvent(ctx context.Context, e *Event) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = Stamp{time.Now()}
	}
	if q.dialect == Postgres {
		if !q.inTx {
			return errors.New("store: InsertEvent on PostgreSQL must run inside InTx")
		}
		if _, err := q.exec(ctx, "SELECT pg_advisory_xact_lock(?)", int64(pgEventLock)); err != nil {
			return err
		}
	}
	if err := q.queryRow(ctx, "INSERT INTO events (type, payload, origin, created_at) VALUES (?, ?, ?, ?) RETURNING id",
		[]any{e.Type, e.Payload, e.Origin, e.CreatedAt}, &e.ID); err != nil {
		return err
	}
	if q.dialect == Postgres {
		if _, err := q.exec(ctx, "SELECT pg_notify(?, '')", NotifyChannel); err != nil {
			return err
		}
	}
	return nil
}

// EventsAfter returns up to limit outbox rows with id > after, in id order.
func (q Q) EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error) {
	var evs []Event
	err := q.idb.NewSelect().Model(&evs).Where("id > ?", after).OrderExpr("id ASC").Limit(int64(limit)).Scan(ctx)
	return evs, err
}

// LastEventID returns the highest outbox id (0 when empty).
func (q Q) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	err := q.idb.NewSelect().Model((*Event)(nil)).ColumnExpr("coalesce(max(id), 0)").Scan(ctx, &id)
	return id, err
}

// PruneEvents deletes outbox rows older than before.
func (q Q) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.idb.NewDelete().Model((*Event)(nil)).Where("created_at < ?", SQLTime(before)).Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Listen blocks delivering a wake-up on wake for every NOTIFY on
// NotifyChannel until ctx ends; it reconnects after errors. It is a no-op
// returning at once on SQLite, where tailers poll.
func (db *DB) Listen(ctx context.Context, wake chan<- struct{}) error {
	if db.dialect != Postgres {
		return nil
	}
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return nil
		}
		db.log.Warn("event listener reconnecting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
		// A reconnect may have missed notifications: wake the tailer.
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	return nil
}

func (db *DB) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	conn, err := pgx.Connect(ctx, db.pgURL)
	if err != nil {
		return fmt.Errorf("store: listen connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return fmt.Errorf("store: listen: %w", err)
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		select {
		case wake <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}
