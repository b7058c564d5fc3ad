package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/pmdoc"
	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
	"github.com/gorilla/websocket"
)

// controlProtocol opts a client in to the hub's JSON control frames.
const controlProtocol = "civicpress.control.v1"

// wsClient is an editor as y-websocket runs one: a Yjs document synced
// with the room (step 1 / step 2 both ways, then updates), here built on
// internal/yjs. It offers the control subprotocol and records the control
// frames and the close code it gets.
type wsClient struct {
	conn *websocket.Conn
	wmu  sync.Mutex

	mu       sync.Mutex
	doc      *yjs.Doc
	synced   bool
	controls []map[string]any
	seen     [][]byte // document updates received from the server
	sent     []string // paragraphs this client typed

	done      chan struct{}
	closeCode int // -1: the connection broke without a close frame
	closedAt  time.Time
}

// dialWS connects to room url (ws://host/realtime/records/<id>) with a
// session token, continuing doc when reconnecting (nil: a new editor).
func dialWS(url, token string, doc *yjs.Doc) (*wsClient, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second,
		Subprotocols: []string{"auth." + token, controlProtocol}}
	conn, resp, err := d.Dial(url, http.Header{})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	if doc == nil {
		doc = yjs.NewDoc(yjs.Options{})
	}
	c := &wsClient{conn: conn, doc: doc, done: make(chan struct{})}
	go c.read()
	c.mu.Lock()
	step1 := yproto.SyncFrame(yproto.Step1(c.doc))
	c.mu.Unlock()
	if err := c.write(step1); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func mustDial(t testing.TB, url, token string) *wsClient {
	t.Helper()
	c, err := dialWS(url, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	c.waitSynced(t)
	return c
}

func (c *wsClient) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.conn.WriteMessage(websocket.BinaryMessage, frame)
}

func (c *wsClient) close() { c.conn.Close() }

func (c *wsClient) read() {
	defer close(c.done)
	for {
		typ, msg, err := c.conn.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.closedAt = time.Now()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				c.closeCode = ce.Code
			} else {
				c.closeCode = -1
			}
			c.mu.Unlock()
			return
		}
		if typ == websocket.TextMessage {
			var m map[string]any
			json.Unmarshal(msg, &m)
			c.mu.Lock()
			c.controls = append(c.controls, m)
			c.mu.Unlock()
			continue
		}
		f, err := yproto.DecodeFrame(msg)
		if err != nil || f.Type != yproto.FrameSync {
			continue // awareness: not needed here
		}
		c.mu.Lock()
		reply, _, herr := yproto.Handle(c.doc, f.Sync, "server")
		if f.Sync.Type == yproto.SyncStep2 {
			c.synced = true
		}
		if f.Sync.Type != yproto.SyncStep1 && herr == nil {
			c.seen = append(c.seen, append([]byte(nil), f.Sync.Payload...))
		}
		c.mu.Unlock()
		if reply != nil {
			c.write(yproto.SyncFrame(*reply))
		}
	}
}

// appendParagraph types a paragraph at the end of the document and sends
// the update, as the editor does.
func (c *wsClient) appendParagraph(text string) error {
	c.mu.Lock()
	frag := c.doc.XmlFragment(pmdoc.Fragment)
	u, err := c.doc.Transact("local", func(tx *yjs.Txn) error {
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
	c.sent = append(c.sent, text)
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.write(yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: u}))
}

func (c *wsClient) markdown() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return pmdoc.DocumentToMarkdown(c.doc)
}

func (c *wsClient) isSynced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.synced
}

func (c *wsClient) waitSynced(t testing.TB) {
	t.Helper()
	eventually(t, 15*time.Second, "sync with the room", func() bool {
		if code, closed := c.closed(); closed {
			t.Fatalf("connection closed (%d) before the room synced", code)
		}
		return c.isSynced()
	})
}

func (c *wsClient) closed() (code int, ok bool) {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.closeCode, true
	default:
		return 0, false
	}
}

// waitClosed waits for the connection to end and returns the close code
// and when the client saw it.
func (c *wsClient) waitClosed(t testing.TB, d time.Duration) (int, time.Time) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(d):
		t.Fatalf("connection still open after %v", d)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode, c.closedAt
}

// control returns the first control frame of event ev, or nil.
func (c *wsClient) control(ev string) map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.controls {
		if m["event"] == ev {
			return m
		}
	}
	return nil
}

func (c *wsClient) seenUpdates() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.seen...)
}

func (c *wsClient) typed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.sent...)
}

// holdsAll reports whether the client's document contains every update in
// updates: applying them to a copy changes nothing and leaves nothing pending.
func (c *wsClient) holdsAll(updates [][]byte) (bool, error) {
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
