package store_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicpress/civicpress-go/internal/store"
)

// TestListPagesMatchOrder lists rows with ties, kinds and filters in every
// sort: the whole list follows upstream's order (checked against a sort in
// Go), and every page, at every offset (those past the middle are read
// backwards from the end), is the matching slice of the whole list.
func TestListPagesMatchOrder(t *testing.T) {
	forBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q()
		rng := rand.New(rand.NewPCG(3, 4))
		base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
		type row struct {
			id, title, typ, status string
			kind                   int
			created, updated       time.Time
			internal               bool
		}
		var rows []row
		titles := []string{"Alpha", "alpha", "Beta", "beta plan", "Gamma", "delta", "Épsilon", "zeta", "Zeta"}
		for i := range 61 {
			r := row{id: fmt.Sprintf("r%02d", i), title: titles[rng.IntN(len(titles))], typ: []string{"bylaw", "policy", "minutes"}[rng.IntN(3)],
				status: []string{"published", "draft", ""}[rng.IntN(3)], kind: 1,
				created: base.Add(time.Duration(rng.IntN(8)) * time.Hour), updated: base.Add(time.Duration(rng.IntN(8)) * time.Minute),
				internal: i%13 == 5}
			meta := "{}"
			switch i % 9 {
			case 3:
				meta, r.kind = `{"kind":"chapter"}`, 2
			case 7:
				meta, r.kind = `{"kind":"root"}`, 3
			case 8:
				meta = "not json"
			}
			rr := &store.RecordRow{ID: r.id, Title: r.title, Type: r.typ, Status: r.status, Metadata: meta,
				CreatedAt: r.created, UpdatedAt: r.updated}
			if r.internal {
				s := "internal_only"
				rr.WorkflowState = &s
			}
			if err := q.UpsertRecord(ctx, rr, false); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
		// Stored timestamps have second precision; ids break the remaining ties.
		oracle := func(f store.RecordFilter) []string {
			var sel []row
			for _, r := range rows {
				st := r.status
				if st == "" {
					st = "draft"
				}
				if r.internal || len(f.Types) > 0 && !slices.Contains(f.Types, r.typ) || len(f.Statuses) > 0 && !slices.Contains(f.Statuses, st) {
					continue
				}
				sel = append(sel, r)
			}
			slices.SortFunc(sel, func(a, b row) int {
				if c := cmp.Compare(a.kind, b.kind); c != 0 {
					return c
				}
				desc := func(x, y string) int { return -strings.Compare(x, y) }
				c := 0
				switch f.Sort {
				case "updated_desc":
					c = -a.updated.Compare(b.updated)
				case "title_asc":
					c = strings.Compare(strings.ToLower(a.title), strings.ToLower(b.title))
				case "title_desc":
					c = -strings.Compare(strings.ToLower(a.title), strings.ToLower(b.title))
				}
				if c != 0 {
					return c
				}
				if f.Sort != "updated_desc" {
					if c := -a.created.Compare(b.created); c != 0 {
						return c
					}
				}
				return desc(a.id, b.id)
			})
			out := []string{}
			for _, r := range sel {
				out = append(out, r.id)
			}
			return out
		}
		ids := func(rs []store.RecordRow) []string {
			out := []string{}
			for _, r := range rs {
				out = append(out, r.ID)
			}
			return out
		}
		filters := []store.RecordFilter{{}, {Types: []string{"bylaw"}}, {Types: []string{"bylaw", "minutes"}},
			{Statuses: []string{"draft"}}, {Types: []string{"policy"}, Statuses: []string{"published", "draft"}}}
		for _, sort := range []string{"", "updated_desc", "title_asc", "title_desc"} {
			for _, f := range filters {
				f.Sort, f.Limit = sort, 1000
				want := oracle(f)
				all, total, err := q.ListRecords(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				// Non-ASCII titles sort byte-wise (É after z): the oracle's
				// strings.ToLower order agrees on these titles.
				if got := ids(all); !slices.Equal(got, want) || total != len(want) {
					t.Fatalf("%q %v %v: got %v (total %d), want %v", sort, f.Types, f.Statuses, got, total, want)
				}
				f.Limit = 7
				for off := 0; off <= total+3; off++ {
					f.Offset = off
					page, _, err := q.ListRecords(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					end := min(off+7, len(want))
					exp := []string{}
					if off < len(want) {
						exp = want[off:end]
					}
					if got := ids(page); !slices.Equal(got, exp) {
						t.Fatalf("%q %v %v offset %d: got %v, want %v", sort, f.Types, f.Statuses, off, got, exp)
					}
				}
			}
		}
	})
}
