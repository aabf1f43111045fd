package nn

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; other CPUs and architectures (WebAssembly) use plain Go.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func kernel4x16(a *float32, lda, k int, bp, bias, c *float32, ldc, flags int, res *float32)

//go:noescape
func mulAdd8(o, x, y *float32, n int)

//go:noescape
func dwTaps(o, in *float32, taps *int, ntaps int, w *float32, c int, bias *float32, flags int)

//go:noescape
func prelu8(x, alpha *float32, n int)
