package yjs

import (
	"bytes"
	"compress/gzip"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

const reverseFile = "testdata/differential/go-scenarios.bin.gz"

var (
	revChars = []string{"a", "b", "c", "d", "e", " ", "x", "y", "é", "😀", "𝄞", "\n", "ü", "中"}
	revKeys  = []string{"a", "b", "c", "key", "1", "02", "title", "x y"}
	revMarks = []string{"bold", "italic", "link", "code", "1"}
)

type revGen struct{ r *rand.Rand }

func (g *revGen) int(lo, hi int) int  { return lo + g.r.IntN(hi-lo+1) }
func (g *revGen) bool(p float64) bool { return g.r.Float64() < p }
func (g *revGen) pick(s []string) string {
	return s[g.r.IntN(len(s))]
}

func (g *revGen) str(maxLen int) string {
	s := ""
	for n := g.int(1, maxLen); n > 0; n-- {
		s += g.pick(revChars)
	}
	return s
}

func (g *revGen) any(depth int) any {
	hi := 8
	if depth > 1 {
		hi = 5
	}
	switch g.int(0, hi) {
	case 0:
		return float64(g.int(-100, 100000))
	case 1:
		return []float64{0.5, -1.25, 1e21, 3.14159, 1 << 31, -(1 << 31), 1e-7, 123456.789}[g.r.IntN(8)]
	case 2:
		return g.str(6)
	case 3:
		return g.bool(0.5)
	case 4:
		return nil
	case 5:
		return float64(g.int(0, 1<<31-1))
	case 6:
		o := lib0.NewObject()
		for n := g.int(0, 3); n > 0; n-- {
			o.Set(g.pick(revKeys), g.any(depth+1))
		}
		return o
	case 7:
		a := []any{}
		for n := g.int(0, 3); n > 0; n-- {
			a = append(a, g.any(depth+1))
		}
		return a
	}
	return []byte{byte(g.int(0, 255)), byte(g.int(0, 255))}
}

func (g *revGen) attrs() *lib0.Object {
	a := lib0.NewObject()
	for n := g.int(0, 2); n > 0; n-- {
		var v any
		switch g.int(0, 4) {
		case 0:
			v = true
		case 1:
			v = nil
		case 2:
			v = lib0.NewObject()
		case 3:
			o := lib0.NewObject()
			o.Set("href", "https://x.org/"+string(rune('0'+g.int(0, 3))))
			o.Set("title", nil)
			v = o
		default:
			v = float64(g.int(1, 3))
		}
		a.Set(g.pick(revMarks), v)
	}
	return a
}

func (g *revGen) xmlNode(depth int) any {
	if depth > 2 || g.bool(0.35) {
		x := NewXmlText()
		var delta []DeltaOp
		for n := g.int(1, 3); n > 0; n-- {
			op := DeltaOp{Insert: g.str(6)}
			if g.bool(0.5) {
				op.Attributes = g.attrs()
			}
			delta = append(delta, op)
		}
		x.ApplyDelta(nil, delta)
		return x
	}
	el := NewXmlElement([]string{"paragraph", "heading", "list_item", "civicRef", "Blockquote"}[g.r.IntN(5)])
	for n := g.int(0, 2); n > 0; n-- {
		el.SetAttribute(nil, g.pick(revKeys), g.any(2))
	}
	var kids []any
	for n := g.int(0, 3); n > 0; n-- {
		kids = append(kids, g.xmlNode(depth+1))
	}
	el.Insert(nil, 0, kids...)
	return el
}

func xmlNodesOf(children []any, els *[]XmlElement, texts *[]XmlText) {
	for _, c := range children {
		switch x := c.(type) {
		case XmlElement:
			*els = append(*els, x)
			xmlNodesOf(x.Children(), els, texts)
		case XmlText:
			*texts = append(*texts, x)
		}
	}
}

func (g *revGen) textOp(tx *Txn, t XmlText) {
	n := t.Len()
	k := g.int(0, 9)
	switch {
	case k < 4 || n == 0:
		var a *lib0.Object
		if g.bool(0.4) {
			a = g.attrs()
		}
		t.Insert(tx, g.int(0, n), g.str(6), a)
	case k < 6:
		i := g.int(0, n-1)
		t.Delete(tx, i, g.int(1, min(4, n-i)))
	case k < 9:
		i := g.int(0, n-1)
		t.Format(tx, i, g.int(1, min(6, n-i)), g.attrs())
	default:
		o := lib0.NewObject()
		o.Set("image", "i"+string(rune('0'+g.int(0, 9))))
		var a *lib0.Object
		if g.bool(0.5) {
			a = g.attrs()
		}
		t.InsertEmbed(tx, g.int(0, n), o, a)
	}
}

func (g *revGen) value() any {
	switch g.int(0, 9) {
	case 0:
		m := NewMap()
		m.Set(nil, "k", g.any(1))
		return m
	case 1:
		a := NewArray()
		a.Insert(nil, 0, g.any(1), g.any(1))
		return a
	case 2:
		return NewText(g.str(6))
	}
	return g.any(0)
}

func (g *revGen) step(tx *Txn, d *Doc) {
	frag := d.XmlFragment("xml")
	text := XmlText(d.Text("text"))
	m := d.Map("map")
	arr := d.Array("arr")
	switch g.int(0, 9) {
	case 0, 1:
		idx := g.int(0, frag.Len())
		var nodes []any
		for n := g.int(1, 2); n > 0; n-- {
			nodes = append(nodes, g.xmlNode(0))
		}
		frag.Insert(tx, idx, nodes...)
	case 2:
		var els []XmlElement
		var texts []XmlText
		xmlNodesOf(frag.Children(), &els, &texts)
		switch k := g.int(0, 3); {
		case k == 0 && frag.Len() > 0:
			i := g.int(0, frag.Len()-1)
			frag.Delete(tx, i, g.int(1, min(2, frag.Len()-i)))
		case k == 1 && len(els) > 0:
			el := els[g.r.IntN(len(els))]
			if g.bool(0.7) {
				el.SetAttribute(tx, g.pick(revKeys), g.any(1))
			} else {
				el.RemoveAttribute(tx, g.pick(revKeys))
			}
		case k == 2 && len(els) > 0:
			el := els[g.r.IntN(len(els))]
			if el.Len() > 0 && g.bool(0.4) {
				el.Delete(tx, g.int(0, el.Len()-1), 1)
			} else {
				el.Insert(tx, g.int(0, el.Len()), g.xmlNode(2))
			}
		case len(texts) > 0:
			g.textOp(tx, texts[g.r.IntN(len(texts))])
		}
	case 3, 4, 5:
		g.textOp(tx, text)
	case 6, 7:
		if g.bool(0.75) {
			m.Set(tx, g.pick(revKeys), g.value())
		} else {
			m.Delete(tx, g.pick(revKeys))
		}
	default:
		n := arr.Len()
		if n > 0 && g.bool(0.35) {
			i := g.int(0, n-1)
			arr.Delete(tx, i, g.int(1, min(3, n-i)))
		} else {
			var vals []any
			for k := g.int(1, 3); k > 0; k-- {
				vals = append(vals, g.value())
			}
			arr.Insert(tx, g.int(0, n), vals...)
		}
	}
}

// genReverseScenario runs a random session between Go documents (the Go
// counterpart of gen.mjs) and records what a fresh Go peer reaches.
func genReverseScenario(seed uint64) scenario {
	g := &revGen{r: rand.New(rand.NewPCG(seed, 0x5eed))}
	nClients := g.int(2, 4)
	gc := g.bool(0.85)
	var updates [][]byte
	docs := make([]*Doc, nClients)
	inbox := make([][]int, nClients)
	for i := range docs {
		id := uint64(i + 1)
		if !g.bool(0.3) {
			id = uint64(g.int(1, 1<<32-1))
		}
		d := NewDoc(Options{ClientID: id, NoGC: !gc})
		makeRoots(d)
		me := i
		d.OnUpdate(func(u []byte, origin any) {
			if origin == "remote" {
				return
			}
			idx := len(updates)
			updates = append(updates, u)
			for j := range inbox {
				if j != me {
					inbox[j] = append(inbox[j], idx)
				}
			}
		})
		docs[i] = d
	}
	for s := g.int(4, 30); s > 0; s-- {
		d := docs[g.int(0, nClients-1)]
		nops := g.int(1, 3)
		d.Transact("local", func(tx *Txn) error {
			for i := 0; i < nops; i++ {
				g.step(tx, d)
			}
			return nil
		})
		if g.bool(0.5) {
			to := g.int(0, nClients-1)
			box := inbox[to]
			g.r.Shuffle(len(box), func(i, j int) { box[i], box[j] = box[j], box[i] })
			n := g.int(0, len(box))
			deliver := append([]int(nil), box[:n]...)
			inbox[to] = append([]int(nil), box[n:]...)
			for _, idx := range deliver {
				docs[to].ApplyUpdateOrigin(updates[idx], "remote")
				if g.bool(0.1) {
					docs[to].ApplyUpdateOrigin(updates[idx], "remote")
				}
			}
		}
	}
	deliveries := make([]int, len(updates))
	for i := range deliveries {
		deliveries[i] = i
	}
	g.r.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })
	for n := g.int(0, min(5, len(updates))); n > 0; n-- {
		at := g.int(0, len(deliveries))
		deliveries = append(deliveries[:at], append([]int{g.int(0, len(updates)-1)}, deliveries[at:]...)...)
	}
	cpos := map[int]bool{len(deliveries): true, g.int(0, len(deliveries)): true}
	obs := NewDoc(Options{ClientID: 4000000000 + seed, NoGC: !gc})
	makeRoots(obs)
	var cps []checkpoint
	for i := 0; i <= len(deliveries); i++ {
		if cpos[i] {
			st, _ := obs.EncodeStateAsUpdate(nil)
			cps = append(cps, checkpoint{pos: i, json: docState(obs), sv: obs.EncodeStateVector(), state: st})
		}
		if i < len(deliveries) {
			obs.ApplyUpdate(updates[deliveries[i]])
		}
	}
	return scenario{name: "go-seed-" + strconv.FormatUint(seed, 10), gc: gc, updates: updates, deliveries: deliveries, checkpoints: cps}
}

func genReverseScenarios(n int) []scenario {
	out := make([]scenario, n)
	for i := range out {
		out[i] = genReverseScenario(uint64(i + 1))
	}
	return out
}

// TestReverseScenarios regenerates the Go-made sessions and checks that they
// equal the committed set (which node/yjs checks in TestReverseWithYjs).
// YJS_UPDATE_REVERSE=1 rewrites the file.
func TestReverseScenarios(t *testing.T) {
	ss := genReverseScenarios(1000)
	if os.Getenv("YJS_UPDATE_REVERSE") == "1" {
		if err := writeScenarioFile(reverseFile, ss); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(reverseFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, encodeScenarios(ss)) {
		t.Fatalf("Go-generated sessions differ from %s (run with YJS_UPDATE_REVERSE=1 after an intended change, then TestReverseWithYjs)", reverseFile)
	}
	for _, s := range ss[:50] {
		if err := replayScenario(s, 7); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReverseWithYjs has real yjs apply the updates the Go editing API
// produced and compare its state with Go's at every checkpoint.
func TestReverseWithYjs(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: the reverse differential check needs node and npm ci in testdata/yjsnode")
	}
	dir := filepath.Join("testdata", "yjsnode")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "yjs")); err != nil {
		t.Skip("testdata/yjsnode/node_modules missing: run npm ci there")
	}
	cmd := exec.Command(node, "check.mjs", filepath.Join("..", "differential", filepath.Base(reverseFile)))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("yjs disagrees with Go: %v", err)
	}
}
