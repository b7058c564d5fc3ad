package civicpress

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store/storetest"
)

// failAt arms failpoint to fail once at step with err; the returned func
// disarms it.
func failAt(step string, err error) func() {
	var mu sync.Mutex
	armed := true
	failpoint = func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		if armed && s == step {
			armed = false
			return err
		}
		return nil
	}
	return func() { failpoint = nil }
}

var writeSteps = []string{"prepare", "indexed", "file-written", "old-removed", "committed"}

// crashOp is one kind of record write, with what must hold once it is done.
type crashOp struct {
	name string
	// setup prepares the record and returns its id.
	setup func(t *testing.T, f *fixture) string
	run   func(f *fixture, id string) error
	// check verifies the write's effect (done) or its absence.
	check func(t *testing.T, f *fixture, id string, done bool)
}

func crashOps() []crashOp {
	ctx := context.Background()
	return []crashOp{
		{
			name: "publish-new",
			setup: func(t *testing.T, f *fixture) string {
				return f.draft(t, f.clerk, "Crash Bylaw", "bylaw", "Body one.").ID
			},
			run: func(f *fixture, id string) error {
				_, err := f.c.Records().Publish(ctx, f.clerk, id, PublishOptions{Status: "published"})
				return err
			},
			check: func(t *testing.T, f *fixture, id string, done bool) {
				rec, err := f.c.Records().Get(ctx, nil, id)
				_, derr := f.c.Records().GetDraft(ctx, f.clerk, id)
				if !done {
					if err == nil || derr != nil {
						t.Fatalf("undone publish left a record (%v) or lost the draft (%v)", err, derr)
					}
					return
				}
				if err != nil || rec.Content != "Body one." || rec.Status != "published" || !errors.Is(derr, ErrNotFound) {
					t.Fatalf("publish: %+v %v, draft %v", rec, err, derr)
				}
				h, _, _ := f.c.Records().History(ctx, f.admin, id, HistoryOptions{})
				if len(h) != 1 || h[0].Message != "Create record: Crash Bylaw" || h[0].AuthorName != "City Clerk" {
					t.Fatalf("history: %+v", h)
				}
			},
		},
		{
			name: "update",
			setup: func(t *testing.T, f *fixture) string {
				return f.publish(t, f.clerk, "Crash Policy", "policy", "Old body.", "published").ID
			},
			run: func(f *fixture, id string) error {
				_, err := f.c.Records().Update(ctx, f.clerk2, id, Changes{Body: ptr("New body.")})
				return err
			},
			check: func(t *testing.T, f *fixture, id string, done bool) {
				rec, err := f.c.Records().Get(ctx, nil, id)
				want, commits := "Old body.", 1
				if done {
					want, commits = "New body.", 2
				}
				h, _, _ := f.c.Records().History(ctx, f.admin, id, HistoryOptions{})
				if err != nil || rec.Content != want || len(h) != commits {
					t.Fatalf("update: %q (want %q), %d commits (want %d), %v", rec.Content, want, len(h), commits, err)
				}
				if done && (h[0].Message != "Update record: Crash Policy" || h[0].AuthorName != "Deputy Clerk") {
					t.Fatalf("commit: %+v", h[0])
				}
			},
		},
		{
			name: "archive",
			setup: func(t *testing.T, f *fixture) string {
				return f.publish(t, f.clerk, "Crash Archive", "resolution", "Resolved.", "published").ID
			},
			run: func(f *fixture, id string) error {
				_, err := f.c.Records().Archive(ctx, f.admin, id)
				return err
			},
			check: func(t *testing.T, f *fixture, id string, done bool) {
				rec, err := f.c.Records().Get(ctx, nil, id)
				if err != nil || rec.Archived() != done || isArchivePath(rec.Path) != done {
					t.Fatalf("archive (done %v): %+v %v", done, rec, err)
				}
				res, _ := f.c.Search().Query(ctx, nil, SearchQuery{Query: "resolved"})
				if (res.Total == 0) != done {
					t.Fatalf("archive (done %v): search finds %d", done, res.Total)
				}
			},
		},
	}
}

// TestCrashAtEveryStepConverges simulates a crash at each step of each kind
// of write (the write stops dead), then reopens the project: the write is
// either wholly absent (crash before the index transaction) or wholly done,
// and files, index and Git agree.
func TestCrashAtEveryStepConverges(t *testing.T) {
	for _, op := range crashOps() {
		for _, step := range writeSteps {
			t.Run(op.name+"/"+step, func(t *testing.T) {
				f := newFixture(t, storetest.Backends()[0], false)
				id := op.setup(t, f)
				disarm := failAt(step, errCrash)
				err := op.run(f, id)
				disarm()
				if !errors.Is(err, errCrash) {
					t.Fatalf("write did not stop at %s: %v", step, err)
				}
				f.reopen(t)
				op.check(t, f, id, step != "prepare")
				assertConsistent(t, f.c)
			})
		}
	}
}

// TestFailedStepIsFinishedByNextWrite injects an ordinary failure (the
// process lives on): the next write to the record finishes the failed one
// before its own.
func TestFailedStepIsFinishedByNextWrite(t *testing.T) {
	ctx := context.Background()
	for _, op := range crashOps() {
		for _, step := range writeSteps[1:] {
			t.Run(op.name+"/"+step, func(t *testing.T) {
				f := newFixture(t, storetest.Backends()[0], false)
				id := op.setup(t, f)
				boom := errors.New("disk on fire")
				disarm := failAt(step, boom)
				err := op.run(f, id)
				disarm()
				if !errors.Is(err, boom) {
					t.Fatalf("write did not fail at %s: %v", step, err)
				}
				// Locking is a write too: it finishes the pending one first.
				if _, err := f.c.Records().Lock(ctx, f.admin, id); err != nil {
					t.Fatal(err)
				}
				if ok, err := f.c.Records().Unlock(ctx, f.admin, id); err != nil || !ok {
					t.Fatal(ok, err)
				}
				op.check(t, f, id, true)
				assertConsistent(t, f.c)
			})
		}
	}
}

// The SIGKILL test's child: it runs a write load on the project named by
// the environment, printing each write once acknowledged, until killed.
const killChildEnv = "CIVICPRESS_RECORDS_KILL_CHILD"

func init() {
	if os.Getenv(killChildEnv) == "" {
		return
	}
	os.Exit(runKillChild())
}

func bodyHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

func runKillChild() int {
	ctx := context.Background()
	c, err := Open(ctx, Config{ProjectDir: os.Getenv("CHILD_PROJECT"), DatabaseURL: os.Getenv("CHILD_DB"), Logger: quiet})
	if err != nil {
		fmt.Println("ERR", err)
		return 1
	}
	out := bufio.NewWriter(os.Stdout)
	ack := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}
	ack("READY")
	r := c.Records()
	round := os.Getenv("CHILD_ROUND")
	var published []string
	for i := 0; ; i++ {
		body := fmt.Sprintf("Round %s write %d.\n\nSome text about parks and bylaws.", round, i)
		d, err := r.CreateDraft(ctx, System, Changes{Title: ptr(fmt.Sprintf("Load %s-%d", round, i)), Type: ptr("policy"), Body: &body})
		if err != nil {
			ack("ERR %v", err)
			return 1
		}
		ack("TRY %s %s", d.ID, bodyHash(body))
		rec, err := r.Publish(ctx, System, d.ID, PublishOptions{Status: "published"})
		if err != nil {
			ack("ERR %v", err)
			return 1
		}
		ack("ACK %s %s", rec.ID, bodyHash(rec.Content))
		published = append(published, rec.ID)
		if i%3 == 2 {
			id := published[len(published)-2]
			nb := fmt.Sprintf("Round %s write %d, amended.", round, i)
			ack("TRY %s %s", id, bodyHash(nb))
			if _, err := r.Update(ctx, System, id, Changes{Body: &nb}); err != nil {
				ack("ERR %v", err)
				return 1
			}
			ack("ACK %s %s", id, bodyHash(nb))
		}
		if i%5 == 4 {
			id := published[len(published)-3]
			ack("TRY %s archive", id)
			if _, err := r.Archive(ctx, System, id); err != nil {
				ack("ERR %v", err)
				return 1
			}
			ack("ARCH %s", id)
		}
	}
}

// TestSIGKILLDuringWriteLoad kills a process writing records at a random
// point, several times, reopening the project after each kill: every
// acknowledged write is there, and files, index and Git agree.
func TestSIGKILLDuringWriteLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	forBackends(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		cfg := testCfg(t, b)
		c := openCfg(t, cfg)
		c.Close()
		acked := map[string]string{} // id -> body hash of the last acknowledged write
		archived := map[string]bool{}
		// tried holds, per id, the writes started since its last
		// acknowledged one: the kill may have caught one done but not
		// acknowledged.
		tried := map[string][]string{}
		for round := range 3 {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), killChildEnv+"=1", "CHILD_PROJECT="+cfg.ProjectDir, "CHILD_DB="+cfg.DatabaseURL,
				fmt.Sprintf("CHILD_ROUND=%d", round))
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			if !lines.Scan() || lines.Text() != "READY" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child: %q %v", lines.Text(), lines.Err())
			}
			// Kill after a varying number of acknowledged writes.
			want := 15 + 11*round
			n := 0
			deadline := time.Now().Add(20 * time.Second)
			read := func() bool {
				f := strings.Fields(lines.Text())
				switch f[0] {
				case "TRY":
					tried[f[1]] = append(tried[f[1]], f[2])
				case "ACK":
					acked[f[1]] = f[2]
					delete(tried, f[1])
					n++
				case "ARCH":
					archived[f[1]] = true
					delete(tried, f[1])
					n++
				default:
					return false
				}
				return true
			}
			for n < want && time.Now().Before(deadline) && lines.Scan() {
				if !read() {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("child: %s", lines.Text())
				}
			}
			// Let it run into the next write, then kill it mid-flight, and
			// read what it printed up to its death.
			time.Sleep(time.Duration(round*3+1) * time.Millisecond)
			cmd.Process.Kill()
			for lines.Scan() {
				if !read() {
					t.Fatalf("child: %s", lines.Text())
				}
			}
			cmd.Wait()
			if n < want {
				t.Fatalf("round %d: child acknowledged %d writes", round, n)
			}
			c, err := Open(ctx, cfg)
			if err != nil {
				j, _ := os.ReadFile(cfg.ProjectDir + "/data/.git/civicpress-commit.journal")
				t.Fatalf("reopen after kill: %v\njournal:\n%s", err, j)
			}
			for id, h := range acked {
				rec, err := c.Records().Get(ctx, nil, id)
				if err != nil {
					t.Fatalf("acknowledged %s lost: %v", id, err)
				}
				ok := bodyHash(rec.Content) == h || archived[id]
				for _, x := range tried[id] {
					ok = ok || x == bodyHash(rec.Content) || x == "archive" && rec.Archived()
				}
				if !ok {
					t.Fatalf("%s: acknowledged body lost (%q)", id, rec.Content)
				}
				if archived[id] && !rec.Archived() {
					t.Fatalf("%s: acknowledged archive lost", id)
				}
				// What the kill interrupted is now settled one way or the other.
				acked[id] = bodyHash(rec.Content)
				archived[id] = rec.Archived()
				delete(tried, id)
			}
			assertConsistent(t, c)
			c.Close()
		}
		if len(acked) < 40 {
			t.Fatalf("only %d records written", len(acked))
		}
	})
}
