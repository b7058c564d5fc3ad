package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/pmdoc"
	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
	"github.com/gorilla/websocket"
)

func TestMain(m *testing.M) {
	for _, k := range []string{civicpress.EnvProjectDir, civicpress.EnvDataDir, civicpress.EnvDatabaseURL,
		civicpress.EnvSecret, civicpress.EnvSecretFile, civicpress.EnvAdminUsername, civicpress.EnvAdminPassword,
		EnvEnabled, EnvEnabledUpstream, EnvAddr} {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeRecords stands in for core's records service in tests.
type fakeRecords struct {
	mu      sync.Mutex
	recs    map[string]*recordInfo
	saves   []savedDraft
	failErr error
	loads   map[string]int // Load calls per id
}

type savedDraft struct {
	ID, Markdown string
	Users        []int64
}

func (f *fakeRecords) Load(ctx context.Context, id string) (*recordInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.loads == nil {
		f.loads = map[string]int{}
	}
	f.loads[id]++
	r, ok := f.recs[id]
	if !ok {
		return nil, &civicpress.Error{Kind: civicpress.ErrNotFound, Code: civicpress.CodeRecordNotFound}
	}
	cp := *r
	return &cp, nil
}

func (f *fakeRecords) SaveDraft(ctx context.Context, id, md string, users []*civicpress.User) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failErr != nil {
		return f.failErr
	}
	var ids []int64
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	f.saves = append(f.saves, savedDraft{id, md, ids})
	if r := f.recs[id]; r != nil {
		r.HasDraft, r.DraftBody = true, md
	}
	return nil
}

func (f *fakeRecords) loadCount(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.loads[id]
}

func (f *fakeRecords) put(r *recordInfo) {
	f.mu.Lock()
	f.recs[r.ID] = r
	f.mu.Unlock()
}

func (f *fakeRecords) drafts(id string) []savedDraft {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []savedDraft
	for _, s := range f.saves {
		if s.ID == id {
			out = append(out, s)
		}
	}
	return out
}

type env struct {
	t    testing.TB
	core *civicpress.Core
	hub  *Hub
	srv  *httptest.Server
	recs *fakeRecords
	base string // ws://host/realtime
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Logger = quiet
	cfg.WritebackDelay = 100 * time.Millisecond
	cfg.WritebackMaxDelay = 400 * time.Millisecond
	cfg.GracePeriod = time.Hour
	// The suite runs with the update log (SQLite's default is off); tests
	// of memory mode say so.
	cfg.Cluster = ClusterOn
	return cfg
}

func openCore(t testing.TB, dir string) *civicpress.Core {
	t.Helper()
	core, err := civicpress.Open(context.Background(), civicpress.Config{ProjectDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	return core
}

func newEnv(t testing.TB, mutate func(*Config)) *env {
	t.Helper()
	core := openCore(t, t.TempDir())
	return newEnvCore(t, core, mutate)
}

func newEnvCore(t testing.TB, core *civicpress.Core, mutate func(*Config)) *env {
	t.Helper()
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	recs := &fakeRecords{recs: map[string]*recordInfo{}}
	recs.put(&recordInfo{ID: "bylaw-1", Type: "bylaw", Title: "Noise", Status: "published", HasPublished: true,
		PublishedBody: "# Noise Bylaw\n\nQuiet hours start at 22:00."})
	recs.put(&recordInfo{ID: "empty-1", Type: "bylaw", Title: "Empty", Status: "draft", HasDraft: true})
	hub, err := newHub(core, cfg, recs, coreSnapshots{core})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(hub)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		hub.Shutdown(ctx)
	})
	return &env{t: t, core: core, hub: hub, srv: srv, recs: recs,
		base: "ws" + strings.TrimPrefix(srv.URL, "http") + strings.TrimRight(cfg.Path, "/")}
}

var userSeq int

func (e *env) user(role string) (*civicpress.User, string) {
	e.t.Helper()
	userSeq++
	name := fmt.Sprintf("%s%d", role, userSeq)
	u, err := e.core.Users().Create(context.Background(), civicpress.System, civicpress.NewUser{Username: name, Role: role, Email: name + "@example.org"})
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := e.core.Auth().IssueSession(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u, s.Token
}

// tclient is a y-websocket client built on internal/yjs.
type tclient struct {
	t     testing.TB
	conn  *websocket.Conn
	proto string
	wmu   sync.Mutex

	mu        sync.Mutex
	doc       *yjs.Doc
	synced    bool
	frames    []frameRec // every frame received, in order
	controls  []map[string]any
	awareness map[uint64]any
	closeCode int
	closeMsg  string
	done      chan struct{}
	noAnswer  bool     // do not answer the server's step 1 (raw tests)
	seen      [][]byte // document updates received (step 2 and updates)
}

type frameRec struct {
	text bool
	data []byte
}

type dialOpts struct {
	control  bool
	bearer   bool
	protos   []string
	header   http.Header
	doc      *yjs.Doc
	raw      bool // send nothing on open
	noAnswer bool
	path     string // instead of /records/<id>
}

func (e *env) dial(token, record string, o dialOpts) (*tclient, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	h := http.Header{}
	for k, v := range o.header {
		h[k] = v
	}
	protos := o.protos
	if token != "" {
		if o.bearer {
			h.Set("Authorization", "Bearer "+token)
		} else {
			protos = append([]string{"auth." + token}, protos...)
		}
	}
	if o.control {
		protos = append(protos, ControlProtocol)
	}
	d.Subprotocols = protos
	path := o.path
	if path == "" {
		path = "/records/" + record
	}
	conn, resp, err := d.Dial(e.base+path, h)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	doc := o.doc
	if doc == nil {
		doc = yjs.NewDoc(yjs.Options{})
	}
	c := &tclient{t: e.t, conn: conn, proto: resp.Header.Get("Sec-WebSocket-Protocol"), doc: doc,
		awareness: map[uint64]any{}, done: make(chan struct{}), noAnswer: o.noAnswer}
	go c.read()
	if !o.raw {
		c.mu.Lock()
		step1 := yproto.SyncFrame(yproto.Step1(c.doc))
		c.mu.Unlock()
		c.write(step1)
	}
	e.t.Cleanup(func() { c.conn.Close() })
	return c, nil
}

func (e *env) mustDial(token, record string, o dialOpts) *tclient {
	e.t.Helper()
	c, err := e.dial(token, record, o)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (c *tclient) write(frame []byte) {
	c.writeType(websocket.BinaryMessage, frame)
}

func (c *tclient) writeType(t int, frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.conn.WriteMessage(t, frame)
}

func (c *tclient) read() {
	defer close(c.done)
	for {
		t, msg, err := c.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			c.mu.Lock()
			if errors.As(err, &ce) {
				c.closeCode, c.closeMsg = ce.Code, ce.Text
			} else if c.closeCode == 0 {
				c.closeCode = -1
			}
			c.mu.Unlock()
			return
		}
		c.mu.Lock()
		c.frames = append(c.frames, frameRec{t == websocket.TextMessage, msg})
		if t == websocket.TextMessage {
			var m map[string]any
			json.Unmarshal(msg, &m)
			c.controls = append(c.controls, m)
			c.mu.Unlock()
			continue
		}
		var reply []byte
		f, err := yproto.DecodeFrame(msg)
		if err == nil {
			switch f.Type {
			case yproto.FrameSync:
				if f.Sync.Type == yproto.SyncStep1 && c.noAnswer {
					break
				}
				r, _, herr := yproto.Handle(c.doc, f.Sync, "remote")
				if herr == nil && r != nil {
					reply = yproto.SyncFrame(*r)
				}
				if f.Sync.Type == yproto.SyncStep2 {
					c.synced = true
				}
				if f.Sync.Type != yproto.SyncStep1 {
					// Everything the server told this client (see TestKillNode).
					c.seen = append(c.seen, append([]byte(nil), f.Sync.Payload...))
				}
			case yproto.FrameAwareness:
				if es, err := yproto.DecodeAwarenessUpdate(f.Awareness); err == nil {
					for _, en := range es {
						if en.State == nil {
							delete(c.awareness, en.Client)
						} else {
							c.awareness[en.Client] = en.State
						}
					}
				}
			}
		}
		c.mu.Unlock()
		if reply != nil {
			c.write(reply)
		}
	}
}

// edit makes a local change and sends it as y-websocket does.
func (c *tclient) edit(fn func(tx *yjs.Txn, frag yjs.XmlFragment) error) {
	c.t.Helper()
	c.mu.Lock()
	frag := c.doc.XmlFragment(pmdoc.Fragment)
	u, err := c.doc.Transact("local", func(tx *yjs.Txn) error { return fn(tx, frag) })
	c.mu.Unlock()
	if err != nil {
		c.t.Fatal(err)
	}
	if u != nil {
		c.write(yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: u}))
	}
}

// appendParagraph adds a paragraph holding text at the end.
func (c *tclient) appendParagraph(text string) {
	c.edit(func(tx *yjs.Txn, frag yjs.XmlFragment) error {
		p := yjs.NewXmlElement("paragraph")
		t := yjs.NewXmlText()
		if err := frag.Insert(tx, frag.Len(), p); err != nil {
			return err
		}
		if err := p.Insert(tx, 0, t); err != nil {
			return err
		}
		return t.Insert(tx, 0, text, nil)
	})
}

func (c *tclient) setAwareness(client, clock uint64, state any) {
	c.write(yproto.AwarenessFrame(yproto.EncodeAwarenessUpdate([]yproto.AwarenessEntry{{Client: client, Clock: clock, State: state}})))
}

func (c *tclient) markdown() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return pmdoc.DocumentToMarkdown(c.doc)
}

func (c *tclient) isSynced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.synced
}

func (c *tclient) closed() (int, string, bool) {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.closeCode, c.closeMsg, true
	default:
		return 0, "", false
	}
}

// waitClose waits for the server to close the connection and returns the code and reason.
func (c *tclient) waitClose(d time.Duration) (int, string) {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(d):
		c.t.Fatalf("connection still open after %v", d)
	}
	code, msg, _ := c.closed()
	return code, msg
}

func (c *tclient) textFrames() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, f := range c.frames {
		if f.text {
			n++
		}
	}
	return n
}

func (c *tclient) controlEvents() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.controls {
		ev, _ := m["event"].(string)
		if ev == "" {
			ev, _ = m["type"].(string)
		}
		if ev == "error" {
			if e, ok := m["error"].(map[string]any); ok {
				ev += ":" + fmt.Sprint(e["code"])
			}
		}
		out = append(out, ev)
	}
	return out
}

func (c *tclient) controlMessages() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.controls...)
}

func (c *tclient) awarenessStates() map[uint64]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[uint64]any{}
	for k, v := range c.awareness {
		out[k] = v
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) roomDoc(record string) (md string, ok bool) {
	r := e.hub.roomOf(record)
	if r == nil {
		return "", false
	}
	<-r.ready
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.doc == nil {
		return "", false
	}
	return pmdoc.DocumentToMarkdown(r.doc), true
}
