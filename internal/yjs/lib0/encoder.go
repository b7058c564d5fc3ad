package lib0

import (
	"encoding/binary"
	"math"
)

// Encoder appends lib0-encoded values to a byte slice. The zero value is ready to use.
type Encoder struct {
	Buf []byte
}

// Bytes returns the encoded bytes (aliasing the internal buffer).
func (e *Encoder) Bytes() []byte { return e.Buf }

// Reset empties the encoder while keeping its buffer.
func (e *Encoder) Reset() { e.Buf = e.Buf[:0] }

// WriteUint8 appends one byte.
func (e *Encoder) WriteUint8(b byte) { e.Buf = append(e.Buf, b) }

// WriteVarUint appends n as a lib0 varUint (7 bits per byte, little end first).
func (e *Encoder) WriteVarUint(n uint64) {
	for n > 0x7f {
		e.Buf = append(e.Buf, 0x80|byte(n&0x7f))
		n >>= 7
	}
	e.Buf = append(e.Buf, byte(n))
}

// WriteVarInt appends n as a lib0 varInt: the first byte carries a
// continuation bit, a sign bit and 6 value bits (sign-magnitude, not zigzag).
func (e *Encoder) WriteVarInt(n int64) {
	neg := n < 0
	var abs uint64
	if neg {
		abs = uint64(-n)
	} else {
		abs = uint64(n)
	}
	e.WriteVarIntSign(abs, neg)
}

// WriteVarIntSign appends a varInt from magnitude and sign; it can express
// negative zero, which the lib0 RLE coders use as a flag.
func (e *Encoder) WriteVarIntSign(abs uint64, neg bool) {
	b := byte(abs & 0x3f)
	if neg {
		b |= 0x40
	}
	if abs > 0x3f {
		b |= 0x80
	}
	e.Buf = append(e.Buf, b)
	abs >>= 6
	for abs > 0 {
		b = byte(abs & 0x7f)
		if abs > 0x7f {
			b |= 0x80
		}
		e.Buf = append(e.Buf, b)
		abs >>= 7
	}
}

// WriteVarString appends a UTF-8 string with a varUint byte-length prefix.
func (e *Encoder) WriteVarString(s string) {
	e.WriteVarUint(uint64(len(s)))
	e.Buf = append(e.Buf, s...)
}

// WriteVarBytes appends bytes with a varUint length prefix (lib0 writeVarUint8Array).
func (e *Encoder) WriteVarBytes(b []byte) {
	e.WriteVarUint(uint64(len(b)))
	e.Buf = append(e.Buf, b...)
}

// WriteBytes appends raw bytes.
func (e *Encoder) WriteBytes(b []byte) { e.Buf = append(e.Buf, b...) }

// WriteFloat32 appends a big-endian IEEE float32.
func (e *Encoder) WriteFloat32(f float32) {
	e.Buf = binary.BigEndian.AppendUint32(e.Buf, math.Float32bits(f))
}

// WriteFloat64 appends a big-endian IEEE float64.
func (e *Encoder) WriteFloat64(f float64) {
	e.Buf = binary.BigEndian.AppendUint64(e.Buf, math.Float64bits(f))
}

// WriteBigInt64 appends a big-endian signed 64-bit integer.
func (e *Encoder) WriteBigInt64(n int64) {
	e.Buf = binary.BigEndian.AppendUint64(e.Buf, uint64(n))
}
