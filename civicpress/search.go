package civicpress

// Search is full-text search over the published records that are neither
// archived nor internal_only, with the same results on SQLite (FTS5) and
// PostgreSQL.
//
// Query syntax (upstream's): words match as prefixes ("bud" finds
// "budget"), "quoted phrases" match exactly, terms are all required unless
// joined by OR ("noise OR parking"). Matching ignores case and accents.
// Relevance puts records whose title matches the whole query first (ranked
// by how well the title matches), then those that match only in their tags
// or body.
type Search struct{ c *Core }

// Search returns the search service.
func (c *Core) Search() *Search { return &Search{c: c} }

// SearchQuery is a search request. Filters apply together.
type SearchQuery struct {
	Query    string
	Types    []string
	Statuses []string
	// Sort is relevance (default), updated_desc, created_desc, title_asc or title_desc.
	Sort   string
	Limit  int // default 20, at most 1000
	Offset int
	// Facets asks for SearchResult.Facets (counting every match by type and
	// status costs time on broad queries, so it is left out otherwise).
	Facets bool
}

// SearchResult is one page of hits, the number matching in all, and (when
// asked for) the counts per type and per status of everything matching.
type SearchResult struct {
	Hits   []SearchHit  `json:"results"`
	Total  int          `json:"total"`
	Facets SearchFacets `json:"facets"`
}

// SearchHit is one matching record (from the index, not the file).
type SearchHit struct {
	Record *Record `json:"record"`
	// Score is the relevance (higher is better; comparable within one query).
	Score float64 `json:"score"`
	// TitleMatch is true when the whole query matches the title.
	TitleMatch bool `json:"titleMatch"`
	// Snippet is an HTML-escaped excerpt of the body around the matches,
	// matches wrapped in <mark>…</mark>; Title is the title marked the same way.
	Snippet string `json:"snippet"`
	Title   string `json:"highlightedTitle"`
}

// SearchFacets counts the matching records by type and by status.
type SearchFacets struct {
	Types    []FacetCount `json:"types"`
	Statuses []FacetCount `json:"statuses"`
}

// FacetCount is one facet value and how many matching records have it.
type FacetCount struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Suggestions completes a partial query: words from titles and tags, and
// record titles, tolerant of typos. Suggestions is Words then Titles.
type Suggestions struct {
	Suggestions []string `json:"suggestions"`
	Words       []string `json:"words"`
	Titles      []string `json:"titles"`
}
