package yjs

import "slices"

// structList holds one client's structs in clock order, contiguous from 0.
type structList struct {
	items []*item
}

func (l *structList) state() int {
	if len(l.items) == 0 {
		return 0
	}
	last := l.items[len(l.items)-1]
	return last.id.Clock + last.length
}

// findIndex returns the index of the struct holding clock, or -1.
func (l *structList) findIndex(clock int) int {
	items := l.items
	lo, hi := 0, len(items)-1
	if hi < 0 {
		return -1
	}
	mid := items[hi]
	if mid.id.Clock == clock {
		return hi
	}
	// pivot on the expected position: clocks are roughly uniform
	span := mid.id.Clock + mid.length - 1
	m := hi
	if span > 0 && clock <= span {
		m = int(float64(clock) / float64(span) * float64(hi))
	}
	for lo <= hi {
		if m < lo || m > hi {
			m = (lo + hi) / 2
		}
		s := items[m]
		if s.id.Clock <= clock {
			if clock < s.id.Clock+s.length {
				return m
			}
			lo = m + 1
		} else {
			hi = m - 1
		}
		m = (lo + hi) / 2
	}
	return -1
}

func (l *structList) insertAt(i int, it *item) {
	l.items = slices.Insert(l.items, i, it)
}

// store is the struct store of a document.
type store struct {
	clients map[uint64]*structList
	// the expected size of a new client's list (see reserve)
	sizeClient uint64
	sizeHint   int
}

func (s *store) list(client uint64) *structList {
	return s.clients[client]
}

func (s *store) state(client uint64) int {
	if l := s.clients[client]; l != nil {
		return l.state()
	}
	return 0
}

// find returns the struct holding id, or nil.
func (s *store) find(id ID) *item {
	l := s.clients[id.Client]
	if l == nil {
		return nil
	}
	i := l.findIndex(id.Clock)
	if i < 0 {
		return nil
	}
	return l.items[i]
}

// reserve makes room for n more structs of client (an update with that
// many is being integrated).
func (s *store) reserve(client uint64, n int) {
	if l := s.clients[client]; l != nil {
		l.items = slices.Grow(l.items, n)
		return
	}
	// A client's list exists once it has a struct: remember the size.
	s.sizeClient, s.sizeHint = client, n
}

// addStruct appends a struct; it must continue the client's clock.
func (s *store) addStruct(it *item) bool {
	l := s.clients[it.id.Client]
	if l == nil {
		l = &structList{}
		if s.sizeHint > 0 && s.sizeClient == it.id.Client {
			l.items = make([]*item, 0, s.sizeHint)
			s.sizeHint = 0
		}
		s.clients[it.id.Client] = l
	} else if l.state() != it.id.Clock {
		return false
	}
	l.items = append(l.items, it)
	return true
}

// cleanStart returns the struct starting exactly at id, splitting an item if needed.
func (tx *Txn) cleanStart(id ID) *item {
	l := tx.doc.store.clients[id.Client]
	if l == nil {
		return nil
	}
	i := tx.findIndexCleanStart(l, id.Clock)
	if i < 0 {
		return nil
	}
	return l.items[i]
}

func (tx *Txn) findIndexCleanStart(l *structList, clock int) int {
	i := l.findIndex(clock)
	if i < 0 {
		return -1
	}
	s := l.items[i]
	if s.id.Clock < clock && s.kind == kindItem {
		l.insertAt(i+1, splitItem(tx, s, clock-s.id.Clock))
		return i + 1
	}
	return i
}

// cleanEnd returns the struct ending exactly at id, splitting an item if needed.
func (tx *Txn) cleanEnd(id ID) *item {
	l := tx.doc.store.clients[id.Client]
	if l == nil {
		return nil
	}
	i := l.findIndex(id.Clock)
	if i < 0 {
		return nil
	}
	s := l.items[i]
	if id.Clock != s.id.Clock+s.length-1 && s.kind != kindGC {
		l.insertAt(i+1, splitItem(tx, s, id.Clock-s.id.Clock+1))
	}
	return s
}

// iterateStructs calls f on every struct in [clockStart, clockStart+n), splitting at the edges.
func (tx *Txn) iterateStructs(l *structList, clockStart, n int, f func(*item)) {
	if n == 0 {
		return
	}
	end := clockStart + n
	i := tx.findIndexCleanStart(l, clockStart)
	if i < 0 {
		return
	}
	for {
		s := l.items[i]
		i++
		if end < s.id.Clock+s.length {
			tx.findIndexCleanStart(l, end)
		}
		f(s)
		if i >= len(l.items) || l.items[i].id.Clock >= end {
			break
		}
	}
}
