package pmdoc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs"
)

// bylaw generates a realistic bylaw of about size bytes.
func bylaw(size int) string {
	var b strings.Builder
	b.WriteString("# Bylaw 2025-01: Consolidated Municipal Code\n\n")
	for part := 1; b.Len() < size; part++ {
		fmt.Fprintf(&b, "## Part %d — Provisions\n\n", part)
		fmt.Fprintf(&b, "In this part, **\"officer\"** means a person appointed under *section %d* of the [Municipal Act](https://example.gov/act-%d \"Act\"). See <!--civic-ref type=\"record\" id=\"bylaw-%d\" label=\"Bylaw %d\"--> for the schedule.\n\n", part, part, part, part)
		b.WriteString("1. No person shall obstruct a highway.\n2. No person shall deposit refuse on public land.\n3. The council may, by resolution, designate areas.\n\n")
		b.WriteString("> Note: fines are set out in `Schedule A`.\n\n")
		b.WriteString("| Offence | Minimum | Maximum |\n|:--|--:|--:|\n| Obstruction | $100 | $5,000 |\n| Refuse | $250 | $10,000 |\n\n")
		b.WriteString("- applies within the urban boundary\n- applies to vehicles and persons\n\n")
	}
	return b.String()
}

func BenchmarkMarkdownToUpdate200KB(b *testing.B) {
	md := bylaw(200 << 10)
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := MarkdownToUpdate(md, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDocumentToMarkdown200KB(b *testing.B) {
	md := bylaw(200 << 10)
	u, err := MarkdownToUpdate(md, 1)
	if err != nil {
		b.Fatal(err)
	}
	doc := yjs.NewDoc(yjs.Options{ClientID: 2})
	if err := doc.ApplyUpdate(u); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		DocumentToMarkdown(doc)
	}
}

func BenchmarkParseMarkdown200KB(b *testing.B) {
	md := bylaw(200 << 10)
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ParseMarkdown(md)
	}
}

// BenchmarkSeedMarkdown200KB seeds a live room document (parse, then Yjs
// integration of the new types), what the realtime hub does on room open.
func BenchmarkSeedMarkdown200KB(b *testing.B) {
	md := bylaw(200 << 10)
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		doc := yjs.NewDoc(yjs.Options{ClientID: 77})
		if _, err := SeedMarkdown(doc, md); err != nil {
			b.Fatal(err)
		}
	}
}
