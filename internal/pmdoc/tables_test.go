package pmdoc

import "testing"

// Lines that open other blocks still become table headers when a delimiter
// row follows, as in markdown-it (its table rule runs first). Expected
// outputs were taken from the upstream rebuild (testdata/gen).
func TestTableHeaderBeatsOtherBlocks(t *testing.T) {
	cases := map[string]string{
		"- a|b\n-|-\n":           "| \\- a | b |\n| --- | --- |",
		"# a|b\n--|--\n":         "| \\# a | b |\n| --- | --- |",
		"> q|r\n|-|-|\n":         "| \\> q | r |\n| --- | --- |",
		"> a\nb|c\n-|-\n":        "> a b|c -|-",
		"- x\n\n  a|b\n  -|-\n":  "* x\n\n  | a | b |\n  | --- | --- |",
		"- a\n| b |\n|---|\n":    "* a | b | |---|", // lazy header line: no table
		"1. x\n2. a|b\n   -|-\n": "1. x\n\n2. \n\n   | a | b |\n   | --- | --- |",
	}
	for md, want := range cases {
		if got := SerializeMarkdown(ParseMarkdown(md)); got != want {
			t.Errorf("%q\n got %q\nwant %q", md, got, want)
		}
	}
}
