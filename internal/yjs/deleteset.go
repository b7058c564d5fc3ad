package yjs

import (
	"slices"
	"sort"
)

// delRange is a run of deleted clocks of one client.
type delRange struct {
	clock, len int
}

type dsEntry struct {
	client uint64
	ranges []delRange
}

// deleteSet maps clients to deleted ranges. Entries keep insertion order
// (like the JavaScript Map Yjs uses), which decides processing order.
type deleteSet struct {
	entries []dsEntry
	index   map[uint64]int
}

func (ds *deleteSet) empty() bool { return len(ds.entries) == 0 }

func (ds *deleteSet) reset() {
	for i := range ds.entries {
		ds.entries[i].ranges = ds.entries[i].ranges[:0]
	}
	ds.entries = ds.entries[:0]
	clear(ds.index)
}

func (ds *deleteSet) entry(client uint64) *dsEntry {
	if ds.index == nil {
		ds.index = make(map[uint64]int)
	}
	if i, ok := ds.index[client]; ok {
		return &ds.entries[i]
	}
	ds.index[client] = len(ds.entries)
	if len(ds.entries) < cap(ds.entries) {
		ds.entries = ds.entries[:len(ds.entries)+1]
		e := &ds.entries[len(ds.entries)-1]
		e.client = client
		e.ranges = e.ranges[:0]
		return e
	}
	ds.entries = append(ds.entries, dsEntry{client: client})
	return &ds.entries[len(ds.entries)-1]
}

func (ds *deleteSet) get(client uint64) []delRange {
	if i, ok := ds.index[client]; ok {
		return ds.entries[i].ranges
	}
	return nil
}

func (ds *deleteSet) add(client uint64, clock, length int) {
	e := ds.entry(client)
	e.ranges = append(e.ranges, delRange{clock, length})
}

// sortAndMerge sorts each client's ranges and joins overlapping or adjacent ones.
func (ds *deleteSet) sortAndMerge() {
	for i := range ds.entries {
		dels := ds.entries[i].ranges
		if !sort.SliceIsSorted(dels, func(a, b int) bool { return dels[a].clock < dels[b].clock }) {
			slices.SortStableFunc(dels, func(a, b delRange) int { return a.clock - b.clock })
		}
		j := 1
		for k := 1; k < len(dels); k++ {
			l := &dels[j-1]
			r := dels[k]
			if l.clock+l.len >= r.clock {
				l.len = max(l.len, r.clock+r.len-l.clock)
			} else {
				dels[j] = r
				j++
			}
		}
		if len(dels) > 0 {
			ds.entries[i].ranges = dels[:j]
		}
	}
}

// contains reports whether id lies in a deleted range (ranges must be sorted).
func (ds *deleteSet) contains(id ID) bool {
	dis := ds.get(id.Client)
	lo, hi := 0, len(dis)-1
	for lo <= hi {
		mid := (lo + hi) / 2
		m := dis[mid]
		if m.clock <= id.Clock {
			if id.Clock < m.clock+m.len {
				return true
			}
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	return false
}

// mergeDeleteSets unions delete sets, client order following first appearance.
func mergeDeleteSets(dss []*deleteSet) *deleteSet {
	merged := &deleteSet{}
	for i, ds := range dss {
		for _, e := range ds.entries {
			if _, ok := merged.index[e.client]; ok {
				continue
			}
			dels := append([]delRange(nil), e.ranges...)
			for _, later := range dss[i+1:] {
				dels = append(dels, later.get(e.client)...)
			}
			me := merged.entry(e.client)
			me.ranges = dels
		}
	}
	merged.sortAndMerge()
	return merged
}

// sortedClients returns the clients in decreasing id order, the order Yjs writes them.
func (ds *deleteSet) sortedEntries() []dsEntry {
	out := append([]dsEntry(nil), ds.entries...)
	slices.SortFunc(out, func(a, b dsEntry) int {
		if a.client > b.client {
			return -1
		}
		if a.client < b.client {
			return 1
		}
		return 0
	})
	return out
}
