package realtime

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
)

// rawAwareness writes an awareness update with the states as given (JSON
// text, possibly malformed), as a client would send it.
func rawAwareness(entries ...any) []byte {
	var e lib0.Encoder
	e.WriteVarUint(uint64(len(entries) / 3))
	for i := 0; i+2 < len(entries); i += 3 {
		e.WriteVarUint(entries[i].(uint64))
		e.WriteVarUint(entries[i+1].(uint64))
		e.WriteVarString(entries[i+2].(string))
	}
	return e.Buf
}

// normalized decodes an awareness update and writes each state back out,
// so that updates holding equal JSON values compare equal.
func normalized(t *testing.T, update []byte) string {
	t.Helper()
	entries, err := yproto.DecodeAwarenessUpdate(update)
	if err != nil {
		t.Fatalf("encode wrote a malformed update: %v", err)
	}
	out := ""
	for _, en := range entries {
		s, _ := lib0.Stringify(en.State)
		out += fmt.Sprintf("%d@%d=%s;", en.Client, en.Clock, s)
	}
	return out
}

// TestPresenceAgreesWithYprotoAwareness drives presence and
// yproto.Awareness (the oracle) with the same random updates, removals
// and timeouts, and compares every outcome.
func TestPresenceAgreesWithYprotoAwareness(t *testing.T) {
	states := []string{`{"cursor":1}`, ` {"user":{"name":"a"},"cursor":null} `, `null`, ` null`, `[1,2,3]`, `"x"`, `42`,
		`{"cursor":1 }`, `{bad`, `{"a":1}x`, ``, `nul`}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		p := newPresence()
		oracle := yproto.NewAwareness(999)
		now := time.Unix(1_700_000_000, 0)
		for step := range 60 {
			now = now.Add(time.Duration(rng.IntN(20)) * time.Second)
			switch rng.IntN(10) {
			case 0:
				ids := []uint64{uint64(rng.IntN(5)), uint64(rng.IntN(5))}
				got := p.remove(ids)
				want := oracle.Remove(ids, now).Removed
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d: remove %v = %v, oracle %v", seed, step, ids, got, want)
				}
			case 1:
				got := p.check(now, yproto.OutdatedTimeout)
				want, _ := oracle.Check(now, yproto.OutdatedTimeout)
				if !slices.Equal(got, want.Removed) {
					t.Fatalf("seed %d step %d: check = %v, oracle %v", seed, step, got, want.Removed)
				}
			default:
				var entries []any
				for range 1 + rng.IntN(3) {
					entries = append(entries, uint64(rng.IntN(5)), uint64(rng.IntN(6)), states[rng.IntN(len(states))])
				}
				u := rawAwareness(entries...)
				got, ok := p.apply(u, now)
				want, err := oracle.Apply(u, now)
				if ok != (err == nil) {
					t.Fatalf("seed %d step %d: %q accepted %v, oracle error %v", seed, step, u, ok, err)
				}
				if !slices.Equal(got.added, want.Added) || !slices.Equal(got.updated, want.Updated) || !slices.Equal(got.removed, want.Removed) {
					t.Fatalf("seed %d step %d: change %+v, oracle %+v", seed, step, got, want)
				}
			}
			if got, want := p.clients(), oracle.Clients(); !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d: clients %v, oracle %v", seed, step, got, want)
			}
			all := []uint64{0, 1, 2, 3, 4}
			if got, want := normalized(t, p.encode(all)), normalized(t, oracle.Encode(all)); got != want {
				t.Fatalf("seed %d step %d: encode %s, oracle %s", seed, step, got, want)
			}
		}
	}
}

func TestPresenceRejectsMalformedUpdatesWhole(t *testing.T) {
	p := newPresence()
	now := time.Now()
	for _, u := range [][]byte{
		{}, {5}, {1, 1}, rawAwareness(uint64(1), uint64(1), `{"a":1}`, uint64(2), uint64(1), `{oops`),
		append(rawAwareness(uint64(1), uint64(1), `{}`)[:3], 0xff, 0xfe),
	} {
		if _, ok := p.apply(u, now); ok {
			t.Fatalf("%q accepted", u)
		}
		if len(p.clients()) != 0 {
			t.Fatalf("%q applied in part: %v", u, p.clients())
		}
	}
}

func BenchmarkPresenceCursor(b *testing.B) {
	p := newPresence()
	now := time.Now()
	state := `{"user":{"name":"u1","color":"#30bced"},"cursor":{"anchor":{"type":null,"tname":null,"item":{"client":7,"clock":12},"assoc":0},"head":{"type":null,"tname":null,"item":{"client":7,"clock":12},"assoc":0}}}`
	updates := make([][]byte, 64)
	for i := range updates {
		updates[i] = rawAwareness(uint64(7), uint64(i+1), state)
	}
	b.ReportAllocs()
	for i := range b.N {
		if i%64 == 0 {
			p = newPresence()
		}
		p.apply(updates[i%64], now)
	}
}
