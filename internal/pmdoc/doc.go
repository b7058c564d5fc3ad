// Package pmdoc is the CivicPress editor document: the ProseMirror schema of
// upstream's @civicpress/editor-schema, its Markdown form and its Yjs form
// (XmlFragment "default", as y-prosemirror maps it). Realtime rooms seed
// from a record's Markdown and write drafts back as Markdown; both
// directions must produce exactly what upstream produces, or collaborative
// editing would rewrite clerks' records on every save.
//
//	ParseMarkdown(md) *Node            markdown-it + prosemirror-markdown, as upstream
//	SerializeMarkdown(doc) string      upstream's canonical Markdown, byte for byte
//	(*Node).Check() error              the schema's content, mark and attribute rules
//	MarkdownToUpdate(md, clientID)     the seed update (equal to upstream's with client 1)
//	SeedMarkdown(doc, md)              seed a room's Y.Doc (no-op when not empty or blank)
//	DocumentToMarkdown(doc) string     the writeback
//	ReadFragment(frag) (*Node, []Repair)
//	EncodeSeed(doc, clientID)          the seed update of any document
//
// # Parsing
//
// Block structure follows markdown-it 14's block rules (commonmark preset
// plus tables, upstream's tokenizer) on its own line model: line starts,
// ends and indentation in columns, adjusted by blockquote and list markers,
// the same rule order and terminator lists, lazy continuation lines, and
// the 20-level nesting limit that cuts the rest of a container. Nodes are
// built directly, as prosemirror-markdown builds them from the tokens.
// Inline content is tokenized by this package with markdown-it's inline
// rules (token boundaries matter: an image's alt is its first token only),
// normalizeLink/validateLink (mdurl encoding, punycode), markdown-it's entity
// rules, and prosemirror-markdown's mark-set semantics (nested emphasis of one
// type loses its tail, marks land on images and hard breaks). Reference
// definitions apply to the whole document, as the inline pass runs after
// the block pass.
//
// # Writeback and invalid content (a deliberate difference)
//
// Upstream's reader deletes from the shared document any element the schema
// rejects (a TipTap-named node, a code block holding bold text, a list item
// not starting with a paragraph, text carrying an unknown mark) and leaves it
// out of the draft. That silently loses clerks' text. ReadFragment never
// changes the document: an unknown element is replaced by its content, an
// inline element in block position is wrapped in a paragraph, a list item
// gets the empty first paragraph ProseMirror would insert, formatting inside
// a code block and unknown marks are dropped while their text stays, a link
// without an href keeps its text, and every such repair is reported. For
// documents that upstream accepts, the output is upstream's, byte for byte.
//
// # Conformance
//
// The package passes upstream's 20 golden vectors and the generated corpus
// under testdata (see testdata/gen), and agrees with the node rebuild of
// upstream's editor on adversarial random Markdown built from syntax
// fragments (TestDifferentialRandomMarkdown, run whenever node and the
// harness are installed).
//
// # Cost
//
// A 200 KB record converts in a few milliseconds each way. Conversions
// whose intermediate document is dropped (MarkdownToUpdate, SeedMarkdown,
// DocumentToMarkdown) keep their node storage in pools; Yjs content is
// read through the allocation-free sequences of package yjs.
package pmdoc
