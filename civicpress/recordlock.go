package civicpress

import (
	"context"
	"hash/fnv"
	"slices"
)

// Writes to one record are serialized by a lock striped over lockStripes
// slots: a slot taken in this process (a one-token channel, so waiting
// honours the context), then the same slot across processes (a file lock
// per slot on SQLite, where every process shares one machine; a PostgreSQL
// advisory lock per slot otherwise). Two records sharing a slot merely
// queue behind each other.
const lockStripes = 256

// crossLocker takes slots across processes.
type crossLocker interface {
	lock(ctx context.Context, slots []int) (unlock func(), err error)
	close() error
}

type recordLocker struct {
	local [lockStripes]chan struct{}
	cross crossLocker // nil: this process only
}

func newRecordLocker(cross crossLocker) *recordLocker {
	l := &recordLocker{cross: cross}
	for i := range l.local {
		l.local[i] = make(chan struct{}, 1)
	}
	return l
}

func stripeOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % lockStripes)
}

// lock serializes against every other writer of the given records (in
// ascending slot order, so that writers of overlapping sets cannot deadlock).
func (l *recordLocker) lock(ctx context.Context, ids ...string) (func(), error) {
	slots := make([]int, 0, len(ids))
	for _, id := range ids {
		slots = append(slots, stripeOf(id))
	}
	slices.Sort(slots)
	slots = slices.Compact(slots)
	var taken []int
	release := func() {
		for i := len(taken) - 1; i >= 0; i-- {
			<-l.local[taken[i]]
		}
	}
	for _, s := range slots {
		select {
		case l.local[s] <- struct{}{}:
			taken = append(taken, s)
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	if l.cross == nil {
		return release, nil
	}
	unlock, err := l.cross.lock(ctx, slots)
	if err != nil {
		release()
		return nil, err
	}
	return func() { unlock(); release() }, nil
}

func (l *recordLocker) close() error {
	if l.cross != nil {
		return l.cross.close()
	}
	return nil
}
