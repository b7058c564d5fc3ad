//go:build unix

package civicpress

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// fileSlots locks slots across the processes of one machine with flock on
// one file per slot. The in-process slot is always held first, so one
// descriptor per slot, kept open, is never used by two goroutines at once.
type fileSlots struct {
	dir string
	mu  sync.Mutex
	fds [lockStripes]*os.File
}

func newFileSlots(dir string) (*fileSlots, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("civicpress: record locks: %w", err)
	}
	return &fileSlots{dir: dir}, nil
}

func (f *fileSlots) file(slot int) (*os.File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fds[slot] == nil {
		fd, err := os.OpenFile(filepath.Join(f.dir, fmt.Sprintf("record-%03d.lock", slot)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("civicpress: record lock: %w", err)
		}
		f.fds[slot] = fd
	}
	return f.fds[slot], nil
}

func (f *fileSlots) lock(ctx context.Context, slots []int) (func(), error) {
	var held []*os.File
	unlock := func() {
		for _, fd := range held {
			syscall.Flock(int(fd.Fd()), syscall.LOCK_UN)
		}
	}
	for _, s := range slots {
		fd, err := f.file(s)
		if err != nil {
			unlock()
			return nil, err
		}
		// Contention across processes is rare and short (one record write):
		// poll with a small backoff rather than block a thread in flock.
		wait := 100 * time.Microsecond
		for {
			err := syscall.Flock(int(fd.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			if err == nil {
				break
			}
			if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
				unlock()
				return nil, fmt.Errorf("civicpress: record lock: %w", err)
			}
			select {
			case <-ctx.Done():
				unlock()
				return nil, ctx.Err()
			case <-time.After(wait):
			}
			wait = min(2*wait, 5*time.Millisecond)
		}
		held = append(held, fd)
	}
	return unlock, nil
}

func (f *fileSlots) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, fd := range f.fds {
		if fd != nil {
			fd.Close()
			f.fds[i] = nil
		}
	}
	return nil
}
