package realtime

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ConfigFile is the hub's configuration file inside the project's system
// data directory (.system-data), as upstream names it.
const ConfigFile = "realtime.yml"

// Environment variables read by LoadConfig (they win over the file).
const (
	// EnvEnabled set to "false" turns the hub off (upstream documents this
	// name; its code reads EnvEnabledUpstream, honoured too).
	EnvEnabled         = "CIVIC_REALTIME_ENABLED"
	EnvEnabledUpstream = "REALTIME_ENABLED"
	// EnvAddr is the listen address, e.g. "127.0.0.1:3001" or ":3001".
	EnvAddr = "CIVIC_REALTIME_ADDR"
)

// Config is the hub's configuration: upstream's realtime.yml keys (same
// names, same defaults) plus a few of ours. Start from DefaultConfig or
// LoadConfig; New rejects invalid values.
type Config struct {
	Enabled bool
	Host    string // listen host (default 0.0.0.0)
	Port    int    // listen port (default 3001)
	// Addr, when set, is the listen address and wins over Host and Port
	// (CIVIC_REALTIME_ADDR).
	Addr string
	// Path is the URL prefix of rooms: <Path>/<type>/<id> (default /realtime).
	Path string

	MaxRooms int // rooms.max_rooms: rooms held in memory at once
	// CleanupTimeout is rooms.cleanup_timeout, accepted for compatibility
	// (upstream does not use it either).
	CleanupTimeout time.Duration
	// GracePeriod is how long an empty room stays in memory before it is
	// written back and evicted (rooms.grace_period_ms; ≤ 0: at once).
	GracePeriod time.Duration

	SnapshotsEnabled   bool          // snapshots.enabled
	SnapshotInterval   time.Duration // snapshots.interval: safety-net pass that flushes dirty rooms (0: off)
	SnapshotMaxUpdates int           // snapshots.max_updates: flush after this many updates (0: no cap)
	SnapshotStorage    string        // snapshots.storage: "database" or "filesystem"
	// WritebackDelay is the quiet time after the last edit before a room is
	// written back (snapshots.writeback_delay_ms, default 2 s).
	WritebackDelay time.Duration
	// WritebackMaxDelay bounds how long edits can stay unwritten while they
	// keep coming (snapshots.writeback_max_delay_ms, default 10 s). Each
	// round a room falls due somewhere between three quarters of it and
	// all of it, so that rooms edited together do not fall due together.
	WritebackMaxDelay time.Duration

	// MessagesPerSecond is the sustained per-connection frame rate
	// (rate_limiting.messages_per_second). Upstream's default of 10 closes a
	// fast typist's editor (every keystroke is an update plus a cursor
	// awareness update), so ours is 100 with a burst of twice that.
	MessagesPerSecond  int
	ConnectionsPerIP   int // rate_limiting.connections_per_ip
	ConnectionsPerUser int // rate_limiting.connections_per_user
	// TrustedProxies lists the proxies whose X-Forwarded-For is believed
	// (trusted_proxies: CIDRs or addresses). Empty: the socket address is the
	// client's.
	TrustedProxies []netip.Prefix

	CleanupEnabled bool          // connection_cleanup.enabled: stale-connection sweep
	CheckInterval  time.Duration // connection_cleanup.check_interval
	StaleThreshold time.Duration // connection_cleanup.stale_threshold: no frame (pongs included) for this long closes the connection

	// MaxMessageSize is the largest frame accepted (upstream: 10 MiB, fixed).
	MaxMessageSize int64

	// Cluster says whether rooms are shared through the database's update
	// log (cluster.enabled, ours; absent: ClusterAuto), so that several hubs
	// can serve the same record and a killed hub loses no committed edit.
	// It needs snapshots (the log compacts into them).
	Cluster ClusterMode
	// NodeID names this hub among the nodes sharing the database
	// (cluster.node_id; default host-pid-random).
	NodeID string
	// RelayAfterCommit (cluster.relay_after_commit) makes every update wait
	// for its log commit before anyone, on any node, receives it, so that
	// no update a client has seen is ever lost with a node. Off, clients on
	// the same node get an update at once and it is committed by the next
	// group commit: clients on other nodes still only get committed
	// updates, and the same-node clients that saw an update lost with its
	// node resend it when they reconnect (see the package doc).
	RelayAfterCommit bool
	// WriterLease is how long a node stays a room's writer without renewing
	// (cluster.writer_lease_ms, default 10 s): a killed writer's rooms are
	// taken over by another node holding them within about this long.
	WriterLease time.Duration

	// Logger receives operational messages; nil uses slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns upstream's defaults (with the rate-limit default
// raised, see MessagesPerSecond).
func DefaultConfig() Config {
	return Config{
		Enabled:            true,
		Host:               "0.0.0.0",
		Port:               3001,
		Path:               "/realtime",
		MaxRooms:           100,
		CleanupTimeout:     3600 * time.Second,
		GracePeriod:        300 * time.Second,
		SnapshotsEnabled:   true,
		SnapshotInterval:   300 * time.Second,
		SnapshotMaxUpdates: 100,
		SnapshotStorage:    "database",
		WritebackDelay:     2 * time.Second,
		WritebackMaxDelay:  10 * time.Second,
		MessagesPerSecond:  100,
		ConnectionsPerIP:   100,
		ConnectionsPerUser: 10,
		CleanupEnabled:     true,
		CheckInterval:      60 * time.Second,
		StaleThreshold:     600 * time.Second,
		MaxMessageSize:     10 << 20,
		WriterLease:        10 * time.Second,
	}
}

// ClusterMode says whether a hub shares its rooms through the database.
type ClusterMode uint8

// Cluster modes.
const (
	// ClusterAuto is on with PostgreSQL (deployments that scale out) and
	// off with SQLite, where one process usually serves everything and the
	// log would cost a database commit per batch of keystrokes for nothing.
	ClusterAuto ClusterMode = iota
	// ClusterOn: every update goes through the log (cluster.enabled: true),
	// needed to run several hubs on one SQLite file.
	ClusterOn
	// ClusterOff: rooms live in this process's memory only, as upstream
	// (cluster.enabled: false); one hub per database.
	ClusterOff
)

// ListenAddr is the address ListenAndServe binds.
func (c Config) ListenAddr() string {
	if c.Addr != "" {
		return c.Addr
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
}

// LoadConfig reads <systemDataDir>/realtime.yml over DefaultConfig, then
// applies CIVIC_REALTIME_ENABLED / REALTIME_ENABLED and CIVIC_REALTIME_ADDR.
// A missing file means the defaults; an unknown key or an invalid value is
// an error naming it (upstream silently fell back to the defaults, enabling
// a hub its operator had disabled).
func LoadConfig(systemDataDir string) (Config, error) {
	cfg := DefaultConfig()
	path := filepath.Join(systemDataDir, ConfigFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return cfg, fmt.Errorf("realtime: %w", err)
	default:
		if err := cfg.parseYAML(data); err != nil {
			return cfg, fmt.Errorf("realtime: %s: %w", path, err)
		}
	}
	if err := cfg.applyEnv(os.Getenv); err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// ParseConfig reads realtime.yml content over DefaultConfig (no environment).
func ParseConfig(data []byte) (Config, error) {
	cfg := DefaultConfig()
	if err := cfg.parseYAML(data); err != nil {
		return cfg, fmt.Errorf("realtime: %w", err)
	}
	return cfg, cfg.validate()
}

func (c *Config) applyEnv(getenv func(string) string) error {
	for _, name := range []string{EnvEnabled, EnvEnabledUpstream} {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("realtime: %s: want true or false, got %q", name, v)
		}
		if !b {
			c.Enabled = false
		}
	}
	if a := strings.TrimSpace(getenv(EnvAddr)); a != "" {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("realtime: %s: %w", EnvAddr, err)
		}
		c.Addr = a
	}
	return nil
}

// validate checks the rules upstream's config manager checks, plus ours.
func (c Config) validate() error {
	bad := func(key, rule string, v any) error {
		return fmt.Errorf("realtime: %s: %s (got %v)", key, rule, v)
	}
	switch {
	case c.Addr == "" && (c.Port < 1 || c.Port > 65535):
		return bad("port", "must be between 1 and 65535", c.Port)
	case !strings.HasPrefix(c.Path, "/"):
		return bad("path", `must start with "/"`, c.Path)
	case c.MaxRooms < 1:
		return bad("rooms.max_rooms", "must be at least 1", c.MaxRooms)
	case c.MessagesPerSecond < 1:
		return bad("rate_limiting.messages_per_second", "must be at least 1", c.MessagesPerSecond)
	case c.ConnectionsPerIP < 1:
		return bad("rate_limiting.connections_per_ip", "must be at least 1", c.ConnectionsPerIP)
	case c.ConnectionsPerUser < 1:
		return bad("rate_limiting.connections_per_user", "must be at least 1", c.ConnectionsPerUser)
	case c.SnapshotInterval < 0:
		return bad("snapshots.interval", "must not be negative", c.SnapshotInterval)
	case c.SnapshotMaxUpdates < 0:
		return bad("snapshots.max_updates", "must not be negative", c.SnapshotMaxUpdates)
	case c.SnapshotStorage != "database" && c.SnapshotStorage != "filesystem":
		return bad("snapshots.storage", `must be "database" or "filesystem"`, c.SnapshotStorage)
	case c.WritebackDelay <= 0:
		return bad("snapshots.writeback_delay_ms", "must be positive", c.WritebackDelay)
	case c.WritebackMaxDelay < c.WritebackDelay:
		return bad("snapshots.writeback_max_delay_ms", "must be at least writeback_delay_ms", c.WritebackMaxDelay)
	case c.CheckInterval < time.Millisecond:
		return bad("connection_cleanup.check_interval", "must be at least 1", c.CheckInterval)
	case c.StaleThreshold < time.Millisecond:
		return bad("connection_cleanup.stale_threshold", "must be at least 1", c.StaleThreshold)
	case c.MaxMessageSize < 1024:
		return bad("max_message_size", "must be at least 1024 bytes", c.MaxMessageSize)
	case c.WriterLease < time.Second:
		return bad("cluster.writer_lease_ms", "must be at least 1000", c.WriterLease)
	case len(c.NodeID) > 100 || strings.ContainsAny(c.NodeID, "| \t\n"):
		return bad("cluster.node_id", "must be at most 100 characters without spaces or \"|\"", c.NodeID)
	}
	return nil
}

// fieldKind says how a realtime.yml scalar is read.
type fieldKind int

const (
	kBool fieldKind = iota
	kInt
	kString
	kSeconds
	kMillis
	kPrefixes
)

type field struct {
	kind fieldKind
	set  func(c *Config, v any)
}

// fields maps every accepted key (dotted path) to its setter.
var fields = map[string]field{
	"enabled":                            {kBool, func(c *Config, v any) { c.Enabled = v.(bool) }},
	"port":                               {kInt, func(c *Config, v any) { c.Port = v.(int) }},
	"host":                               {kString, func(c *Config, v any) { c.Host = v.(string) }},
	"path":                               {kString, func(c *Config, v any) { c.Path = v.(string) }},
	"rooms.max_rooms":                    {kInt, func(c *Config, v any) { c.MaxRooms = v.(int) }},
	"rooms.cleanup_timeout":              {kSeconds, func(c *Config, v any) { c.CleanupTimeout = v.(time.Duration) }},
	"rooms.grace_period_ms":              {kMillis, func(c *Config, v any) { c.GracePeriod = v.(time.Duration) }},
	"snapshots.enabled":                  {kBool, func(c *Config, v any) { c.SnapshotsEnabled = v.(bool) }},
	"snapshots.interval":                 {kSeconds, func(c *Config, v any) { c.SnapshotInterval = v.(time.Duration) }},
	"snapshots.max_updates":              {kInt, func(c *Config, v any) { c.SnapshotMaxUpdates = v.(int) }},
	"snapshots.storage":                  {kString, func(c *Config, v any) { c.SnapshotStorage = v.(string) }},
	"snapshots.writeback_delay_ms":       {kMillis, func(c *Config, v any) { c.WritebackDelay = v.(time.Duration) }},
	"snapshots.writeback_max_delay_ms":   {kMillis, func(c *Config, v any) { c.WritebackMaxDelay = v.(time.Duration) }},
	"rate_limiting.messages_per_second":  {kInt, func(c *Config, v any) { c.MessagesPerSecond = v.(int) }},
	"rate_limiting.connections_per_ip":   {kInt, func(c *Config, v any) { c.ConnectionsPerIP = v.(int) }},
	"rate_limiting.connections_per_user": {kInt, func(c *Config, v any) { c.ConnectionsPerUser = v.(int) }},
	"connection_cleanup.enabled":         {kBool, func(c *Config, v any) { c.CleanupEnabled = v.(bool) }},
	"connection_cleanup.check_interval":  {kSeconds, func(c *Config, v any) { c.CheckInterval = v.(time.Duration) }},
	"connection_cleanup.stale_threshold": {kSeconds, func(c *Config, v any) { c.StaleThreshold = v.(time.Duration) }},
	"trusted_proxies":                    {kPrefixes, func(c *Config, v any) { c.TrustedProxies = v.([]netip.Prefix) }},
	"max_message_size":                   {kInt, func(c *Config, v any) { c.MaxMessageSize = int64(v.(int)) }},
	"cluster.enabled": {kBool, func(c *Config, v any) {
		c.Cluster = ClusterOff
		if v.(bool) {
			c.Cluster = ClusterOn
		}
	}},
	"cluster.node_id":            {kString, func(c *Config, v any) { c.NodeID = v.(string) }},
	"cluster.relay_after_commit": {kBool, func(c *Config, v any) { c.RelayAfterCommit = v.(bool) }},
	"cluster.writer_lease_ms":    {kMillis, func(c *Config, v any) { c.WriterLease = v.(time.Duration) }},
}

// sections are the keys holding a mapping.
var sections = map[string]bool{"rooms": true, "snapshots": true, "rate_limiting": true, "connection_cleanup": true, "cluster": true}

func (c *Config) parseYAML(data []byte) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return errors.New("the document must be a mapping")
	}
	// Upstream accepts a top-level realtime: block or a flat document.
	if len(root.Content) == 2 && root.Content[0].Value == "realtime" {
		root = root.Content[1]
		if root.Kind != yaml.MappingNode {
			return errors.New("realtime: must be a mapping")
		}
	}
	return c.walk(root, "")
}

func (c *Config) walk(m *yaml.Node, prefix string) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := prefix + k.Value
		if seen[key] {
			return fmt.Errorf("line %d: %s: duplicate key", k.Line, key)
		}
		seen[key] = true
		if prefix == "" && sections[key] {
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: %s: must be a mapping", v.Line, key)
			}
			if err := c.walk(v, key+"."); err != nil {
				return err
			}
			continue
		}
		f, ok := fields[key]
		if !ok {
			return fmt.Errorf("line %d: unknown key %q", k.Line, key)
		}
		val, err := readValue(f.kind, v)
		if err != nil {
			return fmt.Errorf("line %d: %s: %w", v.Line, key, err)
		}
		f.set(c, val)
	}
	return nil
}

func readValue(kind fieldKind, v *yaml.Node) (any, error) {
	if kind == kPrefixes {
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			return []netip.Prefix(nil), nil
		}
		if v.Kind != yaml.SequenceNode {
			return nil, errors.New("must be a list of addresses or CIDRs")
		}
		var out []netip.Prefix
		for _, e := range v.Content {
			p, err := parsePrefix(e.Value)
			if e.Kind != yaml.ScalarNode || err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", e.Value)
			}
			out = append(out, p)
		}
		return out, nil
	}
	if v.Kind != yaml.ScalarNode {
		return nil, errors.New("must be a single value")
	}
	s := v.Value
	switch kind {
	case kBool:
		switch s {
		case "true", "True", "TRUE":
			return true, nil
		case "false", "False", "FALSE":
			return false, nil
		}
		return nil, fmt.Errorf("must be true or false (got %q)", s)
	case kString:
		if v.Tag != "!!str" {
			return nil, fmt.Errorf("must be a string (got %q)", s)
		}
		return s, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || v.Tag != "!!int" {
		return nil, fmt.Errorf("must be an integer (got %q)", s)
	}
	switch kind {
	case kSeconds:
		return time.Duration(n) * time.Second, nil
	case kMillis:
		return time.Duration(n) * time.Millisecond, nil
	}
	return n, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
