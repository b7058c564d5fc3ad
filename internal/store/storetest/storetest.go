// Package storetest gives tests an isolated database: a fresh SQLite file, or
// (when CIVIC_TEST_POSTGRES_URL is set) a PostgreSQL schema of its own that is
// dropped afterwards, so tests sharing one server never collide.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
)

// EnvPostgres names the variable holding the test server URL.
const EnvPostgres = "CIVIC_TEST_POSTGRES_URL"

// Backend is one database a test can run against.
type Backend struct {
	Name string // "sqlite" or "postgres"
	// URL returns a database URL for a new isolated database ("" = SQLite at
	// the path SQLitePath returns).
	URL func(t testing.TB) string
}

// Backends lists SQLite always and PostgreSQL when EnvPostgres is set.
func Backends() []Backend {
	bs := []Backend{{Name: "sqlite", URL: func(testing.TB) string { return "" }}}
	if os.Getenv(EnvPostgres) != "" {
		bs = append(bs, Backend{Name: "postgres", URL: PostgresURL})
	}
	return bs
}

// SQLitePath returns a database file path in a fresh temporary directory.
func SQLitePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "civic.db")
}

// PostgresURL creates a schema of its own for this test and returns a URL
// whose search_path selects it; the schema is dropped when the test ends.
// The test is skipped when EnvPostgres is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skip("PostgreSQL tests: set " + EnvPostgres)
	}
	schema := fmt.Sprintf("t_%s_%08x", sanitize(t.Name()), rand.Uint32())
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), `CREATE SCHEMA "`+schema+`"`); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.ExecContext(context.Background(), `DROP SCHEMA "`+schema+`" CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 30 {
			break
		}
	}
	return b.String()
}
