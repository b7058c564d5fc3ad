package civicpress

import (
	"context"
	"strconv"
	"strings"

	"github.com/civicpress/civicpress-go/internal/recordfile"
	"github.com/civicpress/civicpress-go/internal/store"
)

// Document numbers (BYL-2026-001) for the legal record types, from
// config.yml document_number_formats. Upstream always issued -001; here a
// sequence per type and year lives in the database, is raised past every
// number found in a record file, and issues each number once even to
// concurrent processes.

func (c *Core) docFormat(recordType string) recordfile.DocumentNumberFormat {
	if f, ok := c.settings.Project.DocumentNumberFormats[recordType]; ok {
		return recordfile.DocumentNumberFormat{Prefix: f.Prefix, YearFormat: f.YearFormat, Separator: f.Separator, SequencePadding: f.SequencePadding}
	}
	return recordfile.DefaultDocumentNumberFormat(recordType)
}

// parseDocNumber reads a number written in recordType's format: the year
// and the sequence.
func (c *Core) parseDocNumber(recordType, s string) (year, seq int, ok bool) {
	f := c.docFormat(recordType)
	sep := f.Separator
	if sep == "" {
		sep = "-"
	}
	rest, found := strings.CutPrefix(s, f.Prefix+sep)
	if !found {
		return 0, 0, false
	}
	ys, ss, found := strings.Cut(rest, sep)
	if !found {
		return 0, 0, false
	}
	y, err1 := strconv.Atoi(ys)
	n, err2 := strconv.Atoi(ss)
	if err1 != nil || err2 != nil || n <= 0 || y < 0 {
		return 0, 0, false
	}
	if f.YearFormat == "short" && len(ys) == 2 {
		y += 2000
	}
	return y, n, true
}

// raiseDocNumber makes the sequence of rf's type and year pass rf's number.
func (c *Core) raiseDocNumber(ctx context.Context, q store.Q, rf *recordfile.Record) error {
	if !recordfile.IsLegalType(rf.Type) {
		return nil
	}
	num := rf.Metadata.String("document_number")
	if num == "" {
		return nil
	}
	year, seq, ok := c.parseDocNumber(rf.Type, num)
	if !ok {
		return nil
	}
	return q.RaiseDocSequence(ctx, rf.Type, year, seq)
}
