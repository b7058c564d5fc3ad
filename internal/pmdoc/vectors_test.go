package pmdoc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

type vectorManifest struct {
	Vectors []struct {
		Name                      string  `json:"name"`
		CanonicalIsFixedPoint     bool    `json:"canonicalIsFixedPoint"`
		SecondPassCanonical       *string `json:"secondPassCanonical"`
		PMJSONStableOnSecondPass  bool    `json:"pmJsonStableOnSecondPass"`
		YjsWritebackEqualsCanonic bool    `json:"yjsWritebackEqualsCanonical"`
		YjsWriteback              *string `json:"yjsWriteback"`
	} `json:"vectors"`
	Docs []struct {
		Name              string  `json:"name"`
		SerializeError    *string `json:"serializeError"`
		ReparsedCanonical *string `json:"reparsedCanonical"`
		YjsWriteback      *string `json:"yjsWriteback"`
		WritebackError    *string `json:"writebackError"`
	} `json:"docs"`
	Edits []struct {
		Name             string   `json:"name"`
		YjsWriteback     *string  `json:"yjsWriteback"`
		WritebackError   *string  `json:"writebackError"`
		InvalidKeepsText []string `json:"invalidKeepsText"`
	} `json:"edits"`
}

var corpusDirs = []string{"testdata/upstream", "testdata/generated"}

func loadManifest(t testing.TB, dir string) vectorManifest {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m vectorManifest
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonEqual(t testing.TB, got []byte, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("our JSON does not parse: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(a, b)
}

func TestVectorsParse(t *testing.T) {
	for _, dir := range corpusDirs {
		m := loadManifest(t, dir)
		for _, v := range m.Vectors {
			t.Run(filepath.Base(dir)+"/"+v.Name, func(t *testing.T) {
				md := readFile(t, filepath.Join(dir, v.Name+".md"))
				doc := ParseMarkdown(md)
				got, err := json.Marshal(doc)
				if err != nil {
					t.Fatal(err)
				}
				want := readFile(t, filepath.Join(dir, v.Name+".pm.json"))
				if !jsonEqual(t, got, want) {
					t.Errorf("parse(%q):\n got %s\nwant %s", md, got, compactJSON(want))
				}
			})
		}
	}
}

func compactJSON(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestVectorsSerialize(t *testing.T) {
	for _, dir := range corpusDirs {
		m := loadManifest(t, dir)
		for _, v := range m.Vectors {
			t.Run(filepath.Base(dir)+"/"+v.Name, func(t *testing.T) {
				md := readFile(t, filepath.Join(dir, v.Name+".md"))
				want := readFile(t, filepath.Join(dir, v.Name+".canonical.md"))
				got := SerializeMarkdown(ParseMarkdown(md))
				if got != want {
					t.Fatalf("serialize(parse(%q))\n got %q\nwant %q", md, got, want)
				}
				// Second pass: a fixed point exactly where upstream's is.
				doc2 := ParseMarkdown(got)
				got2 := SerializeMarkdown(doc2)
				want2 := want
				if v.SecondPassCanonical != nil {
					want2 = *v.SecondPassCanonical
				}
				if got2 != want2 {
					t.Errorf("second pass of %q\n got %q\nwant %q", got, got2, want2)
				}
				if v.CanonicalIsFixedPoint != (got2 == got) {
					t.Errorf("fixed point = %v, upstream %v", got2 == got, v.CanonicalIsFixedPoint)
				}
				j1, _ := json.Marshal(ParseMarkdown(md))
				j2, _ := json.Marshal(doc2)
				if stable := string(j1) == string(j2); stable != v.PMJSONStableOnSecondPass {
					t.Errorf("PM JSON stable on second pass = %v, upstream %v", stable, v.PMJSONStableOnSecondPass)
				}
			})
		}
	}
}

func TestVectorsEditorDocuments(t *testing.T) {
	dir := "testdata/generated"
	m := loadManifest(t, dir)
	for _, v := range m.Docs {
		t.Run(v.Name, func(t *testing.T) {
			var doc Node
			if err := json.Unmarshal([]byte(readFile(t, filepath.Join(dir, v.Name+".doc.json"))), &doc); err != nil {
				t.Fatal(err)
			}
			if v.SerializeError != nil {
				t.Skipf("upstream fails to serialize: %s", *v.SerializeError)
			}
			want := readFile(t, filepath.Join(dir, v.Name+".canonical.md"))
			got := SerializeMarkdown(&doc)
			if got != want {
				t.Fatalf("serialize\n got %q\nwant %q", got, want)
			}
			if v.ReparsedCanonical != nil {
				if re := SerializeMarkdown(ParseMarkdown(got)); re != *v.ReparsedCanonical {
					t.Errorf("reparse\n got %q\nwant %q", re, *v.ReparsedCanonical)
				}
			}
		})
	}
}
