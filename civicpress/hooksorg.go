package civicpress

// HooksConfig is hooks.yml.
type HooksConfig struct {
	Hooks    map[string]HookConfig
	Order    []string // hook names in file order
	Settings HookSettings
}

// HookConfig configures one event name.
type HookConfig struct {
	Enabled     bool
	Workflows   []string
	Audit       bool
	Description string
}

// HookSettings are the global settings block (stored; upstream uses none of them).
type HookSettings struct {
	MaxConcurrent int
	Timeout       int // milliseconds
	RetryAttempts int
	DefaultMode   string // sync | async
}

// Enabled reports whether handlers run for event name: events without an
// entry are enabled, as upstream.
func (h HooksConfig) Enabled(name string) bool {
	c, ok := h.Hooks[name]
	return !ok || c.Enabled
}

func parseHooks(v yval) (HooksConfig, error) {
	h := HooksConfig{Hooks: map[string]HookConfig{},
		Settings: HookSettings{MaxConcurrent: 5, Timeout: 30000, RetryAttempts: 3, DefaultMode: "async"}}
	if err := requireMapping(v); err != nil {
		return h, err
	}
	if x, ok := v.get("hooks"); ok {
		ps, err := x.pairs()
		if err != nil {
			return h, err
		}
		for _, p := range ps {
			c := HookConfig{Enabled: true}
			if err := requireMapping(p.val); err != nil {
				return h, err
			}
			if e, ok := p.val.get("enabled"); ok {
				if c.Enabled, err = e.boolean(true); err != nil {
					return h, err
				}
			}
			if e, ok := p.val.get("audit"); ok {
				if c.Audit, err = e.boolean(false); err != nil {
					return h, err
				}
			}
			if e, ok := p.val.get("workflows"); ok {
				if c.Workflows, err = e.strList(); err != nil {
					return h, err
				}
			}
			if err := strField(p.val, "description", &c.Description, false); err != nil {
				return h, err
			}
			h.Hooks[p.key] = c
			h.Order = append(h.Order, p.key)
		}
	}
	if x, ok := v.get("settings"); ok {
		if err := requireMapping(x); err != nil {
			return h, err
		}
		for _, f := range []struct {
			key string
			dst *int
		}{{"maxConcurrent", &h.Settings.MaxConcurrent}, {"timeout", &h.Settings.Timeout}, {"retryAttempts", &h.Settings.RetryAttempts}} {
			if e, ok := x.get(f.key); ok {
				n, err := e.integer(*f.dst)
				if err != nil {
					return h, err
				}
				*f.dst = n
			}
		}
		if err := strField(x, "defaultMode", &h.Settings.DefaultMode, false); err != nil {
			return h, err
		}
	}
	return h, nil
}

// OrgConfig is org-config.yml: the organization's identity and branding.
type OrgConfig struct {
	Name, City, State, Country, Timezone string
	Website, RepoURL, Email, Phone       string
	Logo, Favicon, Banner                string
	Description, AboutIntro, Tagline     string
	Mission, Version                     string
	Social                               map[string]string
	Custom                               map[string]string
	// Raw is the whole file, unwrapped, for callers that pass it through.
	Raw map[string]any
}

func parseOrg(v yval) (OrgConfig, error) {
	var o OrgConfig
	if err := requireMapping(v); err != nil {
		return o, err
	}
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"name", &o.Name}, {"city", &o.City}, {"state", &o.State}, {"country", &o.Country},
		{"timezone", &o.Timezone}, {"website", &o.Website}, {"repo_url", &o.RepoURL},
		{"email", &o.Email}, {"phone", &o.Phone}, {"logo", &o.Logo}, {"favicon", &o.Favicon},
		{"banner", &o.Banner}, {"description", &o.Description}, {"about_intro", &o.AboutIntro},
		{"tagline", &o.Tagline}, {"mission", &o.Mission}, {"version", &o.Version},
	} {
		if err := strField(v, f.key, f.dst, false); err != nil {
			return o, err
		}
	}
	for _, sec := range []struct {
		key string
		dst *map[string]string
	}{{"social", &o.Social}, {"custom", &o.Custom}} {
		*sec.dst = map[string]string{}
		if x, ok := v.get(sec.key); ok {
			ps, err := x.pairs()
			if err != nil {
				return o, err
			}
			for _, p := range ps {
				s, err := p.val.str()
				if err != nil {
					return o, err
				}
				(*sec.dst)[p.key] = s
			}
		}
	}
	o.Raw = map[string]any{}
	if m, ok := v.toAny().(map[string]any); ok {
		delete(m, "_metadata")
		o.Raw = m
	}
	return o, nil
}
