package civicpress

import (
	"fmt"
	"slices"
	"strings"
)

// Workflows is workflows.yml: statuses, the transitions between them, and
// what each role may do (upstream WorkflowConfigManager semantics).
type Workflows struct {
	Statuses    []string
	Transitions map[string][]string // from -> allowed targets
	Roles       map[string]WorkflowRole
	// RecordTypes holds per-type overrides (recordTypes.<type> in the file).
	RecordTypes map[string]WorkflowTypeOverride
	fromOrder   []string
}

// WorkflowRole is one role's workflow rights.
type WorkflowRole struct {
	CanTransition map[string][]string // from (or "any") -> targets
	CanCreate     []string            // record types
	CanEdit       []string
	CanDelete     []string
	CanView       []string
	declared      map[string]bool // which can_<action> keys the file states
}

// WorkflowTypeOverride narrows the workflow for one record type.
type WorkflowTypeOverride struct {
	Statuses    []string
	Transitions map[string][]string
}

func parseWorkflows(v yval) (*Workflows, error) {
	w := &Workflows{Transitions: map[string][]string{}, Roles: map[string]WorkflowRole{}, RecordTypes: map[string]WorkflowTypeOverride{}}
	if err := requireMapping(v); err != nil {
		return nil, err
	}
	var err error
	if x, ok := v.get("statuses"); ok {
		if w.Statuses, err = x.strList(); err != nil {
			return nil, err
		}
		for i, s := range w.Statuses {
			if !statusKeyRe.MatchString(s) {
				return nil, x.errf("status %d %q must be lower-case letters, digits and _", i, s)
			}
		}
	}
	if x, ok := v.get("transitions"); ok {
		ps, err := x.pairs()
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			l, err := p.val.strList()
			if err != nil {
				return nil, err
			}
			w.Transitions[p.key] = l
			w.fromOrder = append(w.fromOrder, p.key)
		}
	}
	if x, ok := v.get("roles"); ok {
		ps, err := x.pairs()
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			wr := WorkflowRole{declared: map[string]bool{}}
			if err := requireMapping(p.val); err != nil {
				return nil, err
			}
			if t, ok := p.val.get("can_transition"); ok {
				if wr.CanTransition, err = stringListMap(t); err != nil {
					return nil, err
				}
			}
			for _, a := range []struct {
				key string
				dst *[]string
			}{{"can_create", &wr.CanCreate}, {"can_edit", &wr.CanEdit}, {"can_delete", &wr.CanDelete}, {"can_view", &wr.CanView}} {
				if raw, present := p.val.rawGet(a.key); present {
					wr.declared[a.key] = true
					if *a.dst, err = p.val.child(a.key, raw).strList(); err != nil {
						return nil, err
					}
				}
			}
			w.Roles[p.key] = wr
		}
	}
	if x, ok := v.get("recordTypes"); ok {
		ps, err := x.pairs()
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			var o WorkflowTypeOverride
			if err := requireMapping(p.val); err != nil {
				return nil, err
			}
			if s, ok := p.val.get("statuses"); ok {
				if o.Statuses, err = s.strList(); err != nil {
					return nil, err
				}
			}
			if t, ok := p.val.get("transitions"); ok {
				if o.Transitions, err = stringListMap(t); err != nil {
					return nil, err
				}
			}
			w.RecordTypes[p.key] = o
		}
	}
	return w, nil
}

// allStatuses lists every status the workflow names (declared, sources, targets).
func (w *Workflows) allStatuses() []string {
	var out []string
	add := func(s string) {
		if s != "any" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range w.Statuses {
		add(s)
	}
	for _, from := range w.fromOrder {
		add(from)
		for _, to := range w.Transitions[from] {
			add(to)
		}
	}
	for _, o := range w.RecordTypes {
		for _, s := range o.Statuses {
			add(s)
		}
	}
	return out
}

func (w *Workflows) transitionsFor(recordType string) map[string][]string {
	if o, ok := w.RecordTypes[recordType]; ok && o.Transitions != nil {
		return o.Transitions
	}
	return w.Transitions
}

// ValidateTransition checks that from -> to is a transition of the workflow
// (of recordType when it overrides them) and, when role is not empty, that
// the role may perform it. Errors carry code INVALID_STATUS_TRANSITION and
// upstream's wording; a role refusal matches ErrForbidden, an impossible
// transition ErrInvalid.
func (w *Workflows) ValidateTransition(recordType, from, to, role string) error {
	allowed := w.transitionsFor(recordType)[from]
	if !slices.Contains(allowed, to) {
		text := "none (final status)"
		if len(allowed) > 0 {
			text = strings.Join(allowed, ", ")
		}
		msg := fmt.Sprintf("Transition from '%s' to '%s' is not allowed. Allowed transitions: %s.", from, to, text)
		for _, s := range w.AvailableStatuses(recordType) {
			ls, lt := strings.ToLower(s), strings.ToLower(to)
			if s != to && lt != "" && (strings.Contains(ls, lt) || strings.Contains(lt, ls)) {
				msg += fmt.Sprintf(" Did you mean '%s'?", s)
				break
			}
		}
		return &Error{Kind: ErrInvalid, Code: CodeInvalidTransition, Message: msg}
	}
	if role == "" {
		return nil
	}
	if _, ok := w.Roles[role]; !ok {
		return &Error{Kind: ErrForbidden, Code: CodeInvalidTransition, Message: fmt.Sprintf("Role '%s' not found in configuration", role)}
	}
	if !w.RoleCanTransition(role, from, to) {
		return &Error{Kind: ErrForbidden, Code: CodeInvalidTransition, Message: fmt.Sprintf("Role '%s' cannot transition from '%s' to '%s'", role, from, to)}
	}
	return nil
}

// RoleCanTransition reports whether the role's can_transition grants from -> to
// (its list for from, plus its "any" list).
func (w *Workflows) RoleCanTransition(role, from, to string) bool {
	r, ok := w.Roles[role]
	if !ok {
		return false
	}
	return slices.Contains(r.CanTransition[from], to) || slices.Contains(r.CanTransition["any"], to)
}

// AvailableTransitions lists the targets reachable from from; with a role,
// only those the role may perform (a role with no transition rights at all
// sees the full list, and an unknown role none, as upstream).
func (w *Workflows) AvailableTransitions(recordType, from, role string) []string {
	all := slices.Clone(w.transitionsFor(recordType)[from])
	if role == "" {
		return all
	}
	r, ok := w.Roles[role]
	if !ok {
		return []string{}
	}
	mine := append(slices.Clone(r.CanTransition[from]), r.CanTransition["any"]...)
	if len(mine) == 0 {
		return all
	}
	out := []string{}
	for _, t := range all {
		if slices.Contains(mine, t) {
			out = append(out, t)
		}
	}
	return out
}

// ControlledStatuses lists every transition target: moving a record into one
// of these requires a workflow transition.
func (w *Workflows) ControlledStatuses() []string {
	var out []string
	for _, from := range w.fromOrder {
		for _, to := range w.Transitions[from] {
			if !slices.Contains(out, to) {
				out = append(out, to)
			}
		}
	}
	return out
}

// AvailableStatuses lists the workflow statuses (of recordType when it overrides them).
func (w *Workflows) AvailableStatuses(recordType string) []string {
	if o, ok := w.RecordTypes[recordType]; ok && o.Statuses != nil {
		return slices.Clone(o.Statuses)
	}
	return slices.Clone(w.Statuses)
}

// RoleCanAct reports upstream's validateAction: whether role's can_<action>
// list (create, edit, delete, view) names recordType. An empty role is allowed.
func (w *Workflows) RoleCanAct(role, action, recordType string) bool {
	if role == "" {
		return true
	}
	r, ok := w.Roles[role]
	if !ok {
		return false
	}
	var l []string
	switch action {
	case "create":
		l = r.CanCreate
	case "edit":
		l = r.CanEdit
	case "delete":
		l = r.CanDelete
	case "view":
		l = r.CanView
	}
	return slices.Contains(l, recordType)
}
