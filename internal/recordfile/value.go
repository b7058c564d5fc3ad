package recordfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// Map is an ordered string-keyed map with the key order of a JavaScript
// object, which is what upstream holds frontmatter in and therefore what
// decides the order keys are written back: keys that are array indices
// ("0", "1", "42" — canonical decimal integers below 2^32-1) come first in
// ascending numeric order, every other key follows in insertion order.
// Setting an existing key keeps its position.
//
// Values are nil, bool, float64, string, []any and *Map (the shapes
// encoding/json produces, with *Map for objects). Marshal also accepts other
// Go numbers, []string, map[string]any and time.Time and normalizes them.
//
// The zero value is an empty map ready to use; a nil *Map reads as empty.
type Map struct {
	keys []string
	vals map[string]any
	nIdx int // how many leading keys are array indices
}

// NewMap builds a Map from alternating keys and values:
// NewMap("name", "Ada", "username", "ada").
func NewMap(kv ...any) *Map {
	m := &Map{}
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			k = fmt.Sprint(kv[i])
		}
		m.Set(k, kv[i+1])
	}
	return m
}

// Len reports the number of keys.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.keys)
}

// Keys returns the keys in order. The slice is a copy.
func (m *Map) Keys() []string {
	if m == nil {
		return nil
	}
	return append([]string(nil), m.keys...)
}

// Get returns the value for key and whether it is present.
func (m *Map) Get(key string) (any, bool) {
	if m == nil || m.vals == nil {
		return nil, false
	}
	v, ok := m.vals[key]
	return v, ok
}

// Has reports whether key is present.
func (m *Map) Has(key string) bool {
	_, ok := m.Get(key)
	return ok
}

// String returns the value for key when it is a string, else "".
func (m *Map) String(key string) string {
	v, _ := m.Get(key)
	s, _ := v.(string)
	return s
}

// Strings returns the string elements of the list under key (tags,
// translations, …); other elements are skipped.
func (m *Map) Strings(key string) []string {
	v, _ := m.Get(key)
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Set adds or replaces key. A new key goes to the end, or among the leading
// array-index keys in numeric order when it is one (JavaScript semantics).
func (m *Map) Set(key string, v any) {
	if m.vals == nil {
		m.vals = make(map[string]any)
	}
	if _, ok := m.vals[key]; ok {
		m.vals[key] = v
		return
	}
	m.vals[key] = v
	if idx, ok := arrayIndex(key); ok {
		pos := sort.Search(m.nIdx, func(i int) bool {
			n, _ := arrayIndex(m.keys[i])
			return n > idx
		})
		m.keys = append(m.keys, "")
		copy(m.keys[pos+1:], m.keys[pos:])
		m.keys[pos] = key
		m.nIdx++
		return
	}
	m.keys = append(m.keys, key)
}

// Delete removes key if present.
func (m *Map) Delete(key string) {
	if m == nil || m.vals == nil {
		return
	}
	if _, ok := m.vals[key]; !ok {
		return
	}
	delete(m.vals, key)
	for i, k := range m.keys {
		if k == key {
			m.keys = append(m.keys[:i], m.keys[i+1:]...)
			if i < m.nIdx {
				m.nIdx--
			}
			break
		}
	}
}

// Range calls fn for each key in order until fn returns false.
func (m *Map) Range(fn func(key string, v any) bool) {
	if m == nil {
		return
	}
	for _, k := range m.keys {
		if !fn(k, m.vals[k]) {
			return
		}
	}
}

// Clone returns a deep copy.
func (m *Map) Clone() *Map {
	if m == nil {
		return nil
	}
	c := &Map{keys: append([]string(nil), m.keys...), vals: make(map[string]any, len(m.vals)), nIdx: m.nIdx}
	for k, v := range m.vals {
		c.vals[k] = cloneValue(v)
	}
	return c
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case *Map:
		return t.Clone()
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = cloneValue(e)
		}
		return c
	}
	return v
}

// arrayIndex reports whether key is a JavaScript array index: the canonical
// decimal form of an integer in [0, 2^32-2].
func arrayIndex(key string) (uint64, bool) {
	if key == "" || len(key) > 10 || (len(key) > 1 && key[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < '0' || key[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(key, 10, 64)
	if err != nil || n >= math.MaxUint32 {
		return 0, false
	}
	return n, true
}

// MarshalJSON writes the map as a JSON object in key order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.Keys() {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(jsonSafe(m.vals[k]))
		if err != nil {
			return nil, fmt.Errorf("recordfile: key %q: %w", k, err)
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// jsonSafe maps values JSON cannot carry the way JSON.stringify does
// (NaN and ±Infinity become null).
func jsonSafe(v any) any {
	switch t := v.(type) {
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil
		}
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = jsonSafe(e)
		}
		return c
	}
	return v
}

// UnmarshalJSON reads a JSON object keeping key order (a repeated key keeps
// its first position and its last value, like JSON.parse).
func (m *Map) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSONValue(dec, 0)
	if err != nil {
		return err
	}
	got, ok := v.(*Map)
	if !ok {
		return errors.New("recordfile: JSON value is not an object")
	}
	*m = *got
	return nil
}

const maxDepth = 200

func decodeJSONValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("recordfile: JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := &Map{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("recordfile: JSON object key is not a string")
				}
				v, err := decodeJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			a := []any{}
			for dec.More() {
				v, err := decodeJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, fmt.Errorf("recordfile: unexpected JSON delimiter %v", t)
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		if f == 0 {
			f = 0 // no -0, as for YAML
		}
		return f, nil
	default:
		return t, nil // string, bool, nil
	}
}

// parseJSONDocument decodes a whole JSON text the way JSON.parse does
// (one value, nothing after it but whitespace).
func parseJSONDocument(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSONValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// normalizeValue converts a caller-supplied Go value into the value model
// (nil, bool, float64, string, []any, *Map). time.Time becomes an ISO 8601
// string with milliseconds, as upstream normalizes Date objects.
func normalizeValue(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("value nested too deeply")
	}
	switch t := v.(type) {
	case nil, bool, float64:
		return t, nil
	case string:
		if !utf8.ValidString(t) {
			return toValidUTF8(t), nil
		}
		return t, nil
	case *Map:
		if t == nil {
			return nil, nil
		}
		out := &Map{}
		for _, k := range t.keys {
			nv, err := normalizeValue(t.vals[k], depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out.Set(toValidUTF8(k), nv)
		}
		return out, nil
	case Map:
		return normalizeValue(&t, depth)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			nv, err := normalizeValue(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = nv
		}
		return out, nil
	case []string:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = toValidUTF8(e)
		}
		return out, nil
	case []*Map:
		out := make([]any, len(t))
		for i, e := range t {
			nv, err := normalizeValue(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = nv
		}
		return out, nil
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys) // Go maps have no order; sorting keeps output deterministic
		out := &Map{}
		for _, k := range keys {
			nv, err := normalizeValue(t[k], depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out.Set(toValidUTF8(k), nv)
		}
		return out, nil
	case time.Time:
		return FormatTime(t), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, err
		}
		return f, nil
	case int:
		return float64(t), nil
	case int8:
		return float64(t), nil
	case int16:
		return float64(t), nil
	case int32:
		return float64(t), nil
	case int64:
		return float64(t), nil
	case uint:
		return float64(t), nil
	case uint8:
		return float64(t), nil
	case uint16:
		return float64(t), nil
	case uint32:
		return float64(t), nil
	case uint64:
		return float64(t), nil
	case float32:
		return float64(t), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			nv, err := normalizeValue(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = nv
		}
		return out, nil
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return normalizeValue(rv.Elem().Interface(), depth)
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

// ParseTime reads a timestamp in the forms record files use — YAML
// timestamps as js-yaml reads them (2025-01-15, 2025-01-15T10:00:00Z,
// 2025-01-15 10:00:00.5 +02:00, …) — and returns it in UTC.
func ParseTime(s string) (time.Time, error) {
	t, ok := jsTimestamp(s)
	if !ok {
		return time.Time{}, fmt.Errorf("recordfile: %q is not a timestamp", s)
	}
	return t, nil
}

// FormatTime renders t like JavaScript's Date.prototype.toISOString:
// UTC, milliseconds, "Z" (2025-01-15T10:00:00.000Z), with the ±YYYYYY
// extended year outside 0000–9999.
func FormatTime(t time.Time) string {
	t = t.UTC()
	y := t.Year()
	var ys string
	switch {
	case y < 0:
		ys = fmt.Sprintf("-%06d", -y)
	case y > 9999:
		ys = fmt.Sprintf("+%06d", y)
	default:
		ys = fmt.Sprintf("%04d", y)
	}
	return fmt.Sprintf("%s-%02d-%02dT%02d:%02d:%02d.%03dZ", ys, int(t.Month()), t.Day(),
		t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1e6)
}
