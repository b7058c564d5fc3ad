package store_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
	_ "modernc.org/sqlite"
)

func openBackend(t *testing.T, b storetest.Backend) *store.DB {
	t.Helper()
	o := store.Options{URL: b.URL(t)}
	if o.URL == "" {
		o.SQLitePath = storetest.SQLitePath(t)
	}
	db, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func forBackends(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, openBackend(t, b)) })
	}
}

var allTables = []string{
	"users", "sessions", "api_keys", "records", "record_drafts", "record_locks",
	"search_index", "audit_logs", "login_attempts", "password_reset_tokens",
	"realtime_snapshots", "saga_states", "saga_resource_locks", "storage_files",
	"geography_files", "email_verifications", "operator_notifications",
	"schema_migrations", "events",
}

func TestSchemaHasEveryUpstreamTable(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, table := range allTables {
			if _, err := db.Bun().ExecContext(ctx, "SELECT count(*) FROM "+table); err != nil {
				t.Errorf("table %s: %v", table, err)
			}
		}
		if db.Dialect() == store.SQLite {
			// The FTS5 external-content table follows search_index through its triggers.
			_, err := db.Bun().ExecContext(ctx, `INSERT INTO search_index (record_id, record_type, title, content, tags)
				VALUES ('r1', 'bylaw', 'Noise Restrictions', 'quiet hours after ten', 'noise,night')`)
			if err != nil {
				t.Fatal(err)
			}
			var id string
			if err := db.Bun().QueryRowContext(ctx, "SELECT record_id FROM search_index_fts5 WHERE search_index_fts5 MATCH 'quiet'").Scan(&id); err != nil || id != "r1" {
				t.Fatalf("fts match: %q %v", id, err)
			}
			db.Bun().ExecContext(ctx, "DELETE FROM search_index WHERE record_id = 'r1'")
			err = db.Bun().QueryRowContext(ctx, "SELECT record_id FROM search_index_fts5 WHERE search_index_fts5 MATCH 'quiet'").Scan(&id)
			if !errors.Is(err, sql.ErrNoRows) {
				t.Fatalf("fts row survived delete: %v", err)
			}
		} else {
			_, err := db.Bun().ExecContext(ctx, `INSERT INTO search_index (record_id, record_type, title, content, tags)
				VALUES ('r1', 'bylaw', 'Noise Restrictions', 'quiet hours after ten', 'noise,night')`)
			if err != nil {
				t.Fatal(err)
			}
			var id string
			if err := db.Bun().QueryRowContext(ctx, "SELECT record_id FROM search_index WHERE search_vector @@ plainto_tsquery('simple', 'quiet')").Scan(&id); err != nil || id != "r1" {
				t.Fatalf("tsvector match: %q %v", id, err)
			}
		}
	})
}

func TestReopenIsIdempotent(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			o := store.Options{URL: b.URL(t)}
			if o.URL == "" {
				o.SQLitePath = storetest.SQLitePath(t)
			}
			// Several processes opening a fresh database at once must all succeed.
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db, err := store.Open(context.Background(), o)
					if err == nil {
						db.Close()
					}
					errs[i] = err
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			db, err := store.Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int
			files, _ := os.ReadDir("migrations/" + string(db.Dialect()))
			if err := db.Bun().QueryRowContext(context.Background(), "SELECT count(*) FROM civicgo_migrations").Scan(&n); err != nil || n != len(files) {
				t.Fatalf("ledger rows = %d (want one per migration file, %d), %v", n, len(files), err)
			}
		})
	}
}

func TestUsersSessionsAndTimestampFormats(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q()
		u := &store.User{Username: "clerk", Role: "clerk", Email: "clerk@example.org"}
		if err := q.InsertUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 {
			t.Fatal("no id assigned")
		}
		if err := q.InsertUser(ctx, &store.User{Username: "clerk", Role: "public"}); !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate username: %v", err)
		}
		exp := time.Date(2030, 1, 2, 3, 4, 5, 678e6, time.UTC)
		var pruned []string
		for i := range 7 {
			p, err := q.InsertSession(ctx, &store.Session{TokenHash: "h" + string(rune('a'+i)), UserID: u.ID, ExpiresAt: store.ISOStamp{exp}}, 5)
			if err != nil {
				t.Fatal(err)
			}
			pruned = append(pruned, p...)
		}
		if n, _ := q.CountSessions(ctx, u.ID); n != 5 {
			t.Errorf("sessions kept = %d, want 5", n)
		}
		if strings.Join(pruned, ",") != "ha,hb" {
			t.Errorf("pruned %v, want the two oldest", pruned)
		}
		// Raw text in upstream's formats.
		var expText, createdText string
		if err := db.Bun().QueryRowContext(ctx, "SELECT CAST(expires_at AS TEXT), CAST(created_at AS TEXT) FROM sessions WHERE token_hash = 'hg'").Scan((*rawText)(&expText), (*rawText)(&createdText)); err != nil {
			t.Fatal(err)
		}
		if expText != "2030-01-02T03:04:05.678Z" {
			t.Errorf("expires_at stored as %q", expText)
		}
		if len(createdText) != 19 || createdText[10] != ' ' {
			t.Errorf("created_at stored as %q", createdText)
		}
		got, gotExp, err := q.SessionUser(ctx, "hg", time.Now())
		if err != nil || got.Username != "clerk" || !gotExp.Equal(exp) {
			t.Fatalf("SessionUser = %+v %v %v", got, gotExp, err)
		}
		if _, _, err := q.SessionUser(ctx, "hg", exp.Add(time.Millisecond)); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("expired session found: %v", err)
		}
		// Role read live.
		u.Role = "admin"
		if err := q.UpdateUser(ctx, u, "role"); err != nil {
			t.Fatal(err)
		}
		got, _, _ = q.SessionUser(ctx, "hg", time.Now())
		if got.Role != "admin" {
			t.Errorf("role = %s", got.Role)
		}
		hashes, err := q.DeleteUserSessions(ctx, u.ID)
		if err != nil || len(hashes) != 5 {
			t.Errorf("revoked %v %v", hashes, err)
		}
		if err := q.InsertAudit(ctx, &store.AuditLog{UserID: u.ID, Action: "password_login", ResourceType: "auth"}); err != nil {
			t.Fatal(err)
		}
		if err := q.DeleteUser(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		rows, total, err := q.ListAudit(ctx, 10, 0)
		if err != nil || total != 1 || rows[0].UserID != 0 || rows[0].Action != "password_login" {
			t.Errorf("audit after delete: %+v %d %v", rows, total, err)
		}
	})
}

func TestEventsOutbox(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		last, err := db.Q().LastEventID(ctx)
		if err != nil || last != 0 {
			t.Fatalf("last = %d %v", last, err)
		}
		for i := range 3 {
			err := db.InTx(ctx, func(q store.Q) error {
				return q.InsertEvent(ctx, &store.Event{Type: "t", Payload: `{"n":` + string(rune('0'+i)) + `}`, Origin: "o"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		evs, err := db.Q().EventsAfter(ctx, 1, 10)
		if err != nil || len(evs) != 2 || evs[0].ID != 2 || evs[1].Payload != `{"n":2}` {
			t.Fatalf("events after 1: %+v %v", evs, err)
		}
		// A rolled-back change leaves no event.
		sentinel := errors.New("rollback")
		err = db.InTx(ctx, func(q store.Q) error {
			if err := q.InsertEvent(ctx, &store.Event{Type: "t", Payload: "{}"}); err != nil {
				return err
			}
			return sentinel
		})
		if !errors.Is(err, sentinel) {
			t.Fatal(err)
		}
		if last, _ := db.Q().LastEventID(ctx); last != 3 {
			t.Errorf("last after rollback = %d", last)
		}
	})
}

// TestOpensUpstreamDatabase builds civic.db from the DDL of a fresh upstream
// instance, fills it the way upstream writes rows, and opens it here.
func TestOpensUpstreamDatabase(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ddl, err := os.ReadFile("testdata/upstream-schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range splitSQL(string(ddl)) {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%v\n%s", err, stmt)
		}
	}
	mustExec(t, raw, `INSERT INTO users (username, role, email, name, password_hash, auth_provider, email_verified)
		VALUES ('admin', 'admin', 'admin@example.org', 'Admin User', '$2b$12$abcdefghijklmnopqrstuuB8h2kyL9dFwbFzPL4VCLtWc0.z3jqQe', 'password', 0)`)
	mustExec(t, raw, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('c86b64f42cac0a0b76bfd97ff1281d767caf71c8475d90223f9fdbee2b5fc070', 1, '2099-11-26T18:29:20.538Z')`)
	mustExec(t, raw, `INSERT INTO schema_migrations (id, outcome) VALUES ('users.auth_provider', 'adopted')`)
	raw.Close()

	db, err := store.Open(ctx, store.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, exp, err := db.Q().SessionUser(ctx, "c86b64f42cac0a0b76bfd97ff1281d767caf71c8475d90223f9fdbee2b5fc070", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "admin" || u.Name != "Admin User" || u.CreatedAt.IsZero() || exp.Year() != 2099 {
		t.Errorf("upstream row read as %+v, exp %v", u, exp)
	}
	// Upstream's own ledger is untouched.
	var n int
	db.Bun().QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n)
	if n != 1 {
		t.Errorf("schema_migrations rows = %d", n)
	}
	// The outbox was added beside upstream's tables.
	if err := db.InTx(ctx, func(q store.Q) error { return q.InsertEvent(ctx, &store.Event{Type: "x", Payload: "{}"}) }); err != nil {
		t.Fatal(err)
	}
}

func TestAdoptsColumnsOfOlderUpstream(t *testing.T) {
	ctx := context.Background()
	path := storetest.SQLitePath(t)
	raw, _ := sql.Open("sqlite", path)
	mustExec(t, raw, `CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT NULL, role TEXT NOT NULL,
		email TEXT, name TEXT, avatar_url TEXT, password_hash TEXT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP)`)
	mustExec(t, raw, `INSERT INTO users (username, role) VALUES ('old', 'clerk')`)
	raw.Close()
	db, err := store.Open(ctx, store.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, err := db.Q().UserByUsername(ctx, "old")
	if err != nil || u.Role != "clerk" {
		t.Fatalf("old user: %+v %v", u, err)
	}
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%v: %s", err, q)
	}
}

// splitSQL splits the upstream DDL on statement ends outside trigger bodies.
func splitSQL(s string) []string {
	var out []string
	var cur strings.Builder
	inTrigger := false
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") && cur.Len() == 0 {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasPrefix(trimmed, "CREATE TRIGGER") {
			inTrigger = true
		}
		if (inTrigger && trimmed == "END;") || (!inTrigger && strings.HasSuffix(trimmed, ";")) {
			out = append(out, cur.String())
			cur.Reset()
			inTrigger = false
		}
	}
	return out
}

// rawText scans the stored text of a column, whatever the driver makes of it.
type rawText string

func (r *rawText) Scan(v any) error {
	switch x := v.(type) {
	case string:
		*r = rawText(x)
	case []byte:
		*r = rawText(x)
	case time.Time:
		return errors.New("driver parsed the timestamp; select it as text")
	default:
		*r = ""
	}
	return nil
}
