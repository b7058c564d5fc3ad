package civicpress

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
)

// EventType names an event. Upstream's hook names are kept where one exists.
type EventType string

// Events published by the core.
const (
	// EventSessionsRevoked: sessions of UserID ended (Reason says why; TokenHashes which).
	EventSessionsRevoked EventType = "auth:sessions:revoked"
	EventUserCreated     EventType = "user:created"
	EventUserUpdated     EventType = "user:updated"
	// EventUserRoleChanged: Role is the new role, PreviousRole the old one.
	EventUserRoleChanged EventType = "user:role_changed"
	EventUserDeleted     EventType = "user:deleted"
	EventAPIKeyRevoked   EventType = "auth:api_key:revoked"
)

// Reasons carried by EventSessionsRevoked.
const (
	ReasonLogout          = "logout"
	ReasonLogoutAll       = "logout-all"
	ReasonPasswordChanged = "password-changed"
	ReasonPasswordSet     = "password-set"
	ReasonPasswordReset   = "password-reset"
	ReasonExpired         = "expired"
	ReasonAdmin           = "admin"
	ReasonSessionLimit    = "session-limit"
	ReasonUserDeleted     = "user-deleted"
)

// Event is one thing that happened. The same value reaches subscribers in the
// process that caused it and, through the outbox, in every other process
// sharing the database.
type Event struct {
	Type EventType `json:"type"`
	// Seq is the outbox id (0 for events that are not persisted).
	Seq  int64     `json:"seq,omitempty"`
	Time time.Time `json:"time"`
	// Remote is true when the event came from another process.
	Remote bool `json:"-"`

	UserID       int64    `json:"userId,omitempty"`
	Username     string   `json:"username,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	Role         string   `json:"role,omitempty"`
	PreviousRole string   `json:"previousRole,omitempty"`
	TokenHashes  []string `json:"tokenHashes,omitempty"` // SHA-256 of the revoked tokens
	APIKeyID     int64    `json:"apiKeyId,omitempty"`
	RecordID     string   `json:"recordId,omitempty"`
	RecordType   string   `json:"recordType,omitempty"`
	// Data carries anything else an event needs.
	Data map[string]any `json:"data,omitempty"`
}

// Events is the event bus: in-process subscribers fed by this process's
// changes and by the outbox tailer.
type Events struct {
	log    *slog.Logger
	origin string

	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	types []EventType
	fn    func(Event)

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []Event
	closed  bool
	done    chan struct{}
	dropped int
}

// maxQueue bounds a stalled subscriber's backlog; beyond it the oldest
// events are dropped (and logged) rather than blocking publishers.
const maxQueue = 10000

func newEvents(log *slog.Logger, origin string) *Events {
	return &Events{log: log, origin: origin, subs: map[*subscriber]struct{}{}}
}

// Subscribe calls fn for every event of the given types (all types when none
// are given), in order, on a goroutine of its own: publishers never wait for
// subscribers. The returned function unsubscribes; it waits for a call in
// progress to finish and drops what is still queued.
func (b *Events) Subscribe(fn func(Event), types ...EventType) (unsubscribe func()) {
	s := &subscriber{types: slices.Clone(types), fn: fn, done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go s.run()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.subs, s)
			b.mu.Unlock()
			s.mu.Lock()
			s.closed = true
			s.queue = nil
			s.cond.Signal()
			s.mu.Unlock()
			<-s.done
		})
	}
}

func (s *subscriber) run() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		ev := s.queue[0]
		s.queue[0] = Event{}
		s.queue = s.queue[1:]
		s.mu.Unlock()
		s.call(ev)
	}
}

func (s *subscriber) call(ev Event) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("civicpress: event subscriber panicked", "type", ev.Type, "panic", r)
		}
	}()
	s.fn(ev)
}

func (s *subscriber) wants(t EventType) bool {
	return len(s.types) == 0 || slices.Contains(s.types, t)
}

// Publish delivers ev to this process's subscribers only (host programs use
// it for their own events). Changes made through the core are published for
// you, to every process.
func (b *Events) Publish(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	b.mu.Lock()
	subs := make([]*subscriber, 0, len(b.subs))
	for s := range b.subs {
		if s.wants(ev.Type) {
			subs = append(subs, s)
		}
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.mu.Lock()
		if !s.closed {
			if len(s.queue) >= maxQueue {
				s.queue = s.queue[1:]
				s.dropped++
				if s.dropped == 1 || s.dropped%1000 == 0 {
					b.log.Warn("civicpress: slow event subscriber, dropping oldest events", "dropped", s.dropped)
				}
			}
			s.queue = append(s.queue, ev)
			s.cond.Signal()
		}
		s.mu.Unlock()
	}
}

// record writes ev to the outbox inside the caller's transaction and returns
// it with its sequence number; publish it with Publish once the transaction
// has committed.
func (b *Events) record(ctx context.Context, q store.Q, ev Event) (Event, error) {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return ev, err
	}
	row := &store.Event{Type: string(ev.Type), Payload: string(payload), Origin: b.origin}
	if err := q.InsertEvent(ctx, row); err != nil {
		return ev, err
	}
	ev.Seq = row.ID
	return ev, nil
}

// tailer delivers outbox rows written by other processes.
type tailer struct {
	db     *store.DB
	bus    *Events
	log    *slog.Logger
	cursor int64
	poll   time.Duration
	cancel context.CancelFunc
	done   chan struct{}
}

// pollInterval bounds cross-process delivery latency on SQLite; on
// PostgreSQL NOTIFY wakes the tailer at once and this is only a safety net.
const pollInterval = 100 * time.Millisecond

func startTailer(ctx context.Context, db *store.DB, bus *Events, log *slog.Logger) (*tailer, error) {
	cursor, err := db.Q().LastEventID(ctx)
	if err != nil {
		return nil, err
	}
	poll := pollInterval
	if db.Dialect() == store.Postgres {
		poll = time.Second
	}
	tctx, cancel := context.WithCancel(context.Background())
	t := &tailer{db: db, bus: bus, log: log, cursor: cursor, poll: poll, cancel: cancel, done: make(chan struct{})}
	wake := make(chan struct{}, 1)
	var lwg sync.WaitGroup
	if db.Dialect() == store.Postgres {
		lwg.Add(1)
		go func() { defer lwg.Done(); db.Listen(tctx, wake) }()
	}
	go func() {
		defer close(t.done)
		defer lwg.Wait()
		t.loop(tctx, wake)
	}()
	return t, nil
}

func (t *tailer) loop(ctx context.Context, wake <-chan struct{}) {
	timer := time.NewTimer(t.poll)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-timer.C:
		}
		t.drain(ctx)
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(t.poll)
	}
}

func (t *tailer) drain(ctx context.Context) {
	for ctx.Err() == nil {
		rows, err := t.db.Q().EventsAfter(ctx, t.cursor, 500)
		if err != nil {
			if ctx.Err() == nil {
				t.log.Warn("civicpress: reading events", "err", err)
			}
			return
		}
		for _, r := range rows {
			t.cursor = r.ID
			if r.Origin == t.bus.origin {
				continue // published in-process when its transaction committed
			}
			var ev Event
			if err := json.Unmarshal([]byte(r.Payload), &ev); err != nil {
				t.log.Warn("civicpress: undecodable event", "id", r.ID, "err", err)
				continue
			}
			if ev.Type == "" {
				ev.Type = EventType(r.Type)
			}
			ev.Seq = r.ID
			ev.Remote = true
			t.bus.Publish(ev)
		}
		if len(rows) < 500 {
			return
		}
	}
}

func (t *tailer) stop() {
	t.cancel()
	<-t.done
}
