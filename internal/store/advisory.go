package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
)

// AdvisoryLocks takes PostgreSQL session advisory locks that serialize work
// across processes (and machines) sharing the database. Each held lock set
// lives on a connection of a pool of its own, so lock holders never wait for
// the connections their queries need.
type AdvisoryLocks struct{ db *sql.DB }

// AdvisoryLocks opens a lock pool of at most maxConns connections. It is
// PostgreSQL only.
func (db *DB) AdvisoryLocks(maxConns int) (*AdvisoryLocks, error) {
	if db.dialect != Postgres {
		return nil, errors.New("store: advisory locks need PostgreSQL")
	}
	sqldb, err := sql.Open("pgx", db.pgURL)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	sqldb.SetMaxOpenConns(maxConns)
	sqldb.SetMaxIdleConns(maxConns)
	return &AdvisoryLocks{db: sqldb}, nil
}

// Lock takes the locks (class, key) for every key, in ascending key order so
// that two callers asking for overlapping sets cannot deadlock, waiting until
// ctx ends. unlock releases them all.
func (a *AdvisoryLocks) Lock(ctx context.Context, class int32, keys []int32) (unlock func(), err error) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: advisory lock: %w", err)
	}
	var held []int32
	release := func() {
		// A lock that cannot be released on this connection dies with it.
		for _, k := range held {
			if _, err := conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1, $2)", class, k); err != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn })
				break
			}
		}
		conn.Close()
	}
	for _, k := range keys {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, $2)", class, k); err != nil {
			release()
			return nil, fmt.Errorf("store: advisory lock: %w", err)
		}
		held = append(held, k)
	}
	return release, nil
}

// Close closes the pool (held locks are released with their connections).
func (a *AdvisoryLocks) Close() error { return a.db.Close() }
