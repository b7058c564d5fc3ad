package realtime

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
)

// FuzzFrames feeds arbitrary client frames to a room through the hub's
// frame handler (as an editor and as a view-only client): no input may
// panic the hub, and the room keeps serving afterwards.
func FuzzFrames(f *testing.F) {
	doc := yjs.NewDoc(yjs.Options{ClientID: 9})
	frag := doc.XmlFragment("default")
	u, _ := doc.Transact(nil, func(tx *yjs.Txn) error {
		p := yjs.NewXmlElement("paragraph")
		return frag.Insert(tx, 0, p)
	})
	f.Add(yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: u}))
	f.Add(yproto.SyncFrame(yproto.Step1(doc)))
	f.Add(yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncStep2, Payload: u}))
	f.Add(yproto.AwarenessFrame(yproto.EncodeAwarenessUpdate([]yproto.AwarenessEntry{{Client: 1, Clock: 1, State: map[string]any{"a": 1}}})))
	f.Add([]byte{3})
	f.Add([]byte{0, 0, 5, 1, 2})
	f.Add([]byte{1, 200, 1})
	f.Add([]byte{})

	h := &Hub{cfg: testConfig(), log: quiet, rooms: map[string]*room{}, clients: map[*client]struct{}{},
		byUser: map[int64]map[*client]struct{}{}, byIP: map[string]int{}}
	h.recs = &fakeRecords{recs: map[string]*recordInfo{}}
	_, _, err := seedDoc("records:fuzz", "# Fuzz\n\ntext")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		d, _, _ := seedDoc("records:fuzz", "# Fuzz\n\ntext")
		rr := newRoom(h, "records:fuzz", &recordInfo{ID: "fuzz", Type: "bylaw"})
		rr.doc, rr.aw = d, newPresence()
		rr.h.cfg.WritebackDelay = time.Hour
		close(rr.ready)
		ed := &client{h: h, id: "ed", room: rr, sync: syncDone}
		ed.canEdit.Store(true)
		ro := &client{h: h, id: "ro", room: rr, sync: syncSuspect, pendingSV: []byte{0}}
		rr.clients = []*client{ed, ro}
		h.handleFrame(ed, frame)
		h.handleFrame(ro, frame)
		rr.stopTimers()
		if _, err := docMarkdown(rr.doc); err != nil {
			t.Logf("document no longer serializes: %v", err)
		}
	})
}

// FuzzNotice feeds arbitrary NOTIFY payloads (as another node would send,
// or anyone able to NOTIFY on the database) to a node: nothing panics, and
// a room only ever takes awareness frames from them.
func FuzzNotice(f *testing.F) {
	var enc lib0.Encoder
	enc.WriteVarString("records:fuzz")
	enc.WriteVarBytes(yproto.AwarenessFrame(yproto.EncodeAwarenessUpdate([]yproto.AwarenessEntry{{Client: 5, Clock: 1, State: map[string]any{"u": 1}}})))
	f.Add("a|other|" + base64.StdEncoding.EncodeToString(enc.Buf))
	f.Add("u|other")
	f.Add("a|other|!!!")
	f.Add("a|")
	f.Add("")
	h := &Hub{cfg: testConfig(), log: quiet, rooms: map[string]*room{}, clients: map[*client]struct{}{},
		byUser: map[int64]map[*client]struct{}{}, byIP: map[string]int{}}
	cl := &cluster{h: h, node: "self", tailWake: make(chan struct{}, 1), awIn: make(chan string, 1)}
	d, _, _ := seedDoc("records:fuzz", "# Fuzz")
	r := newRoom(h, "records:fuzz", &recordInfo{ID: "fuzz", Type: "bylaw"})
	r.doc, r.aw = d, newPresence()
	close(r.ready)
	h.rooms[r.key] = r
	f.Fuzz(func(t *testing.T, p string) {
		cl.onNotice(p)
		select {
		case rest := <-cl.awIn:
			cl.applyRemoteAwareness(rest)
		default:
		}
		select {
		case <-cl.tailWake:
		default:
		}
	})
}
