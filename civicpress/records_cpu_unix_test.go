//go:build unix

package civicpress

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used: on a
// machine shared with other jobs, wall time swings with their load while
// CPU time per operation mostly does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
