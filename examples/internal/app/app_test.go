package app

import (
	"testing"
	"time"
)

func TestDisplayAddr(t *testing.T) {
	for in, want := range map[string]string{
		"[::]:3000":         "localhost:3000",
		"0.0.0.0:3001":      "localhost:3001",
		":8080":             "localhost:8080",
		"127.0.0.1:4000":    "127.0.0.1:4000",
		"[::1]:4000":        "[::1]:4000",
		"civic.example:443": "civic.example:443",
	} {
		if got := DisplayAddr(in); got != want {
			t.Errorf("DisplayAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// The banner never shows database credentials.
func TestRedactURL(t *testing.T) {
	got := RedactURL("postgres://civic:s3cret@db.internal:5432/town?sslmode=require&password=x")
	if got != "postgres://db.internal:5432/town" {
		t.Fatalf("got %q", got)
	}
}

func TestAPIAddr(t *testing.T) {
	t.Setenv(EnvAPIAddr, "")
	t.Setenv(EnvPort, "")
	if got := APIAddr(":3000"); got != ":3000" {
		t.Fatalf("default: %q", got)
	}
	t.Setenv(EnvPort, "8000")
	if got := APIAddr(":3000"); got != ":8000" {
		t.Fatalf("PORT: %q", got)
	}
	t.Setenv(EnvAPIAddr, "127.0.0.1:9000")
	if got := APIAddr(":3000"); got != "127.0.0.1:9000" {
		t.Fatalf("CIVIC_API_ADDR wins over PORT: %q", got)
	}
}

func TestAPIOptionsCacheTTL(t *testing.T) {
	a := &App{}
	for in, want := range map[string]time.Duration{"": 0, "off": -1, "0": -1, "250ms": 250 * time.Millisecond} {
		t.Setenv(EnvCacheTTL, in)
		o, err := a.APIOptions()
		if err != nil || o.CacheTTL != want {
			t.Errorf("%s=%q: %v, %v; want %v", EnvCacheTTL, in, o.CacheTTL, err, want)
		}
	}
	t.Setenv(EnvCacheTTL, "soon")
	if _, err := a.APIOptions(); err == nil {
		t.Fatal("a malformed CIVIC_CACHE_TTL was accepted")
	}
}
