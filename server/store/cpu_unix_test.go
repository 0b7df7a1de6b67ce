//go:build unix

package store

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, user and system,
// so that a benchmark on a busy machine can report its own work rather
// than the time it waited for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
