package civicpress

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/secrets"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
	_ "modernc.org/sqlite"
)

func TestInitCreatesUpstreamLayout(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		cfg := testCfg(t, b)
		cfg.SampleRecords = true
		cfg.Admin = &AdminBootstrap{}
		c := openCfg(t, cfg)
		rep := c.SetupReport()
		if !rep.Created || !rep.AdminCreated || rep.AdminUsername != "admin" || !rep.SecretGenerated {
			t.Fatalf("setup report %+v", rep)
		}
		if err := c.Auth().CheckPassword(rep.AdminPassword); err != nil {
			t.Errorf("generated password breaks the policy: %v", err)
		}
		p := c.Paths()
		for _, f := range settingsFiles {
			got, err := os.ReadFile(filepath.Join(p.CivicDir(), f))
			if err != nil {
				t.Fatal(err)
			}
			want, _ := defaultFiles.ReadFile("defaults/" + f)
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from upstream's default", f)
			}
		}
		rc, err := os.ReadFile(filepath.Join(p.ProjectDir, ".civicrc"))
		if err != nil || !strings.Contains(string(rc), "dataDir: data\n") {
			t.Errorf(".civicrc: %s %v", rc, err)
		}
		st, err := os.Stat(p.SystemDataDir)
		if err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf(".system-data mode %v %v", st.Mode().Perm(), err)
		}
		st, err = os.Stat(filepath.Join(p.SystemDataDir, "secrets.yml"))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("secrets.yml mode %v %v", st.Mode().Perm(), err)
		}
		if b.Name == "sqlite" {
			if _, err := os.Stat(filepath.Join(p.SystemDataDir, "civic.db")); err != nil {
				t.Error(err)
			}
		}
		if len(rep.SampleRecords) != len(SampleRecordFiles()) || len(rep.SampleRecords) < 6 {
			t.Errorf("samples written: %v", rep.SampleRecords)
		}
		// The data directory is its own Git repository with one initial
		// commit holding the configuration and the samples.
		repo, err := gitrepo.Open(p.DataDir, gitrepo.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		hist, err := repo.History(context.Background(), "", 10, 0)
		if err != nil || len(hist) != 1 || !strings.HasPrefix(hist[0].Message, "Initial CivicPress setup") {
			t.Fatalf("history %+v %v", hist, err)
		}
		files := strings.Join(hist[0].Files, "\n")
		for _, want := range append([]string{".civic/roles.yml", ".civic/config.yml"}, rep.SampleRecords...) {
			if !strings.Contains(files, want) {
				t.Errorf("initial commit lacks %s", want)
			}
		}
		if dirty, err := repo.Dirty(context.Background()); err != nil || len(dirty) != 0 {
			t.Errorf("dirty after init: %v %v", dirty, err)
		}
		// The admin can log in.
		if _, err := c.Auth().Login(context.Background(), "admin", rep.AdminPassword); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReopenKeepsProject(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		cfg := testCfg(t, b)
		cfg.Admin = &AdminBootstrap{Password: "Given#Pass123"}
		c1, err := Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if r := c1.SetupReport(); !r.AdminCreated || r.AdminPassword != "" {
			t.Errorf("given password must not be reported back: %+v", r)
		}
		s, err := c1.Auth().Login(context.Background(), "admin", "Given#Pass123")
		if err != nil {
			t.Fatal(err)
		}
		c1.Close()
		c2 := openCfg(t, cfg)
		if r := c2.SetupReport(); r.Created || r.AdminCreated || r.SecretGenerated {
			t.Errorf("reopen report %+v", r)
		}
		// Same secret, same database: the session survives a restart.
		if u, err := c2.Auth().ValidateSession(context.Background(), s.Token); err != nil || u.Username != "admin" {
			t.Fatalf("session after reopen: %v %v", u, err)
		}
		// NoCreate on an empty directory refuses.
		_, err = Open(context.Background(), Config{ProjectDir: t.TempDir(), NoCreate: true, Logger: quiet})
		wantKind(t, err, ErrNotFound, CodeConfigurationAbsent)
	})
}

func TestConcurrentOpenOfNewProject(t *testing.T) {
	dir := t.TempDir()
	errs := make(chan error, 4)
	cores := make(chan *Core, 4)
	for range 4 {
		go func() {
			c, err := Open(context.Background(), Config{ProjectDir: dir, Logger: quiet, SampleRecords: true, Admin: &AdminBootstrap{}})
			errs <- err
			cores <- c
		}()
	}
	created, admins := 0, 0
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		c := <-cores
		if c.SetupReport().Created {
			created++
		}
		if c.SetupReport().AdminCreated {
			admins++
		}
		defer c.Close()
	}
	if created != 1 || admins != 1 {
		t.Errorf("created %d times, %d admins", created, admins)
	}
}

// TestOpensUpstreamProject opens a project laid out as upstream's `civic
// init` leaves it (absolute SQLite path in .civicrc, civic.db built from
// upstream's DDL, upstream's password hashes and a session token minted with
// upstream's construction) and checks that everything reads.
func TestOpensUpstreamProject(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sys := filepath.Join(dir, ".system-data")
	os.MkdirAll(sys, 0o700)
	dbPath := filepath.Join(sys, "civic.db")
	rc := "version: 1.0.0\ndataDir: data\nmodules:\n  - legal-register\nrecord_types:\n  - bylaw\n  - policy\ndefault_role: clerk\n" +
		"hooks:\n  enabled: true\nworkflows:\n  enabled: true\naudit:\n  enabled: true\ndatabase:\n  type: sqlite\n  sqlite:\n    file: " + dbPath + "\ncreated: 2026-11-25T18:29:15.537Z\n"
	os.WriteFile(filepath.Join(dir, ".civicrc"), []byte(rc), 0o644)
	civic := filepath.Join(dir, "data", ".civic")
	os.MkdirAll(civic, 0o755)
	for _, f := range settingsFiles {
		data, _ := defaultFiles.ReadFile("defaults/" + f)
		os.WriteFile(filepath.Join(civic, f), data, 0o644)
	}
	// Upstream's secrets.yml with the token-vector secret.
	const vecSecret = "0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6fb20456a8fb4d9fe23486d92b7dc0126"
	os.WriteFile(filepath.Join(sys, "secrets.yml"), []byte("secret: >-\n  "+vecSecret+"\ncreated: '2026-11-25T18:29:15.540Z'\nwarning: Keep this file private\n"), 0o600)

	var hashes []struct{ Password, Hash string }
	data, err := os.ReadFile("testdata/upstream-hashes/hashes.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &hashes); err != nil || len(hashes) < 2 {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	ddl, _ := os.ReadFile("../internal/store/testdata/upstream-schema.sql")
	for _, stmt := range splitDDL(string(ddl)) {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%v: %s", err, stmt)
		}
	}
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%v: %s", err, q)
		}
	}
	mustExec(`INSERT INTO users (username, role, email, name, password_hash, auth_provider, email_verified) VALUES ('admin', 'admin', 'admin@example.org', 'Admin User', ?, 'password', 0)`, hashes[0].Hash)
	mustExec(`INSERT INTO users (username, role, email, name, password_hash) VALUES ('clerk', 'clerk', 'clerk@example.org', 'City Clerk', ?)`, hashes[1].Hash)
	// sessions row as upstream writes it for the vector token.
	mustExec(`INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('c86b64f42cac0a0b76bfd97ff1281d767caf71c8475d90223f9fdbee2b5fc070', 2, '2099-01-01T00:00:00.000Z')`)
	raw.Close()

	c := openCfg(t, Config{ProjectDir: dir, Logger: quiet})
	if c.SetupReport().Created {
		t.Fatal("an upstream project was re-initialized")
	}
	if c.Paths().SQLitePath != dbPath {
		t.Errorf("sqlite path %s", c.Paths().SQLitePath)
	}
	// A token minted by upstream from the same secret validates here.
	vecToken := "0560bb1671cc2782dd3893ee49a4ff5ab5106bc6217cd7328de8439ef954af0a.2df9fabd0f83a8b9eb1bd493cf7d020b9bd7c5a792238ea62bb8cd09dc1eda25"
	u, err := c.Auth().ValidateSession(ctx, vecToken)
	if err != nil || u.Username != "clerk" || u.Role != "clerk" {
		t.Fatalf("upstream token: %+v %v", u, err)
	}
	// Upstream's $2b$12$ hashes verify.
	for _, h := range hashes[1:] {
		if !strings.HasPrefix(h.Hash, "$2b$12$") || !VerifyPassword(h.Hash, h.Password) {
			t.Errorf("upstream hash %s does not verify", h.Hash)
		}
	}
	if VerifyPassword(hashes[1].Hash, hashes[1].Password+"x") {
		t.Error("wrong password verified")
	}
	s, err := c.Auth().Login(ctx, "admin", hashes[0].Password)
	if err != nil {
		t.Fatal(err)
	}
	// A token minted here validates by upstream's construction: the stored
	// hash is SHA-256 of the raw part and the signature is HMAC with the
	// HKDF session key of the same secret.
	root, _ := secrets.New(vecSecret)
	rawPart, ok := root.Signer(secrets.SessionSigning).Verify(s.Token)
	if !ok {
		t.Fatal("our token fails upstream's construction")
	}
	var n int
	db, _ := sql.Open("sqlite", dbPath)
	defer db.Close()
	db.QueryRow("SELECT count(*) FROM sessions WHERE token_hash = ?", secrets.Hash(rawPart)).Scan(&n)
	if n != 1 {
		t.Error("session row not stored under SHA-256 of the raw token")
	}
	var expText, createdText string
	db.QueryRow("SELECT CAST(expires_at AS TEXT), CAST(created_at AS TEXT) FROM sessions WHERE token_hash = ?", secrets.Hash(rawPart)).Scan(&expText, &createdText)
	if len(expText) != 24 || !strings.HasSuffix(expText, "Z") || len(createdText) != 19 {
		t.Errorf("timestamp formats: %q %q", expText, createdText)
	}
}

func splitDDL(s string) []string {
	var out []string
	var cur strings.Builder
	inTrigger := false
	for _, line := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") && cur.Len() == 0 {
			continue
		}
		cur.WriteString(line + "\n")
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

func TestResolution(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, ".civicrc"), []byte("dataDir: records-data\n"), 0o644)
	deep := filepath.Join(root, "a", "b")
	os.MkdirAll(deep, 0o755)
	if d, ok := FindProject(deep); !ok || d != root {
		t.Fatalf("FindProject = %q %v", d, ok)
	}
	t.Chdir(deep)
	p, _, err := resolve(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if p.ProjectDir != root || p.DataDir != filepath.Join(root, "records-data") || p.SQLitePath != filepath.Join(root, ".system-data", "civic.db") {
		t.Errorf("paths %+v", p)
	}
	// CIVIC_DATA_DIR overrides only the data directory.
	t.Setenv(EnvDataDir, "/srv/other-data")
	p, _, _ = resolve(Config{})
	if p.DataDir != "/srv/other-data" || p.ProjectDir != root {
		t.Errorf("CIVIC_DATA_DIR: %+v", p)
	}
	t.Setenv(EnvDatabaseURL, "postgres://u@h/db")
	p, _, _ = resolve(Config{})
	if p.DatabaseURL != "postgres://u@h/db" || p.SQLitePath != "" {
		t.Errorf("CIVIC_DATABASE_URL: %+v", p)
	}
	t.Setenv(EnvDatabaseURL, "mysql://nope")
	if _, _, err := resolve(Config{}); err == nil {
		t.Error("a non-postgres URL was accepted")
	}
	// The example helper: nothing found → ./civicpress-project.
	empty := t.TempDir()
	t.Chdir(empty)
	if d, err := ExampleProjectDir(); err != nil || d != filepath.Join(empty, DefaultProjectDirName) {
		t.Errorf("ExampleProjectDir = %q %v", d, err)
	}
	t.Setenv(EnvProjectDir, root)
	if d, _ := ExampleProjectDir(); d != root {
		t.Errorf("ExampleProjectDir with env = %q", d)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{"15m": "15m0s", "30s": "30s", "1h": "1h0m0s", "2d": "48h0m0s", "500ms": "500ms", "900000": "15m0s"} {
		d, err := ParseDuration(in)
		if err != nil || d.String() != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	for _, bad := range []string{"", "15x", "-5m", "m", "0s"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestAdminBootstrapFromEnvironment(t *testing.T) {
	t.Setenv(EnvAdminUsername, "mayor")
	t.Setenv(EnvAdminPassword, "Env#Passw0rd")
	c := openCfg(t, Config{ProjectDir: t.TempDir(), Logger: quiet})
	if r := c.SetupReport(); !r.AdminCreated || r.AdminUsername != "mayor" || r.AdminPassword != "" {
		t.Fatalf("report %+v", r)
	}
	s, err := c.Auth().Login(context.Background(), "mayor", "Env#Passw0rd")
	if err != nil || s.User.Role != "admin" {
		t.Fatalf("login %+v %v", s, err)
	}
	// A weak bootstrap password fails Open loudly instead of creating a weak admin.
	t.Setenv(EnvAdminPassword, "weak")
	_, err = Open(context.Background(), Config{ProjectDir: t.TempDir(), Logger: quiet})
	wantKind(t, err, ErrInvalid, CodeWeakPassword)
	// Audit reading needs system:admin.
	clerk := mkUser(t, c, "clerk", "clerk")
	_, _, err = c.Audit().List(context.Background(), clerk, 10, 0)
	wantKind(t, err, ErrForbidden, CodeInsufficientPerms)
}
