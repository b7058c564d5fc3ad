// Package civicpress is the CivicPress core as an embeddable Go library: it
// opens (creating when new) a CivicPress project directory that upstream
// CivicPress can also open, and provides authentication, authorization,
// events and audit to the REST API, the realtime hub and host programs.
//
//	core, err := civicpress.Open(ctx, civicpress.Config{ProjectDir: "/srv/town"})
//	if err != nil { ... }
//	defer core.Close()
//	sess, err := core.Auth().Login(ctx, "clerk", password)
//	user, err := core.Auth().ValidateSession(ctx, sess.Token)
//	if core.Can(user, "records:edit", civicpress.PermContext{RecordType: "bylaw"}) { ... }
//
// Errors returned for a caller's mistake match one of ErrNotFound,
// ErrForbidden, ErrConflict, ErrInvalid, ErrUnauthenticated or ErrLocked and
// carry an upstream error code (Code).
package civicpress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/secrets"
	"github.com/civicpress/civicpress-go/internal/store"
	"github.com/google/uuid"
)

// Core is an open project. It is safe for concurrent use; the host program
// owns it and closes it.
type Core struct {
	paths    Paths
	log      *slog.Logger
	db       *store.DB
	repo     *gitrepo.Repo
	secret   *secrets.Root
	settings *Settings
	authCfg  AuthConfig

	// commitLock is the pool of the PostgreSQL commit lock (gitlock.go).
	commitLock io.Closer

	sessions *secrets.Signer
	apiKeys  *secrets.Signer

	events *Events
	tail   *tailer
	auth   *Auth
	users  *Users
	audit  *AuditLog

	setup SetupReport

	// rec holds the records, search and realtime-attachment state (records_state.go).
	rec recordsState

	bgCancel  context.CancelFunc
	bgDone    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// SetupReport tells what Open created.
type SetupReport struct {
	// Created is true when Open initialized a new project.
	Created bool
	// AdminCreated is true when Open created the bootstrap administrator.
	AdminCreated  bool
	AdminUsername string
	// AdminPassword is set only when Open generated it; it is not stored
	// anywhere else, so show it to the operator once.
	AdminPassword string
	// SampleRecords lists the sample record files written (relative to the data dir).
	SampleRecords []string
	// InitialCommit is the hash of the data repository's initial commit.
	InitialCommit string
	// SecretGenerated is true when a new root secret was written to secrets.yml.
	SecretGenerated bool
}

// Open opens the project cfg names, creating it when it does not exist (see
// Config), and starts the event tailer. Close releases it.
func Open(ctx context.Context, cfg Config) (*Core, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	paths, rc, err := resolve(cfg)
	if err != nil {
		return nil, err
	}
	c := &Core{paths: paths, log: log, authCfg: rc.auth}
	ok := false
	defer func() {
		if !ok {
			c.closeResources()
		}
	}()
	if err := c.ensureProject(ctx, cfg, rc); err != nil {
		return nil, err
	}
	ok = true
	return c, nil
}

// openServices opens the database and secrets and builds the services; it
// runs after the project's files exist.
func (c *Core) openServices(ctx context.Context, cfg Config) error {
	settings, err := LoadSettings(c.paths.DataDir)
	if err != nil {
		return err
	}
	for _, f := range settings.Defaulted {
		c.log.Warn("civicpress: config file missing, using upstream's default", "file", "data/.civic/"+f)
	}
	c.settings = settings

	secret := cfg.Secret
	if secret == "" {
		secret = getenv(EnvSecret)
	}
	root, src, err := secrets.Load(secrets.LoadOptions{
		Secret:      secret,
		File:        getenv(EnvSecretFile),
		ProjectFile: c.secretsFile(),
		Create:      true,
	})
	if err != nil {
		return err
	}
	c.setup.SecretGenerated = src == secrets.FromGenerated
	c.secret = root
	c.sessions = root.Signer(secrets.SessionSigning)
	c.apiKeys = root.Signer(secrets.APIKeySigning)

	db, err := store.Open(ctx, store.Options{URL: c.paths.DatabaseURL, SQLitePath: c.paths.SQLitePath, Logger: c.log})
	if err != nil {
		return err
	}
	c.db = db
	c.events = newEvents(c.log, uuid.NewString())
	c.audit = &AuditLog{c: c}
	c.users = &Users{c: c}
	c.auth = newAuth(c)
	return nil
}

func (c *Core) startBackground() error {
	t, err := startTailer(context.Background(), c.db, c.events, c.log)
	if err != nil {
		return fmt.Errorf("civicpress: event tailer: %w", err)
	}
	c.tail = t
	bctx, cancel := context.WithCancel(context.Background())
	c.bgCancel = cancel
	c.bgDone = make(chan struct{})
	go func() {
		defer close(c.bgDone)
		c.maintenance(bctx)
	}()
	return nil
}

// Close stops the event tailer and background maintenance and closes the
// database and repository. It is safe to call more than once.
func (c *Core) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.closeResources() })
	return c.closeErr
}

func (c *Core) closeResources() error {
	if c.bgCancel != nil {
		c.bgCancel()
		<-c.bgDone
	}
	if c.tail != nil {
		c.tail.stop()
	}
	c.closeRecords()
	var errs []error
	if c.repo != nil {
		errs = append(errs, c.repo.Close())
	}
	if c.commitLock != nil {
		errs = append(errs, c.commitLock.Close())
	}
	if c.db != nil {
		errs = append(errs, c.db.Close())
	}
	return errors.Join(errs...)
}

// Paths returns the project's resolved locations.
func (c *Core) Paths() Paths { return c.paths }

// Settings returns the parsed data/.civic configuration.
func (c *Core) Settings() *Settings { return c.settings }

// AuthConfig returns the effective auth settings (.civicrc auth block over defaults).
func (c *Core) AuthConfig() AuthConfig { return c.authCfg }

// SetupReport tells what Open created (the generated admin password, if any).
func (c *Core) SetupReport() SetupReport { return c.setup }

// Auth returns the authentication service (logins, sessions, API keys, passwords).
func (c *Core) Auth() *Auth { return c.auth }

// Users returns the user-management service.
func (c *Core) Users() *Users { return c.users }

// Events returns the event bus.
func (c *Core) Events() *Events { return c.events }

// Audit returns the audit log.
func (c *Core) Audit() *AuditLog { return c.audit }

// Health checks that the database answers.
func (c *Core) Health(ctx context.Context) error { return c.db.Ping(ctx) }

// Can reports whether user holds permission (upstream userCan semantics:
// role inheritance through role_hierarchy, the "*" wildcard, per-record-type
// grants, and transition rights when pc names FromStatus and ToStatus). A nil
// user (anonymous) holds no permission; System holds every one.
func (c *Core) Can(user *User, permission string, pc PermContext) bool {
	if user == nil {
		return false
	}
	if user == System {
		return true
	}
	return c.settings.can(user.Role, permission, pc)
}

// Permissions lists the effective permissions of a role (own, then inherited).
func (c *Core) Permissions(role string) []string { return c.settings.Roles.Permissions(role) }

// require returns nil when actor holds permission, else an error that
// matches ErrUnauthenticated (anonymous) or ErrForbidden.
func (c *Core) require(actor *User, permission string, pc PermContext) error {
	if actor == nil {
		return errUnauthenticated
	}
	if !c.Can(actor, permission, pc) {
		return forbidden(permission)
	}
	return nil
}

// txn is one write transaction: its events are published and its audit rows
// are visible once it commits.
type txn struct {
	ctx    context.Context
	c      *Core
	q      store.Q
	events []Event
}

// emit records ev in the outbox within the transaction.
func (t *txn) emit(ev Event) error {
	ev, err := t.c.events.record(t.ctx, t.q, ev)
	if err != nil {
		return fmt.Errorf("civicpress: record event: %w", err)
	}
	t.events = append(t.events, ev)
	return nil
}

func (t *txn) audit(e AuditEntry) error { return t.c.audit.write(t.ctx, t.q, e) }

// inTx runs fn in one write transaction and publishes its events after commit.
func (c *Core) inTx(ctx context.Context, fn func(t *txn) error) error {
	var committed []Event
	err := c.db.InTx(ctx, func(q store.Q) error {
		t := &txn{ctx: ctx, c: c, q: q}
		if err := fn(t); err != nil {
			return err
		}
		committed = t.events
		return nil
	})
	if err != nil {
		return err
	}
	for _, ev := range committed {
		c.events.Publish(ev)
	}
	return nil
}
