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
