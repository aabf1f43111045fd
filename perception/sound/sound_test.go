package sound_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/parleyhq/parley/perception/sound"
)

func synth(secs float64, f func(t float64, rng *rand.Rand) float64) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, int(secs*16000))
	for i := range x {
		x[i] = float32(f(float64(i)/16000, rng))
	}
	return x
}

func TestAnalyse(t *testing.T) {
	room := func(rng *rand.Rand) float64 { return rng.NormFloat64() * 0.002 }
	for _, c := range []struct {
		name string
		x    []float32
		want string
	}{
		{"beeping", synth(4, func(t float64, rng *rand.Rand) float64 {
			v := room(rng)
			if math.Mod(t, 0.5) < 0.15 {
				v += 0.15 * math.Sin(2*math.Pi*2000*t)
			}
			return v
		}), sound.Beeping},
		{"hum", synth(4, func(t float64, rng *rand.Rand) float64 {
			return room(rng) + 0.08*math.Sin(2*math.Pi*100*t) + 0.04*math.Sin(2*math.Pi*200*t)
		}), sound.Hum},
		{"grinding", func() []float32 {
			lp := 0.0
			return synth(4, func(t float64, rng *rand.Rand) float64 {
				lp = 0.3*lp + 0.7*rng.NormFloat64()
				return room(rng) + 0.15*lp*(0.6+0.4*math.Sin(2*math.Pi*7*t))
			})
		}(), sound.Grinding},
		{"silence", synth(4, func(_ float64, rng *rand.Rand) float64 { return room(rng) }), sound.Silence},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := sound.Analyse(c.x, 16000)
			if len(fs) != 1 || fs[0].Name != c.want || fs[0].Strength <= 0 || fs[0].Strength > 1 {
				t.Fatalf("features %+v, want %s", fs, c.want)
			}
		})
	}
	if fs := sound.Analyse(nil, 16000); fs != nil {
		t.Fatalf("no audio: %+v", fs)
	}
}

func BenchmarkAnalyse(b *testing.B) {
	x := synth(30, func(t float64, rng *rand.Rand) float64 { return 0.1*math.Sin(2*math.Pi*440*t) + rng.NormFloat64()*0.01 })
	for b.Loop() {
		sound.Analyse(x, 16000)
	}
}
