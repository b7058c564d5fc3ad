package recordfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics; whatever it accepts, Marshal writes, Parse
// reads back, and the second save is byte-identical to the first
// (parse → serialize → parse → serialize).
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/transcript"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("---\nid: r\ntitle: T\ntype: bylaw\nstatus: draft\nauthor: a\ncreated: 2025-01-15\nupdated: 2025-01-15T10:00:00Z\nmetadata:\n  a: &x [1, {b: 1_000}]\n  c: *x\n  d: |+\n    x\n\n---\nBody\n"))
	f.Add([]byte("---json\n{\"id\":\"r\",\"title\":\"T\",\"type\":\"t\",\"status\":\"s\",\"author\":\"a\",\"created\":\"2025-01-15T10:00:00Z\",\"updated\":\"2025-01-15T10:00:00Z\"}\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if r != nil {
				t.Fatal("record returned with an error")
			}
			return
		}
		first, err := r.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed record: %v", err)
		}
		r2, err := Parse(first)
		if err != nil {
			var ve *ValidationError
			if errors.As(err, &ve) {
				// Top-level unknown keys move under metadata:, where the
				// metadata sub-schema applies (as upstream does).
				return
			}
			t.Fatalf("cannot read what Marshal wrote: %v\n%q", err, first)
		}
		second, err := r2.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if string(first) != string(second) {
			t.Fatalf("second save differs %s", firstDiff(string(second), string(first)))
		}
	})
}

// FuzzMarshalString: any string, as a title, a metadata value, a list item
// or a nested key, is written so that Parse reads back exactly that string.
func FuzzMarshalString(f *testing.F) {
	for _, s := range []string{"", " a", "a: b", "1_000", "2025-01-15", "<<", "a\n\nb\n", "\u2028", "\u0085x", "\tx\ny", "--- x", "x\n  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = toValidUTF8(s)
		if r := []rune(s); len(r) > 400 {
			s = string(r[:400]) // titles are limited to 500 characters
		}
		r := validRecord()
		r.Title = "t" + s
		r.Metadata = NewMap("value", s, "list", []any{s}, "nested", NewMap(s, s))
		out, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("cannot read back: %v\n%q", err, out)
		}
		if back.Title != r.Title {
			t.Fatalf("title %q read back as %q\n%q", r.Title, back.Title, out)
		}
		if got, want := dump(back.Metadata), dump(r.Metadata); got != want {
			t.Fatalf("metadata %s read back as %s\n%q", want, got, out)
		}
	})
}
