//go:build !amd64

package nn

var useAVX2 = false

func kernel4x16(a *float32, lda, k int, bp, bias, c *float32, ldc, flags int, res *float32) {
	panic("nn: no assembly kernel on this architecture")
}

func mulAdd8(o, x, y *float32, n int) { panic("nn: no assembly kernel on this architecture") }

func dwTaps(o, in *float32, taps *int, ntaps int, w *float32, c int, bias *float32, flags int) {
	panic("nn: no assembly kernel on this architecture")
}

func prelu8(x, alpha *float32, n int) { panic("nn: no assembly kernel on this architecture") }
