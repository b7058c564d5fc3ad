//go:build unix

package gitrepo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCrashAtEveryStep kills a committing child process at each step of a
// commit and checks that the next opener recovers: no git lock file or
// temporary file left behind, the index in line with HEAD, and the change
// committed exactly once (by the dead child if it got as far as moving the
// branch, else by the recovery commit). The kills between writing a lock
// file's content and renaming it are the ones a lock identity made of
// mtime/ctime got wrong (the content write changes them).
func TestCrashAtEveryStep(t *testing.T) {
	if os.Getenv("GITREPO_CHILD") != "" {
		t.Skip("child")
	}
	steps := []struct {
		step      string
		committed bool // the branch had moved when the child died
	}{
		{"temp index.lock", false},
		{"created index.lock", false},
		{"index-locked", false},
		{"temp main.lock", false},
		{"created main.lock", false},
		{"ref-locked", false},
		{"objects-written", false},
		{"files-placed", false},
		{"wrote main.lock", false},
		{"renamed main.lock", true},
		{"ref-updated", true},
		{"wrote index.lock", true},
		{"renamed index.lock", true},
	}
	for _, tc := range steps {
		t.Run(strings.ReplaceAll(tc.step, " ", "-"), func(t *testing.T) {
			dir := crashChild(t, tc.step)
			r2, err := Open(dir, Options{NoSync: true, LockWait: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer r2.Close()
			dirty, err := r2.Dirty(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			assertNoLeftovers(t, dir)
			if tc.committed {
				if len(dirty) != 0 {
					t.Fatalf("Dirty = %v after a commit that moved the branch", dirty)
				}
				// The dead commit may not have written the index; recovery must have.
				assertClean(t, dir)
				checkLinear(t, dir, 2)
				return
			}
			if !reflect.DeepEqual(dirty, []string{"records/b.md"}) {
				t.Fatalf("Dirty = %v, want the uncommitted record", dirty)
			}
			mustCommit(t, r2, "Recover uncommitted changes")
			assertClean(t, dir)
			checkLinear(t, dir, 2)
		})
	}
}

// TestCrashAtEveryStepCommitFiles is TestCrashAtEveryStep for CommitFiles
// (write records/b.md, remove records/a.md): the files are either in place
// with the commit, or not in place, or in place without the commit (the
// caller's redo log finishes that; here a commit of what Dirty finds).
func TestCrashAtEveryStepCommitFiles(t *testing.T) {
	if os.Getenv("GITREPO_CHILD") != "" {
		t.Skip("child")
	}
	steps := []struct {
		step              string
		placed, committed bool
	}{
		{"temp index.lock", false, false},
		{"created index.lock", false, false},
		{"index-locked", false, false},
		{"temp main.lock", false, false},
		{"created main.lock", false, false},
		{"ref-locked", false, false},
		{"objects-written", false, false},
		{"files-placed", true, false},
		{"wrote main.lock", true, false},
		{"renamed main.lock", true, true},
		{"ref-updated", true, true},
		{"wrote index.lock", true, true},
		{"renamed index.lock", true, true},
	}
	for _, tc := range steps {
		t.Run(strings.ReplaceAll(tc.step, " ", "-"), func(t *testing.T) {
			dir := crashChild(t, tc.step, "GITREPO_FILES=1")
			r2, err := Open(dir, Options{NoSync: true, LockWait: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer r2.Close()
			dirty, err := r2.Dirty(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			assertNoLeftovers(t, dir)
			_, aErr := os.Stat(filepath.Join(dir, "records/a.md"))
			b, bErr := os.ReadFile(filepath.Join(dir, "records/b.md"))
			if placed := errors.Is(aErr, os.ErrNotExist) && bErr == nil && string(b) == "b\n"; placed != tc.placed {
				t.Fatalf("files placed = %v (a: %v, b: %q %v), want %v", placed, aErr, b, bErr, tc.placed)
			}
			if !tc.placed && (aErr != nil || !errors.Is(bErr, os.ErrNotExist)) {
				t.Fatalf("work tree changed by a commit that never placed its files: a %v, b %v", aErr, bErr)
			}
			switch {
			case tc.committed:
				if len(dirty) != 0 {
					t.Fatalf("Dirty = %v after the commit was made", dirty)
				}
				checkLinear(t, dir, 2)
			case tc.placed:
				if !reflect.DeepEqual(dirty, []string{"records/a.md", "records/b.md"}) {
					t.Fatalf("Dirty = %v, want the placed files", dirty)
				}
				mustCommit(t, r2, "Recover uncommitted changes")
				checkLinear(t, dir, 2)
			default:
				if len(dirty) != 0 {
					t.Fatalf("Dirty = %v, want nothing", dirty)
				}
				checkLinear(t, dir, 1)
			}
			assertClean(t, dir)
		})
	}
}

// crashChild makes a repository with one commit, runs a child that writes
// records/b.md (and with GITREPO_FILES, removes records/a.md through
// CommitFiles) and dies (SIGKILL) at step of committing it, and returns the
// repository's directory.
func crashChild(t *testing.T, step string, env ...string) string {
	t.Helper()
	r, dir := newRepo(t)
	writeFile(t, dir, "records/a.md", "a\n")
	mustCommit(t, r, "init")
	r.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildCrash$")
	cmd.Env = append(os.Environ(), "GITREPO_CHILD=1", "GITREPO_DIR="+dir, "GITREPO_CRASH_AT="+step)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die at %q: %v\n%s", step, err, out)
	}
	return dir
}

// assertNoLeftovers checks that recovery removed every lock file and
// temporary lock file the dead child made.
func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	for _, lock := range []string{"index.lock", "refs/heads/main.lock"} {
		if _, err := os.Stat(filepath.Join(dir, ".git", lock)); err == nil {
			t.Fatalf("%s left behind after recovery", lock)
		}
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".git", "civicpress-lock-*")); len(tmps) > 0 {
		t.Fatalf("temporary lock files left behind: %v", tmps)
	}
	if tmps, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "tmp_*")); len(tmps) > 0 {
		t.Fatalf("temporary pack files left behind: %v", tmps)
	}
}

// A lock file another git process creates at the path of one the dead
// child had (or was about to have) is that process's lock: recovery leaves
// it alone and the commit waits for it, then fails with ErrBusy; once that
// process is done, the commit goes through.
func TestCrashThenForeignLock(t *testing.T) {
	if os.Getenv("GITREPO_CHILD") != "" {
		t.Skip("child")
	}
	for _, tc := range []struct{ step, lock string }{
		{"temp main.lock", "refs/heads/main.lock"},  // died before its lock existed
		{"wrote main.lock", "refs/heads/main.lock"}, // died holding it; git took it after someone cleared it
		{"renamed index.lock", "index.lock"},        // died after its lock became the index
		{"temp index.lock", "index.lock"},           // died with only a temporary file
		{"created index.lock", "index.lock"},        // died holding it; git took it after someone cleared it
	} {
		t.Run(strings.ReplaceAll(tc.step, " ", "-"), func(t *testing.T) {
			dir := crashChild(t, tc.step)
			lock := filepath.Join(dir, ".git", filepath.FromSlash(tc.lock))
			// The foreign process: whatever the child left at the lock's
			// path was cleared by hand, then git took the lock.
			os.Remove(lock)
			if _, err := gitRun(t, dir, "status", "--porcelain"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(lock, []byte("git at work\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r2, err := Open(dir, Options{NoSync: true, LockWait: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer r2.Close()
			writeFile(t, dir, "records/c.md", "c\n")
			if _, err := r2.Commit(context.Background(), "Create record: C", alice, "records/c.md"); !errors.Is(err, ErrBusy) {
				t.Fatalf("commit with a foreign %s held: %v, want ErrBusy", tc.lock, err)
			}
			if data, err := os.ReadFile(lock); err != nil || string(data) != "git at work\n" {
				t.Fatalf("foreign %s was touched: %q %v", tc.lock, data, err)
			}
			os.Remove(lock) // the foreign process finishes
			if _, err := r2.Dirty(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, err := r2.Commit(context.Background(), "Recover", alice); err != nil && !errors.Is(err, ErrNothingToCommit) {
				t.Fatal(err)
			}
			assertNoLeftovers(t, dir)
			assertClean(t, dir)
		})
	}
}

// TestChildCrash is the child of TestCrashAtEveryStep.
func TestChildCrash(t *testing.T) {
	dir, step := os.Getenv("GITREPO_DIR"), os.Getenv("GITREPO_CRASH_AT")
	if os.Getenv("GITREPO_CHILD") == "" || step == "" {
		t.Skip("only runs as a child process")
	}
	testHook = func(s string) {
		if s == step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Hour)
		}
	}
	r, err := Open(dir, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("GITREPO_FILES") != "" {
		r.CommitFiles(context.Background(), "Create record: B", alice,
			File{Path: "records/b.md", Data: []byte("b\n")}, File{Path: "records/a.md", Remove: true})
	} else {
		writeFile(t, dir, "records/b.md", "b\n")
		r.Commit(context.Background(), "Create record: B", alice, "records/b.md")
	}
	t.Fatalf("still alive after step %q", step)
}

// TestSIGKILLUnderLoad kills a child in the middle of a stream of commits,
// several times, then checks that every commit the child acknowledged is in
// the history, every acknowledged file is in HEAD, and the repository is
// sound and clean once recovered.
func TestSIGKILLUnderLoad(t *testing.T) {
	if os.Getenv("GITREPO_CHILD") != "" {
		t.Skip("child")
	}
	if testing.Short() {
		t.Skip("short")
	}
	r, dir := newRepo(t)
	writeFile(t, dir, "README.md", "r\n")
	mustCommit(t, r, "init")
	r.Close()
	acked := map[string]string{} // path -> commit
	next := 0
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildLoad$")
		cmd.Env = append(os.Environ(), "GITREPO_CHILD=1", "GITREPO_DIR="+dir, fmt.Sprintf("GITREPO_START=%d", next))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		// Let it commit a little (at least one commit), then kill it at a
		// random moment.
		killAt := time.Now().Add(time.Duration(10+rand.IntN(100)) * time.Millisecond)
		killed := false
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "ok" {
				acked[f[1]] = f[2]
				fmt.Sscan(strings.TrimSuffix(strings.TrimPrefix(f[1], "records/load/r"), ".md"), &next)
				next++
			}
			if !killed && time.Now().After(killAt) {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child exited before being killed", round)
		}
		next += 10 // skip numbers a killed child may have written but not acked
	}
	if len(acked) < 8 {
		t.Fatalf("only %d acknowledged commits", len(acked))
	}

	r2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if _, err := r2.Dirty(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Commit(context.Background(), "Recover uncommitted changes", alice); err != nil && !errors.Is(err, ErrNothingToCommit) {
		t.Fatal(err)
	}
	// Close waits for a background pack merge the commit may have started:
	// git fsck reports packs deleted under it (as it would during git gc).
	r2.Close()
	assertClean(t, dir)
	files := gitCmd(t, dir, "ls-tree", "-r", "--name-only", "HEAD")
	for p, h := range acked {
		if !strings.Contains(files, p+"\n") {
			t.Errorf("acknowledged %s missing from HEAD", p)
		}
		if _, err := gitRun(t, dir, "merge-base", "--is-ancestor", h, "HEAD"); err != nil {
			t.Errorf("acknowledged commit %s (%s) is not in the history", h, p)
		}
	}
	if got := gitCmd(t, dir, "rev-list", "--min-parents=2", "HEAD"); got != "" {
		t.Fatalf("history is not linear")
	}
	t.Logf("%d acknowledged commits over 8 kills", len(acked))
}

// TestChildLoad is the child of TestSIGKILLUnderLoad: it commits records
// one by one and acknowledges each on stdout.
func TestChildLoad(t *testing.T) {
	dir := os.Getenv("GITREPO_DIR")
	if os.Getenv("GITREPO_CHILD") == "" || os.Getenv("GITREPO_START") == "" {
		t.Skip("only runs as a child process")
	}
	var start int
	fmt.Sscan(os.Getenv("GITREPO_START"), &start)
	r, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := start; ; i++ {
		p := fmt.Sprintf("records/load/r%d.md", i)
		writeFile(t, dir, p, fmt.Sprintf("record %d\n", i))
		h, err := r.Commit(context.Background(), "Create record: "+p, alice, p)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("ok %s %s\n", p, h)
	}
}

func errorsIsNothing(err error) bool {
	return err != nil && strings.Contains(err.Error(), ErrNothingToCommit.Error())
}
