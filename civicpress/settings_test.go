package civicpress

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func defaults(t testing.TB) *Settings {
	t.Helper()
	s, err := ParseSettings(nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDefaultSettings(t *testing.T) {
	s := defaults(t)
	// Compiled-in types come through even though config.yml lists only five.
	if got := strings.Join(s.TypeKeys(), ","); got != "bylaw,ordinance,policy,proclamation,resolution,geography,session,meeting" {
		t.Errorf("types %s", got)
	}
	// One vocabulary: workflow statuses are valid statuses too.
	keys := s.StatusKeys()
	for _, k := range []string{"draft", "published", "archived", "proposed", "reviewed"} {
		if !slices.Contains(keys, k) {
			t.Errorf("status %s missing from %v", k, keys)
		}
	}
	if st, _ := s.Status("published"); !st.Public || st.Editable {
		t.Errorf("published %+v", st)
	}
	if st, _ := s.Status("draft"); st.Public {
		t.Error("drafts must not be public")
	}
	if f := s.Project.DocumentNumberFormats["bylaw"]; f.Prefix != "BYL" || f.SequencePadding != 3 {
		t.Errorf("doc number format %+v", f)
	}
	if s.Roles.DefaultRole != "public" || !slices.Equal(s.Roles.Keys(), []string{"admin", "clerk", "public"}) {
		t.Errorf("roles %v default %s", s.Roles.Keys(), s.Roles.DefaultRole)
	}
	if !s.Hooks.Enabled("record:updated") || !slices.Contains(s.Hooks.Hooks["record:updated"].Workflows, "update-index") || s.Hooks.Settings.Timeout != 30000 {
		t.Errorf("hooks %+v", s.Hooks)
	}
	if s.Org.Name != "Civic Records" || s.Org.City != "Richmond" || s.Org.Timezone != "America/Montreal" || s.Org.Raw["name"] != "Civic Records" {
		t.Errorf("org %+v", s.Org)
	}
	if _, ok := s.Org.Raw["_metadata"]; ok {
		t.Error("_metadata leaked into org config")
	}
	if got := strings.Join(s.Workflows.ControlledStatuses(), ","); got != "proposed,archived,reviewed,approved" {
		t.Errorf("controlled %s", got)
	}
}

func TestWrappedAndBareFormsAgree(t *testing.T) {
	bare := map[string][]byte{
		FileRoles: []byte(`roles:
  admin: {name: Administrator, permissions: ['*']}
  clerk: {name: Clerk, permissions: [records:create, records:edit]}
  public: {name: Public, permissions: [records:view]}
role_hierarchy: {admin: [clerk, public], clerk: [public], public: []}
default_role: public
`),
		FileWorkflows: []byte(`statuses: [draft, proposed]
transitions: {draft: [proposed], proposed: []}
roles:
  clerk: {can_transition: {draft: [proposed]}, can_create: [bylaw]}
`),
		FileHooks: []byte("hooks:\n  record:created: {enabled: false, workflows: [a], audit: true}\nsettings: {timeout: 5}\n"),
		FileOrg:   []byte("name: Springfield\ncity: Springfield\nsocial: {twitter: https://x.example/spr}\n"),
	}
	wrapped := map[string][]byte{
		FileRoles: []byte(`_metadata: {name: x}
roles:
  admin:
    name: {value: Administrator, type: string}
    permissions: {value: ['*'], type: array, required: true}
  clerk:
    name: {value: Clerk}
    permissions:
      value: [records:create, records:edit]
      description: what clerks may do
  public:
    name: {value: Public}
    permissions: {value: [records:view]}
role_hierarchy:
  value: {admin: [clerk, public], clerk: [public], public: []}
  type: object
default_role: {value: public, type: string}
`),
		FileWorkflows: []byte(`statuses: {value: [draft, proposed], type: array}
transitions:
  draft: {value: [proposed]}
  proposed: {value: []}
roles:
  clerk:
    can_transition: {value: {draft: {value: [proposed]}}}
    can_create: {value: [bylaw]}
`),
		FileHooks: []byte("hooks:\n  record:created:\n    enabled: {value: false}\n    workflows: {value: [a]}\n    audit: {value: true}\nsettings:\n  timeout: {value: 5, type: number}\n"),
		FileOrg:   []byte("name: {value: Springfield}\ncity: {value: Springfield, required: true}\nsocial:\n  twitter: {value: 'https://x.example/spr'}\n"),
	}
	a, err := ParseSettings(bare)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseSettings(wrapped)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"admin", "clerk", "public", "ghost"} {
		if !slices.Equal(a.Roles.Permissions(role), b.Roles.Permissions(role)) {
			t.Errorf("%s: %v vs %v", role, a.Roles.Permissions(role), b.Roles.Permissions(role))
		}
	}
	if !slices.Equal(a.Roles.Permissions("admin"), []string{"*", "records:create", "records:edit", "records:view"}) {
		t.Errorf("inheritance order %v", a.Roles.Permissions("admin"))
	}
	for _, s := range []*Settings{a, b} {
		if s.Workflows.ValidateTransition("", "draft", "proposed", "clerk") != nil || !s.Workflows.RoleCanAct("clerk", "create", "bylaw") {
			t.Error("workflow rights lost")
		}
		if s.Hooks.Enabled("record:created") || s.Hooks.Settings.Timeout != 5 || !s.Hooks.Hooks["record:created"].Audit {
			t.Errorf("hooks %+v", s.Hooks)
		}
		if s.Org.Name != "Springfield" || s.Org.Social["twitter"] != "https://x.example/spr" {
			t.Errorf("org %+v", s.Org)
		}
	}
}

func TestRecordTypeAndStatusMerge(t *testing.T) {
	s, err := ParseSettings(map[string][]byte{FileConfig: []byte(`
record_types_config:
  bylaw: {label: By-laws, description: ours, priority: 0}
  minutes_book: {label: Minutes Book, description: bound minutes, priority: 20, source: module, source_name: legal-register}
record_statuses_config:
  published: {label: Live, description: relabelled, priority: 5}
  in_camera: {label: In camera, description: closed session, priority: 30}
`)})
	if err != nil {
		t.Fatal(err)
	}
	// Default bylaw has priority 1 > 0: the default wins (upstream merge rule).
	if bt, _ := s.RecordType("bylaw"); bt.Label != "Bylaws" {
		t.Errorf("bylaw %+v", bt)
	}
	if mt, ok := s.RecordType("minutes_book"); !ok || mt.Source != "module" || mt.SourceName != "legal-register" {
		t.Errorf("added type %+v", mt)
	}
	// Equal priority replaces, and `public` carries over when unstated.
	if p, _ := s.Status("published"); p.Label != "Live" || !p.Public {
		t.Errorf("published %+v", p)
	}
	if ic, _ := s.Status("in_camera"); ic.Public {
		t.Error("a new status must not be public by omission")
	}
}

// Malformed config fails with the file and key named, never silently defaulted.
func TestMalformedConfigNamesFileAndKey(t *testing.T) {
	cases := []struct {
		file, content, want string
	}{
		{FileRoles, "roles:\n  clerk:\n    permissions: records:view\n", "roles.yml: roles.clerk.permissions: expected a list"},
		{FileRoles, "roles:\n  clerk:\n    permissions: [records:view, {a: b}]\n", "roles.yml: roles.clerk.permissions[1]: expected a name"},
		{FileRoles, "roles: [admin]\n", "roles.yml: roles: expected a mapping"},
		{FileRoles, "roles:\n  clerk: {}\ndefault_role: mayor\n", "roles.yml: default_role: default_role \"mayor\""},
		{FileRoles, "default_role: public\n", "roles.yml: missing roles"},
		{FileWorkflows, "transitions:\n  draft: proposed\n", "workflows.yml: transitions.draft: expected a list"},
		{FileWorkflows, "roles:\n  clerk:\n    can_transition: [draft]\n", "workflows.yml: roles.clerk.can_transition: expected a mapping"},
		{FileWorkflows, "statuses: [Draft]\n", "workflows.yml: statuses"},
		{FileHooks, "hooks:\n  record:created:\n    enabled: sometimes\n", "hooks.yml: hooks.record:created.enabled: expected true or false"},
		{FileHooks, "settings:\n  timeout: soon\n", "hooks.yml: settings.timeout: expected a whole number"},
		{FileOrg, "name: [a, b]\n", "org-config.yml: name: expected a text value"},
		{FileOrg, "social: twitter\n", "org-config.yml: social: expected a mapping"},
		{FileConfig, "record_types_config:\n  Bad-Key: {label: x}\n", "config.yml: record_types_config.Bad-Key: record type key"},
		{FileConfig, "record_types_config:\n  notice: {description: no label}\n", "config.yml: record_types_config.notice: missing label"},
		{FileConfig, "record_statuses_config:\n  held: {label: Held, priority: high}\n", "config.yml: record_statuses_config.held.priority: expected a whole number"},
		{FileConfig, "modules: legal-register\n", "config.yml: modules: expected a list"},
		{FileConfig, "document_number_formats:\n  bylaw: {year_format: roman}\n", "config.yml: document_number_formats.bylaw.year_format"},
		{FileConfig, "modules: [a\n", "config.yml: not valid YAML"},
	}
	for _, tc := range cases {
		_, err := ParseSettings(map[string][]byte{tc.file: []byte(tc.content)})
		if err == nil {
			t.Errorf("%s %q: accepted", tc.file, tc.content)
			continue
		}
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q:\n got  %v\n want %s", tc.file, tc.content, err, tc.want)
		}
	}
}

func TestOpenFailsOnMalformedConfig(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(context.Background(), Config{ProjectDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	os.WriteFile(filepath.Join(dir, "data", ".civic", "roles.yml"), []byte("roles:\n  clerk:\n    permissions: 7\n"), 0o644)
	_, err = Open(context.Background(), Config{ProjectDir: dir, Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "roles.yml: roles.clerk.permissions") || Code(err) != CodeInvalidConfig {
		t.Fatalf("Open = %v", err)
	}
	os.WriteFile(filepath.Join(dir, ".civicrc"), []byte("database:\n  type: oracle\n"), 0o644)
	_, err = Open(context.Background(), Config{ProjectDir: dir, Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), ".civicrc: database.type") {
		t.Fatalf("Open = %v", err)
	}
}

func TestCivicrcAuthBlock(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".civicrc.default"), []byte("dataDir: fallback\nauth:\n  security: {sessionTimeout: 2h}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".civicrc"), []byte("auth:\n  password: {minLength: 12, maxLoginAttempts: 3, lockoutDuration: 30s, requireSpecialChars: false}\n  security: {sessionTimeout: 8h, maxConcurrentSessions: 2}\n"), 0o644)
	rc, err := readCivicrc(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := rc.auth
	if rc.dataDir != "fallback" || a.Password.MinLength != 12 || a.MaxLoginAttempts != 3 || a.LockoutDuration.String() != "30s" ||
		a.Password.RequireSpecialChars || !a.Password.RequireUppercase || a.SessionTimeout.String() != "8h0m0s" || a.MaxConcurrentSessions != 2 {
		t.Errorf("auth %+v dataDir %q", a, rc.dataDir)
	}
}

func TestWorkflowTransitions(t *testing.T) {
	w := defaults(t).Workflows
	if err := w.ValidateTransition("bylaw", "draft", "proposed", "clerk"); err != nil {
		t.Error(err)
	}
	err := w.ValidateTransition("bylaw", "draft", "reviewed", "")
	wantKind(t, err, ErrInvalid, CodeInvalidTransition)
	if !strings.Contains(err.Error(), "Allowed transitions: proposed, archived.") {
		t.Errorf("message %v", err)
	}
	wantKind(t, w.ValidateTransition("", "proposed", "reviewed", "clerk"), ErrForbidden, CodeInvalidTransition)
	wantKind(t, w.ValidateTransition("", "draft", "proposed", "mayor"), ErrForbidden, CodeInvalidTransition)
	if err := w.ValidateTransition("", "reviewed", "archived", "admin"); err != nil {
		t.Error(err)
	}
	if got := w.AvailableTransitions("", "draft", "clerk"); !slices.Equal(got, []string{"proposed"}) {
		t.Errorf("clerk from draft %v", got)
	}
	if got := w.AvailableTransitions("", "draft", "public"); !slices.Equal(got, []string{"proposed", "archived"}) {
		t.Errorf("public (no rights listed) sees all, as upstream: %v", got)
	}
	if got := w.AvailableTransitions("", "draft", "ghost"); len(got) != 0 {
		t.Errorf("unknown role %v", got)
	}
	if !w.RoleCanAct("clerk", "create", "bylaw") || w.RoleCanAct("clerk", "create", "ordinance") || w.RoleCanAct("public", "edit", "bylaw") {
		t.Error("validateAction semantics")
	}
	if err := w.ValidateTransition("", "draft", "propose", ""); err == nil || !strings.Contains(err.Error(), "Did you mean 'proposed'?") {
		t.Errorf("suggestion: %v", err)
	}
}

func FuzzParseSettings(f *testing.F) {
	for _, name := range settingsFiles {
		data, _ := defaultFiles.ReadFile("defaults/" + name)
		f.Add(name, data)
	}
	f.Add(FileRoles, []byte("roles: {a: {permissions: {value: {value: [x]}}}}\nrole_hierarchy: {a: [a, b]}\n"))
	f.Add(FileWorkflows, []byte("transitions: &x {a: *x}\n"))
	f.Add(FileConfig, []byte("record_types_config: {x: {label: 1, priority: 1e3}}\n"))
	f.Add(".civicrc", []byte("auth: {password: {lockoutDuration: 99999999999d}}\ndatabase: {type: postgres}\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if name == ".civicrc" {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, ".civicrc"), data, 0o644)
			if _, err := readCivicrc(dir); err != nil && !errors.Is(err, ErrInvalid) && !strings.Contains(err.Error(), "civicpress:") {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if !slices.Contains(settingsFiles, name) {
			return
		}
		s, err := ParseSettings(map[string][]byte{name: data})
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), name) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Whatever parsed must be usable.
		for _, r := range append(s.Roles.Keys(), "ghost") {
			s.Roles.Permissions(r)
			s.can(r, "records:view", PermContext{RecordType: "bylaw", Action: "view", FromStatus: "draft", ToStatus: "proposed"})
		}
		s.Workflows.ControlledStatuses()
		s.StatusKeys()
	})
}
