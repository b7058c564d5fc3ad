package lib0

// The column decoders of the Yjs v2 update format.

// RleByteDecoder decodes lib0's RleEncoder(writeUint8): a value followed by
// (count-1); the last value repeats forever.
type RleByteDecoder struct {
	d     Decoder
	s     byte
	count int64
}

// NewRleByteDecoder returns a decoder over b.
func NewRleByteDecoder(b []byte) *RleByteDecoder { return &RleByteDecoder{d: Decoder{buf: b}} }

// Err returns the first decoding error.
func (r *RleByteDecoder) Err() error { return r.d.err }

// Read returns the next value.
func (r *RleByteDecoder) Read() byte {
	if r.count == 0 {
		r.s = r.d.ReadUint8()
		if r.d.HasContent() {
			r.count = int64(r.d.ReadVarUint()) + 1
		} else {
			r.count = -1
		}
	}
	r.count--
	return r.s
}

// UintOptRleDecoder decodes lib0's UintOptRleEncoder: a varInt whose sign
// (negative zero included) says a varUint run length (minus 2) follows.
type UintOptRleDecoder struct {
	d     Decoder
	s     uint64
	count uint64
}

// NewUintOptRleDecoder returns a decoder over b.
func NewUintOptRleDecoder(b []byte) *UintOptRleDecoder {
	return &UintOptRleDecoder{d: Decoder{buf: b}}
}

// Err returns the first decoding error.
func (r *UintOptRleDecoder) Err() error { return r.d.err }

// Read returns the next value.
func (r *UintOptRleDecoder) Read() uint64 {
	if r.count == 0 {
		abs, neg := r.d.ReadVarInt()
		r.s = abs
		r.count = 1
		if neg {
			r.count = r.d.ReadVarUint() + 2
		}
		if r.d.err != nil {
			r.count = 1
		}
	}
	r.count--
	return r.s
}

// IntDiffOptRleDecoder decodes lib0's IntDiffOptRleEncoder: differences
// shifted left by one, the low bit flagging a following run length.
type IntDiffOptRleDecoder struct {
	d     Decoder
	s     int64
	diff  int64
	count uint64
}

// NewIntDiffOptRleDecoder returns a decoder over b.
func NewIntDiffOptRleDecoder(b []byte) *IntDiffOptRleDecoder {
	return &IntDiffOptRleDecoder{d: Decoder{buf: b}}
}

// Err returns the first decoding error.
func (r *IntDiffOptRleDecoder) Err() error { return r.d.err }

// Read returns the next value.
func (r *IntDiffOptRleDecoder) Read() int64 {
	if r.count == 0 {
		v := r.d.ReadVarIntValue()
		r.diff = v >> 1 // floor(v / 2)
		r.count = 1
		if v&1 != 0 {
			r.count = r.d.ReadVarUint() + 2
		}
		if r.d.err != nil {
			r.count = 1
		}
	}
	r.s += r.diff
	r.count--
	return r.s
}

// StringDecoder decodes lib0's StringEncoder: one concatenated string and
// the UTF-16 lengths of its pieces.
type StringDecoder struct {
	lens *UintOptRleDecoder
	str  string
	pos  int  // byte offset into str
	half bool // the previous piece ended inside a surrogate pair
	err  error
}

// NewStringDecoder returns a decoder over b.
func NewStringDecoder(b []byte) *StringDecoder {
	lens := NewUintOptRleDecoder(b)
	s := lens.d.ReadVarString()
	return &StringDecoder{lens: lens, str: s}
}

// Err returns the first decoding error.
func (r *StringDecoder) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.lens.d.err
}

// Read returns the next string. A piece boundary inside a surrogate pair
// leaves a lone surrogate on each side in JavaScript, which UTF-8 encoding
// turns into U+FFFD; the same happens here.
func (r *StringDecoder) Read() string {
	n := r.lens.Read()
	if r.lens.d.err != nil || r.err != nil {
		return ""
	}
	if n > uint64(len(r.str)-r.pos)+1 {
		r.err = ErrUnexpectedEnd
		return ""
	}
	want := int(n)
	prefix := false
	if r.half && want > 0 {
		prefix = true
		r.half = false
		want--
	}
	start := r.pos
	i := start
	units := 0
	suffix := false
	for units < want {
		if i >= len(r.str) {
			r.err = ErrUnexpectedEnd
			return ""
		}
		c := r.str[i]
		if c < 0x80 {
			i++
			units++
			continue
		}
		rn, size := decodeRune(r.str[i:])
		if rn >= 0x10000 {
			if units+1 == want {
				suffix = true
				r.half = true
				units++
				i += size
				break
			}
			units += 2
		} else {
			units++
		}
		i += size
	}
	r.pos = i
	if !prefix && !suffix {
		return r.str[start:i]
	}
	out := r.str[start:i]
	if suffix {
		_, size := lastRune(out)
		out = out[:len(out)-size] + "\uFFFD"
	}
	if prefix {
		out = "\uFFFD" + out
	}
	return out
}

func lastRune(s string) (rune, int) { return utf8DecodeLastRune(s) }
