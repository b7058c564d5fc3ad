package pmdoc

import (
	"errors"
	"fmt"
)

// ErrInvalid reports a document that breaks the editor schema.
var ErrInvalid = errors.New("pmdoc: invalid document")

// Check validates n against the editor schema as ProseMirror's Node.check
// does: content expressions, allowed marks, known and well-typed attributes.
func (n *Node) Check() error {
	return n.check("")
}

func (n *Node) check(path string) error {
	here := path + "/" + n.Type
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, here, fmt.Sprintf(format, args...))
	}
	spec, ok := schema[n.Type]
	if !ok {
		return bad("unknown node type")
	}
	for k := range n.Attrs {
		if !spec.hasAttr(k) {
			return bad("unknown attribute %q", k)
		}
	}
	for _, a := range spec.attrs {
		v, present := n.Attrs[a.name]
		if !present {
			return bad("attribute %q missing", a.name)
		}
		if err := checkAttr(n.Type, a.name, v); err != nil {
			return bad("%v", err)
		}
	}
	if n.Type == "text" {
		if n.Text == "" {
			return bad("empty text node")
		}
		if len(n.Content) > 0 {
			return bad("text node with content")
		}
	} else if n.Text != "" {
		return bad("text on a non-text node")
	}
	for i, m := range n.Marks {
		if _, ok := markRank[m.Type]; !ok {
			return bad("unknown mark %q", m.Type)
		}
		if i > 0 && markRank[n.Marks[i-1].Type] >= markRank[m.Type] {
			return bad("marks not a sorted set")
		}
	}
	if err := checkContent(n); err != nil {
		return bad("%v", err)
	}
	for i, c := range n.Content {
		if err := c.check(fmt.Sprintf("%s/%d", here, i)); err != nil {
			return err
		}
	}
	return nil
}

func (s *nodeSpec) hasAttr(name string) bool {
	for _, a := range s.attrs {
		if a.name == name {
			return true
		}
	}
	return false
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int64, float64:
		return true
	}
	return false
}

func checkAttr(typ, name string, v any) error {
	switch {
	case name == "level" || name == "order" || name == "colspan" || name == "rowspan":
		if !isNumber(v) {
			return fmt.Errorf("attribute %s must be a number, got %T", name, v)
		}
	case typ == "image" && name == "src":
		if _, ok := v.(string); !ok {
			return fmt.Errorf("image src must be a string")
		}
	case typ == "image":
		if _, ok := v.(string); !ok && v != nil {
			return fmt.Errorf("image %s must be a string or null", name)
		}
	case name == "colwidth":
		if v == nil {
			return nil
		}
		arr, ok := v.([]any)
		if !ok {
			return fmt.Errorf("colwidth must be null or an array of numbers")
		}
		for _, e := range arr {
			if !isNumber(e) {
				return fmt.Errorf("colwidth must be null or an array of numbers")
			}
		}
	}
	return nil
}

// checkContent applies the content expression and mark rules of n's type.
func checkContent(n *Node) error {
	kids := n.Content
	isBlock := func(c *Node) bool { return blockGroup[c.Type] }
	isInline := func(c *Node) bool { s := schema[c.Type]; return s != nil && s.inline }
	all := func(ok func(*Node) bool, what string) error {
		for _, c := range kids {
			if !ok(c) {
				return fmt.Errorf("%s cannot hold %s (expects %s)", n.Type, c.Type, what)
			}
		}
		return nil
	}
	switch n.Type {
	case "doc", "blockquote", "table_cell", "table_header":
		if len(kids) == 0 {
			return fmt.Errorf("%s needs at least one block", n.Type)
		}
		return all(isBlock, "blocks")
	case "paragraph", "heading":
		return all(isInline, "inline content")
	case "code_block":
		for _, c := range kids {
			if c.Type != "text" {
				return fmt.Errorf("code_block holds text only")
			}
			if len(c.Marks) > 0 {
				return fmt.Errorf("code_block allows no marks")
			}
		}
	case "ordered_list", "bullet_list":
		if len(kids) == 0 {
			return fmt.Errorf("%s needs at least one list_item", n.Type)
		}
		return all(func(c *Node) bool { return c.Type == "list_item" }, "list_item")
	case "list_item":
		if len(kids) == 0 || kids[0].Type != "paragraph" {
			return fmt.Errorf("list_item must start with a paragraph")
		}
		return all(isBlock, "blocks")
	case "table":
		if len(kids) == 0 {
			return fmt.Errorf("table needs at least one row")
		}
		return all(func(c *Node) bool { return c.Type == "table_row" }, "table_row")
	case "table_row":
		return all(func(c *Node) bool { return c.Type == "table_cell" || c.Type == "table_header" }, "cells")
	default: // leaves
		if len(kids) > 0 {
			return fmt.Errorf("%s is a leaf", n.Type)
		}
	}
	return nil
}
