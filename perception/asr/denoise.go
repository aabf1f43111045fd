package asr

import (
	"math"
	"math/cmplx"
	"sort"
)

// Denoising: a spectral-subtraction front end run before the recogniser. The noise spectrum is
// estimated from the quietest frames of the utterance (a low percentile per frequency bin), then
// each frame's spectrum is attenuated by a Wiener-like gain with a floor, and the signal is
// rebuilt by overlap-add. Clean speech has a noise estimate near zero and passes unchanged.
const (
	dnFFT         = 512
	dnHop         = dnFFT / 2
	dnPercentile  = 0.10 // the share of frames assumed to hold no speech in each bin
	dnOversub     = 1.5  // how much of the noise estimate is removed
	dnFloor       = 0.08 // the smallest gain, so the background never drops to musical holes
	dnMinFrames   = 8
	dnCleanRatioD = 30.0 // dB: when the noise is this far below the speech, leave the audio alone
)

// denoise returns samples with stationary background noise reduced.
func denoise(samples []int16) []int16 {
	nFrames := (len(samples)-dnFFT)/dnHop + 1
	if nFrames < dnMinFrames {
		return samples
	}
	win := make([]float64, dnFFT)
	for i := range win {
		// The square root of a periodic Hann window, used at analysis and synthesis.
		win[i] = math.Sqrt(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/dnFFT))
	}
	bins := dnFFT/2 + 1
	specs := make([][]complex128, nFrames)
	power := make([][]float64, bins)
	for b := range power {
		power[b] = make([]float64, nFrames)
	}
	buf := make([]complex128, dnFFT)
	for f := 0; f < nFrames; f++ {
		off := f * dnHop
		for i := 0; i < dnFFT; i++ {
			buf[i] = complex(float64(samples[off+i])*win[i], 0)
		}
		fft(buf, false)
		specs[f] = append([]complex128(nil), buf[:bins]...)
		for b := 0; b < bins; b++ {
			power[b][f] = real(buf[b])*real(buf[b]) + imag(buf[b])*imag(buf[b])
		}
	}
	// The noise spectrum is the mean over the quietest frames: averaging whole frames rather than
	// taking a low percentile per bin avoids underestimating the noise (a bin's power fluctuates).
	total := make([]float64, nFrames)
	order := make([]int, nFrames)
	for f := range total {
		order[f] = f
		for b := 0; b < bins; b++ {
			total[f] += power[b][f]
		}
	}
	sort.Slice(order, func(i, j int) bool { return total[order[i]] < total[order[j]] })
	quiet := order[:max(3, int(dnPercentile*float64(nFrames)))]
	loud := order[nFrames*9/10]
	noise := make([]float64, bins)
	var noiseSum float64
	for b := 0; b < bins; b++ {
		for _, f := range quiet {
			noise[b] += power[b][f]
		}
		noise[b] /= float64(len(quiet))
		noiseSum += noise[b]
	}
	sigSum := total[loud]
	if noiseSum == 0 || 10*math.Log10(sigSum/noiseSum) > dnCleanRatioD {
		return samples
	}
	out := make([]float64, len(samples))
	for f := 0; f < nFrames; f++ {
		for b := 0; b < bins; b++ {
			g := 1 - dnOversub*noise[b]/(power[b][f]+1e-9)
			g = max(dnFloor, g)
			buf[b] = specs[f][b] * complex(g, 0)
			if b > 0 && b < dnFFT/2 {
				buf[dnFFT-b] = cmplx.Conj(buf[b])
			}
		}
		fft(buf, true)
		off := f * dnHop
		for i := 0; i < dnFFT; i++ {
			out[off+i] += real(buf[i]) * win[i]
		}
	}
	res := make([]int16, len(samples))
	for i, v := range out {
		res[i] = int16(max(-32768, min(32767, math.Round(v))))
	}
	// The edges lack a full overlap; keep the original there.
	copy(res[:dnHop], samples[:dnHop])
	if tail := nFrames*dnHop + dnHop; tail < len(samples) {
		copy(res[tail:], samples[tail:])
	}
	return res
}

// fft is an in-place radix-2 FFT; len(x) must be a power of two. The inverse is scaled by 1/n.
func fft(x []complex128, inverse bool) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, sign*2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := 0; k < size/2; k++ {
				a, b := x[start+k], x[start+k+size/2]*wk
				x[start+k], x[start+k+size/2] = a+b, a-b
				wk *= w
			}
		}
	}
	if inverse {
		for i := range x {
			x[i] /= complex(float64(n), 0)
		}
	}
}
