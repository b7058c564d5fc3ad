package yjs

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readCorpusFile parses a "go test fuzz v1" file into its values.
func readCorpusFile(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vals []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "[]byte(") && strings.HasSuffix(line, ")"):
			s, err := strconv.Unquote(line[len("[]byte(") : len(line)-1])
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			vals = append(vals, s)
		case strings.HasPrefix(line, "byte(") && strings.HasSuffix(line, ")"):
			s, err := strconv.Unquote(line[len("byte(") : len(line)-1])
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			vals = append(vals, s)
		}
	}
	return vals
}

type yjsSnap struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
	JSON  string `json:"json"`
	SV    string `json:"sv"`
	State string `json:"state"`
}

// TestFuzzCorpusWithYjs runs the committed fuzz corpus through real yjs:
// every update both accept must give the same state, bytes included, and
// every delivery order of FuzzApplyAnyOrder must give identical documents.
func TestFuzzCorpusWithYjs(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: the corpus comparison needs node and npm ci in testdata/yjsnode")
	}
	dir := filepath.Join("testdata", "yjsnode")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "yjs")); err != nil {
		t.Skip("testdata/yjsnode/node_modules missing: run npm ci there")
	}
	type order struct {
		Scenario int   `json:"scenario"`
		Order    []int `json:"order"`
	}
	var in struct {
		Updates []string `json:"updates"`
		Orders  []order  `json:"orders"`
	}
	var updates [][]byte
	files, _ := filepath.Glob("testdata/fuzz/FuzzApplyUpdate/*")
	for _, f := range files {
		v := readCorpusFile(t, f)
		updates = append(updates, []byte(v[0]))
		in.Updates = append(in.Updates, hex.EncodeToString([]byte(v[0])))
	}
	files, _ = filepath.Glob("testdata/fuzz/FuzzApplyAnyOrder/*")
	for _, f := range files {
		v := readCorpusFile(t, f)
		o := order{Scenario: int(v[0][0]) % 64}
		for _, b := range []byte(v[1]) {
			o.Order = append(o.Order, int(b))
		}
		in.Orders = append(in.Orders, o)
	}
	payload, _ := json.Marshal(in)
	cmd := exec.Command(node, "fuzzcheck.mjs")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(payload)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var res struct {
		Updates []yjsSnap `json:"updates"`
		Orders  []yjsSnap `json:"orders"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	both, goStricter, yjsStricter := 0, 0, 0
	for i, u := range updates {
		doc := NewDoc(Options{ClientID: 1})
		makeRoots(doc)
		err := doc.ApplyUpdate(u)
		y := res.Updates[i]
		switch {
		case err == nil && y.OK:
			both++
			state, _ := doc.EncodeStateAsUpdate(nil)
			if hex.EncodeToString(state) != y.State || docState(doc) != y.JSON || hex.EncodeToString(doc.EncodeStateVector()) != y.SV {
				t.Errorf("update %x: Go and yjs differ\n go %x %s\nyjs %s %s", u, state, docState(doc), y.State, y.JSON)
			}
		case err != nil && y.OK:
			goStricter++
			t.Logf("Go rejects what yjs accepts (%v): %x", err, u)
		case err == nil && !y.OK:
			yjsStricter++
			t.Logf("yjs throws (%s), Go accepts: %x", y.Error, u)
		}
	}
	t.Logf("%d corpus updates: %d accepted by both (identical), %d rejected only by Go, %d only by yjs", len(updates), both, goStricter, yjsStricter)
	for i, o := range in.Orders {
		s := mustScenarios(t)[o.Scenario]
		doc := NewDoc(Options{ClientID: 4242, NoGC: !s.gc})
		makeRoots(doc)
		seen := map[int]bool{}
		for _, b := range o.Order {
			k := b % len(s.updates)
			seen[k] = true
			doc.ApplyUpdate(s.updates[k])
		}
		for k, u := range s.updates {
			if !seen[k] {
				doc.ApplyUpdate(u)
			}
		}
		y := res.Orders[i]
		state, _ := doc.EncodeStateAsUpdate(nil)
		if docState(doc) != y.JSON || hex.EncodeToString(state) != y.State || hex.EncodeToString(doc.EncodeStateVector()) != y.SV {
			t.Errorf("order %v of scenario %d: Go and yjs differ\n go %s\nyjs %s", o.Order, o.Scenario, docState(doc), y.JSON)
		}
	}
	t.Logf("%d delivery orders compared", len(in.Orders))
}

var scenarioCache []scenario

func mustScenarios(t *testing.T) []scenario {
	if scenarioCache == nil {
		ss, err := readScenarioFile("testdata/differential/yjs-scenarios.bin.gz")
		if err != nil {
			t.Fatal(err)
		}
		scenarioCache = ss
	}
	return scenarioCache
}
