//go:build unix

package face

import "syscall"

// cpuNanos returns the CPU time the process has used, to report benchmarks on a busy machine.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
