package civicpress

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
)

// Environment variables read by Open (Config fields win over them).
const (
	EnvProjectDir    = "CIVIC_PROJECT_DIR"
	EnvDataDir       = "CIVIC_DATA_DIR"
	EnvDatabaseURL   = "CIVIC_DATABASE_URL"
	EnvSecret        = "CIVICPRESS_SECRET"
	EnvSecretFile    = "CIVICPRESS_SECRET_FILE"
	EnvAdminUsername = "CIVIC_ADMIN_USERNAME"
	EnvAdminPassword = "CIVIC_ADMIN_PASSWORD"
)

// Config says which project to open. The zero value opens (or creates) the
// project found from the working directory, like upstream's CLI.
type Config struct {
	// ProjectDir is the project root (the directory holding .civicrc). Empty:
	// $CIVIC_PROJECT_DIR, else the nearest directory holding .civicrc walking
	// up from the working directory, else the working directory itself.
	// An explicit directory is used as given (no walking up).
	ProjectDir string
	// DataDir overrides the data directory (default: $CIVIC_DATA_DIR, else
	// .civicrc dataDir, else <project>/data).
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…). Empty: $CIVIC_DATABASE_URL,
	// else .civicrc database, else SQLite at .system-data/civic.db.
	DatabaseURL string
	// Secret is the hex root secret. Empty: $CIVICPRESS_SECRET, else the file
	// named by $CIVICPRESS_SECRET_FILE, else .system-data/secrets.yml
	// (generated, mode 0600, when the project has none).
	Secret string
	// Admin, when set, makes sure an admin account exists (see AdminBootstrap).
	// Nil: bootstrap from $CIVIC_ADMIN_USERNAME / $CIVIC_ADMIN_PASSWORD when set.
	Admin *AdminBootstrap
	// SampleRecords writes the sample municipal records when a project is created.
	SampleRecords bool
	// NoCreate makes Open fail with ErrNotFound instead of creating a project.
	NoCreate bool
	// Auth overrides the .civicrc auth block (tests use short lockouts).
	Auth *AuthConfig
	// Logger receives operational messages; nil uses slog.Default().
	Logger *slog.Logger
}

// AdminBootstrap describes the administrator Open creates when no user with
// the admin role exists yet. An empty Password generates a random
// policy-compliant one, reported once in SetupReport.
type AdminBootstrap struct {
	Username string // default "admin"
	Password string
	Email    string
	Name     string
}

// Paths are the resolved locations of an open project.
type Paths struct {
	ProjectDir    string // holds .civicrc
	DataDir       string // the data Git repository
	SystemDataDir string // <project>/.system-data, private
	DatabaseURL   string // postgres URL, or "" for SQLite
	SQLitePath    string // SQLite file when DatabaseURL is empty
}

// CivicDir is data/.civic, where the platform configuration lives.
func (p Paths) CivicDir() string { return filepath.Join(p.DataDir, ".civic") }

// RecordsDir is data/records.
func (p Paths) RecordsDir() string { return filepath.Join(p.DataDir, "records") }

// AuthConfig is the auth block of .civicrc, over upstream's defaults.
type AuthConfig struct {
	Password              PasswordPolicy
	MaxLoginAttempts      int           // failures before a lock (5)
	LockoutDuration       time.Duration // lock length (15m)
	SessionTimeout        time.Duration // session lifetime (24h)
	MaxConcurrentSessions int           // newest sessions kept per user (5)
}

// PasswordPolicy is upstream's password policy.
type PasswordPolicy struct {
	MinLength           int
	RequireUppercase    bool
	RequireLowercase    bool
	RequireNumbers      bool
	RequireSpecialChars bool
}

// DefaultAuthConfig returns upstream's defaults.
func DefaultAuthConfig() AuthConfig {
	return AuthConfig{
		Password:              PasswordPolicy{MinLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSpecialChars: true},
		MaxLoginAttempts:      5,
		LockoutDuration:       15 * time.Minute,
		SessionTimeout:        24 * time.Hour,
		MaxConcurrentSessions: 5,
	}
}

// FindProject walks up from dir looking for .civicrc and returns the
// directory holding it.
func FindProject(dir string) (string, bool) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		if st, err := os.Stat(filepath.Join(dir, ".civicrc")); err == nil && !st.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// DefaultProjectDirName is where examples create a project when none is found.
const DefaultProjectDirName = "civicpress-project"

// ExampleProjectDir is the project resolution every example main shares:
// $CIVIC_PROJECT_DIR, else a .civicrc found walking up from the working
// directory, else ./civicpress-project (so running from a source checkout
// never scatters project files into it).
func ExampleProjectDir() (string, error) {
	if d := os.Getenv(EnvProjectDir); d != "" {
		return filepath.Abs(d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	if d, ok := FindProject(wd); ok {
		return d, nil
	}
	return filepath.Join(wd, DefaultProjectDirName), nil
}

// civicrc is the part of .civicrc (plus .civicrc.default under it) we use.
type civicrc struct {
	present  bool
	dataDir  string
	dbType   string
	dbFile   string
	dbURL    string
	auth     AuthConfig
	authSeen bool
}

func readCivicrc(projectDir string) (civicrc, error) {
	rc := civicrc{auth: DefaultAuthConfig()}
	var merged map[string]yval
	for _, name := range []string{".civicrc.default", ".civicrc"} {
		data, err := os.ReadFile(filepath.Join(projectDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return rc, fmt.Errorf("civicpress: %w", err)
		}
		if name == ".civicrc" {
			rc.present = true
		}
		v, err := parseYAML(name, data)
		if err != nil {
			return rc, err
		}
		ps, err := v.pairs()
		if err != nil {
			return rc, err
		}
		if merged == nil {
			merged = map[string]yval{}
		}
		for _, p := range ps {
			merged[p.key] = p.val // top-level {...fallback, ...main}
		}
	}
	var err error
	if v, ok := merged["dataDir"]; ok && !v.isNull() {
		if rc.dataDir, err = v.str(); err != nil {
			return rc, err
		}
	}
	if v, ok := merged["database"]; ok && !v.isNull() {
		if err := requireMapping(v); err != nil {
			return rc, err
		}
		if err := strField(v, "type", &rc.dbType, false); err != nil {
			return rc, err
		}
		if err := strField(v, "url", &rc.dbURL, false); err != nil {
			return rc, err
		}
		if s, ok := v.get("sqlite"); ok {
			if err := strField(s, "file", &rc.dbFile, false); err != nil {
				return rc, err
			}
		}
		if pg, ok := v.get("postgres"); ok && rc.dbURL == "" {
			if err := strField(pg, "url", &rc.dbURL, false); err != nil {
				return rc, err
			}
		}
		switch rc.dbType {
		case "", "sqlite", "postgres", "postgresql":
		default:
			x, _ := v.get("type")
			return rc, x.errf("database type must be sqlite or postgres, got %q", rc.dbType)
		}
	}
	if v, ok := merged["auth"]; ok && !v.isNull() {
		rc.authSeen = true
		if err := parseAuthBlock(v, &rc.auth); err != nil {
			return rc, err
		}
	}
	return rc, nil
}

func parseAuthBlock(v yval, a *AuthConfig) error {
	if err := requireMapping(v); err != nil {
		return err
	}
	if p, ok := v.get("password"); ok {
		if err := requireMapping(p); err != nil {
			return err
		}
		for _, f := range []struct {
			key string
			dst *bool
		}{{"requireUppercase", &a.Password.RequireUppercase}, {"requireLowercase", &a.Password.RequireLowercase},
			{"requireNumbers", &a.Password.RequireNumbers}, {"requireSpecialChars", &a.Password.RequireSpecialChars}} {
			if x, ok := p.get(f.key); ok {
				b, err := x.boolean(*f.dst)
				if err != nil {
					return err
				}
				*f.dst = b
			}
		}
		for _, f := range []struct {
			key string
			dst *int
		}{{"minLength", &a.Password.MinLength}, {"maxLoginAttempts", &a.MaxLoginAttempts}} {
			if x, ok := p.get(f.key); ok {
				n, err := x.integer(*f.dst)
				if err != nil {
					return err
				}
				if n < 1 {
					return x.errf("%s must be at least 1", f.key)
				}
				*f.dst = n
			}
		}
		if x, ok := p.get("lockoutDuration"); ok {
			d, err := durationValue(x)
			if err != nil {
				return err
			}
			a.LockoutDuration = d
		}
	}
	if s, ok := v.get("security"); ok {
		if err := requireMapping(s); err != nil {
			return err
		}
		if x, ok := s.get("sessionTimeout"); ok {
			d, err := durationValue(x)
			if err != nil {
				return err
			}
			a.SessionTimeout = d
		}
		if x, ok := s.get("maxConcurrentSessions"); ok {
			n, err := x.integer(a.MaxConcurrentSessions)
			if err != nil {
				return err
			}
			if n < 1 {
				return x.errf("maxConcurrentSessions must be at least 1")
			}
			a.MaxConcurrentSessions = n
		}
	}
	return nil
}

func durationValue(v yval) (time.Duration, error) {
	s, err := v.str()
	if err != nil {
		return 0, err
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, v.errf("%v", err)
	}
	return d, nil
}

// ParseDuration reads upstream's durations: "500ms", "30s", "15m", "1h",
// "2d", or a bare number of milliseconds.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Duration(n) * time.Millisecond, nil
	}
	units := []struct {
		suffix string
		unit   time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err == nil && n > 0 && n < 1<<31 {
				return time.Duration(n) * u.unit, nil
			}
			break
		}
	}
	return 0, fmt.Errorf("duration %q: want a positive number with ms, s, m, h or d", s)
}

// resolve computes the project's paths from cfg, the environment and .civicrc.
func resolve(cfg Config) (Paths, civicrc, error) {
	var p Paths
	dir := cfg.ProjectDir
	if dir == "" {
		dir = os.Getenv(EnvProjectDir)
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return p, civicrc{}, fmt.Errorf("civicpress: %w", err)
		}
		dir = wd
		if found, ok := FindProject(wd); ok {
			dir = found
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return p, civicrc{}, fmt.Errorf("civicpress: %w", err)
	}
	p.ProjectDir = dir
	p.SystemDataDir = filepath.Join(dir, ".system-data")
	rc, err := readCivicrc(dir)
	if err != nil {
		return p, rc, err
	}

	switch {
	case cfg.DataDir != "":
		p.DataDir = cfg.DataDir
	case os.Getenv(EnvDataDir) != "":
		p.DataDir = os.Getenv(EnvDataDir)
	case rc.dataDir != "":
		p.DataDir = rc.dataDir
	default:
		p.DataDir = "data"
	}
	if !filepath.IsAbs(p.DataDir) {
		p.DataDir = filepath.Join(dir, p.DataDir)
	}

	switch {
	case cfg.DatabaseURL != "":
		p.DatabaseURL = cfg.DatabaseURL
	case os.Getenv(EnvDatabaseURL) != "":
		p.DatabaseURL = os.Getenv(EnvDatabaseURL)
	case rc.dbType == "postgres" || rc.dbType == "postgresql" || store.IsPostgresURL(rc.dbURL):
		p.DatabaseURL = rc.dbURL
		if p.DatabaseURL == "" {
			return p, rc, configError(".civicrc", "database", 0, "type postgres needs a url")
		}
	}
	if p.DatabaseURL != "" && !store.IsPostgresURL(p.DatabaseURL) {
		return p, rc, newErr(ErrInvalid, CodeValidation, "database URL must start with postgres:// or postgresql://")
	}
	if p.DatabaseURL == "" {
		p.SQLitePath = rc.dbFile
		if p.SQLitePath == "" {
			p.SQLitePath = filepath.Join(p.SystemDataDir, "civic.db")
		} else if !filepath.IsAbs(p.SQLitePath) {
			p.SQLitePath = filepath.Join(dir, p.SQLitePath)
		}
	}
	if cfg.Auth != nil {
		rc.auth = *cfg.Auth
	}
	return p, rc, nil
}
