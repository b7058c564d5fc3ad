package gitrepo

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// diskCache persists what a history walk learns about each commit (its
// parents, tree, author, message and changed paths) in an append-only file
// under .git, one JSON object per line, like git's commit-graph: a newly
// started process answers history queries without reading and diffing
// every commit again. Entries are keyed by commit hash, and commits are
// immutable, so an entry is never stale; a torn or garbled line is skipped
// and that commit read from the object database instead. Several processes
// may append to the file (each line is one write on an O_APPEND file).
type diskCache struct {
	mu  sync.Mutex
	f   *os.File
	off int64 // how far this process has read
	bad bool  // the file cannot be used; work without it
}

type diskCommit struct {
	C  string   `json:"c"`
	T  string   `json:"t"`
	P  []string `json:"p,omitempty"`
	AN string   `json:"an"`
	AE string   `json:"ae"`
	AT int64    `json:"at"`
	TZ string   `json:"tz"`
	CT int64    `json:"ct"`
	M  string   `json:"m"`
	F  []string `json:"f"`
}

func (r *Repo) diskCachePath() string { return filepath.Join(r.gitDir, "civicpress-history.jsonl") }

// openDiskCache opens the file once; callers hold dc.mu.
func (r *Repo) openDiskCache() bool {
	dc := &r.dc
	if dc.f == nil && !dc.bad {
		f, err := os.OpenFile(r.diskCachePath(), os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o644)
		if err != nil {
			dc.bad = true
			return false
		}
		dc.f = f
	}
	return dc.f != nil
}

// persist appends a commit whose changed files are known.
func (r *Repo) persist(id plumbing.Hash, m *commitMeta) {
	d := diskCommit{
		C: id.String(), T: m.tree.String(),
		AN: m.authorName, AE: m.authorEmail,
		AT: m.authorTime.Unix(), TZ: m.authorTime.Format("-0700"), CT: m.commitTime,
		M: m.message, F: m.files,
	}
	for _, p := range m.parents {
		d.P = append(d.P, p.String())
	}
	if d.F == nil {
		d.F = []string{}
	}
	line, err := json.Marshal(d)
	if err != nil {
		return
	}
	line = append(line, '\n')
	r.dc.mu.Lock()
	defer r.dc.mu.Unlock()
	if r.openDiskCache() {
		// The cache is an optimization: a failed append costs a re-read later.
		_, _ = r.dc.f.Write(line)
	}
}

// refreshDiskCache reads the lines appended since the last call (by this or
// other processes) into the in-memory cache.
func (r *Repo) refreshDiskCache() {
	dc := &r.dc
	dc.mu.Lock()
	defer dc.mu.Unlock()
	if !r.openDiskCache() {
		return
	}
	fi, err := dc.f.Stat()
	if err != nil || fi.Size() <= dc.off {
		return
	}
	data := make([]byte, fi.Size()-dc.off)
	n, err := dc.f.ReadAt(data, dc.off)
	if err != nil && err != io.EOF {
		return
	}
	data = data[:n]
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		return // a line still being written
	}
	dc.off += int64(end + 1)
	for _, line := range bytes.Split(data[:end], []byte{'\n'}) {
		var d diskCommit
		if json.Unmarshal(line, &d) != nil {
			continue
		}
		id, m, ok := d.meta()
		if !ok {
			continue
		}
		r.histMu.Lock()
		old := r.hist != nil && r.hist.commits[id] != nil && r.hist.commits[id].filesDone
		r.histMu.Unlock()
		if !old {
			r.remember(id, m)
		}
	}
}

func (d *diskCommit) meta() (plumbing.Hash, *commitMeta, bool) {
	if !plumbing.IsHash(d.C) || !plumbing.IsHash(d.T) || len(d.TZ) != 5 {
		return plumbing.ZeroHash, nil, false
	}
	m := &commitMeta{
		tree:        plumbing.NewHash(d.T),
		authorName:  d.AN,
		authorEmail: d.AE,
		commitTime:  d.CT,
		message:     d.M,
		files:       d.F,
		filesDone:   true,
	}
	for _, p := range d.P {
		if !plumbing.IsHash(p) {
			return plumbing.ZeroHash, nil, false
		}
		m.parents = append(m.parents, plumbing.NewHash(p))
	}
	for _, f := range d.F {
		if f == "" || strings.HasPrefix(f, "/") || strings.Contains("/"+f+"/", "/../") {
			return plumbing.ZeroHash, nil, false
		}
	}
	_, _, when := parseSignature("x <y> 0 " + d.TZ)
	m.authorTime = time.Unix(d.AT, 0).In(when.Location())
	return plumbing.NewHash(d.C), m, true
}

func (r *Repo) closeDiskCache() {
	r.dc.mu.Lock()
	defer r.dc.mu.Unlock()
	if r.dc.f != nil {
		r.dc.f.Close()
		r.dc.f = nil
	}
}
