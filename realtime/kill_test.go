package realtime

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/store/storetest"
	"github.com/civicpress/civicpress-go/internal/yjs"
)

// Environment of a helper node process (TestHelperNode).
const (
	envHelperDir = "CIVIC_RT_TEST_NODE_DIR"
	envHelperDB  = "CIVIC_RT_TEST_NODE_DB"
)

// TestHelperNode is not a test: it is the realtime node process that
// TestKillNode starts (the test binary re-executed): the hub on its own
// core over the shared project, on 127.0.0.1 with a free port it prints,
// until it is killed or its stdin closes.
func TestHelperNode(t *testing.T) {
	dir := os.Getenv(envHelperDir)
	if dir == "" {
		t.Skip("helper process for TestKillNode")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	core, err := civicpress.Open(ctx, civicpress.Config{ProjectDir: dir, DatabaseURL: os.Getenv(envHelperDB), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	cfg, err := LoadConfig(core.Paths().SystemDataDir)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = log
	hub, err := New(core, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("LISTENING %s %s\n", ln.Addr(), hub.NodeID())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	if err := hub.Serve(ctx, ln); err != nil {
		t.Fatal(err)
	}
}

type nodeProc struct {
	cmd  *exec.Cmd
	addr string
	id   string
	done chan struct{}
}

func startNodeProc(t *testing.T, dir, url string) *nodeProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNode$", "-test.v=false")
	cmd.Env = append(os.Environ(), envHelperDir+"="+dir, envHelperDB+"="+url)
	cmd.Stderr = &prefixWriter{t: t}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "LISTENING ") {
				lines <- l
			}
		}
	}()
	select {
	case l := <-lines:
		f := strings.Fields(l)
		p.addr, p.id = f[1], f[2]
	case <-p.done:
		t.Fatal("node process exited before listening")
	case <-time.After(30 * time.Second):
		t.Fatal("node process did not start listening within 30 s")
	}
	return p
}

type prefixWriter struct{ t *testing.T }

func (w *prefixWriter) Write(b []byte) (int, error) {
	w.t.Logf("node: %s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// typist appends to its own paragraph until stopped.
func typist(c *tclient, tag string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	var text yjs.XmlText
	c.edit(func(tx *yjs.Txn, frag yjs.XmlFragment) error {
		p := yjs.NewXmlElement("paragraph")
		text = yjs.NewXmlText()
		if err := frag.Insert(tx, frag.Len(), p); err != nil {
			return err
		}
		return p.Insert(tx, 0, text)
	})
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-time.After(7 * time.Millisecond):
		}
		if _, _, closed := c.closed(); closed {
			return
		}
		c.edit(func(tx *yjs.Txn, _ yjs.XmlFragment) error {
			s := tag
			if i > 0 {
				s = fmt.Sprintf(" %s%d", tag, i)
			}
			return text.Insert(tx, text.Len(), s, nil)
		})
	}
}

// hasAll reports whether doc holds every update (applying them changes
// nothing and leaves nothing pending).
func hasAll(c *tclient, updates [][]byte) (bool, error) {
	if len(updates) == 0 {
		return true, nil
	}
	merged, err := yjs.MergeUpdates(updates...)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	st, err := c.doc.EncodeStateAsUpdate(nil)
	c.mu.Unlock()
	if err != nil {
		return false, err
	}
	cp := yjs.NewDoc(yjs.Options{})
	if err := cp.ApplyUpdate(st); err != nil {
		return false, err
	}
	changed, err := cp.ApplyUpdateOrigin(merged, nil)
	return err == nil && !changed && !cp.HasPending(), err
}

func (c *tclient) seenUpdates() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.seen...)
}

func (c *tclient) state() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, _ := c.doc.EncodeStateAsUpdate(nil)
	return st
}

// TestKillNode: two realtime node processes serve one record; clients on
// both type; one node is killed with SIGKILL mid-typing. Every
// acknowledged update (committed to the log) is in the surviving node's
// document, as a fresh client there sees without help from the
// reconnecting ones: with relay_after_commit, that is every update any
// client had received; without, every update that had reached a client on
// another node than its author's. Then the killed node's clients reconnect
// to the survivor, resending what was never acknowledged, and everyone
// converges; the survivor takes the room's writeback over and the draft
// ends with everything.
func TestKillNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	for _, b := range storetest.Backends() {
		for _, strict := range []bool{true, false} {
			name := b.Name + map[bool]string{true: "/relay_after_commit", false: "/relay_at_once"}[strict]
			t.Run(name, func(t *testing.T) { testKillNode(t, b, strict) })
		}
	}
}

func testKillNode(t *testing.T, b storetest.Backend, strict bool) {
	ctx := context.Background()
	dir, url := t.TempDir(), b.URL(t)
	api := openCoreAt(t, dir, url)
	id := publishedRecord(t, api, "Parking", "# Parking\n\nNo parking on Main Street.")
	yml := fmt.Sprintf("realtime:\n  snapshots:\n    writeback_delay_ms: 200\n    writeback_max_delay_ms: 1000\n"+
		"  cluster:\n    enabled: true\n    relay_after_commit: %v\n    writer_lease_ms: 2000\n", strict)
	if err := os.WriteFile(filepath.Join(api.Paths().SystemDataDir, ConfigFile), []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	n1 := startNodeProc(t, dir, url)
	n2 := startNodeProc(t, dir, url)
	e1 := &env{t: t, core: api, base: "ws://" + n1.addr + "/realtime"}
	e2 := &env{t: t, core: api, base: "ws://" + n2.addr + "/realtime"}
	_, tok1 := e1.user("clerk")
	_, tok2 := e1.user("clerk")
	_, tok3 := e1.user("clerk")
	// The first node opens the room and becomes its writer.
	c1 := e1.mustDial(tok1, id, dialOpts{})
	waitFor(t, 10*time.Second, "sync", c1.isSynced)
	c1.appendParagraph("Before.")
	waitFor(t, 10*time.Second, "first writeback", func() bool {
		d, err := api.Records().GetDraft(ctx, civicpress.System, id)
		return err == nil && strings.Contains(d.Body, "Before.")
	})
	if l, _ := api.RealtimeLog().Lease(ctx, "records:"+id); l.Writer != n1.id {
		t.Fatalf("lease %+v, want node %s", l, n1.id)
	}
	c2 := e1.mustDial(tok2, id, dialOpts{})
	c3 := e2.mustDial(tok3, id, dialOpts{})
	waitFor(t, 10*time.Second, "sync", func() bool { return c2.isSynced() && c3.isSynced() })
	// The nodes know of each other (SQLite nodes poll faster then).
	waitFor(t, 10*time.Second, "both nodes registered", func() bool {
		nodes, _ := api.RealtimeLog().Nodes(ctx)
		return len(nodes) == 2
	})

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go typist(c1, "one", stop, &wg)
	go typist(c2, "two", stop, &wg)
	go typist(c3, "three", stop, &wg)
	// Typing flows across nodes before the kill.
	waitFor(t, 10*time.Second, "cross-node traffic", func() bool {
		return strings.Contains(c3.markdown(), "one20") && strings.Contains(c1.markdown(), "three20")
	})
	if err := n1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-n1.done
	waitFor(t, 10*time.Second, "clients of the killed node see it go", func() bool {
		_, _, d1 := c1.closed()
		_, _, d2 := c2.closed()
		return d1 && d2
	})
	close(stop)
	wg.Wait()
	// Acknowledged updates: all that clients received (strict), else those
	// c3 (on the survivor) received and those of c3's own that reached
	// c1 and c2 (they crossed nodes, so through the log).
	acked := c3.seenUpdates()
	c3.mu.Lock()
	c3id := c3.doc.ClientID()
	c3.mu.Unlock()
	for _, c := range []*tclient{c1, c2} {
		for _, u := range c.seenUpdates() {
			if strict || onlyFrom(u, c3id) {
				acked = append(acked, u)
			}
		}
	}

	if len(acked) < 40 {
		t.Fatalf("only %d updates acknowledged before the kill", len(acked))
	}
	// A fresh client on the survivor, with nobody resending anything.
	f := e2.mustDial(tok3, id, dialOpts{})
	waitFor(t, 10*time.Second, "every acknowledged update on the surviving node", func() bool {
		ok, err := hasAll(f, acked)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	})

	// The killed node's clients reconnect to the survivor with their
	// documents (as y-websocket does) and everyone converges on all of it.
	r1 := e2.mustDial(tok1, id, dialOpts{doc: docFrom(t, c1.state())})
	r2 := e2.mustDial(tok2, id, dialOpts{doc: docFrom(t, c2.state())})
	typed := [][]byte{c1.state(), c2.state(), c3.state()}
	all := []*tclient{r1, r2, c3, f}
	waitFor(t, 15*time.Second, "convergence after reconnecting", func() bool {
		for _, c := range all {
			if ok, _ := hasAll(c, typed); !ok {
				return false
			}
		}
		return true
	})
	md := f.markdown()
	for _, c := range all {
		if got := c.markdown(); got != md {
			t.Fatalf("diverged:\n%q\n%q", got, md)
		}
	}
	for _, tag := range []string{"one", "two", "three"} {
		if strings.Count(md, tag+"1 ") != 1 {
			t.Fatalf("%s's text is missing or doubled: %q", tag, md)
		}
	}
	// The survivor takes the killed writer's lease over when it expires
	// and writes the room back.
	waitFor(t, 20*time.Second, "draft written back by the survivor", func() bool {
		d, err := api.Records().GetDraft(ctx, civicpress.System, id)
		return err == nil && d.Body == md
	})
	l, err := api.RealtimeLog().Lease(ctx, "records:"+id)
	if err != nil || l.Writer != n2.id {
		t.Fatalf("lease %+v %v, want node %s", l, err, n2.id)
	}
}

// onlyFrom reports whether update holds changes of client id only.
func onlyFrom(update []byte, id uint64) bool {
	sv, err := yjs.EncodeStateVectorFromUpdate(update)
	if err != nil {
		return false
	}
	m, err := yjs.DecodeStateVector(sv)
	if err != nil || len(m) != 1 {
		return false
	}
	_, ok := m[id]
	return ok
}

func docFrom(t *testing.T, state []byte) *yjs.Doc {
	d := yjs.NewDoc(yjs.Options{})
	if err := d.ApplyUpdate(state); err != nil {
		t.Fatal(err)
	}
	return d
}
