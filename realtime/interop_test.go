package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The interop suite runs real npm yjs + y-websocket clients (unmodified,
// over the ws package) against the hub: testdata/interop/interop.mjs.

const interopDir = "testdata/interop"

func needNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: install Node.js and run npm ci in realtime/testdata/interop")
	}
	if _, err := os.Stat(filepath.Join(interopDir, "node_modules", "y-websocket")); err != nil {
		t.Skip("realtime/testdata/interop/node_modules missing: run npm ci there")
	}
	return node
}

type interopRun struct {
	e    *env
	toks map[string]string
}

func newInterop(t *testing.T) *interopRun {
	e := newEnv(t, nil)
	toks := map[string]string{}
	for _, k := range []string{"editor", "editor2", "logout"} {
		_, toks[k] = e.user("clerk")
	}
	_, toks["viewer"] = e.user("public")
	return &interopRun{e: e, toks: toks}
}

// run runs a scenario; onReady is called when the script prints READY.
func (ir *interopRun) run(t *testing.T, node, scenario string, extra map[string]any, timeout time.Duration, onReady func()) map[string]any {
	t.Helper()
	cfg := map[string]any{"url": ir.e.base + "/records", "room": "bylaw-1", "tokens": ir.toks}
	for k, v := range extra {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "interop.mjs", scenario)
	cmd.Dir = interopDir
	cmd.Env = append(os.Environ(), "INTEROP="+string(b))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var last map[string]any
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == `"READY"` && onReady != nil {
			onReady()
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			last = m
		}
	}
	werr := cmd.Wait()
	if werr != nil || last == nil || last["ok"] != true {
		t.Fatalf("scenario %s: %v\nresult: %v\nstderr: %s", scenario, werr, last, stderr.String())
	}
	return last
}

func TestInteropYWebsocket(t *testing.T) {
	node := needNode(t)

	t.Run("converge, late joiner, writeback is upstream's Markdown", func(t *testing.T) {
		t.Parallel()
		ir := newInterop(t)
		res := ir.run(t, node, "converge", nil, 60*time.Second, nil)
		if closes, _ := res["closes"].([]any); len(closes) != 0 {
			t.Fatalf("stock clients were closed: %v", closes)
		}
		if _, err := ir.e.hub.SnapshotRecord(context.Background(), "bylaw-1"); err != nil {
			t.Fatal(err)
		}
		ds := ir.e.recs.drafts("bylaw-1")
		if len(ds) == 0 {
			t.Fatal("no draft written")
		}
		draft := ds[len(ds)-1].Markdown
		if !strings.Contains(draft, "Paragraph from A.") || !strings.Contains(draft, "Paragraph from B.") {
			t.Fatalf("draft %q", draft)
		}
		if _, err := os.Stat("../internal/pmdoc/testdata/gen/node_modules/y-prosemirror"); err != nil {
			t.Log("internal/pmdoc/testdata/gen/node_modules missing: canonical-form check skipped (npm ci there)")
			return
		}
		cmd := exec.Command(node, "canon.mjs")
		cmd.Dir = interopDir
		cmd.Stdin = strings.NewReader(res["state"].(string))
		canon, err := cmd.Output()
		if err != nil {
			t.Fatalf("canon.mjs: %v", err)
		}
		if draft != string(canon) {
			t.Fatalf("draft Markdown differs from upstream's canonical form:\n got %q\nwant %q", draft, canon)
		}
	})

	t.Run("offline edits merge after reconnect", func(t *testing.T) {
		t.Parallel()
		ir := newInterop(t)
		ir.run(t, node, "offline", nil, 60*time.Second, nil)
	})

	t.Run("view-only client cannot change the document", func(t *testing.T) {
		t.Parallel()
		ir := newInterop(t)
		ir.run(t, node, "viewonly", nil, 60*time.Second, nil)
		if md, _ := ir.e.roomDoc("bylaw-1"); strings.Contains(md, "vandalism") {
			t.Fatalf("server document %q", md)
		}
	})

	t.Run("logout through core closes with 4001", func(t *testing.T) {
		t.Parallel()
		ir := newInterop(t)
		res := ir.run(t, node, "logout", nil, 60*time.Second, func() {
			if err := ir.e.core.Auth().Logout(context.Background(), ir.toks["logout"]); err != nil {
				t.Error(err)
			}
		})
		cl, _ := res["close"].(map[string]any)
		if cl == nil || cl["code"] != float64(CloseAuth) || !strings.Contains(cl["reason"].(string), "SESSION_REVOKED") {
			t.Fatalf("close %v", res["close"])
		}
	})

	t.Run("typing 20 chars per second with cursor awareness is not rate-limited", func(t *testing.T) {
		t.Parallel()
		ir := newInterop(t)
		ir.run(t, node, "typing", map[string]any{"seconds": 15}, 90*time.Second, nil)
	})

	t.Run("a lone client stays connected 70 s", func(t *testing.T) {
		if testing.Short() {
			t.Skip("70 s: skipped with -short")
		}
		t.Parallel()
		ir := newInterop(t)
		ir.run(t, node, "lone", map[string]any{"seconds": 70}, 120*time.Second, nil)
	})
}
