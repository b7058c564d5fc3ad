package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"

	"github.com/uptrace/bun/migrate"
)

//go:embed migrations
var migrationFiles embed.FS

// Our migration ledger. Upstream keeps its own in schema_migrations; the two
// never collide, so either implementation can run on the other's database.
const (
	migrationsTable = "civicgo_migrations"
	migrationLocks  = "civicgo_migration_locks"
)

// pgMigrateLock is the advisory-lock key that serializes migrators on PostgreSQL.
const pgMigrateLock = 0x63697669 // "civi"

func (db *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(db.dialect))
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	m := migrate.NewMigrator(db.bun, ms,
		migrate.WithTableName(migrationsTable),
		migrate.WithLocksTableName(migrationLocks),
		migrate.WithMarkAppliedOnSuccess(true),
		migrate.WithUpsert(true))

	if db.dialect == Postgres {
		// CREATE ... IF NOT EXISTS is not race-free on PostgreSQL: hold a
		// session advisory lock on a dedicated connection while migrating.
		conn, err := db.bun.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", pgMigrateLock); err != nil {
			return fmt.Errorf("store: migrate lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", pgMigrateLock)
	}
	// On SQLite every migration is idempotent (IF NOT EXISTS) and runs in an
	// IMMEDIATE transaction, so concurrent openers serialize on the file lock.
	if db.dialect == SQLite {
		// Before the migrations: their indexes name columns an older upstream
		// database may not have yet.
		if err := db.adoptUpstreamColumns(ctx); err != nil {
			return err
		}
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("store: migrate init: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	if !group.IsZero() {
		db.log.Info("database migrated", "dialect", db.dialect, "migrations", group.Migrations.String())
	}
	return nil
}

// Columns upstream added by migration over time. A civic.db created by an
// older upstream may lack them; add what is missing, as upstream's own
// startup does, so queries can name every column.
var upstreamColumns = []struct{ table, column, decl string }{
	{"records", "geography", "TEXT"},
	{"records", "attached_files", "TEXT"},
	{"records", "linked_records", "TEXT"},
	{"records", "linked_geography_files", "TEXT"},
	{"records", "workflow_state", "TEXT DEFAULT 'draft'"},
	{"record_drafts", "workflow_state", "TEXT DEFAULT 'draft'"},
	{"users", "auth_provider", "TEXT DEFAULT 'password'"},
	{"users", "provider_user_id", "TEXT"},
	{"users", "email_verified", "BOOLEAN DEFAULT FALSE"},
	{"users", "pending_email", "TEXT"},
	{"users", "pending_email_token", "TEXT"},
	{"users", "pending_email_expires", "DATETIME"},
	{"search_index", "title_normalized", "TEXT"},
	{"search_index", "content_preview", "TEXT"},
	{"search_index", "word_count", "INTEGER"},
}

func (db *DB) adoptUpstreamColumns(ctx context.Context) error {
	have := map[string]map[string]bool{}
	for _, c := range upstreamColumns {
		cols, ok := have[c.table]
		if !ok {
			cols = map[string]bool{}
			rows, err := db.bun.QueryContext(ctx, "SELECT name FROM pragma_table_info(?)", c.table)
			if err != nil {
				return fmt.Errorf("store: inspect %s: %w", c.table, err)
			}
			for rows.Next() {
				var name string
				if err := rows.Scan(&name); err != nil {
					rows.Close()
					return fmt.Errorf("store: inspect %s: %w", c.table, err)
				}
				cols[name] = true
			}
			rows.Close()
			have[c.table] = cols
		}
		if len(cols) == 0 || cols[c.column] {
			continue // table absent (the migration creates it whole) or column present
		}
		q := fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", c.table, c.column, c.decl)
		if _, err := db.bun.ExecContext(ctx, q); err != nil && !isDuplicateColumn(err) {
			return fmt.Errorf("store: %s: %w", q, err)
		}
		cols[c.column] = true
	}
	return nil
}

func isDuplicateColumn(err error) bool {
	return err != nil && strings.Contains(err.Error(), "duplicate column name")
}
