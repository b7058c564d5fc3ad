// Command apiload measures the REST API the way issue #4 asks: a project of
// generated records, the api-only binary started on it, the time from
// process start to the first 200 on /api/v1/health, then wrk (Debian package
// wrk) against the list, get-by-id, search and health endpoints, and the
// server's RSS after all runs.
//
//	go build -o /tmp/api-only ./examples/api-only
//	go run ./internal/cmd/apiload setup -project /tmp/load -records 10000
//	go run ./internal/cmd/apiload run -project /tmp/load -bin /tmp/api-only
//	go run ./internal/cmd/apiload run ... -cache off   # no micro-cache
//
// setup writes the record files (realistic sizes, several types and
// statuses) into a new project and opens it once, so the index is built and
// the files committed before any measurement. run starts the binary with
// rate limiting off (every request comes from 127.0.0.1) and requests as an
// anonymous reader (published records), as a public website's visitors do.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/recordfile"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: apiload setup -project DIR [-records N] | apiload run -project DIR -bin API_ONLY_BINARY [-conns 32] [-duration 10s] [-cache 1s|off]")
	os.Exit(2)
}

// plan is what setup leaves for run: a published record to fetch and a
// query that matches many records.
type plan struct {
	RecordID string `json:"record_id"`
	Query    string `json:"query"`
	Records  int    `json:"records"`
}

func planPath(project string) string {
	return filepath.Join(project, ".system-data", "apiload.json")
}

var words = strings.Fields(`council bylaw municipal district permit zoning
residential commercial parking budget committee hearing amendment schedule
section public notice property assessment tax water sewer road maintenance
license fee penalty enforcement officer resolution policy meeting minutes
motion carried agenda report planning development heritage park recreation
transit emergency services fire police library community housing`)

func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	project := fs.String("project", "", "project directory (must not exist yet)")
	n := fs.Int("records", 10000, "record files to generate")
	fs.Parse(args)
	if *project == "" {
		return fmt.Errorf("setup: -project is required")
	}
	if _, err := os.Stat(*project); err == nil {
		return fmt.Errorf("setup: %s exists; give a new directory", *project)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	text := func(k int) string {
		var b strings.Builder
		for i := range k {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[rng.IntN(len(words))])
		}
		return b.String()
	}
	types := []string{"bylaw", "policy", "resolution", "session"}
	statuses := []string{"published", "published", "approved", "draft"}
	var first string
	for i := range *n {
		created := time.Date(2018+i%8, time.Month(1+i%12), 1+i%28, 10, 0, 0, 0, time.UTC)
		title := text(3 + rng.IntN(5))
		var body strings.Builder
		fmt.Fprintf(&body, "# %s\n\n", strings.ToUpper(title[:1])+title[1:])
		for p := range 4 {
			if p > 0 {
				body.WriteString("\n\n")
			}
			body.WriteString(text(40 + rng.IntN(40)))
			body.WriteString(".")
		}
		r := &recordfile.Record{
			ID: fmt.Sprintf("load-%06d", i), Title: strings.ToUpper(title[:1]) + title[1:],
			Type: types[i%len(types)], Status: statuses[i%len(statuses)], Author: "clerk",
			Created: recordfile.FormatTime(created), Updated: recordfile.FormatTime(created.Add(time.Hour)),
			Body: body.String(),
		}
		data, err := r.Marshal()
		if err != nil {
			return err
		}
		p := filepath.Join(*project, "data", "records", r.Type, r.Created[:4], r.ID+".md")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		if first == "" && r.Status == "published" {
			first = r.ID
		}
	}
	// Opening creates the project around the files, indexes and commits them.
	start := time.Now()
	core, err := civicpress.Open(context.Background(), civicpress.Config{ProjectDir: *project})
	if err != nil {
		return err
	}
	rep := core.Records().LastReindex()
	if err := core.Close(); err != nil {
		return err
	}
	if rep == nil || rep.Indexed != *n {
		msg := "no index report"
		if rep != nil {
			msg = fmt.Sprintf("%d indexed, %d invalid", rep.Indexed, len(rep.Invalid))
			if len(rep.Invalid) > 0 {
				msg += fmt.Sprintf(" (first: %s: %s)", rep.Invalid[0].Path, rep.Invalid[0].Reason)
			}
		}
		return fmt.Errorf("setup: index at open: %s", msg)
	}
	fmt.Printf("%d records written and indexed in %v\n", *n, time.Since(start).Round(time.Millisecond))
	b, _ := json.MarshalIndent(plan{RecordID: first, Query: "council", Records: *n}, "", "  ")
	return os.WriteFile(planPath(*project), b, 0o600)
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	project := fs.String("project", "", "project directory prepared by setup")
	bin := fs.String("bin", "", "the built examples/api-only binary")
	addr := fs.String("addr", "127.0.0.1:3900", "address for the server")
	conns := fs.Int("conns", 32, "wrk connections")
	threads := fs.Int("threads", 2, "wrk threads")
	duration := fs.Duration("duration", 10*time.Second, "wrk duration per endpoint (≤ 60 s)")
	cache := fs.String("cache", "", "CIVIC_CACHE_TTL for the server (default: the server's default)")
	fs.Parse(args)
	if *project == "" || *bin == "" {
		return fmt.Errorf("run: -project and -bin are required")
	}
	if *duration > time.Minute {
		return fmt.Errorf("run: -duration is at most 60s")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("run: wrk not found (apt-get install wrk)")
	}
	raw, err := os.ReadFile(planPath(*project))
	if err != nil {
		return fmt.Errorf("run: %w (run setup first)", err)
	}
	var pl plan
	if err := json.Unmarshal(raw, &pl); err != nil {
		return err
	}

	cmd := exec.Command(*bin)
	cmd.Env = append(os.Environ(), "CIVIC_PROJECT_DIR="+*project, "CIVIC_API_ADDR="+*addr,
		"RATE_LIMIT_DISABLED=true", "CIVIC_LOG_LEVEL=warn")
	if *cache != "" {
		cmd.Env = append(cmd.Env, "CIVIC_CACHE_TTL="+*cache)
	}
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	base := "http://" + *addr + "/api/v1"
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	ready, err := waitHealthy(base+"/health", start, 10*time.Second)
	if err != nil {
		return err
	}
	fmt.Printf("start-up: first 200 on /api/v1/health %v after process start\n", ready.Round(100*time.Microsecond))

	endpoints := []struct{ name, path string }{
		{"health", "/health"},
		{"get-by-id", "/records/" + pl.RecordID},
		{"list-50", "/records?limit=50"},
		{"search", "/search?q=" + pl.Query},
	}
	fmt.Printf("%d records, wrk -t%d -c%d -d%v, cache %q\n", pl.Records, *threads, *conns, *duration, *cache)
	for _, ep := range endpoints {
		if code, err := get(base + ep.path); err != nil || code != 200 {
			return fmt.Errorf("%s: status %d %v", ep.path, code, err)
		}
		out, err := exec.Command("wrk", fmt.Sprintf("-t%d", *threads), fmt.Sprintf("-c%d", *conns),
			"-d"+duration.String(), "--latency", base+ep.path).CombinedOutput()
		if err != nil {
			return fmt.Errorf("wrk %s: %v\n%s", ep.path, err, out)
		}
		fmt.Printf("%-10s %s\n", ep.name, summarize(string(out)))
	}
	rss := rssKiB(cmd.Process.Pid)
	// File-backed pages are the database file mapped by SQLite (mmap_size):
	// shared with the page cache and given back under memory pressure.
	fmt.Printf("server RSS after all runs: %d MB (anonymous %d MB, file-backed %d MB)\n",
		rss["VmRSS"]/1024, rss["RssAnon"]/1024, rss["RssFile"]/1024)
	return nil
}

func waitHealthy(url string, start time.Time, limit time.Duration) (time.Duration, error) {
	c := &http.Client{Timeout: time.Second}
	for time.Since(start) < limit {
		if resp, err := c.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return time.Since(start), nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return 0, fmt.Errorf("no 200 on %s within %v", url, limit)
}

func get(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

var (
	reqRate = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	pct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+(\S+)`)
	non2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
)

// summarize picks requests/s, p50, p99 and any non-2xx count from wrk's
// --latency output.
func summarize(out string) string {
	var b strings.Builder
	if m := reqRate.FindStringSubmatch(out); m != nil {
		fmt.Fprintf(&b, "%10s req/s", m[1])
	}
	for _, m := range pct.FindAllStringSubmatch(out, -1) {
		fmt.Fprintf(&b, "  p%s %s", m[1], m[2])
	}
	if m := non2xx.FindStringSubmatch(out); m != nil {
		fmt.Fprintf(&b, "  NON-2XX %s", m[1])
	}
	return b.String()
}

// rssKiB reads the resident-set lines of /proc/PID/status, in KiB.
func rssKiB(pid int) map[string]int {
	out := map[string]int{}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(k, "VmRSS") && !strings.HasPrefix(k, "Rss") {
			continue
		}
		var kib int
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib); err == nil {
			out[k] = kib
		}
	}
	return out
}
