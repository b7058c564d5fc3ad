package yproto

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/yjs"
)

// FuzzSyncFrame decodes and handles arbitrary y-websocket frames.
func FuzzSyncFrame(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0})
	f.Add([]byte{0, 1, 2, 0, 0})
	f.Add([]byte{0, 2, 3, 1, 0, 0})
	f.Add([]byte{1, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data)
		if err != nil {
			return
		}
		if fr.Type != FrameSync {
			return
		}
		doc := yjs.NewDoc(yjs.Options{ClientID: 1})
		reply, _, err := Handle(doc, fr.Sync, "peer")
		if errors.Is(err, yjs.ErrInternal) {
			t.Fatal(err)
		}
		if reply != nil {
			if _, err := DecodeSyncMessage(reply.Encode()); err != nil {
				t.Fatalf("own reply does not decode: %v", err)
			}
		}
	})
}

// FuzzAwareness applies arbitrary awareness updates; accepted ones must
// re-encode to an update that decodes to the same entries.
func FuzzAwareness(f *testing.F) {
	f.Add(EncodeAwarenessUpdate([]AwarenessEntry{{Client: 1, Clock: 2, State: mustJSON(`{"user":{"name":"a"}}`)}}))
	f.Add([]byte{1, 5, 1, 4, 'n', 'u', 'l', 'l'})
	f.Fuzz(func(t *testing.T, data []byte) {
		a := NewAwareness(99)
		ch, err := a.Apply(data, time.Unix(0, 0))
		if err != nil {
			return
		}
		enc := a.Encode(a.Clients())
		entries, err := DecodeAwarenessUpdate(enc)
		if err != nil {
			t.Fatalf("own encoding rejected: %v", err)
		}
		if !bytes.Equal(EncodeAwarenessUpdate(entries), enc) {
			t.Fatal("awareness encoding not stable")
		}
		_ = ch
	})
}
