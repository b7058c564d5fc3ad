package pmdoc

import "testing"

// An upstream instability not listed in editor-schema.md §6.3, observed in
// the rebuild (testdata/gen): marked text that starts with a space right
// after text carrying the same mark is written "[** x**]", which the next
// parse reads as literal asterisks. The Go serializer reproduces it.
func TestUpstreamInstabilityLeadingSpaceInMark(t *testing.T) {
	title := (*string)(nil)
	doc := newNode("doc", nil, newNode("paragraph", nil,
		textNode("zone", []Mark{{Type: "em"}, {Type: "strong"}}),
		textNode(" bylaw", []Mark{{Type: "link", Href: "u", Title: title}, {Type: "strong"}}),
	))
	first := SerializeMarkdown(doc)
	if want := "***zone***[** bylaw**](u)"; first != want {
		t.Fatalf("first pass %q, upstream %q", first, want)
	}
	if second, want := SerializeMarkdown(ParseMarkdown(first)), `***zone***[\*\* bylaw\*\*](u)`; second != want {
		t.Fatalf("second pass %q, upstream %q", second, want)
	}
}

// Invalid UTF-8 becomes U+FFFD per maximal invalid subsequence, as when
// upstream reads the file with Node's UTF-8 decoder.
func TestInvalidUTF8AsNodeDecodes(t *testing.T) {
	cases := map[string]string{
		"a\xffb":         "a\ufffdb",
		"a\xff\xfeb":     "a\ufffd\ufffdb",
		"a\xe2\x82b":     "a\ufffdb",             // truncated 3-byte sequence: one
		"a\xed\xa0\x80b": "a\ufffd\ufffd\ufffdb", // surrogate encoding: each byte
		"\xf0\x9f\x98":   "\ufffd",
	}
	for in, want := range cases {
		if got := whatwgUTF8(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
