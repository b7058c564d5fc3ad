package pmdoc

import (
	"encoding/json"
	"fmt"
)

// UnmarshalJSON reads ProseMirror's Node JSON (Node.fromJSON), filling
// attribute defaults. It does not check content rules; Check does.
func (n *Node) UnmarshalJSON(data []byte) error {
	var raw struct {
		Type    string            `json:"type"`
		Attrs   map[string]any    `json:"attrs"`
		Content []*Node           `json:"content"`
		Text    *string           `json:"text"`
		Marks   []json.RawMessage `json:"marks"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("pmdoc: node JSON: %w", err)
	}
	if _, ok := schema[raw.Type]; !ok {
		return fmt.Errorf("pmdoc: unknown node type %q", raw.Type)
	}
	for k, v := range raw.Attrs {
		if f, ok := v.(float64); ok && f == float64(int(f)) {
			raw.Attrs[k] = int(f)
		}
	}
	*n = *newNode(raw.Type, raw.Attrs, raw.Content...)
	if raw.Text != nil {
		n.Text = *raw.Text
	}
	for _, rm := range raw.Marks {
		var m struct {
			Type  string `json:"type"`
			Attrs struct {
				Href  string  `json:"href"`
				Title *string `json:"title"`
			} `json:"attrs"`
		}
		if err := json.Unmarshal(rm, &m); err != nil {
			return fmt.Errorf("pmdoc: mark JSON: %w", err)
		}
		if _, ok := markRank[m.Type]; !ok {
			return fmt.Errorf("pmdoc: unknown mark type %q", m.Type)
		}
		mk := Mark{Type: m.Type}
		if m.Type == "link" {
			mk.Href, mk.Title = m.Attrs.Href, m.Attrs.Title
		}
		n.Marks = addMark(n.Marks, mk)
	}
	return nil
}
