package recordfile

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Record is one record file: upstream's RecordData as written to and read
// from Markdown with YAML frontmatter.
type Record struct {
	ID     string // frontmatter id, ^[a-zA-Z0-9_-]+$
	Title  string
	Type   string // record type key (bylaw, policy, session, …)
	Status string // legal status key (draft, published, …)

	Author  string // primary author's username
	Authors []*Map // detailed authors, usually {name, username, role, email}

	// Created and Updated are ISO 8601 texts exactly as held in the file
	// (upstream writes 2025-01-15T10:00:00.000Z; see FormatTime). Marshal
	// fills an empty one with the current time, as upstream does.
	Created, Updated string

	Source          *Map // {reference, original_title, original_filename, url, type, imported_at, imported_by}
	CommitRef       string
	CommitSignature string

	Geography            *Map   // frontmatter geography_data
	LinkedRecords        []*Map // {id, type, description, path?, category?}
	LinkedGeographyFiles []*Map // {id, name, description?}
	AttachedFiles        []*Map // {id, path, original_name, description?, category?}

	// Metadata holds everything else, in order: the classification and
	// type-specific keys written at the top level of the frontmatter (tags,
	// module, slug, version, priority, department, category, session_type,
	// date, duration, location, attendees, topics, media), the contents of
	// the nested `metadata:` block, and any other top-level key. Marshal
	// writes the first group at the top level and nests the rest under
	// `metadata:` (or at the top level for module extension fields).
	Metadata *Map

	// Body is the Markdown content, trimmed as upstream trims it.
	Body string

	// The body's original trailing whitespace, written back while Body is
	// unchanged so that re-saving a file does not touch its last line.
	parsedBody, bodyTail string
}

// MarshalOptions adjusts Marshal for a deployment.
type MarshalOptions struct {
	// ExtensionFields returns, for a record type, the metadata keys that
	// enabled module schema extensions contribute; they are written at the
	// top level of the frontmatter instead of under `metadata:`.
	ExtensionFields func(recordType string) []string
	// Now supplies the time used when Created or Updated is empty
	// (default time.Now).
	Now func() time.Time
}

// The frontmatter keys taken out of Metadata and written at the top level,
// in section order.
var (
	classificationKeys = []string{"tags", "module", "slug", "version", "priority", "department"}
	typeSpecificKeys   = []string{"category", "session_type", "date", "duration", "location", "attendees", "topics", "media"}
	metadataTopKeys    = append(append([]string(nil), classificationKeys...), typeSpecificKeys...)

	sections = [][]string{
		{"id", "title", "type", "status"},
		{"author", "authors"},
		{"created", "updated"},
		{"tags", "module", "slug", "version", "priority", "department"},
		{"source"},
		{"commit_ref", "commit_signature"},
		{"geography_data", "category", "session_type", "date", "duration", "location", "attendees", "topics", "media"},
		{"linked_records", "linked_geography_files"},
		{"attached_files"},
	}

	// Top-level keys that never fall through to Metadata on parse.
	reservedKeys = setOf("id", "title", "type", "status", "author", "authors", "created", "updated",
		"source", "commit_ref", "commit_signature", "geography_data", "linked_records", "linkedRecords",
		"linked_geography_files", "linkedGeographyFiles", "attached_files", "attachedFiles",
		"tags", "module", "slug", "version", "priority", "department", "category", "session_type",
		"date", "duration", "location", "attendees", "topics", "media", "metadata")
	metadataTopSet = setOf(metadataTopKeys...)
)

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// present is upstream's truthiness test for optional frontmatter values,
// except that 0 and false count as values (a session can last 0 minutes).
func present(v any) bool {
	if v == nil {
		return false
	}
	if s, ok := v.(string); ok && s == "" {
		return false
	}
	return true
}

// truthy is JavaScript truthiness.
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case float64:
		return t == t && t != 0
	case string:
		return t != ""
	}
	return true
}

// Marshal serializes the record as upstream's RecordParser.serializeToMarkdown
// does: `---\n<yaml>\n\n---\n\n<body>`, frontmatter keys in upstream's
// section order with a blank line between non-empty sections.
func (r *Record) Marshal() ([]byte, error) {
	return r.MarshalWith(MarshalOptions{})
}

// MarshalWith is Marshal with deployment options.
func (r *Record) MarshalWith(opts MarshalOptions) ([]byte, error) {
	fm, err := r.frontmatter(opts)
	if err != nil {
		return nil, err
	}
	yml, err := orderedYAML(fm)
	if err != nil {
		return nil, err
	}
	body := r.Body
	if body == r.parsedBody {
		body += r.bodyTail
	}
	var b strings.Builder
	b.Grow(len(yml) + len(body) + 16)
	b.WriteString("---\n")
	b.WriteString(yml)
	b.WriteString("\n---\n\n")
	b.WriteString(toValidUTF8(body))
	return []byte(b.String()), nil
}

// Frontmatter returns the frontmatter mapping Marshal writes (what upstream
// validates before every write), without serializing it.
func (r *Record) Frontmatter(opts MarshalOptions) (*Map, error) {
	return r.frontmatter(opts)
}

func (r *Record) frontmatter(opts MarshalOptions) (*Map, error) {
	fm := &Map{}
	set := func(k string, v any) error {
		nv, err := normalizeValue(v, 0)
		if err != nil {
			return fmt.Errorf("recordfile: %s: %w", k, err)
		}
		fm.Set(k, nv)
		return nil
	}
	for _, kv := range []struct{ k, v string }{{"id", r.ID}, {"title", r.Title}, {"type", r.Type}, {"status", r.Status}, {"author", r.Author}} {
		fm.Set(kv.k, toValidUTF8(kv.v))
	}
	if len(r.Authors) > 0 {
		if err := set("authors", r.Authors); err != nil {
			return nil, err
		}
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	created, updated := r.Created, r.Updated
	if created == "" {
		created = FormatTime(now())
	}
	if updated == "" {
		updated = FormatTime(now())
	}
	fm.Set("created", toValidUTF8(created))
	fm.Set("updated", toValidUTF8(updated))
	if r.Source != nil {
		src, err := normalizeValue(r.Source, 0)
		if err != nil {
			return nil, fmt.Errorf("recordfile: source: %w", err)
		}
		sm := src.(*Map)
		if ms, ok := sm.vals["imported_at"].(float64); ok {
			sm.Set("imported_at", FormatTime(time.UnixMilli(int64(ms))))
		}
		fm.Set("source", sm)
	}
	if r.CommitRef != "" {
		fm.Set("commit_ref", toValidUTF8(r.CommitRef))
	}
	if r.CommitSignature != "" {
		fm.Set("commit_signature", toValidUTF8(r.CommitSignature))
	}
	var md *Map
	if r.Metadata != nil {
		v, err := normalizeValue(r.Metadata, 0)
		if err != nil {
			return nil, fmt.Errorf("recordfile: metadata: %w", err)
		}
		md = v.(*Map)
	}
	for _, k := range metadataTopKeys {
		v, ok := md.Get(k)
		if !ok || !present(v) {
			continue
		}
		switch k {
		case "tags":
			if _, isList := v.([]any); !isList {
				v = []any{v}
			}
		case "date":
			if ms, isNum := v.(float64); isNum {
				v = FormatTime(time.UnixMilli(int64(ms)))
			}
		}
		fm.Set(k, v)
	}
	if r.Geography != nil {
		if err := set("geography_data", r.Geography); err != nil {
			return nil, err
		}
	}
	for _, l := range []struct {
		k string
		v []*Map
	}{{"linked_records", r.LinkedRecords}, {"linked_geography_files", r.LinkedGeographyFiles}, {"attached_files", r.AttachedFiles}} {
		if len(l.v) > 0 {
			if err := set(l.k, l.v); err != nil {
				return nil, err
			}
		}
	}
	var ext map[string]bool
	if opts.ExtensionFields != nil {
		ext = setOf(opts.ExtensionFields(r.Type)...)
	}
	nested := &Map{}
	md.Range(func(k string, v any) bool {
		if metadataTopSet[k] {
			return true
		}
		if ext[k] {
			fm.Set(k, v)
		} else {
			nested.Set(k, v)
		}
		return true
	})
	if nested.Len() > 0 {
		if prev, ok := fm.vals["metadata"].(*Map); ok {
			nested.Range(func(k string, v any) bool { prev.Set(k, v); return true })
		} else {
			fm.Set("metadata", nested)
		}
	}
	return fm, nil
}

// orderedYAML is upstream's generateOrderedYaml.
func orderedYAML(fm *Map) (string, error) {
	var lines []string
	done := map[string]bool{}
	first := true
	for _, sec := range sections {
		var secLines []string
		for _, k := range sec {
			v, ok := fm.Get(k)
			if !ok || v == nil {
				continue
			}
			done[k] = true
			s, err := renderField(k, v)
			if err != nil {
				return "", fmt.Errorf("recordfile: %s: %w", k, err)
			}
			secLines = append(secLines, s)
		}
		if len(secLines) == 0 {
			continue
		}
		if !first && len(lines) > 0 && lines[len(lines)-1] != "" {
			lines = append(lines, "")
		}
		lines = append(lines, secLines...)
		lines = append(lines, "")
		first = false
	}
	var rest []string
	for _, k := range fm.keys {
		if !done[k] {
			rest = append(rest, k)
		}
	}
	if len(rest) > 0 {
		if !first && len(lines) > 0 && lines[len(lines)-1] != "" {
			lines = append(lines, "")
		}
		for _, k := range rest {
			s, err := renderField(k, fm.vals[k])
			if err != nil {
				return "", fmt.Errorf("recordfile: %s: %w", k, err)
			}
			lines = append(lines, s)
		}
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// Errors returned by Parse when the text cannot be read as a record file.
var (
	// ErrNoFrontmatter: the file does not start with a `---` frontmatter block.
	ErrNoFrontmatter = errors.New("recordfile: missing frontmatter")
	// ErrSyntax: the frontmatter is not valid YAML (or JSON), declares an
	// unsupported language, or is not a mapping.
	ErrSyntax = errors.New("recordfile: invalid frontmatter")
)

// Parse reads a record file with upstream's rules (gray-matter + js-yaml,
// RecordParser normalization, schema validation without the type/status
// vocabulary, which only the caller knows — see Validate). Malformed input
// returns an error wrapping ErrNoFrontmatter or ErrSyntax; a record that
// breaks the schema returns a *ValidationError naming every field.
func Parse(data []byte) (*Record, error) {
	fm, content, err := splitFrontmatter(data)
	if err != nil {
		return nil, err
	}
	norm := normalizeFrontmatter(fm)
	if errs := validateFrontmatter(norm, nil); len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	return recordFromFrontmatter(norm, content), nil
}

// splitFrontmatter is gray-matter's parse for the engines upstream allows.
func splitFrontmatter(data []byte) (*Map, string, error) {
	s := toValidUTF8(string(data))
	s = strings.TrimPrefix(s, "\uFEFF")
	const open = "---"
	if !strings.HasPrefix(s, open) {
		return nil, "", ErrNoFrontmatter
	}
	if len(s) > len(open) && s[len(open)] == '-' {
		return nil, "", ErrNoFrontmatter
	}
	str := s[len(open):]
	// language: the rest of the opening line
	nl := strings.IndexByte(str, '\n')
	var raw string
	switch {
	case nl > 0 && str[nl-1] == '\r':
		raw = str[:nl-1]
	case nl >= 0:
		raw = str[:nl]
	case len(str) > 0:
		raw = str[:len(str)-1] // JavaScript's slice(0, -1) when no newline is found
	}
	lang := jsTrim(raw)
	if lang != "" {
		str = str[len(raw):]
	}
	closeIdx := strings.Index(str, "\n---")
	if closeIdx < 0 {
		closeIdx = len(str)
	}
	matter := str[:closeIdx]
	content := ""
	if closeIdx < len(str) {
		content = str[closeIdx+4:]
		content = strings.TrimPrefix(content, "\r")
		content = strings.TrimPrefix(content, "\n")
	}
	engine := "yaml"
	if lang != "" {
		switch {
		case lang == "yaml" || lang == "json":
			engine = lang
		case strings.EqualFold(lang, "yaml") || strings.EqualFold(lang, "yml"):
			engine = "yaml"
		case strings.EqualFold(lang, "js") || strings.EqualFold(lang, "javascript"):
			return nil, "", fmt.Errorf("%w: front matter declared as JavaScript is not accepted", ErrSyntax)
		default:
			return nil, "", fmt.Errorf("%w: front matter language %q is not supported", ErrSyntax, lang)
		}
	}
	if jsTrim(matter) == "" {
		return &Map{}, content, nil
	}
	var v any
	var err error
	if engine == "json" {
		v, err = parseJSONDocument([]byte(matter))
	} else {
		// gray-matter cuts the block before its last line break; js-yaml
		// adds one back when the text does not end with one (which matters
		// for a final block scalar), and so do we.
		if !strings.HasSuffix(matter, "\n") {
			matter += "\n"
		}
		v, err = parseYAMLDocument(matter)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	switch t := v.(type) {
	case nil:
		return &Map{}, content, nil
	case *Map:
		return t, content, nil
	}
	return nil, "", fmt.Errorf("%w: frontmatter is not a mapping", ErrSyntax)
}

// normalizeFrontmatter is upstream's normalizeFormat (Date normalization
// happened while reading), plus the write-path rule that a string source
// means {reference: <string>}.
func normalizeFrontmatter(in *Map) *Map {
	fm := in.Clone()
	if !truthy(fm.vals["author"]) {
		var author any
		if list, ok := fm.vals["authors"].([]any); ok && len(list) > 0 {
			switch first := list[0].(type) {
			case string:
				author = first
			case *Map:
				if u := first.vals["username"]; truthy(u) {
					author = u
				} else if n, ok := first.vals["name"].(string); ok && n != "" {
					author = dotSpaces(strings.ToLower(n))
				}
			}
		}
		if !truthy(author) {
			author = "unknown"
		}
		fm.Set("author", author)
	}
	if !truthy(fm.vals["created"]) && truthy(fm.vals["created_at"]) {
		fm.Set("created", fm.vals["created_at"])
	}
	if !truthy(fm.vals["updated"]) && truthy(fm.vals["updated_at"]) {
		fm.Set("updated", fm.vals["updated_at"])
	}
	for _, a := range [][2]string{{"linkedRecords", "linked_records"}, {"linkedGeographyFiles", "linked_geography_files"},
		{"attachedFiles", "attached_files"}, {"geography", "geography_data"}} {
		if truthy(fm.vals[a[0]]) && !truthy(fm.vals[a[1]]) {
			fm.Set(a[1], fm.vals[a[0]])
		}
	}
	if s, ok := fm.vals["source"].(string); ok {
		fm.Set("source", NewMap("reference", s))
	}
	return fm
}

// dotSpaces replaces each run of whitespace with ".", like
// replace(/\s+/g, '.').
func dotSpaces(s string) string {
	var b strings.Builder
	inSpace := false
	for _, r := range s {
		if isJSSpace(r) {
			if !inSpace {
				b.WriteByte('.')
			}
			inSpace = true
			continue
		}
		inSpace = false
		b.WriteRune(r)
	}
	return b.String()
}

func mapList(v any) []*Map {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]*Map, 0, len(list))
	for _, e := range list {
		if m, ok := e.(*Map); ok {
			out = append(out, m)
		}
	}
	return out
}

// recordFromFrontmatter builds the Record from validated, normalized
// frontmatter (validation guarantees the shapes asserted here).
func recordFromFrontmatter(fm *Map, content string) *Record {
	str := func(k string) string { return fm.String(k) }
	r := &Record{
		ID: str("id"), Title: str("title"), Type: str("type"), Status: str("status"),
		Author: str("author"), Created: str("created"), Updated: str("updated"),
		CommitRef: str("commit_ref"), CommitSignature: str("commit_signature"),
	}
	r.Authors = mapList(fm.vals["authors"])
	if m, ok := fm.vals["source"].(*Map); ok {
		r.Source = m
	}
	if m, ok := fm.vals["geography_data"].(*Map); ok {
		r.Geography = m
	}
	pick := func(a, b string) any {
		if v := fm.vals[a]; truthy(v) {
			return v
		}
		return fm.vals[b]
	}
	r.LinkedRecords = mapList(pick("linked_records", "linkedRecords"))
	r.LinkedGeographyFiles = mapList(pick("linked_geography_files", "linkedGeographyFiles"))
	r.AttachedFiles = mapList(pick("attached_files", "attachedFiles"))

	md := &Map{}
	for _, k := range metadataTopKeys {
		if v, ok := fm.vals[k]; ok && present(v) {
			md.Set(k, v)
		}
	}
	if nested, ok := fm.vals["metadata"].(*Map); ok {
		nested.Range(func(k string, v any) bool { md.Set(k, v); return true })
	}
	fm.Range(func(k string, v any) bool {
		if !reservedKeys[k] {
			md.Set(k, v)
		}
		return true
	})
	if md.Len() > 0 {
		r.Metadata = md
	}
	r.Body = jsTrim(content)
	r.parsedBody = r.Body
	if i := strings.LastIndex(content, r.Body); r.Body != "" && i >= 0 {
		r.bodyTail = content[i+len(r.Body):]
	}
	return r
}
