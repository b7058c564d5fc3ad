package yjs

import (
	"errors"
	"runtime"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

func allocatedBy(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// TestHostileUpdates: length prefixes that promise more than the input holds
// are rejected without allocating in proportion to the promise.
func TestHostileUpdates(t *testing.T) {
	huge := func(e *lib0.Encoder) { e.WriteVarUint(1 << 50) }
	build := func(f func(e *lib0.Encoder)) []byte {
		var e lib0.Encoder
		f(e2(&e))
		return e.Buf
	}
	cases := map[string][]byte{
		"clients": build(func(e *lib0.Encoder) { huge(e) }),
		"structs": build(func(e *lib0.Encoder) { e.WriteVarUint(1); huge(e); e.WriteVarUint(1); e.WriteVarUint(0) }),
		"string":  build(func(e *lib0.Encoder) { oneItem(e, 4); huge(e) }),
		"any":     build(func(e *lib0.Encoder) { oneItem(e, 8); huge(e); e.WriteUint8(126) }),
		"json":    build(func(e *lib0.Encoder) { oneItem(e, 2); huge(e); e.WriteVarString("1") }),
		"gc": build(func(e *lib0.Encoder) {
			e.WriteVarUint(1)
			e.WriteVarUint(1)
			e.WriteVarUint(1)
			e.WriteVarUint(0)
			e.WriteUint8(0)
			e.WriteVarUint(1 << 53)
		}),
		"ds": build(func(e *lib0.Encoder) { e.WriteVarUint(0); huge(e) }),
		"dsranges": build(func(e *lib0.Encoder) {
			e.WriteVarUint(0)
			e.WriteVarUint(1)
			e.WriteVarUint(1)
			huge(e)
			e.WriteVarUint(0)
		}),
		"binary": build(func(e *lib0.Encoder) { oneItem(e, 3); huge(e) }),
		"deepAny": build(func(e *lib0.Encoder) {
			oneItem(e, 8)
			e.WriteVarUint(1)
			for i := 0; i < 5000; i++ {
				e.WriteUint8(117)
				e.WriteVarUint(1)
			}
		}),
	}
	for name, u := range cases {
		doc := NewDoc(Options{ClientID: 1})
		var err error
		n := allocatedBy(func() { err = doc.ApplyUpdate(u) })
		if err == nil {
			t.Errorf("%s: accepted", name)
		} else if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: error %v does not wrap ErrMalformed", name, err)
		}
		if n > 1<<20 {
			t.Errorf("%s: %d bytes allocated for a %d-byte input", name, n, len(u))
		}
		if st, _ := doc.EncodeStateAsUpdate(nil); len(st) != 2 {
			t.Errorf("%s: a rejected update changed the document", name)
		}
	}
	// a deleted range of 2^50 units is legal and costs nothing
	doc := NewDoc(Options{ClientID: 1})
	u := build(func(e *lib0.Encoder) { oneItem(e, 1); huge(e); e.WriteVarUint(0) })
	if n := allocatedBy(func() {
		if err := doc.ApplyUpdate(u); err != nil {
			t.Error(err)
		}
	}); n > 1<<20 {
		t.Errorf("huge deleted range: %d bytes allocated", n)
	}
	if sv := doc.StateVector(); sv[5] != 1<<50 {
		t.Errorf("state vector %v", sv)
	}
	// v2 columns that repeat forever cannot drive the struct loop past the budget
	var e lib0.Encoder
	e.WriteVarUint(0)
	for i := 0; i < 9; i++ {
		e.WriteVarBytes(nil)
	}
	e.WriteVarUint(1)
	e.WriteVarUint(1 << 50)
	doc = NewDoc(Options{ClientID: 1})
	n := allocatedBy(func() { doc.ApplyUpdateV2(e.Buf, nil) })
	if n > 1<<20 {
		t.Errorf("v2: %d bytes allocated", n)
	}
}

func e2(e *lib0.Encoder) *lib0.Encoder { return e }

// oneItem starts an update with one client and one item of content ref, parent root "t".
func oneItem(e *lib0.Encoder, ref byte) {
	e.WriteVarUint(1) // clients
	e.WriteVarUint(1) // structs
	e.WriteVarUint(5) // client
	e.WriteVarUint(0) // clock
	e.WriteUint8(ref) // info: no origins
	e.WriteVarUint(1) // parent is a root key
	e.WriteVarString("t")
}
