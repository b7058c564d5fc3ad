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
// list and search request and for the writes of a record publish. They go
// to the driver with their arguments instead of through bun's formatting,
// so their text is the same from one request to the next, and SQLite
// parses each once per connection instead of on every call (tens of
// microseconds for these statements, more for inserts into search_index,
// whose FTS triggers are compiled with them; PostgreSQL's driver caches its
// own prepared statements by text).
type stmtCache struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	closed bool
}

// maxCachedStmts bounds the cache: statement texts vary only with the
// shape of a query (which filters, which sort), so a few dozen are used.
const maxCachedStmts = 256

// get returns the statement cached for query, preparing it on first use.
// Preparing may wait for a pool connection, so it happens outside the lock:
// a transaction holding the last connection must still be able to look its
// statements up (lookup) and finish.
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, full := c.m[query], c.closed || len(c.m) >= maxCachedStmts
	c.mu.Unlock()
	if st != nil || full {
		return st, nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[query]; old != nil || c.closed {
		st.Close() // prepared meanwhile by another caller, or closing
		return old, nil
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// lookup returns the statement cached for query, or nil; it never
// prepares (see Q.txStmt).
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m, c.closed = nil, true
}

// query runs a statement that returns rows, its arguments going to the
// driver as they are ("?" placeholders, no bun formatting; see inList for
// lists): through a cached prepared statement on SQLite.
func (q Q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r, query, err := q.runner(ctx, query)
	if err != nil {
		return nil, err
	}
	return r.QueryContext(ctx, query, args...)
}

// exec is query for a statement without rows.
func (q Q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	r, query, err := q.runner(ctx, query)
	if err != nil {
		return nil, err
	}
	return r.ExecContext(ctx, query, args...)
}

// sqlRunner is what query and exec run a statement on: the pool, a
// transaction, or a prepared statement (stmtRunner).
type sqlRunner interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// stmtRunner runs a prepared statement, ignoring the text it was made from.
type stmtRunner struct{ st *sql.Stmt }

func (r stmtRunner) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return r.st.QueryContext(ctx, args...)
}

func (r stmtRunner) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return r.st.ExecContext(ctx, args...)
}

// runner picks where query runs (a cached statement when there is one)
// and rewrites its placeholders for PostgreSQL.
func (q Q) runner(ctx context.Context, query string) (sqlRunner, string, error) {
	if q.dialect == Postgres {
		query = numberPlaceholders(query)
	}
	switch x := q.idb.(type) {
	case *bun.DB:
		st, err := q.poolStmt(ctx, x, query)
		if err != nil {
			return nil, "", err
		}
		if st != nil {
			return stmtRunner{st}, query, nil
		}
		return x.DB, query, nil
	case bun.Tx:
		if st := q.txStmt(ctx, x, query); st != nil {
			return stmtRunner{st}, query, nil
		}
		return x.Tx, query, nil
	}
	return nil, "", fmt.Errorf("store: unexpected query handle %T", q.idb)
}

// poolStmt returns the cached statement of query on the pool (preparing it
// on first use), or nil where statements are not cached.
func (q Q) poolStmt(ctx context.Context, db *bun.DB, query string) (*sql.Stmt, error) {
	if q.stmts == nil || q.dialect != SQLite {
		return nil, nil
	}
	return q.stmts.get(ctx, db.DB, query)
}

// txStmt returns the cached statement of query bound to the transaction
// (database/sql prepares it once per connection and keeps it with the
// pool's statement), or nil. A statement not cached yet runs unprepared
// and is prepared on the pool when the transaction is over: preparing it
// on the pool now would take a second connection while this one is held,
// and the pool may have none to give until a transaction ends.
func (q Q) txStmt(ctx context.Context, tx bun.Tx, query string) *sql.Stmt {
	if q.stmts == nil || q.dialect != SQLite {
		return nil
	}
	if st := q.stmts.lookup(query); st != nil {
		return tx.Tx.StmtContext(ctx, st)
	}
	if q.missed != nil && len(*q.missed) < maxCachedStmts {
		*q.missed = append(*q.missed, query)
	}
	return nil
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
