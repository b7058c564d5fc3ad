package realtime

import (
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
)

// A connection to a record whose room is open takes the record's type and
// state from the room; only the one that opens the room reads the record.
func TestJoiningAnOpenRoomReadsNoRecord(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	b := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", b.isSynced)
	if n := e.recs.loadCount("bylaw-1"); n != 1 {
		t.Fatalf("record read %d times for two connections to one room, want 1", n)
	}
	// The room's state is what a joiner gets: archived while open, the
	// next connection is read-only although the stored record is not.
	e.core.Events().Publish(civicpress.Event{Type: civicpress.EventRecordArchived, RecordID: "bylaw-1", RecordType: "bylaw"})
	waitFor(t, wait, "room read-only", func() bool {
		info := e.hub.openRecord("bylaw-1")
		return info != nil && !info.editable()
	})
	c := e.mustDial(tok, "bylaw-1", dialOpts{control: true})
	waitFor(t, wait, "ack", func() bool { return hasEvent(c.controlEvents(), "connection.ack") })
	for _, m := range c.controlMessages() {
		if m["event"] == "connection.ack" && m["canEdit"] != false {
			t.Errorf("ack after archive: %v", m)
		}
	}
	if n := e.recs.loadCount("bylaw-1"); n != 1 {
		t.Errorf("record read %d times, want 1", n)
	}
}

// An info taken from a room that has closed since cannot open a room (it has
// no text): reserve sends the caller back to read the record.
func TestReserveRefusesToOpenARoomFromRoomInfo(t *testing.T) {
	e := newEnv(t, nil)
	u, _ := e.user("clerk")
	c := &client{h: e.hub, id: newClientID(), ip: "192.0.2.1"}
	c.u.Store(u)
	rm, code, _ := e.hub.reserve(c, &recordInfo{ID: "bylaw-1", Type: "bylaw", fromRoom: true})
	if rm != nil || code != codeRoomGone {
		t.Fatalf("reserve = %v, %q; want no room and %q", rm, code, codeRoomGone)
	}
	e.hub.mu.Lock()
	defer e.hub.mu.Unlock()
	if len(e.hub.rooms) != 0 || len(e.hub.clients) != 0 {
		t.Errorf("reserve left %d rooms, %d clients", len(e.hub.rooms), len(e.hub.clients))
	}
}

// A user's connections share one copy of the account; a role change still
// reaches each of them.
func TestConnectionsOfOneUserShareTheAccount(t *testing.T) {
	e := newEnv(t, nil)
	u1, tok1 := e.user("clerk")
	u2, tok2 := e.user("clerk")
	a := e.mustDial(tok1, "bylaw-1", dialOpts{})
	b := e.mustDial(tok1, "bylaw-1", dialOpts{})
	c := e.mustDial(tok2, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", func() bool { return a.isSynced() && b.isSynced() && c.isSynced() })
	byUser := map[int64][]*client{}
	e.hub.mu.Lock()
	for x := range e.hub.clients {
		byUser[x.user().ID] = append(byUser[x.user().ID], x)
	}
	e.hub.mu.Unlock()
	same := byUser[u1.ID]
	if len(same) != 2 || same[0].user() != same[1].user() {
		t.Fatalf("connections of user %d: %v", u1.ID, same)
	}
	if other := byUser[u2.ID]; len(other) != 1 || other[0].user() == same[0].user() || other[0].user().Username == u1.Username {
		t.Fatalf("the other user's connection %v shares user %d's account", other, u1.ID)
	}
	role := "public"
	if _, err := e.core.Users().Update(t.Context(), civicpress.System, u1.ID, civicpress.UserUpdate{Role: &role}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, wait, "role followed on both", func() bool {
		return same[0].user().Role == "public" && same[1].user().Role == "public"
	})
}

func TestBucket(t *testing.T) {
	const rate = 10
	var b bucket
	now := time.Now().UnixNano()
	b.fill(now, rate)
	for i := range 2 * rate {
		if !b.take(now, rate) {
			t.Fatalf("take %d of a full bucket refused", i+1)
		}
	}
	if b.take(now, rate) {
		t.Fatal("empty bucket gave a token")
	}
	now += int64(100 * time.Millisecond) // one token's worth at 10/s
	if !b.take(now, rate) || b.take(now, rate) {
		t.Fatal("100 ms should refill exactly one token")
	}
	now += int64(time.Hour)
	n := 0
	for b.take(now, rate) {
		n++
	}
	if n != 2*rate {
		t.Fatalf("after an idle hour the bucket held %d tokens, want the cap %d", n, 2*rate)
	}
	// A clock step backwards refills nothing and takes nothing extra.
	if b.take(now-int64(time.Minute), rate) {
		t.Fatal("a clock step back refilled the bucket")
	}
}
