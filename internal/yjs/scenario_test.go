package yjs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// scenario is one recorded multi-client session (see testdata/yjsnode/common.mjs).
type scenario struct {
	name        string
	gc          bool
	updates     [][]byte
	deliveries  []int
	checkpoints []checkpoint
}

type checkpoint struct {
	pos   int
	json  string
	sv    []byte
	state []byte
}

func readScenarioFile(path string) ([]scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	return decodeScenarios(raw)
}

func decodeScenarios(raw []byte) ([]scenario, error) {
	if !bytes.HasPrefix(raw, []byte("YJSDIFF1")) {
		return nil, fmt.Errorf("bad magic")
	}
	d := lib0.NewDecoder(raw[8:])
	n := d.ReadLen()
	out := make([]scenario, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		s := scenario{name: d.ReadVarString(), gc: d.ReadVarUint() == 1}
		nu := d.ReadLen()
		for j := 0; j < nu && d.Err() == nil; j++ {
			s.updates = append(s.updates, d.ReadVarBytes())
		}
		nd := d.ReadLen()
		for j := 0; j < nd && d.Err() == nil; j++ {
			s.deliveries = append(s.deliveries, d.ReadLen())
		}
		nc := d.ReadLen()
		for j := 0; j < nc && d.Err() == nil; j++ {
			s.checkpoints = append(s.checkpoints, checkpoint{pos: d.ReadLen(), json: d.ReadVarString(), sv: d.ReadVarBytes(), state: d.ReadVarBytes()})
		}
		out = append(out, s)
	}
	return out, d.Err()
}

func encodeScenarios(ss []scenario) []byte {
	var e lib0.Encoder
	e.WriteBytes([]byte("YJSDIFF1"))
	e.WriteVarUint(uint64(len(ss)))
	for _, s := range ss {
		e.WriteVarString(s.name)
		if s.gc {
			e.WriteVarUint(1)
		} else {
			e.WriteVarUint(0)
		}
		e.WriteVarUint(uint64(len(s.updates)))
		for _, u := range s.updates {
			e.WriteVarBytes(u)
		}
		e.WriteVarUint(uint64(len(s.deliveries)))
		for _, x := range s.deliveries {
			e.WriteVarUint(uint64(x))
		}
		e.WriteVarUint(uint64(len(s.checkpoints)))
		for _, c := range s.checkpoints {
			e.WriteVarUint(uint64(c.pos))
			e.WriteVarString(c.json)
			e.WriteVarBytes(c.sv)
			e.WriteVarBytes(c.state)
		}
	}
	return e.Buf
}

func writeScenarioFile(path string, ss []scenario) error {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(encodeScenarios(ss))
	zw.Close()
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// makeRoots creates the four roots the harness uses, before any update
// arrives (as the node harness does).
func makeRoots(d *Doc) {
	d.XmlFragment("xml")
	d.Text("text")
	d.Map("map")
	d.Array("arr")
}

// docState is the JSON the harness records (common.mjs docState).
func docState(d *Doc) string {
	o := lib0.NewObject()
	o.Set("xml", d.XmlFragment("xml").String())
	t := d.Text("text")
	o.Set("text", t.String())
	o.Set("textDelta", deltaJSON(t.Delta()))
	o.Set("map", ToJSON(d.Map("map")))
	o.Set("arr", ToJSON(d.Array("arr")))
	s, _ := lib0.Stringify(o)
	return s
}

// replayScenario applies the deliveries and checks every checkpoint.
func replayScenario(s scenario, clientID uint64) error {
	doc := NewDoc(Options{ClientID: clientID, NoGC: !s.gc})
	makeRoots(doc)
	cp := 0
	for i := 0; i <= len(s.deliveries); i++ {
		for cp < len(s.checkpoints) && s.checkpoints[cp].pos == i {
			c := s.checkpoints[cp]
			if got := docState(doc); got != c.json {
				return fmt.Errorf("%s after %d deliveries: state\n got %s\nwant %s", s.name, i, got, c.json)
			}
			if got := doc.EncodeStateVector(); !bytes.Equal(got, c.sv) {
				return fmt.Errorf("%s after %d deliveries: state vector\n got %x\nwant %x", s.name, i, got, c.sv)
			}
			got, err := doc.EncodeStateAsUpdate(nil)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, c.state) {
				return fmt.Errorf("%s after %d deliveries: encoded state\n got %x\nwant %x", s.name, i, got, c.state)
			}
			cp++
		}
		if i < len(s.deliveries) {
			if err := doc.ApplyUpdate(s.updates[s.deliveries[i]]); err != nil {
				return fmt.Errorf("%s delivery %d: %w", s.name, i, err)
			}
		}
	}
	if cp != len(s.checkpoints) {
		return fmt.Errorf("%s: %d checkpoints not reached", s.name, len(s.checkpoints)-cp)
	}
	return nil
}
