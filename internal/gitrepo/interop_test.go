package gitrepo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// The git CLI (upstream's simple-git) and this package commit to the same
// repository at the same time: git's lock files keep them apart, every
// commit of both lands on one line of history, and neither undoes the
// other's changes.
func TestConcurrentWithGitCLI(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "README.md", "r\n")
	mustCommit(t, r, "init")
	const n = 15
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i, tries := 0, 0; i < n; tries++ {
			if tries > 5000 {
				t.Error("the git CLI never got its turn")
				return
			}
			p := fmt.Sprintf("cli/r%d.md", i)
			writeFile(t, dir, p, "cli\n")
			// git fails at once when we hold index.lock; retry like a user.
			if _, err := gitRun(t, dir, "add", p); err != nil {
				continue
			}
			if _, err := gitRun(t, dir, "commit", "-q", "-m", "cli "+p, "--", p); err != nil {
				continue
			}
			i++
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			p := fmt.Sprintf("go/r%d.md", i)
			writeFile(t, dir, p, "go\n")
			if _, err := r.Commit(context.Background(), "go "+p, alice, p); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	checkLinear(t, dir, 1+2*n)
	files := gitCmd(t, dir, "ls-tree", "-r", "--name-only", "HEAD")
	for i := range n {
		for _, who := range []string{"cli", "go"} {
			if p := fmt.Sprintf("%s/r%d.md", who, i); !strings.Contains(files, p+"\n") {
				t.Errorf("%s missing from HEAD", p)
			}
		}
	}
	assertClean(t, dir)
}

// Changes a user staged with the git CLI are neither committed by us nor
// lost from the index.
func TestForeignStagedChangesKept(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "a.md", "a\n")
	mustCommit(t, r, "init")
	writeFile(t, dir, "staged.md", "staged by a user\n")
	gitCmd(t, dir, "add", "staged.md")
	writeFile(t, dir, "ours.md", "ours\n")
	mustCommit(t, r, "Create record: ours", "ours.md")
	if got := gitCmd(t, dir, "show", "--name-only", "--format=", "HEAD"); got != "ours.md\n" {
		t.Fatalf("our commit contains %q", got)
	}
	if got := gitCmd(t, dir, "status", "--porcelain"); got != "A  staged.md\n" {
		t.Fatalf("status = %q, want the user's staged file still staged", got)
	}
}

func TestDetachedHead(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "a.md", "a\n")
	first := mustCommit(t, r, "init")
	gitCmd(t, dir, "checkout", "-q", "--detach")
	writeFile(t, dir, "b.md", "b\n")
	h := mustCommit(t, r, "detached", "b.md")
	if got := strings.TrimSpace(gitCmd(t, dir, "rev-parse", "HEAD")); got != h {
		t.Fatalf("HEAD = %s, want %s", got, h)
	}
	if got := strings.TrimSpace(gitCmd(t, dir, "rev-parse", "main")); got != first {
		t.Fatalf("main moved to %s while HEAD was detached", got)
	}
	assertClean(t, dir)
}
