package recordfile

import (
	"os"
	"testing"
)

// A typical record: the upstream-written published bylaw (authors, tags,
// nested metadata) and the demo bylaw (attachments, a 3 KB body).
func benchFiles(b *testing.B) map[string][]byte {
	b.Helper()
	out := map[string][]byte{}
	for name, file := range map[string]string{
		"published": "testdata/transcript/published-bylaw.record-1795631361062.md",
		"demo":      "testdata/transcript/demo-bylaw.building-safety.md",
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		out[name] = data
	}
	return out
}

func BenchmarkParse(b *testing.B) {
	for name, data := range benchFiles(b) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMarshal(b *testing.B) {
	for name, data := range benchFiles(b) {
		r, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Marshal(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	r, err := Parse(benchFiles(b)["demo"])
	if err != nil {
		b.Fatal(err)
	}
	v := DefaultVocabulary()
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(r, v); err != nil {
			b.Fatal(err)
		}
	}
}
