// Package recordfile reads and writes CivicPress record files — Markdown
// with YAML frontmatter — exactly as upstream CivicPress does, so a Go
// process and a Node one can share a data directory.
//
//	r, err := recordfile.Parse(data)         // upstream RecordParser rules
//	err = recordfile.Validate(r, vocab)      // schema + type/status vocabulary
//	out, err := r.Marshal()                  // upstream serializer, byte-compatible
//
// The file layout is `---\n<yaml>\n\n---\n\n<body>`. Frontmatter keys come
// in upstream's fixed sections (identity; authorship; timestamps;
// classification; source; commit linkage; type-specific fields;
// relationships; attachments; then the rest), one blank line between
// non-empty sections. Record.Metadata is an ordered *Map holding the
// classification and type-specific keys plus everything else; Marshal
// writes the former at the top level and nests the rest under `metadata:`.
// Values follow JavaScript: numbers are float64, objects are *Map with
// JavaScript property order, dates read from YAML become ISO 8601 strings
// with milliseconds (FormatTime).
//
// Parse reproduces gray-matter + js-yaml 3 (timestamps, sexagesimal and
// underscored numbers, merge keys, String() of non-string keys), upstream's
// legacy normalizations (author from authors, created_at/updated_at,
// camelCase linkedRecords/linkedGeographyFiles/attachedFiles, geography,
// string source → {reference}) and its schema validation; it trims the body.
// Marshal reproduces the `yaml` v2 library as upstream calls it (indent 2,
// no line folding), byte for byte, except where upstream's output would
// change the data on the next read (see yamlwrite.go): such values are
// written so both implementations read them back unchanged. A body left
// unchanged since Parse keeps its trailing whitespace.
//
// Errors: ErrNoFrontmatter and ErrSyntax for unreadable files, a
// *ValidationError (every offending field, upstream's wording) for schema
// violations. The goldens in testdata/golden come from the real npm
// libraries (testdata/upstreamfmt).
package recordfile
