package pmdoc

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

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

// processCPU is the process's user+system CPU time so far. Benchmarks
// report it per operation (cpu-ns/op) next to wall time because the machine
// is shared: wall time swings with other load, CPU time (including the
// garbage collector's background work) much less.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter reports process CPU per operation from the time it is started.
type cpuMeter struct{ start time.Duration }

func startCPU(b *testing.B) cpuMeter {
	b.ResetTimer()
	return cpuMeter{processCPU()}
}

func (m cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-m.start)/float64(b.N), "cpu-ns/op")
}

func BenchmarkMarkdownToUpdate200KB(b *testing.B) {
	md := bylaw(200 << 10)
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		if _, err := MarkdownToUpdate(md, 1); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
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
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		DocumentToMarkdown(doc)
	}
	cpu.report(b)
}

func BenchmarkParseMarkdown200KB(b *testing.B) {
	md := bylaw(200 << 10)
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		ParseMarkdown(md)
	}
	cpu.report(b)
}

// BenchmarkSeedMarkdown200KB seeds a live room document (parse, then Yjs
// integration of the new types), what the realtime hub does on room open.
func BenchmarkSeedMarkdown200KB(b *testing.B) {
	md := bylaw(200 << 10)
	b.SetBytes(int64(len(md)))
	b.ReportAllocs()
	cpu := startCPU(b)
	for i := 0; i < b.N; i++ {
		doc := yjs.NewDoc(yjs.Options{ClientID: 77})
		if _, err := SeedMarkdown(doc, md); err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b)
}
