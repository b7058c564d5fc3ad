package gitrepo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCommitFiles(t *testing.T) {
	r, dir := newRepo(t)
	ctx := context.Background()
	writeFile(t, dir, "records/a.md", "a\n")
	writeFile(t, dir, "records/b.md", "b\n")
	writeFile(t, dir, "other.md", "not staged\n")
	mustCommit(t, r, "init")
	writeFile(t, dir, "other.md", "changed, still not staged\n")

	h, err := r.CommitFiles(ctx, "Archive record: A", alice,
		File{Path: "archive/a.md", Data: []byte("a archived\n")},
		File{Path: "records/a.md", Remove: true},
		File{Path: "records/b.md", Data: []byte("b2\n")})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"archive/a.md": "a archived\n", "records/b.md": "b2\n"} {
		if got, err := os.ReadFile(filepath.Join(dir, p)); err != nil || string(got) != want {
			t.Fatalf("%s = %q, %v", p, got, err)
		}
		if got, err := r.FileAt(ctx, h, p); err != nil || string(got) != want {
			t.Fatalf("FileAt(%s) = %q, %v", p, got, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "records/a.md")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("removed file still there: %v", err)
	}
	hist, err := r.History(ctx, "", 1, 0)
	if err != nil || hist[0].Hash != h || !reflect.DeepEqual(hist[0].Files, []string{"archive/a.md", "records/a.md", "records/b.md"}) {
		t.Fatalf("History = %+v, %v", hist, err)
	}
	// Only the named paths: other.md stays modified, nothing else staged.
	if got := gitCmd(t, dir, "status", "--porcelain"); got != " M other.md\n" {
		t.Fatalf("git status = %q", got)
	}
	gitCmd(t, dir, "fsck", "--strict", "--no-progress")
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".git", "civicpress-*-*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}

	// The same content again: nothing to commit, but the work tree file
	// (changed by hand meanwhile) is written back.
	writeFile(t, dir, "records/b.md", "edited by hand\n")
	h2, err := r.CommitFiles(ctx, "Update record: B", alice, File{Path: "records/b.md", Data: []byte("b2\n")})
	if !errors.Is(err, ErrNothingToCommit) || h2 != h {
		t.Fatalf("CommitFiles of HEAD's content = %s, %v", h2, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "records/b.md")); string(got) != "b2\n" {
		t.Fatalf("file not written back: %q", got)
	}
	if got := gitCmd(t, dir, "status", "--porcelain"); got != " M other.md\n" {
		t.Fatalf("git status = %q", got)
	}

	// Invalid paths are refused before anything is written.
	for _, p := range []string{"", ".", "../x.md", ".git/config"} {
		if _, err := r.CommitFiles(ctx, "m", alice, File{Path: p, Data: []byte("x")}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("CommitFiles(%q) = %v, want ErrInvalid", p, err)
		}
	}
}

// Concurrent Commit and CommitFiles calls each get their own commit, in
// one line of history, whether or not they were made together.
func TestCommitFilesConcurrent(t *testing.T) {
	r, dir := newRepo(t)
	ctx := context.Background()
	writeFile(t, dir, "README.md", "r\n")
	mustCommit(t, r, "init")
	const n = 40
	errs := make(chan error, n)
	hashes := make(chan string, n)
	for i := range n {
		go func() {
			p := "records/r" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".md"
			var h string
			var err error
			if i%2 == 0 {
				h, err = r.CommitFiles(ctx, "Create record: "+p, alice, File{Path: p, Data: []byte(p + "\n")})
			} else {
				writeFile(t, dir, p, p+"\n")
				h, err = r.Commit(ctx, "Create record: "+p, alice, p)
			}
			hashes <- h
			errs <- err
		}()
	}
	seen := map[string]bool{}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		h := <-hashes
		if seen[h] {
			t.Fatalf("commit %s returned twice", h)
		}
		seen[h] = true
	}
	checkLinear(t, dir, n+1)
	if files := strings.Count(gitCmd(t, dir, "ls-tree", "-r", "--name-only", "HEAD"), "\n"); files != n+1 {
		t.Fatalf("%d files in HEAD", files)
	}
	for h := range seen {
		if got := gitCmd(t, dir, "show", "--format=", "--name-only", h); strings.Count(got, "\n") != 1 {
			t.Fatalf("commit %s changes %q, want one file", h, got)
		}
	}
	assertClean(t, dir)
}
