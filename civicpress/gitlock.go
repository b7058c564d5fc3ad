package civicpress

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"time"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/store"
)

// Git commits to the data directory are serialized across processes by a
// gitrepo.Locker. On SQLite that is gitrepo's default, an OS file lock under
// data/.git, which covers the processes of one machine. On PostgreSQL it is
// a session advisory lock in the project's database, which covers every
// process sharing the database, on any machine (several API processes, or
// nodes, mounting one data directory). Every process sharing a data
// directory must use the same kind of lock: a process using the file lock
// and one using the advisory lock do not exclude each other. That holds by
// construction when they share the database, which they must anyway.
// Git's own lock files (index.lock, the branch's lock), which gitrepo takes
// under either Locker, keep a git CLI or upstream CivicPress out of the way.

// gitLockClass is the PostgreSQL advisory-lock class of the commit lock
// (the first key of the two-key form; record slots use another class).
const gitLockClass = 0x47495443 // "GITC"

// gitLockKey is the second key: a hash of the schema, so that projects kept
// in different schemas of one database do not wait for each other.
const gitLockKey = `('x' || left(md5(coalesce(current_schema(), '')), 8))::bit(32)::int`

// gitUnlockTimeout bounds the unlock round trip; a connection that does not
// answer in time is dropped, which releases the lock on the server.
const gitUnlockTimeout = 10 * time.Second

// pgCommitLocker is the PostgreSQL gitrepo.Locker. Each held lock lives on a
// connection of a pool of its own, so taking it never competes with the
// process's queries for connections (a full query pool cannot stall the
// commit lock, nor the lock holder a query), and the server releases the
// lock if that connection is lost.
type pgCommitLocker struct {
	db  *sql.DB
	log *slog.Logger
}

// openCommitLocker returns the Locker for the project's database: nil (the
// file lock) on SQLite. Close closes it after the repository.
func (c *Core) openCommitLocker() (gitrepo.Locker, error) {
	if c.db.Dialect() != store.Postgres {
		return nil, nil
	}
	db, err := sql.Open("pgx", c.paths.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("civicpress: commit lock: %w", err)
	}
	// gitrepo asks for one lock at a time per process; a second connection
	// leaves room for one being dropped.
	db.SetMaxOpenConns(2)
	db.SetMaxIdleConns(1)
	db.SetConnMaxIdleTime(5 * time.Minute)
	c.commitLock = db
	return &pgCommitLocker{db: db, log: c.log}, nil
}

// Lock blocks until this process holds the commit lock or ctx ends.
func (l *pgCommitLocker) Lock(ctx context.Context) (func(), error) {
	conn, err := l.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("civicpress: commit lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1, "+gitLockKey+")", gitLockClass); err != nil {
		// The server may have granted the lock just as the wait was
		// cancelled: dropping the connection releases it either way.
		dropConn(conn)
		return nil, fmt.Errorf("civicpress: commit lock: %w", err)
	}
	return func() { l.unlock(conn) }, nil
}

func (l *pgCommitLocker) unlock(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), gitUnlockTimeout)
	defer cancel()
	var held bool
	err := conn.QueryRowContext(ctx, "SELECT pg_advisory_unlock($1, "+gitLockKey+")", gitLockClass).Scan(&held)
	if err != nil || !held {
		// The connection was lost while the commit ran: the server released
		// the lock when it noticed, so another process may have started a
		// commit before this one ended (a window of one commit, a few
		// milliseconds). Say so: it is the one case the lock cannot cover.
		l.log.Warn("civicpress: the Git commit lock was lost while held (database connection dropped)", "err", err)
		dropConn(conn)
		return
	}
	conn.Close()
}

// dropConn closes conn's underlying connection instead of returning it to
// the pool, so that no lock it may hold outlives this use.
func dropConn(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
