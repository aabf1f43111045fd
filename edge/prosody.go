package edge

import (
	"github.com/parleyhq/parley/media"
	"github.com/parleyhq/parley/perception/prosody"
)

// ProsodyScore is how one utterance was said, measured on the device with the server's
// prosody code: pitch, loudness, speaking rate and pauses, and the agitation (frustration)
// score that becomes a voice affect cue at prosody.AgitatedAt.
type ProsodyScore struct {
	// Value has the keys of a prosody observation (pitch_hz, pitch_var, energy_db, rate_sps,
	// pause_ratio) and frustration.
	Value map[string]float64 `json:"value"`
	// Confidence grows with the speech's length, as the server stage's does.
	Confidence float64 `json:"confidence"`
	// SpeechS is the seconds from the first to the last speech frame.
	SpeechS float64 `json:"speech_s"`
}

// Prosody measures samples (16-bit mono at rate Hz); ok is false when they hold no speech.
func Prosody(samples []int16, rate int) (ProsodyScore, bool) {
	if rate <= 0 {
		rate = media.SpeechRate
	}
	pcm := media.PCM{Samples: samples, Rate: rate}
	if rate != media.SpeechRate {
		f := make([]float32, len(samples))
		for i, s := range samples {
			f[i] = float32(s) / 32768
		}
		pcm = media.PCM{Samples: media.Resample(f, rate, media.SpeechRate), Rate: media.SpeechRate}
	}
	f := prosody.Analyze(pcm)
	if f.Speech == 0 {
		return ProsodyScore{}, false
	}
	v := f.Map()
	v["frustration"] = prosody.Frustration(f)
	return ProsodyScore{Value: v, Confidence: min(1, 0.3+0.1*f.Speech), SpeechS: f.Speech}, true
}
