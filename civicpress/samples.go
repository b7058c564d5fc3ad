package civicpress

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// samples holds a small, realistic municipal record set (bylaws, a policy, a
// resolution, council minutes) in upstream's record file format, at
// records/<type>/<YYYY>/<id>.md.
//
//go:embed samples/records
var samples embed.FS

// SampleRecordFiles lists the sample record files (paths relative to the data directory).
func SampleRecordFiles() []string {
	var out []string
	fs.WalkDir(samples, "samples", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p[len("samples/"):])
		}
		return nil
	})
	return out
}

// writeSampleRecords writes the sample records that are not there yet and
// returns the paths written, relative to dataDir.
func writeSampleRecords(dataDir string) ([]string, error) {
	var written []string
	for _, rel := range SampleRecordFiles() {
		dst := filepath.Join(dataDir, filepath.FromSlash(rel))
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		data, err := samples.ReadFile(path.Join("samples", rel))
		if err != nil {
			return nil, fmt.Errorf("civicpress: sample %s: %w", rel, err)
		}
		if err := writeFileAtomic(dst, data, 0o644); err != nil {
			return nil, err
		}
		written = append(written, rel)
	}
	return written, nil
}
