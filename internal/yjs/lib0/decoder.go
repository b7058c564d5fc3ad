package lib0

import (
	"encoding/binary"
	"errors"
	"math"
	"unicode/utf8"
)

// MaxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER; lib0 refuses larger varUints.
const MaxSafeInteger = 1<<53 - 1

// Errors returned by Decoder.
var (
	ErrUnexpectedEnd = errors.New("lib0: unexpected end of input")
	ErrIntegerRange  = errors.New("lib0: integer out of range")
	ErrInvalidUTF8   = errors.New("lib0: invalid UTF-8 string")
	ErrUnknownAny    = errors.New("lib0: unknown Any type tag")
	ErrTooDeep       = errors.New("lib0: value nested too deeply")
)

// MaxDepth bounds the nesting of Any and JSON values (JavaScript would
// overflow its stack long before); it keeps hostile input from exhausting memory.
const MaxDepth = 1000

// Decoder reads lib0-encoded values. Errors are sticky: after the first
// failure every read returns a zero value and Err reports the failure, so a
// caller can check once after a group of reads.
type Decoder struct {
	buf []byte
	pos int
	err error
}

// NewDecoder returns a decoder over b (not copied).
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Init resets d to read b.
func (d *Decoder) Init(b []byte) { d.buf, d.pos, d.err = b, 0, nil }

// Err returns the first error encountered.
func (d *Decoder) Err() error { return d.err }

// Fail records err unless an error is already recorded.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Remaining returns the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.buf) - d.pos }

// Pos returns the read offset.
func (d *Decoder) Pos() int { return d.pos }

// HasContent reports whether unread bytes remain.
func (d *Decoder) HasContent() bool { return d.pos < len(d.buf) }

// Rest returns the unread bytes and consumes them.
func (d *Decoder) Rest() []byte {
	b := d.buf[d.pos:]
	d.pos = len(d.buf)
	return b
}

// ReadUint8 reads one byte.
func (d *Decoder) ReadUint8() byte {
	if d.pos >= len(d.buf) {
		d.Fail(ErrUnexpectedEnd)
		return 0
	}
	b := d.buf[d.pos]
	d.pos++
	return b
}

// ReadVarUint reads a varUint; values above 2^53-1 are an error, as in lib0.
func (d *Decoder) ReadVarUint() uint64 {
	var n uint64
	var shift uint
	for d.pos < len(d.buf) {
		r := d.buf[d.pos]
		d.pos++
		if shift < 63 {
			n |= uint64(r&0x7f) << shift
		} else if r&0x7f != 0 {
			d.Fail(ErrIntegerRange)
			return 0
		}
		shift += 7
		if r < 0x80 {
			if n > MaxSafeInteger {
				d.Fail(ErrIntegerRange)
				return 0
			}
			return n
		}
		if n > MaxSafeInteger || shift > 70 {
			d.Fail(ErrIntegerRange)
			return 0
		}
	}
	d.Fail(ErrUnexpectedEnd)
	return 0
}

// ReadLen reads a varUint used as a count or length and checks that it fits in an int.
func (d *Decoder) ReadLen() int { return int(d.ReadVarUint()) }

// ReadVarInt reads a varInt and returns its magnitude and sign separately,
// so negative zero (used by the RLE coders) stays visible.
func (d *Decoder) ReadVarInt() (abs uint64, neg bool) {
	if d.pos >= len(d.buf) {
		d.Fail(ErrUnexpectedEnd)
		return 0, false
	}
	r := d.buf[d.pos]
	d.pos++
	abs = uint64(r & 0x3f)
	neg = r&0x40 != 0
	if r&0x80 == 0 {
		return abs, neg
	}
	shift := uint(6)
	for d.pos < len(d.buf) {
		r = d.buf[d.pos]
		d.pos++
		if shift < 63 {
			abs |= uint64(r&0x7f) << shift
		} else if r&0x7f != 0 {
			d.Fail(ErrIntegerRange)
			return 0, false
		}
		shift += 7
		if r < 0x80 {
			if abs > MaxSafeInteger {
				d.Fail(ErrIntegerRange)
				return 0, false
			}
			return abs, neg
		}
		if abs > MaxSafeInteger || shift > 70 {
			d.Fail(ErrIntegerRange)
			return 0, false
		}
	}
	d.Fail(ErrUnexpectedEnd)
	return 0, false
}

// ReadVarIntValue reads a varInt as a signed integer (negative zero becomes 0).
func (d *Decoder) ReadVarIntValue() int64 {
	abs, neg := d.ReadVarInt()
	if neg {
		return -int64(abs)
	}
	return int64(abs)
}

// ReadBytes reads n raw bytes, returning a sub-slice of the input.
func (d *Decoder) ReadBytes(n int) []byte {
	if n < 0 || n > len(d.buf)-d.pos {
		d.Fail(ErrUnexpectedEnd)
		d.pos = len(d.buf)
		return nil
	}
	b := d.buf[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return b
}

// ReadVarBytes reads a varUint length and that many bytes (sub-slice of the input).
func (d *Decoder) ReadVarBytes() []byte {
	n := d.ReadVarUint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)-d.pos) {
		d.Fail(ErrUnexpectedEnd)
		d.pos = len(d.buf)
		return nil
	}
	return d.ReadBytes(int(n))
}

// ReadVarStringBytes reads a length-prefixed UTF-8 string without copying it.
// Invalid UTF-8 is an error, as with lib0's fatal TextDecoder.
func (d *Decoder) ReadVarStringBytes() []byte {
	b := d.ReadVarBytes()
	if d.err != nil {
		return nil
	}
	if !isASCII(b) && !utf8.Valid(b) {
		d.Fail(ErrInvalidUTF8)
		return nil
	}
	return b
}

// ReadVarString reads a length-prefixed UTF-8 string.
func (d *Decoder) ReadVarString() string {
	return string(d.ReadVarStringBytes())
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// ReadFloat32 reads a big-endian float32.
func (d *Decoder) ReadFloat32() float32 {
	b := d.ReadBytes(4)
	if b == nil {
		return 0
	}
	return math.Float32frombits(binary.BigEndian.Uint32(b))
}

// ReadFloat64 reads a big-endian float64.
func (d *Decoder) ReadFloat64() float64 {
	b := d.ReadBytes(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b))
}

// ReadBigInt64 reads a big-endian signed 64-bit integer.
func (d *Decoder) ReadBigInt64() int64 {
	b := d.ReadBytes(8)
	if b == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(b))
}
