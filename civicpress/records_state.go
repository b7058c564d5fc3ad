package civicpress

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/civicpress/civicpress-go/internal/gitrepo"
	"github.com/civicpress/civicpress-go/internal/store"
)

// recordsState is the records side of a Core: one field of Core, so the
// records files add state without reshaping Core.
type recordsState struct {
	realtimeMu sync.Mutex
	realtime   SnapshotRequester

	locker  *recordLocker
	files   fileCache
	dirs    dirCache
	suggest suggestCache

	idMu   sync.Mutex
	lastID int64 // newest record-<ms> issued by this process

	reportMu   sync.Mutex
	lastReport *ReindexReport

	oursMu sync.Mutex
	ours   map[string]bool // commits this process made with the index in step

	sweepCancel context.CancelFunc
	sweepDone   chan struct{}

	// writeMu queues this process's record transactions on SQLite, where
	// one writer at a time holds the database: waiting on a mutex hands
	// over at once, waiting in SQLite's busy handler sleeps in steps.
	writeMu sync.Mutex
}

// recordLockClass is the PostgreSQL advisory-lock class of record slots.
const recordLockClass = 0x52454344 // "RECD"

type pgSlots struct{ a *store.AdvisoryLocks }

func (p pgSlots) lock(ctx context.Context, slots []int) (func(), error) {
	keys := make([]int32, len(slots))
	for i, s := range slots {
		keys[i] = int32(s)
	}
	return p.a.Lock(ctx, recordLockClass, keys)
}

func (p pgSlots) close() error { return p.a.Close() }

// newRecordLocks sets up record serialization for the database in use.
func (c *Core) newRecordLocks() error {
	var cross crossLocker
	if c.db.Dialect() == store.Postgres {
		a, err := c.db.AdvisoryLocks(8)
		if err != nil {
			return err
		}
		cross = pgSlots{a}
	} else {
		fs, err := newFileSlots(filepath.Join(c.paths.SystemDataDir, "locks"))
		if err != nil {
			return err
		}
		if fs != nil {
			cross = fs
		}
	}
	c.rec.locker = newRecordLocker(cross)
	return nil
}

// serialTx runs fn (which opens one write transaction) after this
// process's other record transactions on SQLite.
func (c *Core) serialTx(fn func() error) error {
	if c.db.Dialect() == store.SQLite {
		c.rec.writeMu.Lock()
		defer c.rec.writeMu.Unlock()
	}
	return fn()
}

// lockRecords serializes the caller against every other writer of ids.
func (c *Core) lockRecords(ctx context.Context, ids ...string) (func(), error) {
	if c.rec.locker == nil {
		return nil, errors.New("civicpress: records are not open")
	}
	return c.rec.locker.lock(ctx, ids...)
}

// newRecordID issues record-<ms>: upstream's form, strictly increasing within
// the process, and checked against the database (records and drafts) so that
// processes sharing it never issue the same id.
func (c *Core) newRecordID(ctx context.Context, q store.Q) (string, error) {
	c.rec.idMu.Lock()
	defer c.rec.idMu.Unlock()
	ms := time.Now().UnixMilli()
	if ms <= c.rec.lastID {
		ms = c.rec.lastID + 1
	}
	for range 1000 {
		id := "record-" + strconv.FormatInt(ms, 10)
		taken, err := q.IDTaken(ctx, id)
		if err != nil {
			return "", err
		}
		if !taken {
			c.rec.lastID = ms
			return id, nil
		}
		ms++
	}
	return "", fmt.Errorf("civicpress: no free record id")
}

// actorKey is how locks and drafts name a user (upstream: the user id as text).
func actorKey(u *User) string { return strconv.FormatInt(u.ID, 10) }

// isActor reports whether key (a user id as text, or a username: upstream
// wrote either) names u.
func isActor(u *User, key string) bool {
	return u != nil && key != "" && (key == actorKey(u) || key == u.Username)
}

// readAllowed reports whether actor (nil: anonymous, the public role) holds a
// read permission.
func (c *Core) readAllowed(actor *User, perm string, pc PermContext) bool {
	if actor == nil {
		return c.settings.can(PublicRole, perm, pc)
	}
	return c.Can(actor, perm, pc)
}

func (c *Core) requireRead(actor *User, perm string, pc PermContext) error {
	if c.readAllowed(actor, perm, pc) {
		return nil
	}
	if actor == nil {
		return errUnauthenticated
	}
	return forbidden(perm)
}

// roleOf is the role whose workflow rights apply to actor ("" for System:
// no role restriction).
func roleOf(actor *User) string {
	if actor == System {
		return ""
	}
	return actor.Role
}

// commitAuthor signs commits made for actor.
func commitAuthor(u *User) gitrepo.Author {
	if u == nil || u == System {
		return systemAuthor
	}
	name := u.Name
	if name == "" {
		name = u.Username
	}
	email := u.Email
	if email == "" {
		email = u.Username + "@users.noreply.invalid"
	}
	return gitrepo.Author{Name: name, Email: email}
}

// initialStatus is the status a new record starts in for its type.
func (c *Core) initialStatus(recordType string) string {
	if s := c.settings.Workflows.AvailableStatuses(recordType); len(s) > 0 {
		return s[0]
	}
	return "draft"
}

// checkStatusWrite applies upstream's guard on write paths: the status must
// be in the vocabulary, and moving into a workflow-controlled status needs
// a transition the actor's role may perform.
func (c *Core) checkStatusWrite(actor *User, recordType, from, to string) error {
	if to == "" || to == from {
		return nil
	}
	if !slices.Contains(c.settings.StatusKeys(), to) {
		return invalid(CodeValidation, FieldError{Field: "status", Message: fmt.Sprintf("Unknown status %q", to)})
	}
	if !slices.Contains(c.settings.Workflows.ControlledStatuses(), to) {
		return nil
	}
	return c.settings.Workflows.ValidateTransition(recordType, from, to, roleOf(actor))
}

// checkLock fails when someone other than actor holds an unexpired editing
// lock on id (System is never held back).
func (c *Core) checkLock(ctx context.Context, actor *User, id string) error {
	if actor == System {
		return nil
	}
	l, err := c.db.Q().ActiveLock(ctx, id, time.Now())
	if err != nil {
		return err
	}
	if l == nil || isActor(actor, l.LockedBy) {
		return nil
	}
	return c.lockedErr(ctx, l)
}

func (c *Core) lockedErr(ctx context.Context, l *store.RecordLock) error {
	lk := c.lockFromRow(ctx, l)
	return &Error{Kind: ErrConflict, Code: CodeRecordLocked,
		Message: "Record is locked by another user", Err: &LockHeldError{Lock: *lk}}
}

func (c *Core) lockFromRow(ctx context.Context, l *store.RecordLock) *Lock {
	lk := &Lock{RecordID: l.RecordID, LockedBy: l.LockedBy, LockedAt: l.LockedAt, Expires: l.ExpiresAt}
	if id, err := strconv.ParseInt(l.LockedBy, 10, 64); err == nil {
		if u, err := c.db.Q().UserByID(ctx, id); err == nil {
			lk.Holder = u.Username
		}
	} else {
		lk.Holder = l.LockedBy
	}
	return lk
}

var (
	errRecordNotFound = &Error{Kind: ErrNotFound, Code: CodeRecordNotFound, Message: "Record not found"}
	errDraftNotFound  = &Error{Kind: ErrNotFound, Code: CodeDraftNotFound, Message: "Draft not found"}
)
