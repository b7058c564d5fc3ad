package recordfile

import (
	"slices"
	"strconv"
	"strings"
)

// DocumentNumberFormat is one entry of config.yml document_number_formats.
type DocumentNumberFormat struct {
	Prefix          string // e.g. "BYL"
	YearFormat      string // "full" (2025) or "short" (25)
	Separator       string // default "-"
	SequencePadding int    // digits, default 3
}

var defaultPrefixes = map[string]string{
	"bylaw": "BYL", "ordinance": "ORD", "policy": "POL", "proclamation": "PRO",
	"resolution": "RES", "geography": "GEO", "session": "SES",
}

// DefaultDocumentNumberFormat is upstream's fallback format for a record
// type (prefix BYL/ORD/POL/PRO/RES/GEO/SES, else DOC; full year; "-"; 3).
func DefaultDocumentNumberFormat(recordType string) DocumentNumberFormat {
	prefix, ok := defaultPrefixes[recordType]
	if !ok {
		prefix = "DOC"
	}
	return DocumentNumberFormat{Prefix: prefix, YearFormat: "full", Separator: "-", SequencePadding: 3}
}

// IsLegalType reports whether records of this type get document numbers.
func IsLegalType(recordType string) bool { return slices.Contains(LegalTypes, recordType) }

// FormatDocumentNumber renders <prefix><sep><year><sep><sequence padded>,
// e.g. BYL-2025-001. An empty separator or zero padding takes upstream's
// defaults ("-", 3). The sequence itself is the caller's to allocate.
func FormatDocumentNumber(f DocumentNumberFormat, year, seq int) string {
	sep := f.Separator
	if sep == "" {
		sep = "-"
	}
	pad := f.SequencePadding
	if pad <= 0 {
		pad = 3
	}
	y := strconv.Itoa(year)
	if f.YearFormat == "short" && len(y) > 2 {
		y = y[len(y)-2:]
	}
	s := strconv.Itoa(seq)
	if len(s) < pad {
		s = strings.Repeat("0", pad-len(s)) + s // String.padStart: zeros before any sign
	}
	return f.Prefix + sep + y + sep + s
}
