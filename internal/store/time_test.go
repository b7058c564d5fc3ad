package store

import (
	"testing"
	"time"
)

func TestParseTimeForms(t *testing.T) {
	cases := []struct {
		in   string
		want time.Time
	}{
		{"2030-01-02T03:04:05.678Z", time.Date(2030, 1, 2, 3, 4, 5, 678e6, time.UTC)},           // ISOFormat
		{"2030-01-02 03:04:05", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},                    // SQLFormat
		{" 2030-01-02 03:04:05 ", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},                  // padded
		{"2030-01-02T03:04:05.123456789Z", time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.UTC)}, // RFC 3339, nanos
		{"2030-01-02T05:04:05+02:00", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},              // offset
		{"2030-01-02 03:04:05.5", time.Date(2030, 1, 2, 3, 4, 5, 5e8, time.UTC)},
		{"2030-01-02", time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)},
		// The shape of a stored form but not a valid one: the fallbacks
		// still decide.
		{"2030-01-02T03:04:05.678+", time.Time{}},
		{"2030-13-02 03:04:05", time.Time{}},
	}
	for _, c := range cases {
		got, err := ParseTime(c.in)
		if c.want.IsZero() {
			if err == nil {
				t.Errorf("ParseTime(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v UTC", c.in, got, err, c.want)
		}
	}
}

func BenchmarkParseTime(b *testing.B) {
	for _, s := range []string{"2030-01-02T03:04:05.678Z", "2030-01-02 03:04:05"} {
		b.Run(s[10:11], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseTime(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
