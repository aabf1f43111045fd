// Package vadeval measures voice activity detection on streams built from real recordings:
// utterances joined with natural pauses, a pause inside an utterance, soft speech, short bursts
// cut from other speakers (an "mm-hm", a cough-like sound), under a quiet room bed, babble of
// other real voices or white noise. It knows where the speech is in every stream it builds and
// scores a detector's utterances against that.
package vadeval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Rate is the sample rate of every stream.
const Rate = 16000

// Source is one real recording at Rate, with who speaks in it.
type Source struct {
	Samples []int16
	Speaker string
	// Narrow marks audio recorded at 8 kHz (upsampled): its white noise is kept in the same band.
	Narrow bool
}

// Span is a stretch of stream time.
type Span struct{ Start, End time.Duration }

// Overlaps reports whether the spans share any time.
func (s Span) Overlaps(o Span) bool { return s.Start < o.End && o.Start < s.End }

// Condition is the background of a stream.
type Condition struct {
	Kind string  // quiet, babble or white
	SNR  float64 // speech to noise in dB (quiet: a 40 dB room bed)
}

func (c Condition) String() string {
	if c.Kind == "quiet" {
		return "quiet"
	}
	return fmt.Sprintf("%s %gdB", c.Kind, c.SNR)
}

// Stream is a built test stream and its truth.
type Stream struct {
	Samples []int16
	Cond    Condition
	// Utterances are what a listener takes as one message each: recordings joined by gaps under
	// half a second (inside pauses included) are one utterance.
	Utterances []Span
	// Speech is each recording's speech (first to last frame within 35 dB of its loudest), and
	// Soft says which were played 15 dB quieter than the rest.
	Speech []Span
	Soft   []bool
	// Bursts are short sounds in the longer pauses: 120–250 ms cut from another speaker, or two
	// 120–180 ms cuts 100–150 ms apart, shaped like "mm-hm".
	Bursts []Span
}

// Options shape the streams Build makes. Zero fields take the defaults.
type Options struct {
	Utterances int // per stream (default 4)
	MaxParts   int // recordings per utterance (default 3)
}

func dur(samples int) time.Duration { return time.Duration(samples) * time.Second / Rate }

func samplesOf(d time.Duration) int { return int(d * Rate / time.Second) }

func uniform(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)+1))
}

// speechSpan returns the first and last 10 ms frame of s within 35 dB of its loudest frame.
func speechSpan(s []int16) (int, int) {
	const f = Rate / 100
	n := len(s) / f
	if n == 0 {
		return 0, len(s)
	}
	e := make([]float64, n)
	peak := 0.0
	for i := range e {
		for _, v := range s[i*f : (i+1)*f] {
			e[i] += float64(v) * float64(v)
		}
		peak = max(peak, e[i])
	}
	lo, hi := 0, n-1
	for lo < n-1 && e[lo] < peak*math.Pow(10, -3.5) {
		lo++
	}
	for hi > lo && e[hi] < peak*math.Pow(10, -3.5) {
		hi--
	}
	return lo * f, (hi + 1) * f
}

// Build makes n streams under cond from srcs. Each stream is one speaker's recordings; babble and
// bursts come from the other speakers. It needs recordings of at least two speakers.
func Build(r *rand.Rand, srcs []Source, n int, cond Condition, opt Options) ([]Stream, error) {
	if opt.Utterances <= 0 {
		opt.Utterances = 4
	}
	if opt.MaxParts <= 0 {
		opt.MaxParts = 3
	}
	bySpeaker := map[string][]int{}
	var speakers []string
	for i, s := range srcs {
		if len(s.Samples) < Rate/10 {
			continue
		}
		if _, ok := bySpeaker[s.Speaker]; !ok {
			speakers = append(speakers, s.Speaker)
		}
		bySpeaker[s.Speaker] = append(bySpeaker[s.Speaker], i)
	}
	if len(speakers) < 2 {
		return nil, fmt.Errorf("vadeval: need recordings of at least two speakers, have %d", len(speakers))
	}
	switch cond.Kind {
	case "quiet", "babble", "white":
	default:
		return nil, fmt.Errorf("vadeval: unknown noise %q (quiet, babble or white)", cond.Kind)
	}
	out := make([]Stream, 0, n)
	for k := range n {
		spk := speakers[k%len(speakers)]
		out = append(out, build(r, srcs, bySpeaker, speakers, spk, cond, opt))
	}
	return out, nil
}

func build(r *rand.Rand, srcs []Source, bySpeaker map[string][]int, speakers []string, spk string, cond Condition, opt Options) Stream {
	st := Stream{Cond: cond}
	var sig []float64
	silence := func(d time.Duration) { sig = append(sig, make([]float64, samplesOf(d))...) }
	other := func() Source {
		for {
			o := speakers[r.IntN(len(speakers))]
			if o != spk {
				ids := bySpeaker[o]
				return srcs[ids[r.IntN(len(ids))]]
			}
		}
	}
	mine := bySpeaker[spk]
	narrow := true
	var speechPower float64
	var speechN int
	silence(uniform(r, 800*time.Millisecond, 1500*time.Millisecond))
	for u := range opt.Utterances {
		if u > 0 {
			gap := uniform(r, 800*time.Millisecond, 2000*time.Millisecond)
			if gap >= 1200*time.Millisecond && r.IntN(2) == 0 {
				// A short burst in the middle of a long pause: one slice of another speaker's
				// speech, or two with a short gap, shaped like "mm-hm".
				burst := cutBurst(r, other().Samples, 120*time.Millisecond, 250*time.Millisecond)
				if r.IntN(2) == 0 {
					burst = cutBurst(r, other().Samples, 120*time.Millisecond, 180*time.Millisecond)
					burst = append(burst, make([]float64, samplesOf(uniform(r, 100*time.Millisecond, 150*time.Millisecond)))...)
					burst = append(burst, cutBurst(r, other().Samples, 120*time.Millisecond, 180*time.Millisecond)...)
				}
				pre := (samplesOf(gap) - len(burst)) / 2
				silence(dur(pre))
				at := len(sig)
				sig = append(sig, burst...)
				st.Bursts = append(st.Bursts, Span{dur(at), dur(len(sig))})
				silence(gap - dur(pre+len(burst)))
			} else {
				silence(gap)
			}
		}
		soft := r.IntN(4) == 0
		gain := 1.0
		if soft {
			gain = math.Pow(10, -15.0/20)
		}
		parts := 1 + r.IntN(opt.MaxParts)
		inside := parts > 1 && r.IntN(3) == 0
		uttStart := time.Duration(-1)
		for p := range parts {
			if p > 0 {
				if inside && p == 1 {
					silence(uniform(r, 300*time.Millisecond, 500*time.Millisecond))
				} else {
					silence(uniform(r, 50*time.Millisecond, 200*time.Millisecond))
				}
			}
			src := srcs[mine[r.IntN(len(mine))]]
			narrow = narrow && src.Narrow
			// The recording is cut to its speech with 50 ms either side, so the gaps are the
			// pauses chosen here, not the recording's own leading and trailing silence.
			lo, hi := speechSpan(src.Samples)
			const margin = Rate / 20
			cut := src.Samples[max(0, lo-margin):min(len(src.Samples), hi+margin)]
			lo, hi = lo-max(0, lo-margin), hi-max(0, lo-margin)
			at := len(sig)
			for _, v := range cut {
				sig = append(sig, gain*float64(v))
			}
			sp := Span{dur(at + lo), dur(at + hi)}
			if uttStart < 0 {
				uttStart = sp.Start
			}
			st.Speech = append(st.Speech, sp)
			st.Soft = append(st.Soft, soft)
			if !soft {
				for _, v := range sig[at+lo : at+hi] {
					speechPower += v * v
				}
				speechN += hi - lo
			}
		}
		st.Utterances = append(st.Utterances, Span{uttStart, st.Speech[len(st.Speech)-1].End})
	}
	silence(uniform(r, 1200*time.Millisecond, 2000*time.Millisecond))
	if speechN == 0 {
		for _, v := range sig {
			speechPower += v * v
		}
		speechN = len(sig)
	}
	speechPower /= float64(max(1, speechN))
	noise := makeNoise(r, cond.Kind, len(sig), narrow, other)
	snr := cond.SNR
	if cond.Kind == "quiet" {
		snr = 40
	}
	var np float64
	for _, v := range noise {
		np += v * v
	}
	np /= float64(max(1, len(noise)))
	g := 0.0
	if np > 0 {
		g = math.Sqrt(speechPower / np / math.Pow(10, snr/10))
	}
	st.Samples = make([]int16, len(sig))
	for i, v := range sig {
		st.Samples[i] = int16(max(-32768, min(32767, math.Round(v+g*noise[i]))))
	}
	return st
}

// cutBurst cuts lo to hi of speech from the middle of a recording, faded in and out over 10 ms.
func cutBurst(r *rand.Rand, o []int16, lo, hi time.Duration) []float64 {
	n := samplesOf(uniform(r, lo, hi))
	a, b := speechSpan(o)
	start := a + r.IntN(max(1, b-a-n))
	cut := o[start:min(len(o), start+n)]
	out := make([]float64, len(cut))
	for j, v := range cut {
		out[j] = min(1, float64(min(j, len(cut)-1-j))/160) * float64(v)
	}
	return out
}

// makeNoise returns n samples of background: babble is four other speakers' recordings played
// back to back, each track at the same loudness; white (and the quiet bed) is Gaussian noise,
// kept under 4 kHz when the speech is 8 kHz audio.
func makeNoise(r *rand.Rand, kind string, n int, narrow bool, other func() Source) []float64 {
	out := make([]float64, n)
	if kind == "babble" {
		for range 4 {
			var track []float64
			for len(track) < n {
				o := other().Samples
				g := 1 / max(1, rms(o))
				for _, v := range o {
					track = append(track, g*float64(v))
				}
			}
			for i := range out {
				out[i] += track[i]
			}
		}
		return out
	}
	for i := range out {
		out[i] = r.NormFloat64()
	}
	if narrow {
		// A two-pole low-pass near 3.6 kHz, applied twice, keeps the noise in the telephone band.
		a := math.Exp(-2 * math.Pi * 3600 / Rate)
		for range 2 {
			var y1, y2 float64
			for i, x := range out {
				y1 = a*y1 + (1-a)*x
				y2 = a*y2 + (1-a)*y1
				out[i] = y2
			}
		}
	}
	return out
}

func rms(s []int16) float64 {
	var e float64
	for _, v := range s {
		e += float64(v) * float64(v)
	}
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(e / float64(len(s)))
}
