package prosody

import (
	"context"
	"github.com/parleyhq/parley/internal/testmedia"
	"math"
	"testing"

	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception"
)

func tone(hz float64, secs float64, amp float64) []int16 {
	n := int(secs * media.SpeechRate)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * 32767 * math.Sin(2*math.Pi*hz*float64(i)/media.SpeechRate))
	}
	return out
}

func TestPitchOfTones(t *testing.T) {
	for _, hz := range []float64{90, 150, 220, 330} {
		f := Analyze(media.PCM{Rate: media.SpeechRate, Samples: append(make([]int16, 3200), tone(hz, 1, 0.3)...)})
		if math.Abs(f.PitchHz-hz)/hz > 0.03 {
			t.Errorf("%v Hz tone: pitch %.1f", hz, f.PitchHz)
		}
		if f.PitchVar > 0.5 {
			t.Errorf("%v Hz tone: pitch variation %.2f semitones", hz, f.PitchVar)
		}
	}
}

func TestPauseRatio(t *testing.T) {
	var s []int16
	s = append(s, tone(200, 0.5, 0.3)...)
	s = append(s, make([]int16, 8000)...) // 0.5 s pause
	s = append(s, tone(200, 0.5, 0.3)...)
	f := Analyze(media.PCM{Rate: media.SpeechRate, Samples: s})
	if math.Abs(f.PauseRatio-1.0/3) > 0.05 {
		t.Fatalf("pause ratio %.3f, want 0.33", f.PauseRatio)
	}
	if f := Analyze(media.PCM{Rate: media.SpeechRate, Samples: make([]int16, 16000)}); f.Speech != 0 {
		t.Fatalf("silence has speech: %+v", f)
	}
}

func speak(t *testing.T, text string, args ...string) media.PCM {
	return testmedia.Speech(t, text, args...)
}

func TestCalmAndAgitatedSpeech(t *testing.T) {
	text := "I have called three times about this and the internet is still not working at all"
	calm := Analyze(speak(t, text, "-s", "150", "-p", "40", "-a", "60"))
	agit := Analyze(speak(t, text, "-s", "290", "-p", "85", "-a", "200"))
	t.Logf("calm %+v frustration %.2f", calm, Frustration(calm))
	t.Logf("agitated %+v frustration %.2f", agit, Frustration(agit))
	if agit.RateSPS <= calm.RateSPS*1.4 {
		t.Errorf("rate: agitated %.2f vs calm %.2f syllables/s", agit.RateSPS, calm.RateSPS)
	}
	if agit.PitchHz <= calm.PitchHz*1.2 {
		t.Errorf("pitch: agitated %.0f vs calm %.0f Hz", agit.PitchHz, calm.PitchHz)
	}
	if agit.EnergyDB <= calm.EnergyDB+4 {
		t.Errorf("energy: agitated %.1f vs calm %.1f dB", agit.EnergyDB, calm.EnergyDB)
	}
	if Frustration(calm) != 0 || Frustration(agit) < AgitatedAt {
		t.Errorf("frustration: calm %.2f, agitated %.2f", Frustration(calm), Frustration(agit))
	}
	obs, err := Stage{}.Process(context.Background(), media.Item{Kind: media.Audio, Data: media.EncodeWAV(speak(t, text, "-s", "290", "-p", "85", "-a", "200"))}, perception.Expectation{})
	if err != nil {
		t.Fatal(err)
	}
	if len(obs) != 2 || obs[0].Kind != perception.KindProsody || obs[1].Kind != perception.KindAffectCue {
		t.Fatalf("observations %+v", obs)
	}
	for _, k := range []string{"pitch_hz", "pitch_var", "energy_db", "rate_sps", "pause_ratio"} {
		if _, ok := obs[0].Value.(map[string]float64)[k]; !ok {
			t.Errorf("prosody lacks %s", k)
		}
	}
}

func BenchmarkAnalyze(b *testing.B) {
	pcm := media.PCM{Rate: media.SpeechRate, Samples: tone(180, 5, 0.3)}
	for b.Loop() {
		Analyze(pcm)
	}
}
