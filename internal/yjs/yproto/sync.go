// Package yproto implements the y-protocols messages a Yjs server speaks:
// sync (step 1, step 2, update) and awareness, plus the y-websocket frame
// envelope. Everything is a pure function or a plain value; the caller owns
// sockets, rooms and locking.
package yproto

import (
	"errors"
	"fmt"

	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// Sync message types (y-protocols/sync).
const (
	SyncStep1  = 0 // payload: encoded state vector
	SyncStep2  = 1 // payload: update (the diff for the receiver's state vector)
	SyncUpdate = 2 // payload: update
)

// y-websocket frame types.
const (
	FrameSync      = 0
	FrameAwareness = 1
)

// ErrMalformed wraps every decoding failure.
var ErrMalformed = errors.New("yproto: malformed message")

// SyncMessage is one y-protocols sync message.
type SyncMessage struct {
	Type    uint64
	Payload []byte
}

// Encode writes varUint(type) varUint8Array(payload).
func (m SyncMessage) Encode() []byte {
	var e lib0.Encoder
	e.WriteVarUint(m.Type)
	e.WriteVarBytes(m.Payload)
	return e.Buf
}

// DecodeSyncMessage reads a sync message (trailing bytes are ignored, as
// y-protocols does). Payload aliases b.
func DecodeSyncMessage(b []byte) (SyncMessage, error) {
	d := lib0.NewDecoder(b)
	return readSync(d)
}

func readSync(d *lib0.Decoder) (SyncMessage, error) {
	t := d.ReadVarUint()
	p := d.ReadVarBytes()
	if err := d.Err(); err != nil {
		return SyncMessage{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if t > SyncUpdate {
		return SyncMessage{}, fmt.Errorf("%w: unknown sync message type %d", ErrMalformed, t)
	}
	return SyncMessage{Type: t, Payload: p}, nil
}

// Step1 returns the sync step 1 message announcing doc's state vector.
func Step1(doc *yjs.Doc) SyncMessage {
	return SyncMessage{Type: SyncStep1, Payload: doc.EncodeStateVector()}
}

// Step2 answers a peer's step 1: the exact diff for its state vector.
func Step2(doc *yjs.Doc, stateVector []byte) (SyncMessage, error) {
	u, err := doc.EncodeStateAsUpdate(stateVector)
	if err != nil {
		return SyncMessage{}, err
	}
	return SyncMessage{Type: SyncStep2, Payload: u}, nil
}

// Handle processes a sync message for doc as y-protocols readSyncMessage
// does: step 1 yields a step 2 reply; step 2 and update are applied with
// origin, and changed reports whether the document changed.
func Handle(doc *yjs.Doc, m SyncMessage, origin any) (reply *SyncMessage, changed bool, err error) {
	switch m.Type {
	case SyncStep1:
		r, err := Step2(doc, m.Payload)
		if err != nil {
			return nil, false, err
		}
		return &r, false, nil
	case SyncStep2, SyncUpdate:
		changed, err := doc.ApplyUpdateOrigin(m.Payload, origin)
		return nil, changed, err
	}
	return nil, false, fmt.Errorf("%w: unknown sync message type %d", ErrMalformed, m.Type)
}

// Frame is a decoded y-websocket frame.
type Frame struct {
	Type      uint64      // FrameSync or FrameAwareness (others are reported, not decoded)
	Sync      SyncMessage // when Type == FrameSync
	Awareness []byte      // awareness update, when Type == FrameAwareness
}

// DecodeFrame reads a y-websocket binary frame. Unknown frame types return
// the type with no error so the caller can decide; payloads alias b.
func DecodeFrame(b []byte) (Frame, error) {
	d := lib0.NewDecoder(b)
	t := d.ReadVarUint()
	if err := d.Err(); err != nil {
		return Frame{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	f := Frame{Type: t}
	switch t {
	case FrameSync:
		m, err := readSync(d)
		if err != nil {
			return Frame{}, err
		}
		f.Sync = m
	case FrameAwareness:
		f.Awareness = d.ReadVarBytes()
		if err := d.Err(); err != nil {
			return Frame{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	return f, nil
}

// SyncFrame wraps a sync message in a y-websocket frame.
func SyncFrame(m SyncMessage) []byte {
	var e lib0.Encoder
	e.WriteVarUint(FrameSync)
	e.WriteVarUint(m.Type)
	e.WriteVarBytes(m.Payload)
	return e.Buf
}

// AwarenessFrame wraps an awareness update in a y-websocket frame.
func AwarenessFrame(update []byte) []byte {
	var e lib0.Encoder
	e.WriteVarUint(FrameAwareness)
	e.WriteVarBytes(update)
	return e.Buf
}
