package pmdoc

import (
	"math"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// EncodeSeed returns the Yjs update (v1) that seeding an empty document with
// client id clientID produces for doc: the structs y-prosemirror's
// prosemirrorToYXmlFragment creates, written directly (editor-schema.md
// §5.2) without building and integrating Yjs types. The bytes equal those
// of SeedDocument on a fresh document (tested), at a fraction of the cost.
func EncodeSeed(doc *Node, clientID uint64) []byte {
	return encodeSeed(doc, clientID, 0)
}

// headRoom is the space kept in front of the structs for the update header
// (client count, struct count, client id, first clock: at most 1+10+10+1
// bytes), so the header is written in place once the count is known instead
// of copying the whole update behind it.
const headRoom = 24

// encodeSeed takes a size hint (the Markdown length) for the buffer. The
// structs of a typical record take about 3.5 times its Markdown (each text
// run and mark boundary is a struct with an id and origin).
func encodeSeed(doc *Node, clientID uint64, hint int) []byte {
	e := &seedEncoder{client: clientID}
	buf := e.children(make([]byte, headRoom, headRoom+64+hint*4), doc.Content, -1)
	if e.n == 0 {
		return []byte{0, 0}
	}
	var head [headRoom]byte
	h := head[:0]
	h = appendVarUint(h, 1)
	h = appendVarUint(h, uint64(e.n))
	h = appendVarUint(h, clientID)
	h = appendVarUint(h, 0)
	start := headRoom - len(h)
	copy(buf[start:], h)
	return append(buf[start:], 0) // empty delete set
}

type seedEncoder struct {
	client uint64
	clock  int
	n      int    // structs written
	json   []byte // scratch for link attributes
}

// Item info bits and content refs of the v1 format.
const (
	infoOrigin    = 0x80
	infoParentSub = 0x20
	refString     = 4
	refFormat     = 6
	refType       = 7
	refAny        = 8
	typeXmlElem   = 3
	typeXmlText   = 6
)

func appendVarUint(b []byte, n uint64) []byte {
	for n > 0x7f {
		b = append(b, 0x80|byte(n&0x7f))
		n >>= 7
	}
	return append(b, byte(n))
}

func appendVarString(b []byte, s string) []byte {
	return append(appendVarUint(b, uint64(len(s))), s...)
}

// header writes an item's info, then its origin or (first in its parent) its
// parent: the root fragment when parent < 0, else the parent item. The
// buffer travels in registers (not in the encoder) to spare write barriers.
func (e *seedEncoder) header(b []byte, ref byte, origin, parent int, parentSub string) []byte {
	e.n++
	if origin >= 0 {
		b = append(b, ref|infoOrigin)
		b = appendVarUint(b, e.client)
		return appendVarUint(b, uint64(origin))
	}
	if parentSub != "" {
		ref |= infoParentSub
	}
	b = append(b, ref)
	if parent < 0 {
		b = append(b, 1, byte(len(Fragment)))
		b = append(b, Fragment...)
	} else {
		b = append(b, 0)
		b = appendVarUint(b, e.client)
		b = appendVarUint(b, uint64(parent))
	}
	if parentSub != "" {
		b = appendVarString(b, parentSub)
	}
	return b
}

func (e *seedEncoder) children(b []byte, content []*Node, parent int) []byte {
	prev := -1
	for i := 0; i < len(content); {
		c := content[i]
		id := e.clock
		if c.isText() {
			b = e.header(b, refType, prev, parent, "")
			b = append(b, typeXmlText)
			e.clock++
			j := i
			for j < len(content) && content[j].isText() {
				j++
			}
			b = e.text(b, content[i:j], id)
			i = j
		} else {
			b = e.header(b, refType, prev, parent, "")
			b = append(b, typeXmlElem)
			b = appendVarString(b, c.Type)
			e.clock++
			b = e.children(b, c.Content, id)
			if spec := specOf(c.Type); spec != nil {
				for _, a := range spec.attrs {
					v := c.Attrs[a.name]
					if v == nil {
						continue
					}
					b = e.header(b, refAny, -1, id, a.name)
					b = append(b, 1)
					b = appendAny(b, v)
					e.clock++
				}
			}
			i++
		}
		prev = id
	}
	return b
}

func (e *seedEncoder) text(b []byte, run []*Node, parent int) []byte {
	prev := -1
	for _, t := range run {
		for _, m := range t.Marks {
			b = e.header(b, refFormat, prev, parent, "")
			b = appendVarString(b, m.Type)
			if m.Type == "link" {
				e.json = m.appendAttrsJSON(e.json[:0])
				b = appendVarUint(b, uint64(len(e.json)))
				b = append(b, e.json...)
			} else {
				b = append(b, 2, '{', '}')
			}
			prev = e.clock
			e.clock++
		}
		b = e.header(b, refString, prev, parent, "")
		b = appendVarString(b, t.Text)
		n := utf16Len(t.Text)
		prev = e.clock + n - 1
		e.clock += n
		for _, m := range t.Marks {
			b = e.header(b, refFormat, prev, parent, "")
			b = appendVarString(b, m.Type)
			b = append(b, 4, 'n', 'u', 'l', 'l')
			prev = e.clock
			e.clock++
		}
	}
	return b
}

// appendAny writes an attribute value as lib0's writeAny does (the values a
// document holds: strings, integers, null, and what Node JSON may carry),
// without boxing integers into float64 interface values on the way.
func appendAny(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return appendVarString(append(b, 119), x)
	case int:
		if x >= -math.MaxInt32 && x <= math.MaxInt32 {
			return appendVarIntSign(append(b, 125), x)
		}
	case nil:
		return append(b, 126)
	}
	enc := lib0.Encoder{Buf: b}
	enc.WriteAny(anyValue(v))
	return enc.Buf
}

// appendVarIntSign is lib0's writeVarInt: sign-magnitude, six value bits in
// the first byte.
func appendVarIntSign(b []byte, n int) []byte {
	abs := uint64(n)
	if n < 0 {
		abs = uint64(-n)
	}
	first := byte(abs & 0x3f)
	if n < 0 {
		first |= 0x40
	}
	if abs > 0x3f {
		first |= 0x80
	}
	b = append(b, first)
	abs >>= 6
	for abs > 0 {
		c := byte(abs & 0x7f)
		if abs > 0x7f {
			c |= 0x80
		}
		b = append(b, c)
		abs >>= 7
	}
	return b
}
