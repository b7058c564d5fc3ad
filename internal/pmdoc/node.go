package pmdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Node is one node of a CivicPress editor document (a ProseMirror node in
// the schema of editor-schema.md §1). Text nodes carry Text and Marks; other
// nodes carry Attrs (every attribute of the type, defaults included) and
// Content. Documents are values to read: nodes may share attribute maps and
// mark slices, so copy before changing one in place.
type Node struct {
	Type    string
	Attrs   map[string]any
	Content []*Node
	Marks   []Mark
	Text    string
}

// Mark is an inline mark: link (attrs href, title), em, strong or code.
type Mark struct {
	Type  string
	Href  string  // link only
	Title *string // link only; nil is null
}

// Mark ranks are the schema order; a text node's marks are sorted by rank.
var markRank = map[string]int{"link": 0, "em": 1, "strong": 2, "code": 3}

type attrSpec struct {
	name     string
	def      any
	required bool
}

type nodeSpec struct {
	attrs  []attrSpec
	inline bool
	leaf   bool
}

var cellAttrs = []attrSpec{{name: "colspan", def: 1}, {name: "rowspan", def: 1}, {name: "colwidth"}, {name: "align"}}

// schema lists every node type with its attributes in declaration order.
var schema = map[string]*nodeSpec{
	"doc":             {},
	"paragraph":       {},
	"blockquote":      {},
	"horizontal_rule": {leaf: true},
	"heading":         {attrs: []attrSpec{{name: "level", def: 1}}},
	"code_block":      {attrs: []attrSpec{{name: "params", def: ""}}},
	"text":            {inline: true, leaf: true},
	"image":           {inline: true, leaf: true, attrs: []attrSpec{{name: "src", required: true}, {name: "alt"}, {name: "title"}}},
	"hard_break":      {inline: true, leaf: true},
	"ordered_list":    {attrs: []attrSpec{{name: "order", def: 1}}},
	"bullet_list":     {},
	"list_item":       {},
	"table":           {},
	"table_row":       {},
	"table_cell":      {attrs: cellAttrs},
	"table_header":    {attrs: cellAttrs},
	"civicRef":        {inline: true, leaf: true, attrs: []attrSpec{{name: "refType", def: "record"}, {name: "id", def: ""}, {name: "label", def: ""}}},
}

// Specs of the schema's types, for lookups by a switch rather than a map on
// hot paths.
var (
	specDoc, specParagraph, specBlockquote = schema["doc"], schema["paragraph"], schema["blockquote"]
	specHR, specHeading, specCode          = schema["horizontal_rule"], schema["heading"], schema["code_block"]
	specText, specImage, specHardBreak     = schema["text"], schema["image"], schema["hard_break"]
	specOrdered, specBullet, specItem      = schema["ordered_list"], schema["bullet_list"], schema["list_item"]
	specTable, specRow, specCell           = schema["table"], schema["table_row"], schema["table_cell"]
	specHeader, specCivicRef               = schema["table_header"], schema["civicRef"]
)

// specOf is schema[typ].
func specOf(typ string) *nodeSpec {
	switch typ {
	case "text":
		return specText
	case "paragraph":
		return specParagraph
	case "table_cell":
		return specCell
	case "table_row":
		return specRow
	case "list_item":
		return specItem
	case "heading":
		return specHeading
	case "bullet_list":
		return specBullet
	case "ordered_list":
		return specOrdered
	case "blockquote":
		return specBlockquote
	case "table_header":
		return specHeader
	case "table":
		return specTable
	case "code_block":
		return specCode
	case "hard_break":
		return specHardBreak
	case "image":
		return specImage
	case "civicRef":
		return specCivicRef
	case "horizontal_rule":
		return specHR
	case "doc":
		return specDoc
	}
	return nil
}

var blockGroup = map[string]bool{"paragraph": true, "blockquote": true, "horizontal_rule": true, "heading": true, "code_block": true, "ordered_list": true, "bullet_list": true, "table": true}

// newNode builds a node of type typ with the given attributes; missing ones
// get their defaults.
func newNode(typ string, attrs map[string]any, content ...*Node) *Node {
	n := &Node{Type: typ, Content: content}
	if spec := schema[typ]; spec != nil && len(spec.attrs) > 0 {
		n.Attrs = make(map[string]any, len(spec.attrs))
		for _, a := range spec.attrs {
			if v, ok := attrs[a.name]; ok {
				n.Attrs[a.name] = v
			} else {
				n.Attrs[a.name] = a.def
			}
		}
	}
	return n
}

func textNode(s string, marks []Mark) *Node {
	return &Node{Type: "text", Text: s, Marks: marks}
}

// TextContent is the concatenated text of the node's descendants.
func (n *Node) TextContent() string {
	if n.Type == "text" {
		return n.Text
	}
	var b bytes.Buffer
	for _, c := range n.Content {
		b.WriteString(c.TextContent())
	}
	return b.String()
}

func (n *Node) isText() bool { return n.Type == "text" }

func (n *Node) attrString(name string) string {
	if s, ok := n.Attrs[name].(string); ok {
		return s
	}
	return ""
}

func (n *Node) attrInt(name string, def int) int {
	switch v := n.Attrs[name].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		return int(v)
	case string:
		var i int
		if _, err := fmt.Sscan(v, &i); err == nil {
			return i
		}
	}
	return def
}

func (m Mark) eq(o Mark) bool {
	if m.Type != o.Type || m.Href != o.Href {
		return false
	}
	if (m.Title == nil) != (o.Title == nil) {
		return false
	}
	return m.Title == nil || *m.Title == *o.Title
}

func sameMarks(a, b []Mark) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].eq(b[i]) {
			return false
		}
	}
	return true
}

// addMark adds m to the rank-sorted set, replacing a mark of the same type
// (all four marks exclude themselves).
func addMark(set []Mark, m Mark) []Mark {
	out := make([]Mark, 0, len(set)+1)
	placed := false
	for _, o := range set {
		if o.eq(m) {
			return set
		}
		if o.Type == m.Type {
			continue
		}
		if !placed && markRank[o.Type] > markRank[m.Type] {
			out = append(out, m)
			placed = true
		}
		out = append(out, o)
	}
	if !placed {
		out = append(out, m)
	}
	return out
}

func removeMark(set []Mark, typ string) []Mark {
	for i, o := range set {
		if o.Type == typ {
			out := append([]Mark{}, set[:i]...)
			return append(out, set[i+1:]...)
		}
	}
	return set
}

func hasMark(set []Mark, m Mark) bool {
	for _, o := range set {
		if o.eq(m) {
			return true
		}
	}
	return false
}

// MarshalJSON writes ProseMirror's Node.toJSON shape.
func (n *Node) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	writeJSONString(&b, n.Type)
	if spec := schema[n.Type]; spec != nil && len(spec.attrs) > 0 {
		b.WriteString(`,"attrs":{`)
		for i, a := range spec.attrs {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, a.name)
			b.WriteByte(':')
			v, err := jsonValue(n.Attrs[a.name])
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
		b.WriteByte('}')
	}
	if len(n.Content) > 0 {
		b.WriteString(`,"content":[`)
		for i, c := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			v, err := c.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b.Write(v)
		}
		b.WriteByte(']')
	}
	if len(n.Marks) > 0 {
		b.WriteString(`,"marks":[`)
		for i, m := range n.Marks {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"type":`)
			writeJSONString(&b, m.Type)
			if m.Type == "link" {
				b.WriteString(`,"attrs":`)
				b.WriteString(m.attrsJSON())
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	if n.Type == "text" {
		b.WriteString(`,"text":`)
		writeJSONString(&b, n.Text)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// attrsJSON is JSON.stringify(mark.attrs): {"href":…,"title":…} for links
// and {} otherwise.
func (m Mark) attrsJSON() string { return string(m.appendAttrsJSON(nil)) }

func (m Mark) appendAttrsJSON(b []byte) []byte {
	if m.Type != "link" {
		return append(b, "{}"...)
	}
	b = append(b, `{"href":`...)
	b = appendJSONString(b, m.Href)
	b = append(b, `,"title":`...)
	if m.Title == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *m.Title)
	}
	return append(b, '}')
}

func jsonValue(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("pmdoc: attribute value: %w", err)
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// writeJSONString writes s as JSON.stringify does: no HTML escaping and
// U+2028/U+2029 left raw.
func writeJSONString(b *bytes.Buffer, s string) {
	b.Write(appendJSONString(b.AvailableBuffer(), s))
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[last:i]...)
		last = i + 1
		switch c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
	}
	b = append(b, s[last:]...)
	return append(b, '"')
}
