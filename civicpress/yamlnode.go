package civicpress

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The data/.civic files are read through this small typed view of a YAML
// tree so that every malformed value is reported with its file and key path
// ("roles.yml: roles.clerk.permissions[2]: expected a string (line 14)"), and
// so that upstream's metadata wrapping ({value: X, type: ..., description: ...})
// is accepted at any level, exactly like the bare form.

type yval struct {
	file string
	path string
	n    *yaml.Node
}

// configError reports a malformed config value; it matches ErrInvalid.
func configError(file, key string, line int, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	where := file
	if key != "" {
		where += ": " + key
	}
	if line > 0 {
		msg += fmt.Sprintf(" (line %d)", line)
	}
	return &Error{Kind: ErrInvalid, Code: CodeInvalidConfig, Message: where + ": " + msg}
}

// parseYAML parses a config file into its root value (null for an empty file).
func parseYAML(file string, data []byte) (yval, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return yval{}, configError(file, "", 0, "not valid YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	root := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	return yval{file: file, n: root}.unwrap(), nil
}

// unwrap follows aliases and replaces a metadata wrapper by its value.
func (v yval) unwrap() yval {
	for depth := 0; depth < 32; depth++ {
		if v.n.Kind == yaml.AliasNode && v.n.Alias != nil {
			v.n = v.n.Alias
			continue
		}
		if v.n.Kind == yaml.MappingNode {
			if val, ok := v.rawGet("value"); ok {
				v.n = val
				continue
			}
		}
		break
	}
	return v
}

func (v yval) rawGet(key string) (*yaml.Node, bool) {
	for i := 0; i+1 < len(v.n.Content); i += 2 {
		if v.n.Content[i].Value == key {
			return v.n.Content[i+1], true
		}
	}
	return nil, false
}

func (v yval) isNull() bool {
	return v.n.Kind == yaml.ScalarNode && (v.n.Tag == "!!null" || (v.n.Tag == "" && v.n.Value == ""))
}

func (v yval) kindName() string {
	switch v.n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if v.isNull() {
			return "null"
		}
		return fmt.Sprintf("%q", v.n.Value)
	}
	return "an unsupported value"
}

func (v yval) errf(format string, args ...any) *Error {
	return configError(v.file, v.path, v.n.Line, format, args...)
}

func (v yval) child(key string, n *yaml.Node) yval {
	p := key
	if v.path != "" {
		p = v.path + "." + key
	}
	return yval{file: v.file, path: p, n: n}.unwrap()
}

// get returns the value under key of a mapping (ok false when absent or null).
func (v yval) get(key string) (yval, bool) {
	if v.n.Kind != yaml.MappingNode {
		return yval{}, false
	}
	n, ok := v.rawGet(key)
	if !ok {
		return yval{}, false
	}
	c := v.child(key, n)
	if c.isNull() {
		return c, false
	}
	return c, true
}

type ypair struct {
	key string
	val yval
}

// pairs returns a mapping's entries in file order; null reads as empty.
func (v yval) pairs() ([]ypair, error) {
	if v.isNull() {
		return nil, nil
	}
	if v.n.Kind != yaml.MappingNode {
		return nil, v.errf("expected a mapping, got %s", v.kindName())
	}
	out := make([]ypair, 0, len(v.n.Content)/2)
	for i := 0; i+1 < len(v.n.Content); i += 2 {
		k := v.n.Content[i]
		if k.Kind != yaml.ScalarNode {
			return nil, v.errf("a key is %s, expected a name", yval{n: k}.kindName())
		}
		out = append(out, ypair{key: k.Value, val: v.child(k.Value, v.n.Content[i+1])})
	}
	return out, nil
}

// str reads a scalar as text; null reads as "".
func (v yval) str() (string, error) {
	if v.isNull() {
		return "", nil
	}
	if v.n.Kind != yaml.ScalarNode {
		return "", v.errf("expected a text value, got %s", v.kindName())
	}
	return v.n.Value, nil
}

func (v yval) strList() ([]string, error) {
	if v.isNull() {
		return nil, nil
	}
	if v.n.Kind != yaml.SequenceNode {
		return nil, v.errf("expected a list of names, got %s", v.kindName())
	}
	out := make([]string, 0, len(v.n.Content))
	for i, n := range v.n.Content {
		item := yval{file: v.file, path: fmt.Sprintf("%s[%d]", v.path, i), n: n}.unwrap()
		if item.n.Kind != yaml.ScalarNode || item.isNull() {
			return nil, item.errf("expected a name, got %s", item.kindName())
		}
		out = append(out, item.n.Value)
	}
	return out, nil
}

func (v yval) boolean(def bool) (bool, error) {
	if v.isNull() {
		return def, nil
	}
	if v.n.Kind == yaml.ScalarNode {
		switch strings.ToLower(v.n.Value) {
		case "true", "yes", "on":
			return true, nil
		case "false", "no", "off":
			return false, nil
		}
	}
	return false, v.errf("expected true or false, got %s", v.kindName())
}

func (v yval) integer(def int) (int, error) {
	if v.isNull() {
		return def, nil
	}
	if v.n.Kind == yaml.ScalarNode {
		if n, err := strconv.Atoi(v.n.Value); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(v.n.Value, 64); err == nil && f == float64(int(f)) {
			return int(f), nil
		}
	}
	return 0, v.errf("expected a whole number, got %s", v.kindName())
}

// toAny converts an (unwrapped) value to plain Go values for callers that
// pass configuration through unchanged (e.g. the organization block of /info).
func (v yval) toAny() any {
	switch v.n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(v.n.Content)/2)
		ps, _ := v.pairs()
		for _, p := range ps {
			m[p.key] = p.val.toAny()
		}
		return m
	case yaml.SequenceNode:
		out := make([]any, 0, len(v.n.Content))
		for _, n := range v.n.Content {
			out = append(out, yval{file: v.file, n: n}.unwrap().toAny())
		}
		return out
	case yaml.ScalarNode:
		var x any
		if err := v.n.Decode(&x); err != nil {
			return v.n.Value
		}
		return x
	}
	return nil
}

const mappingKind = yaml.MappingNode
