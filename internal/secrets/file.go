package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Source tells where a loaded root secret came from.
type Source string

// Sources in the order Load tries them.
const (
	FromValue     Source = "value"     // LoadOptions.Secret (CIVICPRESS_SECRET)
	FromFile      Source = "file"      // LoadOptions.File (CIVICPRESS_SECRET_FILE)
	FromProject   Source = "project"   // .system-data/secrets.yml
	FromGenerated Source = "generated" // newly generated and written to secrets.yml
)

// LoadOptions says where to look for the root secret.
type LoadOptions struct {
	Secret      string // hex secret given directly; wins over everything
	File        string // a file holding the hex secret, bare or as secrets.yml
	ProjectFile string // path of .system-data/secrets.yml
	Create      bool   // generate and persist (0600) when none is found
}

// Load finds the root secret the way upstream does: the direct value, then the
// secret file, then the project's secrets.yml, then (if allowed) a new one
// persisted to secrets.yml. Creation is atomic: when several processes start
// on a fresh project at once they all end up with the same secret.
func Load(o LoadOptions) (*Root, Source, error) {
	if o.Secret != "" {
		r, err := New(strings.TrimSpace(o.Secret))
		if err != nil {
			return nil, "", fmt.Errorf("CIVICPRESS_SECRET: %w", err)
		}
		return r, FromValue, nil
	}
	if o.File != "" {
		hexs, err := readSecretFile(o.File)
		if err != nil {
			return nil, "", err
		}
		r, err := New(hexs)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", o.File, err)
		}
		return r, FromFile, nil
	}
	if o.ProjectFile == "" {
		return nil, "", errors.New("secrets: no root secret source given")
	}
	hexs, err := readSecretFile(o.ProjectFile)
	if err == nil {
		r, err := New(hexs)
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", o.ProjectFile, err)
		}
		return r, FromProject, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !o.Create {
		return nil, "", err
	}
	created, err := createSecretFile(o.ProjectFile, Generate(), time.Now())
	if err != nil {
		return nil, "", err
	}
	// Another process may have won the race: read what is on disk.
	hexs, err = readSecretFile(o.ProjectFile)
	if err != nil {
		return nil, "", err
	}
	r, err := New(hexs)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", o.ProjectFile, err)
	}
	if created {
		return r, FromGenerated, nil
	}
	return r, FromProject, nil
}

// readSecretFile accepts a secrets.yml ({secret: hex, ...}) or a file holding only the hex.
func readSecretFile(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("secrets: %w", err)
	}
	text := strings.TrimSpace(string(data))
	if isHexString(text) {
		return text, nil
	}
	var doc struct {
		Secret string `yaml:"secret"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("secrets: %s: %w", path, err)
	}
	if doc.Secret == "" {
		return "", fmt.Errorf("secrets: %s: no secret key", path)
	}
	return strings.TrimSpace(doc.Secret), nil
}

// Marshal renders a secrets.yml in upstream's layout (js-yaml folds the long hex
// onto its own line after ">-").
func Marshal(hexSecret string, created time.Time) []byte {
	return fmt.Appendf(nil, "secret: >-\n  %s\ncreated: '%s'\nwarning: 'DO NOT COMMIT THIS FILE: it holds the root secret that signs sessions and API keys.'\n",
		hexSecret, created.UTC().Format("2006-01-02T15:04:05.000Z"))
}

// createSecretFile writes secrets.yml (0600) only if it does not exist yet; it
// reports whether this call created it. The content is written to a temporary
// file first and hard-linked into place so no reader ever sees a partial file.
func createSecretFile(path, hexSecret string, now time.Time) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("secrets: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".secrets-*.tmp")
	if err != nil {
		return false, fmt.Errorf("secrets: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return false, fmt.Errorf("secrets: %w", err)
	}
	if _, err := tmp.Write(Marshal(hexSecret, now)); err != nil {
		tmp.Close()
		return false, fmt.Errorf("secrets: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, fmt.Errorf("secrets: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("secrets: %w", err)
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		// File systems without hard links: fall back to an exclusive create.
		f, err2 := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err2 != nil {
			if errors.Is(err2, fs.ErrExist) {
				return false, nil
			}
			return false, fmt.Errorf("secrets: %w", err)
		}
		_, err = f.Write(Marshal(hexSecret, now))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return false, fmt.Errorf("secrets: %w", err)
		}
	}
	return true, nil
}

func isHexString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}
