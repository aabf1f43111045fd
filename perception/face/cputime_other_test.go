//go:build !unix

package face

// cpuNanos is unavailable here; benchmarks then report wall time only.
func cpuNanos() int64 { return 0 }
