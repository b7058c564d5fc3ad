package pmdoc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The differential test compares the Go converter with the node rebuild of
// upstream's editor schema (testdata/gen, itself checked against upstream's
// vectors) on random Markdown built from syntax fragments.

type oracle struct {
	cmd *exec.Cmd
	in  *bufio.Writer
	out *bufio.Scanner
}

func startOracle(t testing.TB) *oracle {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: differential test against the upstream rebuild skipped")
	}
	dir := filepath.Join("testdata", "gen")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "markdown-it")); err != nil {
		t.Skip("testdata/gen not installed (npm ci): differential test skipped")
	}
	cmd := exec.Command(node, "oracle.mjs")
	cmd.Dir = dir
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	return &oracle{cmd: cmd, in: bufio.NewWriter(stdin), out: sc}
}

type oracleAnswer struct {
	Canonical string          `json:"canonical"`
	Again     string          `json:"again"`
	PM        json.RawMessage `json:"pm"`
	Error     string          `json:"error"`
}

func (o *oracle) ask(t testing.TB, md string) oracleAnswer {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"md": md})
	return o.send(t, b)
}

func (o *oracle) askDoc(t testing.TB, doc *Node) oracleAnswer {
	t.Helper()
	b, _ := json.Marshal(map[string]*Node{"doc": doc})
	return o.send(t, b)
}

func (o *oracle) send(t testing.TB, b []byte) oracleAnswer {
	t.Helper()
	o.in.Write(b)
	o.in.WriteByte('\n')
	o.in.Flush()
	if !o.out.Scan() {
		t.Fatalf("oracle ended: %v", o.out.Err())
	}
	var a oracleAnswer
	if err := json.Unmarshal(o.out.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

var (
	lineStarts = []string{"", "", "", "", "# ", "## ", "> ", "> > ", "- ", "* ", "+ ", "1. ", "2) ", "  ", "    ", "\t", "```", "~~~ js", "---", "***", "| ", "|-|-|", "| --- | :-: |", "<div>", "<!-- c -->", "[r]: /url \"t\"", "===", "-", "10. ", "- [ ] "}
	inlines    = []string{"a", "word", " ", " ", "  ", "\t", "*", "**", "_", "__", "***", "`", "``", "[", "]", "(", ")", "![", "](u)", "](<a b>)", "](/p \"T\")", "<", ">", "&amp;", "&#x41;", "&copy;", "&bogus;", "\\", "\\*", "\\_", "\\|", "|", "é", "😀", "日本", "\u00a0", "http://x.org", "<https://a.b/c>", "<me@x.org>", "<span>", "</span>", "<br>", "<!--civic-ref type=\"record\" id=\"r\" label=\"L\"-->", "<!--civic-ref type=\"geography\" id=\"g-1\" label=\"a &quot;q&quot;\"-->", "~~", "#", "1.", ":", "-", "+", "\"", "'", "!", "[x]", "[r]", "](javascript:x)", "$", "%", "@", "=", "{", "}", "^"}
)

func randomMarkdown(r *rand.Rand) string {
	var b strings.Builder
	lines := 1 + r.Intn(8)
	for i := 0; i < lines; i++ {
		if r.Intn(5) == 0 {
			b.WriteString("\n")
		}
		b.WriteString(lineStarts[r.Intn(len(lineStarts))])
		n := r.Intn(9)
		for j := 0; j < n; j++ {
			b.WriteString(inlines[r.Intn(len(inlines))])
		}
		if r.Intn(6) > 0 || i < lines-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// TestDifferentialRandomMarkdown runs whenever node and the harness are
// installed (3000 inputs; PMDOC_DIFF_N and PMDOC_DIFF_SEED for longer runs).
func TestDifferentialRandomMarkdown(t *testing.T) {
	o := startOracle(t)
	seed := int64(6)
	if s := os.Getenv("PMDOC_DIFF_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	r := rand.New(rand.NewSource(seed))
	n := 3000
	if s := os.Getenv("PMDOC_DIFF_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	if testing.Short() {
		n = 300
	}
	failures := 0
	maxFail := 40
	if s := os.Getenv("PMDOC_DIFF_MAXFAIL"); s != "" {
		fmt.Sscan(s, &maxFail)
	}
	tried := 0
	defer func() { t.Logf("%d compared, %d differed", tried, failures) }()
	for i := 0; i < n && failures < maxFail; i++ {
		md := randomMarkdown(r)
		tried++
		want := o.ask(t, md)
		if want.Error != "" {
			continue
		}
		doc := ParseMarkdown(md)
		got, _ := json.Marshal(doc)
		if !jsonEqual(t, got, string(want.PM)) {
			failures++
			t.Errorf("parse %q\n got %q\nwant %q", md, SerializeMarkdown(doc), want.Canonical)
			continue
		}
		if c := SerializeMarkdown(doc); c != want.Canonical {
			failures++
			t.Errorf("serialize %q\n got %q\nwant %q", md, c, want.Canonical)
		}
	}
}

// Editor-made documents (any shape the schema allows, including the ones
// §6.3 lists as unstable): the serializer and the second pass must match
// upstream's exactly, which tests "a fixed point where upstream's is".
func TestDifferentialEditorDocuments(t *testing.T) {
	if os.Getenv("PMDOC_DIFF") == "" {
		t.Skip("exploratory differential run: set PMDOC_DIFF=1")
	}
	o := startOracle(t)
	g := &docGen{r: rand.New(rand.NewSource(21))}
	n := 2000
	if s := os.Getenv("PMDOC_DIFF_N"); s != "" {
		fmt.Sscan(s, &n)
	}
	failures := 0
	for i := 0; i < n && failures < 20; i++ {
		doc := g.doc()
		want := o.askDoc(t, doc)
		if want.Error != "" {
			continue
		}
		got := SerializeMarkdown(doc)
		if got != want.Canonical {
			failures++
			t.Errorf("serialize %s\n got %q\nwant %q", docJSON(t, doc), got, want.Canonical)
			continue
		}
		if again := SerializeMarkdown(ParseMarkdown(got)); again != want.Again {
			failures++
			t.Errorf("second pass of %q\n got %q\nwant %q", got, again, want.Again)
		}
	}
}
