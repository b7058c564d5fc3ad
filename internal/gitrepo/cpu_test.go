//go:build unix

package gitrepo

import (
	"syscall"
	"testing"
	"time"
)

// cpuMeter reports CPU time (user + system) per operation next to wall
// time: on a machine shared with other jobs, wall time swings with their
// load while CPU time mostly does not.
type cpuMeter struct {
	start, paused time.Duration
	at            time.Duration
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() *cpuMeter { return &cpuMeter{start: cpuNow()} }

// pause and resume leave out untimed work, as b.StopTimer does.
func (m *cpuMeter) pause()  { m.at = cpuNow() }
func (m *cpuMeter) resume() { m.paused += cpuNow() - m.at }

func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(cpuNow()-m.start-m.paused)/float64(b.N), "cpu-ns/op")
}
