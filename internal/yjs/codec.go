package yjs

import (
	"fmt"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// structDecoder reads the fields of an update in format v1 or v2.
type structDecoder interface {
	rest() *lib0.Decoder
	readLeftID() ID
	readRightID() ID
	readClient() uint64
	readInfo() byte
	readString() string
	readStringBytes() []byte
	readParentInfo() bool
	readTypeRef() uint64
	readLen() int
	readAny() any
	readBuf() []byte
	readJSON() any
	readKey() string
	readName() string // a root name or map key (short, repeated: interned in v1)
	resetDsCurVal()
	readDsClock() int
	readDsLen() int
	err() error
}

// v1Decoder reads update format v1: everything inline, varUints and varStrings.
type v1Decoder struct {
	d lib0.Decoder
	// names holds the short strings read as keys and names (attribute
	// names, format keys, node names, root names), so a document's
	// thousands of "paragraph" and "colspan" share one string each.
	names map[string]string
}

// Interning limits: a hostile update cannot grow the table without bound.
const (
	maxInterned    = 4096
	maxInternedLen = 64
)

func (v *v1Decoder) readName() string {
	b := v.d.ReadVarStringBytes() // valid UTF-8, or an error and nil
	if len(b) > maxInternedLen {
		return string(b)
	}
	if s, ok := v.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if v.names == nil {
		v.names = make(map[string]string)
	}
	if len(v.names) < maxInterned {
		v.names[string(b)] = s
	}
	return s
}

func (v *v1Decoder) rest() *lib0.Decoder { return &v.d }
func (v *v1Decoder) readLeftID() ID {
	c := v.d.ReadVarUint()
	return ID{c, int(v.d.ReadVarUint())}
}
func (v *v1Decoder) readRightID() ID         { return v.readLeftID() }
func (v *v1Decoder) readClient() uint64      { return v.d.ReadVarUint() }
func (v *v1Decoder) readInfo() byte          { return v.d.ReadUint8() }
func (v *v1Decoder) readString() string      { return v.d.ReadVarString() }
func (v *v1Decoder) readStringBytes() []byte { return v.d.ReadVarStringBytes() }
func (v *v1Decoder) readParentInfo() bool    { return v.d.ReadVarUint() == 1 }
func (v *v1Decoder) readTypeRef() uint64     { return v.d.ReadVarUint() }
func (v *v1Decoder) readLen() int            { return int(v.d.ReadVarUint()) }
func (v *v1Decoder) readAny() any            { return v.d.ReadAny() }
func (v *v1Decoder) readBuf() []byte         { return append([]byte(nil), v.d.ReadVarBytes()...) }
func (v *v1Decoder) readKey() string         { return v.readName() }
func (v *v1Decoder) resetDsCurVal()          {}
func (v *v1Decoder) readDsClock() int        { return int(v.d.ReadVarUint()) }
func (v *v1Decoder) readDsLen() int          { return int(v.d.ReadVarUint()) }
func (v *v1Decoder) err() error              { return v.d.Err() }
func (v *v1Decoder) readJSON() any {
	s := v.d.ReadVarString()
	if v.d.Err() != nil {
		return nil
	}
	val, err := lib0.Parse(s)
	if err != nil {
		v.d.Fail(err)
		return nil
	}
	return val
}

// v2Decoder reads update format v2: columns of run-length coded values.
type v2Decoder struct {
	d         lib0.Decoder
	dsCurr    int
	keys      []string
	keyClock  *lib0.IntDiffOptRleDecoder
	client    *lib0.UintOptRleDecoder
	leftClock *lib0.IntDiffOptRleDecoder
	rightClk  *lib0.IntDiffOptRleDecoder
	info      *lib0.RleByteDecoder
	str       *lib0.StringDecoder
	parent    *lib0.RleByteDecoder
	typeRef   *lib0.UintOptRleDecoder
	length    *lib0.UintOptRleDecoder
	failure   error
}

func newV2Decoder(b []byte) *v2Decoder {
	v := &v2Decoder{}
	v.d.Init(b)
	v.d.ReadVarUint() // feature flag, unused
	v.keyClock = lib0.NewIntDiffOptRleDecoder(v.d.ReadVarBytes())
	v.client = lib0.NewUintOptRleDecoder(v.d.ReadVarBytes())
	v.leftClock = lib0.NewIntDiffOptRleDecoder(v.d.ReadVarBytes())
	v.rightClk = lib0.NewIntDiffOptRleDecoder(v.d.ReadVarBytes())
	v.info = lib0.NewRleByteDecoder(v.d.ReadVarBytes())
	v.str = lib0.NewStringDecoder(v.d.ReadVarBytes())
	v.parent = lib0.NewRleByteDecoder(v.d.ReadVarBytes())
	v.typeRef = lib0.NewUintOptRleDecoder(v.d.ReadVarBytes())
	v.length = lib0.NewUintOptRleDecoder(v.d.ReadVarBytes())
	return v
}

func (v *v2Decoder) fail(e error) {
	if v.failure == nil {
		v.failure = e
	}
}

func (v *v2Decoder) clock(x int64) int {
	if x < 0 || x > maxSafe {
		v.fail(fmt.Errorf("negative or huge clock %d", x))
		return 0
	}
	return int(x)
}

func (v *v2Decoder) rest() *lib0.Decoder { return &v.d }
func (v *v2Decoder) readLeftID() ID {
	c := v.client.Read()
	return ID{c, v.clock(v.leftClock.Read())}
}
func (v *v2Decoder) readRightID() ID {
	c := v.client.Read()
	return ID{c, v.clock(v.rightClk.Read())}
}
func (v *v2Decoder) readClient() uint64      { return v.client.Read() }
func (v *v2Decoder) readInfo() byte          { return v.info.Read() }
func (v *v2Decoder) readString() string      { return v.str.Read() }
func (v *v2Decoder) readStringBytes() []byte { return []byte(v.str.Read()) }
func (v *v2Decoder) readParentInfo() bool    { return v.parent.Read() == 1 }
func (v *v2Decoder) readTypeRef() uint64     { return v.typeRef.Read() }
func (v *v2Decoder) readLen() int            { return int(v.length.Read()) }
func (v *v2Decoder) readAny() any            { return v.d.ReadAny() }
func (v *v2Decoder) readBuf() []byte         { return append([]byte(nil), v.d.ReadVarBytes()...) }
func (v *v2Decoder) readJSON() any           { return v.d.ReadAny() }
func (v *v2Decoder) readName() string        { return v.str.Read() }
func (v *v2Decoder) readKey() string {
	kc := v.keyClock.Read()
	if kc < 0 {
		v.fail(fmt.Errorf("negative key index"))
		return ""
	}
	if kc < int64(len(v.keys)) {
		return v.keys[kc]
	}
	k := v.str.Read()
	v.keys = append(v.keys, k)
	return k
}
func (v *v2Decoder) resetDsCurVal() { v.dsCurr = 0 }
func (v *v2Decoder) readDsClock() int {
	v.dsCurr += int(v.d.ReadVarUint())
	if v.dsCurr > maxSafe {
		v.fail(lib0.ErrIntegerRange)
	}
	return v.dsCurr
}
func (v *v2Decoder) readDsLen() int {
	n := int(v.d.ReadVarUint()) + 1
	v.dsCurr += n
	if v.dsCurr > maxSafe {
		v.fail(lib0.ErrIntegerRange)
	}
	return n
}
func (v *v2Decoder) err() error {
	for _, e := range []error{v.failure, v.d.Err(), v.keyClock.Err(), v.client.Err(), v.leftClock.Err(), v.rightClk.Err(), v.info.Err(), v.str.Err(), v.parent.Err(), v.typeRef.Err(), v.length.Err()} {
		if e != nil {
			return e
		}
	}
	return nil
}

// clientBlock is one client's run of structs in an update.
type clientBlock struct {
	client  uint64
	structs []*item
}

// decodedUpdate is an update read into memory, in wire order.
type decodedUpdate struct {
	blocks []clientBlock
	ds     deleteSet
}

func malformed(err error) error { return fmt.Errorf("%w: %w", ErrMalformed, err) }

// decodeUpdate reads a whole update. Strings of ContentString items alias a
// private copy of the input. It validates what Yjs would trip over later:
// zero lengths, clocks past 2^53, references to a client's own future.
func decodeUpdate(dec structDecoder, a *itemAlloc, inputLen int) (*decodedUpdate, error) {
	return decodeUpdateInto(dec, a, inputLen, &decodedUpdate{})
}

// decodeUpdateInto is decodeUpdate filling u (its slices are reused).
func decodeUpdateInto(dec structDecoder, a *itemAlloc, inputLen int, u *decodedUpdate) (*decodedUpdate, error) {
	r := dec.rest()
	budget := uint64(inputLen)*8 + 1024 // structs an input of this size can describe
	nClients := r.ReadVarUint()
	if r.Err() != nil {
		return nil, malformed(r.Err())
	}
	if nClients > uint64(r.Remaining()) {
		return nil, malformed(lib0.ErrUnexpectedEnd)
	}
	for i := uint64(0); i < nClients; i++ {
		nStructs := r.ReadVarUint()
		client := dec.readClient()
		clock := int(r.ReadVarUint())
		if err := dec.err(); err != nil {
			return nil, malformed(err)
		}
		if nStructs > budget {
			return nil, malformed(fmt.Errorf("%d structs cannot fit in %d bytes", nStructs, inputLen))
		}
		budget -= nStructs
		var structs []*item
		if len(u.blocks) < cap(u.blocks) {
			structs = u.blocks[:len(u.blocks)+1][len(u.blocks)].structs[:0]
		}
		if structs == nil {
			// every struct takes at least a byte of v1 input
			structs = make([]*item, 0, min(int(nStructs), 1024+inputLen))
		}
		a.reserve(min(int(nStructs), inputLen))
		for j := uint64(0); j < nStructs; j++ {
			it, err := readStruct(dec, a, client, clock)
			if err != nil {
				return nil, malformed(err)
			}
			clock += it.length
			if clock > maxSafe {
				return nil, malformed(lib0.ErrIntegerRange)
			}
			structs = append(structs, it)
		}
		u.blocks = append(u.blocks, clientBlock{client: client, structs: structs})
	}
	if err := readDeleteSet(dec, &u.ds); err != nil {
		return nil, err
	}
	return u, nil
}

func readDeleteSet(dec structDecoder, ds *deleteSet) error {
	r := dec.rest()
	n := r.ReadVarUint()
	if r.Err() != nil {
		return malformed(r.Err())
	}
	if n > uint64(r.Remaining()) {
		return malformed(lib0.ErrUnexpectedEnd)
	}
	for i := uint64(0); i < n; i++ {
		dec.resetDsCurVal()
		client := r.ReadVarUint()
		nd := r.ReadVarUint()
		if r.Err() != nil {
			return malformed(r.Err())
		}
		if nd > uint64(r.Remaining()) {
			return malformed(lib0.ErrUnexpectedEnd)
		}
		if nd == 0 {
			continue
		}
		e := ds.entry(client)
		for j := uint64(0); j < nd; j++ {
			clock := dec.readDsClock()
			length := dec.readDsLen()
			if err := dec.err(); err != nil {
				return malformed(err)
			}
			if clock+length > maxSafe {
				return malformed(lib0.ErrIntegerRange)
			}
			e.ranges = append(e.ranges, delRange{clock, length})
		}
	}
	return nil
}

func readStruct(dec structDecoder, a *itemAlloc, client uint64, clock int) (*item, error) {
	info := dec.readInfo()
	if err := dec.err(); err != nil {
		return nil, err
	}
	it := a.new()
	it.id = ID{client, clock}
	switch info & 0x1f {
	case 0:
		it.kind = kindGC
		it.length = dec.readLen()
	case 10:
		it.kind = kindSkip
		it.length = int(dec.rest().ReadVarUint())
	default:
		it.kind = kindItem
		if info&0x80 != 0 {
			it.origin = dec.readLeftID()
			it.flags |= flagOrigin
		}
		if info&0x40 != 0 {
			it.rightOrigin = dec.readRightID()
			it.flags |= flagRightOrigin
		}
		if info&0xc0 == 0 {
			it.pref = a.newPref()
			if dec.readParentInfo() {
				it.pref.root = dec.readName()
			} else {
				it.pref.id, it.pref.isID = dec.readLeftID(), true
			}
			if info&0x20 != 0 {
				it.parentSub = dec.readName()
				it.flags |= flagParentSub
			}
		}
		if err := readContent(dec, it, info&0x1f); err != nil {
			return nil, err
		}
		if isCountableKind(it.ckind) {
			it.flags |= flagCountable
		}
		// a reference to the same client's own future cannot come from a real peer
		if (it.hasOrigin() && it.origin.Client == client && it.origin.Clock >= clock) ||
			(it.hasROrigin() && it.rightOrigin.Client == client && it.rightOrigin.Clock >= clock) ||
			(it.pref != nil && it.pref.isID && it.pref.id.Client == client && it.pref.id.Clock >= clock) {
			return nil, fmt.Errorf("struct %d/%d refers to its own future", client, clock)
		}
	}
	if err := dec.err(); err != nil {
		return nil, err
	}
	if it.length <= 0 || it.length > maxSafe {
		return nil, fmt.Errorf("struct %d/%d has length %d", client, clock, it.length)
	}
	return it, nil
}

func readContent(dec structDecoder, it *item, ref byte) error {
	r := dec.rest()
	it.ckind = ref
	switch ref {
	case contentDeleted:
		it.length = dec.readLen()
		it.markDeleted()
	case contentJSON:
		n := dec.readLen()
		if n < 0 || n > r.Remaining()+1<<20 {
			return lib0.ErrUnexpectedEnd
		}
		vals := make([]any, 0, min(n, 256))
		for i := 0; i < n && dec.err() == nil; i++ {
			s := dec.readString()
			if s == "undefined" {
				vals = append(vals, lib0.Undefined{})
				continue
			}
			v, err := lib0.Parse(s)
			if err != nil {
				return err
			}
			vals = append(vals, v)
		}
		it.val = vals
		it.length = len(vals)
	case contentBinary:
		it.val = dec.readBuf()
		it.length = 1
	case contentString:
		b := dec.readStringBytes()
		it.str = b[:len(b):len(b)]
		it.length = lib0.UTF16LenBytes(b)
	case contentEmbed:
		it.val = dec.readJSON()
		it.length = 1
	case contentFormat:
		k := dec.readKey()
		v := dec.readJSON()
		it.val = &formatContent{key: k, value: v}
		it.length = 1
	case contentType:
		ref := dec.readTypeRef()
		if ref >= uint64(len(refToKind)) {
			return fmt.Errorf("unknown type ref %d", ref)
		}
		kind := refToKind[ref]
		name := ""
		if kind == KindXmlElement || kind == KindXmlHook {
			name = dec.readKey()
		}
		it.val = newTypeCore(kind, name)
		it.length = 1
	case contentAny:
		n := dec.readLen()
		if n < 0 || n > r.Remaining() {
			return lib0.ErrUnexpectedEnd
		}
		if n == 1 {
			one := &oneValue{}
			one.v[0] = dec.readAny()
			one.vals = one.v[:]
			it.val = &one.vals
			it.length = 1
			break
		}
		vals := make([]any, 0, min(n, 256))
		for i := 0; i < n && dec.err() == nil; i++ {
			vals = append(vals, dec.readAny())
		}
		it.val = vals
		it.length = len(vals)
	case contentDoc:
		guid := dec.readString()
		opts := dec.readAny()
		o, _ := opts.(*lib0.Object)
		sd := &SubDoc{GUID: guid, Opts: o}
		it.val = &docContent{guid: guid, opts: sd.canonicalOpts()}
		it.length = 1
	default:
		return fmt.Errorf("unknown content ref %d", ref)
	}
	return nil
}

// ---- encoding (format v1) ----

type v1Encoder struct {
	lib0.Encoder
	scratch []byte
}

func (e *v1Encoder) writeID(id ID) {
	e.WriteVarUint(id.Client)
	e.WriteVarUint(uint64(id.Clock))
}

// writeStruct writes a struct from offset (units already known to the reader are cut).
func (e *v1Encoder) writeStruct(it *item, offset int) {
	switch it.kind {
	case kindGC:
		e.WriteUint8(0)
		e.WriteVarUint(uint64(it.length - offset))
		return
	case kindSkip:
		e.WriteUint8(10)
		e.WriteVarUint(uint64(it.length - offset))
		return
	}
	hasOrigin := it.hasOrigin() || offset > 0
	origin := it.origin
	if offset > 0 {
		origin = ID{it.id.Client, it.id.Clock + offset - 1}
	}
	info := it.ckind & 0x1f
	if hasOrigin {
		info |= 0x80
	}
	if it.hasROrigin() {
		info |= 0x40
	}
	if it.hasSub() {
		info |= 0x20
	}
	e.WriteUint8(info)
	if hasOrigin {
		e.writeID(origin)
	}
	if it.hasROrigin() {
		e.writeID(it.rightOrigin)
	}
	if !hasOrigin && !it.hasROrigin() {
		switch {
		case it.parent != nil:
			if it.parent.item == nil {
				e.WriteVarUint(1)
				e.WriteVarString(it.parent.rootName)
			} else {
				e.WriteVarUint(0)
				e.writeID(it.parent.item.id)
			}
		case it.pref != nil && !it.pref.isID:
			e.WriteVarUint(1)
			e.WriteVarString(it.pref.root)
		case it.pref != nil:
			e.WriteVarUint(0)
			e.writeID(it.pref.id)
		default:
			e.WriteVarUint(1)
			e.WriteVarString("")
		}
		if it.hasSub() {
			e.WriteVarString(it.parentSub)
		}
	}
	e.writeContent(it, offset)
}

func (e *v1Encoder) writeJSON(v any) {
	if isUndef(v) {
		e.WriteVarString("null")
		return
	}
	e.scratch = lib0.AppendJSON(e.scratch[:0], v)
	e.WriteVarBytes(e.scratch)
}

func (e *v1Encoder) writeContent(it *item, offset int) {
	switch it.ckind {
	case contentDeleted:
		e.WriteVarUint(uint64(it.length - offset))
	case contentJSON:
		vals := contentValues(it)
		e.WriteVarUint(uint64(len(vals) - offset))
		for _, v := range vals[offset:] {
			if isUndef(v) {
				e.WriteVarString("undefined")
			} else {
				e.writeJSON(v)
			}
		}
	case contentBinary:
		b, _ := it.val.([]byte)
		e.WriteVarBytes(b)
	case contentString:
		s := it.str
		if offset > 0 {
			s = lib0.SliceUTF16From(s, offset)
		}
		e.WriteVarUint(uint64(len(s)))
		e.WriteBytes(s)
	case contentEmbed:
		e.writeJSON(it.val)
	case contentFormat:
		f := it.format()
		e.WriteVarString(f.key)
		e.writeJSON(f.value)
	case contentType:
		t := it.typ()
		e.WriteVarUint(kindToRef[t.kind])
		if t.kind == KindXmlElement || t.kind == KindXmlHook {
			e.WriteVarString(t.name)
		}
	case contentAny:
		vals := contentValues(it)
		e.WriteVarUint(uint64(len(vals) - offset))
		for _, v := range vals[offset:] {
			e.WriteAny(v)
		}
	case contentDoc:
		dc := it.val.(*docContent)
		e.WriteVarString(dc.guid)
		e.WriteAny(dc.opts)
	}
}

func (e *v1Encoder) writeDeleteSet(ds *deleteSet) {
	e.WriteVarUint(uint64(len(ds.entries)))
	for _, en := range ds.sortedEntries() {
		e.WriteVarUint(en.client)
		e.WriteVarUint(uint64(len(en.ranges)))
		for _, r := range en.ranges {
			e.WriteVarUint(uint64(r.clock))
			e.WriteVarUint(uint64(r.len))
		}
	}
}

// writeDecoded writes a decoded update back in format v1.
func (e *v1Encoder) writeDecoded(u *decodedUpdate) {
	n := 0
	for _, b := range u.blocks {
		if len(b.structs) > 0 {
			n++
		}
	}
	e.WriteVarUint(uint64(n))
	for _, b := range u.blocks {
		if len(b.structs) == 0 {
			continue
		}
		e.WriteVarUint(uint64(len(b.structs)))
		e.WriteVarUint(b.client)
		e.WriteVarUint(uint64(b.structs[0].id.Clock))
		for _, s := range b.structs {
			e.writeStruct(s, 0)
		}
	}
	e.writeDeleteSet(&u.ds)
}
