package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
)

// The update log: appends come back in seq order, a node reads others'
// updates after its cursor (its own without data), concurrent appenders
// never make a reader skip a row, compaction deletes through a seq.
func TestRealtimeUpdateLog(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ch, err := db.RealtimeChannel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seqs, err := db.AppendRealtimeUpdates(ctx, "a", []store.RealtimeUpdate{
			{RoomID: "records:1", UserID: 7, Data: []byte{1}},
			{RoomID: "records:2", UserID: 8, Data: []byte{2}},
			{RoomID: "records:1", Data: []byte{3}},
		}, ch, "u|a")
		if err != nil || len(seqs) != 3 || seqs[1] != seqs[0]+1 || seqs[2] != seqs[1]+1 {
			t.Fatalf("append: %v %v", seqs, err)
		}
		if _, err := db.AppendRealtimeUpdates(ctx, "b", []store.RealtimeUpdate{{RoomID: "records:1", Data: []byte{4}}}, ch, "u|b"); err != nil {
			t.Fatal(err)
		}
		rows, err := db.RealtimeUpdatesAfter(ctx, 0, "a", 100)
		if err != nil || len(rows) != 4 {
			t.Fatalf("after: %+v %v", rows, err)
		}
		if rows[0].Data != nil || rows[0].UserID != 7 || rows[3].NodeID != "b" || !slices.Equal(rows[3].Data, []byte{4}) {
			t.Fatalf("own rows must come without data, others' with: %+v", rows)
		}
		room, err := db.RealtimeRoomUpdates(ctx, "records:1")
		if err != nil || len(room) != 3 || !slices.Equal(room[2].Data, []byte{4}) {
			t.Fatalf("room: %+v %v", room, err)
		}
		n, err := db.Q().DeleteRealtimeUpdates(ctx, "records:1", seqs[2])
		if err != nil || n != 2 {
			t.Fatalf("compact: %d %v", n, err)
		}
		if room, _ := db.RealtimeRoomUpdates(ctx, "records:1"); len(room) != 1 {
			t.Fatalf("after compaction %+v", room)
		}
		// A seed goes in only into an empty room, once.
		ok, err := db.SeedRealtimeRoom(ctx, "records:9", "a", []byte{9})
		if err != nil || !ok {
			t.Fatalf("seed: %v %v", ok, err)
		}
		if ok, _ := db.SeedRealtimeRoom(ctx, "records:9", "b", []byte{10}); ok {
			t.Fatal("seeded twice")
		}
		if ok, _ := db.SeedRealtimeRoom(ctx, "records:2", "b", []byte{10}); ok {
			t.Fatal("seeded a room with updates")
		}

		// Concurrent appenders: a reader following a cursor sees every row
		// exactly once, in seq order.
		last, _ := db.LastRealtimeSeq(ctx)
		var wg sync.WaitGroup
		const writers, each = 4, 25
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					if _, err := db.AppendRealtimeUpdates(ctx, "w", []store.RealtimeUpdate{{RoomID: "records:c", Data: []byte{byte(w)}},
						{RoomID: "records:c", Data: []byte{byte(w)}}}, ch, "u|w"); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		seen := 0
		cursor := last
		deadline := time.Now().Add(30 * time.Second)
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		for seen < writers*each*2 && time.Now().Before(deadline) {
			rows, err := db.RealtimeUpdatesAfter(ctx, cursor, "reader", 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if r.Seq <= cursor {
					t.Fatalf("seq %d after cursor %d", r.Seq, cursor)
				}
				cursor = r.Seq
				seen++
			}
		}
		<-done
		if seen != writers*each*2 {
			t.Fatalf("reader saw %d of %d rows", seen, writers*each*2)
		}
		if rest, _ := db.RealtimeUpdatesAfter(ctx, cursor, "reader", 100); len(rest) != 0 {
			t.Fatalf("rows behind the cursor: %d", len(rest))
		}
	})
}

// Writer leases: one holder at a time, renewals by the holder, takeover
// only after expiry; node registry with liveness.
func TestRealtimeLeasesAndNodes(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now().UnixMilli()
		ok, prev, err := db.ClaimRealtimeRoom(ctx, "records:1", "a", now, now+10000)
		if err != nil || !ok || prev.Writer != "" {
			t.Fatalf("first claim: %v %+v %v", ok, prev, err)
		}
		if ok, prev, _ := db.ClaimRealtimeRoom(ctx, "records:1", "b", now, now+10000); ok || prev.Writer != "a" {
			t.Fatalf("b took a live lease: %v %+v", ok, prev)
		}
		if ok, _, _ := db.ClaimRealtimeRoom(ctx, "records:1", "a", now, now+20000); !ok {
			t.Fatal("renewal by the holder refused")
		}
		if ok, err := db.MarkRealtimeWritten(ctx, "records:1", "a", 42); !ok || err != nil {
			t.Fatalf("mark: %v %v", ok, err)
		}
		if ok, _ := db.MarkRealtimeWritten(ctx, "records:1", "b", 50); ok {
			t.Fatal("a non-holder marked the room written")
		}
		held, err := db.RenewRealtimeLeases(ctx, "a", now, now+30000)
		if err != nil || !slices.Equal(held, []string{"records:1"}) {
			t.Fatalf("renew: %v %v", held, err)
		}
		// Expired: b takes over and sees who held it.
		later := now + 31000
		exp, _ := db.ExpiredRealtimeLeases(ctx, later)
		if len(exp) != 1 || exp[0].Writer != "a" || exp[0].WrittenThrough != 42 {
			t.Fatalf("expired %+v", exp)
		}
		ok, prev, _ = db.ClaimRealtimeRoom(ctx, "records:1", "b", later, later+10000)
		if !ok || prev.Writer != "a" {
			t.Fatalf("takeover: %v %+v", ok, prev)
		}
		if held, _ := db.RenewRealtimeLeases(ctx, "a", later, later+10000); len(held) != 0 {
			t.Fatalf("a renewed a lease it lost: %v", held)
		}
		if active, _ := db.ActiveRealtimeRooms(ctx, later); !slices.Equal(active, []string{"records:1"}) {
			t.Fatalf("active %v", active)
		}
		if err := db.ReleaseRealtimeRoom(ctx, "records:1", "a"); err != nil {
			t.Fatal(err)
		}
		if l, _ := db.RealtimeLease(ctx, "records:1"); l.Writer != "b" {
			t.Fatalf("a released b's lease: %+v", l)
		}
		db.ReleaseRealtimeRoom(ctx, "records:1", "b")
		if l, _ := db.RealtimeLease(ctx, "records:1"); l.Writer != "" {
			t.Fatalf("released lease still held: %+v", l)
		}

		db.HeartbeatRealtimeNode(ctx, "a", "host=x", now)
		db.HeartbeatRealtimeNode(ctx, "b", "host=y", now-60000)
		nodes, err := db.RealtimeNodes(ctx, now-10000)
		if err != nil || len(nodes) != 1 || nodes[0].ID != "a" {
			t.Fatalf("live nodes %+v %v", nodes, err)
		}
		db.RemoveRealtimeNode(ctx, "a", now-30000)
		if nodes, _ := db.RealtimeNodes(ctx, 0); len(nodes) != 0 {
			t.Fatalf("nodes left %+v", nodes)
		}
	})
}

// NOTIFY reaches a listener on the channel of the same schema.
func TestRealtimeListen(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != store.Postgres {
			t.Skip("LISTEN/NOTIFY is PostgreSQL only")
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch, _ := db.RealtimeChannel(ctx)
		got := make(chan string, 4)
		ready := make(chan struct{})
		go db.ListenRealtime(ctx, ch, func() { close(ready) }, func(p string) { got <- p })
		select {
		case <-ready:
		case <-time.After(10 * time.Second):
			t.Fatal("listener not ready")
		}
		if _, err := db.AppendRealtimeUpdates(ctx, "a", []store.RealtimeUpdate{{RoomID: "r", Data: []byte{1}}}, ch, "u|a"); err != nil {
			t.Fatal(err)
		}
		db.NotifyRealtime(ctx, ch, "a|x|y")
		for _, want := range []string{"u|a", "a|x|y"} {
			select {
			case p := <-got:
				if p != want {
					t.Fatalf("payload %q, want %q", p, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no notification %q", want)
			}
		}
	})
}
