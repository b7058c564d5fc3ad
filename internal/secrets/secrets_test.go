package secrets

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Vectors from shared/upstream/token-vectors.md, checked against a running upstream.
const (
	vecSecret = "0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6fb20456a8fb4d9fe23486d92b7dc0126"
	vecRaw    = "0560bb1671cc2782dd3893ee49a4ff5ab5106bc6217cd7328de8439ef954af0a"
	vecHash   = "c86b64f42cac0a0b76bfd97ff1281d767caf71c8475d90223f9fdbee2b5fc070"
)

var vectors = []struct{ scope, key, token string }{
	{SessionSigning, "bb33185756a97a8b8457dd1e2a3b4904ccc30a535bed0086b9a88e2c022ec8b9",
		"0560bb1671cc2782dd3893ee49a4ff5ab5106bc6217cd7328de8439ef954af0a.2df9fabd0f83a8b9eb1bd493cf7d020b9bd7c5a792238ea62bb8cd09dc1eda25"},
	{APIKeySigning, "7206e2494f56784c5acf72e52c0c857bab2cbc24b660493846a81657cf465222",
		"0560bb1671cc2782dd3893ee49a4ff5ab5106bc6217cd7328de8439ef954af0a.cbf79d9ec31f15dec1660b5d01345bb02f8c2290e9a8d4b76c2a2ca423d336cd"},
	{CSRFSigning, "8d389f86a457cda9b16cdde328298ef6239f3228e0aed8fd19e593a89151cb0f",
		"0560bb1671cc2782dd3893ee49a4ff5ab5106bc6217cd7328de8439ef954af0a.3d9db72b1599477dd1e9ac850c66f629e36b060033b8927640624cd0928fe740"},
}

func TestUpstreamVectors(t *testing.T) {
	r, err := New(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		if got := hex.EncodeToString(r.Key(v.scope)); got != v.key {
			t.Errorf("%s key = %s, want %s", v.scope, got, v.key)
		}
		s := r.Signer(v.scope)
		// Minted here, validated by upstream's construction (the vector).
		if got := s.Seal(vecRaw); got != v.token {
			t.Errorf("%s sealed = %s, want %s", v.scope, got, v.token)
		}
		// Minted by upstream, validated here.
		raw, ok := s.Verify(v.token)
		if !ok || raw != vecRaw {
			t.Errorf("%s: upstream token rejected", v.scope)
		}
	}
	if Hash(vecRaw) != vecHash {
		t.Errorf("hash = %s, want %s", Hash(vecRaw), vecHash)
	}
	// A session token is not an API key: scopes must not cross.
	if _, ok := r.Signer(APIKeySigning).Verify(vectors[0].token); ok {
		t.Error("session token accepted as API key")
	}
}

func TestVerifyRejects(t *testing.T) {
	r, _ := New(vecSecret)
	s := r.Signer(SessionSigning)
	good := vectors[0].token
	bad := []string{
		"",
		vecRaw,                      // unsigned
		good + "0",                  // too long
		good[:len(good)-1],          // too short
		strings.ToUpper(good),       // upper-case hex
		good[:64] + ":" + good[65:], // wrong separator
		good[:64] + "." + strings.Repeat("0", 64), // wrong signature
		"g" + good[1:],              // not hex
		good[:10] + "." + good[11:], // dot elsewhere
	}
	for _, tok := range bad {
		if _, ok := s.Verify(tok); ok {
			t.Errorf("accepted %q", tok)
		}
	}
	tok, raw := s.Mint()
	if got, ok := s.Verify(tok); !ok || got != raw {
		t.Error("minted token rejected")
	}
}

func TestNewRejectsBadSecrets(t *testing.T) {
	for _, s := range []string{"", "abcd", strings.Repeat("z", 64), strings.Repeat("a", 63)} {
		if _, err := New(s); err == nil {
			t.Errorf("New(%q) accepted", s)
		}
	}
}

func TestLoadOrder(t *testing.T) {
	dir := t.TempDir()
	project := filepath.Join(dir, ".system-data", "secrets.yml")
	other := strings.Repeat("ab", 32)

	// Nothing there and creation not allowed: an error, never a silent secret.
	if _, _, err := Load(LoadOptions{ProjectFile: project}); err == nil {
		t.Fatal("expected an error without a secret")
	}
	r1, src, err := Load(LoadOptions{ProjectFile: project, Create: true})
	if err != nil || src != FromGenerated {
		t.Fatalf("create: %v %v", src, err)
	}
	st, err := os.Stat(project)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secrets.yml mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(project)
	if !strings.HasPrefix(string(data), "secret: >-\n  ") {
		t.Errorf("secrets.yml layout:\n%s", data)
	}
	r2, src, err := Load(LoadOptions{ProjectFile: project, Create: true})
	if err != nil || src != FromProject {
		t.Fatalf("reload: %v %v", src, err)
	}
	if r1.Sign(SessionSigning, "x") != r2.Sign(SessionSigning, "x") {
		t.Error("reloaded secret differs")
	}
	// The direct value wins, then the file.
	rv, src, _ := Load(LoadOptions{Secret: other, ProjectFile: project})
	if src != FromValue || rv.Sign(SessionSigning, "x") == r1.Sign(SessionSigning, "x") {
		t.Error("direct value not used")
	}
	f := filepath.Join(dir, "bare")
	os.WriteFile(f, []byte(other+"\n"), 0o600)
	rf, src, err := Load(LoadOptions{File: f, ProjectFile: project})
	if err != nil || src != FromFile || rf.Sign(SessionSigning, "x") != rv.Sign(SessionSigning, "x") {
		t.Errorf("bare file: %v %v", src, err)
	}
	// Upstream's own secrets.yml layout parses.
	up := filepath.Join(dir, "up.yml")
	os.WriteFile(up, Marshal(vecSecret, time.Now()), 0o600)
	ru, _, err := Load(LoadOptions{File: up})
	if err != nil || hex.EncodeToString(ru.Key(SessionSigning)) != vectors[0].key {
		t.Errorf("upstream layout: %v", err)
	}
}

func TestLoadConcurrentCreateAgrees(t *testing.T) {
	project := filepath.Join(t.TempDir(), "secrets.yml")
	var wg sync.WaitGroup
	sigs := make([]string, 8)
	for i := range sigs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _, err := Load(LoadOptions{ProjectFile: project, Create: true})
			if err != nil {
				t.Error(err)
				return
			}
			sigs[i] = r.Sign(SessionSigning, "x")
		}()
	}
	wg.Wait()
	for _, s := range sigs[1:] {
		if s != sigs[0] {
			t.Fatal("concurrent creators disagree on the secret")
		}
	}
}

func FuzzVerify(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.token)
	}
	f.Add("")
	f.Add(vecRaw + ".")
	r, _ := New(vecSecret)
	s := r.Signer(SessionSigning)
	f.Fuzz(func(t *testing.T, tok string) {
		raw, ok := s.Verify(tok)
		if ok {
			if s.Seal(raw) != tok {
				t.Fatalf("accepted %q that does not re-seal identically", tok)
			}
		} else if raw != "" {
			t.Fatal("raw returned on failure")
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	r, _ := New(vecSecret)
	s := r.Signer(SessionSigning)
	tok := vectors[0].token
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Verify(tok); !ok {
			b.Fatal("rejected")
		}
	}
}
