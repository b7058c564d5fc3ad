package lib0

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Undefined is JavaScript's undefined.
type Undefined struct{}

// BigInt is a JavaScript bigint restricted to 64 bits (what lib0 encodes).
type BigInt int64

// Object is a JavaScript plain object: string keys in JavaScript property
// order (array-index keys ascending first, then the others in insertion order).
// Its pointer identity plays the role of JavaScript object identity.
type Object struct {
	keys []string
	vals []any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{} }

// Len returns the number of properties.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.keys)
}

// Keys returns the property names in JavaScript enumeration order.
func (o *Object) Keys() []string {
	if o == nil {
		return nil
	}
	return o.keys
}

// At returns the i-th key and value.
func (o *Object) At(i int) (string, any) { return o.keys[i], o.vals[i] }

// Get returns the value of key.
func (o *Object) Get(key string) (any, bool) {
	if o == nil {
		return nil, false
	}
	for i, k := range o.keys {
		if k == key {
			return o.vals[i], true
		}
	}
	return nil, false
}

// Set assigns key: an existing key keeps its position, a new one goes where
// JavaScript would enumerate it.
func (o *Object) Set(key string, v any) {
	for i, k := range o.keys {
		if k == key {
			o.vals[i] = v
			return
		}
	}
	pos := len(o.keys)
	if idx, ok := arrayIndex(key); ok {
		pos = 0
		for pos < len(o.keys) {
			j, isIdx := arrayIndex(o.keys[pos])
			if !isIdx || j > idx {
				break
			}
			pos++
		}
	}
	o.keys = append(o.keys, "")
	o.vals = append(o.vals, nil)
	copy(o.keys[pos+1:], o.keys[pos:])
	copy(o.vals[pos+1:], o.vals[pos:])
	o.keys[pos] = key
	o.vals[pos] = v
}

// Delete removes key.
func (o *Object) Delete(key string) {
	for i, k := range o.keys {
		if k == key {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			o.vals = append(o.vals[:i], o.vals[i+1:]...)
			return
		}
	}
}

// Reset removes every property, keeping the storage for reuse.
func (o *Object) Reset() {
	clear(o.vals)
	o.keys, o.vals = o.keys[:0], o.vals[:0]
}

// Clone returns a shallow copy (a new identity).
func (o *Object) Clone() *Object {
	if o == nil {
		return NewObject()
	}
	return &Object{keys: append([]string(nil), o.keys...), vals: append([]any(nil), o.vals...)}
}

// arrayIndex reports whether k is a canonical array index (0 .. 2^32-2).
func arrayIndex(k string) (uint64, bool) {
	if len(k) == 0 || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if n > 4294967294 {
		return 0, false
	}
	return n, true
}

// Normalize converts convenient Go values (ints, float32, map[string]any,
// slices of any) into the Any representation. Map keys are sorted, since Go
// maps have no order. Unknown types yield an error.
func Normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, Undefined, bool, float64, BigInt, []byte:
		return x, nil
	case string:
		return ValidString(x), nil
	case *Object:
		return sanitizeObject(x)
	case int:
		return float64(x), nil
	case int8:
		return float64(x), nil
	case int16:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint:
		return float64(x), nil
	case uint8:
		return float64(x), nil
	case uint16:
		return float64(x), nil
	case uint32:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case float32:
		return float64(x), nil
	case []any:
		changed := false
		out := make([]any, len(x))
		for i, e := range x {
			n, err := Normalize(e)
			if err != nil {
				return nil, err
			}
			out[i] = n
			changed = changed || !SameValue(n, e)
		}
		if !changed {
			return x, nil // keep identity: Yjs compares attribute values with ===
		}
		return out, nil
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ValidString(e)
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := NewObject()
		for _, k := range keys {
			n, err := Normalize(x[k])
			if err != nil {
				return nil, err
			}
			o.Set(k, n)
		}
		return o, nil
	}
	return nil, fmt.Errorf("lib0: unsupported value type %T", v)
}

// ValidString replaces invalid UTF-8 by U+FFFD, so that JavaScript peers
// (whose decoders reject invalid UTF-8) accept what Go writes.
func ValidString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// sanitizeObject normalizes the values and keys of o, returning o itself
// when nothing changes (object identity matters to Yjs).
func sanitizeObject(o *Object) (*Object, error) {
	var out *Object
	for i := 0; i < o.Len(); i++ {
		k, v := o.keys[i], o.vals[i]
		n, err := Normalize(v)
		if err != nil {
			return nil, err
		}
		vk := ValidString(k)
		if out == nil && (vk != k || !SameValue(n, v)) {
			out = NewObject()
			for j := 0; j < i; j++ {
				out.Set(o.keys[j], o.vals[j])
			}
		}
		if out != nil {
			out.Set(vk, n)
		}
	}
	if out == nil {
		return o, nil
	}
	return out, nil
}

// WriteAny appends v with lib0's writeAny rules: integers with |n| <= 2^31-1
// as varInt, otherwise float32 when exact, else float64.
func (e *Encoder) WriteAny(v any) {
	switch x := v.(type) {
	case nil:
		e.WriteUint8(126)
	case Undefined:
		e.WriteUint8(127)
	case bool:
		if x {
			e.WriteUint8(120)
		} else {
			e.WriteUint8(121)
		}
	case string:
		e.WriteUint8(119)
		e.WriteVarString(x)
	case float64:
		e.writeNumber(x)
	case BigInt:
		e.WriteUint8(122)
		e.WriteBigInt64(int64(x))
	case *Object:
		e.WriteUint8(118)
		e.WriteVarUint(uint64(x.Len()))
		for i := 0; i < x.Len(); i++ {
			e.WriteVarString(x.keys[i])
			e.WriteAny(x.vals[i])
		}
	case []any:
		e.WriteUint8(117)
		e.WriteVarUint(uint64(len(x)))
		for _, el := range x {
			e.WriteAny(el)
		}
	case []byte:
		e.WriteUint8(116)
		e.WriteVarBytes(x)
	default:
		n, err := Normalize(v)
		if err != nil {
			e.WriteUint8(127) // unknown values behave like undefined
			return
		}
		e.WriteAny(n)
	}
}

func (e *Encoder) writeNumber(f float64) {
	if f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32 {
		e.WriteUint8(125)
		e.WriteVarIntSign(uint64(math.Abs(f)), math.Signbit(f))
		return
	}
	if f32 := float32(f); float64(f32) == f {
		e.WriteUint8(124)
		e.WriteFloat32(f32)
		return
	}
	e.WriteUint8(123)
	e.WriteFloat64(f)
}

// smallNumbers holds small integers already boxed as Any values.
var smallNumbers = func() (a [256]any) {
	for i := range a {
		a[i] = float64(i)
	}
	return a
}()

// ReadAny reads one lib0 Any value.
func (d *Decoder) ReadAny() any { return d.readAny(0) }

func (d *Decoder) readAny(depth int) any {
	if depth > MaxDepth {
		d.Fail(ErrTooDeep)
		return nil
	}
	tag := d.ReadUint8()
	if d.err != nil {
		return nil
	}
	switch tag {
	case 127:
		return Undefined{}
	case 126:
		return nil
	case 125:
		abs, neg := d.ReadVarInt()
		if !neg && abs < uint64(len(smallNumbers)) {
			return smallNumbers[abs] // no allocation for the usual attribute values
		}
		f := float64(abs)
		if neg {
			f = -f
		}
		return f
	case 124:
		return float64(d.ReadFloat32())
	case 123:
		return d.ReadFloat64()
	case 122:
		return BigInt(d.ReadBigInt64())
	case 121:
		return false
	case 120:
		return true
	case 119:
		return d.ReadVarString()
	case 118:
		n := d.ReadVarUint()
		if d.err != nil {
			return nil
		}
		if n > uint64(d.Remaining()) { // every entry takes at least two bytes
			d.Fail(ErrUnexpectedEnd)
			return nil
		}
		o := &Object{keys: make([]string, 0, min(int(n), 16)), vals: make([]any, 0, min(int(n), 16))}
		for i := uint64(0); i < n && d.err == nil; i++ {
			k := d.ReadVarString()
			v := d.readAny(depth + 1)
			if k == "__proto__" {
				continue // obj[key] = v on a plain object does not create this property
			}
			o.Set(k, v)
		}
		return o
	case 117:
		n := d.ReadVarUint()
		if d.err != nil {
			return nil
		}
		if n > uint64(d.Remaining()) {
			d.Fail(ErrUnexpectedEnd)
			return nil
		}
		arr := make([]any, 0, min(int(n), 64))
		for i := uint64(0); i < n && d.err == nil; i++ {
			arr = append(arr, d.readAny(depth+1))
		}
		return arr
	case 116:
		b := d.ReadVarBytes()
		return append([]byte{}, b...)
	}
	d.Fail(ErrUnknownAny)
	return nil
}

// SameValue is JavaScript's === on Any values: primitives by value, objects,
// arrays and byte arrays by identity.
func SameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case Undefined:
		_, ok := b.(Undefined)
		return ok
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case BigInt:
		y, ok := b.(BigInt)
		return ok && x == y
	case *Object:
		y, ok := b.(*Object)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 && cap(x) == cap(y) || unsafe.SliceData(x) == unsafe.SliceData(y))
	case []byte:
		y, ok := b.([]byte)
		return ok && len(x) == len(y) && (len(x) == 0 && cap(x) == cap(y) || unsafe.SliceData(x) == unsafe.SliceData(y))
	}
	return false
}

// IsObjectLike reports whether typeof v === 'object' && v !== null.
func IsObjectLike(v any) bool {
	switch v.(type) {
	case *Object, []any, []byte:
		return true
	}
	return false
}

// EnumKeys returns the keys a JavaScript for...in loop visits on v
// (array indices for arrays, byte arrays and strings).
func EnumKeys(v any) []string {
	n := 0
	switch x := v.(type) {
	case *Object:
		return x.Keys()
	case []any:
		n = len(x)
	case []byte:
		n = len(x)
	case string:
		n = UTF16Len(x)
	default:
		return nil
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = strconv.Itoa(i)
	}
	return keys
}

// Prop returns v[key] as JavaScript would for the value kinds of Any.
func Prop(v any, key string) (any, bool) {
	switch x := v.(type) {
	case *Object:
		return x.Get(key)
	case []any:
		if i, ok := arrayIndex(key); ok && i < uint64(len(x)) {
			return x[i], true
		}
	case []byte:
		if i, ok := arrayIndex(key); ok && i < uint64(len(x)) {
			return float64(x[i]), true
		}
	case string:
		if i, ok := arrayIndex(key); ok {
			if u, found := utf16At(x, int(i)); found {
				return u, true
			}
		}
	}
	return Undefined{}, false
}

func utf16At(s string, i int) (string, bool) {
	pos := 0
	for _, r := range s {
		if r >= 0x10000 {
			if pos == i || pos+1 == i {
				return "\uFFFD", true
			}
			pos += 2
		} else {
			if pos == i {
				return string(r), true
			}
			pos++
		}
		if pos > i {
			break
		}
	}
	return "", false
}

// EqualFlat is lib0 object.equalFlat: same number of enumerable keys and
// every value === the other's.
func EqualFlat(a, b any) bool {
	ka, kb := EnumKeys(a), EnumKeys(b)
	if len(ka) != len(kb) {
		return false
	}
	for _, k := range ka {
		va, _ := Prop(a, k)
		vb, has := Prop(b, k)
		if _, undef := va.(Undefined); undef && !has {
			return false
		}
		if !SameValue(va, vb) {
			return false
		}
	}
	return true
}

// UTF16Len returns the length of s in UTF-16 code units (JavaScript's length).
func UTF16Len(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			n++
		} else if c >= 0xc0 {
			if c >= 0xf0 {
				n += 2
			} else {
				n++
			}
		}
	}
	return n
}

// UTF16LenBytes is UTF16Len for a byte slice.
func UTF16LenBytes(s []byte) int {
	n := 0
	for _, c := range s {
		if c < 0x80 {
			n++
		} else if c >= 0xc0 {
			if c >= 0xf0 {
				n += 2
			} else {
				n++
			}
		}
	}
	return n
}

// CompareUTF16 orders strings by UTF-16 code units, as JavaScript's < does.
func CompareUTF16(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] < 0x80 && b[j] < 0x80 {
			if a[i] != b[j] {
				return int(a[i]) - int(b[j])
			}
			i++
			j++
			continue
		}
		ra, sa := decodeRune(a[i:])
		rb, sb := decodeRune(b[j:])
		ua, ub := firstUnit(ra), firstUnit(rb)
		if ua != ub {
			return int(ua) - int(ub)
		}
		if ra != rb {
			la, lb := secondUnit(ra), secondUnit(rb)
			return int(la) - int(lb)
		}
		i += sa
		j += sb
	}
	return (len(a) - i) - (len(b) - j)
}
