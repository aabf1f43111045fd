// Package sound tells machine sounds in a recording apart with simple features: beeping (a pure
// tone switched on and off), a hum (mains-frequency tones), grinding (sustained loud broadband
// noise) and near silence. The stage audio.sound reports each feature found as a sound
// observation, so a diagnosis can weigh what was heard with what was seen and said.
package sound

import (
	"context"
	"math"
	"time"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

// StageName is the name the sound stage registers under.
const StageName = "audio.sound"

// Kind is the observation kind of a sound feature; Text names it.
const Kind = "sound"

// The sound features.
const (
	Beeping  = "beeping"
	Hum      = "hum"
	Grinding = "grinding"
	Silence  = "silence"
)

func init() {
	perception.Register(StageName, func(perception.Env) (perception.Stage, error) { return Stage{}, nil })
}

// Feature is one sound found, with how strongly and when it was first heard.
type Feature struct {
	Name     string
	Strength float64 // in [0,1]
	At       time.Duration
}

// frame is the analysis window, 32 ms at 16 kHz.
const frame = 512

// goertzel returns the power of frequency f in x, normalised by the frame's energy, in [0,1].
func goertzel(x []float32, f float64, rate int) float64 {
	w := 2 * math.Pi * f / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2, e float64
	for _, v := range x {
		s := float64(v) + c*s1 - s2
		s2, s1 = s1, s
		e += float64(v) * float64(v)
	}
	if e == 0 {
		return 0
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return p / (e * float64(len(x)) / 2)
}

// Analyse finds the sound features of mono samples at rate Hz.
func Analyse(x []float32, rate int) []Feature {
	if rate <= 0 || len(x) < frame*4 {
		return nil
	}
	n := len(x) / frame
	rms := make([]float64, n)
	tone := make([]bool, n)
	hum := make([]bool, n)
	noisy := make([]bool, n)
	for i := 0; i < n; i++ {
		f := x[i*frame : (i+1)*frame]
		var e float64
		zc := 0
		for j, v := range f {
			e += float64(v) * float64(v)
			if j > 0 && (v >= 0) != (f[j-1] >= 0) {
				zc++
			}
		}
		rms[i] = math.Sqrt(e / frame)
		if rms[i] < 0.01 {
			continue
		}
		best := 0.0
		for hz := 1000.0; hz <= 4000; hz += 125 {
			best = max(best, goertzel(f, hz, rate))
		}
		tone[i] = best > 0.6
		h := 0.0
		for _, hz := range []float64{50, 60, 100, 120} {
			h += goertzel(f, hz, rate)
		}
		hum[i] = h > 0.5
		noisy[i] = float64(zc)/frame > 0.12 && !tone[i]
	}
	at := func(i int) time.Duration { return time.Duration(i*frame) * time.Second / time.Duration(rate) }
	var out []Feature
	// Beeping: at least three separate tone bursts.
	bursts, first := 0, -1
	for i := range tone {
		if tone[i] && (i == 0 || !tone[i-1]) {
			bursts++
			if first < 0 {
				first = i
			}
		}
	}
	if bursts >= 3 {
		out = append(out, Feature{Beeping, min(1, float64(bursts)/6), at(first)})
	}
	if c, f := count(hum); float64(c) >= 0.4*float64(n) {
		out = append(out, Feature{Hum, float64(c) / float64(n), at(f)})
	}
	// Grinding: noisy frames in runs of a third of a second or more, for a fifth of the recording.
	run, long, firstLong := 0, 0, -1
	for i, v := range noisy {
		if v {
			run++
			if run == 10 {
				long += 10
				if firstLong < 0 {
					firstLong = i - 9
				}
			} else if run > 10 {
				long++
			}
		} else {
			run = 0
		}
	}
	if float64(long) >= 0.2*float64(n) {
		out = append(out, Feature{Grinding, min(1, float64(long)/float64(n)*2), at(firstLong)})
	}
	loud := 0
	for _, r := range rms {
		if r >= 0.01 {
			loud++
		}
	}
	if float64(loud) < 0.1*float64(n) {
		out = append(out, Feature{Silence, 1 - float64(loud)/float64(n), 0})
	}
	return out
}

func count(b []bool) (int, int) {
	c, first := 0, -1
	for i, v := range b {
		if v {
			c++
			if first < 0 {
				first = i
			}
		}
	}
	return c, first
}

// Stage reports the sound features of audio (voice notes and the audio track of videos).
type Stage struct{}

// Name implements perception.Stage.
func (Stage) Name() string { return StageName }

// Accepts implements perception.Stage.
func (Stage) Accepts(k media.Kind) bool { return k == media.Audio }

// Process reports one sound observation per feature found. Audio that is not WAV (a voice note
// in another container) is left to the speech stages.
func (Stage) Process(ctx context.Context, item media.Item, _ perception.Expectation) ([]perception.Observation, error) {
	if !media.IsWAV(item.Data) {
		return nil, nil
	}
	w, err := media.DecodeWAV(item.Data, media.DefaultLimits().MaxAudio)
	if err != nil {
		return nil, err
	}
	var obs []perception.Observation
	for _, f := range Analyse(w.Mono(), w.Rate) {
		obs = append(obs, perception.Observation{Kind: Kind, Text: f.Name, Value: f.Name, Confidence: f.Strength,
			Source: perception.Source{Start: item.Offset + f.At, End: item.Offset + f.At}})
	}
	return obs, nil
}
