package civicpress

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:embed defaults/*.yml
var defaultFiles embed.FS

// The platform configuration files under data/.civic, in the order they are loaded.
const (
	FileConfig    = "config.yml"
	FileRoles     = "roles.yml"
	FileWorkflows = "workflows.yml"
	FileHooks     = "hooks.yml"
	FileOrg       = "org-config.yml"
)

var settingsFiles = []string{FileConfig, FileRoles, FileWorkflows, FileHooks, FileOrg}

// Settings is the parsed, type-checked content of data/.civic/*.yml.
type Settings struct {
	Project   ProjectConfig // config.yml
	Roles     *Roles        // roles.yml
	Workflows *Workflows    // workflows.yml
	Hooks     HooksConfig   // hooks.yml
	Org       OrgConfig     // org-config.yml

	// Defaulted lists the files that were absent and replaced by upstream's defaults.
	Defaulted []string
}

// ProjectConfig is data/.civic/config.yml with record types and statuses
// merged over the compiled-in defaults, so built-in keys are always present.
type ProjectConfig struct {
	Modules               []string
	DefaultRole           string
	Version               string
	RecordTypes           []RecordType   // by priority, then key
	Statuses              []RecordStatus // by priority, then key; workflow-only statuses last
	DocumentNumberFormats map[string]DocumentNumberFormat
}

// RecordType is one entry of record_types_config.
type RecordType struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	Description string `json:"description"`
	Source      string `json:"source"` // core | module | plugin
	SourceName  string `json:"source_name,omitempty"`
	Priority    int    `json:"priority"`
}

// RecordStatus is one entry of record_statuses_config, or a status named only
// in workflows.yml (FromWorkflow): statuses and workflow states are one
// vocabulary here, so a workflow status is always a valid record status.
type RecordStatus struct {
	Key          string `json:"key"`
	Label        string `json:"label"`
	Description  string `json:"description"`
	Source       string `json:"source"`
	SourceName   string `json:"source_name,omitempty"`
	Priority     int    `json:"priority"`
	Public       bool   `json:"public"`   // anonymous readers may see records in this status
	Color        string `json:"color"`    // UI hint, as upstream's catalogue
	Editable     bool   `json:"editable"` // UI hint, as upstream's catalogue
	FromWorkflow bool   `json:"-"`
}

// DocumentNumberFormat configures automatic document numbers (BYL-2025-001).
type DocumentNumberFormat struct {
	Prefix          string
	YearFormat      string // full | short
	Separator       string
	SequencePadding int
}

// RecordType returns a type by key.
func (s *Settings) RecordType(key string) (RecordType, bool) {
	for _, t := range s.Project.RecordTypes {
		if t.Key == key {
			return t, true
		}
	}
	return RecordType{}, false
}

// Status returns a status by key.
func (s *Settings) Status(key string) (RecordStatus, bool) {
	for _, st := range s.Project.Statuses {
		if st.Key == key {
			return st, true
		}
	}
	return RecordStatus{}, false
}

// TypeKeys lists the valid record type keys.
func (s *Settings) TypeKeys() []string {
	out := make([]string, len(s.Project.RecordTypes))
	for i, t := range s.Project.RecordTypes {
		out[i] = t.Key
	}
	return out
}

// StatusKeys lists the valid status keys (record statuses and workflow statuses).
func (s *Settings) StatusKeys() []string {
	out := make([]string, len(s.Project.Statuses))
	for i, st := range s.Project.Statuses {
		out[i] = st.Key
	}
	return out
}

// Compiled-in defaults (upstream core/src/config/record-types.ts and
// record-statuses.ts); config.yml entries are merged over them.
var defaultRecordTypes = []RecordType{
	{"bylaw", "Bylaws", "Municipal bylaws and regulations", "core", "", 1},
	{"ordinance", "Ordinances", "Local ordinances and laws", "core", "", 2},
	{"policy", "Policies", "Administrative policies", "core", "", 3},
	{"proclamation", "Proclamations", "Official proclamations", "core", "", 4},
	{"resolution", "Resolutions", "Council resolutions", "core", "", 5},
	{"geography", "Geography", "Geographic data files (GeoJSON/KML)", "core", "", 6},
	{"session", "Session", "Meeting sessions and minutes", "core", "", 7},
	{"meeting", "Meetings", "Scheduled civic meetings; a meeting owns its session recording(s)", "core", "", 8},
}

var defaultStatuses = []RecordStatus{
	{Key: "draft", Label: "Draft", Description: "Initial working version, not yet ready for review", Source: "core", Priority: 1, Color: "gray", Editable: true},
	{Key: "pending_review", Label: "Pending Review", Description: "Submitted for review and awaiting approval", Source: "core", Priority: 2, Color: "blue", Editable: true},
	{Key: "under_review", Label: "Under Review", Description: "Currently under active review by authorized personnel", Source: "core", Priority: 3, Color: "yellow", Editable: true},
	{Key: "approved", Label: "Approved", Description: "Approved and currently in effect", Source: "core", Priority: 4, Color: "green", Editable: true},
	{Key: "published", Label: "Published", Description: "Publicly available and in effect", Source: "core", Priority: 5, Public: true, Color: "green"},
	{Key: "rejected", Label: "Rejected", Description: "Rejected and not approved", Source: "core", Priority: 6, Color: "red", Editable: true},
	{Key: "archived", Label: "Archived", Description: "No longer active but preserved for reference", Source: "core", Priority: 7, Public: true, Color: "gray"},
	{Key: "expired", Label: "Expired", Description: "Past its effective date and no longer in force", Source: "core", Priority: 8, Public: true, Color: "orange"},
}

var (
	typeKeyRe   = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	statusKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// LoadSettings reads and type-checks every data/.civic file of dataDir. A
// missing file falls back to upstream's default for it (listed in
// Defaulted); a malformed one fails with an error naming the file and key.
func LoadSettings(dataDir string) (*Settings, error) {
	raw := map[string][]byte{}
	var defaulted []string
	for _, name := range settingsFiles {
		data, err := os.ReadFile(filepath.Join(dataDir, ".civic", name))
		if errors.Is(err, fs.ErrNotExist) {
			data, _ = defaultFiles.ReadFile("defaults/" + name)
			defaulted = append(defaulted, name)
		} else if err != nil {
			return nil, fmt.Errorf("civicpress: %w", err)
		}
		raw[name] = data
	}
	s, err := ParseSettings(raw)
	if err != nil {
		return nil, err
	}
	s.Defaulted = defaulted
	return s, nil
}

// ParseSettings type-checks config file contents keyed by file name
// (FileConfig, FileRoles, ...); a missing entry uses upstream's default.
func ParseSettings(files map[string][]byte) (*Settings, error) {
	get := func(name string) (yval, error) {
		data, ok := files[name]
		if !ok {
			return parsedDefault(name), nil
		}
		return parseYAML(name, data)
	}
	s := &Settings{}
	v, err := get(FileConfig)
	if err != nil {
		return nil, err
	}
	if s.Project, err = parseProjectConfig(v); err != nil {
		return nil, err
	}
	if v, err = get(FileRoles); err != nil {
		return nil, err
	}
	if s.Roles, err = parseRoles(v); err != nil {
		return nil, err
	}
	if v, err = get(FileWorkflows); err != nil {
		return nil, err
	}
	if s.Workflows, err = parseWorkflows(v); err != nil {
		return nil, err
	}
	if v, err = get(FileHooks); err != nil {
		return nil, err
	}
	if s.Hooks, err = parseHooks(v); err != nil {
		return nil, err
	}
	if v, err = get(FileOrg); err != nil {
		return nil, err
	}
	if s.Org, err = parseOrg(v); err != nil {
		return nil, err
	}
	s.Project.Statuses = appendWorkflowStatuses(s.Project.Statuses, s.Workflows)
	return s, nil
}

var (
	defaultsOnce   sync.Once
	defaultsParsed map[string]yval
)

// parsedDefault returns upstream's default file, parsed once: the parsers
// only read the tree, so it is shared.
func parsedDefault(name string) yval {
	defaultsOnce.Do(func() {
		defaultsParsed = map[string]yval{}
		for _, n := range settingsFiles {
			data, err := defaultFiles.ReadFile("defaults/" + n)
			if err != nil {
				panic(err)
			}
			v, err := parseYAML(n, data)
			if err != nil {
				panic(fmt.Sprintf("civicpress: embedded default %s: %v", n, err))
			}
			defaultsParsed[n] = v
		}
	})
	return defaultsParsed[name]
}

func requireMapping(v yval) error {
	if v.isNull() {
		return nil
	}
	if _, err := v.pairs(); err != nil {
		return err
	}
	return nil
}

func parseProjectConfig(v yval) (ProjectConfig, error) {
	var pc ProjectConfig
	if err := requireMapping(v); err != nil {
		return pc, err
	}
	var err error
	if x, ok := v.get("modules"); ok {
		if pc.Modules, err = x.strList(); err != nil {
			return pc, err
		}
	}
	if x, ok := v.get("default_role"); ok {
		if pc.DefaultRole, err = x.str(); err != nil {
			return pc, err
		}
	}
	if x, ok := v.get("version"); ok {
		if pc.Version, err = x.str(); err != nil {
			return pc, err
		}
	}
	for _, sec := range []string{"hooks", "workflows", "audit"} {
		if x, ok := v.get(sec); ok {
			if err := requireMapping(x); err != nil {
				return pc, err
			}
			if e, ok := x.get("enabled"); ok {
				if _, err := e.boolean(true); err != nil {
					return pc, err
				}
			}
		}
	}

	types := slices.Clone(defaultRecordTypes)
	if x, ok := v.get("record_types_config"); ok {
		ps, err := x.pairs()
		if err != nil {
			return pc, err
		}
		for _, p := range ps {
			t, err := parseRecordType(p)
			if err != nil {
				return pc, err
			}
			// A user entry replaces a default unless the default has a strictly
			// higher priority (upstream mergeRecordTypes).
			if i := slices.IndexFunc(types, func(d RecordType) bool { return d.Key == t.Key }); i >= 0 {
				if types[i].Priority > t.Priority {
					continue
				}
				types[i] = t
			} else {
				types = append(types, t)
			}
		}
	}
	sort.SliceStable(types, func(i, j int) bool {
		if types[i].Priority != types[j].Priority {
			return types[i].Priority < types[j].Priority
		}
		return types[i].Key < types[j].Key
	})
	pc.RecordTypes = types

	statuses := slices.Clone(defaultStatuses)
	if x, ok := v.get("record_statuses_config"); ok {
		ps, err := x.pairs()
		if err != nil {
			return pc, err
		}
		for _, p := range ps {
			st, hasPublic, err := parseRecordStatus(p)
			if err != nil {
				return pc, err
			}
			if i := slices.IndexFunc(statuses, func(d RecordStatus) bool { return d.Key == st.Key }); i >= 0 {
				// Upstream mergeRecordStatuses: the override wins at equal or
				// higher priority; `public` carries over unless stated.
				if st.Priority < statuses[i].Priority {
					continue
				}
				if !hasPublic {
					st.Public = statuses[i].Public
				}
				if _, stated := p.val.get("editable"); !stated {
					st.Editable = statuses[i].Editable
				}
				if st.Color == "" {
					st.Color = statuses[i].Color
				}
				statuses[i] = st
			} else {
				statuses = append(statuses, st)
			}
		}
	}
	sort.SliceStable(statuses, func(i, j int) bool {
		if statuses[i].Priority != statuses[j].Priority {
			return statuses[i].Priority < statuses[j].Priority
		}
		return statuses[i].Key < statuses[j].Key
	})
	pc.Statuses = statuses

	pc.DocumentNumberFormats = map[string]DocumentNumberFormat{}
	if x, ok := v.get("document_number_formats"); ok {
		ps, err := x.pairs()
		if err != nil {
			return pc, err
		}
		for _, p := range ps {
			f, err := parseDocNumberFormat(p.val)
			if err != nil {
				return pc, err
			}
			pc.DocumentNumberFormats[p.key] = f
		}
	}
	return pc, nil
}

func parseRecordType(p ypair) (RecordType, error) {
	t := RecordType{Key: p.key, Source: "core"}
	if !typeKeyRe.MatchString(p.key) {
		return t, p.val.errf("record type key %q must be lower-case, start with a letter and use only letters, digits, - and _", p.key)
	}
	if _, err := p.val.pairs(); err != nil {
		return t, err
	}
	if err := strField(p.val, "label", &t.Label, true); err != nil {
		return t, err
	}
	if err := strField(p.val, "description", &t.Description, false); err != nil {
		return t, err
	}
	if err := sourceField(p.val, &t.Source, &t.SourceName); err != nil {
		return t, err
	}
	if err := priorityField(p.val, &t.Priority); err != nil {
		return t, err
	}
	return t, nil
}

func parseRecordStatus(p ypair) (RecordStatus, bool, error) {
	st := RecordStatus{Key: p.key, Source: "core", Editable: true}
	if !statusKeyRe.MatchString(p.key) {
		return st, false, p.val.errf("status key %q must be lower-case, start with a letter and use only letters, digits and _", p.key)
	}
	if _, err := p.val.pairs(); err != nil {
		return st, false, err
	}
	if err := strField(p.val, "label", &st.Label, true); err != nil {
		return st, false, err
	}
	if err := strField(p.val, "description", &st.Description, false); err != nil {
		return st, false, err
	}
	if err := strField(p.val, "color", &st.Color, false); err != nil {
		return st, false, err
	}
	if err := sourceField(p.val, &st.Source, &st.SourceName); err != nil {
		return st, false, err
	}
	if err := priorityField(p.val, &st.Priority); err != nil {
		return st, false, err
	}
	hasPublic := false
	if x, ok := p.val.get("public"); ok {
		b, err := x.boolean(false)
		if err != nil {
			return st, false, err
		}
		st.Public, hasPublic = b, true
	}
	if x, ok := p.val.get("editable"); ok {
		b, err := x.boolean(true)
		if err != nil {
			return st, false, err
		}
		st.Editable = b
	}
	return st, hasPublic, nil
}

func parseDocNumberFormat(v yval) (DocumentNumberFormat, error) {
	f := DocumentNumberFormat{YearFormat: "full", Separator: "-", SequencePadding: 3}
	if _, err := v.pairs(); err != nil {
		return f, err
	}
	if err := strField(v, "prefix", &f.Prefix, false); err != nil {
		return f, err
	}
	if err := strField(v, "year_format", &f.YearFormat, false); err != nil {
		return f, err
	}
	if f.YearFormat != "full" && f.YearFormat != "short" {
		x, _ := v.get("year_format")
		return f, x.errf("year_format must be full or short, got %q", f.YearFormat)
	}
	if err := strField(v, "separator", &f.Separator, false); err != nil {
		return f, err
	}
	if x, ok := v.get("sequence_padding"); ok {
		n, err := x.integer(3)
		if err != nil {
			return f, err
		}
		if n < 0 || n > 20 {
			return f, x.errf("sequence_padding must be between 0 and 20")
		}
		f.SequencePadding = n
	}
	return f, nil
}

func strField(v yval, key string, dst *string, required bool) error {
	x, ok := v.get(key)
	if !ok {
		if required {
			return v.errf("missing %s", key)
		}
		return nil
	}
	s, err := x.str()
	if err != nil {
		return err
	}
	if required && strings.TrimSpace(s) == "" {
		return x.errf("%s must not be empty", key)
	}
	*dst = s
	return nil
}

func sourceField(v yval, src, name *string) error {
	if err := strField(v, "source", src, false); err != nil {
		return err
	}
	switch *src {
	case "":
		*src = "core"
	case "core", "module", "plugin":
	default:
		x, _ := v.get("source")
		return x.errf("source must be core, module or plugin, got %q", *src)
	}
	return strField(v, "source_name", name, false)
}

func priorityField(v yval, dst *int) error {
	x, ok := v.get("priority")
	if !ok {
		return nil
	}
	n, err := x.integer(0)
	if err != nil {
		return err
	}
	if n < 0 {
		return x.errf("priority must not be negative")
	}
	*dst = n
	return nil
}

// appendWorkflowStatuses adds statuses that only workflows.yml names, so one
// vocabulary covers both (upstream keeps two and rejects proposed/reviewed
// when a file is written).
func appendWorkflowStatuses(statuses []RecordStatus, w *Workflows) []RecordStatus {
	seen := map[string]bool{}
	for _, s := range statuses {
		seen[s.Key] = true
	}
	maxPrio := 0
	for _, s := range statuses {
		maxPrio = max(maxPrio, s.Priority)
	}
	for _, k := range w.allStatuses() {
		if seen[k] {
			continue
		}
		seen[k] = true
		maxPrio++
		statuses = append(statuses, RecordStatus{
			Key: k, Label: titleCase(k), Description: "Workflow status " + k,
			Source: "core", Priority: maxPrio, Color: "blue", Editable: true, FromWorkflow: true,
		})
	}
	return statuses
}

func titleCase(k string) string {
	parts := strings.Split(k, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, " ")
}
