//go:build cgo

package silero

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/testmedia"
	"github.com/parleyhq/parley/perception/vad"
)

func loadTest(t testing.TB, version string) *Model {
	t.Helper()
	dir := Dir()
	if err := verifyFor(dir, version); err != nil {
		t.Skipf("Silero not installed in %s; run `parley models install` (or make test): %v", dir, err)
	}
	m, err := Load(dir, version)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func noise(r *rand.Rand, n int, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(r.NormFloat64() * amp)
	}
	return out
}

// TestScoresSpeechOverNoise checks the model hears synthesised speech and not white noise or
// silence, at both rates it supports.
func TestScoresSpeechOverNoise(t *testing.T) {
	speech := testmedia.Speech(t, "please deposit one thousand two hundred dollars").Samples
	for _, version := range []string{V5, V6} {
		m := loadTest(t, version)
		t.Run(version, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			s, err := m.NewStream(16000)
			if err != nil {
				t.Fatal(err)
			}
			quiet, err := s.Score(append(make([]int16, 8000), noise(r, 16000, 300)...))
			if err != nil {
				t.Fatal(err)
			}
			if mx := slices.Max(quiet); mx > 0.3 {
				t.Errorf("silence and noise scored up to %.2f", mx)
			}
			loud, err := s.Score(speech)
			if err != nil {
				t.Fatal(err)
			}
			hi := 0
			for _, p := range loud {
				if p > 0.5 {
					hi++
				}
			}
			if hi < len(loud)/2 {
				t.Errorf("only %d of %d speech windows scored over 0.5", hi, len(loud))
			}
		})
	}
}

// TestDetectorWithSilero runs the streaming detector with Silero as its classifier: one utterance
// is found in speech surrounded by noise, with its onset near the true one.
func TestDetectorWithSilero(t *testing.T) {
	m := loadTest(t, V5)
	r := rand.New(rand.NewPCG(3, 4))
	speech := testmedia.Speech(t, "yes that is right").Samples
	stream := append(noise(r, 16000, 200), speech...)
	stream = append(stream, noise(r, 16000, 200)...)
	cls, err := m.NewStream(16000)
	if err != nil {
		t.Fatal(err)
	}
	d := vad.New(vad.Config{Classifier: cls})
	var evs []vad.Event
	for s := stream; len(s) > 0; {
		n := min(len(s), 160+r.IntN(1600))
		evs = append(evs, d.Write(s[:n])...)
		s = s[n:]
	}
	if ev, ok := d.Flush(); ok {
		evs = append(evs, ev)
	}
	var starts []time.Duration
	ends := 0
	for _, ev := range evs {
		switch ev.Type {
		case vad.SpeechStart:
			starts = append(starts, ev.At)
		case vad.SpeechEnd:
			ends++
		}
	}
	if len(starts) != 1 || ends != 1 {
		t.Fatalf("got %d starts and %d ends, want one utterance: %+v", len(starts), ends, starts)
	}
	if d := starts[0] - time.Second; d < -100*time.Millisecond || d > 250*time.Millisecond {
		t.Errorf("onset at %v, speech begins at 1s", starts[0])
	}
	if err := cls.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir(), V5); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("empty dir: got %v, want ErrNotInstalled", err)
	}
	if _, err := Load(t.TempDir(), "silero_vad_v9.onnx"); err == nil {
		t.Error("unknown version loaded")
	}
	m := loadTest(t, V5)
	if _, err := m.NewStream(44100); err == nil {
		t.Error("44.1 kHz stream accepted")
	}
}

func BenchmarkStream(b *testing.B) {
	m := loadTest(b, V5)
	s, err := m.NewStream(16000)
	if err != nil {
		b.Fatal(err)
	}
	audio := noise(rand.New(rand.NewPCG(5, 6)), 16000, 1000)
	b.SetBytes(int64(len(audio) * 2))
	for b.Loop() {
		if _, err := s.Score(audio); err != nil {
			b.Fatal(err)
		}
	}
}
