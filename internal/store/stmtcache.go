package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/uptrace/bun"
)

// stmtCache keeps prepared statements for the reads that run on every
// list and search request. They go to the driver with their arguments
// instead of through bun's formatting, so their text is the same from one
// request to the next, and SQLite parses each once per connection instead
// of on every call (tens of microseconds for these statements; PostgreSQL's
// driver caches its own prepared statements by text).
type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	closed bool
}

// maxCachedStmts bounds the cache: statement texts vary only with the
// shape of a query (which filters, which sort), so a few dozen are used.
const maxCachedStmts = 256

func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[query]; st != nil {
		return st, nil
	}
	if c.closed || len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m, c.closed = nil, true
}

// query runs a read whose arguments go to the driver as they are ("?"
// placeholders, no bun formatting; see inList for lists): on the pool
// through a cached prepared statement on SQLite.
func (q Q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if q.dialect == Postgres {
		query = numberPlaceholders(query)
	}
	switch x := q.idb.(type) {
	case *bun.DB:
		if q.stmts != nil && q.dialect == SQLite {
			st, err := q.stmts.get(ctx, x.DB, query)
			if err != nil {
				return nil, err
			}
			if st != nil {
				return st.QueryContext(ctx, args...)
			}
		}
		return x.DB.QueryContext(ctx, query, args...)
	case bun.Tx:
		return x.Tx.QueryContext(ctx, query, args...)
	}
	return nil, fmt.Errorf("store: unexpected query handle %T", q.idb)
}

// queryRow is query for a one-row result scanned into dest.
func (q Q) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// inList renders "expr is one of vals" as a condition with one argument
// (the statement text does not depend on how many values there are): a
// plain equality for one value (so an index on expr still gives its
// order), else a JSON array on SQLite and a text array on PostgreSQL.
// noIndex keeps SQLite from driving the query from an index on expr.
func (q Q) inList(expr string, vals []string, noIndex bool) (string, any) {
	if q.dialect == Postgres {
		return expr + " = ANY(?)", vals
	}
	if noIndex {
		expr = "+" + expr
	}
	if len(vals) == 1 {
		return expr + " = ?", vals[0]
	}
	b, _ := json.Marshal(vals)
	return expr + " IN (SELECT value FROM json_each(?))", string(b)
}
