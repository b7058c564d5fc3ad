package recordfile

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Vocabulary is what a deployment allows in a record: the record type and
// status keys (from config.yml record_types_config / record_statuses_config
// merged over the built-ins, plus the statuses named in workflows.yml) and the
// enabled modules whose schema extensions apply. An empty Types or Statuses
// list means "not checked".
type Vocabulary struct {
	Types    []string
	Statuses []string
	// Modules lists enabled modules; "legal-register" adds that module's
	// metadata rules (document number pattern, approval chain actions, …)
	// for the legal record types.
	Modules []string
}

// BuiltinTypes are upstream's compiled-in record types.
var BuiltinTypes = []string{"bylaw", "ordinance", "policy", "proclamation", "resolution", "geography", "session", "meeting"}

// BuiltinStatuses are upstream's compiled-in legal statuses.
var BuiltinStatuses = []string{"draft", "pending_review", "under_review", "approved", "published", "rejected", "archived", "expired"}

// LegalTypes get document numbers and the legal-register rules.
var LegalTypes = []string{"bylaw", "ordinance", "policy", "proclamation", "resolution"}

// DefaultVocabulary is upstream's default configuration: built-in types and
// statuses, legal-register enabled.
func DefaultVocabulary() Vocabulary {
	return Vocabulary{Types: BuiltinTypes, Statuses: BuiltinStatuses, Modules: []string{"legal-register"}}
}

// FieldError is one schema violation.
type FieldError struct {
	// Field is the path of the offending value, JSON-pointer style as in
	// upstream's messages: "/status", "/authors/0/username",
	// "/metadata/language". For a missing field it is the field's own path.
	Field string
	// Code is the failed rule: required, type, enum, format, pattern,
	// minLength, maxLength, minimum, minItems, maxItems, oneOf.
	Code string
	// Message is upstream's wording, e.g. `Field "status" must be one of: draft, published`.
	Message string
}

func (e FieldError) String() string { return e.Field + ": " + e.Message }

// ValidationError lists every schema violation of a record.
type ValidationError struct {
	Errors []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, fe := range e.Errors {
		parts[i] = fe.String()
	}
	return "recordfile: schema validation failed: " + strings.Join(parts, "; ")
}

// Fields returns the distinct offending field paths in order.
func (e *ValidationError) Fields() []string {
	var out []string
	for _, fe := range e.Errors {
		if !slices.Contains(out, fe.Field) {
			out = append(out, fe.Field)
		}
	}
	return out
}

// Validate checks the frontmatter the record would be written with against
// upstream's base schema, the type extensions for geography, session and
// meeting records, the metadata sub-schema, the vocabulary, and the enabled
// module extensions. It returns a *ValidationError or nil.
func Validate(r *Record, v Vocabulary) error {
	fm, err := r.frontmatter(MarshalOptions{})
	if err != nil {
		return &ValidationError{Errors: []FieldError{{Field: "/", Code: "type", Message: err.Error()}}}
	}
	if errs := validateFrontmatter(fm, &v); len(errs) > 0 {
		return &ValidationError{Errors: errs}
	}
	return nil
}

// schema is the small subset of JSON Schema upstream's record schemas use.
type schema struct {
	typ       string // string, number, boolean, object, array, null; "" = any
	enum      []string
	pattern   *regexp.Regexp
	format    string // date-time, email, uri
	minLen    int
	maxLen    int // 0 = none
	min       *float64
	minItems  int
	maxItems  int // 0 = none
	required  []string
	props     []prop
	items     *schema
	oneOf     []*schema
	closed    bool // additionalProperties: false
	patternSt string
}

type prop struct {
	name string
	s    *schema
}

func str() *schema                  { return &schema{typ: "string"} }
func dateTime() *schema             { return &schema{typ: "string", format: "date-time"} }
func num0() *schema                 { z := 0.0; return &schema{typ: "number", min: &z} }
func boolean() *schema              { return &schema{typ: "boolean"} }
func enum(vals ...string) *schema   { return &schema{typ: "string", enum: vals} }
func arrayOf(items *schema) *schema { return &schema{typ: "array", items: items} }
func object(props ...prop) *schema  { return &schema{typ: "object", props: props} }
func p(name string, s *schema) prop { return prop{name, s} }
func (s *schema) req(names ...string) *schema {
	s.required = names
	return s
}
func (s *schema) pat(expr string) *schema {
	s.pattern = regexp.MustCompile(expr)
	s.patternSt = expr
	return s
}
func (s *schema) length(min, max int) *schema {
	s.minLen, s.maxLen = min, max
	return s
}
func nullable(s *schema) *schema { return &schema{oneOf: []*schema{s, {typ: "null"}}} }

var (
	baseSchema = object(
		p("id", str().pat(`^[a-zA-Z0-9_-]+$`)),
		p("title", str().length(1, 500)),
		p("type", str()),
		p("status", str()),
		p("author", str().length(1, 0)),
		p("authors", arrayOf(object(p("name", str()), p("username", str()), p("role", str()),
			p("email", &schema{typ: "string", format: "email"})).req("name", "username"))),
		p("created", dateTime()),
		p("updated", dateTime()),
		p("tags", arrayOf(str())),
		p("module", str()),
		p("slug", str()),
		p("version", str().pat(`^\d+\.\d+\.\d+$`)),
		p("priority", enum("low", "medium", "high")),
		p("department", str()),
		p("source", object(p("reference", str()), p("original_title", str()), p("original_filename", str()),
			p("url", &schema{typ: "string", format: "uri"}), p("type", enum("legacy", "import", "external")),
			p("imported_at", dateTime()), p("imported_by", str())).req("reference")),
		// Not in upstream's schema, but the Go Record holds them as text.
		p("commit_ref", str()),
		p("commit_signature", str()),
		p("geography_data", object()),
		p("category", enum("zone", "boundary", "district", "facility", "route")),
		p("session_type", enum("regular", "emergency", "special")),
		p("date", dateTime()),
		p("duration", num0()),
		p("location", str()),
		p("attendees", arrayOf(object())),
		p("topics", arrayOf(object())),
		p("media", object()),
		p("linked_records", arrayOf(object(p("id", str()), p("type", str()), p("description", str()),
			p("path", str()), p("category", str())).req("id", "type", "description"))),
		p("linked_geography_files", arrayOf(object(p("id", str()), p("name", str()), p("description", str())).req("id", "name"))),
		p("geography", object(p("srid", &schema{typ: "number"}), p("zone_ref", str()),
			p("bbox", &schema{typ: "array", items: &schema{typ: "number"}, minItems: 4, maxItems: 4}),
			p("center", object(p("lon", &schema{typ: "number"}), p("lat", &schema{typ: "number"})).req("lon", "lat")))),
		p("attached_files", arrayOf(object(p("id", str()), p("path", str()), p("original_name", str()),
			p("description", str()), p("category", &schema{oneOf: []*schema{str(),
				object(p("label", str()), p("value", str()), p("description", str())).req("label", "value")}}),
		).req("id", "path", "original_name"))),
		p("metadata", object(
			p("approval_date", dateTime()),
			p("effective_date", dateTime()),
			p("expiry_date", nullable(dateTime())),
			p("review_date", dateTime()),
			p("reviewed_by", str()),
			p("document_number", str()),
			p("legal_authority", str()),
			p("jurisdiction", enum("federal", "provincial", "state", "municipal")),
			p("language", str().pat(`^[a-z]{2}(-[A-Z]{2})?$`)),
			p("translation_of", str()),
			p("translations", arrayOf(str())),
			p("supersedes", arrayOf(str())),
			p("superseded_by", nullable(str())),
			p("retention_schedule", str()),
			p("disposition_date", dateTime()),
			p("classification", enum("public", "confidential", "restricted", "secret")),
			p("custodian", str()),
			p("disposition_action", enum("archive", "destroy", "transfer")),
			p("public_access", boolean()),
			p("access_level", enum("public", "restricted", "confidential")),
			p("publication_date", dateTime()),
			p("redaction_applied", boolean()),
			p("redaction_reason", str()),
			p("exemption_codes", arrayOf(str())),
			p("access_restrictions", arrayOf(str())),
			p("accessibility", object(p("wcag_level", enum("A", "AA", "AAA")),
				p("alternative_formats", arrayOf(object(p("type", str()), p("url", &schema{typ: "string", format: "uri"})).req("type", "url"))),
				p("braille_available", boolean()), p("large_print_available", boolean()))),
			p("subject", arrayOf(str())),
			p("coverage", object(p("temporal", str()), p("spatial", str()))),
			p("rights", str()),
			p("rights_holder", str()),
			p("approval_chain", arrayOf(object(p("role", str()), p("username", str()), p("action", str()),
				p("date", dateTime())).req("role", "username", "action", "date"))),
			p("change_history", arrayOf(object(p("date", dateTime()), p("user", str()), p("reason", str()),
				p("changes", arrayOf(str()))).req("date", "user", "reason"))),
			p("extensions", object()),
		)),
	).req("id", "title", "type", "status", "author", "created", "updated")

	typeSchemas = map[string]*schema{
		"geography": object(p("geography_data", object()), p("category", enum("zone", "boundary", "district", "facility", "route"))),
		"session": object(
			p("session_type", enum("regular", "emergency", "special")),
			p("date", dateTime()),
			p("duration", num0()),
			p("location", str().length(1, 500)),
			p("attendees", arrayOf(object(p("name", str()), p("role", str()), p("present", boolean()),
				p("email", &schema{typ: "string", format: "email"})).req("name"))),
			p("topics", arrayOf(object(p("title", str()), p("description", str()), p("decisions", arrayOf(str())),
				p("votes", arrayOf(object(p("motion", str()), p("result", enum("passed", "failed", "tabled", "referred")),
					p("votes_for", num0()), p("votes_against", num0()), p("abstentions", num0()))))))),
			p("media", object(p("livestream", &schema{typ: "string", format: "uri"}), p("recording", str()),
				p("minutes", str()), p("transcript", str()), p("agenda", str()))),
			p("visibility", enum("public", "in_camera")),
			p("minutes_status", enum("draft", "under_review", "adopted")),
		),
		"meeting": object(
			p("meeting_type", enum("regular", "special", "committee", "public_hearing", "emergency")),
			p("scheduled_start", dateTime()),
			p("scheduled_end", dateTime()),
			p("location", str().length(1, 500)),
			p("chair", str()),
			p("agenda", arrayOf(object(p("title", str().length(1, 0)), p("description", str()), p("order", num0())).req("title"))),
		),
	}

	legalRegisterSchema = object(p("metadata", object(
		p("document_number", str().pat(`^[A-Z]{2,4}-\d{2,4}-\d{1,6}$`)),
		p("legal_authority", str().length(1, 500)),
		p("approval_chain", arrayOf(closed(object(p("role", str()), p("username", str()),
			p("action", enum("drafted", "reviewed", "approved", "rejected", "published", "archived")),
			p("date", dateTime())).req("role", "username", "action", "date")))),
		p("change_history", arrayOf(closed(object(p("date", dateTime()), p("user", str()), p("reason", str()),
			p("changes", arrayOf(str()))).req("date", "user", "reason")))),
	)))
)

func closed(s *schema) *schema { s.closed = true; return s }

// validateFrontmatter checks a frontmatter mapping; v == nil skips the
// vocabulary and module rules (what Parse can check on its own).
func validateFrontmatter(fm *Map, v *Vocabulary) []FieldError {
	var c checker
	c.check("", fm, baseSchema)
	if v != nil {
		if t, ok := fm.vals["type"].(string); ok && len(v.Types) > 0 && !slices.Contains(v.Types, t) {
			c.add("/type", "enum", fmt.Sprintf("Field \"type\" must be one of: %s", strings.Join(v.Types, ", ")))
		}
		if s, ok := fm.vals["status"].(string); ok && len(v.Statuses) > 0 && !slices.Contains(v.Statuses, s) {
			c.add("/status", "enum", fmt.Sprintf("Field \"status\" must be one of: %s", strings.Join(v.Statuses, ", ")))
		}
	}
	if t, ok := fm.vals["type"].(string); ok {
		if ts := typeSchemas[t]; ts != nil {
			c.check("", fm, ts)
		}
		if v != nil && slices.Contains(v.Modules, "legal-register") && slices.Contains(LegalTypes, t) {
			c.check("", fm, legalRegisterSchema)
		}
	}
	return c.errs
}

type checker struct {
	errs []FieldError
}

func (c *checker) add(path, code, msg string) {
	for _, e := range c.errs {
		if e.Field == path && e.Code == code && e.Message == msg {
			return // the same rule from the base schema and an extension
		}
	}
	c.errs = append(c.errs, FieldError{Field: path, Code: code, Message: msg})
}

func fieldName(path string) string {
	if path == "" {
		return "root"
	}
	return strings.TrimPrefix(path, "/")
}

func jsType(v any) string {
	switch v.(type) {
	case nil:
		return "object" // typeof null
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	}
	return "object"
}

func hasType(v any, typ string) bool {
	switch typ {
	case "":
		return true
	case "string":
		_, ok := v.(string)
		return ok
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "object":
		_, ok := v.(*Map)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "null":
		return v == nil
	}
	return false
}

// matches reports whether v satisfies s without recording errors.
func matches(v any, s *schema) bool {
	var sub checker
	sub.check("", v, s)
	return len(sub.errs) == 0
}

func (c *checker) check(path string, v any, s *schema) {
	name := fieldName(path)
	if len(s.oneOf) > 0 {
		n := 0
		for _, alt := range s.oneOf {
			if matches(v, alt) {
				n++
			}
		}
		if n != 1 {
			c.add(path, "oneOf", fmt.Sprintf("Field %q must match exactly one schema in oneOf", name))
		}
		return
	}
	if !hasType(v, s.typ) {
		c.add(path, "type", fmt.Sprintf("Field %q must be of type %s, got %s", name, s.typ, jsType(v)))
		return
	}
	switch t := v.(type) {
	case string:
		if len(s.enum) > 0 && !slices.Contains(s.enum, t) {
			c.add(path, "enum", fmt.Sprintf("Field %q must be one of: %s", name, strings.Join(s.enum, ", ")))
		}
		n := utf8.RuneCountInString(t)
		if s.minLen > 0 && n < s.minLen {
			c.add(path, "minLength", fmt.Sprintf("Field %q must be at least %d characters", name, s.minLen))
		}
		if s.maxLen > 0 && n > s.maxLen {
			c.add(path, "maxLength", fmt.Sprintf("Field %q must be at most %d characters", name, s.maxLen))
		}
		if s.pattern != nil && !s.pattern.MatchString(t) {
			c.add(path, "pattern", fmt.Sprintf("Field %q does not match required pattern: %s", name, s.patternSt))
		}
		if s.format != "" && !checkFormat(s.format, t) {
			c.add(path, "format", fmt.Sprintf("Field %q must be a valid %s", name, s.format))
		}
	case float64:
		if s.min != nil && t < *s.min {
			c.add(path, "minimum", fmt.Sprintf("Field %q must be at least %s", name, jsNumber(*s.min)))
		}
	case []any:
		if s.minItems > 0 && len(t) < s.minItems {
			c.add(path, "minItems", fmt.Sprintf("Field %q must NOT have fewer than %d items", name, s.minItems))
		}
		if s.maxItems > 0 && len(t) > s.maxItems {
			c.add(path, "maxItems", fmt.Sprintf("Field %q must NOT have more than %d items", name, s.maxItems))
		}
		if s.items != nil {
			for i, e := range t {
				c.check(path+"/"+strconv.Itoa(i), e, s.items)
			}
		}
	case *Map:
		for _, r := range s.required {
			if !t.Has(r) {
				c.add(path+"/"+r, "required", "Missing required field: "+r)
			}
		}
		for _, pr := range s.props {
			if pv, ok := t.Get(pr.name); ok {
				c.check(path+"/"+escapePointer(pr.name), pv, pr.s)
			}
		}
		if s.closed {
			for _, k := range t.keys {
				if !slices.ContainsFunc(s.props, func(pr prop) bool { return pr.name == k }) {
					c.add(path+"/"+escapePointer(k), "additionalProperties", fmt.Sprintf("Field %q must NOT have additional properties", name))
				}
			}
		}
	}
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return pointerEscaper.Replace(s)
}

var (
	emailRe  = regexp.MustCompile("(?i)^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
	dateRe   = regexp.MustCompile(`^(\d\d\d\d)-(\d\d)-(\d\d)$`)
	timeRe   = regexp.MustCompile(`(?i)^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$`)
	schemeRe = regexp.MustCompile(`(?i)^[a-z][a-z0-9+\-.]*:`)
)

func checkFormat(format, s string) bool {
	switch format {
	case "date-time":
		return IsDateTime(s)
	case "email":
		return emailRe.MatchString(s)
	case "uri":
		return isURI(s)
	}
	return true
}

// IsDateTime reports whether s is an RFC 3339 date-time as ajv-formats'
// "date-time" accepts it (time zone required, leap seconds only at 23:59:60 UTC).
func IsDateTime(s string) bool {
	// split on /t|\s/i into exactly two parts
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == 't' || r == 'T' || isJSSpace(r) })
	seps := 0
	for _, r := range s {
		if r == 't' || r == 'T' || isJSSpace(r) {
			seps++
		}
	}
	if seps != 1 || len(parts) != 2 {
		return false
	}
	dm := dateRe.FindStringSubmatch(parts[0])
	if dm == nil {
		return false
	}
	year, _ := strconv.Atoi(dm[1])
	month, _ := strconv.Atoi(dm[2])
	day, _ := strconv.Atoi(dm[3])
	days := []int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	maxDay := days[month]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		maxDay = 29
	}
	if day > maxDay {
		return false
	}
	tm := timeRe.FindStringSubmatch(parts[1])
	if tm == nil || tm[4] == "" {
		return false
	}
	hr, _ := strconv.Atoi(tm[1])
	mn, _ := strconv.Atoi(tm[2])
	sec, _ := strconv.ParseFloat(tm[3], 64)
	tzSign := 1
	if tm[5] == "-" {
		tzSign = -1
	}
	tzH, _ := strconv.Atoi(tm[6])
	tzM, _ := strconv.Atoi(tm[7])
	if tzH > 23 || tzM > 59 {
		return false
	}
	if hr <= 23 && mn <= 59 && sec < 60 {
		return true
	}
	utcMin := mn - tzM*tzSign
	utcHr := hr - tzH*tzSign
	if utcMin < 0 {
		utcHr--
	}
	return (utcHr == 23 || utcHr == -1) && (utcMin == 59 || utcMin == -1) && sec < 61
}

// isURI approximates ajv-formats' "uri": a scheme, then only characters
// RFC 3986 allows (percent escapes well formed, one '#').
func isURI(s string) bool {
	loc := schemeRe.FindStringIndex(s)
	if loc == nil {
		return false
	}
	rest := s[loc[1]:]
	hashes := 0
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@/?[]", c) >= 0:
		case c == '#':
			hashes++
			if hashes > 1 {
				return false
			}
		case c == '%':
			if i+2 >= len(rest) || !isHex(rest[i+1]) || !isHex(rest[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}
