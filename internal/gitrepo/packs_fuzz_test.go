package gitrepo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// Pack indexes and deltas come from disk, where git, a backup tool or a
// failing disk may have left anything: reading them must fail cleanly.

func FuzzParsePackIndex(f *testing.F) {
	var a, b plumbing.Hash
	a[0], b[0] = 0x10, 0xf0
	f.Add(encodePackIndex([]idxEntryPos{{id: a, off: 12}, {id: b, off: 1 << 32}}, plumbing.Hash{}))
	f.Add(encodePackIndex(nil, plumbing.Hash{}))
	f.Add([]byte{0xff, 't', 'O', 'c', 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePackIndex("x", data)
		if err != nil {
			return
		}
		for i := 0; i < p.n && i < 1000; i++ {
			id := p.name(i)
			p.offset(i)
			if j, ok := p.find(id); ok && p.name(j) != id {
				t.Fatalf("find(%s) gave entry %d holding %s", id, j, p.name(j))
			}
		}
		var probe plumbing.Hash
		for k := 0; k < 256; k += 17 {
			probe[0] = byte(k)
			p.find(probe)
		}
	})
}

func TestPackIndexRoundTrip(t *testing.T) {
	var es []idxEntryPos
	for i := range 300 {
		var id plumbing.Hash
		binary.BigEndian.PutUint32(id[:], uint32(i)*2654435761)
		off := int64(12 + 40*i)
		if i%50 == 0 {
			off += 1 << 31 // a large offset
		}
		es = append(es, idxEntryPos{id: id, off: off})
	}
	p, err := parsePackIndex("x", encodePackIndex(es, plumbing.Hash{1}))
	if err != nil {
		t.Fatal(err)
	}
	if p.n != len(es) || p.packSum != (plumbing.Hash{1}) {
		t.Fatalf("n %d sum %s", p.n, p.packSum)
	}
	for _, e := range es {
		i, ok := p.find(e.id)
		if !ok {
			t.Fatalf("%s not found", e.id)
		}
		if off, err := p.offset(i); err != nil || off != e.off {
			t.Fatalf("%s at %d (%v), want %d", e.id, off, err, e.off)
		}
	}
	if _, ok := p.find(plumbing.Hash{0xff, 0xff}); ok {
		t.Fatal("found an id that is not there")
	}
}

func FuzzApplyDelta(f *testing.F) {
	base := []byte("the quick brown fox jumps over the lazy dog")
	// src size 43, dst size 12: copy 9 bytes from offset 4, insert "cat".
	f.Add(base, []byte{43, 12, 0x80 | 0x01 | 0x10, 4, 9, 3, 'c', 'a', 't'})
	f.Add(base, []byte{43, 0xff, 0xff, 0xff, 0xff, 0x7f}) // huge announced size
	f.Add([]byte{}, []byte{0, 0})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := applyDelta(base, delta)
		if err != nil {
			return
		}
		// Each delta byte yields at most a whole base (a copy) or one
		// literal byte: a result beyond that came from nowhere.
		if len(out) > len(delta)*max(len(base), 1) {
			t.Fatalf("%d bytes out of a %d-byte base and a %d-byte delta", len(out), len(base), len(delta))
		}
	})
}

func TestApplyDelta(t *testing.T) {
	base := []byte("the quick brown fox jumps over the lazy dog")
	out, err := applyDelta(base, []byte{43, 12, 0x80 | 0x01 | 0x10, 4, 9, 3, 'c', 'a', 't'})
	if err != nil || !bytes.Equal(out, []byte("quick brocat")) {
		t.Fatalf("%q %v", out, err)
	}
	// A delta announcing ~16 GiB from a few bytes fails without first
	// allocating what it announces.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := applyDelta(base, []byte{43, 0x80, 0x80, 0x80, 0x80, 0x3f, 0x80 | 0x10, 1}); err == nil {
		t.Fatal("short delta accepted")
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("a 8-byte delta allocated %d bytes", n)
	}
}

func TestInflateAtDamagedSize(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("blob content"))
	zw.Close()
	path := filepath.Join(t.TempDir(), "p")
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if data, err := inflateAt(f, 0, 12); err != nil || string(data) != "blob content" {
		t.Fatalf("%q %v", data, err)
	}
	// An object past the first allocation step (1 MiB) reads whole.
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<16+3)
	z.Reset()
	zw.Reset(&z)
	zw.Write(big)
	zw.Close()
	bigPath := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(bigPath, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	bf, err := os.Open(bigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer bf.Close()
	if data, err := inflateAt(bf, 0, int64(len(big))); err != nil || !bytes.Equal(data, big) {
		t.Fatalf("big object: %d bytes, %v", len(data), err)
	}
	if _, err := inflateAt(bf, 0, int64(len(big))+1); err == nil {
		t.Fatal("a size one past the stream accepted")
	}
	// A header announcing 16 GiB for a 20-byte stream.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := inflateAt(f, 0, 1<<34); err == nil {
		t.Fatal("damaged size accepted")
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Fatalf("allocated %d bytes for a 20-byte stream", n)
	}
}
