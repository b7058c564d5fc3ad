package civicpress

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/civicpress/civicpress-go/internal/store/storetest"
	"github.com/civicpress/civicpress-go/internal/textdiff"
)

// The files in testdata/transcript were written by upstream CivicPress
// (shared/upstream/transcript/files): a published bylaw, a resolution
// moved to archived through the status endpoint, a policy archived by
// DELETE (upstream left its frontmatter status as it was), and a demo
// record in upstream's legacy layout.
var transcriptFiles = map[string]string{
	"published-bylaw.record-1795631361062.md":            "records/bylaw/2026/record-1795631361062.md",
	"status-archived-resolution.record-1795631362671.md": "records/resolution/2026/record-1795631362671.md",
	"deleted-archived-policy.record-1795631365286.md":    "archive/policy/2026/record-1795631365286.md",
	"demo-bylaw.building-safety.md":                      "records/bylaws/building-safety.md",
}

func copyTranscript(t *testing.T, dataDir string) {
	t.Helper()
	for src, dst := range transcriptFiles {
		data, err := os.ReadFile(filepath.Join("testdata", "transcript", src))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dataDir, filepath.FromSlash(dst))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUpstreamFilesOpenAndUpdateCleanly(t *testing.T) {
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		f := newFixture(t, b, false)
		copyTranscript(t, f.c.paths.DataDir)
		rep, err := f.c.Records().Recover(ctx, System)
		if err != nil || len(rep.Committed) != len(transcriptFiles) {
			t.Fatalf("recover: %+v %v", rep, err)
		}
		r := f.c.Records()
		for id, want := range map[string]struct{ title, status, path string }{
			"record-1795631361062": {"Transcript Test Bylaw (rev 2)", "published", "records/bylaw/2026/record-1795631361062.md"},
			"record-1795631362671": {"Transcript Workflow Target", "archived", "records/resolution/2026/record-1795631362671.md"},
			"record-1795631365286": {"Transcript Archive Target", "archived", "archive/policy/2026/record-1795631365286.md"},
			"record-1723248000000": {"Building Safety Bylaw", "published", "records/bylaws/building-safety.md"},
		} {
			rec, err := r.Get(ctx, nil, id)
			if err != nil || rec.Title != want.title || rec.Status != want.status || rec.Path != want.path || rec.FromIndex {
				t.Fatalf("%s: %+v %v", id, rec, err)
			}
		}
		demo, _ := r.Get(ctx, nil, "record-1723248000000")
		if len(demo.AttachedFiles) != 2 || demo.Metadata.String("slug") != "building-safety" || len(demo.Metadata.Strings("tags")) != 4 {
			t.Fatalf("demo record: %+v", demo)
		}
		// Updating the body of an upstream-written file changes the body and
		// the updated timestamp, nothing else.
		rel := "records/bylaw/2026/record-1795631361062.md"
		before := readData(t, f.c, rel)
		newBody := "# Transcript Test Bylaw\n\nSection 1. Dogs must be leashed in all city parks.\n\nSection 2. Fines apply.\n\nSection 3. Enforcement.\n"
		if _, err := r.Update(ctx, f.admin, "record-1795631361062", Changes{Body: &newBody}); err != nil {
			t.Fatal(err)
		}
		after := readData(t, f.c, rel)
		split := func(b []byte) (front, body string) {
			front, body, ok := strings.Cut(string(b), "\n---\n\n")
			if !ok {
				t.Fatalf("no closing delimiter in %q", b)
			}
			return front, body
		}
		fb, bb := split(before)
		fa, ba := split(after)
		for _, e := range textdiff.Lines(textdiff.SplitLines([]byte(fb)), textdiff.SplitLines([]byte(fa))) {
			if e.Kind != textdiff.Equal && !strings.HasPrefix(e.Line, "updated: ") {
				t.Errorf("spurious frontmatter change: %v %q", e.Kind, e.Line)
			}
		}
		if ba != newBody || bb == ba {
			t.Fatalf("body: %q", ba)
		}
		// Changing nothing but the status of the demo file keeps its
		// content; the file is rewritten in upstream's serializer format.
		if _, err := r.Update(ctx, f.admin, "record-1723248000000", Changes{WorkflowState: ptr("draft")}); err != nil {
			t.Fatal(err)
		}
		demo2, _ := r.Get(ctx, nil, "record-1723248000000")
		if demo2.Content != demo.Content || demo2.Title != demo.Title || len(demo2.AttachedFiles) != 2 || demo2.WorkflowState != "draft" {
			t.Fatalf("demo after update: %+v", demo2)
		}
		assertConsistent(t, f.c)
	})
}

// TestPublishWritesUpstreamBytes publishes what the transcript published
// (same user, same draft) and compares the file with the one upstream
// wrote: equal once ids and times are aligned, except for the document
// number, which upstream never issued on publish.
func TestPublishWritesUpstreamBytes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], false)
	if f.admin.ID != 1 {
		t.Fatalf("admin id %d", f.admin.ID)
	}
	r := f.c.Records()
	d, err := r.CreateDraft(ctx, f.admin, Changes{Title: ptr("Transcript Test Bylaw"), Type: ptr("bylaw"),
		Body: ptr("# Transcript Test Bylaw\n\nSection 1. Dogs must be leashed in parks.\n"), Metadata: NewMap("tags", []any{"parks", "dogs"})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SaveDraft(ctx, f.admin, d.ID, Changes{Title: ptr("Transcript Test Bylaw (rev 2)"),
		Body: ptr("# Transcript Test Bylaw\n\nSection 1. Dogs must be leashed in all city parks.\n\nSection 2. Fines apply.\n")}); err != nil {
		t.Fatal(err)
	}
	rec, err := r.Publish(ctx, f.admin, d.ID, PublishOptions{Status: "published"})
	if err != nil {
		t.Fatal(err)
	}
	ours := string(readData(t, f.c, rec.Path))
	want, err := os.ReadFile("testdata/transcript/published-bylaw.record-1795631361062.md")
	if err != nil {
		t.Fatal(err)
	}
	stamp := regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)
	norm := func(s string) string {
		s = strings.ReplaceAll(s, d.ID, "record-ID")
		s = strings.ReplaceAll(s, "record-1795631361062", "record-ID")
		s = regexp.MustCompile(`(?m)^  document_number: .*\n`).ReplaceAllString(s, "")
		return stamp.ReplaceAllString(s, "TIME")
	}
	if norm(ours) != norm(string(want)) {
		t.Fatalf("published file differs from upstream's:\n--- ours\n%s\n--- upstream\n%s", ours, want)
	}
	if !strings.Contains(ours, "  document_number: BYL-") {
		t.Fatal("no document number")
	}
}
