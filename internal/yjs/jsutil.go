package yjs

import (
	"slices"
	"strings"

	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
)

// sortUTF16 sorts strings as JavaScript's default sort does (UTF-16 code units).
func sortUTF16(s []string) { slices.SortStableFunc(s, lib0.CompareUTF16) }

// jsLower approximates String.prototype.toLocaleLowerCase for node names.
func jsLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || (s[i] >= 'A' && s[i] <= 'Z') {
			return strings.ToLower(s)
		}
	}
	return s
}
