package civicpress

import (
	"slices"
	"strings"
)

// Role is one role of roles.yml.
type Role struct {
	Key         string
	Name        string
	Description string
	Permissions []string // the role's own permissions, as written
	// StatusTransitions is the map form (from -> [to], "any" for every source).
	// The list form upstream ships grants nothing and is kept in StatusList.
	StatusTransitions map[string][]string
	StatusList        []string
	// RecordTypes holds per-type grants: "can_create" -> [bylaw, ...].
	RecordTypes map[string][]string
}

// Roles is roles.yml: the roles, their inheritance and the default role.
type Roles struct {
	order     []string
	roles     map[string]*Role
	Hierarchy map[string][]string // role -> roles it inherits permissions from
	// DefaultRole is given to new users when none is specified.
	DefaultRole string
	effective   map[string][]string
}

// PublicRole is the role whose permissions apply to users of unknown roles.
const PublicRole = "public"

// Keys lists the roles in file order.
func (r *Roles) Keys() []string { return slices.Clone(r.order) }

// Get returns a role.
func (r *Roles) Get(key string) (*Role, bool) {
	x, ok := r.roles[key]
	return x, ok
}

// Exists reports whether role is defined.
func (r *Roles) Exists(role string) bool {
	_, ok := r.roles[role]
	return ok
}

// Permissions returns the effective permissions of role: its own, then each
// inherited role's (recursively, following role_hierarchy; cycles are safe),
// without duplicates. An unknown role has the public role's permissions.
func (r *Roles) Permissions(role string) []string {
	if p, ok := r.effective[role]; ok {
		return slices.Clone(p)
	}
	return slices.Clone(r.effective[PublicRole])
}

// HasPermission reports whether role holds perm, directly or via "*".
func (r *Roles) HasPermission(role, perm string) bool {
	p, ok := r.effective[role]
	if !ok {
		p = r.effective[PublicRole]
	}
	for _, x := range p {
		if x == perm || x == "*" {
			return true
		}
	}
	return false
}

func (r *Roles) computeEffective() {
	r.effective = map[string][]string{}
	for _, key := range r.order {
		var out []string
		seen := map[string]bool{}
		visited := map[string]bool{}
		var walk func(role string)
		walk = func(role string) {
			if visited[role] {
				return
			}
			visited[role] = true
			if x, ok := r.roles[role]; ok {
				for _, p := range x.Permissions {
					if !seen[p] {
						seen[p] = true
						out = append(out, p)
					}
				}
			}
			for _, parent := range r.Hierarchy[role] {
				walk(parent)
			}
		}
		walk(key)
		r.effective[key] = out
	}
}

func parseRoles(v yval) (*Roles, error) {
	r := &Roles{roles: map[string]*Role{}, Hierarchy: map[string][]string{}}
	if err := requireMapping(v); err != nil {
		return nil, err
	}
	rv, ok := v.get("roles")
	if !ok {
		return nil, v.errf("missing roles")
	}
	ps, err := rv.pairs()
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		role := &Role{Key: p.key}
		if strings.TrimSpace(p.key) == "" {
			return nil, p.val.errf("empty role name")
		}
		if err := requireMapping(p.val); err != nil {
			return nil, err
		}
		if err := strField(p.val, "name", &role.Name, false); err != nil {
			return nil, err
		}
		if err := strField(p.val, "description", &role.Description, false); err != nil {
			return nil, err
		}
		if x, ok := p.val.get("permissions"); ok {
			if role.Permissions, err = x.strList(); err != nil {
				return nil, err
			}
		}
		if x, ok := p.val.get("status_transitions"); ok {
			if x.n.Kind == mappingKind {
				if role.StatusTransitions, err = stringListMap(x); err != nil {
					return nil, err
				}
			} else if role.StatusList, err = x.strList(); err != nil {
				return nil, err
			}
		}
		if x, ok := p.val.get("record_types"); ok {
			if role.RecordTypes, err = stringListMap(x); err != nil {
				return nil, err
			}
		}
		r.roles[p.key] = role
		r.order = append(r.order, p.key)
	}
	if x, ok := v.get("role_hierarchy"); ok {
		if r.Hierarchy, err = stringListMap(x); err != nil {
			return nil, err
		}
	}
	if x, ok := v.get("default_role"); ok {
		if r.DefaultRole, err = x.str(); err != nil {
			return nil, err
		}
		if !r.Exists(r.DefaultRole) {
			return nil, x.errf("default_role %q is not a defined role", r.DefaultRole)
		}
	} else if r.Exists(PublicRole) {
		r.DefaultRole = PublicRole
	}
	r.computeEffective()
	return r, nil
}

// stringListMap reads {key: [names]}.
func stringListMap(v yval) (map[string][]string, error) {
	ps, err := v.pairs()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(ps))
	for _, p := range ps {
		l, err := p.val.strList()
		if err != nil {
			return nil, err
		}
		out[p.key] = l
	}
	return out, nil
}

// PermContext narrows a permission check; the zero value checks the bare permission.
type PermContext struct {
	RecordType string // e.g. "bylaw"
	Action     string // create | edit | delete | view (with RecordType)
	FromStatus string // with ToStatus: a status-transition check
	ToStatus   string
}

// can implements upstream's userCan for a role (core.md §4.9), with one fix:
// roles.yml's list-form status_transitions (what upstream ships) grants
// nothing upstream; here the transition rights of workflows.yml apply instead.
func (s *Settings) can(role, perm string, pc PermContext) bool {
	roles := s.Roles
	r, known := roles.roles[role]
	if !known {
		r = roles.roles[PublicRole]
	}
	if pc.FromStatus != "" && pc.ToStatus != "" {
		if r != nil && r.StatusTransitions != nil {
			return slices.Contains(r.StatusTransitions[pc.FromStatus], pc.ToStatus) ||
				slices.Contains(r.StatusTransitions["any"], pc.ToStatus)
		}
		wrole := role
		if !known {
			wrole = PublicRole
		}
		return s.Workflows.RoleCanTransition(wrole, pc.FromStatus, pc.ToStatus)
	}
	if roles.HasPermission(role, perm) {
		return true
	}
	if pc.RecordType != "" && pc.Action != "" && r != nil {
		return slices.Contains(r.RecordTypes["can_"+pc.Action], pc.RecordType)
	}
	return false
}
