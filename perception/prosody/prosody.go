// Package prosody measures how something was said: pitch (YIN), loudness, speaking rate (syllable
// nuclei per second) and pauses, per utterance, and flags clearly agitated speech as an affect cue.
// It is pure Go so it also builds for the browser.
package prosody

import (
	"math"
	"sort"

	"github.com/parleyhq/parley/media"
)

// Features are the prosodic measurements of one utterance.
type Features struct {
	// PitchHz is the median fundamental frequency of voiced frames.
	PitchHz float64
	// PitchVar is the standard deviation of pitch in semitones.
	PitchVar float64
	// EnergyDB is the mean loudness of speech frames in dB relative to full scale.
	EnergyDB float64
	// RateSPS is syllable nuclei per second of speaking time.
	RateSPS float64
	// PauseRatio is the share of the utterance (first to last speech frame) spent in pauses.
	PauseRatio float64
	// Speech is the time between the first and the last speech frame, in seconds.
	Speech float64
	// Voiced is the number of frames with a pitch.
	Voiced int
}

// Map returns the features with the keys of a prosody observation.
func (f Features) Map() map[string]float64 {
	return map[string]float64{
		"pitch_hz": round(f.PitchHz, 1), "pitch_var": round(f.PitchVar, 2), "energy_db": round(f.EnergyDB, 1),
		"rate_sps": round(f.RateSPS, 2), "pause_ratio": round(f.PauseRatio, 3),
	}
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

const (
	hop       = 160 // 10 ms at 16 kHz
	win       = 400 // 25 ms
	pitchWin  = 640 // 40 ms: two periods of 60 Hz
	minPitch  = 60.0
	maxPitch  = 400.0
	yinThresh = 0.15
	minPause  = 15 // frames (150 ms) of silence that count as a pause
)

// Analyze measures an utterance of 16 kHz mono speech. An utterance with no speech frames gives
// zero features.
func Analyze(p media.PCM) Features {
	rate := p.Rate
	if rate <= 0 {
		rate = media.SpeechRate
	}
	x := make([]float64, len(p.Samples))
	for i, s := range p.Samples {
		x[i] = float64(s) / 32768
	}
	hopN, winN := hop*rate/media.SpeechRate, win*rate/media.SpeechRate
	if len(x) < winN {
		return Features{}
	}
	nf := (len(x)-winN)/hopN + 1
	db := make([]float64, nf)
	for i := range db {
		db[i] = frameDB(x[i*hopN : i*hopN+winN])
	}
	speech := Activity(db)
	first, last := -1, -1
	for i, s := range speech {
		if s {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return Features{}
	}
	var f Features
	f.Speech = float64(last-first+1) * float64(hopN) / float64(rate)
	// Loudness and pauses.
	var sum float64
	var n, paused, run int
	for i := first; i <= last; i++ {
		if speech[i] {
			sum += db[i]
			n++
			if run >= minPause {
				paused += run
			}
			run = 0
		} else {
			run++
		}
	}
	f.EnergyDB = sum / float64(max(n, 1))
	f.PauseRatio = float64(paused) / float64(last-first+1)
	// Pitch on speech frames.
	var pitches []float64
	pw := pitchWin * rate / media.SpeechRate
	for i := first; i <= last; i++ {
		if !speech[i] || i*hopN+pw > len(x) {
			continue
		}
		if hz := yin(x[i*hopN:i*hopN+pw], rate); hz > 0 {
			pitches = append(pitches, hz)
		}
	}
	f.Voiced = len(pitches)
	if len(pitches) > 0 {
		sorted := append([]float64(nil), pitches...)
		sort.Float64s(sorted)
		f.PitchHz = sorted[len(sorted)/2]
		var m, v float64
		for _, hz := range pitches {
			m += 12 * math.Log2(hz/f.PitchHz)
		}
		m /= float64(len(pitches))
		for _, hz := range pitches {
			d := 12*math.Log2(hz/f.PitchHz) - m
			v += d * d
		}
		f.PitchVar = math.Sqrt(v / float64(len(pitches)))
	}
	speaking := f.Speech * (1 - f.PauseRatio)
	if speaking > 0 {
		f.RateSPS = float64(nuclei(db, speech, first, last)) / speaking
	}
	return f
}

func frameDB(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	return 10 * math.Log10(s/float64(len(x))+1e-10)
}

// Activity marks speech frames from per-frame loudness in dB: a frame is speech when it is well
// above the noise floor (the 10th percentile) and not far below the loudest frames.
func Activity(db []float64) []bool {
	out := make([]bool, len(db))
	if len(db) == 0 {
		return out
	}
	sorted := append([]float64(nil), db...)
	sort.Float64s(sorted)
	floor := sorted[len(sorted)/10]
	peak := sorted[len(sorted)*98/100]
	thr := max(floor+10, peak-35, -60)
	for i, v := range db {
		out[i] = v > thr
	}
	return out
}

// nuclei counts syllable nuclei: peaks of the smoothed loudness contour inside speech that stand
// at least 2 dB above the dips on both sides and are 100 ms apart.
func nuclei(db []float64, speech []bool, first, last int) int {
	sm := make([]float64, len(db))
	for i := range db {
		var s float64
		var n int
		for j := max(0, i-2); j <= min(len(db)-1, i+2); j++ {
			s += db[j]
			n++
		}
		sm[i] = s / float64(n)
	}
	count, lastPeak := 0, -100
	for i := max(first, 1); i < last; i++ {
		if !speech[i] || sm[i] < sm[i-1] || sm[i] < sm[i+1] || i-lastPeak < 10 {
			continue
		}
		// Dips on each side within 150 ms.
		left, right := sm[i], sm[i]
		for j := i - 1; j >= max(0, i-15); j-- {
			left = min(left, sm[j])
		}
		for j := i + 1; j <= min(len(sm)-1, i+15); j++ {
			right = min(right, sm[j])
		}
		if sm[i]-left >= 2 && sm[i]-right >= 2 {
			count++
			lastPeak = i
		}
	}
	return count
}

// yin returns the fundamental frequency of x in Hz, or 0 when the frame is not voiced
// (de Cheveigné and Kawahara, 2002).
func yin(x []float64, rate int) float64 {
	tauMin := int(float64(rate) / maxPitch)
	tauMax := int(float64(rate) / minPitch)
	w := len(x) - tauMax
	if w <= 0 {
		return 0
	}
	d := make([]float64, tauMax+1)
	for tau := 1; tau <= tauMax; tau++ {
		var s float64
		for j := 0; j < w; j++ {
			v := x[j] - x[j+tau]
			s += v * v
		}
		d[tau] = s
	}
	// Cumulative mean normalised difference.
	var run float64
	cm := make([]float64, tauMax+1)
	cm[0] = 1
	for tau := 1; tau <= tauMax; tau++ {
		run += d[tau]
		if run == 0 {
			cm[tau] = 1
		} else {
			cm[tau] = d[tau] * float64(tau) / run
		}
	}
	for tau := tauMin; tau < tauMax; tau++ {
		if cm[tau] < yinThresh {
			for tau+1 < tauMax && cm[tau+1] < cm[tau] {
				tau++
			}
			// Parabolic interpolation around the minimum.
			t := float64(tau)
			a, b, c := cm[tau-1], cm[tau], cm[tau+1]
			if den := a - 2*b + c; den != 0 {
				t += 0.5 * (a - c) / den
			}
			return float64(rate) / t
		}
	}
	return 0
}

// Frustration scores clearly agitated speech in [0,1]: loud, high or very variable pitch, and
// fast. Calm speech scores 0; the score only grows when all three signs are present.
func Frustration(f Features) float64 {
	if f.Voiced == 0 {
		return 0
	}
	clamp := func(v float64) float64 { return max(0, min(1, v)) }
	loud := clamp((f.EnergyDB + 24) / 10)
	pitch := max(clamp((f.PitchHz-110)/90), clamp((f.PitchVar-3)/4))
	fast := clamp((f.RateSPS - 4) / 3)
	if loud < 0.3 || pitch < 0.3 || fast < 0.3 {
		return 0
	}
	return round((loud+pitch+fast)/3, 2)
}
