package recordfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Differential test against the real libraries: random records are written
// by Marshal and by the node harness (upstream's serializer with the Go
// rules), and read back by Parse and by gray-matter. Both must agree byte
// for byte and value for value.

func nodeHarness(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("testdata", "upstreamfmt")
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found: differential test against the npm yaml/gray-matter libraries skipped")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "gray-matter")); err != nil {
		t.Skip("node_modules missing: run `npm ci` in " + dir)
	}
	return dir
}

func runHarness(t *testing.T, dir, mode string, input []byte) []byte {
	t.Helper()
	cmd := exec.Command("node", "gen.mjs", mode)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node gen.mjs %s: %v\n%s", mode, err, stderr.String())
	}
	return out
}

// pieces that exercise quoting, block scalars and js-yaml's resolvers
var fragments = []string{
	"a", "Bylaw", " ", "  ", "\t", "\n", "\n\n", ":", ": ", "-", "- ", "?", "#", " #", "'", "\"", "\\",
	"[", "]", "{", "}", ",", "&", "*", "!", "|", ">", "%", "@", "`", "~", "<<", "=",
	"0", "1", "12", "012", "0x1F", "0b1", "0o7", "1_0", "1:30", "1.5", ".5", "1e3", "-", "+", ".inf", ".nan",
	"true", "False", "null", "NULL", "yes", "no", "2025-01-15", "T10:00:00", "Z", ".000Z", "+02:00",
	"---", "...", "é", "日本", "🎉", "\u00a0", "\u2028", "\u0085", "\u007f", "\u0007", "\u0000", "\r", "\ufeff",
	"http://x.org/a?b#c", "x", "yz", "Noise", "Restrictions", "said \"hi\"", "it's",
}

func randString(rng *rand.Rand) string {
	n := rng.Intn(6)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(fragments[rng.Intn(len(fragments))])
	}
	return b.String()
}

func randValue(rng *rand.Rand, depth int) any {
	k := rng.Intn(10)
	if depth > 2 && k >= 7 {
		k = rng.Intn(7)
	}
	switch k {
	case 0:
		return nil
	case 1:
		return rng.Intn(2) == 0
	case 2:
		switch rng.Intn(6) {
		case 0:
			return float64(rng.Intn(2000) - 1000)
		case 1:
			return rng.NormFloat64() * 1e6
		case 2:
			return math.Ldexp(rng.Float64(), rng.Intn(200)-100)
		case 3:
			return 1e21 * float64(rng.Intn(9)+1)
		case 4:
			return math.Inf(1 - 2*rng.Intn(2))
		default:
			return 0.1 * float64(rng.Intn(100))
		}
	case 3, 4, 5, 6:
		return randString(rng)
	case 7, 8:
		n := rng.Intn(4)
		a := make([]any, n)
		for i := range a {
			a[i] = randValue(rng, depth+1)
		}
		return a
	default:
		m := &Map{}
		for i, n := 0, rng.Intn(4); i < n; i++ {
			m.Set(randString(rng), randValue(rng, depth+1))
		}
		return m
	}
}

func randRecord(rng *rand.Rand, i int) *Record {
	r := &Record{
		ID:      fmt.Sprintf("record-%d", i),
		Title:   randString(rng) + "x",
		Type:    "bylaw",
		Status:  "draft",
		Author:  "admin",
		Created: "2025-01-15T10:00:00.000Z",
		Updated: "2025-01-15T10:00:00.000Z",
		Body:    randString(rng),
	}
	if rng.Intn(2) == 0 {
		r.Authors = []*Map{NewMap("name", randString(rng), "username", randString(rng))}
	}
	md := &Map{}
	for j, n := 0, rng.Intn(6); j < n; j++ {
		md.Set(randString(rng), randValue(rng, 0))
	}
	if rng.Intn(3) == 0 {
		md.Set("tags", []any{randString(rng), randString(rng)})
	}
	if md.Len() > 0 {
		r.Metadata = md
	}
	return r
}

// jsonValue encodes a value for the harness ($num for what JSON lacks).
func jsonValue(v any) any {
	switch t := v.(type) {
	case float64:
		switch {
		case math.IsNaN(t):
			return map[string]string{"$num": "NaN"}
		case math.IsInf(t, 1):
			return map[string]string{"$num": "Infinity"}
		case math.IsInf(t, -1):
			return map[string]string{"$num": "-Infinity"}
		case t == 0 && math.Signbit(t):
			return map[string]string{"$num": "-0"}
		}
		return t
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = jsonValue(e)
		}
		return out
	case *Map:
		out := &Map{}
		t.Range(func(k string, v any) bool { out.Set(k, jsonValue(v)); return true })
		return out
	}
	return v
}

func TestDifferentialRandom(t *testing.T) {
	dir := nodeHarness(t)
	seed, n := int64(20250115), 400
	if v, err := strconv.Atoi(os.Getenv("RECORDFILE_DIFF_N")); err == nil {
		n = v // a longer local run: RECORDFILE_DIFF_N=20000 RECORDFILE_DIFF_SEED=7
	}
	if v, err := strconv.ParseInt(os.Getenv("RECORDFILE_DIFF_SEED"), 10, 64); err == nil {
		seed = v
	}
	rng := rand.New(rand.NewSource(seed))
	records := make([]*Record, n)
	data := make([]any, n)
	for i := range records {
		records[i] = randRecord(rng, i)
		data[i] = jsonValue(recordToData(records[i]))
	}
	in, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := json.Unmarshal(runHarness(t, dir, "--serialize", in), &want); err != nil {
		t.Fatal(err)
	}
	texts := make([]string, n)
	for i, r := range records {
		got, err := r.Marshal()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		texts[i] = string(got)
		if texts[i] != want[i] {
			t.Errorf("record %d: Marshal differs from the yaml library %s", i, firstDiff(texts[i], want[i]))
		}
	}
	in, _ = json.Marshal(texts)
	read := decodeGolden(t, runHarness(t, dir, "--parse", in))
	for i, e := range read {
		res := e.(*Map)
		jsRec, _ := res.vals["record"].(*Map)
		r, err := Parse([]byte(texts[i]))
		if jsRec == nil {
			if err == nil {
				t.Errorf("record %d: gray-matter fails (%s), Parse succeeded", i, res.String("error"))
			}
			continue
		}
		if err != nil {
			t.Errorf("record %d: Parse: %v\n%s", i, err, texts[i])
			continue
		}
		if got, want := dump(recordToData(r)), dump(jsRec); got != want {
			t.Errorf("record %d: Parse differs from gray-matter %s", i, firstDiff(got, want))
		}
	}
}
