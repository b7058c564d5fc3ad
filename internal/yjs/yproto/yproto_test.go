package yproto

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

type vectors struct {
	Sync      map[string]string `json:"sync"`
	Awareness []struct {
		Label       string            `json:"label"`
		Update      string            `json:"update"`
		Change      *eventLists       `json:"change"`
		UpdateEvent *eventLists       `json:"updateEvent"`
		States      string            `json:"states"`
		Clocks      map[string]uint64 `json:"clocks"`
	} `json:"awareness"`
}

type eventLists struct {
	Added   []uint64 `json:"added"`
	Updated []uint64 `json:"updated"`
	Removed []uint64 `json:"removed"`
}

func load(t *testing.T) vectors {
	t.Helper()
	raw, err := os.ReadFile("../testdata/protocol/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSyncMatchesYProtocols: the messages y-protocols wrote are what Go
// writes for the same document.
func TestSyncMatchesYProtocols(t *testing.T) {
	v := load(t).Sync
	doc := yjs.NewDoc(yjs.Options{ClientID: 1234})
	if err := doc.ApplyUpdate(unhex(t, v["docUpdate"])); err != nil {
		t.Fatal(err)
	}
	if got := Step1(doc).Encode(); !bytes.Equal(got, unhex(t, v["step1"])) {
		t.Errorf("step1 %x, want %s", got, v["step1"])
	}
	m, err := DecodeSyncMessage(unhex(t, v["step1"]))
	if err != nil || m.Type != SyncStep1 {
		t.Fatalf("decode step1: %v %v", m, err)
	}
	reply, changed, err := Handle(doc, SyncMessage{Type: SyncStep1, Payload: unhex(t, v["peerStateVector"])}, nil)
	if err != nil || changed || reply == nil {
		t.Fatalf("handle step1: %v %v %v", reply, changed, err)
	}
	if got := reply.Encode(); !bytes.Equal(got, unhex(t, v["step2"])) {
		t.Errorf("step2 %x, want %s", got, v["step2"])
	}
	if got := (SyncMessage{Type: SyncUpdate, Payload: unhex(t, v["updatePayload"])}).Encode(); !bytes.Equal(got, unhex(t, v["update"])) {
		t.Errorf("update %x, want %s", got, v["update"])
	}
	// a fresh peer reaches the same state through step 2, and a second apply changes nothing
	peer := yjs.NewDoc(yjs.Options{ClientID: 5})
	full, _ := Step2(doc, nil)
	if _, changed, err := Handle(peer, full, "peer"); err != nil || !changed {
		t.Fatalf("apply step2: changed=%v err=%v", changed, err)
	}
	if _, changed, _ := Handle(peer, full, "peer"); changed {
		t.Error("re-applying the same update reported a change")
	}
	if !bytes.Equal(peer.EncodeStateVector(), doc.EncodeStateVector()) {
		t.Error("state vectors differ after sync")
	}
	// frames
	f, err := DecodeFrame(SyncFrame(full))
	if err != nil || f.Type != FrameSync || !bytes.Equal(f.Sync.Payload, full.Payload) {
		t.Errorf("sync frame round trip: %v", err)
	}
	aw := []byte{1, 2, 3}
	if f, err := DecodeFrame(AwarenessFrame(aw)); err != nil || f.Type != FrameAwareness || !bytes.Equal(f.Awareness, aw) {
		t.Errorf("awareness frame round trip: %v", err)
	}
	for _, bad := range [][]byte{{}, {0}, {0, 3, 0}, {0, 0, 5, 1}, {1, 9}} {
		if _, err := DecodeFrame(bad); err == nil {
			t.Errorf("DecodeFrame(%x) accepted", bad)
		}
	}
}

func sorted(s []uint64) []uint64 {
	s = append([]uint64{}, s...)
	slices.Sort(s)
	return s
}

func eqList(a, b []uint64) bool { return slices.Equal(sorted(a), sorted(b)) }

// TestAwarenessMatchesYProtocols replays the awareness updates y-protocols
// produced into a server-side Awareness and compares states, clocks and
// the change/update events.
func TestAwarenessMatchesYProtocols(t *testing.T) {
	now := time.Unix(1000, 0)
	a := NewAwareness(99)
	for _, step := range load(t).Awareness {
		ch, err := a.Apply(unhex(t, step.Update), now)
		if err != nil {
			t.Fatalf("%s: %v", step.Label, err)
		}
		states := lib0.NewObject()
		for c, s := range a.States() {
			states.Set(strconv.FormatUint(c, 10), s)
		}
		if got, _ := lib0.Stringify(states); got != step.States {
			t.Errorf("%s: states %s, want %s", step.Label, got, step.States)
		}
		for c, want := range step.Clocks {
			id, _ := strconv.ParseUint(c, 10, 64)
			if id == 99 {
				continue // the server's own local-state bookkeeping is not exercised here
			}
			if got, _ := a.Clock(id); got != want {
				t.Errorf("%s: clock of %d = %d, want %d", step.Label, id, got, want)
			}
		}
		u := step.UpdateEvent
		if u == nil {
			if !ch.Empty() {
				t.Errorf("%s: change %+v, want none", step.Label, ch)
			}
		} else if !eqList(ch.Added, u.Added) || !eqList(ch.Updated, u.Updated) || !eqList(ch.Removed, u.Removed) {
			t.Errorf("%s: change %+v, want %+v", step.Label, ch, u)
		}
		if c := step.Change; c == nil {
			if len(ch.Changed) > 0 {
				t.Errorf("%s: changed %v, want none", step.Label, ch.Changed)
			}
		} else if !eqList(ch.Changed, c.Updated) {
			t.Errorf("%s: changed %v, want %v", step.Label, ch.Changed, c.Updated)
		}
	}
}

func TestAwarenessRemoveAndTimeout(t *testing.T) {
	t0 := time.Unix(0, 0)
	client := NewAwareness(10)
	client.SetLocalState(mustJSON(`{}`), t0) // what the y-protocols constructor does: clock 0, never accepted remotely
	client.SetLocalState(mustJSON(`{"user":"a"}`), t0)
	server := NewAwareness(1)
	if _, err := server.Apply(client.Encode([]uint64{10}), t0); err != nil {
		t.Fatal(err)
	}
	other := NewAwareness(11)
	other.SetLocalState(mustJSON(`{}`), t0)
	other.SetLocalState(mustJSON(`{"user":"b"}`), t0)
	server.Apply(other.Encode([]uint64{11}), t0.Add(20*time.Second))

	// disconnect of client 10: removal is broadcast at the same clock and removes it elsewhere
	ch := server.Remove([]uint64{10, 12}, t0)
	if !slices.Equal(ch.Removed, []uint64{10}) {
		t.Fatalf("removed %v", ch.Removed)
	}
	peer := NewAwareness(2)
	peer.Apply(client.Encode([]uint64{10}), t0)
	got, err := peer.Apply(server.Encode(ch.Removed), t0)
	if err != nil || !slices.Equal(got.Removed, []uint64{10}) || len(peer.States()) != 0 {
		t.Fatalf("peer after removal: %+v %v %v", got, err, peer.States())
	}
	// a stale re-announcement at the old clock does not bring it back
	if got, _ := peer.Apply(client.Encode([]uint64{10}), t0); !got.Empty() {
		t.Errorf("stale state accepted: %+v", got)
	}

	// timeout: 11 was updated at 20s, so at 45s nothing, at 50s it goes
	if rm, _ := server.Check(t0.Add(45*time.Second), OutdatedTimeout); len(rm.Removed) != 0 {
		t.Errorf("removed too early: %v", rm.Removed)
	}
	if rm, _ := server.Check(t0.Add(50*time.Second), OutdatedTimeout); !slices.Equal(rm.Removed, []uint64{11}) {
		t.Errorf("timeout removed %v", rm.Removed)
	}
	// a peer with a local state renews it after half the timeout
	if _, renewed := client.Check(t0.Add(14*time.Second), OutdatedTimeout); renewed {
		t.Error("renewed too early")
	}
	c0, _ := client.Clock(10)
	if _, renewed := client.Check(t0.Add(15*time.Second), OutdatedTimeout); !renewed {
		t.Error("not renewed after half the timeout")
	}
	if c1, _ := client.Clock(10); c1 != c0+1 {
		t.Errorf("clock %d after renewal, want %d", c1, c0+1)
	}
	// someone claiming we left (same clock, null) is outvoted while we have a state
	claim := EncodeAwarenessUpdate([]AwarenessEntry{{Client: 10, Clock: c0 + 1, State: nil}})
	client.Apply(claim, t0)
	if c2, _ := client.Clock(10); c2 != c0+2 || client.LocalState() == nil {
		t.Errorf("own removal not outvoted: clock %d state %v", c2, client.LocalState())
	}
}

func TestAwarenessRejectsBadInput(t *testing.T) {
	a := NewAwareness(1)
	good := EncodeAwarenessUpdate([]AwarenessEntry{{Client: 5, Clock: 1, State: mustJSON(`{"a":1}`)}})
	bad := append(EncodeAwarenessUpdate([]AwarenessEntry{{Client: 6, Clock: 1, State: mustJSON(`{}`)}})[:1:1], 6, 1, 3, '{', 'x', '}')
	bad[0] = 1
	for _, b := range [][]byte{{}, {5}, {1, 5, 1}, bad, append([]byte{2}, good[1:]...)} {
		if _, err := a.Apply(b, time.Now()); err == nil {
			t.Errorf("accepted %x", b)
		}
	}
	if len(a.States()) != 0 {
		t.Error("a rejected update changed the state")
	}
}

func mustJSON(s string) any {
	v, err := lib0.Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}
