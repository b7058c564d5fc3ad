package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var alice = Author{Name: "Alice Clerk", Email: "alice@city.example"}

// gitCmd runs the real git CLI in dir with a private, empty configuration,
// so tests judge our repositories the way upstream's simple-git would.
func gitCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := gitRun(t, dir, args...)
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func gitRun(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git CLI not found: these tests compare against it")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOME="+os.TempDir()+"/gitrepo-test-nohome",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=CLI User", "GIT_AUTHOR_EMAIL=cli@example.org",
		"GIT_COMMITTER_NAME=CLI User", "GIT_COMMITTER_EMAIL=cli@example.org",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// assertClean checks, with the git CLI, that the work tree matches HEAD and
// the object database is sound.
func assertClean(t *testing.T, dir string) {
	t.Helper()
	if out := gitCmd(t, dir, "status", "--porcelain", "--untracked-files=all"); out != "" {
		t.Fatalf("git status not clean:\n%s", out)
	}
	gitCmd(t, dir, "fsck", "--strict", "--no-progress")
	if _, err := os.Stat(filepath.Join(dir, ".git", "index.lock")); err == nil {
		t.Fatal("index.lock left behind")
	}
}

func writeFile(t testing.TB, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newRepo(t testing.TB) (*Repo, string) {
	t.Helper()
	dir := t.TempDir()
	r, err := Init(dir, Options{NoSync: true, DefaultBranch: "main"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, dir
}

func mustCommit(t testing.TB, r *Repo, msg string, paths ...string) string {
	t.Helper()
	h, err := r.Commit(context.Background(), msg, alice, paths...)
	if err != nil {
		t.Fatalf("commit %q: %v", msg, err)
	}
	return h
}

func TestInitCommitSeenByGitCLI(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, ".civic/config.yml", "name: Test\n")
	writeFile(t, dir, "records/bylaw/2025/bylaw-1.md", "---\ntitle: One\n---\nBody\n")
	writeFile(t, dir, "run.sh", "#!/bin/sh\n")
	os.Chmod(filepath.Join(dir, "run.sh"), 0o755)
	os.Symlink("records", filepath.Join(dir, "link"))

	h := mustCommit(t, r, "Initial CivicPress setup")
	if len(h) != 40 {
		t.Fatalf("hash %q is not a full hash", h)
	}
	if got := strings.TrimSpace(gitCmd(t, dir, "rev-parse", "HEAD")); got != h {
		t.Fatalf("HEAD = %s, Commit returned %s", got, h)
	}
	if got := strings.TrimSpace(gitCmd(t, dir, "symbolic-ref", "HEAD")); got != "refs/heads/main" {
		t.Fatalf("HEAD points at %s", got)
	}
	log := gitCmd(t, dir, "log", "--format=%an|%ae|%cn|%ce|%s")
	if want := "Alice Clerk|alice@city.example|Alice Clerk|alice@city.example|Initial CivicPress setup\n"; log != want {
		t.Fatalf("git log = %q, want %q", log, want)
	}
	tree := gitCmd(t, dir, "ls-tree", "-r", "HEAD")
	for _, want := range []string{
		"100644 blob", ".civic/config.yml", "records/bylaw/2025/bylaw-1.md",
		"100755 blob", "run.sh", "120000 blob",
	} {
		if !strings.Contains(tree, want) {
			t.Errorf("ls-tree lacks %q:\n%s", want, tree)
		}
	}
	assertClean(t, dir)
	if out := gitCmd(t, dir, "reflog", "-1", "--format=%gs"); !strings.Contains(out, "commit (initial): Initial CivicPress setup") {
		t.Errorf("reflog = %q", out)
	}

	// Init on an existing repository opens it and keeps its history.
	r2, err := Init(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	writeFile(t, dir, "records/bylaw/2025/bylaw-2.md", "two\n")
	h2, err := r2.Commit(context.Background(), "Create record: Two", alice, "records/bylaw/2025/bylaw-2.md")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(gitCmd(t, dir, "rev-parse", "HEAD^")); got != h {
		t.Fatalf("second commit's parent = %s, want %s", got, h)
	}
	if got := strings.TrimSpace(gitCmd(t, dir, "rev-parse", "HEAD")); got != h2 {
		t.Fatalf("HEAD = %s, want %s", got, h2)
	}
	assertClean(t, dir)
}

func TestOpenRequiresRepository(t *testing.T) {
	_, err := Open(t.TempDir(), Options{})
	if !errors.Is(err, ErrNotRepository) {
		t.Fatalf("Open on a plain dir: %v, want ErrNotRepository", err)
	}
}

func TestCommitStagesOnlyNamedPaths(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "a.md", "a1\n")
	writeFile(t, dir, "sub/b.md", "b1\n")
	mustCommit(t, r, "init")
	writeFile(t, dir, "a.md", "a2\n")
	writeFile(t, dir, "sub/b.md", "b2\n")
	writeFile(t, dir, "c.md", "new\n")
	mustCommit(t, r, "Update record: A", "a.md")
	if got := gitCmd(t, dir, "show", "--name-only", "--format=", "HEAD"); got != "a.md\n" {
		t.Fatalf("commit touched %q, want only a.md", got)
	}
	status := gitCmd(t, dir, "status", "--porcelain")
	if status != " M sub/b.md\n?? c.md\n" {
		t.Fatalf("status after partial commit = %q", status)
	}
	gitCmd(t, dir, "fsck", "--strict")
	// A directory path stages everything below it.
	mustCommit(t, r, "sub", "sub")
	if got := gitCmd(t, dir, "status", "--porcelain"); got != "?? c.md\n" {
		t.Fatalf("status = %q", got)
	}
}

func TestDeletionAndRename(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "records/bylaw/2025/x.md", "x\n")
	writeFile(t, dir, "records/bylaw/2025/y.md", "y\n")
	writeFile(t, dir, "records/minutes/2025/m.md", "m\n")
	mustCommit(t, r, "init")

	os.Remove(filepath.Join(dir, "records/bylaw/2025/x.md"))
	mustCommit(t, r, "Delete x", "records/bylaw/2025/x.md")
	if got := gitCmd(t, dir, "show", "--name-status", "--format=", "HEAD"); got != "D\trecords/bylaw/2025/x.md\n" {
		t.Fatalf("deletion commit = %q", got)
	}
	assertClean(t, dir)

	// Archive: move a record; the commit names old and new path.
	old, neu := "records/minutes/2025/m.md", "archive/minutes/2025/m.md"
	os.MkdirAll(filepath.Join(dir, "archive/minutes/2025"), 0o755)
	if err := os.Rename(filepath.Join(dir, old), filepath.Join(dir, neu)); err != nil {
		t.Fatal(err)
	}
	mustCommit(t, r, "Archive record: M", old, neu)
	if got := gitCmd(t, dir, "show", "-M", "--name-status", "--format=", "HEAD"); got != "R100\t"+old+"\t"+neu+"\n" {
		t.Fatalf("rename commit = %q", got)
	}
	// The emptied directory is gone from the tree, as git would have it.
	if out := gitCmd(t, dir, "ls-tree", "-r", "--name-only", "HEAD"); out != "archive/minutes/2025/m.md\nrecords/bylaw/2025/y.md\n" {
		t.Fatalf("tree = %q", out)
	}
	assertClean(t, dir)

	// Deleting a whole directory by naming it.
	os.RemoveAll(filepath.Join(dir, "records"))
	mustCommit(t, r, "drop records", "records")
	if out := gitCmd(t, dir, "ls-tree", "-r", "--name-only", "HEAD"); out != "archive/minutes/2025/m.md\n" {
		t.Fatalf("tree = %q", out)
	}
	assertClean(t, dir)
}

func TestNothingToCommit(t *testing.T) {
	r, dir := newRepo(t)
	h, err := r.Commit(context.Background(), "empty", alice)
	if !errors.Is(err, ErrNothingToCommit) || h != "" {
		t.Fatalf("commit in empty repo = %q, %v", h, err)
	}
	writeFile(t, dir, "a.md", "a\n")
	first := mustCommit(t, r, "a")
	for _, paths := range [][]string{nil, {"a.md"}, {"missing.md"}} {
		h, err := r.Commit(context.Background(), "again", alice, paths...)
		if !errors.Is(err, ErrNothingToCommit) || h != first {
			t.Fatalf("Commit(%v) unchanged = %q, %v; want HEAD %s and ErrNothingToCommit", paths, h, err, first)
		}
	}
	if n := strings.Count(gitCmd(t, dir, "log", "--oneline"), "\n"); n != 1 {
		t.Fatalf("%d commits, want 1", n)
	}
	assertClean(t, dir)
}

func TestCommitAllAndDirty(t *testing.T) {
	r, dir := newRepo(t)
	ctx := context.Background()
	writeFile(t, dir, ".gitignore", "*.tmp\ncache/\n")
	writeFile(t, dir, "keep.md", "k\n")
	writeFile(t, dir, "gone.md", "g\n")
	writeFile(t, dir, "sub/edit.md", "e1\n")
	writeFile(t, dir, "sub/.gitignore", "local.txt\n")
	mustCommit(t, r, "init")
	if d, err := r.Dirty(ctx); err != nil || len(d) != 0 {
		t.Fatalf("Dirty after commit = %v, %v", d, err)
	}

	writeFile(t, dir, "sub/edit.md", "e2\n")
	os.Remove(filepath.Join(dir, "gone.md"))
	writeFile(t, dir, "records/new.md", "n\n")
	writeFile(t, dir, "x.tmp", "ignored\n")
	writeFile(t, dir, "cache/blob", "ignored\n")
	writeFile(t, dir, "sub/local.txt", "ignored\n")
	writeFile(t, dir, "nested/.git/HEAD", "not ours\n")
	writeFile(t, dir, "nested/file", "in a nested repo\n")

	d, err := r.Dirty(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gone.md", "records/new.md", "sub/edit.md"}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("Dirty = %v, want %v", d, want)
	}
	mustCommit(t, r, "recovery: commit uncommitted changes")
	if d, err := r.Dirty(ctx); err != nil || len(d) != 0 {
		t.Fatalf("Dirty after commit-all = %v, %v", d, err)
	}
	if got := gitCmd(t, dir, "show", "--name-status", "--format=", "HEAD"); got != "D\tgone.md\nA\trecords/new.md\nM\tsub/edit.md\n" {
		t.Fatalf("commit-all = %q", got)
	}
	os.RemoveAll(filepath.Join(dir, "nested"))
	assertClean(t, dir)

	// A file git tracks stays visible to Dirty even where .gitignore matches.
	writeFile(t, dir, "forced.tmp", "f\n")
	mustCommit(t, r, "force", "forced.tmp")
	writeFile(t, dir, "forced.tmp", "f2\n")
	if d, _ := r.Dirty(ctx); !reflect.DeepEqual(d, []string{"forced.tmp"}) {
		t.Fatalf("Dirty = %v, want the tracked ignored file", d)
	}
}

func TestConcurrentGoroutines(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "README.md", "r\n")
	mustCommit(t, r, "init")
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p := fmt.Sprintf("records/w%d/r%d.md", w, i)
				writeFile(t, dir, p, fmt.Sprintf("worker %d record %d\n", w, i))
				if _, err := r.Commit(context.Background(), "Create record: "+p, alice, p); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkLinear(t, dir, 1+workers*each)
	files := gitCmd(t, dir, "ls-tree", "-r", "--name-only", "HEAD")
	for w := range workers {
		for i := range each {
			if !strings.Contains(files, fmt.Sprintf("records/w%d/r%d.md\n", w, i)) {
				t.Errorf("records/w%d/r%d.md missing from HEAD", w, i)
			}
		}
	}
	assertClean(t, dir)
}

// checkLinear asserts n commits on a single line of history.
func checkLinear(t *testing.T, dir string, n int) {
	t.Helper()
	if got := strings.TrimSpace(gitCmd(t, dir, "rev-list", "--count", "HEAD")); got != fmt.Sprint(n) {
		t.Fatalf("%s commits, want %d", got, n)
	}
	if got := gitCmd(t, dir, "rev-list", "--min-parents=2", "HEAD"); got != "" {
		t.Fatalf("merge commits in what must be linear history: %s", got)
	}
}

func TestCrossProcessCommits(t *testing.T) {
	if os.Getenv("GITREPO_CHILD") != "" {
		t.Skip("child")
	}
	r, dir := newRepo(t)
	writeFile(t, dir, "README.md", "r\n")
	mustCommit(t, r, "init")
	const each = 25
	var cmds []*exec.Cmd
	for c := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildCommitter$", "-test.v")
		cmd.Env = append(os.Environ(), "GITREPO_CHILD=1", "GITREPO_DIR="+dir,
			fmt.Sprintf("GITREPO_PREFIX=p%d", c), fmt.Sprintf("GITREPO_N=%d", each))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("child %d output:\n%s", c, out.String())
			}
		})
	}
	// The parent commits at the same time as both children.
	for i := range each {
		p := fmt.Sprintf("records/parent/r%d.md", i)
		writeFile(t, dir, p, "parent\n")
		mustCommit(t, r, "parent "+p, p)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child: %v", err)
		}
	}
	checkLinear(t, dir, 1+3*each)
	files := gitCmd(t, dir, "ls-tree", "-r", "--name-only", "HEAD")
	if n := strings.Count(files, "\n"); n != 1+3*each {
		t.Fatalf("%d files in HEAD, want %d", n, 1+3*each)
	}
	assertClean(t, dir)
}

// TestChildCommitter is the body of a child process in TestCrossProcessCommits.
func TestChildCommitter(t *testing.T) {
	dir := os.Getenv("GITREPO_DIR")
	if os.Getenv("GITREPO_CHILD") == "" || dir == "" {
		t.Skip("only runs as a child process")
	}
	var n int
	fmt.Sscan(os.Getenv("GITREPO_N"), &n)
	r, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	prefix := os.Getenv("GITREPO_PREFIX")
	for i := range n {
		p := fmt.Sprintf("records/%s/r%d.md", prefix, i)
		writeFile(t, dir, p, prefix+"\n")
		if _, err := r.Commit(context.Background(), "child "+p, Author{Name: "Child " + prefix, Email: prefix + "@example.org"}, p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHistory(t *testing.T) {
	r, dir := newRepo(t)
	ctx := context.Background()
	bob := Author{Name: "Bob", Email: "bob@city.example"}
	var aHashes []string
	writeFile(t, dir, "records/a.md", "a1\n")
	writeFile(t, dir, "records/b.md", "b1\n")
	aHashes = append(aHashes, mustCommit(t, r, "Create record: A"))
	for i := 2; i <= 4; i++ {
		writeFile(t, dir, "records/b.md", fmt.Sprintf("b%d\n", i))
		mustCommit(t, r, "Update record: B", "records/b.md")
		writeFile(t, dir, "records/a.md", fmt.Sprintf("a%d\n", i))
		h, err := r.Commit(ctx, fmt.Sprintf("Update record: A\n\nround %d", i), bob, "records/a.md")
		if err != nil {
			t.Fatal(err)
		}
		aHashes = append(aHashes, h)
	}
	hist, err := r.History(ctx, "records/a.md", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range hist {
		got = append(got, c.Hash)
	}
	want := strings.Fields(gitCmd(t, dir, "log", "--format=%H", "--", "records/a.md"))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("History(a) = %v\ngit log -- a = %v", got, want)
	}
	if len(got) != 4 || got[0] != aHashes[3] || got[3] != aHashes[0] {
		t.Fatalf("History(a) = %v, want newest first %v", got, aHashes)
	}
	top := hist[0]
	if top.AuthorName != "Bob" || top.AuthorEmail != "bob@city.example" || top.Message != "Update record: A\n\nround 4" ||
		!reflect.DeepEqual(top.Files, []string{"records/a.md"}) || time.Since(top.Date) > time.Minute {
		t.Fatalf("newest commit = %+v", top)
	}
	if first := hist[3]; !reflect.DeepEqual(first.Files, []string{"records/a.md", "records/b.md"}) || first.AuthorName != "Alice Clerk" {
		t.Fatalf("first commit = %+v", first)
	}
	page, err := r.History(ctx, "records/a.md", 2, 1)
	if err != nil || len(page) != 2 || page[0].Hash != want[1] || page[1].Hash != want[2] {
		t.Fatalf("History(limit 2, skip 1) = %+v, %v", page, err)
	}
	all, err := r.History(ctx, "", 0, 0)
	if err != nil || len(all) != 7 {
		t.Fatalf("whole history = %d commits, %v", len(all), err)
	}
	if n, err := r.CountCommits(ctx, "records/b.md"); err != nil || n != 4 {
		t.Fatalf("CountCommits(b) = %d, %v", n, err)
	}
	if n, err := r.CountCommits(ctx, "records"); err != nil || n != 7 {
		t.Fatalf("CountCommits(records) = %d, %v", n, err)
	}
	if n, err := r.CountCommits(ctx, "nothing.md"); err != nil || n != 0 {
		t.Fatalf("CountCommits(nothing) = %d, %v", n, err)
	}

	// A fresh Repo (no cache) reads the same history from disk.
	r2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	hist2, err := r2.History(ctx, "records/a.md", 0, 0)
	if err != nil || !reflect.DeepEqual(stripDates(hist2), stripDates(hist)) {
		t.Fatalf("history from disk differs:\n%+v\n%+v (%v)", hist2, hist, err)
	}
}

func stripDates(cs []Commit) []Commit {
	out := append([]Commit(nil), cs...)
	for i := range out {
		out[i].Date = out[i].Date.UTC()
	}
	return out
}

func TestFileAtAndDiff(t *testing.T) {
	r, dir := newRepo(t)
	ctx := context.Background()
	writeFile(t, dir, "r.md", "line1\nline2\nline3\n")
	h1 := mustCommit(t, r, "v1")
	writeFile(t, dir, "r.md", "line1\nline two\nline3\nline4")
	h2 := mustCommit(t, r, "v2")
	for _, tc := range []struct{ rev, want string }{
		{h1, "line1\nline2\nline3\n"},
		{h1[:7], "line1\nline2\nline3\n"},
		{"HEAD~1", "line1\nline2\nline3\n"},
		{"", "line1\nline two\nline3\nline4"},
		{"main", "line1\nline two\nline3\nline4"},
	} {
		got, err := r.FileAt(ctx, tc.rev, "r.md")
		if err != nil || string(got) != tc.want {
			t.Errorf("FileAt(%q) = %q, %v; want %q", tc.rev, got, err, tc.want)
		}
	}
	if _, err := r.FileAt(ctx, h1, "missing.md"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing path: %v", err)
	}
	if _, err := r.FileAt(ctx, "no-such-rev", "r.md"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing rev: %v", err)
	}
	d, err := r.Diff(ctx, h1, h2, "r.md")
	if err != nil {
		t.Fatal(err)
	}
	gd := gitCmd(t, dir, "diff", h1, h2, "--", "r.md")
	if i := strings.Index(gd, "--- "); i < 0 || d != gd[i:] {
		t.Fatalf("Diff =\n%s\ngit diff =\n%s", d, gd)
	}
}

func TestExistingCLIRepository(t *testing.T) {
	dir := t.TempDir()
	gitCmd(t, dir, "init", "-q", "-b", "master")
	gitCmd(t, dir, "config", "index.version", "4")
	writeFile(t, dir, "records/bylaw/2024/old.md", "old\n")
	writeFile(t, dir, "README.md", "readme\n")
	gitCmd(t, dir, "add", ".")
	gitCmd(t, dir, "commit", "-q", "-m", "Initial CivicPress setup")
	writeFile(t, dir, "records/bylaw/2024/old.md", "old v2\n")
	gitCmd(t, dir, "commit", "-q", "-am", "feat(record): update bylaw")
	// Pack objects and refs, as `git gc` leaves a long-lived repository.
	gitCmd(t, dir, "gc", "-q", "--aggressive")
	if _, err := os.Stat(filepath.Join(dir, ".git", "refs", "heads", "master")); err == nil {
		t.Fatal("gc left a loose ref; the packed-refs path is not exercised")
	}

	r, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if d, err := r.Dirty(context.Background()); err != nil || len(d) != 0 {
		t.Fatalf("Dirty on a clean CLI repo = %v, %v", d, err)
	}
	writeFile(t, dir, "records/bylaw/2024/new.md", "new\n")
	h := mustCommit(t, r, "Create record: New", "records/bylaw/2024/new.md")
	if got := strings.TrimSpace(gitCmd(t, dir, "rev-parse", "master")); got != h {
		t.Fatalf("master = %s, want %s", got, h)
	}
	if got := gitCmd(t, dir, "log", "--format=%s"); got != "Create record: New\nfeat(record): update bylaw\nInitial CivicPress setup\n" {
		t.Fatalf("log = %q", got)
	}
	assertClean(t, dir)
	hist, err := r.History(context.Background(), "records/bylaw/2024/old.md", 0, 0)
	if err != nil || len(hist) != 2 || hist[0].Message != "feat(record): update bylaw" || hist[0].AuthorName != "CLI User" {
		t.Fatalf("history of a packed file = %+v, %v", hist, err)
	}
	old, err := r.FileAt(context.Background(), hist[1].Hash, "records/bylaw/2024/old.md")
	if err != nil || string(old) != "old\n" {
		t.Fatalf("FileAt packed = %q, %v", old, err)
	}

	// And the CLI keeps working after us, on the index we wrote.
	writeFile(t, dir, "cli.md", "cli\n")
	gitCmd(t, dir, "add", "cli.md")
	gitCmd(t, dir, "commit", "-q", "-m", "cli after go")
	if got := gitCmd(t, dir, "show", "--name-only", "--format=", "HEAD"); got != "cli.md\n" {
		t.Fatalf("CLI commit after ours touched %q", got)
	}
	assertClean(t, dir)
	writeFile(t, dir, "go2.md", "x\n")
	mustCommit(t, r, "go after cli", "go2.md")
	checkLinear(t, dir, 5)
	assertClean(t, dir)
}

func TestSubdirectoryOfWorkTree(t *testing.T) {
	root := t.TempDir()
	gitCmd(t, root, "init", "-q", "-b", "main")
	writeFile(t, root, "project.txt", "outside data\n")
	writeFile(t, root, "data/records/a.md", "a\n")
	r, err := Open(filepath.Join(root, "data"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	mustCommit(t, r, "data only")
	if got := gitCmd(t, root, "ls-tree", "-r", "--name-only", "HEAD"); got != "data/records/a.md\n" {
		t.Fatalf("commit of the data dir staged %q", got)
	}
	if d, err := r.Dirty(context.Background()); err != nil || len(d) != 0 {
		t.Fatalf("Dirty(data) = %v, %v; project.txt is outside the dir", d, err)
	}
	hist, err := r.History(context.Background(), "records/a.md", 0, 0)
	if err != nil || len(hist) != 1 || !reflect.DeepEqual(hist[0].Files, []string{"records/a.md"}) {
		t.Fatalf("history = %+v, %v", hist, err)
	}
}

func TestInvalidArguments(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "a.md", "a\n")
	ctx := context.Background()
	for _, tc := range []struct {
		msg   string
		a     Author
		paths []string
	}{
		{"", alice, nil},
		{"  \n\n", alice, nil},
		{"m", Author{Name: "", Email: "x@y"}, nil},
		{"m", Author{Name: "Eve <evil>", Email: "x@y"}, nil},
		{"m", Author{Name: "Eve", Email: "x@y>\nparent 0000"}, nil},
		{"m", alice, []string{"../outside"}},
		{"m", alice, []string{".git/config"}},
		{"m", alice, []string{"sub/.GIT/x"}},
	} {
		if _, err := r.Commit(ctx, tc.msg, tc.a, tc.paths...); !errors.Is(err, ErrInvalid) {
			t.Errorf("Commit(%q, %+v, %v) = %v, want ErrInvalid", tc.msg, tc.a, tc.paths, err)
		}
	}
	if _, err := r.History(ctx, "../x", 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("History outside: %v", err)
	}
}

func TestMessageCleanup(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "a.md", "a\n")
	mustCommit(t, r, "\n  Title  \n\n\n\nBody line   \n\n")
	if got := gitCmd(t, dir, "log", "--format=%B"); got != "  Title\n\nBody line\n\n" {
		t.Fatalf("message = %q", got)
	}
}

func TestStaleLockFromCLIIsReported(t *testing.T) {
	r, dir := newRepo(t)
	r.wait = 50 * time.Millisecond
	writeFile(t, dir, "a.md", "a\n")
	if err := os.WriteFile(filepath.Join(dir, ".git", "index.lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := r.Commit(context.Background(), "m", alice)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("commit with a foreign index.lock = %v, want ErrBusy", err)
	}
	// Not ours to remove: a live git process may hold it.
	if _, err := os.Stat(filepath.Join(dir, ".git", "index.lock")); err != nil {
		t.Fatal("foreign index.lock was removed")
	}
	os.Remove(filepath.Join(dir, ".git", "index.lock"))
	mustCommit(t, r, "m")
	assertClean(t, dir)
}

func TestContextCancelWhileWaiting(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "a.md", "a\n")
	other, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	unlock, err := other.locker.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.Commit(ctx, "m", alice); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("commit while another holder has the file lock = %v", err)
	}
	unlock()
	mustCommit(t, r, "m")
}

func TestSortOrderMatchesGit(t *testing.T) {
	// Names whose order differs between plain and git tree order
	// ("a-b" < "a/" as a directory, "a.md" vs "a" directory).
	r, dir := newRepo(t)
	for _, p := range []string{"a/x.md", "a-b.md", "a.md", "a0.md", "b/c/d.md", "b.c"} {
		writeFile(t, dir, p, p+"\n")
	}
	mustCommit(t, r, "init")
	writeFile(t, dir, "a/y.md", "y\n")
	mustCommit(t, r, "add y", "a/y.md")
	assertClean(t, dir)
	files := strings.Fields(gitCmd(t, dir, "ls-tree", "-r", "--name-only", "HEAD"))
	if !sort.StringsAreSorted(files) || len(files) != 7 {
		t.Fatalf("files = %v", files)
	}
}

// countObjects returns git's count of loose objects and of packs.
func countObjects(t *testing.T, dir string) (loose, packs int) {
	t.Helper()
	for _, l := range strings.Split(gitCmd(t, dir, "count-objects", "-v"), "\n") {
		if v, ok := strings.CutPrefix(l, "count: "); ok {
			fmt.Sscan(v, &loose)
		}
		if v, ok := strings.CutPrefix(l, "packs: "); ok {
			fmt.Sscan(v, &packs)
		}
	}
	return loose, packs
}

// A commit writes no loose objects: its objects go into one pack.
func TestCommitWritesOnePack(t *testing.T) {
	r, dir := newRepo(t)
	writeFile(t, dir, "records/bylaw/2025/a.md", "a\n")
	mustCommit(t, r, "one")
	loose, packs := countObjects(t, dir)
	if loose != 0 || packs != 1 {
		t.Fatalf("after one commit: %d loose objects, %d packs", loose, packs)
	}
	gitCmd(t, dir, "verify-pack", "-v", strings.TrimSpace(gitCmd(t, dir, "rev-parse", "--git-path", "objects/pack"))+"/"+packNames(t, dir)[0]+".idx")
	assertClean(t, dir)
	if got := gitCmd(t, dir, "show", "HEAD:records/bylaw/2025/a.md"); got != "a\n" {
		t.Fatalf("git show = %q", got)
	}
}

func packNames(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.idx"))
	var out []string
	for _, p := range m {
		out = append(out, strings.TrimSuffix(filepath.Base(p), ".idx"))
	}
	return out
}

func TestPackObjects(t *testing.T) {
	r, dir := newRepo(t)
	ctx := context.Background()
	for i := range 23 {
		p := fmt.Sprintf("records/r%d.md", i)
		writeFile(t, dir, p, fmt.Sprintf("record %d\n", i))
		if i >= 20 {
			// The git CLI writes loose objects.
			gitCmd(t, dir, "add", p)
			gitCmd(t, dir, "commit", "-q", "-m", "cli "+p)
			continue
		}
		mustCommit(t, r, "Create record: "+p, p)
	}
	// Another Repo on the same directory has already read objects from
	// the small packs; it must find them in the merged pack afterwards.
	r2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r2.History(ctx, "", 0, 0); err != nil {
		t.Fatal(err)
	}
	looseBefore, packsBefore := countObjects(t, dir)
	// Commits carry on while packing.
	done := make(chan error)
	go func() {
		for i := range 10 {
			p := fmt.Sprintf("records/during%d.md", i)
			writeFile(t, dir, p, "during\n")
			if _, err := r.Commit(ctx, "during packing", alice, p); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	n, err := r.PackObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := r.PackObjects(ctx); err != nil {
		t.Fatal(err)
	}
	loose, packs := countObjects(t, dir)
	if n == 0 || loose != 0 || packs != 1 || looseBefore == 0 || packsBefore != 20 {
		t.Fatalf("packed %d; loose objects %d before, %d after; packs %d before, %d after", n, looseBefore, loose, packsBefore, packs)
	}
	assertClean(t, dir)
	// Both Repos keep reading (now from the merged pack) and committing.
	hist, err := r.History(ctx, "records/r3.md", 0, 0)
	if err != nil || len(hist) != 1 {
		t.Fatalf("history after packing = %v, %v", hist, err)
	}
	if got, err := r2.FileAt(ctx, hist[0].Hash, "records/r3.md"); err != nil || string(got) != "record 3\n" {
		t.Fatalf("FileAt from pack = %q, %v", got, err)
	}
	cli, err := r2.History(ctx, "records/r21.md", 0, 0)
	if err != nil || len(cli) != 1 || cli[0].AuthorName != "CLI User" {
		t.Fatalf("history of a CLI commit = %v, %v", cli, err)
	}
	if got, err := r2.FileAt(ctx, cli[0].Hash, "records/r21.md"); err != nil || string(got) != "record 21\n" {
		t.Fatalf("FileAt of a CLI commit = %q, %v", got, err)
	}
	if d, err := r2.Diff(ctx, hist[0].Hash+"~1", hist[0].Hash, "records/r3.md"); err != nil || !strings.Contains(d, "+record 3") {
		t.Fatalf("Diff after packing = %q, %v", d, err)
	}
	h2, err := r2.History(ctx, "", 0, 0)
	if err != nil || len(h2) != 33 {
		t.Fatalf("whole history from the other Repo: %d commits, %v", len(h2), err)
	}
	writeFile(t, dir, "records/after.md", "after\n")
	mustCommit(t, r2, "after packing", "records/after.md")
	assertClean(t, dir)
	checkLinear(t, dir, 34)
	if got := gitCmd(t, dir, "log", "-1", "--format=%s", "--", "records/during9.md"); got != "during packing\n" {
		t.Fatalf("git log after packing = %q", got)
	}
}

// Packs from commits are merged in the background as they pile up, and
// everything stays readable by this package and by git.
func TestAutomaticPacking(t *testing.T) {
	r, dir := newRepo(t)
	ctx := context.Background()
	const n = 3 * autoPackCount
	for i := range n {
		p := fmt.Sprintf("records/r%d.md", i)
		writeFile(t, dir, p, fmt.Sprintf("record %d\n", i))
		mustCommit(t, r, "Create record: "+p, p)
	}
	// Without merging there would be n packs.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, packs := countObjects(t, dir); packs < autoPackCount {
			break
		}
		if time.Now().After(deadline) {
			_, packs := countObjects(t, dir)
			t.Fatalf("%d packs after %d commits: no background merge", packs, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.Close() // waits for a merge still running
	assertClean(t, dir)
	r2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	for i := range n {
		p := fmt.Sprintf("records/r%d.md", i)
		h, err := r2.History(ctx, p, 0, 0)
		if err != nil || len(h) != 1 || h[0].Message != "Create record: "+p {
			t.Fatalf("History(%s) = %v, %v", p, h, err)
		}
		if got, err := r2.FileAt(ctx, h[0].Hash, p); err != nil || string(got) != fmt.Sprintf("record %d\n", i) {
			t.Fatalf("FileAt(%s) = %q, %v", p, got, err)
		}
	}
	checkLinear(t, dir, n)
}

func TestHistoryCacheFile(t *testing.T) {
	r, dir := newRepo(t)
	ctx := context.Background()
	for i := range 5 {
		writeFile(t, dir, "records/a.md", fmt.Sprintf("a%d\n", i))
		writeFile(t, dir, fmt.Sprintf("records/b%d.md", i), "b\n")
		mustCommit(t, r, fmt.Sprintf("round %d", i))
	}
	// A commit made by someone else, which no cache knows.
	writeFile(t, dir, "records/a.md", "by the CLI\n")
	gitCmd(t, dir, "commit", "-q", "-am", "cli edit")
	r.Close()

	want := strings.Fields(gitCmd(t, dir, "log", "--format=%H", "--", "records/a.md"))
	cache := filepath.Join(dir, ".git", "civicpress-history.jsonl")
	history := func() []Commit {
		t.Helper()
		r, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		h, err := r.History(ctx, "records/a.md", 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range h {
			got = append(got, c.Hash)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("History = %v, want %v", got, want)
		}
		return h
	}
	first := history()
	if first[0].Message != "cli edit" || first[0].AuthorName != "CLI User" || !reflect.DeepEqual(first[0].Files, []string{"records/a.md"}) {
		t.Fatalf("foreign commit = %+v", first[0])
	}
	data, err := os.ReadFile(cache)
	if err != nil || strings.Count(string(data), "\n") != 6 {
		t.Fatalf("cache holds %d lines (%v), want our 5 commits and the CLI's", strings.Count(string(data), "\n"), err)
	}
	// Garbage, a torn line and a well-formed line with a bad hash are
	// skipped; the answers do not change.
	f, _ := os.OpenFile(cache, os.O_APPEND|os.O_WRONLY, 0o644)
	f.WriteString("garbage\n{\"c\":\"zz\",\"t\":\"00\"}\n{\"c\":\"" + strings.Repeat("a", 40) + "\",\"t\":")
	f.Close()
	if h := history(); !reflect.DeepEqual(stripDates(h), stripDates(first)) {
		t.Fatalf("history with a damaged cache differs:\n%+v\n%+v", h, first)
	}
	os.Remove(cache)
	if h := history(); !reflect.DeepEqual(stripDates(h), stripDates(first)) {
		t.Fatalf("history without a cache differs")
	}
}
