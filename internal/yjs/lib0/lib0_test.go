package lib0

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
)

type vectors struct {
	VarUint []struct{ N, Hex string } `json:"varUint"`
	VarInt  []struct{ N, Hex string } `json:"varInt"`
	Numbers []struct {
		String, JSON, Any string
	} `json:"numbers"`
	Any []struct {
		Hex  string  `json:"hex"`
		JSON *string `json:"json"`
	} `json:"any"`
}

func load(t *testing.T) vectors {
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVarIntsMatchLib0: varUint and varInt (sign-magnitude, with negative
// zero) as lib0 writes and reads them.
func TestVarIntsMatchLib0(t *testing.T) {
	v := load(t)
	for _, c := range v.VarUint {
		n, _ := strconv.ParseUint(c.N, 10, 64)
		var e Encoder
		e.WriteVarUint(n)
		if hex.EncodeToString(e.Buf) != c.Hex {
			t.Errorf("varUint %s: %x, want %s", c.N, e.Buf, c.Hex)
		}
		if got := NewDecoder(unhex(t, c.Hex)).ReadVarUint(); got != n {
			t.Errorf("read varUint %s: %d", c.N, got)
		}
	}
	for _, c := range v.VarInt {
		var e Encoder
		if c.N == "-0" {
			e.WriteVarIntSign(0, true)
		} else {
			n, _ := strconv.ParseInt(c.N, 10, 64)
			e.WriteVarInt(n)
		}
		if hex.EncodeToString(e.Buf) != c.Hex {
			t.Errorf("varInt %s: %x, want %s", c.N, e.Buf, c.Hex)
		}
		abs, neg := NewDecoder(unhex(t, c.Hex)).ReadVarInt()
		got := strconv.FormatUint(abs, 10)
		if neg {
			got = "-" + got
		}
		if got != c.N && !(c.N == "0" && got == "0") {
			t.Errorf("read varInt %s: %s", c.N, got)
		}
	}
}

// TestNumbersMatchJavaScript: String(n), JSON.stringify(n) and writeAny(n).
func TestNumbersMatchJavaScript(t *testing.T) {
	for _, c := range load(t).Numbers {
		raw := unhex(t, c.Any)
		f, ok := NewDecoder(raw).ReadAny().(float64)
		if !ok {
			t.Fatalf("%s: not a number", c.String)
		}
		if got := NumberString(f); got != c.String {
			t.Errorf("String(%v) = %s, want %s", f, got, c.String)
		}
		if got, _ := Stringify(f); got != c.JSON {
			t.Errorf("JSON.stringify(%v) = %s, want %s", f, got, c.JSON)
		}
		var e Encoder
		e.WriteAny(f)
		if !bytes.Equal(e.Buf, raw) && !(math.IsNaN(f) && len(e.Buf) == 9) {
			t.Errorf("writeAny(%s) = %x, want %s", c.String, e.Buf, c.Any)
		}
	}
}

// TestAnyMatchesLib0: readAny then writeAny reproduces lib0's bytes, and
// JSON text matches JSON.stringify.
func TestAnyMatchesLib0(t *testing.T) {
	for _, c := range load(t).Any {
		raw := unhex(t, c.Hex)
		d := NewDecoder(raw)
		v := d.ReadAny()
		if d.Err() != nil || d.Remaining() != 0 {
			t.Fatalf("%s: %v, %d left", c.Hex, d.Err(), d.Remaining())
		}
		var e Encoder
		e.WriteAny(v)
		if !bytes.Equal(e.Buf, raw) {
			t.Errorf("re-encoded %x, want %s", e.Buf, c.Hex)
		}
		if c.JSON == nil {
			continue
		}
		if got, _ := Stringify(v); got != *c.JSON {
			t.Errorf("JSON %s, want %s", got, *c.JSON)
		}
		if _, isBig := v.(BigInt); isBig {
			continue
		}
		parsed, err := Parse(*c.JSON)
		if err != nil {
			t.Fatalf("parse %s: %v", *c.JSON, err)
		}
		if again, _ := Stringify(parsed); again != *c.JSON {
			t.Errorf("JSON round trip %s, want %s", again, *c.JSON)
		}
	}
}

func TestParseRejectsWhatJSONParseRejects(t *testing.T) {
	for _, s := range []string{"", "{", "[1,]", "{'a':1}", "01", "1.", ".5", "+1", "nul", "\"\t\"", "[1 2]", "{\"a\" 1}", "\"\\x\"", "1e", "tru", "\"abc"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
	v, err := Parse(` {"a" : [1, -0.5e2, "\ud83d\ude00\u00e9", true, null], "1": {}} `)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := Stringify(v); got != `{"1":{},"a":[1,-50,"😀é",true,null]}` {
		t.Errorf("got %s", got)
	}
}

// TestHostileLengths: a length prefix alone cannot make the decoder allocate.
func TestHostileLengths(t *testing.T) {
	inputs := [][]byte{
		{118, 0xff, 0xff, 0xff, 0xff, 0x0f},       // object with 2^32 keys
		{117, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}, // array with 2^39 elements
		{116, 0xff, 0xff, 0xff, 0x7f},             // byte array of 256 MiB
		{119, 0xff, 0xff, 0xff, 0x7f, 'a'},        // string of 256 MiB
	}
	for _, in := range inputs {
		allocs := testing.AllocsPerRun(10, func() {
			d := NewDecoder(in)
			d.ReadAny()
			if d.Err() == nil {
				t.Errorf("%x accepted", in)
			}
		})
		if allocs > 4 {
			t.Errorf("%x: %v allocations", in, allocs)
		}
	}
	deep := bytes.Repeat([]byte{117, 1}, 100000)
	d := NewDecoder(deep)
	d.ReadAny()
	if d.Err() != ErrTooDeep {
		t.Errorf("deep nesting: %v", d.Err())
	}
}
