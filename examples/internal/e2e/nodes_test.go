package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterYML shares rooms between the nodes through the database's update log.
const clusterYML = `cluster:
  enabled: true
rooms:
  grace_period_ms: 0
snapshots:
  writeback_delay_ms: 300
  writeback_max_delay_ms: 1000
`

// paragraphs returns the set of the Markdown's lines.
func paragraphs(md string) map[string]bool {
	out := map[string]bool{}
	for _, l := range strings.Split(md, "\n") {
		out[strings.TrimSpace(l)] = true
	}
	return out
}

// missing lists the typed paragraphs md lacks.
func missing(md string, typed []string) []string {
	have := paragraphs(md)
	var out []string
	for _, s := range typed {
		if !have[s] {
			out = append(out, s)
		}
	}
	return out
}

// TestRealtimeNodes (issue 8 §3; on SQLite too, where cluster.enabled: true
// shares rooms through the same log in the SQLite file): two standalone-realtime nodes
// serve one record; clients on different nodes converge; one node is
// killed with SIGKILL while everyone types, its clients reconnect to the
// other node, and nothing anyone typed is lost, neither on the survivor nor
// in the database (a third node started afterwards serves all of it).
func TestRealtimeNodes(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testRealtimeNodes(t, b) })
	}
}

func testRealtimeNodes(t *testing.T, b backend) {
	needBinaries(t)
	dbURL := b.url(t)
	dir := filepath.Join(t.TempDir(), "project")
	writeRealtimeConfig(t, dir, clusterYML)
	_, api := startAPI(t, dir, dbURL)
	token := api.login("admin", adminPassword)
	id := api.createDraft(token, "Ferry Schedule", "# Ferry Schedule\n\nIntroduction.\n")
	node1, rooms1 := startRealtime(t, dir, dbURL)
	node2, rooms2 := startRealtime(t, dir, dbURL)
	room1, room2 := rooms1+"/records/"+id, rooms2+"/records/"+id

	clients := []*wsClient{mustDial(t, room1, token), mustDial(t, room1, token), mustDial(t, room2, token), mustDial(t, room2, token)}
	names := []string{"a", "b", "c", "d"} // a, b on node 1; c, d on node 2
	var all []string
	for i, c := range clients {
		s := "hello from " + names[i]
		if err := c.appendParagraph(s); err != nil {
			t.Fatal(err)
		}
		all = append(all, s)
	}
	eventually(t, 15*time.Second, "clients on both nodes converge", func() bool {
		for _, c := range clients {
			if len(missing(c.markdown(), all)) > 0 {
				return false
			}
		}
		return true
	})

	// Everyone types; node 1 dies mid-typing.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-time.After(15 * time.Millisecond):
				}
				if c.appendParagraph(fmt.Sprintf("%s%d", names[i], n)) != nil {
					return // the node is gone; the text stays in the client's document
				}
			}
		}()
	}
	eventually(t, 30*time.Second, "typing under way", func() bool {
		for _, c := range clients {
			if len(c.typed()) < 20 {
				return false
			}
		}
		return true
	})
	node1.kill()
	for _, c := range clients[:2] {
		if code, _ := c.waitClosed(t, 10*time.Second); code == 1000 {
			t.Fatalf("node 1 closed its clients normally (%d): it was not killed", code)
		}
	}
	close(stop)
	wg.Wait()

	// Before anyone resends anything: the survivor holds every update its
	// own clients were given (each was in the shared log before it was
	// relayed, so node 1's death cannot take it away).
	fresh := mustDial(t, room2, token)
	for _, c := range clients[2:] {
		if ok, err := fresh.holdsAll(c.seenUpdates()); !ok {
			t.Fatalf("the survivor lacks updates its clients were given (err %v)", err)
		}
	}

	// Node 1's clients reconnect to node 2 with their documents, as
	// y-websocket does, and everyone converges on everything typed.
	for i := range 2 {
		old := clients[i]
		c, err := dialWS(room2, token, old.doc)
		if err != nil {
			t.Fatal(err)
		}
		c.sent = old.typed()
		t.Cleanup(c.close)
		c.waitSynced(t)
		clients[i] = c
	}
	var typed []string
	for _, c := range clients {
		typed = append(typed, c.typed()...)
	}
	eventually(t, 20*time.Second, "every client and a newcomer hold everything typed", func() bool {
		md := fresh.markdown()
		if len(missing(md, typed)) > 0 {
			return false
		}
		for _, c := range clients {
			if c.markdown() != md {
				return false
			}
		}
		return true
	})
	t.Logf("%d paragraphs typed by 4 clients on 2 nodes; node 1 killed; nothing lost", len(typed))

	// Durable: with every client gone and node 2 stopped, a new node serves
	// the room from the database with everything in it.
	for _, c := range append(clients, fresh) {
		c.close()
	}
	node2.stop()
	_, rooms3 := startRealtime(t, dir, dbURL)
	last := mustDial(t, rooms3+"/records/"+id, token)
	if m := missing(last.markdown(), typed); len(m) > 0 {
		t.Fatalf("a new node lacks %d of %d typed paragraphs (first %q)", len(m), len(typed), m[0])
	}
}
