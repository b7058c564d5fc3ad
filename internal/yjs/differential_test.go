package yjs

import (
	"os"
	"testing"
)

// TestDifferentialYjs replays sessions recorded with real yjs 13.6.31
// (testdata/yjsnode/gen.mjs): concurrent edits of XmlFragment/XmlText, Text,
// Map and Array by several clients, delivered to a fresh peer shuffled,
// duplicated and delayed. Go must reach the same JSON, state vector and
// encodeStateAsUpdate bytes at every checkpoint, pending structs included.
func TestDifferentialYjs(t *testing.T) {
	path := "testdata/differential/yjs-scenarios.bin.gz"
	if p := os.Getenv("YJS_SCENARIOS"); p != "" {
		path = p
	}
	ss, err := readScenarioFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) < 1000 && os.Getenv("YJS_SCENARIOS") == "" {
		t.Fatalf("only %d scenarios", len(ss))
	}
	failed := 0
	for _, s := range ss {
		if err := replayScenario(s, 4242); err != nil {
			failed++
			if failed <= 5 {
				t.Error(err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d scenarios differ", failed, len(ss))
	}
}
