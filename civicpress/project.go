package civicpress

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/store"
)

func getenv(k string) string { return os.Getenv(k) }

func (c *Core) secretsFile() string { return filepath.Join(c.paths.SystemDataDir, "secrets.yml") }

// systemAuthor signs commits the core makes on its own behalf.
var systemAuthor = gitrepo.Author{Name: "CivicPress", Email: "civicpress@localhost"}

// ensureProject opens the project, first creating whatever a new project
// lacks. Creation is serialized across processes by a lock file in
// .system-data and finishes by writing .civicrc, so a crash part-way leaves a
// directory that the next Open completes.
func (c *Core) ensureProject(ctx context.Context, cfg Config, rc civicrc) error {
	p := c.paths
	if !rc.present && cfg.NoCreate {
		return newErr(ErrNotFound, CodeConfigurationAbsent, "no CivicPress project (.civicrc) in %s", p.ProjectDir)
	}
	if err := os.MkdirAll(p.ProjectDir, 0o755); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	if err := os.MkdirAll(p.SystemDataDir, 0o700); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	if err := os.Chmod(p.SystemDataDir, 0o700); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	creating := !rc.present
	if creating {
		unlock, err := lockFile(ctx, filepath.Join(p.SystemDataDir, ".init.lock"))
		if err != nil {
			return fmt.Errorf("civicpress: init lock: %w", err)
		}
		defer unlock()
		if _, err := os.Stat(filepath.Join(p.ProjectDir, ".civicrc")); err == nil {
			creating = false // another process finished creating it while we waited
		}
	}
	newData := false
	if _, err := os.Stat(p.CivicDir()); errors.Is(err, fs.ErrNotExist) {
		newData = true
	}
	if creating || newData {
		if err := writeDefaultConfig(p); err != nil {
			return err
		}
	}
	if err := c.openServices(ctx, cfg); err != nil {
		return err
	}
	if err := c.bootstrapAdmin(ctx, cfg); err != nil {
		return err
	}
	locker, err := c.openCommitLocker()
	if err != nil {
		return err
	}
	repo, err := gitrepo.Init(p.DataDir, gitrepo.Options{Locker: locker})
	if err != nil {
		return fmt.Errorf("civicpress: data repository: %w", err)
	}
	c.repo = repo
	if creating || newData {
		if cfg.SampleRecords {
			written, err := writeSampleRecords(p.DataDir)
			if err != nil {
				return err
			}
			c.setup.SampleRecords = written
		}
		head, err := repo.History(ctx, "", 1, 0)
		if err != nil {
			return fmt.Errorf("civicpress: data repository: %w", err)
		}
		if len(head) == 0 {
			msg := "Initial CivicPress setup\n\n- Platform configuration in .civic/ (upstream defaults)"
			if n := len(c.setup.SampleRecords); n > 0 {
				msg += fmt.Sprintf("\n- %d sample records", n)
			}
			hash, err := repo.Commit(ctx, msg, systemAuthor)
			if err != nil && !errors.Is(err, gitrepo.ErrNothingToCommit) {
				return fmt.Errorf("civicpress: initial commit: %w", err)
			}
			c.setup.InitialCommit = hash
		}
	}
	if creating {
		if err := writeCivicrc(p); err != nil {
			return err
		}
		c.setup.Created = true
		c.log.Info("civicpress: created project", "dir", p.ProjectDir, "data", p.DataDir)
	}
	if err := c.openRecords(ctx); err != nil {
		return err
	}
	return c.startBackground()
}

func writeDefaultConfig(p Paths) error {
	if err := os.MkdirAll(p.CivicDir(), 0o755); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	if err := os.MkdirAll(p.RecordsDir(), 0o755); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	for _, name := range settingsFiles {
		dst := filepath.Join(p.CivicDir(), name)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		data, err := defaultFiles.ReadFile("defaults/" + name)
		if err != nil {
			return fmt.Errorf("civicpress: %w", err)
		}
		if err := writeFileAtomic(dst, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeCivicrc writes upstream's .civicrc layout. The SQLite path is written
// relative to the project (upstream resolves it so), keeping projects
// relocatable; a PostgreSQL URL is never persisted (it may hold credentials).
func writeCivicrc(p Paths) error {
	dataDir := p.DataDir
	if rel, err := filepath.Rel(p.ProjectDir, p.DataDir); err == nil && !strings.HasPrefix(rel, "..") {
		dataDir = filepath.ToSlash(rel)
	}
	var b strings.Builder
	b.WriteString("version: 1.0.0\n")
	fmt.Fprintf(&b, "dataDir: %s\n", yamlScalar(dataDir))
	b.WriteString("modules:\n  - legal-register\nrecord_types:\n  - bylaw\n  - policy\ndefault_role: clerk\n")
	b.WriteString("hooks:\n  enabled: true\nworkflows:\n  enabled: true\naudit:\n  enabled: true\n")
	if p.DatabaseURL == "" {
		file := p.SQLitePath
		if rel, err := filepath.Rel(p.ProjectDir, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = filepath.ToSlash(rel)
		}
		fmt.Fprintf(&b, "database:\n  type: sqlite\n  sqlite:\n    file: %s\n", yamlScalar(file))
	}
	fmt.Fprintf(&b, "created: %s\n", store.ISO(time.Now()))
	return writeFileAtomic(filepath.Join(p.ProjectDir, ".civicrc"), []byte(b.String()), 0o644)
}

// yamlScalar quotes s when it is not a plain YAML scalar.
func yamlScalar(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r == '/' || r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("civicpress: %w", err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("civicpress: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("civicpress: %w", err)
	}
	return nil
}

// bootstrapAdmin creates the configured administrator when no user holds
// the admin role yet.
func (c *Core) bootstrapAdmin(ctx context.Context, cfg Config) error {
	b := cfg.Admin
	if b == nil {
		u := getenv(EnvAdminUsername)
		if u == "" {
			return nil
		}
		b = &AdminBootstrap{Username: u, Password: getenv(EnvAdminPassword)}
	}
	n, err := c.db.Q().CountUsersWithRole(ctx, "admin")
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	username := b.Username
	if username == "" {
		username = "admin"
	}
	if _, err := c.db.Q().UserByUsername(ctx, username); err == nil {
		c.log.Warn("civicpress: admin bootstrap skipped: the username exists without the admin role", "username", username)
		return nil
	}
	password, generated := b.Password, false
	if password == "" {
		password, generated = GeneratePassword(), true
	}
	name := b.Name
	if name == "" {
		name = "Administrator"
	}
	_, err = c.users.Create(ctx, System, NewUser{Username: username, Password: password, Email: b.Email, Name: name, Role: "admin"})
	if err != nil {
		if errors.Is(err, ErrConflict) {
			return nil // another process bootstrapped it first
		}
		return fmt.Errorf("civicpress: admin bootstrap: %w", err)
	}
	c.setup.AdminCreated = true
	c.setup.AdminUsername = username
	if generated {
		c.setup.AdminPassword = password
	}
	return nil
}

// maintenance removes expired sessions (announcing them, so live
// connections close) and prunes old outbox rows.
func (c *Core) maintenance(ctx context.Context) {
	const every = time.Minute
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := c.auth.CleanupExpired(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("civicpress: session cleanup", "err", err)
		}
		if _, err := c.db.Q().PruneEvents(ctx, time.Now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			c.log.Warn("civicpress: event pruning", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
