package yjs

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"runtime"
	"sync"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// Inputs made by testdata/yjsnode/genbench.mjs with real yjs; the same
// operations are timed for yjs by testdata/yjsnode/bench.mjs.

var benchOnce sync.Once
var benchTrace [][]byte
var benchBig []byte

func readUpdateList(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	d := lib0.NewDecoder(raw)
	n := d.ReadLen()
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, bytes.Clone(d.ReadVarBytes()))
	}
	return out, d.Err()
}

func benchInputs(b *testing.B) ([][]byte, []byte) {
	benchOnce.Do(func() {
		var err error
		if benchTrace, err = readUpdateList("testdata/bench/trace.bin.gz"); err != nil {
			b.Fatal(err)
		}
		big, err := readUpdateList("testdata/bench/big.bin.gz")
		if err != nil {
			b.Fatal(err)
		}
		benchBig = big[0]
	})
	return benchTrace, benchBig
}

func applyAll(b *testing.B, updates [][]byte) *Doc {
	d := NewDoc(Options{ClientID: 7})
	for _, u := range updates {
		if err := d.ApplyUpdate(u); err != nil {
			b.Fatal(err)
		}
	}
	return d
}

// BenchmarkApplyTrace applies a 100,000-operation editing trace one update at a time.
func BenchmarkApplyTrace(b *testing.B) {
	trace, _ := benchInputs(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		applyAll(b, trace)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(trace)), "ns/update")
}

// BenchmarkEncodeState encodes the full state of the trace document.
func BenchmarkEncodeState(b *testing.B) {
	trace, _ := benchInputs(b)
	d := applyAll(b, trace)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.EncodeStateAsUpdate(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiff encodes the diff for a peer that has 90% of the trace.
func BenchmarkDiff(b *testing.B) {
	trace, _ := benchInputs(b)
	d := applyAll(b, trace)
	sv := applyAll(b, trace[:90000]).EncodeStateVector()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.EncodeStateAsUpdate(sv); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode1MB decodes a 1 MB update into structs (Yjs decodeUpdate).
func BenchmarkDecode1MB(b *testing.B) {
	_, big := benchInputs(b)
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var a itemAlloc
		dec := &v1Decoder{}
		dec.d.Init(bytes.Clone(big))
		if _, err := decodeUpdate(dec, &a, len(big)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply1MB applies a 1 MB update to an empty document.
func BenchmarkApply1MB(b *testing.B) {
	_, big := benchInputs(b)
	b.SetBytes(int64(len(big)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := NewDoc(Options{ClientID: 7})
		if err := d.ApplyUpdate(big); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeState1MB encodes the document built from the 1 MB update.
func BenchmarkEncodeState1MB(b *testing.B) {
	_, big := benchInputs(b)
	d := NewDoc(Options{ClientID: 7})
	if err := d.ApplyUpdate(big); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.EncodeStateAsUpdate(nil); err != nil {
			b.Fatal(err)
		}
	}
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMemoryPerDoc reports the live heap held by the trace document and
// by the 1 MB document (compare with bench.mjs "heap per ... doc").
func BenchmarkMemoryPerDoc(b *testing.B) {
	trace, big := benchInputs(b)
	for i := 0; i < b.N; i++ {
		h0 := heapInUse()
		d1 := applyAll(b, trace)
		h1 := heapInUse()
		d2 := NewDoc(Options{ClientID: 7})
		d2.ApplyUpdate(big)
		h2 := heapInUse()
		b.ReportMetric(float64(h1-h0)/(1<<20), "MiB/trace-doc")
		b.ReportMetric(float64(h2-h1)/(1<<20), "MiB/1MB-doc")
		runtime.KeepAlive(d1)
		runtime.KeepAlive(d2)
	}
}

// BenchmarkMergeUpdates compacts the first 10,000 updates of the trace into one.
func BenchmarkMergeUpdates(b *testing.B) {
	trace, _ := benchInputs(b)
	parts := trace[:10000]
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := MergeUpdates(parts...); err != nil {
			b.Fatal(err)
		}
	}
}
