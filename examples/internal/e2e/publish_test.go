package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// publishOne creates a draft and publishes it through api, returning the
// published file's path (relative to the data directory).
func publishOne(api *apiClient, token, title string) (string, error) {
	r, err := api.call("POST", "/records", token, map[string]any{"title": title, "type": "bylaw",
		"content": "# " + title + "\n\nSection 1. Text.\n"})
	if err != nil {
		return "", err
	}
	id, _ := dig(r.body, "data", "id").(string)
	if r.status != 201 || id == "" {
		return "", fmt.Errorf("create %q: %d %s", title, r.status, r.raw)
	}
	r, err = api.call("POST", "/records/"+id+"/publish", token, map[string]any{"status": "published"})
	if err != nil {
		return "", err
	}
	path, _ := dig(r.body, "data", "path").(string)
	if r.status != 201 || path == "" {
		return "", fmt.Errorf("publish %s: %d %s", id, r.status, r.raw)
	}
	return path, nil
}

// git runs the git command line in dir.
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestConcurrentPublishTwoAPIProcesses: two api-only processes on one data
// directory publish at the same time; every publish is one commit on a
// linear history (checked with the git command line). On PostgreSQL the
// commits are serialized by the advisory lock, on SQLite by the file lock.
func TestConcurrentPublishTwoAPIProcesses(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			needBinaries(t)
			dbURL := b.url(t)
			dir := filepath.Join(t.TempDir(), "project")
			_, api1 := startAPI(t, dir, dbURL)
			_, api2 := startAPI(t, dir, dbURL)
			admin := api1.login("admin", adminPassword)
			tokens := []string{api1.createUser(admin, "clerk1", "clerk", "Clerk!2345-e2e"), api2.login("clerk1", "Clerk!2345-e2e")}
			apis := []*apiClient{api1, api2}
			data := filepath.Join(dir, "data")
			before, _ := strconv.Atoi(git(t, data, "rev-list", "--count", "HEAD"))
			bylaws := func(api *apiClient) int {
				r, err := api.call("GET", "/records?type=bylaw&limit=1", tokens[0], nil)
				n, ok := dig(r.body, "data", "totalCount").(float64)
				if err != nil || !ok {
					return -1
				}
				return int(n)
			}
			listed := bylaws(api1)

			const clients, each = 8, 4 // clients split across both processes
			var wg sync.WaitGroup
			var mu sync.Mutex
			var paths []string
			var errs []error
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						p, err := publishOne(apis[c%2], tokens[c%2], fmt.Sprintf("Concurrent Bylaw %d-%d", c, i))
						mu.Lock()
						if err != nil {
							errs = append(errs, err)
						} else {
							paths = append(paths, p)
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(errs) > 0 {
				t.Fatalf("%d publishes failed, first: %v", len(errs), errs[0])
			}

			// Linear: no merge, one new commit per publish, each publish's
			// file committed, nothing left uncommitted, the repository sound.
			if merges := git(t, data, "rev-list", "--merges", "HEAD"); merges != "" {
				t.Fatalf("merge commits in the history: %s", merges)
			}
			after, _ := strconv.Atoi(git(t, data, "rev-list", "--count", "HEAD"))
			if after-before != clients*each {
				t.Fatalf("%d new commits for %d publishes", after-before, clients*each)
			}
			sort.Strings(paths)
			for i, p := range paths {
				if i > 0 && p == paths[i-1] {
					t.Fatalf("two publishes wrote %s", p)
				}
				if log := git(t, data, "log", "--format=%s", "--", p); !strings.HasPrefix(log, "Create record: Concurrent Bylaw") {
					t.Fatalf("%s: history %q", p, log)
				}
			}
			if st := git(t, data, "status", "--porcelain"); st != "" {
				t.Fatalf("work tree not clean after the publishes:\n%s", st)
			}
			git(t, data, "fsck", "--no-dangling")
			// Both processes list every record.
			for _, api := range apis {
				eventually(t, 10*time.Second, "both processes list every record", func() bool { return bylaws(api) == listed+clients*each })
			}
		})
	}
}
