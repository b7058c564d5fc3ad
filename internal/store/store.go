// Package store is the database layer: bun over SQLite (modernc.org/sqlite,
// the default) or PostgreSQL (pgx), upstream CivicPress's tables and timestamp
// formats, migrations, and the event outbox. One code path serves both
// databases; the few differences live in this package.
//
// Queries are methods on Q, which runs either on the pool (DB.Q) or inside a
// transaction (DB.InTx). Write transactions on SQLite start with BEGIN
// IMMEDIATE so concurrent writers queue on busy_timeout instead of failing.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialect names the database engine.
type Dialect string

// Supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options says which database to open.
type Options struct {
	// URL is a postgres:// or postgresql:// URL, or empty for SQLite.
	URL string
	// SQLitePath is the SQLite file (created with its directory when missing).
	SQLitePath string
	// Logger receives migration notices; nil discards.
	Logger *slog.Logger
}

// DB is an open, migrated database.
type DB struct {
	bun     *bun.DB
	dialect Dialect
	pgURL   string
	path    string
	log     *slog.Logger
	hot     hotStmts
	stmts   stmtCache // list and search reads (stmtcache.go)
}

// IsPostgresURL reports whether s names a PostgreSQL database.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open opens the database and brings its schema up to date.
func Open(ctx context.Context, o Options) (*DB, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := &DB{log: log}
	switch {
	case IsPostgresURL(o.URL):
		db.dialect = Postgres
		db.pgURL = o.URL
		sqldb, err := sql.Open("pgx", o.URL)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		sqldb.SetMaxOpenConns(10)
		sqldb.SetMaxIdleConns(10)
		db.bun = bun.NewDB(sqldb, pgdialect.New())
	case o.URL != "":
		return nil, fmt.Errorf("store: unsupported database URL %q (want postgres://…, or none for SQLite)", redact(o.URL))
	default:
		if o.SQLitePath == "" {
			return nil, errors.New("store: no database given")
		}
		db.dialect = SQLite
		db.path = o.SQLitePath
		if err := os.MkdirAll(filepath.Dir(o.SQLitePath), 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		sqldb, err := sql.Open("sqlite", sqliteDSN(o.SQLitePath))
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		// WAL lets readers run beside the one writer; a few connections are
		// enough and keep per-connection page caches warm.
		sqldb.SetMaxOpenConns(8)
		sqldb.SetMaxIdleConns(8)
		db.bun = bun.NewDB(sqldb, sqlitedialect.New())
	}
	if err := db.bun.PingContext(ctx); err != nil {
		db.bun.Close()
		return nil, fmt.Errorf("store: open %s: %w", db.dialect, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.bun.Close()
		return nil, err
	}
	return db, nil
}

// sqliteDSN sets the pragmas upstream sets (foreign keys, WAL, busy_timeout
// 5000) plus immediate write transactions and NORMAL sync (durable in WAL
// mode except for the last commits on power loss, and much faster).
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Reads (search joins, bm25's document sizes, lists) go through memory
	// mapping and a 32 MB page cache per connection instead of a pread
	// system call per page: several times faster on large indexes.
	q.Add("_pragma", "mmap_size(1073741824)")
	q.Add("_pragma", "cache_size(-32768)")
	// Statement journals (written by each upsert whose triggers feed
	// the full-text index, tens of pages) stay in memory instead of in a
	// temporary file created and written page by page on every publish.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close closes the database.
func (db *DB) Close() error {
	db.stmts.close()
	for _, st := range []*sql.Stmt{db.hot.session, db.hot.apiKey} {
		if st != nil {
			st.Close()
		}
	}
	return db.bun.Close()
}

// Dialect reports the database engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Bun returns the bun handle, for queries this package does not provide yet.
func (db *DB) Bun() *bun.DB { return db.bun }

// Ping checks the connection (health checks).
func (db *DB) Ping(ctx context.Context) error { return db.bun.PingContext(ctx) }

// Q is a query runner bound to the pool or to one transaction.
type Q struct {
	idb     bun.IDB
	dialect Dialect
	inTx    bool
	stmts   *stmtCache
	// missed collects, in a transaction, the statements to prepare once it
	// is over (Q.txStmt).
	missed *[]string
}

// Q returns a runner on the pool (each statement its own transaction).
func (db *DB) Q() Q { return Q{idb: db.bun, dialect: db.dialect, stmts: &db.stmts} }

// IDB returns the bun handle this runner uses.
func (q Q) IDB() bun.IDB { return q.idb }

// Dialect reports the database engine.
func (q Q) Dialect() Dialect { return q.dialect }

// InTx runs fn in one write transaction, committing when fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(q Q) error) error {
	var missed []string
	err := db.bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return fn(Q{idb: tx, dialect: db.dialect, inTx: true, stmts: &db.stmts, missed: &missed})
	})
	for _, query := range missed {
		// A statement that fails to prepare is not cached and keeps
		// running unprepared.
		_, _ = db.stmts.get(context.WithoutCancel(ctx), db.bun.DB, query)
	}
	return err
}

// ErrNoRows is returned by single-row lookups that find nothing.
var ErrNoRows = sql.ErrNoRows

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || // SQLite
		strings.Contains(s, "SQLSTATE 23505") // PostgreSQL
}

// IsForeignKeyViolation reports whether err is a foreign-key failure.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "<unparsable>"
	}
	return p.Redacted()
}
