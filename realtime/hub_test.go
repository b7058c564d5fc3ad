package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
	"github.com/gorilla/websocket"
)

const wait = 5 * time.Second

func TestJoinSyncsSeededDocumentAndEditsConverge(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	b := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "both synced", func() bool { return a.isSynced() && b.isSynced() })
	want := "# Noise Bylaw\n\nQuiet hours start at 22:00."
	if got := a.markdown(); got != want {
		t.Fatalf("seeded document = %q, want %q", got, want)
	}
	a.appendParagraph("From A.")
	b.appendParagraph("From B.")
	waitFor(t, wait, "convergence", func() bool {
		ma, mb := a.markdown(), b.markdown()
		return ma == mb && strings.Contains(ma, "From A.") && strings.Contains(ma, "From B.")
	})
	// A late joiner gets the whole document.
	c := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "late joiner", func() bool { return c.markdown() == a.markdown() })
	if md, _ := e.roomDoc("bylaw-1"); md != a.markdown() {
		t.Fatalf("server document %q != clients' %q", md, a.markdown())
	}
	// Stock clients get binary frames only.
	for _, cl := range []*tclient{a, b, c} {
		if n := cl.textFrames(); n != 0 {
			t.Fatalf("a client without %s received %d text frames", ControlProtocol, n)
		}
	}
}

func TestServerSendsStep1AndStep2OnJoin(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	c := e.mustDial(tok, "bylaw-1", dialOpts{raw: true, noAnswer: true})
	waitFor(t, wait, "step 1 and step 2", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		var types []uint64
		for _, f := range c.frames {
			if fr, err := yproto.DecodeFrame(f.data); err == nil && fr.Type == yproto.FrameSync {
				types = append(types, fr.Sync.Type)
			}
		}
		return len(types) >= 2 && types[0] == yproto.SyncStep1 && types[1] == yproto.SyncStep2
	})
	if !strings.Contains(c.markdown(), "Quiet hours") {
		t.Fatalf("step 2 did not carry the document: %q", c.markdown())
	}
}

func TestStep1IsAnsweredWithTheExactDiff(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	a := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", a.isSynced)
	a.appendParagraph("one")
	waitFor(t, wait, "server has the edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "one") })

	// A client holding everything but the last edit sends its state vector.
	old := yjs.NewDoc(yjs.Options{})
	e.hub.mu.Lock()
	r := e.hub.rooms["records:bylaw-1"]
	e.hub.mu.Unlock()
	// Build the old copy: the seeded state only (from a fresh seed).
	seed, _, err := seedDoc("records:bylaw-1", "# Noise Bylaw\n\nQuiet hours start at 22:00.")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := seed.EncodeStateAsUpdate(nil)
	old.ApplyUpdate(st)
	oldSV := old.EncodeStateVector()
	b := e.mustDial(tok, "bylaw-1", dialOpts{doc: old, noAnswer: true})
	var step2 []byte
	waitFor(t, wait, "step 2", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, f := range b.frames {
			if fr, err := yproto.DecodeFrame(f.data); err == nil && fr.Type == yproto.FrameSync && fr.Sync.Type == yproto.SyncStep2 {
				step2 = fr.Sync.Payload
				return true
			}
		}
		return false
	})
	r.mu.Lock()
	want, _ := r.doc.EncodeStateAsUpdate(oldSV)
	r.mu.Unlock()
	if !bytes.Equal(step2, want) {
		t.Fatalf("step 2 is not the diff for the client's state vector (%d bytes, want %d)", len(step2), len(want))
	}
	if fullLen := len(st); len(step2) >= fullLen+100 {
		t.Fatalf("diff (%d bytes) looks like the whole document", len(step2))
	}
	waitFor(t, wait, "old copy catches up", func() bool { return strings.Contains(b.markdown(), "one") })
}

func TestHandshakeFailuresUseCloseCodes(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	cases := []struct {
		name   string
		token  string
		record string
		o      dialOpts
		code   int
		reason string
	}{
		{"no token", "", "bylaw-1", dialOpts{}, CloseAuth, `"code":"AUTH_FAILED"`},
		{"bad token", "nope", "bylaw-1", dialOpts{}, CloseAuth, `"code":"AUTH_FAILED"`},
		{"query token", "", "bylaw-1", dialOpts{path: "/records/bylaw-1?token=" + tok}, CloseAuth, "query-string"},
		{"unknown room type", tok, "", dialOpts{path: "/widgets/x"}, CloseUnknownRoomType, "ROOM_TYPE_NOT_REGISTERED"},
		{"missing record", tok, "nope", dialOpts{}, CloseForbidden, "RECORD_NOT_FOUND"},
		{"bad room url", tok, "", dialOpts{path: "/records"}, CloseForbidden, "INVALID_ROOM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, control := range []bool{false, true} {
				tc.o.control = control
				c, err := e.dial(tc.token, tc.record, tc.o)
				if err != nil {
					t.Fatal(err)
				}
				code, reason := c.waitClose(wait)
				if code != tc.code || !strings.Contains(reason, tc.reason) {
					t.Fatalf("close %d %q, want %d containing %q", code, reason, tc.code, tc.reason)
				}
				if !json.Valid([]byte(reason)) {
					t.Fatalf("reason %q is not JSON", reason)
				}
				if got := c.textFrames(); (got > 0) != control {
					t.Fatalf("control=%v: %d text frames", control, got)
				}
			}
		})
	}
	// The singular room type is the plural one.
	c := e.mustDial(tok, "", dialOpts{path: "/record/bylaw-1"})
	waitFor(t, wait, "sync via /record/", c.isSynced)
	// The auth subprotocol is echoed.
	if !strings.HasPrefix(c.proto, "auth.") {
		t.Fatalf("echoed subprotocol %q", c.proto)
	}
	// Bearer works too.
	d := e.mustDial(tok, "bylaw-1", dialOpts{bearer: true})
	waitFor(t, wait, "sync via Bearer", d.isSynced)

	// Plain HTTP.
	resp, err := http.Get(e.srv.URL + "/realtime/records/bylaw-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d", resp.StatusCode)
	}
	resp, err = http.Get(e.srv.URL + "/elsewhere/records/bylaw-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("outside the prefix: %d", resp.StatusCode)
	}
}

func TestControlFramesForOptedInClients(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	c := e.mustDial(tok, "bylaw-1", dialOpts{control: true})
	waitFor(t, wait, "ack", func() bool { ev := c.controlEvents(); return len(ev) > 0 && ev[0] == "connection.ack" })
	c.mu.Lock()
	ack := c.controls[0]
	c.mu.Unlock()
	if ack["roomId"] != "records:bylaw-1" || !strings.HasPrefix(ack["clientId"].(string), "client_") || ack["type"] != "control" {
		t.Fatalf("ack %v", ack)
	}
	c.writeType(websocket.TextMessage, []byte(`{"type":"ping"}`))
	waitFor(t, wait, "pong", func() bool {
		for _, ev := range c.controlEvents() {
			if ev == "pong" {
				return true
			}
		}
		return false
	})
}

func TestPathPrefixIsHonoured(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Path = "/collab/ws" })
	_, tok := e.user("clerk")
	c := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync under /collab/ws", c.isSynced)
	if !strings.HasSuffix(e.base, "/collab/ws") {
		t.Fatalf("base %s", e.base)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.user("clerk")
	c := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", c.isSynced)
	for _, p := range []string{"/health", "/realtime/health"} {
		resp, err := http.Get(e.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		var h Health
		json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if resp.StatusCode != 200 || h.Status != "healthy" || h.Connections.Total != 1 || h.Rooms.Total != 1 ||
			h.Rooms.MaxRooms != 100 || h.Limits.ConnectionsPerUser != 10 {
			t.Fatalf("%s: %d %+v", p, resp.StatusCode, h)
		}
	}
}

func TestShutdownFlushesRooms(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.WritebackDelay = time.Hour; c.WritebackMaxDelay = time.Hour })
	_, tok := e.user("clerk")
	c := e.mustDial(tok, "bylaw-1", dialOpts{})
	waitFor(t, wait, "sync", c.isSynced)
	c.appendParagraph("Unsaved edit.")
	waitFor(t, wait, "server has the edit", func() bool { md, _ := e.roomDoc("bylaw-1"); return strings.Contains(md, "Unsaved edit.") })
	if n := len(e.recs.drafts("bylaw-1")); n != 0 {
		t.Fatalf("%d drafts before shutdown", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	ds := e.recs.drafts("bylaw-1")
	if len(ds) != 1 || !strings.Contains(ds[0].Markdown, "Unsaved edit.") {
		t.Fatalf("drafts after shutdown: %+v", ds)
	}
	code, _ := c.waitClose(wait)
	if code != websocket.CloseGoingAway {
		t.Fatalf("close code %d", code)
	}
}
