package realtime

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaultsMatchUpstream(t *testing.T) {
	c, err := LoadConfig(t.TempDir()) // no file: the defaults
	if err != nil {
		t.Fatal(err)
	}
	if !c.Enabled || c.Port != 3001 || c.Host != "0.0.0.0" || c.Path != "/realtime" || c.MaxRooms != 100 ||
		c.GracePeriod != 300*time.Second || !c.SnapshotsEnabled || c.SnapshotInterval != 300*time.Second ||
		c.SnapshotStorage != "database" || c.ConnectionsPerIP != 100 || c.ConnectionsPerUser != 10 ||
		!c.CleanupEnabled || c.CheckInterval != 60*time.Second || c.StaleThreshold != 600*time.Second ||
		c.MaxMessageSize != 10<<20 || c.ListenAddr() != "0.0.0.0:3001" {
		t.Fatalf("defaults %+v", c)
	}
}

func TestConfigFile(t *testing.T) {
	for _, doc := range []string{
		"realtime:\n  port: 4001\n  rooms:\n    max_rooms: 7\n    grace_period_ms: 1500\n  trusted_proxies: [10.0.0.0/8, 127.0.0.1]\n",
		"port: 4001\nrooms:\n  max_rooms: 7\n  grace_period_ms: 1500\ntrusted_proxies:\n  - 10.0.0.0/8\n  - 127.0.0.1\n",
	} {
		c, err := ParseConfig([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if c.Port != 4001 || c.MaxRooms != 7 || c.GracePeriod != 1500*time.Millisecond || len(c.TrustedProxies) != 2 ||
			c.ConnectionsPerUser != 10 {
			t.Fatalf("%q → %+v", doc, c)
		}
	}
	c, err := ParseConfig([]byte("enabled: false\n"))
	if err != nil || c.Enabled {
		t.Fatalf("enabled: false → %v %v", c.Enabled, err)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"prot: 3001\n":             `"prot"`,
		"rooms:\n  max_room: 3\n":  `"rooms.max_room"`,
		"port: 0\n":                "port",
		"port: abc\n":              "port",
		"rooms:\n  max_rooms: 0\n": "rooms.max_rooms",
		"rate_limiting:\n  messages_per_second: -1\n": "rate_limiting.messages_per_second",
		"rate_limiting:\n  connections_per_ip: 0\n":   "rate_limiting.connections_per_ip",
		"snapshots:\n  storage: s3\n":                 "snapshots.storage",
		"snapshots:\n  interval: -5\n":                "snapshots.interval",
		"connection_cleanup:\n  check_interval: 0\n":  "connection_cleanup.check_interval",
		"enabled: maybe\n":                            "enabled",
		"path: realtime\n":                            "path",
		"trusted_proxies: [not-an-ip]\n":              "trusted_proxies",
		"rooms: 5\n":                                  "rooms",
		"port: 1\nport: 2\n":                          "duplicate",
		"cluster:\n  enabled: yes\n":                  "cluster.enabled",
		"cluster:\n  writer_lease_ms: 10\n":           "cluster.writer_lease_ms",
		"cluster:\n  node_id: \"a|b\"\n":              "cluster.node_id",
		"cluster:\n  nodes: 3\n":                      `"cluster.nodes"`,
	}
	for doc, want := range cases {
		if _, err := ParseConfig([]byte(doc)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", doc, err, want)
		}
	}
}

func TestConfigEnvironment(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte("enabled: true\nport: 4000\n"), 0o600)
	t.Setenv(EnvEnabled, "false")
	t.Setenv(EnvAddr, "127.0.0.1:4555")
	c, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Enabled || c.ListenAddr() != "127.0.0.1:4555" {
		t.Fatalf("env not honoured: %+v", c)
	}
	t.Setenv(EnvEnabled, "")
	t.Setenv(EnvEnabledUpstream, "false")
	if c, _ := LoadConfig(dir); c.Enabled {
		t.Fatal("REALTIME_ENABLED=false not honoured")
	}
	t.Setenv(EnvAddr, "")
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte("enabled: false\nport: 0\n"), 0o600)
	if _, err := LoadConfig(dir); err == nil {
		t.Fatal("an invalid file must not fall back to the defaults")
	}
}

func TestConfigCluster(t *testing.T) {
	c, err := ParseConfig(nil)
	if err != nil || c.Cluster != ClusterAuto || c.RelayAfterCommit || c.WriterLease != 10*time.Second {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = ParseConfig([]byte("cluster:\n  enabled: true\n  node_id: web-1\n  relay_after_commit: true\n  writer_lease_ms: 3000\n"))
	if err != nil || c.Cluster != ClusterOn || c.NodeID != "web-1" || !c.RelayAfterCommit || c.WriterLease != 3*time.Second {
		t.Fatalf("%+v %v", c, err)
	}
	if c, _ := ParseConfig([]byte("cluster:\n  enabled: false\n")); c.Cluster != ClusterOff {
		t.Fatalf("enabled: false → %v", c.Cluster)
	}
}
