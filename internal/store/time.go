package store

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"
)

// Upstream's two timestamp text formats. Columns with a CURRENT_TIMESTAMP
// default hold SQLFormat; values the application computes (expiries, lock
// times) hold ISOFormat. Both sort correctly as text, which is how upstream
// compares them ("expires_at > ?" with an ISO string).
const (
	SQLFormat = "2006-01-02 15:04:05"
	ISOFormat = "2006-01-02T15:04:05.000Z"
)

// ISO formats t the way upstream writes application timestamps.
func ISO(t time.Time) string { return t.UTC().Format(ISOFormat) }

// SQLTime formats t the way SQLite's CURRENT_TIMESTAMP does.
func SQLTime(t time.Time) string { return t.UTC().Format(SQLFormat) }

// Stamp is a timestamp column stored as "YYYY-MM-DD HH:MM:SS" (UTC), the form
// SQLite's CURRENT_TIMESTAMP writes. It reads either form.
type Stamp struct{ time.Time }

// ISOStamp is a timestamp column stored as ISO 8601 with milliseconds and Z.
// It reads either form.
type ISOStamp struct{ time.Time }

// Value implements driver.Valuer.
func (s Stamp) Value() (driver.Value, error) {
	if s.IsZero() {
		return nil, nil
	}
	return SQLTime(s.Time), nil
}

// Value implements driver.Valuer.
func (s ISOStamp) Value() (driver.Value, error) {
	if s.IsZero() {
		return nil, nil
	}
	return ISO(s.Time), nil
}

// Scan implements sql.Scanner.
func (s *Stamp) Scan(v any) error { return scanTime(&s.Time, v) }

// Scan implements sql.Scanner.
func (s *ISOStamp) Scan(v any) error { return scanTime(&s.Time, v) }

var parseFormats = []string{
	ISOFormat,
	time.RFC3339Nano,
	SQLFormat,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02",
}

// ParseTime reads any timestamp text either implementation writes; a value
// without a zone is UTC, as SQLite's are.
//
// The hot queries (a session's or API key's user) select their timestamps
// as CAST(col AS TEXT) so that they come here: the SQLite driver turns a
// DATETIME column into a time.Time itself by trying its layouts in turn, and
// each layout that does not fit allocates an error.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	// The two stored forms first, by shape: a layout that does not fit
	// costs an allocated error.
	switch {
	case len(s) == len(ISOFormat) && s[10] == 'T' && s[len(s)-1] == 'Z':
		if t, err := time.Parse(ISOFormat, s); err == nil {
			return t, nil
		}
	case len(s) == len(SQLFormat) && s[10] == ' ':
		if t, err := time.Parse(SQLFormat, s); err == nil {
			return t, nil
		}
	}
	for _, f := range parseFormats {
		if t, err := time.Parse(f, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("store: unrecognised timestamp %q", s)
}

func scanTime(dst *time.Time, v any) error {
	switch x := v.(type) {
	case nil:
		*dst = time.Time{}
		return nil
	case time.Time:
		*dst = x.UTC()
		return nil
	case string:
		if x == "" {
			*dst = time.Time{}
			return nil
		}
		t, err := ParseTime(x)
		if err != nil {
			return err
		}
		*dst = t
		return nil
	case []byte:
		return scanTime(dst, string(x))
	case int64:
		// Integer epoch (ms), as realtime_snapshots.created_at.
		*dst = time.UnixMilli(x).UTC()
		return nil
	}
	return fmt.Errorf("store: cannot scan %T into a timestamp", v)
}
